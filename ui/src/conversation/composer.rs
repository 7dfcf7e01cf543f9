//! The composer: reply or internal note, Enter to send, throttled typing
//! events (none while writing a note: the visitor is never told), a file to
//! attach, why a closed chat takes nothing, a warning when a colleague holds
//! the chat, and the chat's draft, kept by the engine as it is typed.

use std::rc::Rc;

use dioxus::html::HasFileData;
use futures_util::lock::Mutex;
use switchboard_model::{Draft, StagedFile};

use super::*;

/// A draft is written this long after the last key (well within a second).
const DRAFT_SAVE_MS: u32 = 300;

fn too_large(lang: Lang, name: &str, size: u64) -> String {
    format!(
        "{name}: {} ({})",
        lang.pick("too large to send", "demasiado grande para enviar"),
        lang.size(size)
    )
}

/// Reads picked or dropped files; an over-size or unreadable one is left
/// out with a reason.
async fn read_files(
    files: Vec<dioxus::html::FileData>,
    mut error: Signal<Option<String>>,
    lang: Lang,
) -> Vec<ipc::PickedFile> {
    let mut picked = Vec::new();
    for f in files {
        if f.size() > switchboard_protocol::DEFAULT_MAX_UPLOAD_BYTES {
            error.set(Some(too_large(lang, &f.name(), f.size())));
            continue;
        }
        match f.read_bytes().await {
            Ok(bytes) => picked.push((f.name(), bytes.to_vec())),
            Err(e) => error.set(Some(e.to_string())),
        }
    }
    picked
}

/// Stages files in a chat: the engine keeps a copy of each until it is
/// sent or taken off, across restarts (over-size ones are refused with a
/// reason). The chat's entry then lists them.
async fn stage(chat_id: String, mut error: Signal<Option<String>>, lang: Lang, files: Vec<ipc::PickedFile>) {
    for (file_name, bytes) in files {
        if bytes.len() as u64 > switchboard_protocol::DEFAULT_MAX_UPLOAD_BYTES {
            error.set(Some(too_large(lang, &file_name, bytes.len() as u64)));
            continue;
        }
        let staged = ipc::invoke(&cmd::StageFile {
            chat_id: chat_id.clone(),
            file_name,
            bytes,
        })
        .await;
        if let Err(e) = staged {
            error.set(Some(e.message));
        }
    }
}

/// The chat's draft, written through `writes` so that it can never land
/// after a send it preceded (the send clears it).
async fn write_draft(writes: Rc<Mutex<()>>, chat_id: String, draft: Draft) {
    let _turn = writes.lock().await;
    if let Err(e) = ipc::invoke(&cmd::SaveDraft { chat_id, draft }).await {
        ipc::warn(&format!("a draft was not kept: {}", e.message));
    }
}

/// The composer of a chat; `draft` is the chat's draft when it opens,
/// `held_by` the colleague who holds the chat, if one does.
#[component]
pub fn Composer(
    chat_id: String,
    status: ChatStatus,
    #[props(default)] draft: Option<Draft>,
    #[props(default)] held_by: Option<String>,
    #[props(default)] staged: Vec<StagedFile>,
) -> Element {
    let ctx = try_use_context::<Ctx>();
    let lang = ctx.map(|c| *c.lang.read()).unwrap_or_default();
    let opening = draft.clone().unwrap_or_default();
    let mut text = use_signal(|| opening.content.clone());
    let mut note = use_signal(|| opening.internal);
    let mut error = use_signal(|| None::<String>);
    let mut typing_sent_at = use_signal(|| 0i64);
    let mut typing_gen = use_signal(|| 0u64);
    // Whether the typing last told was a note's (its stop must say so too).
    let mut typing_note = use_signal(|| false);
    // Drafts: typed and not yet written (`dirty`), and which pending write
    // is still wanted (`draft_gen`; a send or a chat switch cancels it).
    let writes = use_hook(|| Rc::new(Mutex::new(())));
    let mut dirty = use_signal(|| false);
    let mut draft_gen = use_signal(|| 0u64);
    // A draft and its mode belong to one chat: leaving it writes its draft
    // now, and the next chat's own draft comes back.
    let mut drafted_for = use_signal(|| chat_id.clone());
    if *drafted_for.peek() != chat_id {
        let left = drafted_for.peek().clone();
        if *dirty.peek() {
            let d = Draft {
                content: text.peek().clone(),
                internal: *note.peek(),
            };
            spawn_forever(write_draft(writes.clone(), left, d));
        }
        *draft_gen.write() += 1;
        dirty.set(false);
        drafted_for.set(chat_id.clone());
        text.set(opening.content.clone());
        note.set(opening.internal);
        error.set(None);
    }
    {
        // Closing the conversation (sign-out, no chat selected) keeps it too.
        let writes = writes.clone();
        use_drop(move || {
            if *dirty.peek() {
                let d = Draft {
                    content: text.peek().clone(),
                    internal: *note.peek(),
                };
                spawn_forever(write_draft(writes, drafted_for.peek().clone(), d));
            }
        });
    }
    // A chat just opened or accepted: the agent writes at once.
    use_effect(move || {
        if let Some(ctx) = ctx
            && *ctx.focus_composer.read() > 0
        {
            ipc::scroll::focus("composer-input");
        }
    });
    let closed = status == ChatStatus::Closed;
    let chars = text.read().chars().count();
    let too_long = chars > MAX_CHARS;

    // Canned responses (v2.1): `/` and a word at the start of the composer
    // opens a picker; arrows choose, Enter or Tab inserts it filled in, Esc
    // closes it until the text changes.
    let mut canned_list = use_signal(Vec::<switchboard_protocol::Canned>::new);
    let mut canned_sel = use_signal(|| 0usize);
    let mut canned_off = use_signal(|| false);
    let offers_canned = ctx.is_some_and(|c| {
        c.inbox
            .read()
            .as_ref()
            .is_some_and(|i| i.offers(switchboard_protocol::feature::CANNED))
    });
    let canned_matches = move || -> Vec<switchboard_protocol::Canned> {
        if !offers_canned || *canned_off.peek() {
            return Vec::new();
        }
        let t = text.peek().clone();
        let Some(q) = switchboard_model::canned::query(&t) else {
            return Vec::new();
        };
        let list = canned_list.peek();
        switchboard_model::canned::find(&list, q, 8)
            .into_iter()
            .cloned()
            .collect()
    };
    let id_for_vars = chat_id.clone();
    let fill_canned = move |c: &switchboard_protocol::Canned| -> String {
        let Some(ctx) = ctx else {
            return c.content.clone();
        };
        let inbox = ctx.inbox.peek();
        let chat = inbox.as_ref().and_then(|i| i.chat(&id_for_vars));
        let me = inbox
            .as_ref()
            .and_then(|i| i.account.me.as_ref())
            .map(|a| a.name.clone());
        let vars = switchboard_model::canned::Vars {
            visitor_name: chat.map(|c| c.visitor.name.as_str()),
            visitor_email: chat.and_then(|c| c.visitor.email.as_deref()),
            agent_name: me.as_deref(),
            chat_subject: chat.and_then(|c| c.subject.as_deref()),
        };
        switchboard_model::canned::fill(&c.content, &vars)
    };

    // Writes the draft DRAFT_SAVE_MS after the last change, unless it is
    // sent or left meanwhile.
    let writes_for_schedule = writes.clone();
    let id_for_schedule = chat_id.clone();
    let mut schedule_draft = move || {
        dirty.set(true);
        let generation = *draft_gen.peek() + 1;
        draft_gen.set(generation);
        let (writes, chat_id) = (writes_for_schedule.clone(), id_for_schedule.clone());
        spawn(async move {
            ipc::sleep(DRAFT_SAVE_MS).await;
            if *draft_gen.peek() != generation {
                return;
            }
            let _turn = writes.lock().await;
            // A send may have taken the turn first.
            if *draft_gen.peek() != generation {
                return;
            }
            dirty.set(false);
            let draft = Draft {
                content: text.peek().clone(),
                internal: *note.peek(),
            };
            if let Err(e) = ipc::invoke(&cmd::SaveDraft { chat_id, draft }).await {
                error.set(Some(format!(
                    "{}: {}",
                    lang.pick("The draft was not kept", "El borrador no se ha guardado"),
                    e.message
                )));
            }
        });
    };

    // A refused message taken back to edit: its text and mode come back
    // here, before what was already being written, and are kept as the draft.
    let writes_for_refill = writes.clone();
    use_effect(move || {
        let Some(mut refill) = ctx.map(|c| c.refill) else {
            return;
        };
        let Some((for_chat, back)) = refill.read().clone() else {
            return;
        };
        if for_chat != *drafted_for.peek() {
            return;
        }
        refill.set(None);
        let current = text.peek().clone();
        let content = if current.trim().is_empty() {
            back.content
        } else {
            format!("{}\n\n{current}", back.content)
        };
        text.set(content.clone());
        note.set(back.internal);
        *draft_gen.write() += 1;
        dirty.set(false);
        let writes = writes_for_refill.clone();
        let draft = Draft {
            content,
            internal: back.internal,
        };
        spawn_forever(write_draft(writes, for_chat, draft));
        ipc::scroll::focus("composer-input");
    });

    let mut stop_typing = move |chat_id: String| {
        if *typing_sent_at.peek() != 0 {
            typing_sent_at.set(0);
            let internal = *typing_note.peek();
            spawn(async move {
                let _ = ipc::invoke(&cmd::Typing {
                    chat_id,
                    typing: false,
                    internal,
                })
                .await;
            });
        }
    };

    let id_for_send = chat_id.clone();
    let writes_for_send = writes.clone();
    let staged_for_send = staged.clone();
    let send = move || {
        let content = text.peek().clone();
        let files = staged_for_send.clone();
        if (content.trim().is_empty() && files.is_empty()) || closed {
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
        // The engine clears the draft as it queues the message.
        *draft_gen.write() += 1;
        dirty.set(false);
        stop_typing(chat_id.clone());
        let writes = writes_for_send.clone();
        spawn(async move {
            let _turn = writes.lock().await;
            if files.is_empty() {
                if let Err(e) = ipc::invoke(&cmd::Send {
                    chat_id,
                    content: content.clone(),
                    internal,
                })
                .await
                {
                    // Nothing is lost: the text comes back to the composer
                    // (and its draft is still kept).
                    text.set(content);
                    error.set(Some(e.message));
                }
                return;
            }
            // Each file is a message; the text goes with the first. They are
            // uploaded now, by the engine's outbox, not when staged.
            let mut caption = content;
            for f in files {
                let res = ipc::invoke(&cmd::SendStaged {
                    id: f.id.clone(),
                    caption: std::mem::take(&mut caption),
                    internal,
                })
                .await;
                // What was not queued stays on the tray, to send again.
                if let Err(e) = res {
                    error.set(Some(e.message));
                }
            }
        });
    };
    let mut send_key = send.clone();
    let mut send_click = send;

    let id_for_typing = chat_id.clone();
    let mut schedule_on_input = schedule_draft.clone();
    let mut schedule_on_pick = schedule_draft.clone();
    let schedule_on_click = schedule_draft.clone();
    let fill_canned_click = fill_canned.clone();
    // What the picker shows now (read, so that it follows the text).
    let canned_view = {
        let _ = (text.read(), canned_list.read(), canned_off.read());
        canned_matches()
    };
    let canned_at = (*canned_sel.read()).min(canned_view.len().saturating_sub(1));
    let oninput = move |e: FormEvent| {
        let value = e.value();
        if value == "/" && offers_canned {
            // The picker opens: the list as the server has it now (or held).
            canned_off.set(false);
            canned_sel.set(0);
            spawn(async move {
                if let Ok(list) = ipc::invoke(&cmd::ListCanned {}).await {
                    canned_list.set(list);
                }
            });
        }
        if switchboard_model::canned::query(&value).is_none() {
            canned_off.set(false);
        }
        text.set(value);
        schedule_on_input();
        // A note is for agents only: the visitor is not even told I type.
        // A note's typing is for agents only: the engine tells the
        // commercial room where the server offers it, and nobody elsewhere.
        let internal = *note.peek();
        let now = ipc::now_ms();
        let chat_id = id_for_typing.clone();
        if now - *typing_sent_at.peek() > TYPING_EVERY_MS {
            typing_sent_at.set(now);
            typing_note.set(internal);
            let id = chat_id.clone();
            spawn(async move {
                let _ = ipc::invoke(&cmd::Typing {
                    chat_id: id,
                    typing: true,
                    internal,
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
                    internal: *typing_note.peek(),
                })
                .await;
            }
        });
    };
    let id_for_mode = chat_id.clone();
    let mut set_mode = move |to_note: bool| {
        if *note.peek() == to_note {
            return;
        }
        note.set(to_note);
        // What was told (a reply's typing, or a note's) ends with the mode.
        stop_typing(id_for_mode.clone());
        schedule_draft();
    };
    let mut set_reply = set_mode.clone();

    let id_for_file = chat_id.clone();
    let onfile = move |e: FormEvent| {
        let (files, chat_id) = (e.files(), id_for_file.clone());
        spawn(async move { stage(chat_id, error, lang, read_files(files, error, lang).await).await });
    };
    let id_for_drop = chat_id.clone();
    let ondrop = move |e: DragEvent| {
        e.prevent_default();
        if closed {
            return;
        }
        let (files, chat_id) = (e.files(), id_for_drop.clone());
        spawn(async move { stage(chat_id, error, lang, read_files(files, error, lang).await).await });
    };
    // Ctrl+V of a screenshot: the webview gives the files to a listener
    // (installed once the composer is in the page).
    let paste = use_signal(|| None::<Rc<ipc::PasteGuard>>);
    use_effect(move || {
        if paste.peek().is_some() {
            return;
        }
        // On the composer itself (always in the page): a paste in its text
        // field bubbles up to it.
        let (mut rx, guard) = ipc::pasted_files("composer");
        let mut paste = paste;
        paste.set(Some(Rc::new(guard)));
        spawn(async move {
            use futures_util::StreamExt;
            while let Some(pasted) = rx.next().await {
                match pasted {
                    ipc::Pasted::Files(files) => stage(drafted_for.peek().clone(), error, lang, files).await,
                    ipc::Pasted::AskTheShell => match ipc::invoke(&cmd::GetClipboardImage {}).await {
                        Ok(Some(png)) => {
                            let name = format!("pasted-{}.png", ipc::now_ms());
                            stage(drafted_for.peek().clone(), error, lang, vec![(name, png)]).await;
                        }
                        Ok(None) => {}
                        Err(e) => error.set(Some(e.message)),
                    },
                }
            }
        });
    });

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
            "data-staged": "{staged.len()}",
            ondragover: move |e: DragEvent| e.prevent_default(),
            ondrop,
            div { class: "mode-switch", role: "radiogroup",
                button {
                    id: "mode-reply",
                    class: if *note.read() { "mode" } else { "mode active" },
                    role: "radio",
                    "aria-checked": !*note.read(),
                    disabled: closed,
                    onclick: move |_| set_reply(false),
                    Svg { icon: Icon::Chat }
                    " " {lang.pick("Reply", "Respuesta")}
                }
                button {
                    id: "mode-note",
                    class: if *note.read() { "mode active note" } else { "mode" },
                    role: "radio",
                    "aria-checked": *note.read(),
                    disabled: closed,
                    onclick: move |_| set_mode(true),
                    Svg { icon: Icon::Lock }
                    " " {lang.pick("Internal note", "Nota interna")}
                }
                if *note.read() {
                    span { class: "note-warning", {lang.pick("Only agents see this. The visitor does not.", "Solo lo ven los agentes. El visitante no.")} }
                }
            }
            if let (false, Some(who)) = (closed, held_by.as_ref()) {
                p { class: "held-warning", id: "held-warning", role: "status",
                    Svg { icon: Icon::Lock }
                    " " {lang.held_by(who, *note.read())}
                }
            }
            if closed {
                p { class: "closed-explain muted", id: "composer-closed", {placeholder} }
            } else {
                if !staged.is_empty() {
                    ul { class: "staged", id: "staged", "aria-label": lang.pick("Files to send", "Archivos para enviar"),
                        for f in staged.iter().cloned() {
                            StagedCard { key: "{f.id}", file: f }
                        }
                    }
                }
                if !canned_view.is_empty() {
                    ul { id: "canned-picker", class: "canned-picker", role: "listbox",
                        "aria-label": lang.pick("Canned responses", "Respuestas rápidas"),
                        for (i, c) in canned_view.iter().cloned().enumerate() {
                            li {
                                class: if i == canned_at { "canned-option selected" } else { "canned-option" },
                                role: "option",
                                "aria-selected": i == canned_at,
                                "data-shortcut": "{c.shortcut}",
                                onmousedown: {
                                    let c = c.clone();
                                    let fill = fill_canned_click.clone();
                                    let mut schedule = schedule_on_click.clone();
                                    move |e: MouseEvent| {
                                        e.prevent_default();
                                        text.set(fill(&c));
                                        canned_sel.set(0);
                                        schedule();
                                        ipc::scroll::focus("composer-input");
                                    }
                                },
                                span { class: "shortcut", "/{c.shortcut}" }
                                span { class: "title", " {c.title}" }
                                span { class: "muted small preview", " {c.content}" }
                            }
                        }
                    }
                }
                div { class: "composer-row",
                    textarea {
                        id: "composer-input",
                        rows: "3",
                        placeholder,
                        value: "{text}",
                        "aria-invalid": too_long,
                        oninput,
                        onkeydown: move |e: KeyboardEvent| {
                            let found = canned_matches();
                            if !found.is_empty() {
                                let n = found.len();
                                let sel = (*canned_sel.peek()).min(n - 1);
                                match e.key() {
                                    Key::ArrowDown => {
                                        e.prevent_default();
                                        canned_sel.set((sel + 1) % n);
                                        return;
                                    }
                                    Key::ArrowUp => {
                                        e.prevent_default();
                                        canned_sel.set((sel + n - 1) % n);
                                        return;
                                    }
                                    Key::Enter | Key::Tab if !e.modifiers().shift() => {
                                        e.prevent_default();
                                        text.set(fill_canned(&found[sel]));
                                        canned_sel.set(0);
                                        schedule_on_pick();
                                        return;
                                    }
                                    Key::Escape => {
                                        e.prevent_default();
                                        canned_off.set(true);
                                        return;
                                    }
                                    _ => {}
                                }
                            }
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
                            disabled: (text.read().trim().is_empty() && staged.is_empty()) || too_long,
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

/// One staged file: a thumbnail for an image (its bytes from the engine),
/// its name and size, and a button that takes it off.
#[component]
fn StagedCard(file: StagedFile) -> Element {
    let ctx = try_use_context::<Ctx>();
    let lang = ctx.map(|c| *c.lang.read()).unwrap_or_default();
    let id = file.id.clone();
    let thumb = use_resource(move || {
        let id = id.clone();
        async move {
            ipc::image_blob_url(&cmd::GetStagedFile { id })
                .await
                .ok()
                .flatten()
        }
    });
    let remove_id = file.id.clone();
    rsx! {
        li { class: "staged-file", "data-file": "{file.file_name}",
            if let Some(Some(src)) = thumb.read().as_ref() {
                img { class: "thumb", src: "{src}", alt: "{file.file_name}" }
            } else {
                span { class: "thumb file-thumb", Svg { icon: Icon::Clip } }
            }
            span { class: "staged-name", "{file.file_name}" }
            span { class: "muted small", " {lang.size(file.file_size)}" }
            button {
                class: "icon-button unstage",
                title: lang.pick("Remove", "Quitar"),
                "aria-label": lang.pick("Remove", "Quitar"),
                onclick: move |_| {
                    let id = remove_id.clone();
                    spawn_forever(async move {
                        if let Err(e) = ipc::invoke(&cmd::UnstageFile { id }).await
                            && let Some(ctx) = ctx
                        {
                            crate::toast::fail(ctx, crate::toast::Doing::Unstage, &e);
                        }
                    });
                },
                "×"
            }
        }
    }
}
