//! The open chat: its header with Accept and Close, the timeline (only the
//! visible window of it is rendered), the composer with the reply / internal
//! note switch, and the visitor panel.

use dioxus::{core::spawn_forever, prelude::*};
use switchboard_model::{ChatEntry, DeliveryStatus, LocalMessage, ipc::commands as cmd};
use switchboard_protocol::{ChatStatus, MessageType};

use crate::{
    controller::{Ctx, accept, load_older, mark_read, open_chat},
    dialog::Confirm,
    i18n::{CivilDay, Lang, clock},
    icons::{Icon, Svg},
    ipc,
    rows::{Author, Row, author, new_marker_at, rows, status_class},
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

mod bubble;
mod composer;
mod tags;
mod viewer;
mod visitor;

pub use self::{bubble::Bubble, composer::Composer, viewer::Viewer, visitor::VisitorPanel};

/// The open chat.
#[component]
pub fn Conversation() -> Element {
    let ctx = use_context::<Ctx>();
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
    // How many of the timeline's messages the agent has had in view (the
    // rest count as newer on the "jump to latest" button), the chat whose
    // opening position is set, and whether to bring its "New" line into view.
    let mut seen_len = use_signal(|| 0usize);
    let mut opened = use_signal(|| None::<String>);
    let mut to_marker = use_signal(|| false);
    // The newest message's key: my own new message always comes into view.
    let mut newest = use_signal(|| None::<String>);
    // Where the last scroll event left the timeline (scrollTop).
    let mut known_top = use_signal(|| 0f64);
    // "Close the chat with …?" is open.
    let mut confirm_close = use_signal(|| false);
    let mut choose_transfer = use_signal(|| false);
    // The search hit placed in view last, and the one to bring into view.
    let mut placed = use_signal(|| None::<String>);
    let mut to_found = use_signal(|| None::<String>);
    if *last_selected.peek() != selected {
        last_selected.set(selected.clone());
        known_top.set(0.0);
        window_end.set(None);
        stick.set(true);
        opened.set(None);
        newest.set(None);
    }

    // After each render: keep the newest message in view when pinned, or
    // keep the row the agent was looking at in place after the window moved.
    use_effect(move || {
        let _ = ctx.timeline.read();
        let pinned = window_end.read().is_none();
        let pending = anchor.write().take();
        let marker = std::mem::take(&mut *to_marker.write());
        let found = to_found.write().take();
        // Effects run as the render is diffed; the page gets the new rows a
        // frame later. Measure and scroll once it has them.
        spawn(async move {
            if let Some(key) = found {
                // Opened at a search hit: it, a third of the way down.
                let id = format!("msg-{key}");
                for _ in 0..30 {
                    ipc::sleep(16).await;
                    if let (Some(top), Some((_, _, view))) =
                        (ipc::scroll::offset_top(&id), ipc::scroll::metrics("timeline"))
                    {
                        ipc::scroll::set_top("timeline", top - view / 3.0);
                        break;
                    }
                }
                if let Some((top, height, view)) = ipc::scroll::metrics("timeline") {
                    stick.set(height - top - view < 60.0);
                }
            } else if marker {
                // Opened with unread messages: the first of them, under its
                // "New" line, near the top of the view.
                for _ in 0..30 {
                    ipc::sleep(16).await;
                    if let Some(top) = ipc::scroll::offset_top("new-marker") {
                        ipc::scroll::set_top("timeline", top - 48.0);
                        break;
                    }
                }
                if let Some((top, height, view)) = ipc::scroll::metrics("timeline") {
                    stick.set(height - top - view < 60.0);
                }
                spawn_forever(mark_read(ctx));
            } else if let Some((key, before, offset)) = pending {
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
                // Still pinned a frame later? (Opening a chat at its first
                // unread unpins it meanwhile: then this must not scroll,
                // nor count the newest as seen.)
                if !*stick.peek() || window_end.peek().is_some() {
                    return;
                }
                let Some((top, height, _)) = ipc::scroll::metrics("timeline") else {
                    return;
                };
                // The view is above where the last scroll event left it:
                // the agent scrolled up and the event that unpins the view
                // has not come yet. Theirs is the last word.
                if top < *known_top.peek() - 1.0 {
                    return;
                }
                ipc::scroll::set_top("timeline", height);
                // What just came into view counts as read.
                spawn_forever(mark_read(ctx));
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
        let typing_name = inbox.typist_in(&chat_id);
        (chat, inbox.me().to_owned(), typing_name)
    };
    // A colleague holds it: named when the team list knows them.
    let held_by = {
        let inbox = ctx.inbox.read();
        chat.as_ref()
            .and_then(|c| c.assignee_id.clone())
            .filter(|a| *a != me)
            .map(|a| {
                inbox
                    .as_ref()
                    .and_then(|i| i.agent_name(&a).map(str::to_owned))
                    .unwrap_or_else(|| lang.pick("Another agent", "Otro agente").to_owned())
            })
    };
    let Some(chat) = chat else {
        return rsx! { section { class: "conversation empty" } };
    };
    let offset = ipc::utc_offset_minutes();
    {
        // The timeline of this chat has arrived: where to open it, and
        // whether its newest message is a new one of mine.
        let t = ctx.timeline.peek();
        if let Some(t) = t.as_ref().filter(|t| t.chat_id == chat_id) {
            let len = t.messages.len();
            let found = ctx.found.peek().clone();
            let hit = found
                .filter(|f| placed.peek().as_deref() != Some(f.as_str()))
                .and_then(|f| {
                    let i = t
                        .messages
                        .iter()
                        .position(|m| m.message_id.as_deref() == Some(f.as_str()))?;
                    Some((f, i))
                });
            if let Some((f, i)) = hit {
                // A search opened it here: the hit in the window, in view.
                placed.set(Some(f));
                opened.set(Some(chat_id.clone()));
                seen_len.set(len);
                stick.set(false);
                to_found.set(Some(t.messages[i].key().to_owned()));
                let end = i + WINDOW / 2;
                window_end.set((end < len).then_some(end));
            } else if opened.peek().as_deref() != Some(chat_id.as_str()) {
                opened.set(Some(chat_id.clone()));
                match new_marker_at(&t.messages, t.read_marker.as_deref(), &me) {
                    Some(first_unread) => {
                        seen_len.set(first_unread);
                        to_marker.set(true);
                        // Not pinned to the bottom meanwhile (a batch of
                        // changes re-renders before the marker is placed).
                        stick.set(false);
                        // The window holds the first unread, with what
                        // came before it above.
                        let end = first_unread + WINDOW / 2;
                        window_end.set((end < len).then_some(end));
                    }
                    None => seen_len.set(len),
                }
            }
            let last = t.messages.last();
            let key = last.map(|m| m.key().to_owned());
            if *newest.peek() != key {
                let had = newest.peek().is_some();
                newest.set(key);
                if had && last.is_some_and(|m| author(m, &me) == Author::Me) {
                    window_end.set(None);
                    stick.set(true);
                }
            }
        }
    }
    let (window_rows, start, end, len, has_older, has_newer) = {
        let t = ctx.timeline.read();
        match t.as_ref().filter(|t| t.chat_id == chat_id) {
            Some(t) => {
                let range = visible_window(t.messages.len(), *window_end.read(), WINDOW);
                let rows = rows(
                    lang,
                    &t.messages[range.clone()],
                    t.read_marker.as_deref(),
                    &me,
                    offset,
                    now,
                );
                (
                    rows,
                    range.start,
                    range.end,
                    t.messages.len(),
                    t.has_older,
                    t.has_newer,
                )
            }
            None => (Vec::new(), 0, 0, 0, false, false),
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
        known_top.set(top);
        let bottom_gap = f64::from(e.scroll_height()) - top - f64::from(e.client_height());
        let at_bottom = bottom_gap < 60.0;
        if *stick.peek() != at_bottom {
            stick.set(at_bottom);
            if at_bottom {
                spawn_forever(mark_read(ctx));
            }
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

    // Seen up to the newest while at it; newer ones counted while away.
    if window_end.peek().is_none() && *stick.peek() && !*to_marker.peek() && *seen_len.peek() != len {
        seen_len.set(len);
    }
    let newer = len.saturating_sub(*seen_len.read());
    let status = chat.status;
    // v2.1: transfer (a waiting chat, or mine) and reopen, where the server offers them.
    let (can_transfer, can_reopen, colleagues) = {
        let inbox = ctx.inbox.read();
        match inbox.as_ref() {
            Some(i) => {
                let me = i.me().to_owned();
                let mine = chat.assignee_id.as_deref() == Some(me.as_str());
                let mut others: Vec<switchboard_protocol::AgentPresence> = i
                    .agents
                    .values()
                    .filter(|a| a.id != me && !a.name.is_empty())
                    .cloned()
                    .collect();
                others.sort_by(|a, b| a.name.cmp(&b.name));
                (
                    i.offers(switchboard_protocol::feature::TRANSFER)
                        && (status == ChatStatus::Pending || status == ChatStatus::InProgress && mine),
                    i.offers(switchboard_protocol::feature::REOPEN) && status == ChatStatus::Closed,
                    others,
                )
            }
            None => (false, false, Vec::new()),
        }
    };
    let transfer_id = chat.chat_id.clone();
    let reopen_id = chat.chat_id.clone();
    let accept_id = chat.chat_id.clone();
    let close_id = chat.chat_id.clone();
    let visitor_name = chat.visitor.name.clone();
    let subject = chat.subject.clone();
    rsx! {
        section { class: "conversation", "data-chat-id": "{chat_id}",
            div { class: "conversation-head",
                div {
                    h2 { id: "conversation-title", "data-chat": "{chat_id}", "{visitor_name}" }
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
                if can_transfer {
                    div { class: "transfer",
                        button {
                            id: "transfer",
                            class: "secondary",
                            "aria-expanded": "{choose_transfer.read()}",
                            onclick: move |_| { let open = *choose_transfer.peek(); choose_transfer.set(!open); },
                            {lang.pick("Transfer", "Transferir")}
                        }
                        if *choose_transfer.read() {
                            div { id: "transfer-menu", class: "menu", role: "menu",
                                for a in colleagues {
                                    button {
                                        class: "transfer-to",
                                        role: "menuitem",
                                        "data-agent-id": "{a.id}",
                                        onclick: {
                                            let (chat_id, to) = (transfer_id.clone(), a.id.clone());
                                            move |_| {
                                                choose_transfer.set(false);
                                                transfer(ctx, chat_id.clone(), Some(to.clone()));
                                            }
                                        },
                                        span { class: "presence-dot {a.status.as_str()}" }
                                        span { class: "name", "{a.name}" }
                                        span { class: "muted small", " · {lang.presence(a.status)}" }
                                        if let (Some(open), Some(max)) = (a.open_chats, a.max_chats) {
                                            span { class: "muted small capacity",
                                                {lang.open_chats(open, max)}
                                            }
                                        }
                                    }
                                }
                                if status != ChatStatus::Pending {
                                    button {
                                        id: "transfer-queue",
                                        role: "menuitem",
                                        onclick: {
                                            let chat_id = transfer_id.clone();
                                            move |_| {
                                                choose_transfer.set(false);
                                                transfer(ctx, chat_id.clone(), None);
                                            }
                                        },
                                        {lang.pick("Back to the queue", "Devolver a la cola")}
                                    }
                                }
                            }
                        }
                    }
                }
                if can_reopen {
                    button {
                        id: "reopen",
                        class: "secondary",
                        onclick: move |_| {
                            let id = reopen_id.clone();
                            spawn_forever(async move {
                                match ipc::invoke(&cmd::Reopen { chat_id: id }).await {
                                    Ok(_) if !crate::controller::online(ctx) => {
                                        crate::toast::queued(ctx, crate::toast::Doing::Reopen);
                                    }
                                    Ok(_) => {}
                                    Err(e) => crate::toast::fail(ctx, crate::toast::Doing::Reopen, &e),
                                }
                            });
                        },
                        {lang.pick("Reopen", "Reabrir")}
                    }
                }
                if status != ChatStatus::Closed {
                    button {
                        id: "close-chat",
                        class: "secondary",
                        onclick: move |_| confirm_close.set(true),
                        {lang.pick("Close chat", "Cerrar chat")}
                    }
                }
            }
            if *confirm_close.read() && status != ChatStatus::Closed {
                Confirm {
                    id: "confirm-close",
                    title: match lang {
                        Lang::En => format!("Close the chat with {visitor_name}?"),
                        Lang::Es => format!("¿Cerrar el chat con {visitor_name}?"),
                    },
                    body: lang.pick(
                        "The visitor can no longer write in it. It stays under Closed.",
                        "El visitante ya no podrá escribir en él. Queda en Cerrados.",
                    ).to_owned(),
                    confirm: lang.pick("Close chat", "Cerrar chat").to_owned(),
                    cancel: lang.pick("Cancel", "Cancelar").to_owned(),
                    on_cancel: move |_| {
                        confirm_close.set(false);
                        ipc::scroll::focus("composer-input");
                    },
                    on_confirm: move |_| {
                        confirm_close.set(false);
                        let id = close_id.clone();
                        spawn_forever(async move {
                            match ipc::invoke(&cmd::Close { chat_id: id }).await {
                                Ok(_) if !crate::controller::online(ctx) => {
                                    crate::toast::queued(ctx, crate::toast::Doing::Close);
                                }
                                Ok(_) => {}
                                Err(e) => crate::toast::fail(ctx, crate::toast::Doing::Close, &e),
                            }
                        });
                    },
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
                        Row::NewMarker => rsx! { div { key: "new-marker-{chat_id}", id: "new-marker", class: "new-marker", span { {lang.pick("New", "Nuevos")} } } },
                        Row::Message(m) => rsx! { Bubble { key: "{m.key()}", message: *m.clone(), author: a, name, offset } },
                    }
                }
            }
            if len > 0 && (has_newer || !(window_end.read().is_none() && *stick.read())) {
                button {
                    id: "jump-latest",
                    class: "jump-latest",
                    "data-newer": "{newer}",
                    onclick: {
                        let chat_id = chat_id.clone();
                        move |_| {
                            window_end.set(None);
                            stick.set(true);
                            anchor.set(None);
                            if has_newer {
                                // Opened far back at a search hit: the newest page.
                                spawn_forever(open_chat(ctx, chat_id.clone()));
                            }
                        }
                    },
                    "↓ "
                    if newer > 0 { {lang.newer(newer)} } else { {lang.pick("Latest", "Lo último").to_owned()} }
                }
            }
            div { class: "typing-line", id: "typing-line",
                if let Some((who, note)) = typing_name {
                    if note {
                        span { class: "typing-note", "{lang.writing_note(&who)}" }
                    } else {
                        span { "{lang.typing(&who)}" }
                    }
                }
            }
            Composer { chat_id: chat_id.clone(), status, draft: chat.draft.clone(), held_by, staged: chat.staged.clone() }
            Viewer {}
        }
    }
}

/// Hands a chat to a colleague, or (`None`) back to the queue.
fn transfer(ctx: Ctx, chat_id: String, to: Option<String>) {
    spawn_forever(async move {
        match ipc::invoke(&cmd::Transfer {
            chat_id,
            to_agent_id: to,
        })
        .await
        {
            Ok(_) if !crate::controller::online(ctx) => {
                crate::toast::queued(ctx, crate::toast::Doing::Transfer);
            }
            Ok(_) => {}
            Err(e) => crate::toast::fail(ctx, crate::toast::Doing::Transfer, &e),
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchboard_model::fixtures::message;

    #[test]
    fn message_text_is_rendered_as_text_never_html() {
        let mut msg = message("1").by("v").build();
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
        let mut note = message("1").by("me").build();
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
        let mut failed = message("x").by("me").at("").build();
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
    fn the_composer_opens_on_the_chats_draft_and_warns_when_a_colleague_holds_it() {
        let draft = Some(switchboard_model::Draft {
            content: "Cliente VIP: revisar".to_owned(),
            internal: true,
        });
        let html = dioxus_ssr::render_element(rsx! {
            Composer { chat_id: "c".to_owned(), status: ChatStatus::InProgress, draft, held_by: Some("Sam Second".to_owned()) }
        });
        assert!(html.contains("Cliente VIP: revisar"), "{html}");
        assert!(html.contains(r#"data-mode="note""#), "{html}");
        assert!(html.contains("Sam Second is handling this chat."), "{html}");
        assert!(!html.contains("goes to the visitor"), "a note does not: {html}");
        let mine = dioxus_ssr::render_element(rsx! {
            Composer { chat_id: "c".to_owned(), status: ChatStatus::InProgress }
        });
        assert!(!mine.contains("held-warning"), "{mine}");
        assert!(mine.contains(r#"data-mode="reply""#), "{mine}");
    }

    #[test]
    fn ten_thousand_messages_render_a_window_not_the_whole_chat() {
        let msgs: Vec<LocalMessage> = (0..10_000)
            .map(|i| {
                message(&i.to_string())
                    .by("v")
                    .at(&format!("2026-11-24T10:{:02}:{:02}.000Z", (i / 60) % 60, i % 60))
                    .build()
            })
            .collect();
        let range = visible_window(msgs.len(), None, WINDOW);
        let now = switchboard_protocol::time::parse_millis("2026-11-24T12:00:00.000Z").unwrap();
        let r = rows(Lang::En, &msgs[range], None, "me", 0, now);
        let rendered = r.iter().filter(|r| matches!(r, Row::Message(_))).count();
        assert_eq!(rendered, WINDOW);
        assert!(matches!(r.last(), Some(Row::Message(m)) if m.message_id.as_deref() == Some("9999")));
    }
}
