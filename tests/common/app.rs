//! The end-to-end harness: the built app in its real webview (WebKitGTK)
//! under Xvfb, driven through tauri-driver and WebKitWebDriver. Included by
//! the end-to-end test files (`#[path]`), which also include `common`.
#![allow(dead_code)]

use std::{
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::Duration,
};

use serde_json::json;
use switchboard_hub::testkit::TestHub;
use thirtyfour::prelude::*;

use super::common::{self, POLL, TIMEOUT};

/// One app at a time: two cores, one display.
pub static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn environment_ready() -> bool {
    let missing: Vec<&str> = [
        ("DISPLAY", std::env::var_os("DISPLAY").is_some()),
        ("tauri-driver", which("tauri-driver")),
        ("WebKitWebDriver", which("WebKitWebDriver")),
    ]
    .into_iter()
    .filter(|(_, ok)| !ok)
    .map(|(n, _)| n)
    .collect();
    if missing.is_empty() {
        return true;
    }
    let msg = format!(
        "end-to-end tests need {} (run scripts/test, which provides them)",
        missing.join(", ")
    );
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{msg}");
    }
    eprintln!("skipped: {msg}");
    false
}

/// The usual start of a test: its turn, a fresh hub, and the app signed in
/// to it (`None`: skipped, see [`one_app_at_a_time`]).
pub async fn signed_in_app() -> Option<(tokio::sync::MutexGuard<'static, ()>, TestHub, App)> {
    let turn = one_app_at_a_time().await?;
    let hub = TestHub::start().await;
    let app = App::launch(&[]).await;
    app.sign_in(&hub.url()).await;
    Some((turn, hub, app))
}

/// The turn of one end-to-end test: `None` (skip) where the environment
/// lacks what they need, outside CI.
pub async fn one_app_at_a_time() -> Option<tokio::sync::MutexGuard<'static, ()>> {
    if !environment_ready() {
        return None;
    }
    Some(SERIAL.lock().await)
}

pub fn which(bin: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(bin).is_file()))
}

/// Waits until no app holds `data_dir` (its single-instance lock is free).
pub async fn wait_unlocked(data_dir: &std::path::Path) {
    let lock = data_dir.join("instance.lock");
    let free = common::poll_until(TIMEOUT, POLL, || async {
        match std::fs::File::options().write(true).open(&lock) {
            // No lock file: nothing holds the directory.
            Err(_) => Ok(()),
            Ok(f) => f.try_lock().map_err(|e| e.to_string()),
        }
    })
    .await;
    assert_eq!(free, Ok(()), "the app did not exit");
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// tauri-driver on its own ports, stopped with SIGTERM (never SIGKILL: an
/// orphaned WebKitWebDriver would hold the test's stdout).
struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    async fn start(env: &[(String, String)]) -> Self {
        let port = free_port();
        // Two ports, never the same one twice.
        let native = std::iter::repeat_with(free_port)
            .find(|p| *p != port)
            .expect("a second free port");
        let child = Command::new("tauri-driver")
            .args(["--port", &port.to_string(), "--native-port", &native.to_string()])
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("tauri-driver starts");
        let listening = common::poll_until(TIMEOUT, POLL, || async {
            tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .map_err(|e| e.to_string())
        })
        .await;
        assert!(listening.is_ok(), "tauri-driver did not listen: {listening:?}");
        Self { child, port }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

pub struct App {
    pub driver: WebDriver,
    _tauri_driver: Driver,
    pub data_dir: PathBuf,
}

impl App {
    /// The app with a fresh data directory and the token in memory only.
    pub async fn launch(extra: &[&str]) -> Self {
        let data_dir = std::env::temp_dir().join(format!("sb-e2e-{}", uuid::Uuid::new_v4()));
        let mut args = vec!["--no-keychain"];
        args.extend_from_slice(extra);
        Self::launch_in(data_dir, &args, &[]).await
    }

    /// The app on a given data directory (a second run of the same install),
    /// with extra environment (a private D-Bus session, say).
    pub async fn launch_in(data_dir: PathBuf, extra: &[&str], env: &[(String, String)]) -> Self {
        let mut args = vec!["--data-dir".to_owned(), data_dir.display().to_string()];
        args.extend(extra.iter().map(|s| s.to_string()));
        let mut caps = Capabilities::new();
        caps.set(
            "tauri:options",
            json!({"application": env!("CARGO_BIN_EXE_switchboard"), "args": args}),
        )
        .expect("caps");
        caps.set("browserName", "wry").expect("caps");
        // tauri-driver now and then drops the connection of the session
        // request (its WebKitWebDriver did not come up): a new driver on new
        // ports then, after making sure no half-started app holds the data.
        // The X server of a test run idles for its whole length: automatic
        // away stays off unless a test asks for it.
        let mut env = env.to_vec();
        if !env.iter().any(|(k, _)| k == "SWITCHBOARD_AWAY_AFTER_SECS") {
            env.push(("SWITCHBOARD_AWAY_AFTER_SECS".to_owned(), "0".to_owned()));
        }
        let mut failures = Vec::new();
        for _ in 0..3 {
            let tauri_driver = Driver::start(&env).await;
            match WebDriver::new(format!("http://127.0.0.1:{}", tauri_driver.port), caps.clone()).await {
                Ok(driver) => {
                    return Self {
                        driver,
                        _tauri_driver: tauri_driver,
                        data_dir,
                    };
                }
                Err(e) => {
                    failures.push(e.to_string());
                    drop(tauri_driver);
                    let _ = Command::new("pkill")
                        .args(["-KILL", "-f", "--"])
                        .arg(format!("--data-dir {}", data_dir.display()))
                        .status();
                    wait_unlocked(&data_dir).await;
                }
            }
        }
        panic!("no WebDriver session with the app: {failures:?}");
    }

    /// Ends the app, keeping its data directory; returns once the app has
    /// let go of it (its single-instance lock is free).
    pub async fn close(self) -> PathBuf {
        let _ = self.driver.quit().await;
        wait_unlocked(&self.data_dir).await;
        self.data_dir
    }

    pub async fn el(&self, css: &str) -> WebElement {
        self.driver
            .query(By::Css(css))
            .wait(TIMEOUT, Duration::from_millis(100))
            .first()
            .await
            .unwrap_or_else(|e| panic!("no element {css}: {e}"))
    }

    /// The last element matching `css`, if any.
    pub async fn last(&self, css: &str) -> Option<WebElement> {
        self.driver.find_all(By::Css(css)).await.ok()?.pop()
    }

    /// Waits until the text of the last element matching `css` satisfies
    /// `pred`; returns the text.
    pub async fn text_until(&self, css: &str, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let seen = common::poll_until(TIMEOUT, POLL, || async {
            let e = self.last(css).await.ok_or_else(String::new)?;
            match e.prop("textContent").await {
                Ok(Some(t)) if pred(&t) => Ok(t),
                Ok(Some(t)) => Err(t),
                _ => Err(String::new()),
            }
        })
        .await;
        match seen {
            Ok(t) => t,
            Err(last) => self.fail(&format!("{css}: {what}; last text {last:?}")).await,
        }
    }

    /// Waits until `css` matches exactly `n` elements.
    pub async fn count_until(&self, css: &str, n: usize) {
        let seen = common::poll_until(TIMEOUT, POLL, || async {
            let found = self
                .driver
                .find_all(By::Css(css))
                .await
                .map(|v| v.len())
                .unwrap_or(0);
            if found == n {
                Ok(())
            } else {
                Err(found.to_string())
            }
        })
        .await;
        if let Err(last) = seen {
            self.fail(&format!("{css}: expected {n} elements, found {last}"))
                .await;
        }
    }

    pub async fn attr_until(&self, css: &str, attr: &str, want: &str) {
        let seen = common::poll_until(TIMEOUT, POLL, || async {
            let e = self.last(css).await.ok_or_else(|| "no element".to_owned())?;
            match e.attr(attr).await.ok().flatten() {
                Some(v) if v == want => Ok(()),
                other => Err(format!("{other:?}")),
            }
        })
        .await;
        if let Err(last) = seen {
            self.fail(&format!("{css}[{attr}]: expected {want:?}, last {last}"))
                .await;
        }
    }

    /// Waits until the `value` of the element matching `css` is `want`.
    pub async fn value_until(&self, css: &str, want: &str) {
        let seen = common::poll_until(TIMEOUT, POLL, || async {
            let e = self.last(css).await.ok_or_else(|| "no element".to_owned())?;
            match e.prop("value").await.ok().flatten() {
                Some(v) if v == want => Ok(()),
                other => Err(format!("{other:?}")),
            }
        })
        .await;
        if let Err(last) = seen {
            self.fail(&format!("{css} value: expected {want:?}, last {last}"))
                .await;
        }
    }

    /// Kills the app with SIGKILL (no chance to save anything), and waits
    /// until it has let go of its data directory.
    pub async fn kill_9(self) -> PathBuf {
        let status = Command::new("pkill")
            .args(["-KILL", "-f", "--"])
            .arg(format!("--data-dir {}", self.data_dir.display()))
            .status()
            .expect("pkill");
        assert!(status.success(), "the app's process was found and killed");
        self.close().await
    }

    /// Opens a chat from the All tab and waits until it is the one shown.
    pub async fn open_chat(&self, chat_id: &str) {
        self.el("#tab-all").await.click().await.expect("all");
        self.el(&row(chat_id)).await.click().await.expect("open the chat");
        self.attr_until("#conversation-title", "data-chat", chat_id).await;
    }

    /// Whether the element matching `css` is (partly) inside the
    /// timeline's view.
    pub async fn on_screen(&self, css: &str) -> bool {
        self.driver
            .execute(
                "const e = document.querySelector(arguments[0]); const t = document.getElementById('timeline');
                 if (!e || !t) return false;
                 const r = e.getBoundingClientRect(), v = t.getBoundingClientRect();
                 return r.bottom > v.top + 1 && r.top < v.bottom - 1;",
                vec![json!(css)],
            )
            .await
            .ok()
            .and_then(|v| v.json().as_bool())
            .unwrap_or(false)
    }

    /// Saves a screenshot and fails the test with `what`.
    pub async fn fail(&self, what: &str) -> ! {
        self.screenshot("e2e-failure.png").await;
        panic!("{what} (screenshot: e2e-failure.png in CARGO_TARGET_TMPDIR)");
    }

    pub async fn sign_in(&self, server: &str) {
        let s = self.el("#server").await;
        s.clear().await.expect("clear");
        s.send_keys(server).await.expect("server");
        let email = self.el("#email").await;
        // A second start prefills it.
        email.clear().await.expect("clear");
        email.send_keys("agent@example.com").await.expect("email");
        let password = self.el("#password").await;
        password.clear().await.expect("clear");
        password.send_keys("password").await.expect("password");
        self.el("#signin").await.click().await.expect("sign in");
        self.attr_until("#connection", "data-state", "online").await;
    }

    pub async fn write(&self, text: &str) {
        let input = self.el("#composer-input").await;
        input.send_keys(text).await.expect("type");
        input.send_keys(Key::Enter).await.expect("enter");
    }

    pub async fn screenshot(&self, name: &str) {
        if let Ok(png) = self.driver.screenshot_as_png().await {
            let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
            let _ = std::fs::write(dir.join(name), png);
        }
    }

    /// Ends the app and removes its data directory.
    pub async fn quit(self) {
        let dir = self.close().await;
        let _ = std::fs::remove_dir_all(dir);
    }
}

pub fn row(chat_id: &str) -> String {
    format!(".chat-row[data-chat-id='{chat_id}']")
}
