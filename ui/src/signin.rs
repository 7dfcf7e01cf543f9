//! The sign-in screen: server, e-mail, password, clear errors, and the
//! one-click demo.

use dioxus::{core::spawn_forever, prelude::*};
use switchboard_model::ipc::commands as cmd;

use crate::{
    controller::{Ctx, reload},
    i18n::Lang,
    ipc::{self, CommandError, ErrorCode},
};

/// What a failed sign-in tells the agent: chosen by the error's code and
/// translated, never the engine's or the server's own text (a page that
/// answered may be anything).
pub fn sign_in_error(lang: Lang, e: &CommandError) -> Option<String> {
    let text = match e.code {
        ErrorCode::Cancelled => return None,
        ErrorCode::WrongCredentials => lang.pick(
            "Wrong e-mail or password.",
            "El correo o la contraseña no son correctos.",
        ),
        ErrorCode::Unreachable => lang.pick(
            "Nothing answers at that address. Check it, and that the server is running.",
            "Nada responde en esa dirección. Revísala, y que el servidor esté en marcha.",
        ),
        ErrorCode::UnknownHost => lang.pick(
            "That server name cannot be found. Check the address and your connection.",
            "No se encuentra ese nombre de servidor. Revisa la dirección y tu conexión.",
        ),
        ErrorCode::TimedOut => lang.pick(
            "The server did not answer within 15 seconds. Try again, or check the address.",
            "El servidor no respondió en 15 segundos. Vuelve a intentarlo o revisa la dirección.",
        ),
        ErrorCode::Tls => lang.pick(
            "No secure connection could be made: the server's certificate is not valid, or it does not use HTTPS (try http://).",
            "No se pudo establecer una conexión segura: el certificado del servidor no es válido o no usa HTTPS (prueba con http://).",
        ),
        ErrorCode::ServerFailed => lang.pick(
            "The server had an error. Try again in a moment; if it goes on, tell whoever runs it.",
            "El servidor tuvo un error. Vuelve a intentarlo en un momento; si sigue, avisa a quien lo administra.",
        ),
        ErrorCode::Incompatible => lang.pick(
            "That address answers, but it is not a Switchboard server.",
            "Esa dirección responde, pero no es un servidor de Switchboard.",
        ),
        ErrorCode::Invalid => lang.pick(
            "Check the server address: for example http://127.0.0.1:4800.",
            "Revisa la dirección del servidor: por ejemplo http://127.0.0.1:4800.",
        ),
        ErrorCode::Keychain => lang.pick(
            "The system keychain refused to keep the session. Try again, or start with --no-keychain.",
            "El llavero del sistema no guardó la sesión. Vuelve a intentarlo o inicia con --no-keychain.",
        ),
        _ => lang.pick(
            "The sign-in failed. Try again; if it goes on, the log has the details.",
            "No se pudo entrar. Vuelve a intentarlo; si sigue, el registro tiene los detalles.",
        ),
    };
    Some(text.to_owned())
}

/// What the form itself refuses before asking the server.
pub fn form_error(lang: Lang, server: &str, email: &str, password: &str) -> Option<&'static str> {
    if server.trim().is_empty() {
        Some(lang.pick(
            "Enter the server's address.",
            "Escribe la dirección del servidor.",
        ))
    } else if !email.contains('@') {
        Some(lang.pick(
            "Enter the e-mail you sign in with.",
            "Escribe el correo con el que entras.",
        ))
    } else if password.is_empty() {
        Some(lang.pick("Enter your password.", "Escribe tu contraseña."))
    } else {
        None
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
        let args = cmd::SignIn {
            server: server.peek().clone(),
            email: email.peek().trim().to_owned(),
            password: password.peek().clone(),
        };
        if let Some(e) = form_error(*ctx.lang.peek(), &args.server, &args.email, &args.password) {
            error.set(Some(e.to_owned()));
            return;
        }
        busy.set(true);
        error.set(None);
        spawn(async move {
            match ipc::invoke(&args).await {
                // This screen goes away with the reload: nothing local is touched after it.
                Ok(_) => {
                    spawn_forever(reload(ctx));
                }
                Err(e) => {
                    if e.code != ErrorCode::Cancelled {
                        ipc::warn(&format!("sign-in failed: {}", e.code));
                    }
                    error.set(sign_in_error(*ctx.lang.peek(), &e));
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
                    ipc::warn(&format!("the demo failed: {}", e.message));
                    error.set(Some(
                        lang.pick(
                            "The demo could not start. Try again; the log has the details.",
                            "La demo no pudo arrancar. Vuelve a intentarlo; el registro tiene los detalles.",
                        )
                        .to_owned(),
                    ));
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
                    if *busy.read() {
                        button {
                            id: "signin-cancel",
                            class: "secondary",
                            r#type: "button",
                            onclick: move |_| {
                                spawn(async move {
                                    let _ = ipc::invoke(&cmd::CancelSignIn {}).await;
                                });
                            },
                            {lang.pick("Cancel", "Cancelar")}
                        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_in_errors_are_told_apart_and_never_pass_on_a_servers_text() {
        let page = "<html><body>Welcome to nginx!</body></html>";
        let said = |code| sign_in_error(Lang::En, &CommandError::new(code, page));
        let codes = [
            ErrorCode::WrongCredentials,
            ErrorCode::Unreachable,
            ErrorCode::UnknownHost,
            ErrorCode::TimedOut,
            ErrorCode::Tls,
            ErrorCode::ServerFailed,
            ErrorCode::Incompatible,
            ErrorCode::Invalid,
            ErrorCode::Store,
        ];
        let texts: Vec<String> = codes.iter().map(|c| said(*c).expect("a text")).collect();
        for t in &texts {
            assert!(!t.contains("nginx") && !t.contains('<'), "{t}");
        }
        let distinct: std::collections::BTreeSet<&String> = texts.iter().collect();
        assert_eq!(distinct.len(), texts.len(), "each its own words: {texts:?}");
        assert_eq!(said(ErrorCode::Cancelled), None, "a cancel is no error");
        assert!(
            sign_in_error(Lang::Es, &CommandError::new(ErrorCode::WrongCredentials, ""))
                .unwrap()
                .contains("contraseña")
        );
    }

    #[test]
    fn the_form_asks_for_what_is_missing_before_the_server() {
        assert!(form_error(Lang::En, " ", "a@b", "p").unwrap().contains("server"));
        assert!(form_error(Lang::En, "h", "ab", "p").unwrap().contains("e-mail"));
        assert!(form_error(Lang::En, "h", "a@b", "").unwrap().contains("password"));
        assert_eq!(form_error(Lang::En, "h", "a@b", "p"), None);
    }
}
