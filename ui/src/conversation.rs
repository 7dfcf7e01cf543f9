//! The open chat: its header with Accept and Close, the timeline (only the
//! visible window of it is rendered), the composer with the reply / internal
//! note switch, and the visitor panel.

use dioxus::{core::spawn_forever, prelude::*};
use switchboard_model::{DeliveryStatus, LocalMessage, ipc::commands as cmd};
use switchboard_protocol::{ChatStatus, MessageType, SenderType};

use crate::{
    app::{Ctx, load_older},
    console::accept,
    i18n::{CivilDay, Lang, clock},
    icons::{Icon, Svg},
    ipc,
    settings::MuteButton,
    state::visible_window,
};

/// Rows rendered at most, whatever the length of the chat.
pub const WINDOW: usize = 80;
/// Rows the window moves by when scrolling past its edge.
const STEP: usize = 40;
/// The longest message the server takes.
pub const MAX_CHARS: usize = switchboard_protocol::MAX_CONTENT_CHARS;
/// Typing events: at most one `typing:start` per this many ms.
const TYPING_EVERY_MS: i64 = 3_000;
/// `typing:stop` after this long without a key.
const TYPING_IDLE_MS: u32 = 4_000;

/// Who wrote a message, as the timeline tells them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Author {
    /// The visitor.
    Visitor,
    /// Me.
    Me,
    /// Another agent.
    OtherAgent,
    /// The server (accepted, closed…).
    System,
}

/// Classifies a message for agent `me`.
pub fn author(m: &LocalMessage, me: &str) -> Author {
    match m.sender_type {
        SenderType::Visitor => Author::Visitor,
        SenderType::System => Author::System,
        SenderType::Agent if m.sender_id == me => Author::Me,
        SenderType::Agent => Author::OtherAgent,
    }
}

/// A row of the rendered timeline.
#[derive(Debug, Clone, PartialEq)]
pub enum Row {
    /// A day starts.
    Day(String),
    /// Where I had read up to.
    NewMarker,
    /// A message.
    Message(Box<LocalMessage>),
}

/// The rows of a window of messages: day separators before each new local
/// day and the "new" marker after the read marker.
pub fn rows(
    lang: Lang,
    messages: &[LocalMessage],
    read_marker: Option<&str>,
    offset_minutes: i64,
    now_ms: i64,
) -> Vec<Row> {
    let today = CivilDay::of(now_ms, offset_minutes);
    let mut out = Vec::with_capacity(messages.len() + 4);
    let mut last_day = None;
    let mut after_marker = false;
    for m in messages {
        let day = m
            .sent_at
            .as_deref()
            .and_then(switchboard_protocol::time::parse_millis)
            .map(|ms| CivilDay::of(ms, offset_minutes))
            .unwrap_or(today);
        if last_day != Some(day) {
            out.push(Row::Day(lang.day(day, today)));
            last_day = Some(day);
        }
        if after_marker && m.sender_type != SenderType::System {
            out.push(Row::NewMarker);
            after_marker = false;
        }
        if read_marker.is_some() && m.message_id.as_deref() == read_marker {
            after_marker = true;
        }
        out.push(Row::Message(Box::new(m.clone())));
    }
    out
}

/// One message.
#[component]
pub fn Bubble(message: LocalMessage, author: Author, name: String, offset: i64) -> Element {
    let ctx = try_use_context::<Ctx>();
    let lang = ctx.map(|c| *c.lang.read()).unwrap_or_default();
    let m = &message;
    let base = match author {
        Author::Visitor => "bubble visitor",
        Author::Me => "bubble me",
        Author::OtherAgent => "bubble agent",
        Author::System => "bubble system",
    };
    let class = if m.is_internal {
        format!("{base} internal")
    } else {
        base.to_owned()
    };
    let time = m
        .sent_at
        .as_deref()
        .and_then(switchboard_protocol::time::parse_millis)
        .map(|ms| clock(ms, offset))
        .unwrap_or_default();
    let status = match m.status {
        DeliveryStatus::Sending => Some(("status-sending", lang.pick("Sending…", "Enviando…"))),
        DeliveryStatus::Failed => Some(("status-failed", lang.pick("Not sent", "No enviado"))),
        DeliveryStatus::Sent if author == Author::Me => Some(("status-sent", lang.pick("Sent", "Enviado"))),
        DeliveryStatus::Sent => None,
    };
    let cmid = m.client_message_id.clone().unwrap_or_default();
    let key = m.key().to_owned();
    if author == Author::System {
        return rsx! {
            div { class: "{class}", id: "msg-{key}", "data-key": "{key}",
                span { "{m.content}" }
                span { class: "time", " · {time}" }
            }
        };
    }
    rsx! {
        div { class: "{class}", id: "msg-{key}", "data-key": "{key}", "data-status": status.map(|s| s.0).unwrap_or("received"),
            div { class: "bubble-head",
                if m.is_internal {
                    span { class: "note-label", title: lang.pick("Only agents see internal notes", "Solo los agentes ven las notas internas"),
                        Svg { icon: Icon::Lock }
                        " " {lang.pick("Internal note", "Nota interna")}
                    }
                }
                span { class: "author", "{name}" }
            }
            if !m.content.is_empty() {
                div { class: "content", "{m.content}" }
            }
            if let Some(a) = &m.attachment {
                if m.kind == MessageType::Image && a.mime_type.starts_with("image/") {
                    ImagePreview { url: a.url.clone(), mime: a.mime_type.clone(), name: a.file_name.clone() }
                } else {
                    div { class: "file", Svg { icon: Icon::Clip } " {a.file_name} · {lang.size(a.file_size)}" }
                }
            }
            div { class: "bubble-foot",
                span { class: "time", "{time}" }
                if let Some((cls, text)) = status {
                    span { class: "delivery {cls}", "{text}" }
                }
                if m.status == DeliveryStatus::Failed {
                    if let Some(err) = &m.error {
                        span { class: "error small", " {err}" }
                    }
                    button {
                        class: "link retry",
                        onclick: move |_| {
                            let cmid = cmid.clone();
                            spawn_forever(async move {
                                if let Err(e) = ipc::invoke(&cmd::Retry { client_message_id: cmid }).await
                                    && let Some(mut ctx) = ctx
                                {
                                    ctx.toast.set(Some(e.message));
                                }
                            });
                        },
                        {lang.pick("Retry", "Reintentar")}
                    }
                }
            }
        }
    }
}

#[component]
fn ImagePreview(url: String, mime: String, name: String) -> Element {
    let src = use_resource(move || {
        let (url, mime) = (url.clone(), mime.clone());
        async move { ipc::blob_url(&cmd::GetAttachment { url }, &mime).await.ok() }
    });
    match src.read().as_ref() {
        Some(Some(src)) => rsx! { img { class: "preview", src: "{src}", alt: "{name}" } },
        _ => rsx! { div { class: "preview loading", Svg { icon: Icon::Image } " {name}" } },
    }
}

/// The open chat.
#[component]
pub fn Conversation() -> Element {
    let mut ctx = use_context::<Ctx>();
    let lang = *ctx.lang.read();
    let now = *ctx.now.read();
    // `None`: pinned to the newest message.
    let mut window_end = use_signal(|| None::<usize>);
    // The row to keep in place when the window moves: (key, its offsetTop
    // before, its distance from the top of the view).
    let mut anchor = use_signal(|| None::<(String, f64, f64)>);
    let mut loading = use_signal(|| false);
    // Whether the agent is at the newest message: new ones then scroll into
    // view; someone reading further up is left where they are.
    let mut stick = use_signal(|| true);
    let selected = ctx.selected.read().clone();
    let mut last_selected = use_signal(|| None::<String>);
    if *last_selected.peek() != selected {
        last_selected.set(selected.clone());
        window_end.set(None);
        stick.set(true);
    }

    // After each render: keep the newest message in view when pinned, or
    // keep the row the agent was looking at in place after the window moved.
    use_effect(move || {
        let _ = ctx.timeline.read();
        let pinned = window_end.read().is_none();
        let pending = anchor.write().take();
        // Effects run as the render is diffed; the page gets the new rows a
        // frame later. Measure and scroll once it has them.
        spawn(async move {
            if let Some((key, before, offset)) = pending {
                let id = format!("msg-{key}");
                for _ in 0..30 {
                    ipc::sleep(16).await;
                    match ipc::scroll::offset_top(&id) {
                        Some(top) if (top - before).abs() > 0.5 => {
                            ipc::scroll::set_top("timeline", top - offset);
                            return;
                        }
                        Some(_) => {}
                        None => return,
                    }
                }
            } else if pinned && *stick.peek() {
                ipc::sleep(16).await;
                if let Some((_, height, _)) = ipc::scroll::metrics("timeline") {
                    ipc::scroll::set_top("timeline", height);
                }
            }
        });
    });

    let Some(chat_id) = selected else {
        return rsx! {
            section { class: "conversation empty",
                p { class: "muted", {lang.pick("Pick a chat on the left, or press Ctrl+K.", "Elige un chat a la izquierda o pulsa Ctrl+K.")} }
            }
        };
    };
    let (chat, me, typing_name) = {
        let inbox = ctx.inbox.read();
        let Some(inbox) = inbox.as_ref() else {
            return rsx! {};
        };
        let chat = inbox.chat(&chat_id).cloned();
        let typing_name = inbox.typing.get(&chat_id).and_then(|s| {
            s.iter().find(|u| *u != inbox.me()).map(|u| {
                if chat.as_ref().is_some_and(|c| c.visitor.id == *u) {
                    chat.as_ref().map(|c| c.visitor.name.clone()).unwrap_or_default()
                } else {
                    inbox.agent_name(u).unwrap_or("…").to_owned()
                }
            })
        });
        (chat, inbox.me().to_owned(), typing_name)
    };
    let Some(chat) = chat else {
        return rsx! { section { class: "conversation empty" } };
    };
    let offset = ipc::utc_offset_minutes();
    let (window_rows, start, end, len, has_older) = {
        let t = ctx.timeline.read();
        match t.as_ref().filter(|t| t.chat_id == chat_id) {
            Some(t) => {
                let range = visible_window(t.messages.len(), *window_end.read(), WINDOW);
                let rows = rows(
                    lang,
                    &t.messages[range.clone()],
                    t.read_marker.as_deref(),
                    offset,
                    now,
                );
                (rows, range.start, range.end, t.messages.len(), t.has_older)
            }
            None => (Vec::new(), 0, 0, 0, false),
        }
    };
    let bubbles: Vec<(Row, Author, String)> = {
        let inbox = ctx.inbox.read();
        let inbox = inbox.as_ref();
        let visitor = chat.visitor.name.clone();
        window_rows
            .into_iter()
            .map(|r| match &r {
                Row::Message(m) => {
                    let a = author(m, &me);
                    let n = match a {
                        Author::Visitor => visitor.clone(),
                        Author::Me => lang.pick("You", "Tú").to_owned(),
                        Author::System => String::new(),
                        Author::OtherAgent => inbox
                            .and_then(|i| i.agent_name(&m.sender_id).map(str::to_owned))
                            .unwrap_or_else(|| lang.pick("Another agent", "Otro agente").to_owned()),
                    };
                    (r, a, n)
                }
                _ => (r, Author::System, String::new()),
            })
            .collect()
    };
    let first_key = bubbles.iter().find_map(|(r, _, _)| match r {
        Row::Message(m) => Some(m.key().to_owned()),
        _ => None,
    });
    let last_key = bubbles.iter().rev().find_map(|(r, _, _)| match r {
        Row::Message(m) => Some(m.key().to_owned()),
        _ => None,
    });

    // Near the top: move the window up within what is held, or load the
    // page before it and move into it. Either way the row the agent looks at
    // stays in place and the view keeps room to scroll further up.
    let go_up = move |top: f64| {
        if *loading.peek() {
            return;
        }
        if start > 0 {
            if let Some(k) = &first_key
                && let Some(off) = ipc::scroll::offset_top(&format!("msg-{k}"))
            {
                anchor.set(Some((k.clone(), off, off - top)));
            }
            window_end.set(Some(end.saturating_sub(STEP).max(WINDOW.min(len))));
        } else if has_older {
            loading.set(true);
            let key = first_key.clone();
            spawn(async move {
                let before = key
                    .as_ref()
                    .and_then(|k| ipc::scroll::offset_top(&format!("msg-{k}")))
                    .zip(ipc::scroll::metrics("timeline"))
                    .map(|(off, (top, _, _))| (off, off - top));
                let added = load_older(ctx).await;
                if added > 0 {
                    if let (Some(k), Some((off, rel))) = (key, before) {
                        anchor.set(Some((k, off, rel)));
                    }
                    // The window shifts with the prepend, then STEP rows up
                    // into the new page.
                    let shifted = end + added;
                    window_end.set(Some(shifted.saturating_sub(STEP).max(WINDOW.min(len + added))));
                }
                loading.set(false);
            });
        }
    };
    // Near the bottom of a window that is not the newest: move it down,
    // keeping the last row in place.
    let go_down = move |top: f64| {
        if window_end.peek().is_none() {
            return;
        }
        if let Some(k) = &last_key
            && let Some(off) = ipc::scroll::offset_top(&format!("msg-{k}"))
        {
            anchor.set(Some((k.clone(), off, off - top)));
        }
        let next = end + STEP;
        window_end.set(if next >= len { None } else { Some(next) });
    };
    let mut go_up_wheel = go_up.clone();
    let mut go_up_scroll = go_up;
    let mut go_down_wheel = go_down.clone();
    let mut go_down_scroll = go_down;
    let onscroll = move |e: ScrollEvent| {
        let top = e.scroll_top();
        let bottom_gap = f64::from(e.scroll_height()) - top - f64::from(e.client_height());
        let at_bottom = bottom_gap < 60.0;
        if *stick.peek() != at_bottom {
            stick.set(at_bottom);
        }
        if top < 150.0 {
            go_up_scroll(top);
        } else if bottom_gap < 120.0 {
            go_down_scroll(top);
        }
    };
    // At the very top a wheel turn scrolls nothing, so no scroll event comes.
    let onwheel = move |e: WheelEvent| {
        let dy = e.delta().strip_units().y;
        let Some((top, height, view)) = ipc::scroll::metrics("timeline") else {
            return;
        };
        if dy < 0.0 && top < 150.0 {
            go_up_wheel(top);
        } else if dy > 0.0 && height - top - view < 120.0 {
            go_down_wheel(top);
        }
    };

    let status = chat.status;
    let accept_id = chat.chat_id.clone();
    let close_id = chat.chat_id.clone();
    let visitor_name = chat.visitor.name.clone();
    let subject = chat.subject.clone();
    rsx! {
        section { class: "conversation", "data-chat-id": "{chat_id}",
            div { class: "conversation-head",
                div {
                    h2 { id: "conversation-title", "{visitor_name}" }
                    if let Some(s) = subject {
                        div { class: "muted small", "{s}" }
                    }
                }
                div { class: "spacer" }
                span { class: "status {status_class(status)}", {lang.status(status)} }
                MuteButton { chat_id: chat_id.clone() }
                if status == ChatStatus::Pending {
                    button { id: "accept", class: "primary", onclick: move |_| accept(ctx, accept_id.clone()),
                        {lang.pick("Accept", "Aceptar")}
                    }
                }
                if status != ChatStatus::Closed {
                    button {
                        id: "close-chat",
                        class: "secondary",
                        onclick: move |_| {
                            let id = close_id.clone();
                            spawn_forever(async move {
                                if let Err(e) = ipc::invoke(&cmd::Close { chat_id: id }).await {
                                    ctx.toast.set(Some(e.message));
                                }
                            });
                        },
                        {lang.pick("Close chat", "Cerrar chat")}
                    }
                }
            }
            div { id: "timeline", class: "timeline", onscroll, onwheel,
                if start == 0 && !has_older && len > 0 {
                    div { class: "timeline-start muted small", {lang.pick("Start of the conversation", "Inicio de la conversación")} }
                }
                if *loading.read() {
                    div { class: "timeline-start muted small", {lang.pick("Loading older messages…", "Cargando mensajes anteriores…")} }
                }
                for (row, a, name) in bubbles {
                    match row {
                        Row::Day(label) => rsx! { div { key: "day-{label}", class: "day-separator", span { "{label}" } } },
                        Row::NewMarker => rsx! { div { key: "new-marker-{chat_id}", class: "new-marker", span { {lang.pick("New", "Nuevos")} } } },
                        Row::Message(m) => rsx! { Bubble { key: "{m.key()}", message: *m.clone(), author: a, name, offset } },
                    }
                }
            }
            div { class: "typing-line", id: "typing-line",
                if let Some(who) = typing_name {
                    span { "{lang.typing(&who)}" }
                }
            }
            Composer { chat_id: chat_id.clone(), status }
        }
    }
}

fn status_class(s: ChatStatus) -> &'static str {
    match s {
        ChatStatus::Pending => "pending",
        ChatStatus::InProgress => "in-progress",
        ChatStatus::Closed => "closed",
    }
}

/// The composer of a chat.
#[component]
pub fn Composer(chat_id: String, status: ChatStatus) -> Element {
    let ctx = try_use_context::<Ctx>();
    let lang = ctx.map(|c| *c.lang.read()).unwrap_or_default();
    let mut text = use_signal(String::new);
    let mut note = use_signal(|| false);
    let mut error = use_signal(|| None::<String>);
    let mut typing_sent_at = use_signal(|| 0i64);
    let mut typing_gen = use_signal(|| 0u64);
    // A draft and its mode belong to one chat: switching chats starts afresh.
    let mut drafted_for = use_signal(|| chat_id.clone());
    if *drafted_for.peek() != chat_id {
        drafted_for.set(chat_id.clone());
        text.set(String::new());
        note.set(false);
        error.set(None);
    }
    let closed = status == ChatStatus::Closed;
    let chars = text.read().chars().count();
    let too_long = chars > MAX_CHARS;

    let id_for_send = chat_id.clone();
    let send = move || {
        let content = text.peek().clone();
        if content.trim().is_empty() || closed {
            return;
        }
        if content.chars().count() > MAX_CHARS {
            error.set(Some(match lang {
                Lang::En => format!("Messages are limited to {MAX_CHARS} characters."),
                Lang::Es => format!("Los mensajes tienen un máximo de {MAX_CHARS} caracteres."),
            }));
            return;
        }
        let internal = *note.peek();
        let chat_id = id_for_send.clone();
        text.set(String::new());
        error.set(None);
        typing_sent_at.set(0);
        spawn(async move {
            let _ = ipc::invoke(&cmd::Typing {
                chat_id: chat_id.clone(),
                typing: false,
            })
            .await;
            if let Err(e) = ipc::invoke(&cmd::Send {
                chat_id,
                content: content.clone(),
                internal,
            })
            .await
            {
                // Nothing is lost: the text comes back to the composer.
                text.set(content);
                error.set(Some(e.message));
            }
        });
    };
    let mut send_key = send.clone();
    let mut send_click = send;

    let id_for_typing = chat_id.clone();
    let oninput = move |e: FormEvent| {
        text.set(e.value());
        let now = ipc::now_ms();
        let chat_id = id_for_typing.clone();
        if now - *typing_sent_at.peek() > TYPING_EVERY_MS {
            typing_sent_at.set(now);
            let id = chat_id.clone();
            spawn(async move {
                let _ = ipc::invoke(&cmd::Typing {
                    chat_id: id,
                    typing: true,
                })
                .await;
            });
        }
        let generation = *typing_gen.peek() + 1;
        typing_gen.set(generation);
        spawn(async move {
            ipc::sleep(TYPING_IDLE_MS).await;
            if *typing_gen.peek() == generation && *typing_sent_at.peek() != 0 {
                typing_sent_at.set(0);
                let _ = ipc::invoke(&cmd::Typing {
                    chat_id: chat_id.clone(),
                    typing: false,
                })
                .await;
            }
        });
    };

    let id_for_file = chat_id.clone();
    let onfile = move |e: FormEvent| {
        let files = e.files();
        let chat_id = id_for_file.clone();
        let internal = *note.peek();
        let caption = text.peek().clone();
        spawn(async move {
            for f in files {
                if f.size() > switchboard_protocol::DEFAULT_MAX_UPLOAD_BYTES {
                    error.set(Some(format!(
                        "{}: {} ({})",
                        f.name(),
                        lang.pick("too large to send", "demasiado grande para enviar"),
                        lang.size(f.size())
                    )));
                    continue;
                }
                match f.read_bytes().await {
                    Ok(bytes) => {
                        let name = f.name();
                        let res = ipc::invoke(&cmd::SendFile {
                            chat_id: chat_id.clone(),
                            file_name: name,
                            bytes: bytes.to_vec(),
                            caption: caption.clone(),
                            internal,
                        })
                        .await;
                        match res {
                            Ok(_) => text.set(String::new()),
                            Err(e) => error.set(Some(e.message)),
                        }
                    }
                    Err(e) => error.set(Some(e.to_string())),
                }
            }
        });
    };

    let mode_class = if *note.read() { "composer note" } else { "composer" };
    let placeholder = match (closed, *note.read()) {
        (true, _) => lang.pick(
            "This chat is closed: the visitor has left and nothing more can be sent.",
            "Este chat está cerrado: el visitante se ha ido y no se puede enviar nada más.",
        ),
        (false, true) => lang.pick(
            "Internal note: only agents will see this…",
            "Nota interna: solo la verán los agentes…",
        ),
        (false, false) => lang.pick(
            "Reply to the visitor… (Enter sends, Shift+Enter new line)",
            "Responde al visitante… (Intro envía, Mayús+Intro nueva línea)",
        ),
    };
    rsx! {
        div { class: mode_class, id: "composer", "data-mode": if *note.read() { "note" } else { "reply" },
            div { class: "mode-switch", role: "radiogroup",
                button {
                    id: "mode-reply",
                    class: if *note.read() { "mode" } else { "mode active" },
                    role: "radio",
                    "aria-checked": !*note.read(),
                    disabled: closed,
                    onclick: move |_| note.set(false),
                    Svg { icon: Icon::Chat }
                    " " {lang.pick("Reply", "Respuesta")}
                }
                button {
                    id: "mode-note",
                    class: if *note.read() { "mode active note" } else { "mode" },
                    role: "radio",
                    "aria-checked": *note.read(),
                    disabled: closed,
                    onclick: move |_| note.set(true),
                    Svg { icon: Icon::Lock }
                    " " {lang.pick("Internal note", "Nota interna")}
                }
                if *note.read() {
                    span { class: "note-warning", {lang.pick("Only agents see this. The visitor does not.", "Solo lo ven los agentes. El visitante no.")} }
                }
            }
            if closed {
                p { class: "closed-explain muted", id: "composer-closed", {placeholder} }
            } else {
                div { class: "composer-row",
                    textarea {
                        id: "composer-input",
                        rows: "3",
                        placeholder,
                        value: "{text}",
                        "aria-invalid": too_long,
                        oninput,
                        onkeydown: move |e: KeyboardEvent| {
                            if e.key() == Key::Enter && !e.modifiers().shift() {
                                e.prevent_default();
                                send_key();
                            }
                        },
                    }
                    div { class: "composer-actions",
                        label { class: "icon-button attach", title: lang.pick("Attach a file (up to 10 MB)", "Adjuntar un archivo (hasta 10 MB)"),
                            Svg { icon: Icon::Clip }
                            input { id: "attach", r#type: "file", class: "hidden", onchange: onfile }
                        }
                        button {
                            id: "send",
                            class: if *note.read() { "primary note" } else { "primary" },
                            disabled: text.read().trim().is_empty() || too_long,
                            onclick: move |_| send_click(),
                            if *note.read() { {lang.pick("Add note", "Añadir nota")} } else { {lang.pick("Send", "Enviar")} }
                        }
                    }
                }
                if too_long {
                    p { class: "error small", "{chars} / {MAX_CHARS}" }
                }
            }
            if let Some(e) = error.read().as_ref() {
                p { class: "error small", role: "alert", "{e}" }
            }
        }
    }
}

/// The visitor panel on the right.
#[component]
pub fn VisitorPanel() -> Element {
    let ctx = use_context::<Ctx>();
    let lang = *ctx.lang.read();
    let now = *ctx.now.read();
    let selected = ctx.selected.read().clone();
    let inbox = ctx.inbox.read();
    let Some((chat, assignee)) = inbox.as_ref().and_then(|i| {
        let c = i.chat(selected.as_deref()?)?.clone();
        let a = c
            .assignee_id
            .as_deref()
            .map(|a| i.agent_name(a).unwrap_or(a).to_owned());
        Some((c, a))
    }) else {
        return rsx! { aside { class: "visitor-panel" } };
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
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(id: &str, at: &str, sender: &str, kind: SenderType) -> LocalMessage {
        LocalMessage {
            message_id: Some(id.into()),
            chat_id: "c".into(),
            sender_id: sender.into(),
            sender_type: kind,
            content: format!("text {id}"),
            kind: MessageType::Text,
            is_internal: false,
            is_first_response: false,
            sent_at: Some(at.into()),
            client_message_id: None,
            attachment: None,
            status: DeliveryStatus::Sent,
            error: None,
        }
    }

    #[test]
    fn rows_have_day_separators_and_the_new_marker() {
        let msgs = vec![
            m("1", "2026-11-22T10:00:00.000Z", "v", SenderType::Visitor),
            m("2", "2026-11-23T10:00:00.000Z", "v", SenderType::Visitor),
            m("3", "2026-11-23T10:01:00.000Z", "me", SenderType::Agent),
            m("4", "2026-11-24T09:00:00.000Z", "v", SenderType::Visitor),
        ];
        let now = switchboard_protocol::time::parse_millis("2026-11-24T12:00:00.000Z").unwrap();
        let r = rows(Lang::En, &msgs, Some("3"), 0, now);
        let shape: Vec<String> = r
            .iter()
            .map(|r| match r {
                Row::Day(d) => format!("day:{d}"),
                Row::NewMarker => "new".into(),
                Row::Message(m) => m.message_id.clone().unwrap(),
            })
            .collect();
        assert_eq!(
            shape,
            [
                "day:November 22, 2026",
                "1",
                "day:Yesterday",
                "2",
                "3",
                "day:Today",
                "new",
                "4"
            ]
        );
    }

    #[test]
    fn authors_are_told_apart() {
        let v = m("1", "t", "v", SenderType::Visitor);
        let mine = m("2", "t", "me", SenderType::Agent);
        let theirs = m("3", "t", "ana", SenderType::Agent);
        let sys = m("4", "t", "c", SenderType::System);
        assert_eq!(author(&v, "me"), Author::Visitor);
        assert_eq!(author(&mine, "me"), Author::Me);
        assert_eq!(author(&theirs, "me"), Author::OtherAgent);
        assert_eq!(author(&sys, "me"), Author::System);
    }

    #[test]
    fn message_text_is_rendered_as_text_never_html() {
        let mut msg = m("1", "2026-11-24T10:00:00.000Z", "v", SenderType::Visitor);
        msg.content = "<img src=x onerror=alert(1)><script>alert(2)</script>".into();
        let html = dioxus_ssr::render_element(rsx! {
            Bubble { message: msg, author: Author::Visitor, name: "<b>Eve</b>".to_owned(), offset: 0i64 }
        });
        assert!(!html.contains("<img"), "{html}");
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<b>"), "{html}");
        assert!(html.contains("&#60;img src=x onerror=alert(1)&#62;"), "{html}");
    }

    #[test]
    fn internal_notes_are_unmistakable() {
        let mut note = m("1", "2026-11-24T10:00:00.000Z", "me", SenderType::Agent);
        note.is_internal = true;
        let html = dioxus_ssr::render_element(rsx! {
            Bubble { message: note, author: Author::Me, name: "You".to_owned(), offset: 0i64 }
        });
        assert!(html.contains("bubble me internal"), "{html}");
        assert!(html.contains("<svg"), "the lock icon: {html}");
        assert!(html.contains("Internal note"), "{html}");
    }

    #[test]
    fn a_failed_message_offers_retry_and_says_why() {
        let mut failed = m("x", "", "me", SenderType::Agent);
        failed.message_id = None;
        failed.sent_at = None;
        failed.client_message_id = Some("cm".into());
        failed.status = DeliveryStatus::Failed;
        failed.error = Some("the chat is closed".into());
        let html = dioxus_ssr::render_element(rsx! {
            Bubble { message: failed, author: Author::Me, name: "You".to_owned(), offset: 0i64 }
        });
        assert!(html.contains("Not sent"), "{html}");
        assert!(html.contains("Retry"), "{html}");
        assert!(html.contains("the chat is closed"), "{html}");
    }

    #[test]
    fn a_closed_chat_explains_why_the_composer_is_off() {
        let html = dioxus_ssr::render_element(rsx! {
            Composer { chat_id: "c".to_owned(), status: ChatStatus::Closed }
        });
        assert!(html.contains("This chat is closed"), "{html}");
        assert!(!html.contains("composer-input"), "{html}");
        let open = dioxus_ssr::render_element(rsx! {
            Composer { chat_id: "c".to_owned(), status: ChatStatus::InProgress }
        });
        assert!(open.contains("composer-input"), "{open}");
        assert!(open.contains("Internal note"), "{open}");
    }

    #[test]
    fn ten_thousand_messages_render_a_window_not_the_whole_chat() {
        let msgs: Vec<LocalMessage> = (0..10_000)
            .map(|i| {
                m(
                    &i.to_string(),
                    &format!("2026-11-24T10:{:02}:{:02}.000Z", (i / 60) % 60, i % 60),
                    "v",
                    SenderType::Visitor,
                )
            })
            .collect();
        let range = visible_window(msgs.len(), None, WINDOW);
        let now = switchboard_protocol::time::parse_millis("2026-11-24T12:00:00.000Z").unwrap();
        let r = rows(Lang::En, &msgs[range], None, 0, now);
        let rendered = r.iter().filter(|r| matches!(r, Row::Message(_))).count();
        assert_eq!(rendered, WINDOW);
        assert!(matches!(r.last(), Some(Row::Message(m)) if m.message_id.as_deref() == Some("9999")));
    }
}
