//! The passing message under the header: what an action's failure means,
//! in the agent's language and chosen by the error's code (never the
//! engine's or a server's raw text, which goes to the log). It covers no
//! composer and no Send, goes away by itself, at once when its cause is
//! gone (the link is back), and never outlives a sign-out.

use dioxus::{core::spawn_forever, prelude::*};

use crate::{
    controller::Ctx,
    i18n::Lang,
    ipc::{self, CommandError, ErrorCode},
};

/// A toast on screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Toast {
    /// Which one (a later toast replaces it; its timer then does nothing).
    pub id: u64,
    /// What it says.
    pub text: String,
    /// It is about the lost link: it goes when the link is back.
    pub until_online: bool,
    /// Something the agent must know (a refused action): a passing remark
    /// (the catch-up's summary) does not replace it.
    pub urgent: bool,
}

/// How long a toast stays (ms).
pub const TOAST_MS: u32 = 8_000;

/// What the agent was doing when it failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Doing {
    /// Accepting a queued chat.
    Accept,
    /// Closing a chat.
    Close,
    /// Sending a refused message again.
    Retry,
    /// Discarding a refused message.
    Discard,
    /// Changing my presence.
    Presence,
    /// Saving the settings or a chat's mute.
    Settings,
    /// Loading the inbox or a chat.
    Load,
    /// Opening a link or a file.
    Open,
    /// Saving a file.
    Save,
    /// Taking a staged file off.
    Unstage,
    /// Installing an update.
    Update,
    /// Searching the messages.
    Search,
    /// Transferring a chat.
    Transfer,
    /// Reopening a chat.
    Reopen,
    /// Changing a chat's tags.
    Tags,
    /// Saving or deleting a canned response.
    Canned,
    /// Setting how many chats I take at once.
    Capacity,
    /// Loading a visitor's earlier chats.
    History,
}

impl Doing {
    fn what(self, lang: Lang) -> &'static str {
        match self {
            Self::Accept => lang.pick("Accepting the chat", "aceptar el chat"),
            Self::Close => lang.pick("Closing the chat", "cerrar el chat"),
            Self::Retry => lang.pick("Sending it again", "reenviarlo"),
            Self::Discard => lang.pick("Discarding the message", "descartar el mensaje"),
            Self::Presence => lang.pick("Changing your status", "cambiar tu estado"),
            Self::Settings => lang.pick("Saving the settings", "guardar los ajustes"),
            Self::Load => lang.pick("Loading", "cargar"),
            Self::Open => lang.pick("Opening it", "abrirlo"),
            Self::Save => lang.pick("Saving the file", "guardar el archivo"),
            Self::Unstage => lang.pick("Removing the file", "quitar el archivo"),
            Self::Update => lang.pick("Installing the update", "instalar la actualización"),
            Self::Search => lang.pick("Searching", "buscar"),
            Self::Transfer => lang.pick("Transferring the chat", "transferir el chat"),
            Self::Reopen => lang.pick("Reopening the chat", "reabrir el chat"),
            Self::Tags => lang.pick("Changing the tags", "cambiar las etiquetas"),
            Self::Canned => lang.pick("Saving the canned response", "guardar la respuesta rápida"),
            Self::Capacity => lang.pick(
                "Setting how many chats you take",
                "cambiar cuántos chats atiendes",
            ),
            Self::History => lang.pick("Loading the visitor's chats", "cargar los chats del visitante"),
        }
    }
}

/// Whether an error is about the link to the server (it passes when the
/// link is back).
pub fn is_network(code: ErrorCode) -> bool {
    matches!(
        code,
        ErrorCode::Unreachable
            | ErrorCode::UnknownHost
            | ErrorCode::TimedOut
            | ErrorCode::Tls
            | ErrorCode::ServerFailed
            | ErrorCode::Link
    )
}

/// What a failure tells the agent.
pub fn failure_text(lang: Lang, doing: Doing, e: &CommandError) -> String {
    let why = match (e.code, doing) {
        (ErrorCode::NeedsLogin | ErrorCode::NotSignedIn, _) => {
            return lang
                .pick(
                    "The session has expired: sign in again.",
                    "La sesión ha caducado: vuelve a entrar.",
                )
                .to_owned();
        }
        (c, _) if is_network(c) => lang.pick(
            "the server cannot be reached. It works again once the connection is back.",
            "no se puede contactar con el servidor. Volverá a funcionar cuando vuelva la conexión.",
        ),
        (ErrorCode::Rejected, Doing::Accept) => lang.pick(
            "another agent took it, or it is no longer waiting.",
            "otro agente lo tomó, o ya no está en espera.",
        ),
        (ErrorCode::Rejected, Doing::Close) => lang.pick(
            "the server would not close it (it may be closed already).",
            "el servidor no lo cerró (puede que ya esté cerrado).",
        ),
        (ErrorCode::Rejected, _) => lang.pick("the server refused.", "el servidor lo rechazó."),
        (ErrorCode::Invalid, Doing::Open) => lang.pick(
            "only web links, and files that cannot run programs, open from here.",
            "desde aquí solo se abren enlaces web y archivos que no pueden ejecutar programas.",
        ),
        (ErrorCode::Invalid, Doing::Retry | Doing::Discard) => lang.pick(
            "the message is no longer waiting here.",
            "el mensaje ya no está pendiente aquí.",
        ),
        (ErrorCode::Invalid, _) => lang.pick("that is not possible here.", "eso no es posible aquí."),
        (ErrorCode::Store, _) => lang.pick(
            "the local cache failed (the log has the details).",
            "falló la caché local (el registro tiene los detalles).",
        ),
        (ErrorCode::Keychain, _) => lang.pick("the system keychain failed.", "falló el llavero del sistema."),
        (ErrorCode::Unsupported, _) => {
            lang.pick("this system cannot do it.", "este sistema no puede hacerlo.")
        }
        _ => lang.pick(
            "something went wrong (the log has the details).",
            "algo salió mal (el registro tiene los detalles).",
        ),
    };
    match lang {
        Lang::En => format!("{} failed: {why}", doing.what(lang)),
        Lang::Es => format!("No se pudo {}: {why}", doing.what(lang)),
    }
}

/// Toast ids, never reused: an old toast's timer cannot end a new one.
static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

fn show(ctx: Ctx, text: String, until_online: bool) {
    put(ctx, text, until_online, false);
}

fn put(mut ctx: Ctx, text: String, until_online: bool, urgent: bool) {
    let id = NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    ctx.toast.set(Some(Toast {
        id,
        text,
        until_online,
        urgent,
    }));
    spawn_forever(async move {
        ipc::sleep(TOAST_MS).await;
        if ctx.toast.peek().as_ref().is_some_and(|t| t.id == id) {
            ctx.toast.set(None);
        }
    });
}

/// Says something in passing (a summary, where a file was saved); an
/// urgent toast on screen stays.
pub fn say(ctx: Ctx, text: String) {
    if ctx.toast.peek().as_ref().is_some_and(|t| t.urgent) {
        return;
    }
    show(ctx, text, false);
}

/// Tells what a failure means; its raw text goes to the log.
pub fn fail(ctx: Ctx, doing: Doing, e: &CommandError) {
    ipc::warn(&format!("{doing:?} failed: {} ({})", e.message, e.code));
    let text = failure_text(*ctx.lang.peek(), doing, e);
    show(ctx, text, is_network(e.code));
}

/// What an action done while the link is down tells: it applies here at
/// once, and reaches the server once the connection is back.
pub fn queued_text(lang: Lang, doing: Doing) -> String {
    match doing {
        Doing::Accept => lang.pick(
            "Accepted here. The server gets it once the connection is back.",
            "Aceptado aquí. El servidor lo recibirá cuando vuelva la conexión.",
        ),
        Doing::Close => lang.pick(
            "Closed here. The server gets it once the connection is back.",
            "Cerrado aquí. El servidor lo recibirá cuando vuelva la conexión.",
        ),
        Doing::Transfer => lang.pick(
            "Transferred here. The server gets it once the connection is back.",
            "Transferido aquí. El servidor lo recibirá cuando vuelva la conexión.",
        ),
        Doing::Reopen => lang.pick(
            "Reopened here. The server gets it once the connection is back.",
            "Reabierto aquí. El servidor lo recibirá cuando vuelva la conexión.",
        ),
        Doing::Tags => lang.pick(
            "Tags changed here. The server gets them once the connection is back.",
            "Etiquetas cambiadas aquí. El servidor las recibirá cuando vuelva la conexión.",
        ),
        Doing::Canned => lang.pick(
            "Saved here. The server gets it once the connection is back.",
            "Guardado aquí. El servidor lo recibirá cuando vuelva la conexión.",
        ),
        _ => lang.pick(
            "Done here. The server gets it once the connection is back.",
            "Hecho aquí. El servidor lo recibirá cuando vuelva la conexión.",
        ),
    }
    .to_owned()
}

/// Says that an action waits for the link (it goes when the link is back).
pub fn queued(ctx: Ctx, doing: Doing) {
    let text = queued_text(*ctx.lang.peek(), doing);
    show(ctx, text, true);
}

/// What the server's refusal of a queued action tells, and what waits
/// behind it (`held` messages of the chat).
pub fn refused_text(lang: Lang, action: &switchboard_model::actions::ActionKind, held: u32) -> String {
    use switchboard_model::actions::ActionKind as K;
    let what = match action {
        K::Accept => lang.pick(
            "Your accept did not apply: another agent took the chat, or it closed, meanwhile.",
            "Tu aceptación no se aplicó: otro agente tomó el chat, o se cerró, entretanto.",
        ),
        K::Close => lang.pick(
            "Closing the chat did not apply: it changed on the server meanwhile.",
            "El cierre del chat no se aplicó: cambió en el servidor entretanto.",
        ),
        K::Transfer { .. } => lang.pick(
            "The transfer did not apply: the chat changed on the server meanwhile.",
            "La transferencia no se aplicó: el chat cambió en el servidor entretanto.",
        ),
        K::Reopen => lang.pick(
            "Reopening did not apply: the chat changed on the server meanwhile.",
            "La reapertura no se aplicó: el chat cambió en el servidor entretanto.",
        ),
        K::Tags { .. } => lang.pick(
            "The tags did not apply: the server refused them.",
            "Las etiquetas no se aplicaron: el servidor las rechazó.",
        ),
        K::CannedPut { .. } | K::CannedDelete { .. } => lang.pick(
            "A canned-response change did not apply: the server refused it.",
            "Un cambio en las respuestas rápidas no se aplicó: el servidor lo rechazó.",
        ),
    };
    if held == 0 {
        return what.to_owned();
    }
    let rest = lang.pick(
        " What you wrote after it waits in the chat: send it or discard it.",
        " Lo que escribiste después espera en el chat: envíalo o descártalo.",
    );
    format!("{what}{rest}")
}

/// Tells that the server refused a queued action (the raw reason goes to
/// the log).
pub fn refused(ctx: Ctx, action: &switchboard_model::actions::QueuedAction, held: u32) {
    ipc::warn(&format!(
        "{} refused: {}",
        action.action.name(),
        action.error.as_deref().unwrap_or("")
    ));
    let text = refused_text(*ctx.lang.peek(), &action.action, held);
    put(ctx, text, false, true);
}

/// The link is back: a toast about its loss goes.
pub fn link_back(mut ctx: Ctx) {
    if ctx.toast.peek().as_ref().is_some_and(|t| t.until_online) {
        ctx.toast.set(None);
    }
}

/// The toast on screen, if any.
#[component]
pub fn ToastView() -> Element {
    let mut ctx = use_context::<Ctx>();
    let toast = ctx.toast.read().clone();
    let lang = *ctx.lang.read();
    match toast {
        Some(t) => rsx! {
            div { class: "toast", id: "toast", role: "status",
                span { "{t.text}" }
                button {
                    class: "link",
                    title: lang.pick("Dismiss", "Cerrar"),
                    onclick: move |_| ctx.toast.set(None),
                    "✕"
                }
            }
        },
        None => rsx! {},
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_are_told_by_code_in_the_agents_language_never_raw() {
        let raw =
            "error sending request for url (http://127.0.0.1:4800/v2/chats/c1/accept): tcp connect error";
        let e = |code| CommandError::new(code, raw);
        let offline = failure_text(Lang::En, Doing::Accept, &e(ErrorCode::Unreachable));
        assert_eq!(
            offline,
            "Accepting the chat failed: the server cannot be reached. It works again once the connection is back."
        );
        assert!(is_network(ErrorCode::TimedOut) && !is_network(ErrorCode::Rejected));
        let taken = failure_text(Lang::Es, Doing::Accept, &e(ErrorCode::Rejected));
        assert_eq!(
            taken,
            "No se pudo aceptar el chat: otro agente lo tomó, o ya no está en espera."
        );
        for code in [
            ErrorCode::Rejected,
            ErrorCode::Invalid,
            ErrorCode::Store,
            ErrorCode::Shell,
            ErrorCode::NeedsLogin,
            ErrorCode::Link,
        ] {
            for doing in [Doing::Close, Doing::Open, Doing::Save, Doing::Settings] {
                let t = failure_text(Lang::En, doing, &e(code));
                assert!(
                    !t.contains("127.0.0.1") && !t.contains("tcp"),
                    "{code:?} {doing:?}: {t}"
                );
            }
        }
        assert!(failure_text(Lang::En, Doing::Close, &e(ErrorCode::NeedsLogin)).contains("sign in again"));
    }

    #[test]
    fn a_queued_action_says_it_waits_and_a_refusal_what_waits_behind_it() {
        use switchboard_model::actions::ActionKind;
        assert_eq!(
            queued_text(Lang::En, Doing::Accept),
            "Accepted here. The server gets it once the connection is back."
        );
        assert!(queued_text(Lang::Es, Doing::Close).starts_with("Cerrado aquí."));
        let alone = refused_text(Lang::En, &ActionKind::Accept, 0);
        let held = refused_text(Lang::En, &ActionKind::Accept, 2);
        assert!(alone.starts_with("Your accept did not apply") && !alone.contains("waits"));
        assert!(held.starts_with(&alone) && held.contains("send it or discard it"));
        assert!(refused_text(Lang::Es, &ActionKind::Accept, 1).contains("envíalo o descártalo"));
        let kinds = [
            ActionKind::Accept,
            ActionKind::Close,
            ActionKind::Transfer { to_agent_id: None },
            ActionKind::Reopen,
            ActionKind::Tags { tags: vec![] },
        ];
        let texts: std::collections::BTreeSet<_> =
            kinds.iter().map(|k| refused_text(Lang::En, k, 0)).collect();
        assert_eq!(texts.len(), kinds.len(), "each says which action did not apply");
    }
}
