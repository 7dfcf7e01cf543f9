//! The signed-in account of the app: one engine (and, for the demo, the hub
//! it runs in-process), the task that forwards its changes to the webview,
//! and the preferences file that remembers who signed in last (never a token).

use std::{
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};

use serde::{Deserialize, Serialize};
use switchboard_engine::{Engine, EngineConfig, LinkTimings};
use switchboard_model::ipc::events::{EngineChanges, EngineResync};
pub use switchboard_model::ipc::{Account, Boot, Snapshot};
use switchboard_model::{ConnectionState, ipc::DesktopSettings};
use switchboard_protocol::Presence;
use tauri::{AppHandle, Manager, Runtime};
use tokio::sync::{Mutex, broadcast};
use url::Url;

use crate::{
    error::{CommandError, CommandResult, ErrorCode, emit},
    notify::{Desk, Notifier, SystemNotifier},
};

/// The demo agent the "Try the demo" button signs in as.
pub const DEMO_EMAIL: &str = "agent@example.com";
const DEMO_PASSWORD: &str = "password";

/// How the app was started.
#[derive(Debug, Clone)]
pub struct Options {
    /// Where accounts' caches and the preferences live.
    pub data_dir: PathBuf,
    /// Keep tokens in the OS keychain (`false`: memory only).
    pub keychain: bool,
    /// Start straight into the demo (`switchboard --demo`).
    pub demo: bool,
    /// Link timings (tests shorten them).
    pub timings: LinkTimings,
    /// The application name desktop notifications carry.
    pub notify_app_name: String,
    /// Where the log files go (`<data dir>/logs` for a `--data-dir`, else
    /// the OS's log directory).
    pub log_dir: PathBuf,
}

impl Options {
    /// From the command line (`--demo`, `--data-dir DIR`, `--no-keychain`)
    /// and the environment (`SWITCHBOARD_DATA_DIR`, `SWITCHBOARD_NO_KEYCHAIN`).
    pub fn from_args(args: impl IntoIterator<Item = String>) -> Self {
        let mut data_dir = std::env::var_os("SWITCHBOARD_DATA_DIR").map(PathBuf::from);
        let mut keychain = std::env::var_os("SWITCHBOARD_NO_KEYCHAIN").is_none();
        let mut demo = false;
        let mut args = args.into_iter().skip(1);
        while let Some(a) = args.next() {
            match a.as_str() {
                "--demo" => demo = true,
                "--no-keychain" => keychain = false,
                "--data-dir" => data_dir = args.next().map(PathBuf::from),
                _ => {}
            }
        }
        let log_dir = match &data_dir {
            Some(d) => d.join("logs"),
            None => default_log_dir(),
        };
        Self {
            data_dir: data_dir.unwrap_or_else(default_data_dir),
            keychain,
            demo,
            timings: LinkTimings::default(),
            notify_app_name: "Switchboard".to_owned(),
            log_dir,
        }
    }
}

/// The OS's place for logs: `~/.local/state/switchboard/logs` on Linux,
/// `~/Library/Logs/Switchboard` on macOS, `%LOCALAPPDATA%\Switchboard\logs`
/// on Windows.
pub fn default_log_dir() -> PathBuf {
    #[cfg(target_os = "macos")]
    if let Some(home) = dirs::home_dir() {
        return home.join("Library/Logs/Switchboard");
    }
    dirs::state_dir()
        .or_else(dirs::data_local_dir)
        .unwrap_or_else(std::env::temp_dir)
        .join("switchboard")
        .join("logs")
}

/// `~/.local/share/switchboard` (or the OS's equivalent): the engine's one
/// data directory, the same the CLI uses.
pub use switchboard_engine::paths::default_data_dir;

/// Remembered between runs. Holds no secret.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Prefs {
    /// The server signed in to last.
    #[serde(default)]
    pub last_server: Option<String>,
    /// The e-mail signed in with last.
    #[serde(default)]
    pub last_email: Option<String>,
    /// Whether that account is (still) signed in: start into it.
    #[serde(default)]
    pub signed_in: bool,
    /// `en` or `es`; `None` follows the OS.
    #[serde(default)]
    pub locale: Option<String>,
}

impl Prefs {
    /// Reads the preferences; a missing or unreadable file gives defaults.
    pub fn load(data_dir: &Path) -> Self {
        crate::settings::load_json(data_dir, "prefs.json")
    }

    /// Writes them atomically (a temporary file renamed over the old one).
    pub fn save(&self, data_dir: &Path) -> std::io::Result<()> {
        crate::settings::save_json(self, data_dir, "prefs.json")
    }
}

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
}

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
        let engine = Engine::open(self.engine_config(url.clone(), email, &self.options.data_dir)).await?;
        let me = engine.login(password).await?;
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

/// Forwards engine changes to the webview in batches: whatever has queued
/// up while the last batch was emitted goes in the next one, so a burst of
/// thousands of messages is a few dozen IPC events, not thousands. A
/// receiver that fell behind asks the UI to reload its snapshot.
async fn forward<R: Runtime>(
    app: AppHandle<R>,
    mut changes: broadcast::Receiver<switchboard_model::Change>,
    mut total: u64,
) {
    const MAX_BATCH: usize = 512;
    let mut state = ConnectionState::Connecting;
    loop {
        let first = match changes.recv().await {
            Ok(c) => c,
            Err(broadcast::error::RecvError::Lagged(n)) => {
                tracing::warn!(skipped = n, "the webview fell behind; asking it to reload");
                let _ = emit::<EngineResync, _>(&app, &());
                continue;
            }
            Err(broadcast::error::RecvError::Closed) => return,
        };
        let mut batch = vec![first];
        let mut lagged = false;
        while batch.len() < MAX_BATCH {
            match changes.try_recv() {
                Ok(c) => batch.push(c),
                Err(broadcast::error::TryRecvError::Lagged(_)) => {
                    lagged = true;
                    break;
                }
                Err(_) => break,
            }
        }
        // The tray shows the engine's total, the same number as the inbox.
        let (before_total, before_state) = (total, state.clone());
        for c in &batch {
            match c {
                switchboard_model::Change::Unread { total: t, .. } => total = *t,
                switchboard_model::Change::Connection { state: s } => state = s.clone(),
                _ => {}
            }
        }
        if total != before_total || state != before_state {
            app.state::<crate::badge::Badge>().set_unread(total, &state);
        }
        if let Err(e) = emit::<EngineChanges, _>(&app, &batch) {
            tracing::warn!(error = %e, "could not forward changes to the webview");
        }
        if lagged {
            let _ = emit::<EngineResync, _>(&app, &());
        }
        // Let a burst gather into the next batch instead of one event per message.
        tokio::time::sleep(Duration::from_millis(16)).await;
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

    #[test]
    fn options_come_from_the_command_line() {
        let o = Options::from_args(
            ["switchboard", "--demo", "--no-keychain", "--data-dir", "/tmp/x"].map(String::from),
        );
        assert!(o.demo && !o.keychain);
        assert_eq!(o.data_dir, PathBuf::from("/tmp/x"));
    }

    #[test]
    fn prefs_round_trip_and_hold_no_token() {
        let dir = std::env::temp_dir().join(format!("sb-prefs-{}", uuid::Uuid::new_v4()));
        let p = Prefs {
            last_server: Some("http://h/".into()),
            last_email: Some("a@b".into()),
            signed_in: true,
            locale: Some("es".into()),
        };
        p.save(&dir).unwrap();
        assert_eq!(Prefs::load(&dir), p);
        std::fs::write(dir.join("prefs.json"), b"{not json").unwrap();
        assert_eq!(Prefs::load(&dir), Prefs::default());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
