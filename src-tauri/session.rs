//! The signed-in account of the app: one engine (and, for the demo, the hub
//! it runs in-process), signing in, out and resuming, and the one way the
//! settings and my presence change. Its changes reach the webview through
//! [`crate::forward`]; who signed in last is in [`crate::prefs`].

use std::{path::Path, sync::Arc};

use switchboard_engine::{Engine, EngineConfig};
use switchboard_model::ipc::events::EngineResync;
pub use switchboard_model::ipc::{Account, Boot, Snapshot};
use switchboard_model::{ConnectionState, ipc::DesktopSettings};
use switchboard_protocol::Presence;
use tauri::{AppHandle, Manager, Runtime};
use tokio::sync::Mutex;
use url::Url;

use crate::{
    error::{CommandError, CommandResult, ErrorCode, emit},
    forward::forward,
    notify::{Desk, Notifier, SystemNotifier},
};
pub use crate::{options::Options, prefs::Prefs};

/// The demo agent the "Try the demo" button signs in as.
pub const DEMO_EMAIL: &str = "agent@example.com";
const DEMO_PASSWORD: &str = "password";

struct Active {
    engine: Engine,
    account: Account,
    hub: Option<switchboard_hub::RunningHub>,
    forwarder: tauri::async_runtime::JoinHandle<()>,
    alerts: tauri::async_runtime::JoinHandle<()>,
}

/// The app's state: at most one account signed in at a time.
pub struct Shell {
    options: Options,
    active: Mutex<Option<Active>>,
    boot_done: Mutex<bool>,
    desk: Arc<Desk>,
    /// Bumped by Cancel on the sign-in form: the sign-in under way ends.
    sign_in_cancel: tokio::sync::watch::Sender<u64>,
}

/// How long a sign-in may take before it gives up.
pub const SIGN_IN_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15);

impl std::fmt::Debug for Shell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shell")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// Parses what a person typed as a server address (`localhost:4800` is fine).
pub fn parse_server(input: &str) -> CommandResult<Url> {
    let input = input.trim();
    if input.is_empty() {
        return Err(CommandError::new(
            ErrorCode::Invalid,
            "enter the server's address",
        ));
    }
    let with_scheme = if input.contains("://") {
        input.to_owned()
    } else {
        format!("http://{input}")
    };
    let url = Url::parse(&with_scheme)
        .map_err(|e| CommandError::new(ErrorCode::Invalid, format!("not a server address: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(CommandError::new(
            ErrorCode::Invalid,
            "the server address must be an http:// or https:// URL",
        ));
    }
    Ok(url)
}

impl Shell {
    /// A shell with nobody signed in yet.
    pub fn new(options: Options) -> Self {
        let notifier = Arc::new(SystemNotifier::new(&options.notify_app_name));
        Self::with_notifier(options, notifier)
    }

    /// A shell whose notifications go to `notifier`.
    pub fn with_notifier(options: Options, notifier: Arc<dyn Notifier>) -> Self {
        let prefs = Prefs::load(&options.data_dir);
        let spanish = prefs
            .locale
            .or_else(|| std::env::var("LANG").ok())
            .is_some_and(|l| l.to_ascii_lowercase().starts_with("es"));
        let desk = Arc::new(Desk::new(
            crate::settings::load(&options.data_dir),
            notifier,
            spanish,
        ));
        Self {
            options,
            active: Mutex::new(None),
            boot_done: Mutex::new(false),
            desk,
            sign_in_cancel: tokio::sync::watch::Sender::new(0),
        }
    }

    /// The desktop side: settings, attention, notifications.
    pub fn desk(&self) -> &Arc<Desk> {
        &self.desk
    }

    /// The options it runs with.
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// Saves and applies new desktop settings: the one way they change
    /// (the Settings screen, a chat's Mute, the tray's Pause).
    pub fn update_settings(&self, settings: DesktopSettings) -> CommandResult<()> {
        crate::settings::save(&settings, &self.options.data_dir).map_err(|e| {
            CommandError::new(ErrorCode::Invalid, format!("could not save the settings: {e}"))
        })?;
        self.desk.replace_settings(settings);
        Ok(())
    }

    /// Sets my presence: the one way it changes (the header, the tray).
    /// The engine tells the server; the alerts know at once (busy is quiet).
    pub async fn set_presence(&self, status: Presence) -> CommandResult<()> {
        if status == Presence::Offline {
            return Err(CommandError::new(
                ErrorCode::Invalid,
                "presence is online, away or busy",
            ));
        }
        self.engine().await?.set_presence(status);
        self.desk.attend(|a| a.presence = Some(status));
        Ok(())
    }

    /// The engine of the signed-in account.
    pub async fn engine(&self) -> CommandResult<Engine> {
        self.active
            .lock()
            .await
            .as_ref()
            .map(|a| a.engine.clone())
            .ok_or_else(CommandError::not_signed_in)
    }

    /// First call of the UI: resumes the last account when its token is
    /// still held (or starts the demo for `--demo`), and says what to show.
    pub async fn boot<R: Runtime>(&self, app: &AppHandle<R>) -> Boot {
        let prefs = Prefs::load(&self.options.data_dir);
        let mut error = None;
        let first = {
            let mut done = self.boot_done.lock().await;
            !std::mem::replace(&mut *done, true)
        };
        if first && self.active.lock().await.is_none() {
            if self.options.demo {
                if let Err(e) = self.start_demo(app).await {
                    tracing::error!(error = %e, "the demo could not start");
                    error = Some(e.message);
                }
            } else if prefs.signed_in
                && let Err(e) = self.resume(app, &prefs).await
            {
                tracing::info!(error = %e, "the last account needs a new sign-in");
            }
        }
        Boot {
            account: self.active.lock().await.as_ref().map(|a| a.account.clone()),
            last_server: prefs.last_server,
            last_email: prefs.last_email,
            locale: prefs.locale,
            keychain: self.options.keychain,
            error,
            tray: app.state::<crate::badge::Badge>().shown(),
        }
    }

    async fn resume<R: Runtime>(&self, app: &AppHandle<R>, prefs: &Prefs) -> CommandResult<()> {
        let (Some(server), Some(email)) = (&prefs.last_server, &prefs.last_email) else {
            return Err(CommandError::new(ErrorCode::NeedsLogin, "no account to resume"));
        };
        let server = parse_server(server)?;
        let engine = Engine::open(self.engine_config(server.clone(), email, &self.options.data_dir)).await?;
        if !engine.has_session() {
            return Err(CommandError::new(
                ErrorCode::NeedsLogin,
                "no token in the keychain",
            ));
        }
        let account = Account {
            server: server.to_string(),
            email: email.clone(),
            me: engine.me(),
            demo: false,
            keychain: engine.token_in_keychain(),
        };
        self.activate(app, engine, account, None).await;
        Ok(())
    }

    fn engine_config(&self, server: Url, email: &str, data_dir: &Path) -> EngineConfig {
        let mut config = EngineConfig::new(server, email, data_dir);
        config.keychain = self.options.keychain;
        config.timings = self.options.timings;
        config
    }

    /// Signs in with a password and starts the account.
    pub async fn sign_in<R: Runtime>(
        &self,
        app: &AppHandle<R>,
        server: &str,
        email: &str,
        password: &str,
    ) -> CommandResult<Account> {
        let url = parse_server(server)?;
        let email = email.trim();
        if email.is_empty() || !email.contains('@') {
            return Err(CommandError::new(
                ErrorCode::Invalid,
                "enter the e-mail you sign in with",
            ));
        }
        if password.is_empty() {
            return Err(CommandError::new(ErrorCode::Invalid, "enter your password"));
        }
        let mut cancelled = self.sign_in_cancel.subscribe();
        cancelled.mark_unchanged();
        let engine = Engine::open(self.engine_config(url.clone(), email, &self.options.data_dir)).await?;
        let me = tokio::select! {
            login = tokio::time::timeout(SIGN_IN_TIMEOUT, engine.login(password)) => match login {
                Ok(me) => me?,
                Err(_) => {
                    tracing::info!(server = %url, "a sign-in got no answer in time");
                    return Err(CommandError::new(
                        ErrorCode::TimedOut,
                        format!("no answer within {} s", SIGN_IN_TIMEOUT.as_secs()),
                    ));
                }
            },
            _ = cancelled.changed() => {
                tracing::info!(server = %url, "a sign-in was cancelled");
                return Err(CommandError::new(ErrorCode::Cancelled, "the sign-in was cancelled"));
            }
        };
        self.stop_active().await;
        let account = Account {
            server: url.to_string(),
            email: email.to_owned(),
            me: Some(me),
            demo: false,
            keychain: engine.token_in_keychain(),
        };
        let mut prefs = Prefs::load(&self.options.data_dir);
        prefs.last_server = Some(account.server.clone());
        prefs.last_email = Some(account.email.clone());
        prefs.signed_in = true;
        if let Err(e) = prefs.save(&self.options.data_dir) {
            tracing::warn!(error = %e, "could not save the preferences");
        }
        self.activate(app, engine, account.clone(), None).await;
        Ok(account)
    }

    /// Ends the sign-in under way, if any (its form's Cancel).
    pub fn cancel_sign_in(&self) {
        self.sign_in_cancel.send_modify(|g| *g += 1);
    }

    /// Starts the hub in-process on a free loopback port with simulated
    /// visitors and signs in as the demo agent. The demo's data is fresh
    /// every time and kept apart from real accounts.
    pub async fn start_demo<R: Runtime>(&self, app: &AppHandle<R>) -> CommandResult<Account> {
        self.stop_active().await;
        let dir = self.options.data_dir.join("demo");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| {
            CommandError::new(
                ErrorCode::Invalid,
                format!("cannot create {}: {e}", dir.display()),
            )
        })?;
        let hub = switchboard_hub::start(switchboard_hub::HubConfig {
            bind: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
            db: None,
            demo: Some(switchboard_hub::DemoConfig {
                initial_chats: 4,
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .map_err(|e| CommandError::new(ErrorCode::Demo, format!("the demo hub could not start: {e}")))?;
        let url = parse_server(&hub.url())?;
        let mut config = self.engine_config(url.clone(), DEMO_EMAIL, &dir);
        config.keychain = false;
        let engine = Engine::open(config).await?;
        let me = match engine.login(DEMO_PASSWORD).await {
            Ok(me) => me,
            Err(e) => {
                hub.shutdown().await;
                return Err(e.into());
            }
        };
        tracing::info!(url = %hub.url(), "demo hub started");
        let account = Account {
            server: url.to_string(),
            email: DEMO_EMAIL.to_owned(),
            me: Some(me),
            demo: true,
            keychain: engine.token_in_keychain(),
        };
        self.activate(app, engine, account.clone(), Some(hub)).await;
        Ok(account)
    }

    async fn activate<R: Runtime>(
        &self,
        app: &AppHandle<R>,
        engine: Engine,
        account: Account,
        hub: Option<switchboard_hub::RunningHub>,
    ) {
        let total = engine.total_unread().unwrap_or_default();
        app.state::<crate::badge::Badge>()
            .set_unread(total, &ConnectionState::Connecting);
        let forwarder = tauri::async_runtime::spawn(forward(app.clone(), engine.subscribe(), total));
        let alerts = tauri::async_runtime::spawn(crate::notify::run(
            app.clone(),
            engine.clone(),
            self.desk.clone(),
            engine.subscribe(),
        ));
        engine.start();
        let previous = self.active.lock().await.replace(Active {
            engine,
            account,
            hub,
            forwarder,
            alerts,
        });
        if let Some(p) = previous {
            stop(p).await;
        }
        let _ = emit::<EngineResync, _>(app, &());
    }

    /// Signs out: the token is forgotten (keychain included), the link
    /// stops; the local cache and the outbox stay for the next sign-in.
    pub async fn sign_out<R: Runtime>(&self, app: &AppHandle<R>) -> CommandResult<()> {
        let active = self.active.lock().await.take();
        if let Some(a) = active {
            let result = a.engine.logout().await;
            stop(a).await;
            result?;
        }
        let mut prefs = Prefs::load(&self.options.data_dir);
        prefs.signed_in = false;
        if let Err(e) = prefs.save(&self.options.data_dir) {
            tracing::warn!(error = %e, "could not save the preferences");
        }
        let _ = emit::<EngineResync, _>(app, &());
        Ok(())
    }

    /// Stops the account (and the demo hub) without signing out; for quitting.
    pub async fn stop_active(&self) {
        let active = self.active.lock().await.take();
        if let Some(a) = active {
            stop(a).await;
        }
    }

    /// The inbox now.
    pub async fn snapshot(&self) -> CommandResult<Snapshot> {
        let (engine, account) = {
            let guard = self.active.lock().await;
            let a = guard.as_ref().ok_or_else(CommandError::not_signed_in)?;
            (a.engine.clone(), a.account.clone())
        };
        Ok(Snapshot {
            account: Account {
                me: engine.me().or(account.me.clone()),
                ..account
            },
            connection: engine.connection_state(),
            features: engine.capabilities()?.features,
            chats: engine.chats()?,
            total_unread: engine.total_unread()?,
        })
    }

    /// Saves the chosen language (`None`: follow the OS).
    pub fn set_locale(&self, locale: Option<String>) -> CommandResult<()> {
        let mut prefs = Prefs::load(&self.options.data_dir);
        prefs.locale = locale;
        prefs.save(&self.options.data_dir).map_err(|e| {
            CommandError::new(ErrorCode::Invalid, format!("could not save the preferences: {e}"))
        })
    }
}

async fn stop(a: Active) {
    a.forwarder.abort();
    a.alerts.abort();
    a.engine.shutdown().await;
    if let Some(hub) = a.hub {
        hub.shutdown().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_addresses_are_forgiving_but_strict() {
        assert_eq!(
            parse_server("localhost:4800").unwrap().as_str(),
            "http://localhost:4800/"
        );
        assert_eq!(
            parse_server(" https://chat.example.com ").unwrap().as_str(),
            "https://chat.example.com/"
        );
        assert_eq!(parse_server("").unwrap_err().code, ErrorCode::Invalid);
        assert_eq!(parse_server("ftp://x").unwrap_err().code, ErrorCode::Invalid);
    }
}
