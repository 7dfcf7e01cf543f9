//! Desktop notifications through the real path: the shell (Tauri's mock
//! runtime) over the real engine and hub, notify-rust, the session D-Bus and
//! a notification daemon (dunst). What was actually raised is read off the
//! bus with `dbus-monitor`. `scripts/test` runs this inside a private D-Bus
//! session (`dbus-run-session`, which sets `SWITCHBOARD_TEST_BUS=1`); without
//! one it is skipped locally (so nothing pops up on a developer's desktop)
//! and fails under CI.

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::Duration,
};

use serde_json::{Value, json};
use switchboard_app::{Options, Shell};
use switchboard_model::ipc::{
    Event,
    events::{EngineChanges, OpenChat},
};
use tauri::{
    Listener, Manager,
    test::{MockRuntime, mock_builder, mock_context, noop_assets},
};

mod common;
use switchboard_hub::testkit::{TestHub, Visitor};

/// A notification as seen on the bus.
#[derive(Debug, Clone)]
struct Raised {
    app: String,
    title: String,
    body: String,
}

/// `dbus-monitor` on the session bus, decoding `Notify` calls.
struct Monitor {
    child: Child,
    rx: mpsc::Receiver<Raised>,
    app: String,
}

impl Monitor {
    fn start(app: &str) -> Self {
        let mut child = Command::new("dbus-monitor")
            .args([
                "--session",
                "type='method_call',interface='org.freedesktop.Notifications',member='Notify'",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-monitor");
        let out = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        let (ready_tx, ready_rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut strings: Option<Vec<String>> = None;
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                // The monitor prints its own NameAcquired signal first: it is listening.
                if line.contains("member=NameAcquired") {
                    let _ = ready_tx.send(());
                }
                if line.starts_with("method call") {
                    strings = line.contains("member=Notify").then(Vec::new);
                    continue;
                }
                let Some(s) = strings.as_mut() else { continue };
                let t = line.trim_start();
                if let Some(rest) = t.strip_prefix("string \"") {
                    s.push(rest.strip_suffix('"').unwrap_or(rest).to_owned());
                    // app name, icon, summary, body.
                    if s.len() == 4 {
                        let _ = tx.send(Raised {
                            app: s[0].clone(),
                            title: s[2].clone(),
                            body: s[3].clone(),
                        });
                        strings = None;
                    }
                }
            }
        });
        ready_rx
            .recv_timeout(Duration::from_secs(10))
            .expect("dbus-monitor is listening");
        Self {
            child,
            rx,
            app: app.to_owned(),
        }
    }

    /// The next notification of this app.
    fn next(&self, what: &str) -> Raised {
        common::recv_until(&self.rx, common::TIMEOUT, what, |r| {
            (r.app == self.app).then_some(r)
        })
    }
}

impl Drop for Monitor {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A notification daemon on the bus (dunst), unless one is there already.
struct Daemon(Option<Child>);

impl Daemon {
    fn ensure() -> Self {
        let owned = Command::new("dbus-send")
            .args([
                "--session",
                "--print-reply",
                "--dest=org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus.NameHasOwner",
                "string:org.freedesktop.Notifications",
            ])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).contains("boolean true"))
            .unwrap_or(false);
        if owned {
            return Self(None);
        }
        // Started on demand by the bus otherwise; started here it is ours to stop.
        Self(
            Command::new("dunst")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .ok(),
        )
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Some(c) = self.0.as_mut() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn private_bus() -> bool {
    if std::env::var_os("SWITCHBOARD_TEST_BUS").is_some()
        && std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some()
    {
        return true;
    }
    let msg = "notification tests need a private D-Bus session (run scripts/test)";
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{msg}");
    }
    eprintln!("skipped: {msg}");
    false
}

struct World {
    rt: tokio::runtime::Runtime,
    hub: TestHub,
    app: tauri::App<MockRuntime>,
    webview: tauri::WebviewWindow<MockRuntime>,
    changes: mpsc::Receiver<Vec<Value>>,
    dir: std::path::PathBuf,
}

impl World {
    fn new(app_name: &str) -> Self {
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        let dir = std::env::temp_dir().join(format!("sb-notify-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("dir");
        let hub = rt.block_on(TestHub::start_in(&dir));
        let mut options = Options::from_args(["switchboard".to_owned()]);
        options.data_dir = dir.join("app");
        options.keychain = false;
        options.notify_app_name = app_name.to_owned();
        // Notice a lost link quickly, and come back slowly enough that what
        // is written meanwhile arrives by catch-up.
        options.timings.health_interval = Duration::from_millis(300);
        options.timings.ack_timeout = Duration::from_secs(2);
        options.timings.backoff_base = Duration::from_secs(6);
        let app = switchboard_app::with_shell(mock_builder(), Shell::new(options))
            .build(mock_context(noop_assets()))
            .expect("app");
        let webview = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
            .build()
            .expect("window");
        let (tx, changes) = mpsc::channel();
        app.listen_any(EngineChanges::NAME, move |e| {
            let _ = tx.send(serde_json::from_str(e.payload()).unwrap_or_default());
        });
        Self {
            rt,
            hub,
            app,
            webview,
            changes,
            dir,
        }
    }

    fn invoke(&self, cmd: &str, args: Value) -> Result<Value, Value> {
        common::invoke(&self.webview, cmd, args)
    }

    fn wait_change(&self, what: &str, pred: impl Fn(&Value) -> bool) {
        common::recv_until(&self.changes, common::TIMEOUT, what, |batch| {
            batch.iter().any(&pred).then_some(())
        });
    }

    fn visitor(&self, name: &str, first: &str) -> Visitor {
        self.rt
            .block_on(Visitor::opens_chat(&self.hub.url(), name, first))
    }

    fn says(&self, v: &Visitor, text: &str) {
        self.rt.block_on(v.say(text));
    }

    fn restart_hub(&mut self) {
        self.rt.block_on(self.hub.stop());
        self.wait_change("the app notices the hub went away", |c| {
            c["type"] == "connection" && c["state"]["state"] == "reconnecting"
        });
        self.rt.block_on(self.hub.restart());
    }
}

impl Drop for World {
    fn drop(&mut self) {
        self.rt.block_on(self.hub.stop());
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[test]
fn notifications_ring_right() {
    if !private_bus() {
        return;
    }
    let _daemon = Daemon::ensure();
    let app_name = format!("switchboard-test-{}", uuid::Uuid::new_v4());
    let monitor = Monitor::start(&app_name);
    let mut w = World::new(&app_name);
    // Queued chats ring again every 2 s in this test.
    {
        let shell = w.app.state::<Shell>();
        let mut s = shell.desk().settings();
        s.alerts.repeat_queue_secs = 2;
        shell.desk().replace_settings(s);
    }
    w.invoke(
        "sign_in",
        json!({"server": w.hub.url(), "email": "agent@example.com", "password": "password"}),
    )
    .expect("sign in");

    // A new chat in the queue rings, and keeps ringing.
    let ana = w.visitor("Ana Torres", "¿Hay alguien?");
    let first = monitor.next("a new chat in the queue");
    assert_eq!(first.title, "New chat: Ana Torres");
    let again = monitor.next("the queued chat rings again");
    assert_eq!(again.title, "Ana Torres is still waiting", "{again:?}");
    assert_eq!(again.body, "¿Hay alguien?");

    // Accepted: it stops. Bruno's chat rings twice meanwhile; Ana's never again.
    w.invoke("accept", json!({"chatId": ana.chat_id}))
        .expect("accept");
    let _bruno = w.visitor("Bruno Díaz", "Hola");
    let mut seen = Vec::new();
    loop {
        let n = monitor.next("Bruno's chat rings again");
        let done = n.title == "Bruno Díaz is still waiting";
        seen.push(n);
        if done {
            break;
        }
    }
    assert!(
        seen.iter().all(|n| !n.title.contains("Ana")),
        "Ana's chat stopped ringing when accepted: {seen:?}"
    );
    // Mute Bruno's queue ring from here on (it would keep interleaving).
    w.invoke("mute", json!({"chatId": _bruno.chat_id, "muted": true}))
        .expect("mute");

    // One notification per message in my chat; none for my own reply or note.
    let (open_tx, opened) = mpsc::channel();
    w.app.listen_any(OpenChat::NAME, move |e| {
        let _ = open_tx.send(e.payload().to_owned());
    });
    dunstctl(&["close-all"]);
    w.says(&ana, "uno");
    let n = monitor.next("Ana's message");
    assert_eq!((n.title.as_str(), n.body.as_str()), ("Ana Torres", "uno"));
    // Clicking it opens the app at that chat.
    let shown =
        w.rt.block_on(common::poll_until(common::TIMEOUT, common::POLL, || async {
            let n = dunstctl(&["count", "displayed"]);
            if n.trim() == "1" { Ok(()) } else { Err(n) }
        }));
    assert_eq!(shown, Ok(()), "dunst shows the notification");
    dunstctl(&["action", "0"]);
    let chat = opened
        .recv_timeout(Duration::from_secs(20))
        .expect("a click opens the chat");
    assert_eq!(chat, format!("\"{}\"", ana.chat_id));
    w.invoke(
        "send",
        json!({"chatId": ana.chat_id, "content": "Hola Ana", "internal": false}),
    )
    .expect("reply");
    w.invoke(
        "send",
        json!({"chatId": ana.chat_id, "content": "nota", "internal": true}),
    )
    .expect("note");
    w.wait_change("my note is sent", |c| {
        c["type"] == "message" && c["message"]["content"] == "nota" && c["message"]["status"] == "sent"
    });
    // Muted: nothing; unmuted again: the next one rings, and it is the first raised since.
    w.invoke("mute", json!({"chatId": ana.chat_id, "muted": true}))
        .expect("mute");
    w.says(&ana, "dos (muted)");
    w.wait_change("the muted message arrived", |c| {
        c["type"] == "message" && c["message"]["content"] == "dos (muted)"
    });
    w.invoke("mute", json!({"chatId": ana.chat_id, "muted": false}))
        .expect("unmute");
    w.says(&ana, "tres");
    let n = monitor.next("the message after unmuting");
    assert_eq!(
        n.body, "tres",
        "nothing for my reply, my note or the muted message: {n:?}"
    );

    // After a reconnect, what arrived meanwhile is one summary.
    w.restart_hub();
    w.rt.block_on(async {
        for t in ["cuatro", "cinco", "seis"] {
            ana.say(t).await;
        }
    });
    let n = monitor.next("the catch-up summary");
    assert_eq!(n.title, "3 new messages in 1 chat", "{n:?}");
    // And live again afterwards: one each.
    w.says(&ana, "siete");
    let n = monitor.next("a live message after the catch-up");
    assert_eq!(n.body, "siete");

    // A colleague transfers a chat to me (v2.1): I am told, and a click on
    // it opens that chat. The queue rings once only from here on.
    {
        let shell = w.app.state::<Shell>();
        let mut s = shell.desk().settings();
        s.alerts.repeat_queue_secs = 0;
        shell.desk().replace_settings(s);
    }
    let carla = w.visitor("Carla Cambio", "¿Me pasáis con facturación?");
    let n = monitor.next("Carla's chat in the queue");
    assert_eq!(n.title, "New chat: Carla Cambio");
    let hub_url = w.hub.url();
    let sam = w.rt.block_on(switchboard_hub::testkit::login(
        &hub_url,
        "agent2@example.com",
        "password",
    ));
    w.rt.block_on(switchboard_hub::testkit::accept(
        &hub_url,
        &sam.token,
        &carla.chat_id,
    ));
    w.wait_change("Sam holds Carla's chat", |c| {
        c["type"] == "chat"
            && c["chat"]["chatId"] == carla.chat_id.as_str()
            && c["chat"]["status"] == "IN_PROGRESS"
    });
    dunstctl(&["close-all"]);
    let me = w.invoke("snapshot", json!({})).expect("snapshot")["account"]["me"]["id"].clone();
    let moved = w.rt.block_on(async {
        reqwest::Client::new()
            .post(format!("{hub_url}/v2/chats/{}/transfer", carla.chat_id))
            .bearer_auth(&sam.token)
            .json(&json!({"toAgentId": me}))
            .send()
            .await
            .expect("transfer")
            .status()
    });
    assert!(moved.is_success(), "{moved}");
    let n = monitor.next("the transfer to me");
    assert_eq!(n.title, "Chat transferred to you", "{n:?}");
    assert!(n.body.contains("Carla Cambio"), "{n:?}");
    let shown =
        w.rt.block_on(common::poll_until(common::TIMEOUT, common::POLL, || async {
            let n = dunstctl(&["count", "displayed"]);
            if n.trim() == "1" { Ok(()) } else { Err(n) }
        }));
    assert_eq!(shown, Ok(()), "dunst shows the transfer's notification");
    dunstctl(&["action", "0"]);
    let chat = common::recv_until(
        &opened,
        common::TIMEOUT,
        "a click opens the transferred chat",
        |p| (p == format!("\"{}\"", carla.chat_id)).then_some(p),
    );
    assert_eq!(chat, format!("\"{}\"", carla.chat_id));
    drop(monitor);
}

fn dunstctl(args: &[&str]) -> String {
    Command::new("dunstctl")
        .args(args)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default()
}
