//! The shell's commands and event forwarding, through Tauri's own test
//! harness (the mock runtime: real IPC dispatch, no window system), against
//! the real hub on a loopback port and real SQLite files.

use std::{sync::mpsc, time::Duration};

use serde_json::{Value, json};
use switchboard_app::Options;
use switchboard_model::ipc::{Event, events::EngineChanges};
use tauri::{
    Listener,
    test::{MockRuntime, mock_builder, mock_context, noop_assets},
};

mod common;
use switchboard_hub::testkit::{TestHub, Visitor};

struct World {
    rt: tokio::runtime::Runtime,
    hub: TestHub,
    _app: tauri::App<MockRuntime>,
    webview: tauri::WebviewWindow<MockRuntime>,
    changes: mpsc::Receiver<Vec<Value>>,
    data_dir: std::path::PathBuf,
}

impl World {
    fn new() -> Self {
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        let hub = rt.block_on(TestHub::start());
        let data_dir = std::env::temp_dir().join(format!("sb-shell-{}", uuid::Uuid::new_v4()));
        let mut options = Options::from_args(["switchboard".to_owned()]);
        options.data_dir = data_dir.clone();
        options.keychain = false;
        let app = switchboard_app::builder(mock_builder(), options)
            .build(mock_context(noop_assets()))
            .expect("the app builds on the mock runtime");
        let webview = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
            .build()
            .expect("window");
        let (tx, changes) = mpsc::channel();
        app.listen_any(EngineChanges::NAME, move |e| {
            let batch: Vec<Value> = serde_json::from_str(e.payload()).expect("a batch is a JSON array");
            let _ = tx.send(batch);
        });
        Self {
            rt,
            hub,
            _app: app,
            webview,
            changes,
            data_dir,
        }
    }

    fn url(&self) -> String {
        self.hub.url()
    }

    fn invoke(&self, cmd: &str, args: Value) -> Result<Value, Value> {
        common::invoke(&self.webview, cmd, args)
    }

    fn sign_in(&self) -> Value {
        self.invoke(
            "sign_in",
            json!({"server": self.url(), "email": "agent@example.com", "password": "password"}),
        )
        .expect("signs in")
    }

    /// Waits for a forwarded change matching `pred`.
    fn wait_change(&self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        common::recv_until(
            &self.changes,
            Duration::from_secs(15),
            what,
            |batch: Vec<Value>| batch.into_iter().find(|c| pred(c)),
        )
    }

    /// A visitor opens a chat and writes.
    fn visitor_chat(&self, name: &str, text: &str) -> Visitor {
        self.rt.block_on(Visitor::opens_chat(&self.url(), name, text))
    }
}

impl Drop for World {
    fn drop(&mut self) {
        self.rt.block_on(self.hub.stop());
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

/// Every command of the contract is registered under its name, and takes
/// its struct: asked with no `args` at all, each says so (Tauri's own
/// "missing required key") rather than that no such command exists.
#[test]
fn every_command_of_the_contract_is_registered() {
    let w = World::new();
    for name in switchboard_model::ipc::commands::ALL {
        let answer = common::invoke_raw(&w.webview, name, json!({}));
        let text = answer.map_or_else(|e| e.to_string(), |v| v.to_string());
        assert!(
            text.contains("missing required key args"),
            "{name}: not registered as a command taking `args`: {text}"
        );
    }
    let unknown = common::invoke_raw(&w.webview, "no_such_command", json!({})).unwrap_err();
    assert!(
        !unknown.to_string().contains("missing required key"),
        "an unknown command is told apart: {unknown}"
    );
}

#[test]
fn sign_in_errors_are_codes_the_ui_can_match() {
    let w = World::new();
    let wrong = w
        .invoke(
            "sign_in",
            json!({"server": w.url(), "email": "agent@example.com", "password": "nope"}),
        )
        .unwrap_err();
    assert_eq!(wrong["code"], "wrong_credentials", "{wrong}");

    // A port nobody listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = closed.local_addr().expect("addr").port();
    drop(closed);
    let unreachable = w
        .invoke(
            "sign_in",
            json!({"server": format!("127.0.0.1:{port}"), "email": "agent@example.com", "password": "password"}),
        )
        .unwrap_err();
    assert_eq!(unreachable["code"], "unreachable", "{unreachable}");

    // Something that answers HTTP but is not a Switchboard server: a plain web page.
    let web = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let web_addr = web.local_addr().expect("addr");
    std::thread::spawn(move || {
        use std::io::{Read, Write};
        if let Ok((mut s, _)) = web.accept() {
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let _ = s.write_all(
                b"HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: 13\r\nconnection: close\r\n\r\n<html></html>",
            );
        }
    });
    let not_ours = w
        .invoke(
            "sign_in",
            json!({"server": format!("http://{web_addr}"), "email": "agent@example.com", "password": "password"}),
        )
        .unwrap_err();
    assert_eq!(not_ours["code"], "incompatible", "{not_ours}");

    let bad = w
        .invoke(
            "sign_in",
            json!({"server": "ftp://x", "email": "a@b", "password": "p"}),
        )
        .unwrap_err();
    assert_eq!(bad["code"], "invalid");
    assert!(bad["message"].as_str().is_some_and(|m| !m.is_empty()));

    // Nothing signed in: commands say so instead of failing obscurely.
    let none = w.invoke("snapshot", json!({})).unwrap_err();
    assert_eq!(none["code"], "not_signed_in");
}

#[test]
fn commands_drive_the_engine_and_changes_reach_the_webview() {
    let w = World::new();
    let account = w.sign_in();
    assert_eq!(account["email"], "agent@example.com");
    let me = account["me"]["id"].as_str().expect("me").to_owned();
    let boot = w.invoke("boot", json!({})).expect("boot");
    assert_eq!(boot["account"]["email"], "agent@example.com");
    assert_eq!(boot["keychain"], false);

    // A visitor opens a chat: it is forwarded to the webview, with its unread count.
    let chat_id = w.visitor_chat("Lucía", "Hola, ¿me ayudáis?").chat_id;
    let forwarded = w.wait_change("the new chat", |c| {
        c["type"] == "chat" && c["chat"]["chatId"] == chat_id.as_str() && c["chat"]["unread"] == 1
    });
    assert_eq!(forwarded["chat"]["status"], "PENDING");
    let snap = w.invoke("snapshot", json!({})).expect("snapshot");
    assert_eq!(snap["totalUnread"], 0, "the total is my chats' only");
    assert!(
        snap["chats"]
            .as_array()
            .expect("chats")
            .iter()
            .any(|c| c["chatId"] == chat_id.as_str())
    );

    let accepted = w.invoke("accept", json!({"chatId": chat_id})).expect("accept");
    assert_eq!(accepted["status"], "IN_PROGRESS");
    assert_eq!(accepted["assigneeId"], me.as_str());
    w.wait_change("mine now: its unread counts in the total", |c| {
        c["type"] == "unread" && c["chatId"] == chat_id.as_str() && c["total"] == 1
    });

    // A note: sending at once, then sent, as forwarded changes.
    let note = w
        .invoke(
            "send",
            json!({"chatId": chat_id, "content": "VIP customer", "internal": true}),
        )
        .expect("send");
    assert_eq!(note["status"], "sending");
    let cmid = note["clientMessageId"].as_str().expect("cmid").to_owned();
    let sent = w.wait_change("the note sent", |c| {
        c["type"] == "message"
            && c["message"]["clientMessageId"] == cmid.as_str()
            && c["message"]["status"] == "sent"
    });
    assert_eq!(sent["message"]["isInternal"], true);

    let page = w
        .invoke("messages", json!({"chatId": chat_id, "limit": 50}))
        .expect("messages");
    let contents: Vec<&str> = page["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter_map(|m| m["content"].as_str())
        .collect();
    assert!(contents.contains(&"Hola, ¿me ayudáis?") && contents.contains(&"VIP customer"));

    // Read: the unread count goes to zero and the change is forwarded.
    let last_visitor = page["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .rev()
        .find(|m| m["senderType"] == "visitor")
        .expect("visitor message")["messageId"]
        .as_str()
        .expect("id")
        .to_owned();
    w.invoke("mark_read", json!({"chatId": chat_id, "messageId": last_visitor}))
        .expect("mark read");
    w.wait_change("unread cleared", |c| {
        c["type"] == "unread" && c["chatId"] == chat_id.as_str() && c["total"] == 0
    });

    // Bad input gets a clear error and changes nothing.
    let too_long = w
        .invoke(
            "send",
            json!({"chatId": chat_id, "content": "x".repeat(10_001), "internal": false}),
        )
        .unwrap_err();
    assert_eq!(too_long["code"], "invalid", "{too_long}");
    let offline_presence = w
        .invoke("set_presence", json!({"status": "offline"}))
        .unwrap_err();
    assert_eq!(offline_presence["code"], "invalid");
    let locale = w.invoke("set_locale", json!({"locale": "fr"})).unwrap_err();
    assert_eq!(locale["code"], "invalid");
    w.invoke("set_locale", json!({"locale": "es"})).expect("es");

    // Agents and notifications come from the server.
    let agents = w.invoke("agents", json!({})).expect("agents");
    assert!(
        agents
            .as_array()
            .expect("agents")
            .iter()
            .any(|a| a["id"] == me.as_str())
    );
    let notes = w.invoke("notifications", json!({})).expect("notifications");
    assert!(
        notes["unread"].as_u64().expect("unread") >= 1,
        "a new chat raised one: {notes}"
    );

    // Closing: the chat turns CLOSED, and a reply is refused for good.
    let closed = w.invoke("close", json!({"chatId": chat_id})).expect("close");
    assert_eq!(closed["status"], "CLOSED");

    // Sign out: the next start shows the sign-in (prefilled), not the inbox.
    w.invoke("sign_out", json!({})).expect("sign out");
    assert_eq!(
        w.invoke("snapshot", json!({})).unwrap_err()["code"],
        "not_signed_in"
    );
    let prefs = std::fs::read_to_string(w.data_dir.join("prefs.json")).expect("prefs");
    let prefs: Value = serde_json::from_str(&prefs).expect("prefs json");
    assert_eq!(prefs["signedIn"], false);
    assert_eq!(prefs["lastEmail"], "agent@example.com");
    assert_eq!(prefs["locale"], "es");
}

#[test]
fn attachments_come_over_ipc_and_only_from_the_server() {
    let w = World::new();
    w.sign_in();
    let chat_id = w.visitor_chat("Ana", "mira").chat_id;
    w.wait_change("the chat", |c| {
        c["type"] == "chat" && c["chat"]["chatId"] == chat_id.as_str()
    });
    // 1x1 PNG.
    let png: Vec<u8> = vec![
        0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 1, 0,
        0, 0, 1, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89, 0, 0, 0, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c,
        0x63, 0, 1, 0, 0, 5, 0, 1, 0x0d, 0x0a, 0x2d, 0xb4, 0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42,
        0x60, 0x82,
    ];
    let sending = w
        .invoke(
            "send_file",
            json!({"chatId": chat_id, "fileName": "dot.png", "bytes": png, "caption": "", "internal": false}),
        )
        .expect("send_file");
    assert_eq!(sending["type"], "image");
    let cmid = sending["clientMessageId"].as_str().expect("cmid").to_owned();
    let sent = w.wait_change("the image sent", |c| {
        c["type"] == "message"
            && c["message"]["clientMessageId"] == cmid.as_str()
            && c["message"]["status"] == "sent"
    });
    let url = sent["message"]["attachment"]["url"]
        .as_str()
        .expect("url")
        .to_owned();
    let bytes = w.invoke("attachment", json!({"url": url}));
    // The raw bytes cross as an IPC response body (an array of numbers in JSON).
    let got: Vec<u8> = serde_json::from_value(bytes.expect("downloaded")).expect("bytes");
    assert_eq!(got, png);

    let elsewhere = w
        .invoke("attachment", json!({"url": "http://example.com/secret"}))
        .unwrap_err();
    assert_eq!(elsewhere["code"], "rejected", "{elsewhere}");

    let huge = vec![0u8; 10 * 1024 * 1024 + 1];
    let refused = w
        .invoke(
            "send_file",
            json!({"chatId": chat_id, "fileName": "big.bin", "bytes": huge, "caption": "", "internal": false}),
        )
        .unwrap_err();
    assert_eq!(refused["code"], "invalid");
}

#[test]
fn only_web_links_open_and_a_file_that_could_run_code_is_never_opened() {
    let w = World::new();
    w.sign_in();
    for url in ["file:///etc/passwd", "javascript:alert(1)", "smb://host/share"] {
        let refused = w.invoke("open_link", json!({ "url": url })).unwrap_err();
        assert_eq!(refused["code"], "invalid", "{url}: {refused}");
    }
    for name in [
        "setup.exe",
        "run.sh",
        "app.AppImage",
        "invoice\u{202E}fdp.exe",
        "README",
    ] {
        let refused = w
            .invoke(
                "open_attachment",
                json!({"url": "/v2/files/none", "fileName": name}),
            )
            .unwrap_err();
        assert_eq!(refused["code"], "invalid", "{name}: {refused}");
        assert!(
            refused["message"]
                .as_str()
                .unwrap_or_default()
                .contains("could run code"),
            "{name}: {refused}"
        );
    }
    // Nothing was written for them.
    assert!(!w.data_dir.join("downloads").exists());
}

#[test]
fn help_and_version_print_and_exit_without_a_window() {
    let run = |arg: &str| {
        // No display and no session bus: a window would fail to open.
        std::process::Command::new(env!("CARGO_BIN_EXE_switchboard"))
            .arg(arg)
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .env_remove("DBUS_SESSION_BUS_ADDRESS")
            .output()
            .expect("the app runs")
    };
    let version = run("--version");
    assert!(version.status.success(), "{version:?}");
    assert_eq!(
        String::from_utf8_lossy(&version.stdout),
        format!("switchboard {}\n", env!("CARGO_PKG_VERSION"))
    );
    let help = run("--help");
    assert!(help.status.success(), "{help:?}");
    let text = String::from_utf8_lossy(&help.stdout);
    assert!(
        text.contains("Usage: switchboard [OPTIONS]") && text.contains("--no-keychain"),
        "{text}"
    );
    let typo = run("--verison");
    assert_eq!(typo.status.code(), Some(2), "{typo:?}");
    assert!(String::from_utf8_lossy(&typo.stderr).contains("unknown option --verison"));
    assert!(typo.stdout.is_empty());
}

/// A server that accepts connections and never answers; each accepted
/// connection is reported on the channel.
fn silent_server() -> (String, mpsc::Receiver<()>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let (tx, accepted) = mpsc::channel();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for conn in listener.incoming().flatten() {
            held.push(conn);
            if tx.send(()).is_err() {
                return;
            }
        }
    });
    (url, accepted)
}

#[test]
fn a_sign_in_gives_up_after_15_seconds_and_cancel_ends_it_at_once() {
    let w = World::new();
    let (url, accepted) = silent_server();
    let args = json!({"server": url, "email": "agent@example.com", "password": "password"});

    // Cancel: the sign-in under way ends at once.
    let (webview, first) = (w.webview.clone(), args.clone());
    let pending = std::thread::spawn(move || common::invoke(&webview, "sign_in", first));
    accepted
        .recv_timeout(Duration::from_secs(10))
        .expect("the sign-in reaches the server");
    w.invoke("cancel_sign_in", json!({})).expect("cancel");
    let cancelled = pending.join().expect("the sign-in thread").unwrap_err();
    assert_eq!(cancelled["code"], "cancelled", "{cancelled}");
    let none = w.invoke("snapshot", json!({})).unwrap_err();
    assert_eq!(
        none["code"], "not_signed_in",
        "a cancelled sign-in signs nothing in"
    );

    // No answer: it gives up after 15 s, with its own code.
    let started = std::time::Instant::now();
    let timed_out = w.invoke("sign_in", args).unwrap_err();
    assert_eq!(timed_out["code"], "timed_out", "{timed_out}");
    assert!(
        started.elapsed() >= Duration::from_secs(14),
        "it waited its 15 s: {:?}",
        started.elapsed()
    );
    // And the next sign-in works.
    assert_eq!(w.sign_in()["email"], "agent@example.com");
}
