//! The hub's binary as a child process, for tests of the program itself
//! (its flags, its start-up line, its clean exit on SIGTERM).

use std::{path::Path, process::Stdio};

use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, Command},
};

use super::{TIMEOUT, TempDir};

/// A running `switchboard-hub` process on a free loopback port.
#[derive(Debug)]
pub struct HubProcess {
    /// Its base URL, read from its "listening on" line.
    pub url: String,
    child: Child,
    // Dropped after the child (kill_on_drop): its database lives in it.
    _dir: TempDir,
}

impl HubProcess {
    /// Starts `exe` (a test's `env!("CARGO_BIN_EXE_switchboard-hub")`) on a
    /// fresh database with these extra flags, and waits until it listens.
    pub async fn spawn(exe: &Path, args: &[&str]) -> Self {
        let dir = TempDir::new("hub-process");
        let mut child = Command::new(exe)
            .args(["--bind", "127.0.0.1:0", "--db"])
            .arg(dir.path().join("hub.db"))
            .args(args)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn switchboard-hub");
        let mut lines = BufReader::new(child.stdout.take().expect("its stdout")).lines();
        let url = tokio::time::timeout(TIMEOUT, async {
            while let Some(line) = lines.next_line().await.expect("its stdout") {
                if let Some(url) = line.strip_prefix("switchboard-hub listening on ") {
                    return url.to_owned();
                }
            }
            panic!("the hub exited before listening");
        })
        .await
        .expect("the hub did not start in time");
        Self {
            url,
            child,
            _dir: dir,
        }
    }

    /// SIGTERM, then a clean exit within the kit's timeout. On Windows the
    /// hub stops on Ctrl+Break or its console closing, but Wine cannot
    /// deliver console control events to a program without a console, so
    /// there it is terminated and only its end is checked.
    pub async fn stop(mut self) {
        #[cfg(unix)]
        if let Some(pid) = self.child.id() {
            // Through the `kill` command: no unsafe code for a signal.
            let _ = std::process::Command::new("kill")
                .arg("-TERM")
                .arg(pid.to_string())
                .status();
        }
        #[cfg(not(unix))]
        let _ = self.child.start_kill();
        let status = tokio::time::timeout(TIMEOUT, self.child.wait())
            .await
            .expect("the hub did not exit in time after SIGTERM")
            .expect("its exit status");
        #[cfg(unix)]
        assert!(status.success(), "the hub exited with {status}");
        #[cfg(not(unix))]
        let _ = status;
    }
}
