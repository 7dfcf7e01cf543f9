//! Test helpers: the real `switchboard-hub` binary on a free loopback port
//! with its own SQLite file, and a few HTTP calls named after what they do.
#![allow(dead_code, clippy::unwrap_used)]

use std::{
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};

use serde_json::{Value, json};
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, Command},
};

/// A running hub process.
pub struct Hub {
    pub url: String,
    child: Child,
    pub db: PathBuf,
    _dir: Option<tempdir::TempDirGuard>,
}

pub mod tempdir {
    use std::path::{Path, PathBuf};

    /// Removes a directory when dropped.
    pub struct TempDirGuard(pub PathBuf);
    impl Drop for TempDirGuard {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
    pub fn new() -> TempDirGuard {
        let dir = std::env::temp_dir().join(format!("switchboard-hub-test-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDirGuard(dir)
    }
    impl TempDirGuard {
        pub fn path(&self) -> &Path {
            &self.0
        }
    }
}

impl Hub {
    /// Starts a hub on a fresh database with extra flags.
    pub async fn start(args: &[&str]) -> Hub {
        let dir = tempdir::new();
        let db = dir.path().join("hub.db");
        let mut hub = Self::start_on(&db, args).await;
        hub._dir = Some(dir);
        hub
    }

    /// Starts a hub on an existing database file.
    pub async fn start_on(db: &Path, args: &[&str]) -> Hub {
        let mut child = Command::new(env!("CARGO_BIN_EXE_switchboard-hub"))
            .args(["--bind", "127.0.0.1:0", "--db"])
            .arg(db)
            .args(args)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn switchboard-hub");
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let url = tokio::time::timeout(Duration::from_secs(30), async {
            while let Some(line) = lines.next_line().await.unwrap() {
                if let Some(url) = line.strip_prefix("switchboard-hub listening on ") {
                    return url.to_owned();
                }
            }
            panic!("hub exited before listening");
        })
        .await
        .expect("hub did not start within 30 s");
        Hub {
            url,
            child,
            db: db.to_owned(),
            _dir: None,
        }
    }

    /// SIGTERM, then wait for a clean exit. On Windows the hub stops on
    /// Ctrl+Break or its console closing, but Wine cannot deliver console
    /// control events to a program without a console, so there it is
    /// terminated and only its end is checked.
    pub async fn stop(mut self) -> Option<tempdir::TempDirGuard> {
        #[cfg(unix)]
        if let Some(pid) = self.child.id() {
            // SIGTERM through the `kill` command (no unsafe code).
            let _ = std::process::Command::new("kill")
                .arg("-TERM")
                .arg(pid.to_string())
                .status();
        }
        #[cfg(not(unix))]
        let _ = self.child.start_kill();
        let status = tokio::time::timeout(Duration::from_secs(15), self.child.wait())
            .await
            .expect("hub did not exit within 15 s of SIGTERM")
            .unwrap();
        #[cfg(unix)]
        assert!(status.success(), "hub exited with {status}");
        #[cfg(not(unix))]
        let _ = status;
        self._dir.take()
    }

    pub fn http(&self) -> reqwest::Client {
        reqwest::Client::builder().cookie_store(true).build().unwrap()
    }

    /// Logs in a demo agent; returns (token, agent id).
    pub async fn login(&self, email: &str) -> (String, String) {
        login_at(&self.url, email).await
    }

    /// A visitor with a cookie session and an open chat; returns its client and the chat id.
    pub async fn visitor_with_chat(&self, name: &str) -> (reqwest::Client, String) {
        let client = self.http();
        client
            .post(format!("{}/v2/visitors", self.url))
            .json(&json!({"name": name}))
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap();
        let chat: Value = client
            .post(format!("{}/v2/chats", self.url))
            .json(&json!({}))
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap()
            .json()
            .await
            .unwrap();
        (client, chat["chatId"].as_str().unwrap().to_owned())
    }
}

impl Hub {
    /// A handle on a hub started in-process (only its URL is used).
    pub fn attach(url: String) -> AttachedHub {
        AttachedHub { url }
    }
}

/// HTTP helpers for a hub this test did not spawn.
pub struct AttachedHub {
    pub url: String,
}

impl AttachedHub {
    pub async fn login(&self, email: &str) -> (String, String) {
        login_at(&self.url, email).await
    }
}

/// Logs in a demo agent at `url`; returns (token, agent id).
pub async fn login_at(url: &str, email: &str) -> (String, String) {
    let res: Value = reqwest::Client::new()
        .post(format!("{url}/v2/auth/login"))
        .json(&json!({"email": email, "password": "password"}))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .json()
        .await
        .unwrap();
    (
        res["token"].as_str().unwrap().to_owned(),
        res["agent"]["id"].as_str().unwrap().to_owned(),
    )
}
