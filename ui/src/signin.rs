//! The sign-in screen: server, e-mail, password, clear errors, and the
//! one-click demo.

use dioxus::{core::spawn_forever, prelude::*};
use switchboard_model::ipc::commands as cmd;

use crate::{
    controller::{Ctx, reload},
    i18n::Lang,
    ipc::{self, CommandError, ErrorCode},
};

/// What a failed sign-in tells the agent.
pub fn sign_in_error(lang: Lang, e: &CommandError) -> String {
    match e.code {
        ErrorCode::WrongCredentials => lang
            .pick(
                "Wrong e-mail or password.",
                "El correo o la contraseña no son correctos.",
            )
            .to_owned(),
        ErrorCode::Unreachable => format!(
            "{} ({})",
            lang.pick(
                "The server cannot be reached. Check the address and your connection.",
                "No se puede contactar con el servidor. Revisa la dirección y tu conexión."
            ),
            e.message
        ),
        ErrorCode::Incompatible => lang
            .pick(
                "That address answers, but it is not a Switchboard-compatible server.",
                "Esa dirección responde, pero no es un servidor compatible con Switchboard.",
            )
            .to_owned(),
        _ => e.message.clone(),
    }
}

/// The sign-in screen.
#[component]
pub fn SignIn() -> Element {
    let ctx = use_context::<Ctx>();
    let lang = *ctx.lang.read();
    let boot = ctx.boot.read().clone();
    let server = use_signal(|| {
        boot.as_ref()
            .and_then(|b| b.last_server.clone())
            .unwrap_or_else(|| "http://127.0.0.1:4800".to_owned())
    });
    let email = use_signal(|| {
        boot.as_ref()
            .and_then(|b| b.last_email.clone())
            .unwrap_or_default()
    });
    let password = use_signal(String::new);
    let mut error = use_signal(|| None::<String>);
    let mut busy = use_signal(|| false);
    let keychain = boot.as_ref().is_some_and(|b| b.keychain);

    let submit = move |evt: FormEvent| {
        evt.prevent_default();
        if *busy.peek() {
            return;
        }
        busy.set(true);
        error.set(None);
        spawn(async move {
            let args = cmd::SignIn {
                server: server.peek().clone(),
                email: email.peek().clone(),
                password: password.peek().clone(),
            };
            match ipc::invoke(&args).await {
                // This screen goes away with the reload: nothing local is touched after it.
                Ok(_) => {
                    spawn_forever(reload(ctx));
                }
                Err(e) => {
                    error.set(Some(sign_in_error(*ctx.lang.peek(), &e)));
                    busy.set(false);
                }
            }
        });
    };

    let demo = move |_| {
        if *busy.peek() {
            return;
        }
        busy.set(true);
        error.set(None);
        spawn(async move {
            match ipc::invoke(&cmd::StartDemo {}).await {
                Ok(_) => {
                    spawn_forever(reload(ctx));
                }
                Err(e) => {
                    error.set(Some(e.message));
                    busy.set(false);
                }
            }
        });
    };

    rsx! {
        main { class: "signin",
            div { class: "signin-card",
                h1 { class: "brand", "Switchboard" }
                p { class: "muted", {lang.pick("The console for answering many chats at once.", "La consola para atender muchos chats a la vez.")} }
                form { id: "signin-form", onsubmit: submit,
                    Field { id: "server", label: lang.pick("Server", "Servidor"), kind: "text", autocomplete: "url", value: server }
                    Field { id: "email", label: lang.pick("E-mail", "Correo"), kind: "email", autocomplete: "username", value: email }
                    Field { id: "password", label: lang.pick("Password", "Contraseña"), kind: "password", autocomplete: "current-password", value: password }
                    if let Some(err) = error.read().as_ref() {
                        p { class: "error", id: "signin-error", role: "alert", "{err}" }
                    }
                    button { id: "signin", class: "primary", r#type: "submit", disabled: *busy.read(),
                        if *busy.read() { {lang.pick("Signing in…", "Entrando…")} } else { {lang.pick("Sign in", "Entrar")} }
                    }
                }
                div { class: "or", span { {lang.pick("or", "o")} } }
                button { id: "demo", class: "secondary", disabled: *busy.read(), onclick: demo,
                    {lang.pick("Try the demo", "Probar la demo")}
                }
                p { class: "muted small",
                    {lang.pick(
                        "The demo runs a practice server inside the app, with simulated visitors.",
                        "La demo ejecuta un servidor de prácticas dentro de la app, con visitantes simulados.",
                    )}
                }
                if !keychain {
                    p { class: "muted small",
                        {lang.pick(
                            "No OS keychain: your session is kept in memory until you quit.",
                            "Sin llavero del sistema: la sesión se guarda en memoria hasta que cierres la app.",
                        )}
                    }
                }
            }
        }
    }
}

/// A labelled input bound to a signal (kept in step on `input` and on
/// `change`, which is all a cleared field sends).
#[component]
fn Field(
    id: &'static str,
    label: &'static str,
    kind: &'static str,
    autocomplete: &'static str,
    value: Signal<String>,
) -> Element {
    rsx! {
        label { r#for: id, {label} }
        input {
            id,
            name: id,
            r#type: kind,
            autocomplete,
            value: "{value}",
            oninput: move |e| value.set(e.value()),
            onchange: move |e| value.set(e.value()),
        }
    }
}
