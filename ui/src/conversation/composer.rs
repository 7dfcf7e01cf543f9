//! The composer: reply or internal note, Enter to send, throttled typing
//! events, a file to attach, and why a closed chat takes nothing.

use super::*;

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
