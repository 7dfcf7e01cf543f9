//! One message of the timeline: its bubble by author, an internal note's
//! label, delivery state with Retry, an image preview or a file.

use switchboard_model::files::{display_name, extension, opens_safely};

use super::*;
use crate::{
    dialog::Confirm,
    links::{Segment, segments},
    toast::{self, Doing},
};
use switchboard_model::Draft;

/// One message.
#[component]
pub fn Bubble(message: LocalMessage, author: Author, name: String, offset: i64) -> Element {
    let ctx = try_use_context::<Ctx>();
    let lang = ctx.map(|c| *c.lang.read()).unwrap_or_default();
    let mut confirm_discard = use_signal(|| false);
    let m = &message;
    let base = match author {
        Author::Visitor => "bubble visitor",
        Author::Me => "bubble me",
        Author::OtherAgent => "bubble agent",
        Author::System => "bubble system",
    };
    let found =
        ctx.is_some_and(|c| m.message_id.is_some() && c.found.read().as_deref() == m.message_id.as_deref());
    let class = match (m.is_internal, found) {
        (true, true) => format!("{base} internal found"),
        (true, false) => format!("{base} internal"),
        (false, true) => format!("{base} found"),
        (false, false) => base.to_owned(),
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
        DeliveryStatus::Held => Some(("status-held", lang.pick("Waiting", "En espera"))),
        DeliveryStatus::Sent if author == Author::Me => Some(("status-sent", lang.pick("Sent", "Enviado"))),
        DeliveryStatus::Sent => None,
    };
    let cmid = m.client_message_id.clone().unwrap_or_default();
    let key = m.key().to_owned();
    if author == Author::System {
        return rsx! {
            div { class: "{class}", id: "msg-{key}", "data-key": "{key}",
                span { class: "system-text", {lang.system_line(&m.content)} }
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
                div { class: "content",
                    for segment in segments(&m.content) {
                        match segment {
                            Segment::Text(t) => rsx! { "{t}" },
                            Segment::Link(url) => rsx! { MessageLink { url } },
                        }
                    }
                }
            }
            if let Some(a) = &m.attachment {
                if m.kind == MessageType::Image {
                    // Keyed by its URL: a just-sent image gets its preview
                    // as soon as its upload is known.
                    ImagePreview { key: "{a.url}", url: a.url.clone(), name: a.file_name.clone(), size: a.file_size, message_key: key.clone() }
                } else {
                    FileCard { url: a.url.clone(), name: a.file_name.clone(), size: a.file_size }
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
                        onclick: {
                            let cmid = cmid.clone();
                            move |_| {
                            let cmid = cmid.clone();
                            spawn_forever(async move {
                                if let Err(e) = ipc::invoke(&cmd::Retry { client_message_id: cmid }).await
                                    && let Some(ctx) = ctx
                                {
                                    toast::fail(ctx, Doing::Retry, &e);
                                }
                            });
                            }
                        },
                        {lang.pick("Retry", "Reintentar")}
                    }
                    // Its text back in the composer, to change and send
                    // again (a file goes again with Retry only).
                    if m.attachment.is_none() {
                        button {
                            class: "link edit-failed",
                            onclick: {
                                let (cmid, chat_id) = (cmid.clone(), m.chat_id.clone());
                                let back = Draft { content: m.content.clone(), internal: m.is_internal };
                                move |_| {
                                    let (cmid, chat_id, back) = (cmid.clone(), chat_id.clone(), back.clone());
                                    spawn_forever(async move {
                                        let Some(mut ctx) = ctx else { return };
                                        match ipc::invoke(&cmd::Discard { client_message_id: cmid }).await {
                                            Ok(()) => ctx.refill.set(Some((chat_id, back))),
                                            Err(e) => toast::fail(ctx, Doing::Discard, &e),
                                        }
                                    });
                                }
                            },
                            {lang.pick("Edit", "Editar")}
                        }
                    }
                    button {
                        class: "link discard-failed",
                        onclick: move |_| confirm_discard.set(true),
                        {lang.pick("Discard", "Descartar")}
                    }
                }
                // Behind an action the server refused: never sent unless the
                // agent says so.
                if m.status == DeliveryStatus::Held {
                    button {
                        class: "link send-held",
                        title: lang.pick(
                            "Send what waits in this chat after the action that did not apply",
                            "Enviar lo que espera en este chat tras la acción que no se aplicó",
                        ),
                        onclick: {
                            let chat_id = m.chat_id.clone();
                            move |_| {
                                let chat_id = chat_id.clone();
                                spawn_forever(async move {
                                    if let Err(e) = ipc::invoke(&cmd::SendHeld { chat_id }).await
                                        && let Some(ctx) = ctx
                                    {
                                        toast::fail(ctx, Doing::Retry, &e);
                                    }
                                });
                            }
                        },
                        {lang.pick("Send anyway", "Enviar igualmente")}
                    }
                    button {
                        class: "link discard-failed",
                        onclick: move |_| confirm_discard.set(true),
                        {lang.pick("Discard", "Descartar")}
                    }
                }
            }
            if *confirm_discard.read() {
                Confirm {
                    id: "confirm-discard",
                    title: lang.pick("Discard this message?", "¿Descartar este mensaje?").to_owned(),
                    body: lang.pick(
                        "It was never sent. It leaves this device for good.",
                        "Nunca se envió. Se borra de este equipo para siempre.",
                    ).to_owned(),
                    confirm: lang.pick("Discard", "Descartar").to_owned(),
                    cancel: lang.pick("Keep it", "Conservarlo").to_owned(),
                    on_cancel: move |_| confirm_discard.set(false),
                    on_confirm: {
                        let cmid = cmid.clone();
                        move |_| {
                            confirm_discard.set(false);
                            let cmid = cmid.clone();
                            spawn_forever(async move {
                                if let Err(e) = ipc::invoke(&cmd::Discard { client_message_id: cmid }).await
                                    && let Some(ctx) = ctx
                                {
                                    toast::fail(ctx, Doing::Discard, &e);
                                }
                            });
                        }
                    },
                }
            }
        }
    }
}

/// A link in a message: it opens the system browser, never the webview.
#[component]
fn MessageLink(url: String) -> Element {
    let ctx = try_use_context::<Ctx>();
    let open = move |url: String| {
        spawn_forever(async move {
            if let Err(e) = ipc::invoke(&cmd::OpenLink { url }).await
                && let Some(ctx) = ctx
            {
                toast::fail(ctx, Doing::Open, &e);
            }
        });
    };
    let (on_click, on_key) = (url.clone(), url.clone());
    rsx! {
        a {
            class: "msg-link",
            role: "link",
            tabindex: "0",
            title: "{url}",
            "data-url": "{url}",
            onclick: move |_| open(on_click.clone()),
            onkeydown: move |e: KeyboardEvent| {
                if e.key() == Key::Enter {
                    open(on_key.clone());
                }
            },
            "{url}"
        }
    }
}

/// A file attachment: its real name and extension, its size, Save (the
/// system's save dialog) and Open where opening it cannot run code.
#[component]
fn FileCard(url: String, name: String, size: u64) -> Element {
    let ctx = try_use_context::<Ctx>();
    let lang = ctx.map(|c| *c.lang.read()).unwrap_or_default();
    let shown = display_name(&name);
    let ext = extension(&name).map(|e| e.to_uppercase());
    let safe = opens_safely(&name);
    let mut busy = use_signal(|| false);
    let (save_url, save_name) = (url.clone(), name.clone());
    let save = move |_| {
        let (url, file_name) = (save_url.clone(), save_name.clone());
        busy.set(true);
        spawn(async move {
            let res = ipc::invoke(&cmd::SaveAttachment { url, file_name }).await;
            busy.set(false);
            let Some(ctx) = ctx else { return };
            match res {
                Ok(Some(path)) => toast::say(ctx, format!("{} {path}", lang.pick("Saved to", "Guardado en"))),
                Ok(None) => {}
                Err(e) => toast::fail(ctx, Doing::Save, &e),
            }
        });
    };
    let open = move |_| {
        let (url, file_name) = (url.clone(), name.clone());
        busy.set(true);
        spawn(async move {
            let res = ipc::invoke(&cmd::OpenAttachment { url, file_name }).await;
            busy.set(false);
            if let Err(e) = res
                && let Some(ctx) = ctx
            {
                toast::fail(ctx, Doing::Open, &e);
            }
        });
    };
    rsx! {
        div { class: if safe { "file" } else { "file save-only" }, "data-file": "{shown}",
            Svg { icon: Icon::Clip }
            span { class: "file-name", " {shown}" }
            if let Some(ext) = ext {
                span { class: "file-ext", "{ext}" }
            }
            span { class: "muted small", " · {lang.size(size)}" }
            button { class: "small-button secondary file-save", disabled: *busy.read(), onclick: save,
                {lang.pick("Save…", "Guardar…")}
            }
            if safe {
                button { class: "small-button file-open", disabled: *busy.read(), onclick: open,
                    {lang.pick("Open", "Abrir")}
                }
            } else {
                span { class: "save-only-note small", title: lang.pick("This kind of file can run code on this computer: it is never opened from Switchboard.", "Este tipo de archivo puede ejecutar código en este equipo: Switchboard nunca lo abre."),
                    {lang.pick("Could run code: save only", "Puede ejecutar código: solo guardar")}
                }
            }
        }
    }
}

/// An image message: previewed when its bytes are an image the console
/// shows (PNG, JPEG, GIF, WebP, BMP), else offered as a file to save.
#[component]
fn ImagePreview(url: String, name: String, size: u64, message_key: String) -> Element {
    let ctx = try_use_context::<Ctx>();
    let lang = ctx.map(|c| *c.lang.read()).unwrap_or_default();
    let fetch_url = url.clone();
    let src = use_resource(move || {
        let url = fetch_url.clone();
        async move { ipc::image_blob_url(&cmd::GetAttachment { url }).await }
    });
    match src.read().as_ref() {
        Some(Ok(Some(src))) => rsx! {
            img {
                class: "preview",
                src: "{src}",
                alt: "{name}",
                role: "button",
                title: lang.pick("Open full size", "Ver a tamaño completo"),
                onclick: move |_| {
                    if let Some(mut ctx) = ctx {
                        ctx.viewer.set(Some(message_key.clone()));
                    }
                },
            }
        },
        Some(Ok(None)) | Some(Err(_)) => rsx! { FileCard { url, name, size } },
        None => rsx! { div { class: "preview loading", Svg { icon: Icon::Image } " {name}" } },
    }
}
