//! The Settings screen (notifications, tray, start at login) and the
//! per-chat mute switch. The shell holds and saves the settings.

use dioxus::{core::spawn_forever, prelude::*};
use switchboard_model::ipc::commands as cmd;

use crate::{
    controller::{Ctx, DesktopSettings, load_settings},
    i18n::Lang,
    ipc,
};

/// Saves a change; on refusal the shell's settings come back.
fn save(mut ctx: Ctx, next: DesktopSettings) {
    ctx.settings.set(Some(next.clone()));
    spawn_forever(async move {
        if let Err(e) = ipc::invoke(&cmd::SetSettings { settings: next }).await {
            crate::toast::fail(ctx, crate::toast::Doing::Settings, &e);
            load_settings(ctx).await;
        }
    });
}

/// The choices of the queue repeat, in seconds (0: ring once).
pub const REPEATS: [u64; 5] = [0, 30, 60, 120, 300];

/// How a repeat interval reads.
pub fn repeat_label(lang: Lang, secs: u64) -> String {
    match (secs, lang) {
        (0, _) => lang.pick("Ring once", "Sonar una vez").to_owned(),
        (s, Lang::En) if s < 60 => format!("Every {s} s"),
        (s, Lang::Es) if s < 60 => format!("Cada {s} s"),
        (s, Lang::En) => format!("Every {} min", s / 60),
        (s, Lang::Es) => format!("Cada {} min", s / 60),
    }
}

/// The choices of the queue highlight, in minutes (0: never).
pub const HIGHLIGHTS: [u32; 6] = [0, 1, 2, 3, 5, 10];

/// How a highlight threshold reads.
pub fn highlight_label(lang: Lang, mins: u32) -> String {
    match (mins, lang) {
        (0, _) => lang.pick("Never", "Nunca").to_owned(),
        (m, Lang::En) => format!("After {m} min"),
        (m, Lang::Es) => format!("A los {m} min"),
    }
}

/// The choices of automatic away, in idle minutes (0: never).
pub const AWAY_AFTER: [u32; 7] = [0, 5, 10, 15, 30, 60, 120];

/// How an automatic-away choice reads.
pub fn away_label(lang: Lang, mins: u32) -> String {
    match (mins, lang) {
        (0, _) => lang.pick("Never", "Nunca").to_owned(),
        (m, Lang::En) => format!("After {m} idle min"),
        (m, Lang::Es) => format!("Tras {m} min sin actividad"),
    }
}

/// The Settings screen.
#[component]
pub fn SettingsPanel(open: Signal<bool>) -> Element {
    let ctx = use_context::<Ctx>();
    let lang = *ctx.lang.read();
    let Some(s) = ctx.settings.read().clone() else {
        return rsx! {
            div { class: "popover settings", p { class: "muted", {lang.pick("Loading…", "Cargando…")} } }
        };
    };
    let base = s.clone();
    let toggle = move |f: fn(&mut DesktopSettings)| {
        let s = base.clone();
        move |_| {
            let mut next = s.clone();
            f(&mut next);
            save(ctx, next);
        }
    };
    let s2 = s.clone();
    let s3 = s.clone();
    let s4 = s.clone();
    let offers = |f: &str| ctx.inbox.read().as_ref().is_some_and(|i| i.offers(f));
    rsx! {
        div { class: "popover settings", id: "settings", role: "dialog",
            div { class: "popover-head",
                strong { {lang.pick("Settings", "Ajustes")} }
                button { class: "link", onclick: move |_| open.set(false), "✕" }
            }
            h4 { {lang.pick("Notifications", "Notificaciones")} }
            label { class: "check",
                input { id: "set-paused", r#type: "checkbox", checked: s.alerts.paused, onchange: toggle(|n| n.alerts.paused = !n.alerts.paused) }
                {lang.pick("Pause notifications", "Pausar notificaciones")}
            }
            label { class: "check",
                input { id: "set-sound", r#type: "checkbox", checked: s.alerts.sound, onchange: toggle(|n| n.alerts.sound = !n.alerts.sound) }
                {lang.pick("Play a sound", "Reproducir un sonido")}
            }
            label { class: "check",
                input { id: "set-quiet-busy", r#type: "checkbox", checked: s.alerts.quiet_when_busy, onchange: toggle(|n| n.alerts.quiet_when_busy = !n.alerts.quiet_when_busy) }
                {lang.pick("Do not disturb while I am busy", "No molestar mientras estoy ocupado")}
            }
            label { class: "row",
                span { {lang.pick("A waiting visitor rings", "Un visitante en espera suena")} }
                select {
                    id: "set-repeat",
                    value: "{s.alerts.repeat_queue_secs}",
                    onchange: move |e| {
                        if let Ok(v) = e.value().parse::<u64>() {
                            let mut next = s2.clone();
                            next.alerts.repeat_queue_secs = v;
                            save(ctx, next);
                        }
                    },
                    for r in REPEATS {
                        option { value: "{r}", selected: r == s.alerts.repeat_queue_secs, {repeat_label(lang, r)} }
                    }
                }
            }
            label { class: "row",
                span { {lang.pick("Highlight a visitor waiting", "Resaltar a un visitante que espera")} }
                select {
                    id: "set-highlight",
                    value: "{s.queue_highlight_mins}",
                    onchange: move |e| {
                        if let Ok(v) = e.value().parse::<u32>() {
                            let mut next = s3.clone();
                            next.queue_highlight_mins = v;
                            save(ctx, next);
                        }
                    },
                    for m in HIGHLIGHTS {
                        option { value: "{m}", selected: m == s.queue_highlight_mins, {highlight_label(lang, m)} }
                    }
                }
            }
            if !s.alerts.muted.is_empty() {
                p { class: "muted small",
                    {match lang {
                        Lang::En => format!("{} muted chat(s): unmute them from the chat.", s.alerts.muted.len()),
                        Lang::Es => format!("{} chat(s) silenciado(s): reactívalos desde el chat.", s.alerts.muted.len()),
                    }}
                }
            }
            h4 { {lang.pick("Presence", "Presencia")} }
            label { class: "row",
                span { {lang.pick("Show me away", "Mostrarme ausente")} }
                select {
                    id: "set-away-after",
                    value: "{s.away_after_idle_mins}",
                    onchange: move |e| {
                        if let Ok(v) = e.value().parse::<u32>() {
                            let mut next = s4.clone();
                            next.away_after_idle_mins = v;
                            save(ctx, next);
                        }
                    },
                    for m in AWAY_AFTER {
                        option { value: "{m}", selected: m == s.away_after_idle_mins, {away_label(lang, m)} }
                    }
                    if !AWAY_AFTER.contains(&s.away_after_idle_mins) {
                        option { value: "{s.away_after_idle_mins}", selected: true, {away_label(lang, s.away_after_idle_mins)} }
                    }
                }
            }
            label { class: "check",
                input { id: "set-away-locked", r#type: "checkbox", checked: s.away_when_locked, onchange: toggle(|n| n.away_when_locked = !n.away_when_locked) }
                {lang.pick("Show me away while the screen is locked", "Mostrarme ausente con la pantalla bloqueada")}
            }
            p { class: "muted small",
                {lang.pick(
                    "You are back online on your return, unless you chose away or busy yourself.",
                    "Vuelves a estar en línea al volver, salvo que tú hayas elegido ausente u ocupado.",
                )}
            }
            if offers(switchboard_protocol::feature::ASSIGNMENT) {
                h4 { {lang.pick("Chats", "Chats")} }
                Capacity {}
            }
            if offers(switchboard_protocol::feature::CANNED) {
                crate::canned_manager::CannedManager {}
            }
            h4 { {lang.pick("Window", "Ventana")} }
            if ctx.boot.read().as_ref().is_some_and(|b| b.tray) {
                label { class: "check",
                    input { id: "set-close-to-tray", r#type: "checkbox", checked: s.close_to_tray, onchange: toggle(|n| n.close_to_tray = !n.close_to_tray) }
                    {lang.pick("Closing the window keeps Switchboard in the tray", "Al cerrar la ventana, Switchboard sigue en la bandeja")}
                }
            }
            label { class: "check",
                input { id: "set-autostart", r#type: "checkbox", checked: s.start_at_login, onchange: toggle(|n| n.start_at_login = !n.start_at_login) }
                {lang.pick("Start Switchboard when I log in", "Abrir Switchboard al iniciar sesión")}
            }
        }
    }
}

/// How many chats the server assigns me at once (v2.1 `assignment`; 0:
/// none, I take them from the queue).
#[component]
fn Capacity() -> Element {
    let mut ctx = use_context::<Ctx>();
    let lang = *ctx.lang.read();
    let current = ctx
        .inbox
        .read()
        .as_ref()
        .and_then(|i| i.agents.get(i.me()).and_then(|a| a.max_chats))
        .unwrap_or(0);
    let mut problem = use_signal(|| false);
    let mut set = move |v: String| {
        let Ok(n) = v.trim().parse::<u32>() else {
            problem.set(true);
            return;
        };
        if n > switchboard_protocol::MAX_MAX_CHATS {
            problem.set(true);
            return;
        }
        problem.set(false);
        if n == current {
            return;
        }
        let asked = ctx.inbox.peek().as_ref().map_or(0, |i| i.presence_seq());
        spawn_forever(async move {
            match ipc::invoke(&cmd::SetMaxChats { max_chats: n }).await {
                Ok(team) => {
                    if let Some(i) = ctx.inbox.write().as_mut() {
                        i.set_agents_asked_at(team, asked);
                    }
                }
                Err(e) => crate::toast::fail(ctx, crate::toast::Doing::Capacity, &e),
            }
        });
    };
    rsx! {
        label { class: "row",
            span { {lang.pick("Chats assigned to me at once", "Chats que se me asignan a la vez")} }
            input {
                id: "set-max-chats",
                r#type: "number",
                min: "0",
                max: "{switchboard_protocol::MAX_MAX_CHATS}",
                style: "width: 64px",
                value: "{current}",
                onchange: move |e| set(e.value()),
                // The console's own keys stay out of the field (Enter or
                // leaving it sets the number).
                onkeydown: move |e: KeyboardEvent| e.stop_propagation(),
            }
        }
        p { class: if *problem.read() { "field-error small" } else { "muted small" },
            {if current == 0 {
                lang.pick(
                    "0: nothing is assigned to you; you take chats from the queue.",
                    "0: no se te asigna nada; tomas los chats de la cola.",
                )
            } else {
                lang.pick(
                    "New chats come to you while you are online and have room (0 to 100).",
                    "Los chats nuevos te llegan mientras estás en línea y tienes hueco (de 0 a 100).",
                )
            }}
        }
    }
}

/// Mutes or unmutes one chat's notifications.
#[component]
pub fn MuteButton(chat_id: String) -> Element {
    let mut ctx = use_context::<Ctx>();
    let lang = *ctx.lang.read();
    let muted = ctx
        .settings
        .read()
        .as_ref()
        .is_some_and(|s| s.alerts.muted.contains(&chat_id));
    rsx! {
        button {
            id: "mute",
            class: if muted { "secondary muted-on" } else { "secondary" },
            "aria-pressed": muted,
            title: if muted { lang.pick("Notifications for this chat are off", "Las notificaciones de este chat están desactivadas") } else { lang.pick("Turn off notifications for this chat", "Desactivar las notificaciones de este chat") },
            onclick: move |_| {
                let id = chat_id.clone();
                spawn_forever(async move {
                    match ipc::invoke(&cmd::Mute { chat_id: id, muted: !muted }).await {
                        Ok(s) => ctx.settings.set(Some(s)),
                        Err(e) => crate::toast::fail(ctx, crate::toast::Doing::Settings, &e),
                    }
                });
            },
            if muted { {lang.pick("Muted", "Silenciado")} } else { {lang.pick("Mute", "Silenciar")} }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeat_choices_read_in_both_languages() {
        assert_eq!(repeat_label(Lang::En, 0), "Ring once");
        assert_eq!(repeat_label(Lang::En, 30), "Every 30 s");
        assert_eq!(repeat_label(Lang::Es, 120), "Cada 2 min");
    }
}
