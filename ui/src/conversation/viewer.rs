//! The image viewer: an image of the open chat at full size over the
//! conversation; Esc closes it, ← and → go to the chat's other images, and
//! Download saves it with the system's save dialog.

use super::*;

/// An image message of the timeline, as the viewer needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct Shown {
    /// The message's key (`LocalMessage::key`).
    pub key: String,
    /// The attachment's URL on the server.
    pub url: String,
    /// Its name.
    pub name: String,
}

/// The images of a timeline, oldest first.
pub fn images(messages: &[LocalMessage]) -> Vec<Shown> {
    messages
        .iter()
        .filter(|m| m.kind == MessageType::Image)
        .filter_map(|m| {
            let a = m.attachment.as_ref()?;
            Some(Shown {
                key: m.key().to_owned(),
                url: a.url.clone(),
                name: a.file_name.clone(),
            })
        })
        .collect()
}

/// The viewer, when an image is open in it.
#[component]
pub fn Viewer() -> Element {
    let mut ctx = use_context::<Ctx>();
    let lang = *ctx.lang.read();
    let Some(open) = ctx.viewer.read().clone() else {
        return rsx! {};
    };
    let list = ctx
        .timeline
        .read()
        .as_ref()
        .map(|t| images(&t.messages))
        .unwrap_or_default();
    let Some(at) = list.iter().position(|s| s.key == open) else {
        return rsx! {};
    };
    let shown = list[at].clone();
    let (count, prev, next) = (
        list.len(),
        at.checked_sub(1).map(|i| list[i].key.clone()),
        list.get(at + 1).map(|s| s.key.clone()),
    );
    let (key_prev, key_next) = (prev.clone(), next.clone());
    let onkeydown = move |e: KeyboardEvent| {
        let to = match e.key() {
            Key::Escape => {
                ctx.viewer.set(None);
                None
            }
            Key::ArrowLeft => key_prev.clone(),
            Key::ArrowRight => key_next.clone(),
            _ => return,
        };
        e.stop_propagation();
        e.prevent_default();
        if let Some(k) = to {
            ctx.viewer.set(Some(k));
        }
    };
    let (save_url, save_name) = (shown.url.clone(), shown.name.clone());
    let download = move |_| {
        let (url, file_name) = (save_url.clone(), save_name.clone());
        spawn(async move {
            match ipc::invoke(&cmd::SaveAttachment { url, file_name }).await {
                Ok(Some(path)) => {
                    crate::toast::say(ctx, format!("{} {path}", lang.pick("Saved to", "Guardado en")))
                }
                Ok(None) => {}
                Err(e) => crate::toast::fail(ctx, crate::toast::Doing::Save, &e),
            }
        });
    };
    // Keys go to the viewer while it is open.
    use_effect(|| ipc::scroll::focus("viewer"));
    rsx! {
        div {
            class: "viewer",
            id: "viewer",
            role: "dialog",
            "aria-modal": "true",
            "aria-label": "{shown.name}",
            tabindex: "0",
            "data-index": "{at}",
            onkeydown,
            onclick: move |_| ctx.viewer.set(None),
            div { class: "viewer-bar", onclick: move |e| e.stop_propagation(),
                span { class: "viewer-name", "{shown.name}" }
                span { class: "muted small", " {at + 1} / {count}" }
                div { class: "spacer" }
                button { class: "small-button", id: "viewer-download", onclick: download,
                    {lang.pick("Download", "Descargar")}
                }
                button {
                    class: "icon-button viewer-close",
                    title: lang.pick("Close (Esc)", "Cerrar (Esc)"),
                    "aria-label": lang.pick("Close", "Cerrar"),
                    onclick: move |_| ctx.viewer.set(None),
                    "×"
                }
            }
            if let Some(k) = prev {
                button {
                    class: "viewer-nav prev",
                    "aria-label": lang.pick("Previous image", "Imagen anterior"),
                    onclick: move |e| {
                        e.stop_propagation();
                        ctx.viewer.set(Some(k.clone()));
                    },
                    "‹"
                }
            }
            div { class: "viewer-stage", onclick: move |e| e.stop_propagation(),
                FullImage { key: "{shown.url}", url: shown.url.clone(), name: shown.name.clone() }
            }
            if let Some(k) = next {
                button {
                    class: "viewer-nav next",
                    "aria-label": lang.pick("Next image", "Imagen siguiente"),
                    onclick: move |e| {
                        e.stop_propagation();
                        ctx.viewer.set(Some(k.clone()));
                    },
                    "›"
                }
            }
        }
    }
}

#[component]
fn FullImage(url: String, name: String) -> Element {
    let src = use_resource(move || {
        let url = url.clone();
        async move { ipc::image_blob_url(&cmd::GetAttachment { url }).await }
    });
    match src.read().as_ref() {
        Some(Ok(Some(src))) => rsx! { img { class: "viewer-img", src: "{src}", alt: "{name}" } },
        Some(_) => rsx! { p { class: "muted", "{name}" } },
        None => rsx! { div { class: "preview loading", Svg { icon: Icon::Image } " {name}" } },
    }
}

#[cfg(test)]
mod tests {
    use switchboard_model::fixtures::message;
    use switchboard_protocol::Attachment;

    use super::*;

    #[test]
    fn the_viewer_walks_the_chats_images_only() {
        let image = |id: &str| {
            let mut m = message(id).by("v").build();
            m.kind = MessageType::Image;
            m.attachment = Some(Attachment {
                url: format!("/v2/files/{id}"),
                file_name: format!("{id}.png"),
                file_size: 1,
                mime_type: "image/png".into(),
            });
            m
        };
        let msgs = vec![image("a"), message("t").by("v").build(), image("b")];
        let list = images(&msgs);
        assert_eq!(
            list.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
            ["a.png", "b.png"]
        );
        assert_eq!(list[1].url, "/v2/files/b");
    }
}
