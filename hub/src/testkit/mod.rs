//! The one test kit of the workspace (feature `testkit`): the real hub on
//! a free loopback port with its own SQLite file, restartable on the same
//! address and database; the hub's binary as a child process; website
//! visitors and agent logins over the hub's HTTP API, typed with
//! `switchboard_protocol`'s structs; and a TCP proxy that can cut every
//! connection at once. The engine's, the hub's and the app's tests and the
//! engine's bench all start their servers through it.
//!
//! It panics with a message on anything unexpected: it is for tests.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod process;
mod proxy;
mod web;

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    sync::Arc,
    time::{Duration, Instant},
};

pub use self::{
    process::HubProcess,
    proxy::Proxy,
    web::{Visitor, accept, demo_token, history, login},
};
use crate::{Core, HubConfig, Limits, RunningHub};

/// How long the kit waits for a hub to start, restart or stop.
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// A temporary directory, removed with everything in it when dropped.
#[derive(Debug)]
pub struct TempDir(PathBuf);

impl TempDir {
    /// A new, empty directory under the system's temporary directory;
    /// `tag` goes into its name, to tell whose it is.
    pub fn new(tag: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("switchboard-{tag}-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        Self(dir)
    }

    /// Where it is.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The limits a test hub runs with unless told otherwise: the defaults,
/// without the per-IP rate limit (every test client is 127.0.0.1).
pub fn test_limits() -> Limits {
    Limits {
        rate_limit_per_sec: 0,
        ..Limits::default()
    }
}

/// The real hub, in this process, on a loopback port with its own SQLite
/// file; stopped and started again on the same address and database.
#[derive(Debug)]
pub struct TestHub {
    /// Where it listens (kept across restarts).
    pub addr: SocketAddr,
    /// Its SQLite file.
    pub db: PathBuf,
    config: HubConfig,
    running: Option<RunningHub>,
    // Dropped last: the hub's database lives in it.
    dir: Option<TempDir>,
}

impl TestHub {
    /// A hub on a free port with a fresh temporary directory (its database,
    /// and whatever the test keeps beside it), removed with the hub.
    pub async fn start() -> Self {
        Self::start_with_limits(test_limits()).await
    }

    /// [`TestHub::start`] with these limits.
    pub async fn start_with_limits(limits: Limits) -> Self {
        let dir = TempDir::new("hub");
        let mut hub = Self::start_with(HubConfig {
            limits,
            ..Self::config(dir.path())
        })
        .await;
        hub.dir = Some(dir);
        hub
    }

    /// A hub on a free port with its database in `dir` (which the caller keeps).
    pub async fn start_in(dir: &Path) -> Self {
        Self::start_with(Self::config(dir)).await
    }

    /// The configuration [`TestHub::start_in`] uses, to change before
    /// [`TestHub::start_with`].
    pub fn config(dir: &Path) -> HubConfig {
        HubConfig {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            db: Some(dir.join("hub.db")),
            limits: test_limits(),
            ..HubConfig::default()
        }
    }

    /// A hub with exactly this configuration (it must name a database file).
    pub async fn start_with(config: HubConfig) -> Self {
        let db = config.db.clone().expect("a test hub keeps a database file");
        let running = crate::start(config.clone()).await.expect("the hub starts");
        Self {
            addr: running.addr(),
            db,
            config,
            running: Some(running),
            dir: None,
        }
    }

    /// Its base URL, `http://127.0.0.1:port`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The temporary directory of a hub from [`TestHub::start`].
    pub fn dir(&self) -> &Path {
        self.dir.as_ref().expect("a hub from TestHub::start").path()
    }

    /// The running hub's state, for in-process shortcuts.
    pub fn core(&self) -> &Arc<Core> {
        self.running.as_ref().expect("a running hub").core()
    }

    /// Stops it: every socket closed, the port free. Stopping a stopped hub
    /// does nothing.
    pub async fn stop(&mut self) {
        if let Some(h) = self.running.take() {
            h.shutdown().await;
        }
    }

    /// Stops it and starts it again on the same address and database.
    pub async fn restart(&mut self) {
        self.restart_with(|_| {}).await;
    }

    /// [`TestHub::restart`], changing the configuration first (a new JWT
    /// secret, other limits); the change stays for later restarts.
    pub async fn restart_with(&mut self, change: impl FnOnce(&mut HubConfig)) {
        self.stop().await;
        change(&mut self.config);
        self.config.bind = self.addr;
        let deadline = Instant::now() + TIMEOUT;
        let running = loop {
            match crate::start(self.config.clone()).await {
                Ok(r) => break r,
                // The old listener's port may take a moment to be free.
                Err(e) if Instant::now() < deadline => {
                    tracing::debug!(error = %e, "the port is not free yet");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Err(e) => panic!("the hub did not restart within {TIMEOUT:?}: {e}"),
            }
        };
        self.running = Some(running);
    }
}
