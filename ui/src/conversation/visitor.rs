//! The visitor panel: who the visitor is, where the chat stands, its tags
//! (editable, v2.1), where the visitor writes from and the visitor's
//! earlier chats (v2.1), each of which opens read-only.

use super::*;
use crate::conversation::tags::TagEditor;

/// The visitor panel on the right.
#[component]
pub fn VisitorPanel(open: Signal<bool>) -> Element {
    let ctx = use_context::<Ctx>();
    let lang = *ctx.lang.read();
    let now = *ctx.now.read();
    let selected = ctx.selected.read().clone();
    let inbox = ctx.inbox.read();
    let Some((chat, assignee, can_tag, can_history)) = inbox.as_ref().and_then(|i| {
        let c = i.chat(selected.as_deref()?)?.clone();
        let a = c.assignee_id.as_deref().map(|a| {
            i.agent_name(a)
                .unwrap_or(lang.pick("Another agent", "Otro agente"))
                .to_owned()
        });
        Some((
            c,
            a,
            i.offers(switchboard_protocol::feature::TAGS),
            i.offers(switchboard_protocol::feature::HISTORY),
        ))
    }) else {
        return rsx! { aside { class: "visitor-panel", id: "visitor-panel", DrawerClose { open } } };
    };
    drop(inbox);
    let offset = ipc::utc_offset_minutes();
    let at = |s: &str| {
        switchboard_protocol::time::parse_millis(s)
            .map(|ms| {
                let day = lang.day(CivilDay::of(ms, offset), CivilDay::of(now, offset));
                format!("{day} {}", clock(ms, offset))
            })
            .unwrap_or_default()
    };
    rsx! {
        aside { class: "visitor-panel", id: "visitor-panel",
            DrawerClose { open }
            h3 { {lang.pick("Visitor", "Visitante")} }
            dl {
                dt { {lang.pick("Name", "Nombre")} }
                dd { "{chat.visitor.name}" }
                dt { {lang.pick("E-mail", "Correo")} }
                dd { {chat.visitor.email.clone().unwrap_or_else(|| "—".to_owned())} }
                dt { {lang.pick("Status", "Estado")} }
                dd { {lang.status(chat.status)} }
                dt { {lang.pick("Assigned to", "Asignado a")} }
                dd { {assignee.unwrap_or_else(|| lang.pick("Nobody yet", "Nadie todavía").to_owned())} }
                dt { {lang.pick("Opened", "Abierto")} }
                dd { {at(&chat.created_at)} }
                dt { {lang.pick("Last activity", "Última actividad")} }
                dd { {at(&chat.updated_at)} }
            }
            if can_tag {
                TagEditor { key: "{chat.chat_id}", chat_id: chat.chat_id.clone(), tags: chat.tags.clone() }
            }
            // v2.1: where the visitor writes from (text only, never a live link).
            if let Some(c) = chat.visitor.context.as_ref() {
                h3 { {lang.pick("Where from", "Desde dónde")} }
                dl { id: "visitor-context",
                    if let Some(p) = c.page.as_ref() {
                        dt { {lang.pick("Page", "Página")} }
                        dd { class: "break", title: "{p}", "{p}" }
                    }
                    if let Some(r) = c.referrer.as_ref() {
                        dt { {lang.pick("Came from", "Llegó desde")} }
                        dd { class: "break", title: "{r}", "{r}" }
                    }
                    if let Some(l) = c.locale.as_ref() {
                        dt { {lang.pick("Language", "Idioma")} }
                        dd { "{l}" }
                    }
                    if let Some(z) = c.timezone.as_ref() {
                        dt { {lang.pick("Time zone", "Zona horaria")} }
                        dd { "{z}" }
                    }
                    if let Some(ua) = c.user_agent.as_ref() {
                        dt { {lang.pick("Device", "Dispositivo")} }
                        dd { title: "{ua}", {device(ua)} }
                    }
                }
            }
            if can_history {
                EarlierChats { key: "{chat.chat_id}", visitor_id: chat.visitor.id.clone(), chat_id: chat.chat_id.clone() }
            }
        }
    }
}

/// A browser and system, read from a user agent ("Firefox on Linux"); the
/// whole string when neither is known.
pub fn device(ua: &str) -> String {
    let browser = if ua.contains("Edg/") {
        Some("Edge")
    } else if ua.contains("Firefox/") {
        Some("Firefox")
    } else if ua.contains("Chrome/") {
        Some("Chrome")
    } else if ua.contains("Safari/") {
        Some("Safari")
    } else {
        None
    };
    let system = if ua.contains("iPhone") || ua.contains("iPad") {
        Some("iOS")
    } else if ua.contains("Android") {
        Some("Android")
    } else if ua.contains("Windows") {
        Some("Windows")
    } else if ua.contains("Mac OS X") || ua.contains("Macintosh") {
        Some("macOS")
    } else if ua.contains("Linux") || ua.contains("X11") {
        Some("Linux")
    } else {
        None
    };
    match (browser, system) {
        (Some(b), Some(s)) => format!("{b} · {s}"),
        (Some(x), None) | (None, Some(x)) => x.to_owned(),
        (None, None) => ua.chars().take(60).collect(),
    }
}

/// The visitor's other chats (and those of the same e-mail), newest first;
/// one opens read-only over the console.
#[component]
fn EarlierChats(visitor_id: String, chat_id: String) -> Element {
    let ctx = use_context::<Ctx>();
    let lang = *ctx.lang.read();
    let now = *ctx.now.read();
    let mut reading = use_signal(|| None::<ChatEntry>);
    // Fetched again when the chat shown or its last activity changes.
    let updated = ctx
        .inbox
        .read()
        .as_ref()
        .and_then(|i| i.chat(&chat_id).map(|c| c.updated_at.clone()));
    let list = use_resource(use_reactive!(|(visitor_id, updated)| async move {
        let _ = updated;
        ipc::invoke(&cmd::VisitorChats { visitor_id }).await
    }));
    let offset = ipc::utc_offset_minutes();
    let earlier: Option<Vec<ChatEntry>> = match &*list.read() {
        Some(Ok(v)) => Some(v.iter().filter(|c| c.chat_id != chat_id).cloned().collect()),
        Some(Err(_)) | None => None,
    };
    rsx! {
        h3 { {lang.pick("Earlier chats", "Chats anteriores")} }
        match earlier {
            None => rsx! { p { class: "muted small", {lang.pick("Loading…", "Cargando…")} } },
            Some(v) if v.is_empty() => rsx! {
                p { class: "muted small", id: "earlier-none", {lang.pick("This is the visitor's first chat.", "Es el primer chat de este visitante.")} }
            },
            Some(v) => rsx! {
                ul { class: "earlier", id: "earlier-chats",
                    for c in v {
                        li {
                            button {
                                class: "earlier-chat link",
                                "data-chat-id": "{c.chat_id}",
                                onclick: {
                                    let c = c.clone();
                                    move |_| reading.set(Some(c.clone()))
                                },
                                span { class: "when",
                                    {switchboard_protocol::time::parse_millis(&c.created_at)
                                        .map(|ms| lang.day(CivilDay::of(ms, offset), CivilDay::of(now, offset)))
                                        .unwrap_or_default()}
                                }
                                span { class: "status {status_class(c.status)}", {lang.status(c.status)} }
                                span { class: "preview muted small", {crate::console::preview(lang, &c)} }
                            }
                        }
                    }
                }
            },
        }
        if let Some(c) = reading.read().clone() {
            ReadOnlyChat { chat: c, on_close: move |_| reading.set(None) }
        }
    }
}

/// An earlier chat to read, over the console (Esc or ✕ closes it).
#[component]
fn ReadOnlyChat(chat: ChatEntry, on_close: EventHandler<()>) -> Element {
    let ctx = use_context::<Ctx>();
    let lang = *ctx.lang.read();
    let now = *ctx.now.read();
    let id = chat.chat_id.clone();
    let messages = use_resource(move || {
        let chat_id = id.clone();
        async move { ipc::invoke(&cmd::ChatHistory { chat_id }).await }
    });
    use_effect(|| ipc::scroll::focus("history-close"));
    let offset = ipc::utc_offset_minutes();
    let (me, names) = {
        let inbox = ctx.inbox.read();
        let me = inbox.as_ref().map(|i| i.me().to_owned()).unwrap_or_default();
        let names: std::collections::HashMap<String, String> = inbox
            .as_ref()
            .map(|i| {
                i.agents
                    .values()
                    .map(|a| (a.id.clone(), a.name.clone()))
                    .collect()
            })
            .unwrap_or_default();
        (me, names)
    };
    let body = match &*messages.read() {
        None => rsx! { p { class: "muted", {lang.pick("Loading…", "Cargando…")} } },
        Some(Err(e)) => {
            rsx! { p { class: "field-error", {crate::toast::failure_text(lang, crate::toast::Doing::History, e)} } }
        }
        Some(Ok(list)) => {
            let rows = rows(lang, list, None, &me, offset, now);
            rsx! {
                for r in rows {
                    match r {
                        Row::Day(label) => rsx! { div { class: "day-separator", span { "{label}" } } },
                        Row::NewMarker => rsx! {},
                        Row::Message(m) => {
                            let a = author(&m, &me);
                            let name = match a {
                                Author::Visitor => chat.visitor.name.clone(),
                                Author::Me => lang.pick("You", "Tú").to_owned(),
                                Author::System => String::new(),
                                Author::OtherAgent => names.get(&m.sender_id).cloned()
                                    .unwrap_or_else(|| lang.pick("Another agent", "Otro agente").to_owned()),
                            };
                            rsx! { Bubble { key: "{m.key()}", message: *m, author: a, name, offset } }
                        }
                    }
                }
            }
        }
    };
    rsx! {
        div { class: "overlay", onclick: move |_| on_close.call(()),
            div {
                id: "history-view",
                class: "dialog history",
                role: "dialog",
                "aria-modal": "true",
                "data-chat-id": "{chat.chat_id}",
                onclick: move |e| e.stop_propagation(),
                onkeydown: move |e: KeyboardEvent| {
                    e.stop_propagation();
                    if e.key() == Key::Escape {
                        e.prevent_default();
                        on_close.call(());
                    }
                },
                div { class: "popover-head",
                    strong {
                        {match lang {
                            Lang::En => format!("{} · earlier chat (read-only)", chat.visitor.name),
                            Lang::Es => format!("{} · chat anterior (solo lectura)", chat.visitor.name),
                        }}
                    }
                    button { id: "history-close", class: "link", title: lang.pick("Close", "Cerrar"), onclick: move |_| on_close.call(()), "✕" }
                }
                if !chat.tags.is_empty() {
                    div { class: "tags",
                        for t in chat.tags.iter() { span { class: "tag", "{t}" } }
                    }
                }
                div { class: "timeline history-timeline", {body} }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::device;

    #[test]
    fn a_user_agent_reads_as_a_browser_and_a_system() {
        let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
        assert_eq!(device(firefox), "Firefox · Linux");
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1";
        assert_eq!(device(iphone), "Safari · iOS");
        let edge = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36 Edg/131.0";
        assert_eq!(device(edge), "Edge · Windows");
        assert_eq!(device("curl/8.5"), "curl/8.5");
    }
}

/// Closes the panel when it is a drawer (hidden by the stylesheet when the
/// panel is a column).
#[component]
fn DrawerClose(open: Signal<bool>) -> Element {
    let ctx = use_context::<Ctx>();
    let lang = *ctx.lang.read();
    rsx! {
        button {
            id: "close-drawer",
            class: "link drawer-close",
            title: lang.pick("Close the visitor panel", "Cerrar el panel del visitante"),
            onclick: move |_| open.set(false),
            "✕"
        }
    }
}
