//! Desktop notifications: the engine's changes go through the
//! [`Alerter`](switchboard_model::alerts::Alerter) (which decides) and the
//! ones it asks for are raised with notify-rust (which shows). Without a
//! notification service the app says so once in its log and goes on.

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use switchboard_engine::Engine;
use switchboard_model::{
    Change,
    alerts::{Alert, Alerter, Attention},
};
use tauri::{AppHandle, Manager, Runtime};
use tokio::sync::broadcast;

use crate::settings::DesktopSettings;

/// A notification as the OS shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shown {
    /// Title line.
    pub title: String,
    /// Body.
    pub body: String,
    /// Play a sound.
    pub sound: bool,
    /// A visitor waiting: more urgent than a message.
    pub urgent: bool,
}

/// Shows notifications; blocking (called off the async runtime).
pub trait Notifier: Send + Sync + 'static {
    /// Shows one; `on_click` runs if the agent clicks it (where the platform
    /// tells). An error means nothing was shown.
    fn show(&self, n: &Shown, on_click: Box<dyn FnOnce() + Send>) -> Result<(), String>;
}

/// The OS's notifications through notify-rust.
#[derive(Debug)]
pub struct SystemNotifier {
    app_name: String,
}

impl SystemNotifier {
    /// Notifications under this application name.
    pub fn new(app_name: &str) -> Self {
        Self {
            app_name: app_name.to_owned(),
        }
    }
}

impl Notifier for SystemNotifier {
    fn show(&self, n: &Shown, on_click: Box<dyn FnOnce() + Send>) -> Result<(), String> {
        let mut note = notify_rust::Notification::new();
        note.appname(&self.app_name)
            .summary(&n.title)
            .body(&n.body)
            .icon("app.switchboard.desktop")
            .timeout(notify_rust::Timeout::Milliseconds(if n.urgent {
                15_000
            } else {
                8_000
            }));
        #[cfg(all(unix, not(target_os = "macos")))]
        {
            note.action("default", "Open");
            if n.sound {
                note.hint(notify_rust::Hint::SoundName("message-new-instant".to_owned()));
            } else {
                note.hint(notify_rust::Hint::SuppressSound(true));
            }
            note.hint(notify_rust::Hint::Category(
                if n.urgent { "im.received" } else { "im" }.to_owned(),
            ));
        }
        let handle = note.show().map_err(|e| e.to_string())?;
        #[cfg(all(unix, not(target_os = "macos")))]
        std::thread::spawn(move || {
            handle.wait_for_action(|action| {
                if action == "default" {
                    on_click();
                }
            });
        });
        #[cfg(not(all(unix, not(target_os = "macos"))))]
        {
            let _ = (handle, on_click);
        }
        Ok(())
    }
}

/// The desktop side the shell shares: settings, where the agent looks,
/// and the notifier.
pub struct Desk {
    /// What the agent chose (changed through `Shell::update_settings`).
    settings: Mutex<DesktopSettings>,
    /// Focus, open chat, presence.
    pub attention: Mutex<Attention>,
    notifier: Arc<dyn Notifier>,
    warned: AtomicBool,
    spanish: bool,
}

impl std::fmt::Debug for Desk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Desk").finish_non_exhaustive()
    }
}

use switchboard_protocol::sync::lock;

impl Desk {
    /// A desk with these settings and notifier; `spanish` picks the language.
    pub fn new(settings: DesktopSettings, notifier: Arc<dyn Notifier>, spanish: bool) -> Self {
        Self {
            settings: Mutex::new(settings),
            attention: Mutex::new(Attention {
                focused: true,
                ..Attention::default()
            }),
            notifier,
            warned: AtomicBool::new(false),
            spanish,
        }
    }

    /// Whether the desktop texts are Spanish.
    pub fn spanish(&self) -> bool {
        self.spanish
    }

    /// The settings now.
    pub fn settings(&self) -> DesktopSettings {
        lock(&self.settings).clone()
    }

    /// Applies new settings in memory. `Shell::update_settings` is the one
    /// caller that also saves them; tests set them directly.
    pub fn replace_settings(&self, settings: DesktopSettings) {
        *lock(&self.settings) = settings;
    }

    /// Where the agent looks now.
    pub fn attention(&self) -> Attention {
        lock(&self.attention).clone()
    }

    /// Updates where the agent looks.
    pub fn attend(&self, f: impl FnOnce(&mut Attention)) {
        f(&mut lock(&self.attention));
    }

    fn text(&self, alert: &Alert) -> Shown {
        let es = self.spanish;
        let pick = |en: &str, sp: &str| if es { sp.to_owned() } else { en.to_owned() };
        let (title, body, urgent) = match alert {
            Alert::Queued {
                visitor,
                preview,
                repeat,
                waiting,
                ..
            } => {
                let title = match (*repeat, *waiting) {
                    (0, _) => pick(&format!("New chat: {visitor}"), &format!("Nuevo chat: {visitor}")),
                    (_, 0 | 1) => pick(
                        &format!("{visitor} is still waiting"),
                        &format!("{visitor} sigue esperando"),
                    ),
                    (_, n) => pick(
                        &format!("{n} visitors are waiting; {visitor} the longest"),
                        &format!("{n} visitantes esperan; {visitor} desde hace más tiempo"),
                    ),
                };
                let body = preview
                    .clone()
                    .unwrap_or_else(|| pick("Waiting in the queue", "Esperando en la cola"));
                (title, body, true)
            }
            Alert::Message { from, text, note, .. } => {
                let who = from.clone().unwrap_or_else(|| pick("An agent", "Un agente"));
                let title = if *note {
                    pick(
                        &format!("Internal note from {who}"),
                        &format!("Nota interna de {who}"),
                    )
                } else {
                    who
                };
                (title, text.clone(), false)
            }
            Alert::Server { title, body, .. } => (title.clone(), body.clone(), false),
            Alert::Summary { messages, chats, .. } => {
                let s = |n: u64| if n == 1 { "" } else { "s" };
                (
                    pick(
                        &format!(
                            "{messages} new message{} in {chats} chat{}",
                            s(*messages),
                            s(*chats)
                        ),
                        &format!(
                            "{messages} mensaje{} nuevo{} en {chats} chat{}",
                            s(*messages),
                            s(*messages),
                            s(*chats)
                        ),
                    ),
                    pick("While you were away", "Mientras no estabas"),
                    false,
                )
            }
        };
        Shown {
            title,
            body,
            sound: lock(&self.settings).alerts.sound,
            urgent,
        }
    }

    /// Raises alerts (off the async runtime); a click opens the app at the chat.
    pub fn raise<R: Runtime>(self: &Arc<Self>, app: &AppHandle<R>, alerts: Vec<Alert>) {
        for alert in alerts {
            let shown = self.text(&alert);
            let chat_id = alert.chat_id().map(str::to_owned);
            let app = app.clone();
            let desk = self.clone();
            tauri::async_runtime::spawn_blocking(move || {
                let click_app = app.clone();
                let on_click = Box::new(move || crate::window::open_at(&click_app, chat_id));
                match desk.notifier.show(&shown, on_click) {
                    Ok(()) => tracing::debug!(title = %shown.title, "notification raised"),
                    Err(e) => {
                        if !desk.warned.swap(true, Ordering::SeqCst) {
                            tracing::warn!(error = %e, "no desktop notification service: notifications are off (the app works without them)");
                        }
                    }
                }
            });
        }
    }
}

/// Follows an engine and raises what its changes call for, until the
/// engine's change stream ends (the account stopped).
pub async fn run<R: Runtime>(
    app: AppHandle<R>,
    engine: Engine,
    desk: Arc<Desk>,
    mut changes: broadcast::Receiver<Change>,
) {
    let me = engine.me().map(|a| a.id).unwrap_or_default();
    desk.attend(|a| a.me = me.clone());
    let chats = engine.chats().unwrap_or_default();
    let mut alerter = Alerter::new(&chats);
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let mut alerts = Vec::new();
        tokio::select! {
            r = changes.recv() => match r {
                Ok(change) => {
                    if let Change::Presence { user_id, status } = &change
                        && *user_id == me
                    {
                        desk.attend(|a| a.presence = Some(*status));
                        app.state::<crate::badge::Badge>().set_presence(*status);
                    }
                    let (settings, attention) = (desk.settings(), desk.attention());
                    alerts.extend(alerter.on_change(&change, &settings.alerts, &attention));
                    alerts.extend(alerter.due(now_ms(), &settings.alerts, &attention));
                }
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    tracing::warn!(skipped = n, "notifications fell behind the engine");
                }
                Err(broadcast::error::RecvError::Closed) => return,
            },
            _ = tick.tick() => {
                let (settings, attention) = (desk.settings(), desk.attention());
                alerts.extend(alerter.due(now_ms(), &settings.alerts, &attention));
            }
        }
        if !alerts.is_empty() {
            desk.raise(&app, alerts);
        }
    }
}

use switchboard_protocol::time::now_ms;
