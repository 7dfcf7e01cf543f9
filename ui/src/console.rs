//! The console once signed in: the header, the inbox on the left, the
//! conversation in the centre, the visitor panel on the right, the quick
//! switcher and the notification list; and the keyboard shortcuts.

use dioxus::{core::spawn_forever, prelude::*};
use switchboard_model::{ChatEntry, ConnectionState, InboxTab, ipc::commands as cmd};
use switchboard_protocol::{ChatStatus, MessageType, Presence, SenderType};

use crate::{
    bell::NotificationList,
    controller::{Ctx, accept, open_chat},
    conversation::{Conversation, VisitorPanel},
    i18n::Lang,
    icons::{Icon, Svg},
    ipc,
    search::SearchPanel,
    settings::SettingsPanel,
    state::Inbox,
    switcher::QuickSwitcher,
};

/// The preview line of a chat in the inbox.
pub fn preview(lang: Lang, chat: &ChatEntry) -> String {
    let Some(m) = &chat.last_message else {
        return chat.subject.clone().unwrap_or_default();
    };
    let text = match (m.kind, m.content.trim().is_empty(), &m.attachment) {
        (MessageType::Image, true, _) => format!("[{}]", lang.pick("Image", "Imagen")),
        (MessageType::File, true, Some(a)) => format!("[{}]", a.file_name),
        _ => m.content.lines().next().unwrap_or_default().to_owned(),
    };
    let prefix = match (m.is_internal, m.sender_type) {
        (true, _) => lang.pick("Note: ", "Nota: "),
        (false, SenderType::Agent) if chat.visitor.id != m.sender_id => lang.pick("You: ", "Tú: "),
        _ => "",
    };
    let full = format!("{prefix}{text}");
    if full.chars().count() > 90 {
        full.chars().take(89).chain(['…']).collect()
    } else {
        full
    }
}

fn initials(name: &str) -> String {
    name.split_whitespace()
        .filter_map(|w| w.chars().next())
        .take(2)
        .collect::<String>()
        .to_uppercase()
}

fn moved(
    inbox: &Inbox,
    tab: InboxTab,
    tag: Option<&str>,
    selected: Option<&str>,
    step: isize,
) -> Option<String> {
    let ids: Vec<&str> = inbox.tab_tagged(tab, tag).map(|c| c.chat_id.as_str()).collect();
    if ids.is_empty() {
        return None;
    }
    let at = selected.and_then(|s| ids.iter().position(|i| *i == s));
    let next = match at {
        Some(i) => (i as isize + step).clamp(0, ids.len() as isize - 1) as usize,
        None => 0,
    };
    Some(ids[next].to_owned())
}

/// The window width (CSS px) under which the visitor panel is a drawer
/// (the same as the stylesheet's media query).
pub const DRAWER_BELOW: f64 = 1100.0;

/// The console.
#[component]
pub fn Console() -> Element {
    let ctx = use_context::<Ctx>();
    let mut switcher = use_signal(|| false);
    let mut bell = use_signal(|| false);
    let mut settings = use_signal(|| false);
    let mut search = use_signal(|| false);
    // Beside the conversation in a wide window; below DRAWER_BELOW it is a
    // drawer over the conversation, closed until asked for.
    let mut panel = use_signal(|| ipc::window_width() >= DRAWER_BELOW);

    let onkeydown = move |e: KeyboardEvent| {
        let key = e.key();
        let mods = e.modifiers();
        if mods.ctrl() && key == Key::Character("k".into()) {
            e.prevent_default();
            search.set(false);
            switcher.set(true);
        } else if mods.ctrl() && key == Key::Character("f".into()) {
            e.prevent_default();
            switcher.set(false);
            search.set(true);
        } else if mods.alt() && (key == Key::ArrowUp || key == Key::ArrowDown) {
            e.prevent_default();
            let step = if key == Key::ArrowUp { -1 } else { 1 };
            let next = ctx.inbox.peek().as_ref().and_then(|i| {
                moved(
                    i,
                    *ctx.tab.peek(),
                    ctx.tag_filter.peek().as_deref(),
                    ctx.selected.peek().as_deref(),
                    step,
                )
            });
            if let Some(id) = next {
                spawn_forever(open_chat(ctx, id));
            }
        } else if key == Key::Escape {
            switcher.set(false);
            search.set(false);
            bell.set(false);
            settings.set(false);
            if ipc::window_width() < DRAWER_BELOW {
                panel.set(false);
            }
        }
    };

    // Crossing the drawer's width: a drawer closes, a column opens again.
    use_future(move || async move {
        use futures_util::StreamExt;
        let mut resized = ipc::window_event("resize");
        let mut wide = ipc::window_width() >= DRAWER_BELOW;
        while resized.next().await.is_some() {
            let now = ipc::window_width() >= DRAWER_BELOW;
            if now != wide {
                wide = now;
                panel.set(now);
            }
        }
    });

    // Keys reach the console wherever the agent clicked: it takes the focus
    // when it appears, and clicks on plain text inside it keep it there.
    use_effect(|| ipc::scroll::focus("console"));

    rsx! {
        div { id: "console", class: "console", tabindex: "-1", onkeydown,
            Header { bell, panel, settings }
            div { class: if *panel.read() { "columns with-panel" } else { "columns" },
                InboxList {}
                Conversation {}
                if *panel.read() {
                    VisitorPanel { open: panel }
                }
            }
            if *switcher.read() {
                QuickSwitcher { open: switcher }
            }
            if *bell.read() {
                NotificationList { open: bell }
            }
            if *search.read() {
                SearchPanel { open: search }
            }
            if *settings.read() {
                SettingsPanel { open: settings }
            }
        }
    }
}

#[component]
fn Header(bell: Signal<bool>, panel: Signal<bool>, settings: Signal<bool>) -> Element {
    let mut ctx = use_context::<Ctx>();
    // A one-second clock for the reconnect countdown (only this header reads it).
    let mut tick = use_signal(ipc::now_ms);
    use_future(move || async move {
        loop {
            ipc::sleep(1_000).await;
            if ctx.reconnect_at.peek().is_some() {
                tick.set(ipc::now_ms());
            }
        }
    });
    let lang = *ctx.lang.read();
    let guard = ctx.inbox.read();
    let Some(inbox) = guard.as_ref() else {
        return rsx! {};
    };
    let conn = inbox.connection.clone();
    let conn_class = match conn {
        ConnectionState::Online => "conn online",
        ConnectionState::Connecting | ConnectionState::Reconnecting { .. } => "conn reconnecting",
        ConnectionState::Offline => "conn offline",
        ConnectionState::NeedsLogin => "conn needs-login",
    };
    let conn_text = match (&conn, *ctx.reconnect_at.read()) {
        (ConnectionState::Reconnecting { attempt, .. }, Some(at)) => {
            lang.connection(&ConnectionState::Reconnecting {
                attempt: *attempt,
                next_in_ms: (at - *tick.read()).max(0) as u64,
            })
        }
        _ => lang.connection(&conn),
    };
    let presence = inbox.my_presence();
    let me = inbox
        .account
        .me
        .as_ref()
        .map(|a| a.name.clone())
        .unwrap_or_default();
    let total = inbox.total_unread;
    let notes = inbox.notification_count;
    let demo = inbox.account.demo;
    let keychain = inbox.account.keychain;
    let needs_login = conn == ConnectionState::NeedsLogin;
    // Presence is the server's to tell: without a link it is not "online".
    let link_down = conn != ConnectionState::Online;
    let stats = inbox.stats;
    drop(guard);

    let sign_out = move |_| crate::controller::sign_out(ctx);

    rsx! {
        header { class: "header",
            div { class: "brand", "Switchboard" }
            if demo {
                span { class: "pill demo", title: lang.pick("A practice server inside the app", "Un servidor de prácticas dentro de la app"), "DEMO" }
            }
            if !keychain && !demo {
                span {
                    id: "no-keychain",
                    class: "pill warn",
                    title: lang.pick(
                        "No OS keychain: your session is kept in memory and ends when you quit.",
                        "Sin llavero del sistema: la sesión se guarda en memoria y termina al salir.",
                    ),
                    {lang.pick("Session not saved", "Sesión no guardada")}
                }
            }
            span { id: "connection", class: conn_class, "data-state": conn_class.trim_start_matches("conn "), "{conn_text}" }
            if needs_login {
                button { id: "sign-in-again", class: "primary small-button", onclick: sign_out, {lang.pick("Sign in again", "Volver a entrar")} }
            }
            if let Some(s) = stats {
                span { class: "muted small stats", title: lang.pick("Waiting in the queue / agents online", "En cola / agentes conectados"),
                    {lang.pick("Waiting", "En cola")} " {s.pending} · " {lang.pick("Agents", "Agentes")} " {s.agents_online}"
                }
            }
            div { class: "spacer" }
            span { id: "total-unread", class: if total > 0 { "total-unread some" } else { "total-unread" },
                title: lang.pick("Unread messages", "Mensajes sin leer"),
                "{total}"
            }
            button {
                id: "bell",
                class: "icon-button",
                title: lang.pick("Notifications", "Notificaciones"),
                onclick: move |_| {
                    let open = !*bell.peek();
                    bell.set(open);
                },
                Svg { icon: Icon::Bell }
                if notes > 0 {
                    span { class: "badge", "{notes}" }
                }
            }
            select {
                id: "presence",
                class: if link_down { "presence offline" } else { "presence {presence.as_str()}" },
                title: if link_down {
                    lang.pick("No link to the server: colleagues see you offline until it is back.", "Sin conexión con el servidor: tus compañeros te ven desconectado hasta que vuelva.")
                } else {
                    lang.pick("My status", "Mi estado")
                },
                disabled: link_down,
                value: if link_down { "offline" } else { presence.as_str() },
                onchange: move |e| {
                    if let Some(p) = Presence::parse(&e.value()) {
                        if let Some(i) = ctx.inbox.write().as_mut() {
                            let me = i.me().to_owned();
                            let name = i.account.me.as_ref().map(|a| a.name.clone()).unwrap_or_default();
                            i.agents.entry(me.clone()).and_modify(|a| a.status = p).or_insert(switchboard_protocol::AgentPresence { id: me, name, status: p, max_chats: None, open_chats: None });
                        }
                        spawn(async move {
                            if let Err(e) = ipc::invoke(&cmd::SetPresence { status: p }).await {
                                crate::toast::fail(ctx, crate::toast::Doing::Presence, &e);
                            }
                        });
                    }
                },
                if link_down {
                    option { value: "offline", selected: true, {lang.pick("Offline", "Desconectado")} }
                }
                for p in [Presence::Online, Presence::Away, Presence::Busy] {
                    option { value: p.as_str(), selected: !link_down && p == presence, {lang.presence(p)} }
                }
            }
            select {
                id: "language",
                title: lang.pick("Language", "Idioma"),
                value: lang.code(),
                onchange: move |e| {
                    let l = if e.value() == "es" { Lang::Es } else { Lang::En };
                    ctx.lang.set(l);
                    spawn(async move {
                        let _ = ipc::invoke(&cmd::SetLocale {
                            locale: Some(l.code().to_owned()),
                        })
                        .await;
                    });
                },
                option { value: "en", selected: lang == Lang::En, "English" }
                option { value: "es", selected: lang == Lang::Es, "Español" }
            }
            button {
                class: "icon-button",
                title: lang.pick("Visitor details", "Datos del visitante"),
                onclick: move |_| {
                    let v = !*panel.peek();
                    panel.set(v);
                },
                Svg { icon: Icon::Info }
            }
            button {
                id: "open-settings",
                class: "icon-button",
                title: lang.pick("Settings", "Ajustes"),
                onclick: move |_| {
                    let v = !*settings.peek();
                    settings.set(v);
                },
                Svg { icon: Icon::Gear }
            }
            span { class: "me", title: "{me}", "{me}" }
            button { id: "sign-out", class: "link", onclick: sign_out, {lang.pick("Sign out", "Salir")} }
        }
    }
}

#[component]
fn InboxList() -> Element {
    let mut ctx = use_context::<Ctx>();
    let lang = *ctx.lang.read();
    let tab = *ctx.tab.read();
    let now = *ctx.now.read();
    let selected = ctx.selected.read().clone();
    let highlight_mins = ctx.settings.read().as_ref().map_or(2, |s| s.queue_highlight_mins);
    let highlight_ms = i64::from(highlight_mins) * 60_000;
    let guard = ctx.inbox.read();
    let Some(inbox) = guard.as_ref() else {
        return rsx! {};
    };
    let tag_filter = ctx.tag_filter.read().clone();
    let tag = tag_filter.as_deref();
    let tabs: Vec<(InboxTab, usize, u64)> =
        [InboxTab::Mine, InboxTab::Queue, InboxTab::All, InboxTab::Closed]
            .into_iter()
            .map(|t| {
                (
                    t,
                    inbox.tab_count_tagged(t, tag),
                    inbox.tab_tagged(t, tag).map(|c| c.unread).sum(),
                )
            })
            .collect();
    // v2.1 tags: the filter's choices are the tags on the chats held (and
    // the one chosen, while no chat has it any more).
    let mut tag_choices: Vec<(String, usize)> = if inbox.offers(switchboard_protocol::feature::TAGS) {
        inbox.tags_in_use()
    } else {
        Vec::new()
    };
    if let Some(t) = tag
        && !tag_choices
            .iter()
            .any(|(n, _)| n.to_lowercase() == t.to_lowercase())
    {
        tag_choices.push((t.to_owned(), 0));
    }
    let rows: Vec<(ChatEntry, bool, Option<String>)> = inbox
        .tab_tagged(tab, tag)
        .map(|c| {
            let typing = inbox.typist(&c.chat_id);
            (c.clone(), typing.is_some(), typing)
        })
        .collect();
    let assignee_names: Vec<Option<String>> = rows
        .iter()
        .map(|(c, _, _)| {
            c.assignee_id
                .as_deref()
                .and_then(|a| inbox.agent_name(a).map(str::to_owned))
        })
        .collect();
    drop(guard);

    rsx! {
        nav { class: "inbox", "aria-label": lang.pick("Inbox", "Bandeja"),
            div { class: "tabs", role: "tablist",
                for (t, count, unread) in tabs {
                    button {
                        id: "tab-{lang_key(t)}",
                        class: if t == tab { "tab active" } else { "tab" },
                        role: "tab",
                        "aria-selected": t == tab,
                        onclick: move |_| {
                            ctx.tab.set(t);
                            ctx.tab_chosen.set(true);
                        },
                        span { {lang.tab(t)} }
                        span { class: if unread > 0 { "count unread" } else { "count" }, "data-count": "{count}", "{count}" }
                    }
                }
            }
            if !tag_choices.is_empty() {
                div { class: "tag-filter",
                    select {
                        id: "tag-filter",
                        "aria-label": lang.pick("Show chats with a tag", "Mostrar los chats con una etiqueta"),
                        class: if tag.is_some() { "filtering" } else { "" },
                        value: tag.unwrap_or_default(),
                        onchange: move |e| {
                            let v = e.value();
                            ctx.tag_filter.set((!v.is_empty()).then_some(v));
                        },
                        option { value: "", selected: tag.is_none(), {lang.pick("All tags", "Todas las etiquetas")} }
                        for (name, count) in tag_choices {
                            option {
                                value: "{name}",
                                selected: tag.is_some_and(|t| t.to_lowercase() == name.to_lowercase()),
                                "#{name} ({count})"
                            }
                        }
                    }
                    if tag.is_some() {
                        button {
                            id: "tag-filter-clear",
                            class: "link small",
                            title: lang.pick("Show every chat", "Mostrar todos los chats"),
                            onclick: move |_| ctx.tag_filter.set(None),
                            "✕"
                        }
                    }
                }
            }
            ul { class: "chats", id: "chat-list",
                if rows.is_empty() && tag.is_some() {
                    li { class: "empty muted",
                        {match lang {
                            Lang::En => format!("No chats here with the tag {}.", tag.unwrap_or_default()),
                            Lang::Es => format!("No hay chats aquí con la etiqueta {}.", tag.unwrap_or_default()),
                        }}
                    }
                } else if rows.is_empty() {
                    li { class: "empty muted",
                        {match tab {
                            InboxTab::Queue => lang.pick("Nobody is waiting.", "No hay nadie esperando."),
                            InboxTab::Mine => lang.pick("No chats assigned to you. Accept one from the queue.", "No tienes chats asignados. Acepta uno de la cola."),
                            _ => lang.pick("No chats here.", "No hay chats aquí."),
                        }}
                    }
                }
                for ((chat, typing, typer), assignee) in rows.into_iter().zip(assignee_names) {
                    ChatRow {
                        key: "{chat.chat_id}",
                        chat: chat.clone(),
                        active: selected.as_deref() == Some(chat.chat_id.as_str()),
                        typing: if typing { typer } else { None },
                        assignee,
                        // A queued row counts seconds; the rest show minutes
                        // and re-render once a minute, not at every tick.
                        now: if chat.status == ChatStatus::Pending { now } else { now - now % 60_000 },
                        highlight_ms,
                    }
                }
            }
        }
    }
}

fn lang_key(t: InboxTab) -> &'static str {
    match t {
        InboxTab::Mine => "mine",
        InboxTab::Queue => "queue",
        InboxTab::All => "all",
        InboxTab::Closed => "closed",
    }
}

/// One chat in the inbox.
#[component]
pub fn ChatRow(
    chat: ChatEntry,
    active: bool,
    typing: Option<String>,
    assignee: Option<String>,
    now: i64,
    /// A queued chat waiting this long (ms) is highlighted (`0`: never).
    #[props(default)]
    highlight_ms: i64,
) -> Element {
    let ctx = try_use_context::<Ctx>();
    let lang = ctx.map(|c| *c.lang.read()).unwrap_or_default();
    let id = chat.chat_id.clone();
    let queued = chat.status == ChatStatus::Pending;
    // A queued chat says how long the visitor has waited; others when
    // something last happened.
    let waited = switchboard_protocol::time::parse_millis(&chat.created_at)
        .filter(|_| queued)
        .map(|since| (lang.waiting(since, now), now - since));
    let when = match &waited {
        Some((text, _)) => text.clone(),
        None => switchboard_protocol::time::parse_millis(&chat.updated_at)
            .map(|ms| lang.relative(ms, now))
            .unwrap_or_default(),
    };
    let long_wait = highlight_ms > 0 && waited.as_ref().is_some_and(|(_, ms)| *ms >= highlight_ms);
    let status_class = match chat.status {
        ChatStatus::Pending => "status pending",
        ChatStatus::InProgress => "status in-progress",
        ChatStatus::Closed => "status closed",
    };
    let open_id = id.clone();
    let accept_id = id.clone();
    // What I left unsent here shows in place of the last message (not in
    // the chat I am writing in: its composer shows it).
    let draft = chat.draft.as_ref().filter(|d| d.has_text() && !active).map(|d| {
        let line = d.content.lines().find(|l| !l.trim().is_empty());
        (line.unwrap_or_default().to_owned(), d.internal)
    });
    let (line, line_class) = match (&typing, &draft) {
        (Some(who), _) => (lang.typing(who), "preview typing"),
        (None, Some((d, _))) => (d.clone(), "preview draft"),
        (None, None) => (preview(lang, &chat), "preview"),
    };
    let has_draft = chat.draft.as_ref().is_some_and(|d| d.has_text());
    rsx! {
        li {
            class: match (active, long_wait) {
                (true, _) => "chat-row active",
                (false, true) => "chat-row long-wait",
                (false, false) => "chat-row",
            },
            "data-chat-id": "{id}",
            "data-long-wait": "{long_wait}",
            "data-failed": "{chat.failed}",
            "data-unread": "{chat.unread}",
            "data-draft": "{has_draft}",
            onclick: move |_| {
                if let Some(ctx) = ctx {
                    spawn_forever(open_chat(ctx, open_id.clone()));
                }
            },
            div { class: "avatar", {initials(&chat.visitor.name)} }
            div { class: "chat-main",
                div { class: "chat-top",
                    span { class: "visitor-name", "{chat.visitor.name}" }
                    span { class: if long_wait { "when waiting long small" } else if queued { "when waiting muted small" } else { "when muted small" }, "{when}" }
                }
                div { class: line_class,
                    if let (Some((_, note)), None) = (&draft, &typing) {
                        span { class: "draft-mark", {lang.draft_prefix(*note)} }
                    }
                    "{line}"
                }
                if !chat.tags.is_empty() {
                    div { class: "row-tags",
                        for t in chat.tags.iter().take(3) {
                            span { class: "tag", "{t}" }
                        }
                        if chat.tags.len() > 3 {
                            span { class: "muted small", "+{chat.tags.len() - 3}" }
                        }
                    }
                }
                div { class: "chat-bottom",
                    span { class: status_class, {lang.status(chat.status)} }
                    if let Some(a) = assignee {
                        span { class: "muted small", "· {a}" }
                    }
                    div { class: "spacer" }
                    if chat.failed > 0 {
                        span {
                            class: "failed-mark small",
                            title: lang.pick("The server refused a message: open the chat to retry, edit or discard it", "El servidor rechazó un mensaje: abre el chat para reintentar, editar o descartarlo"),
                            "⚠ " {lang.pick("Not sent", "No enviado")}
                        }
                    }
                    if queued {
                        button {
                            class: "accept small-button",
                            onclick: move |e| {
                                e.stop_propagation();
                                if let Some(ctx) = ctx {
                                    accept(ctx, accept_id.clone());
                                }
                            },
                            {lang.pick("Accept", "Aceptar")}
                        }
                    }
                    if chat.unread > 0 {
                        span { class: "unread-badge", title: lang.pick("Unread", "Sin leer"), "{chat.unread}" }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchboard_model::fixtures;

    fn chat_with(content: &str, internal: bool) -> ChatEntry {
        let last = fixtures::message("m")
            .chat("c1")
            .by("v1")
            .text(content)
            .internal(internal)
            .build();
        fixtures::chat("c1")
            .visitor("v1", "Lucía Fernández")
            .times("2026-11-24T09:59:00.000Z", "2026-11-24T10:00:00.000Z")
            .last_message(last)
            .unread(3)
            .build()
    }

    #[test]
    fn previews_are_one_short_line() {
        let long = "x".repeat(200);
        let p = preview(Lang::En, &chat_with(&format!("{long}\nsecond line"), false));
        assert_eq!(p.chars().count(), 90);
        assert!(p.ends_with('…'));
        assert_eq!(preview(Lang::Es, &chat_with("hola", true)), "Nota: hola");
    }

    #[test]
    fn a_chat_row_shows_badge_status_accept_and_escapes_markup() {
        let html = dioxus_ssr::render_element(rsx! {
            ChatRow {
                chat: chat_with("<img src=x onerror=alert(1)>", false),
                active: false,
                typing: None,
                assignee: None,
                now: 1_795_996_800_000i64,
            }
        });
        assert!(html.contains("unread-badge"), "{html}");
        assert!(html.contains(">3<"), "{html}");
        assert!(html.contains("Accept"), "{html}");
        assert!(html.contains("Pending"), "{html}");
        assert!(html.contains("&#60;img src=x onerror=alert(1)&#62;"), "{html}");
        assert!(!html.contains("<img src=x"), "{html}");
    }

    #[test]
    fn a_queued_chat_says_how_long_it_waits_and_stands_out_after_the_threshold() {
        let since = switchboard_protocol::time::parse_millis("2026-11-24T09:59:00.000Z").unwrap();
        let row = |waited_ms: i64| {
            dioxus_ssr::render_element(rsx! {
                ChatRow {
                    chat: chat_with("hola", false),
                    active: false,
                    typing: None,
                    assignee: None,
                    now: since + waited_ms,
                    highlight_ms: 120_000i64,
                }
            })
        };
        let fresh = row(90_000);
        assert!(fresh.contains("waiting 1 min"), "{fresh}");
        assert!(fresh.contains(r#"data-long-wait="false""#), "{fresh}");
        let long = row(3 * 60_000 + 5_000);
        assert!(long.contains("waiting 3 min"), "{long}");
        assert!(long.contains("chat-row long-wait"), "{long}");
        let mut taken = chat_with("hola", false);
        taken.status = ChatStatus::InProgress;
        let html = dioxus_ssr::render_element(rsx! {
            ChatRow { chat: taken, active: false, typing: None, assignee: None, now: since + 600_000, highlight_ms: 120_000i64 }
        });
        assert!(!html.contains("waiting"), "only the queue waits: {html}");
    }

    #[test]
    fn a_typing_visitor_replaces_the_preview() {
        let html = dioxus_ssr::render_element(rsx! {
            ChatRow {
                chat: chat_with("hola", false),
                active: true,
                typing: Some("Lucía".to_owned()),
                assignee: None,
                now: 0i64,
            }
        });
        assert!(html.contains("Lucía is typing…"), "{html}");
        assert!(html.contains("chat-row active"), "{html}");
    }

    #[test]
    fn a_draft_shows_in_place_of_the_last_message_except_in_the_open_chat() {
        let row = |active: bool, draft: &str| {
            let mut chat = chat_with("hola", false);
            chat.draft = Some(switchboard_model::Draft {
                content: draft.to_owned(),
                internal: false,
            });
            dioxus_ssr::render_element(rsx! {
                ChatRow { chat, active, typing: None, assignee: None, now: 0i64 }
            })
        };
        let html = row(false, "\n  Hola Lucía, <b>te</b> escribo\nsegunda línea");
        assert!(html.contains(r#"data-draft="true""#), "{html}");
        assert!(html.contains("Draft: "), "{html}");
        assert!(
            html.contains("  Hola Lucía, &#60;b&#62;te&#60;/b&#62; escribo<"),
            "{html}"
        );
        assert!(!html.contains("segunda"), "{html}");
        let open = row(true, "Hola");
        assert!(!open.contains("Draft: "), "{open}");
        assert!(open.contains(r#"data-draft="true""#), "{open}");
        let mut note = chat_with("hola", false);
        note.draft = Some(switchboard_model::Draft {
            content: "revisar".to_owned(),
            internal: true,
        });
        let note = dioxus_ssr::render_element(rsx! {
            ChatRow { chat: note, active: false, typing: None, assignee: None, now: 0i64 }
        });
        assert!(note.contains("Draft note: "), "{note}");
        let blank = row(false, "   ");
        assert!(blank.contains(r#"data-draft="false""#), "{blank}");
        assert!(!blank.contains("Draft: "), "{blank}");
    }

    #[test]
    fn alt_arrows_move_through_the_tab() {
        let mut i = Inbox::from_snapshot(fixtures::snapshot(None, vec![]));
        for (n, t) in [("a", "3"), ("b", "2"), ("c", "1")] {
            let mut c = chat_with("x", false);
            c.chat_id = n.into();
            c.updated_at = t.into();
            i.chats.push(c);
        }
        assert_eq!(moved(&i, InboxTab::Queue, None, None, 1).as_deref(), Some("a"));
        assert_eq!(
            moved(&i, InboxTab::Queue, None, Some("a"), 1).as_deref(),
            Some("b")
        );
        assert_eq!(
            moved(&i, InboxTab::Queue, None, Some("c"), 1).as_deref(),
            Some("c")
        );
        assert_eq!(
            moved(&i, InboxTab::Queue, None, Some("b"), -1).as_deref(),
            Some("a")
        );
        assert_eq!(moved(&i, InboxTab::Mine, None, None, 1), None);
    }
}
