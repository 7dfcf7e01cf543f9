//! The canned responses in Settings (protocol v2.1): the team's and mine,
//! to create, edit and delete. Every change goes through the outbox, so it
//! is kept offline too; the list is the engine's, with changes on top.

use dioxus::{core::spawn_forever, prelude::*};
use switchboard_model::{canned::Problem, ipc::commands as cmd};
use switchboard_protocol::{Canned, CannedScope};

use crate::{controller::Ctx, dialog::Confirm, i18n::Lang, ipc};

/// What a problem tells, in the agent's language.
pub fn problem_text(lang: Lang, p: Problem) -> &'static str {
    match p {
        Problem::Shortcut => lang.pick(
            "A shortcut is 1 to 32 of a-z, 0-9, _ and - (no spaces or capitals).",
            "Un atajo tiene de 1 a 32 caracteres entre a-z, 0-9, _ y - (sin espacios ni mayúsculas).",
        ),
        Problem::Title => lang.pick(
            "A title is 1 to 100 characters.",
            "Un título tiene de 1 a 100 caracteres.",
        ),
        Problem::Content => lang.pick(
            "The text is 1 to 10,000 characters.",
            "El texto tiene de 1 a 10.000 caracteres.",
        ),
        Problem::Taken => lang.pick(
            "Another canned response of the same scope has this shortcut.",
            "Otra respuesta rápida del mismo ámbito ya tiene este atajo.",
        ),
    }
}

/// The form's fields.
#[derive(Debug, Clone, PartialEq, Default)]
struct Form {
    /// `None`: a new one.
    id: Option<String>,
    shortcut: String,
    title: String,
    content: String,
    scope: CannedScope,
}

/// The manager.
#[component]
pub fn CannedManager() -> Element {
    let ctx = use_context::<Ctx>();
    let lang = *ctx.lang.read();
    let mut list = use_signal(Vec::<Canned>::new);
    let mut form = use_signal(|| None::<Form>);
    let mut problem = use_signal(|| None::<Problem>);
    let mut deleting = use_signal(|| None::<Canned>);
    let reload = move || {
        spawn_forever(async move {
            if let Ok(l) = ipc::invoke(&cmd::ListCanned {}).await {
                list.set(l);
            }
        });
    };
    use_hook(reload);
    let items = list.read().clone();
    let save = move |_| {
        let Some(f) = form.peek().clone() else { return };
        let shortcut = f.shortcut.trim().to_owned();
        if let Err(p) = switchboard_model::canned::check(
            &shortcut,
            &f.title,
            &f.content,
            f.scope,
            &list.peek(),
            f.id.as_deref(),
        ) {
            problem.set(Some(p));
            return;
        }
        problem.set(None);
        spawn_forever(async move {
            let done = match f.id.clone() {
                None => ipc::invoke(&cmd::CreateCanned {
                    shortcut,
                    title: f.title.trim().to_owned(),
                    content: f.content.clone(),
                    scope: f.scope,
                })
                .await
                .map(|_| ()),
                Some(id) => ipc::invoke(&cmd::UpdateCanned {
                    id,
                    shortcut,
                    title: f.title.trim().to_owned(),
                    content: f.content.clone(),
                })
                .await
                .map(|_| ()),
            };
            match done {
                Ok(()) => {
                    form.set(None);
                    if !crate::controller::online(ctx) {
                        crate::toast::queued(ctx, crate::toast::Doing::Canned);
                    }
                    reload();
                }
                Err(e) => crate::toast::fail(ctx, crate::toast::Doing::Canned, &e),
            }
        });
    };
    let scope_label = |s: CannedScope| match s {
        CannedScope::Team => lang.pick("Team", "Equipo"),
        CannedScope::Personal => lang.pick("Mine", "Mías"),
    };
    rsx! {
        h4 { {lang.pick("Canned responses", "Respuestas rápidas")} }
        p { class: "muted small",
            {lang.pick(
                "Type / at the start of a reply to use one. {{visitor.name}}, {{visitor.email}}, {{agent.name}} and {{chat.subject}} are filled in; {{visitor.name|there}} gives a fallback.",
                "Escribe / al empezar una respuesta para usarlas. Se rellenan {{visitor.name}}, {{visitor.email}}, {{agent.name}} y {{chat.subject}}; {{visitor.name|hola}} da un valor por defecto.",
            )}
        }
        ul { class: "canned-manager", id: "canned-manager",
            if items.is_empty() {
                li { class: "muted small", {lang.pick("None yet.", "Ninguna todavía.")} }
            }
            for c in items {
                li { "data-shortcut": "{c.shortcut}", "data-scope": c.scope.as_str(),
                    span { class: "shortcut", "/{c.shortcut}" }
                    span { class: "title", title: "{c.content}", "{c.title}" }
                    span { class: "scope", {scope_label(c.scope)} }
                    button {
                        class: "link small canned-edit",
                        onclick: {
                            let c = c.clone();
                            move |_| {
                                problem.set(None);
                                form.set(Some(Form {
                                    id: Some(c.id.clone()),
                                    shortcut: c.shortcut.clone(),
                                    title: c.title.clone(),
                                    content: c.content.clone(),
                                    scope: c.scope,
                                }));
                            }
                        },
                        {lang.pick("Edit", "Editar")}
                    }
                    button {
                        class: "link small canned-delete",
                        onclick: {
                            let c = c.clone();
                            move |_| deleting.set(Some(c.clone()))
                        },
                        {lang.pick("Delete", "Borrar")}
                    }
                }
            }
        }
        if let Some(f) = form.read().clone() {
            div { class: "canned-form", id: "canned-form",
                input {
                    id: "canned-shortcut",
                    placeholder: lang.pick("shortcut, e.g. refund", "atajo, p. ej. reembolso"),
                    maxlength: "32",
                    value: "{f.shortcut}",
                    oninput: move |e| { if let Some(f) = form.write().as_mut() { f.shortcut = e.value(); } },
                }
                input {
                    id: "canned-title",
                    placeholder: lang.pick("Title", "Título"),
                    maxlength: "100",
                    value: "{f.title}",
                    oninput: move |e| { if let Some(f) = form.write().as_mut() { f.title = e.value(); } },
                }
                textarea {
                    id: "canned-content",
                    placeholder: lang.pick("Text, e.g. Hello {{visitor.name|there}}!", "Texto, p. ej. ¡Hola, {{visitor.name|buenas}}!"),
                    value: "{f.content}",
                    oninput: move |e| { if let Some(f) = form.write().as_mut() { f.content = e.value(); } },
                }
                if f.id.is_none() {
                    select {
                        id: "canned-scope",
                        value: f.scope.as_str(),
                        onchange: move |e| {
                            if let Some(f) = form.write().as_mut() {
                                f.scope = if e.value() == "team" { CannedScope::Team } else { CannedScope::Personal };
                            }
                        },
                        option { value: "personal", selected: f.scope == CannedScope::Personal, {lang.pick("Only mine", "Solo mía")} }
                        option { value: "team", selected: f.scope == CannedScope::Team, {lang.pick("For the whole team", "Para todo el equipo")} }
                    }
                }
                if let Some(p) = *problem.read() {
                    p { class: "field-error small", id: "canned-problem", role: "alert", {problem_text(lang, p)} }
                }
                div { class: "actions",
                    button { class: "secondary", id: "canned-cancel", onclick: move |_| { form.set(None); problem.set(None); }, {lang.pick("Cancel", "Cancelar")} }
                    button { class: "primary", id: "canned-save", onclick: save, {lang.pick("Save", "Guardar")} }
                }
            }
        } else {
            button {
                id: "canned-new",
                class: "secondary",
                onclick: move |_| { problem.set(None); form.set(Some(Form::default())); },
                {lang.pick("New canned response", "Nueva respuesta rápida")}
            }
        }
        if let Some(c) = deleting.read().clone() {
            Confirm {
                id: "confirm-canned-delete",
                title: match lang {
                    Lang::En => format!("Delete /{}?", c.shortcut),
                    Lang::Es => format!("¿Borrar /{}?", c.shortcut),
                },
                body: match c.scope {
                    CannedScope::Team => lang.pick("It goes for the whole team.", "Desaparece para todo el equipo."),
                    CannedScope::Personal => lang.pick("It cannot be brought back.", "No se puede recuperar."),
                }.to_owned(),
                confirm: lang.pick("Delete", "Borrar").to_owned(),
                cancel: lang.pick("Cancel", "Cancelar").to_owned(),
                on_cancel: move |_| deleting.set(None),
                on_confirm: move |_| {
                    deleting.set(None);
                    let id = c.id.clone();
                    spawn_forever(async move {
                        match ipc::invoke(&cmd::DeleteCanned { id }).await {
                            Ok(()) => {
                                if !crate::controller::online(ctx) {
                                    crate::toast::queued(ctx, crate::toast::Doing::Canned);
                                }
                                reload();
                            }
                            Err(e) => crate::toast::fail(ctx, crate::toast::Doing::Canned, &e),
                        }
                    });
                },
            }
        }
    }
}
