//! End-to-end: the built app, in its real webview (WebKitGTK) under Xvfb,
//! driven through tauri-driver and WebKitWebDriver, against the real hub on
//! a loopback port. `scripts/test` runs these under `xvfb-run
//! dbus-run-session`; without a display or the drivers they are skipped
//! locally and fail under CI.

use std::{
    path::PathBuf,
    process::{Command, Stdio},
    time::Duration,
};

use serde_json::{Value, json};
use thirtyfour::prelude::*;

#[path = "common/app.rs"]
mod app;
mod common;
use app::{App, one_app_at_a_time, row, signed_in_app, which};
use common::{POLL, TIMEOUT};

/// How long scrolling through a long chat may take, and how often it turns.
const SCROLL_TIMEOUT: Duration = Duration::from_secs(60);
const SCROLL_POLL: Duration = Duration::from_millis(150);
use switchboard_hub::testkit::{self, TestHub, Visitor};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_signs_in_accepts_replies_and_writes_a_note() {
    let Some(_serial) = one_app_at_a_time().await else {
        return;
    };
    let hub = TestHub::start().await;
    let app = App::launch(&[]).await;

    // Wrong password: a clear error, still on the sign-in screen.
    app.el("#server").await.clear().await.expect("clear");
    app.el("#server")
        .await
        .send_keys(hub.url())
        .await
        .expect("server");
    app.el("#email")
        .await
        .send_keys("agent@example.com")
        .await
        .expect("email");
    app.el("#password").await.send_keys("wrong").await.expect("pw");
    app.el("#signin").await.click().await.expect("click");
    app.text_until("#signin-error", "a wrong-password error", |t| {
        t.contains("Wrong e-mail or password")
    })
    .await;
    app.el("#password").await.clear().await.expect("clear");
    app.el("#email").await.clear().await.expect("clear");
    app.sign_in(&hub.url()).await;
    let title = app.driver.title().await.expect("title");
    assert_eq!(title, "Switchboard");

    // A visitor's chat appears in the queue with a badge.
    let lucia = Visitor::opens_chat(&hub.url(), "Lucía Fernández", "Hola, no puedo pagar").await;
    app.text_until("#tab-queue .count", "one queued chat", |t| t == "1")
        .await;
    // Nothing is mine and someone waits: the queue comes up by itself.
    app.attr_until("#tab-queue", "aria-selected", "true").await;
    app.el("#tab-queue").await.click().await.expect("queue tab");
    app.text_until(
        &format!("{} .unread-badge", row(&lucia.chat_id)),
        "a badge of 1",
        |t| t == "1",
    )
    .await;
    app.text_until(&format!("{} .preview", row(&lucia.chat_id)), "the preview", |t| {
        t.contains("Hola, no puedo pagar")
    })
    .await;

    // Accept it: it moves to Mine and opens.
    app.el(&format!("{} .accept", row(&lucia.chat_id)))
        .await
        .click()
        .await
        .expect("accept");
    app.text_until("#tab-mine .count", "one chat of mine", |t| t == "1")
        .await;
    app.text_until("#tab-queue .count", "an empty queue", |t| t == "0")
        .await;
    app.text_until("#conversation-title", "the chat open", |t| t == "Lucía Fernández")
        .await;
    app.attr_until(&row(&lucia.chat_id), "data-unread", "0").await;

    // Reply: it shows as mine and reaches the visitor.
    app.write("Hola Lucía, ¿qué tarjeta usas?").await;
    app.attr_until(".bubble.me", "data-status", "status-sent").await;
    // Internal note: unmistakable, and never reaches the visitor.
    app.el("#mode-note").await.click().await.expect("note mode");
    app.attr_until("#composer", "data-mode", "note").await;
    app.write("Cliente VIP: revisar pasarela").await;
    app.text_until(".bubble.internal .content", "the note", |t| {
        t == "Cliente VIP: revisar pasarela"
    })
    .await;
    app.attr_until(".bubble.internal", "data-status", "status-sent")
        .await;
    let seen = lucia.sees().await;
    let contents: Vec<&str> = seen.iter().map(|m| m.content.as_str()).collect();
    assert!(
        contents.contains(&"Hola Lucía, ¿qué tarjeta usas?"),
        "{contents:?}"
    );
    assert!(
        !contents.iter().any(|c| c.contains("VIP")),
        "the visitor must never get a note: {contents:?}"
    );

    // Markup from a visitor is text, never HTML.
    lucia.say("<img src=x onerror=alert(1)>").await;
    let xss = app
        .text_until(".bubble.visitor .content", "the markup as text", |t| {
            t.contains("onerror")
        })
        .await;
    assert_eq!(xss, "<img src=x onerror=alert(1)>");
    let imgs = app
        .driver
        .find_all(By::Css(".timeline img:not(.preview)"))
        .await
        .expect("query");
    assert!(imgs.is_empty(), "no element was made from message text");
    assert!(app.driver.get_alert_text().await.is_err(), "no script ran");

    // An image shows as a preview (its bytes come over IPC; the CSP allows
    // no remote image).
    lucia.sends_file("ticket.png", red_square_png()).await;
    app.attr_until(".bubble.visitor img.preview", "alt", "ticket.png")
        .await;
    let loaded = app
        .driver
        .execute(
            "const i = document.querySelector('.bubble.visitor img.preview');
             return i && i.src.startsWith('blob:') && i.complete && i.naturalWidth === 8;",
            vec![],
        )
        .await
        .expect("script");
    assert_eq!(loaded.json().as_bool(), Some(true), "the preview is the image");

    // Unread counts move for a chat that is not open. The total is my
    // chats' alone: not the queue's, not a colleague's.
    let marco = Visitor::opens_chat(&hub.url(), "Marco Rossi", "Buongiorno").await;
    app.el("#tab-all").await.click().await.expect("all tab");
    app.attr_until(&row(&marco.chat_id), "data-unread", "1").await;
    app.text_until("#total-unread", "a queued chat is not mine", |t| t == "0")
        .await;
    let sams = Visitor::opens_chat(&hub.url(), "Petra", "Hallo").await;
    let sam = testkit::login(&hub.url(), "agent2@example.com", "password").await;
    testkit::accept(&hub.url(), &sam.token, &sams.chat_id).await;
    sams.say("Noch da?").await;
    app.attr_until(&row(&sams.chat_id), "data-unread", "2").await;
    testkit::accept(&hub.url(), &testkit::demo_token(&hub.url()).await, &marco.chat_id).await;
    marco.say("¿Hay alguien?").await;
    app.attr_until(&row(&marco.chat_id), "data-unread", "2").await;
    app.text_until("#total-unread", "mine only", |t| t == "2").await;
    // Lucía's chat is open: her messages do not count.
    lucia.say("Visa").await;
    app.text_until(".bubble.visitor .content", "her answer", |t| t == "Visa")
        .await;
    app.attr_until(&row(&lucia.chat_id), "data-unread", "0").await;
    app.text_until("#total-unread", "still two", |t| t == "2").await;
    // Opening Marco's chat reads it; the note mode of Lucía's chat does not follow.
    app.el(&row(&marco.chat_id))
        .await
        .click()
        .await
        .expect("open marco");
    app.attr_until("#composer", "data-mode", "reply").await;
    app.attr_until(&row(&marco.chat_id), "data-unread", "0").await;
    app.text_until("#total-unread", "nothing unread", |t| t == "0")
        .await;
    app.screenshot("e2e-console.png").await;

    app.quit().await;
    let mut hub = hub;
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hub_restarts_and_the_app_catches_up_with_no_duplicate() {
    let Some((_serial, mut hub, app)) = signed_in_app().await else {
        return;
    };

    let v = Visitor::opens_chat(&hub.url(), "Ana Torres", "uno").await;
    app.open_chat(&v.chat_id).await;
    app.text_until(".bubble.visitor .content", "the first message", |t| t == "uno")
        .await;

    hub.stop().await;
    app.attr_until("#connection", "data-state", "reconnecting").await;
    app.text_until("#connection", "a countdown", |t| t.starts_with("Reconnecting in"))
        .await;
    hub.restart().await;
    for text in ["dos", "tres", "cuatro"] {
        v.say(text).await;
    }
    app.attr_until("#connection", "data-state", "online").await;
    app.text_until(".bubble.visitor .content", "the last message", |t| t == "cuatro")
        .await;
    // Each message exactly once, in order.
    app.count_until(".bubble.visitor", 4).await;
    let texts = {
        let mut out = Vec::new();
        for e in app
            .driver
            .find_all(By::Css(".bubble.visitor .content"))
            .await
            .expect("bubbles")
        {
            out.push(e.prop("textContent").await.expect("text").unwrap_or_default());
        }
        out
    };
    assert_eq!(texts, ["uno", "dos", "tres", "cuatro"]);

    app.quit().await;
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn switchboard_demo_starts_signed_in_with_simulated_visitors() {
    let Some(_serial) = one_app_at_a_time().await else {
        return;
    };
    let app = App::launch(&["--demo"]).await;
    app.attr_until("#connection", "data-state", "online").await;
    app.text_until(".pill.demo", "the demo badge", |t| t == "DEMO")
        .await;
    // The demo hub opens chats straight away: the app starts in the queue.
    app.text_until("#tab-queue .count", "visitors waiting", |t| {
        t.parse::<u32>().is_ok_and(|n| n >= 1)
    })
    .await;
    app.el("#tab-queue").await.click().await.expect("queue tab");
    let first = app.el(".chat-row").await;
    let chat_id = first.attr("data-chat-id").await.expect("attr").expect("chat id");
    app.el(&format!("{} .accept", row(&chat_id)))
        .await
        .click()
        .await
        .expect("accept");
    app.text_until("#tab-mine .count", "one chat of mine", |t| t == "1")
        .await;
    // The simulated visitor asks first.
    app.el(".bubble.visitor").await;
    app.write("¡Hola! Soy Alex, ¿en qué puedo ayudarte?").await;
    app.attr_until(".bubble.me", "data-status", "status-sent").await;
    app.el("#mode-note").await.click().await.expect("note mode");
    app.write("Cliente habitual: ofrecer envío gratis").await;
    app.attr_until(".bubble.internal", "data-status", "status-sent")
        .await;
    app.el("#mode-reply").await.click().await.expect("reply mode");
    // For README: scripts/screenshot copies it to docs/screenshot.png.
    app.screenshot("demo.png").await;
    app.quit().await;
}

/// A D-Bus session of one test's own; its daemon stops (and its files go)
/// with it. Nothing else on the machine (a portal that activated another
/// keyring, a desktop's notification daemon) can interfere.
struct PrivateBus {
    address: String,
    pid: u32,
    dir: PathBuf,
}

impl PrivateBus {
    /// `bare`: no service can be activated on it (no notification daemon,
    /// no keychain: a bare Linux session); otherwise the machine's usual
    /// session services.
    fn start(bare: bool) -> Option<Self> {
        let dir = std::env::temp_dir().join(format!("sb-e2e-bus-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).ok()?;
        let mut daemon = Command::new("dbus-daemon");
        if bare {
            let config = dir.join("session.conf");
            std::fs::write(
                &config,
                format!(
                    "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\" \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n\
                     <busconfig><type>session</type><listen>unix:dir={}</listen>\
                     <policy context=\"default\"><allow send_destination=\"*\" eavesdrop=\"true\"/><allow eavesdrop=\"true\"/><allow own=\"*\"/></policy></busconfig>\n",
                    dir.display()
                ),
            )
            .ok()?;
            daemon.arg(format!("--config-file={}", config.display()));
        } else {
            daemon.arg("--session");
        }
        let out = daemon
            .args(["--fork", "--print-address=1", "--print-pid=1"])
            .output()
            .ok()?;
        let text = String::from_utf8_lossy(&out.stdout);
        let mut lines = text.lines();
        Some(Self {
            address: lines.next()?.trim().to_owned(),
            pid: lines.next()?.trim().parse().ok()?,
            dir,
        })
    }

    /// The environment that puts a program on this bus.
    fn env(&self) -> Vec<(String, String)> {
        vec![("DBUS_SESSION_BUS_ADDRESS".to_owned(), self.address.clone())]
    }
}

impl Drop for PrivateBus {
    fn drop(&mut self) {
        // Daemons started on the bus (a keyring) leave with it.
        let _ = Command::new("kill")
            .args(["-TERM", &self.pid.to_string()])
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A private bus with an unlocked Secret Service (gnome-keyring, its files
/// in the bus's temporary directory).
struct PrivateKeychain {
    bus: PrivateBus,
}

impl PrivateKeychain {
    fn start() -> Option<Self> {
        use std::io::Write;
        if !which("dbus-daemon") || !which("gnome-keyring-daemon") || !which("secret-tool") {
            return None;
        }
        let bus = PrivateBus::start(false)?;
        let mut child = Command::new("gnome-keyring-daemon")
            .args(["--unlock", "--components=secrets"])
            .envs(bus.env())
            .env("XDG_DATA_HOME", &bus.dir)
            .env("XDG_RUNTIME_DIR", &bus.dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .ok()?;
        child.stdin.take()?.write_all(b"test-keyring-password").ok()?;
        // It returns once the daemon it forked is serving and unlocked.
        child.wait().ok()?.success().then_some(Self { bus })
    }

    fn env(&self) -> Vec<(String, String)> {
        self.bus.env()
    }

    fn lookup(&self, account: &str) -> Option<String> {
        let out = Command::new("secret-tool")
            .args(["lookup", "service", "switchboard", "username", account])
            .envs(self.bus.env())
            .output()
            .ok()?;
        let token = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        (out.status.success() && !token.is_empty()).then_some(token)
    }
}

fn files_containing(dir: &std::path::Path, needle: &[u8]) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for e in entries.flatten() {
        let path = e.path();
        if path.is_dir() {
            found.extend(files_containing(&path, needle));
        } else if std::fs::read(&path).is_ok_and(|b| b.windows(needle.len()).any(|w| w == needle)) {
            found.push(path);
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_lives_in_the_keychain_and_the_next_start_goes_straight_to_the_inbox() {
    let Some(_serial) = one_app_at_a_time().await else {
        return;
    };
    let Some(keychain) = PrivateKeychain::start() else {
        assert!(
            !std::env::var("CI").is_ok_and(|v| v == "true"),
            "no Secret Service could be started for this test"
        );
        eprintln!("skipped: no dbus-daemon / gnome-keyring-daemon / secret-tool");
        return;
    };
    let env = keychain.env();
    let mut hub = TestHub::start().await;
    let data_dir = hub.dir().join("app");

    let app = App::launch_in(data_dir.clone(), &[], &env).await;
    app.sign_in(&hub.url()).await;
    let account = format!("{}|agent@example.com", hub.url());
    let token = keychain.lookup(&account).expect("the token is in the keychain");
    assert!(token.len() > 20, "a JWT: {token}");
    let data_dir = app.close().await;
    // The logs are in the data directory here (`--data-dir`): searched too.
    assert!(
        !files_containing(&data_dir.join("logs"), b"signed in").is_empty(),
        "the app logs to a file"
    );
    assert!(
        files_containing(&data_dir, token.as_bytes()).is_empty(),
        "the token must not be written outside the keychain (data or logs)"
    );

    // Next start: straight to the inbox, no sign-in.
    let app = App::launch_in(data_dir.clone(), &[], &env).await;
    app.attr_until("#connection", "data-state", "online").await;
    assert!(
        app.driver
            .find_all(By::Css("#password"))
            .await
            .expect("query")
            .is_empty()
    );
    // Sign out: the token leaves the keychain; the next start asks again, prefilled.
    app.el("#sign-out").await.click().await.expect("sign out");
    app.el("#password").await;
    assert_eq!(keychain.lookup(&account), None, "signing out removes the token");
    let data_dir = app.close().await;
    let app = App::launch_in(data_dir, &[], &env).await;
    let email = app.el("#email").await;
    assert_eq!(
        email.prop("value").await.expect("value").as_deref(),
        Some("agent@example.com")
    );
    app.quit().await;
    hub.stop().await;
}

/// Whether a message with exactly this text is in the page, and how many
/// message bubbles the page holds.
async fn in_page(app: &App, text: &str) -> (bool, usize) {
    let ret = app
        .driver
        .execute(
            "const b = [...document.querySelectorAll('.bubble .content')];
             return [b.some(e => e.textContent === arguments[0]), document.querySelectorAll('.bubble').length];",
            vec![json!(text)],
        )
        .await
        .expect("script");
    let v = ret.json();
    (
        v[0].as_bool().unwrap_or(false),
        v[1].as_u64().unwrap_or(0) as usize,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_chat_keeps_a_window_of_messages_and_scrolls_back_to_its_start() {
    let Some(_serial) = one_app_at_a_time().await else {
        return;
    };
    let mut hub = TestHub::start_with_limits(switchboard_hub::Limits {
        rate_limit_per_sec: 0,
        ..Default::default()
    })
    .await;
    const N: usize = 400;
    let v = Visitor::opens_chat(&hub.url(), "Long Talker", "m0").await;
    for i in 1..N {
        v.say(&format!("m{i}")).await;
    }
    let app = App::launch(&[]).await;
    app.sign_in(&hub.url()).await;
    app.open_chat(&v.chat_id).await;
    let newest = format!("m{}", N - 1);
    app.text_until(".bubble.visitor .content", "the newest message", |t| t == newest)
        .await;
    let (_, rendered) = in_page(&app, &newest).await;
    assert!(
        rendered > 0 && rendered <= 80,
        "a window, not the chat: {rendered} bubbles"
    );

    // Scroll up to the start, one screen at a time: the window follows and
    // never holds more than its size.
    let most = std::cell::Cell::new(0);
    let reached = common::poll_until(SCROLL_TIMEOUT, SCROLL_POLL, || async {
        let (found, n) = in_page(&app, "m0").await;
        most.set(most.get().max(n));
        if found {
            return Ok(());
        }
        let seen = app
            .driver
            .execute(
                "const b = document.querySelectorAll('.bubble .content'); const t = document.getElementById('timeline'); const seen = [b[0] && b[0].textContent, b.length, t.scrollTop]; t.scrollTop = 0; return seen;",
                vec![],
            )
            .await
            .map_err(|e| e.to_string())?;
        Err(format!("first in page, count, scrollTop: {}", seen.json()))
    })
    .await;
    if let Err(seen) = reached {
        app.screenshot("e2e-failure.png").await;
        panic!("never reached the first message; {seen}");
    }
    let most = most.get();
    assert!(most <= 80, "at most 80 bubbles in the page, saw {most}");
    // One more turn up finds nothing older, and says so.
    let started = common::poll_until(TIMEOUT, SCROLL_POLL, || async {
        let started = app
            .driver
            .execute(
                "const s = document.querySelector('.timeline-start'); const t = document.getElementById('timeline'); if (s && s.textContent.includes('Start of the conversation')) return true; t.scrollTop = 1; t.scrollTop = 0; return false;",
                vec![],
            )
            .await
            .map_err(|e| e.to_string())?;
        match started.json().as_bool() {
            Some(true) => Ok(()),
            _ => Err("no marker yet".to_owned()),
        }
    })
    .await;
    assert_eq!(started, Ok(()), "a start-of-conversation marker");
    assert!(in_page(&app, "m0").await.0);
    // And back down to the newest.
    let back = common::poll_until(SCROLL_TIMEOUT, SCROLL_POLL, || async {
        if in_page(&app, &newest).await.0 {
            return Ok(());
        }
        app.driver
            .execute(
                "const t = document.getElementById('timeline'); t.scrollTop = t.scrollHeight",
                vec![],
            )
            .await
            .map_err(|e| e.to_string())?;
        Err("not in the page yet".to_owned())
    })
    .await;
    assert_eq!(back, Ok(()), "came back to the newest message");
    app.quit().await;
    hub.stop().await;
}

/// An 8x8 red PNG.
/// A 480×320 PNG of a soft gradient with a few bands, big enough to show
/// what a full-size viewer is for.
fn photo_png() -> Vec<u8> {
    let (w, h) = (480u32, 320u32);
    let mut rgba = Vec::with_capacity((w * h * 4) as usize);
    for y in 0..h {
        for x in 0..w {
            let band = ((x / 60 + y / 40) % 2) as u8;
            rgba.extend_from_slice(&[
                (40 + x * 180 / w) as u8,
                (90 + y * 120 / h) as u8 - band * 20,
                200 - (x * 80 / w) as u8,
                255,
            ]);
        }
    }
    switchboard_app::files::encode_png(w, h, &rgba).expect("a PNG")
}

fn red_square_png() -> Vec<u8> {
    fn crc(data: &[u8]) -> u32 {
        let mut c = 0xffff_ffffu32;
        for &b in data {
            c ^= u32::from(b);
            for _ in 0..8 {
                c = if c & 1 != 0 {
                    0xedb8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
        }
        !c
    }
    fn adler(data: &[u8]) -> u32 {
        let (mut a, mut b) = (1u32, 0u32);
        for &d in data {
            a = (a + u32::from(d)) % 65521;
            b = (b + a) % 65521;
        }
        (b << 16) | a
    }
    fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        out.extend_from_slice(&body);
        out.extend_from_slice(&crc(&body).to_be_bytes());
    }
    let (w, h) = (8u32, 8u32);
    // Each row: filter type 0, then RGB pixels.
    let row: Vec<u8> = std::iter::once(0u8)
        .chain((0..w).flat_map(|_| [220u8, 40, 40]))
        .collect();
    let raw: Vec<u8> = (0..h).flat_map(|_| row.iter().copied()).collect();
    // A stored (uncompressed) deflate block inside a zlib stream.
    let mut z = vec![0x78, 0x01, 0x01];
    z.extend_from_slice(&(raw.len() as u16).to_le_bytes());
    z.extend_from_slice(&(!(raw.len() as u16)).to_le_bytes());
    z.extend_from_slice(&raw);
    z.extend_from_slice(&adler(&raw).to_be_bytes());
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut png = vec![0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];
    chunk(&mut png, b"IHDR", &ihdr);
    chunk(&mut png, b"IDAT", &z);
    chunk(&mut png, b"IEND", &[]);
    png
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn try_the_demo_is_one_click_from_the_sign_in_screen() {
    let Some(_serial) = one_app_at_a_time().await else {
        return;
    };
    let app = App::launch(&[]).await;
    app.el("#demo").await.click().await.expect("try the demo");
    app.attr_until("#connection", "data-state", "online").await;
    app.text_until(".pill.demo", "the demo badge", |t| t == "DEMO")
        .await;
    app.text_until("#tab-all .count", "simulated visitors", |t| {
        t.parse::<u32>().is_ok_and(|n| n >= 1)
    })
    .await;
    // Signing out of the demo stops it and returns to the sign-in screen.
    app.el("#sign-out").await.click().await.expect("sign out");
    app.el("#signin").await;
    app.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_notification_service_the_app_works_and_says_so_once() {
    let Some(_serial) = one_app_at_a_time().await else {
        return;
    };
    let bus = PrivateBus::start(true).expect("a bare D-Bus session");
    let mut hub = TestHub::start().await;
    let env = bus.env();
    let app = App::launch_in(hub.dir().join("app"), &["--no-keychain"], &env).await;
    app.sign_in(&hub.url()).await;
    // Two chats: two rings that cannot be shown.
    let a = Visitor::opens_chat(&hub.url(), "Ana", "hola").await;
    let b = Visitor::opens_chat(&hub.url(), "Bea", "hola").await;
    app.el("#tab-queue").await.click().await.expect("queue");
    app.el(&row(&a.chat_id)).await;
    app.el(&row(&b.chat_id)).await;
    // The app goes on: accept and reply.
    app.el(&format!("{} .accept", row(&a.chat_id)))
        .await
        .click()
        .await
        .expect("accept");
    app.write("¿En qué te ayudo?").await;
    app.attr_until(".bubble.me", "data-status", "status-sent").await;
    let data_dir = app.close().await;
    let logs = files_containing(&data_dir.join("logs"), b"no desktop notification service");
    assert_eq!(logs.len(), 1, "said in the log file");
    let text = std::fs::read_to_string(&logs[0]).expect("log");
    assert_eq!(
        text.matches("no desktop notification service").count(),
        1,
        "said once, not per notification"
    );
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_launch_shows_the_first_instead_of_starting_again() {
    let Some(_serial) = one_app_at_a_time().await else {
        return;
    };
    let app = App::launch(&[]).await;
    app.el("#signin").await;
    let mut second = tokio::process::Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(["--no-keychain", "--data-dir"])
        .arg(&app.data_dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("a second launch");
    let status = tokio::time::timeout(TIMEOUT, second.wait())
        .await
        .expect("the second launch ends by itself")
        .expect("status");
    assert!(status.success(), "{status}");
    // The first instance logs the wake-up before it answers, but its log
    // file is written by a background thread: wait for the line to land.
    let logs = app.data_dir.join("logs");
    let woken = common::poll_until(TIMEOUT, POLL, || async {
        match files_containing(&logs, b"a second launch").len() {
            1 => Ok(()),
            n => Err(format!("{n} log files say so")),
        }
    })
    .await;
    assert_eq!(woken, Ok(()), "the first instance was asked to show itself");
    // The first goes on.
    app.el("#signin").await;
    app.quit().await;
}

/// Waits until the app's settings file satisfies `pred`.
async fn settings_until(data_dir: &std::path::Path, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
    let seen = common::poll_until(TIMEOUT, POLL, || async {
        let bytes = std::fs::read(data_dir.join("settings.json")).map_err(|e| e.to_string())?;
        let v: Value = serde_json::from_slice(&bytes).map_err(|e| e.to_string())?;
        if pred(&v) { Ok(v) } else { Err(v.to_string()) }
    })
    .await;
    seen.unwrap_or_else(|last| panic!("settings.json never showed {what}; last {last}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_settings_screen_and_the_mute_switch_are_saved() {
    let Some((_serial, mut hub, app)) = signed_in_app().await else {
        return;
    };
    // --no-keychain: the header says the session is not saved.
    app.text_until("#no-keychain", "the no-keychain notice", |t| {
        t == "Session not saved"
    })
    .await;

    app.el("#open-settings").await.click().await.expect("settings");
    app.el("#set-paused").await.click().await.expect("pause");
    settings_until(&app.data_dir, "paused", |v| v["paused"] == true).await;
    let repeat = app.el("#set-repeat").await;
    repeat
        .find(By::Css("option[value='120']"))
        .await
        .expect("option")
        .click()
        .await
        .expect("pick");
    settings_until(&app.data_dir, "a 2-minute repeat", |v| {
        v["repeatQueueSecs"] == 120
    })
    .await;
    // A waiting visitor is highlighted after 2 minutes unless set otherwise.
    app.value_until("#set-highlight", "2").await;
    app.el("#set-highlight option[value='5']")
        .await
        .click()
        .await
        .expect("pick");
    settings_until(&app.data_dir, "highlight after 5 minutes", |v| {
        v["queueHighlightMins"] == 5
    })
    .await;
    app.screenshot("settings.png").await;
    app.driver
        .active_element()
        .await
        .expect("focus")
        .send_keys(Key::Escape)
        .await
        .expect("esc");
    app.count_until("#settings", 0).await;

    let v = Visitor::opens_chat(&hub.url(), "Mia", "hola").await;
    app.open_chat(&v.chat_id).await;
    app.el("#mute").await.click().await.expect("mute");
    app.text_until("#mute", "muted", |t| t == "Muted").await;
    let chat_id = v.chat_id.clone();
    settings_until(&app.data_dir, "the chat muted", move |s| {
        s["muted"]
            .as_array()
            .is_some_and(|m| m.iter().any(|c| c == chat_id.as_str()))
    })
    .await;
    app.quit().await;
    hub.stop().await;
}

/// A stand-in tray host: owns `org.kde.StatusNotifierWatcher` and records
/// the items that register (bus name, object path).
struct Watcher {
    items: tokio::sync::mpsc::UnboundedSender<(String, String)>,
}

#[zbus::interface(name = "org.kde.StatusNotifierWatcher")]
impl Watcher {
    async fn register_status_notifier_item(
        &self,
        service: &str,
        #[zbus(header)] header: zbus::message::Header<'_>,
    ) {
        let sender = header.sender().map(|s| s.to_string()).unwrap_or_default();
        let (name, path) = if service.starts_with('/') {
            (sender, service.to_owned())
        } else {
            (service.to_owned(), "/StatusNotifierItem".to_owned())
        };
        let _ = self.items.send((name, path));
    }

    async fn register_status_notifier_host(&self, _service: &str) {}

    #[zbus(property)]
    async fn registered_status_notifier_items(&self) -> Vec<String> {
        Vec::new()
    }

    #[zbus(property)]
    async fn is_status_notifier_host_registered(&self) -> bool {
        true
    }

    #[zbus(property)]
    async fn protocol_version(&self) -> i32 {
        0
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tray_shows_the_unread_total() {
    let Some(_serial) = one_app_at_a_time().await else {
        return;
    };
    let bus = PrivateBus::start(true).expect("a bare D-Bus session");
    let (tx, mut items) = tokio::sync::mpsc::unbounded_channel();
    let host = zbus::connection::Builder::address(bus.address.as_str())
        .name("org.kde.StatusNotifierWatcher")
        .serve_at("/StatusNotifierWatcher", Watcher { items: tx })
        .build()
        .await
        .expect("a stand-in tray host on the bus");
    let mut hub = TestHub::start().await;
    let env = bus.env();
    let app = App::launch_in(hub.dir().join("app"), &["--no-keychain"], &env).await;
    let (name, path) = tokio::time::timeout(TIMEOUT, items.recv())
        .await
        .expect("the app registers a tray item")
        .expect("item");
    // No property cache: libayatana announces label changes with its own
    // signal, not PropertiesChanged; read the property afresh every time.
    let item: zbus::Proxy<'_> = zbus::proxy::Builder::new(&host)
        .destination(name.as_str())
        .path(path.as_str())
        .interface("org.kde.StatusNotifierItem")
        .cache_properties(zbus::proxy::CacheProperties::No)
        .build()
        .await
        .expect("the tray item");
    let label = || async {
        item.get_property::<String>("XAyatanaLabel")
            .await
            .unwrap_or_default()
    };
    app.sign_in(&hub.url()).await;
    // Two messages in my chat that is not open, and one in the queue: the
    // tray says 2, like the header.
    let v = Visitor::opens_chat(&hub.url(), "Tomás", "hola").await;
    testkit::accept(&hub.url(), &testkit::demo_token(&hub.url()).await, &v.chat_id).await;
    v.say("¿hola?").await;
    let queued = Visitor::opens_chat(&hub.url(), "Quique", "¿alguien?").await;
    app.el("#tab-queue").await.click().await.expect("queue tab");
    app.attr_until(&row(&queued.chat_id), "data-unread", "1").await;
    app.text_until("#total-unread", "two unread", |t| t == "2").await;
    let two = common::poll_until(TIMEOUT, POLL, || async {
        let l = label().await;
        if l == "2" { Ok(()) } else { Err(l) }
    })
    .await;
    assert_eq!(two, Ok(()), "the tray label says 2");
    // Read: the tray clears with the badges.
    app.open_chat(&v.chat_id).await;
    app.text_until("#total-unread", "nothing unread", |t| t == "0")
        .await;
    let cleared = common::poll_until(TIMEOUT, POLL, || async {
        let l = label().await;
        if l.is_empty() { Ok(()) } else { Err(l) }
    })
    .await;
    assert_eq!(cleared, Ok(()), "the tray label clears");
    app.quit().await;
    hub.stop().await;
    drop(host);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_chat_keeps_its_draft_across_switches_and_a_kill_9_and_sending_clears_it() {
    let Some(_serial) = one_app_at_a_time().await else {
        return;
    };
    let mut hub = TestHub::start().await;
    let ana = Visitor::opens_chat(&hub.url(), "Ana Borrador", "hola").await;
    let bea = Visitor::opens_chat(&hub.url(), "Bea Borrador", "buenas").await;
    let app = App::launch(&[]).await;
    app.sign_in(&hub.url()).await;
    app.el("#tab-all").await.click().await.expect("all");

    // Ana: a reply, typed and not sent; the engine keeps it (the row says so).
    app.el(&row(&ana.chat_id)).await.click().await.expect("open Ana");
    app.el("#composer-input")
        .await
        .send_keys("Hola Ana, un momento")
        .await
        .expect("type");
    app.attr_until(&row(&ana.chat_id), "data-draft", "true").await;
    // Bea: her own, empty composer; a note this time.
    app.el(&row(&bea.chat_id)).await.click().await.expect("open Bea");
    app.value_until("#composer-input", "").await;
    app.attr_until("#composer", "data-mode", "reply").await;
    app.text_until(
        &format!("{} .preview", row(&ana.chat_id)),
        "Ana's draft in the inbox",
        |t| t == "Draft: Hola Ana, un momento",
    )
    .await;
    app.el("#mode-note").await.click().await.expect("note");
    app.el("#composer-input")
        .await
        .send_keys("Cliente VIP")
        .await
        .expect("type");
    app.attr_until(&row(&bea.chat_id), "data-draft", "true").await;
    // Back to Ana: her text and mode are back.
    app.el(&row(&ana.chat_id)).await.click().await.expect("open Ana");
    app.value_until("#composer-input", "Hola Ana, un momento").await;
    app.attr_until("#composer", "data-mode", "reply").await;
    app.screenshot("e2e-draft.png").await;
    // The same through the keyboard: Ctrl+K to Bea, and back to Ana.
    for (to, name, text, mode) in [
        (&bea.chat_id, "Bea", "Cliente VIP", "note"),
        (&ana.chat_id, "Ana", "Hola Ana, un momento", "reply"),
    ] {
        app.el("#composer-input")
            .await
            .send_keys(Key::Control + "k")
            .await
            .expect("ctrl+k");
        let switcher = app.el("#switcher-input").await;
        switcher.send_keys(name).await.expect("type");
        switcher.send_keys(Key::Enter).await.expect("enter");
        app.attr_until("#conversation-title", "data-chat", to).await;
        app.value_until("#composer-input", text).await;
        app.attr_until("#composer", "data-mode", mode).await;
    }

    // kill -9, then a new start on the same data: both drafts are there.
    let data_dir = app.kill_9().await;
    let app = App::launch_in(data_dir, &["--no-keychain"], &[]).await;
    app.sign_in(&hub.url()).await;
    app.el("#tab-all").await.click().await.expect("all");
    app.attr_until(&row(&ana.chat_id), "data-draft", "true").await;
    app.attr_until(&row(&bea.chat_id), "data-draft", "true").await;
    app.el(&row(&bea.chat_id)).await.click().await.expect("open Bea");
    app.value_until("#composer-input", "Cliente VIP").await;
    app.attr_until("#composer", "data-mode", "note").await;

    // Sending clears the draft: the row, and the next start.
    app.el(&row(&ana.chat_id)).await.click().await.expect("open Ana");
    app.value_until("#composer-input", "Hola Ana, un momento").await;
    app.el("#composer-input")
        .await
        .send_keys(Key::Enter)
        .await
        .expect("send");
    app.attr_until(&row(&ana.chat_id), "data-draft", "false").await;
    app.value_until("#composer-input", "").await;
    let sent = common::poll_until(TIMEOUT, POLL, || async {
        let seen = ana.sees().await;
        if seen.iter().any(|m| m.content == "Hola Ana, un momento") {
            Ok(())
        } else {
            Err(format!("{} messages", seen.len()))
        }
    })
    .await;
    assert_eq!(sent, Ok(()), "the visitor got the draft once sent");
    let data_dir = app.close().await;
    let app = App::launch_in(data_dir, &["--no-keychain"], &[]).await;
    app.sign_in(&hub.url()).await;
    app.el("#tab-all").await.click().await.expect("all");
    app.attr_until(&row(&ana.chat_id), "data-draft", "false").await;
    app.attr_until(&row(&bea.chat_id), "data-draft", "true").await;

    // A colleague takes Bea's chat: her composer says so before I send.
    let (sam, password) = (switchboard_hub::DEMO_AGENTS[1].1, switchboard_hub::DEMO_PASSWORD);
    let sam = testkit::login(&hub.url(), sam, password).await;
    testkit::accept(&hub.url(), &sam.token, &bea.chat_id).await;
    // The row moves to the top when the chat changes hands: click it there.
    app.text_until(
        &format!("{} .chat-bottom", row(&bea.chat_id)),
        "Sam holds the chat",
        |t| t.contains("Sam Second"),
    )
    .await;
    app.el(&row(&bea.chat_id)).await.click().await.expect("open Bea");
    app.text_until("#held-warning", "who holds the chat", |t| {
        t.contains("Sam Second is handling this chat")
    })
    .await;
    app.screenshot("e2e-held.png").await;
    app.quit().await;
    hub.stop().await;
}

/// Types `path` into the save dialog titled `title` and presses Enter
/// (xdotool, through the X server the app is on).
async fn answer_save_dialog(app: &App, title: &str, path: &std::path::Path) {
    let pattern = format!("^{}$", title.replace('.', "\\."));
    let window = common::poll_until(TIMEOUT, POLL, || async {
        let out = Command::new("xdotool")
            .args(["search", "--onlyvisible", "--name", &pattern])
            .output()
            .map_err(|e| e.to_string())?;
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .next()
            .map(str::to_owned)
            .ok_or_else(|| "no such window".to_owned())
    })
    .await;
    let Ok(window) = window else {
        app.fail(&format!("no save dialog titled {title}")).await;
    };
    let xdotool = |args: &[&str]| {
        let ok = Command::new("xdotool")
            .args(args)
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "xdotool {args:?}");
    };
    xdotool(&["windowfocus", "--sync", &window]);
    // The name field has the focus, the proposed name in it.
    xdotool(&["key", "--clearmodifiers", "ctrl+a"]);
    xdotool(&["type", "--delay", "10", &path.display().to_string()]);
    xdotool(&["key", "Return"]);
}

/// A stand-in for the desktop's default applications: a private XDG data
/// and config directory whose `.desktop` handler for web links and PDFs
/// records what it was asked to open, one line each.
struct Opened {
    dir: PathBuf,
}

impl Opened {
    fn new(dir: PathBuf) -> Self {
        let bin = dir.join("record");
        let apps = dir.join("data/applications");
        std::fs::create_dir_all(&apps).expect("dirs");
        std::fs::create_dir_all(dir.join("config")).expect("dirs");
        let log = dir.join("opened.log");
        std::fs::write(
            &bin,
            format!(
                "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\" >> '{}'; done\n",
                log.display()
            ),
        )
        .expect("script");
        let _ = Command::new("chmod").arg("+x").arg(&bin).status();
        std::fs::write(
            apps.join("switchboard-test-recorder.desktop"),
            format!(
                "[Desktop Entry]\nType=Application\nName=Recorder\nExec={} %u\nNoDisplay=true\nMimeType=x-scheme-handler/http;x-scheme-handler/https;application/pdf;\n",
                bin.display()
            ),
        )
        .expect("desktop file");
        std::fs::write(
            dir.join("config/mimeapps.list"),
            "[Default Applications]\nx-scheme-handler/http=switchboard-test-recorder.desktop\nx-scheme-handler/https=switchboard-test-recorder.desktop\napplication/pdf=switchboard-test-recorder.desktop\n",
        )
        .expect("mimeapps");
        Self { dir }
    }

    fn env(&self) -> Vec<(String, String)> {
        vec![
            (
                "XDG_DATA_HOME".into(),
                self.dir.join("data").display().to_string(),
            ),
            (
                "XDG_CONFIG_HOME".into(),
                self.dir.join("config").display().to_string(),
            ),
        ]
    }

    fn lines(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.join("opened.log"))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// Waits until something matching `pred` was opened; returns it.
    async fn until(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let seen = common::poll_until(TIMEOUT, POLL, || async {
            let lines = self.lines();
            lines
                .iter()
                .find(|l| pred(l))
                .cloned()
                .ok_or_else(|| format!("{lines:?}"))
        })
        .await;
        seen.unwrap_or_else(|seen| panic!("nothing opened: {what}; opened {seen}"))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_and_documents_open_with_the_system_and_programs_never_do() {
    let Some(_serial) = one_app_at_a_time().await else {
        return;
    };
    let mut hub = TestHub::start().await;
    let opened = Opened::new(hub.dir().join("desktop"));
    let data_dir = hub.dir().join("app");
    let app = App::launch_in(data_dir.clone(), &["--no-keychain"], &opened.env()).await;
    app.sign_in(&hub.url()).await;
    let rosa = Visitor::opens_chat(
        &hub.url(),
        "Rosa Recibos",
        "Mi pedido: https://shop.example.com/pedido?id=7.",
    )
    .await;
    let pdf = b"%PDF-1.4\n% factura 7\n%%EOF\n".to_vec();
    rosa.sends_file("factura.pdf", pdf.clone()).await;
    rosa.sends_file("setup.exe", b"MZ\x90\x00 not really".to_vec())
        .await;
    app.open_chat(&rosa.chat_id).await;

    // The link, without the sentence's full stop, in the system browser.
    app.text_until(".msg-link", "the link", |t| {
        t == "https://shop.example.com/pedido?id=7"
    })
    .await;
    app.el(".msg-link").await.click().await.expect("click the link");
    opened
        .until("the link", |l| l == "https://shop.example.com/pedido?id=7")
        .await;

    // The PDF: downloaded from the hub into the data directory, then opened.
    app.el(".file[data-file='factura.pdf'] .file-open")
        .await
        .click()
        .await
        .expect("open the PDF");
    let path = opened.until("the PDF", |l| l.ends_with("/factura.pdf")).await;
    assert!(
        path.starts_with(&data_dir.join("downloads").display().to_string()),
        "{path}"
    );
    assert_eq!(std::fs::read(&path).expect("the opened copy"), pdf);

    // The program: its real extension shown, no Open at all.
    app.text_until(".file[data-file='setup.exe'] .file-ext", "the extension", |t| {
        t == "EXE"
    })
    .await;
    app.count_until(".file[data-file='setup.exe'] .file-open", 0)
        .await;
    app.count_until(".file[data-file='setup.exe'] .save-only-note", 1)
        .await;
    // Claimed as images, but not image bytes: files to save, never rendered.
    rosa.sends_file(
        "logo.svg",
        b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>".to_vec(),
    )
    .await;
    rosa.sends_file("trap.png", b"<!DOCTYPE html><script>alert(1)</script>".to_vec())
        .await;
    app.count_until(".file[data-file='logo.svg'] .save-only-note", 1)
        .await;
    app.count_until(".file[data-file='trap.png']", 1).await;
    app.count_until("img.preview", 0).await;
    app.screenshot("e2e-files.png").await;
    assert_eq!(
        opened.lines().len(),
        2,
        "nothing else was opened: {:?}",
        opened.lines()
    );

    // Save: the system's save dialog, answered as a person would (a path
    // typed into its name field, Enter).
    let saved = hub.dir().join("saved");
    std::fs::create_dir_all(&saved).expect("dir");
    app.el(".file[data-file='setup.exe'] .file-save")
        .await
        .click()
        .await
        .expect("save the program");
    answer_save_dialog(&app, "setup.exe", &saved.join("mine.exe")).await;
    let written = common::poll_until(TIMEOUT, POLL, || async {
        std::fs::read(saved.join("mine.exe")).map_err(|e| e.to_string())
    })
    .await;
    assert_eq!(
        written.as_deref(),
        Ok(&b"MZ\x90\x00 not really"[..]),
        "saved whole"
    );
    app.text_until(".toast", "where it went", |t| t.contains("mine.exe"))
        .await;
    assert_eq!(opened.lines().len(), 2, "saving opened nothing");
    app.quit().await;
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_picked_dropped_or_pasted_are_staged_and_go_with_the_text() {
    let Some((_serial, mut hub, app)) = signed_in_app().await else {
        return;
    };
    let pablo = Visitor::opens_chat(&hub.url(), "Pablo Pegado", "¿Me mandas el presupuesto?").await;
    app.open_chat(&pablo.chat_id).await;

    // Picked: staged, not sent.
    let pdf = hub.dir().join("presupuesto.pdf");
    std::fs::write(&pdf, b"%PDF-1.4\n% presupuesto\n%%EOF\n").expect("pdf");
    app.el("#attach")
        .await
        .send_keys(pdf.display().to_string())
        .await
        .expect("pick a file");
    app.count_until("#staged .staged-file[data-file='presupuesto.pdf']", 1)
        .await;

    // Dropped: an HTML5 drop with a real DataTransfer (a thumbnail for the
    // image), and one removed again.
    let png = red_square_png();
    app.driver
        .execute(
            "const [name, bytes] = [arguments[0], arguments[1]];
             const dt = new DataTransfer();
             dt.items.add(new File([new Uint8Array(bytes)], name, {type: 'image/png'}));
             dt.items.add(new File(['nada'], 'borrar.txt', {type: 'text/plain'}));
             const c = document.getElementById('composer');
             c.dispatchEvent(new DragEvent('dragover', {dataTransfer: dt, bubbles: true, cancelable: true}));
             c.dispatchEvent(new DragEvent('drop', {dataTransfer: dt, bubbles: true, cancelable: true}));",
            vec![json!("captura.png"), json!(png)],
        )
        .await
        .expect("drop");
    app.count_until("#staged .staged-file[data-file='captura.png'] img.thumb", 1)
        .await;
    app.el("#staged .staged-file[data-file='borrar.txt'] .unstage")
        .await
        .click()
        .await
        .expect("remove");
    app.count_until("#staged .staged-file", 2).await;

    // Pasted: a screenshot on the X clipboard, and a real Ctrl+V.
    let shot = hub.dir().join("shot.png");
    std::fs::write(&shot, red_square_png()).expect("png");
    let clip = Command::new("xclip")
        .args(["-selection", "clipboard", "-t", "image/png", "-quiet", "-i"])
        .arg(&shot)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    let mut clip = clip.expect("xclip (scripts/setup installs it)");
    // xclip owns the clipboard only once it has started: a Ctrl+V before
    // that pastes nothing, so wait until the clipboard offers the image.
    common::poll_until(TIMEOUT, POLL, || async {
        let targets = Command::new("xclip")
            .args(["-selection", "clipboard", "-t", "TARGETS", "-o"])
            .stderr(Stdio::null())
            .output()
            .map_err(|e| e.to_string())?;
        let listed = String::from_utf8_lossy(&targets.stdout).into_owned();
        if listed.lines().any(|t| t.trim() == "image/png") {
            Ok(())
        } else {
            Err(format!("clipboard offers {listed:?}"))
        }
    })
    .await
    .expect("the screenshot is on the clipboard");
    app.el("#composer-input").await.click().await.expect("focus");
    let focused = Command::new("xdotool")
        .args([
            "search",
            "--onlyvisible",
            "--name",
            "^Switchboard$",
            "windowfocus",
            "--sync",
        ])
        .status()
        .is_ok_and(|s| s.success());
    assert!(focused, "the app's window takes the keyboard");
    let pressed = Command::new("xdotool")
        .args(["key", "--clearmodifiers", "ctrl+v"])
        .status()
        .is_ok_and(|s| s.success());
    assert!(pressed, "xdotool ctrl+v");
    app.count_until("#staged .staged-file", 3).await;
    let _ = clip.kill();
    let _ = clip.wait();
    app.screenshot("e2e-staged.png").await;
    assert_eq!(pablo.sees().await.len(), 1, "nothing is sent while staged");
    // Another chat has its own (empty) tray; back here, the three wait.
    let quique = Visitor::opens_chat(&hub.url(), "Quique Quieto", "hola").await;
    app.el(&row(&quique.chat_id))
        .await
        .click()
        .await
        .expect("other chat");
    app.attr_until("#conversation-title", "data-chat", &quique.chat_id)
        .await;
    app.count_until("#staged .staged-file", 0).await;
    app.el(&row(&pablo.chat_id)).await.click().await.expect("back");
    app.count_until("#staged .staged-file", 3).await;
    // Even a kill -9 loses nothing staged: the engine keeps the copies.
    let data_dir = app.kill_9().await;
    let app = App::launch_in(data_dir, &["--no-keychain"], &[]).await;
    app.sign_in(&hub.url()).await;
    app.open_chat(&pablo.chat_id).await;
    app.count_until("#staged .staged-file", 3).await;
    app.count_until("#staged .staged-file[data-file='captura.png'] img.thumb", 1)
        .await;

    // Sent: each file a message, the text with the first; then the tray is empty.
    app.el("#composer-input")
        .await
        .send_keys("Aquí tienes")
        .await
        .expect("type");
    app.el("#send").await.click().await.expect("send");
    app.count_until("#staged", 0).await;
    // My image shows its preview as soon as it is uploaded, in place.
    app.count_until(".bubble.me img.preview[alt='captura.png']", 1)
        .await;
    let got = common::poll_until(TIMEOUT, POLL, || async {
        let seen = pablo.sees().await;
        let files: Vec<(String, String)> = seen
            .iter()
            .filter_map(|m| {
                m.attachment
                    .as_ref()
                    .map(|a| (a.file_name.clone(), m.content.clone()))
            })
            .collect();
        if files.len() == 3 {
            Ok(files)
        } else {
            Err(format!("{files:?}"))
        }
    })
    .await
    .expect("three files reach the visitor");
    assert_eq!(got[0], ("presupuesto.pdf".to_owned(), "Aquí tienes".to_owned()));
    assert_eq!(got[1], ("captura.png".to_owned(), String::new()));
    assert!(
        got[2].0.starts_with("pasted-") && got[2].0.ends_with(".png"),
        "{got:?}"
    );
    app.quit().await;
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_image_opens_full_size_walks_the_chats_images_and_downloads() {
    let Some((_serial, mut hub, app)) = signed_in_app().await else {
        return;
    };
    let vera = Visitor::opens_chat(&hub.url(), "Vera Visor", "Mira estas fotos").await;
    vera.sends_file("uno.png", photo_png()).await;
    vera.say("y otra").await;
    vera.sends_file("dos.png", red_square_png()).await;
    app.open_chat(&vera.chat_id).await;
    app.count_until(".bubble img.preview", 2).await;

    app.el(".bubble img.preview[alt='uno.png']")
        .await
        .click()
        .await
        .expect("open the first image");
    app.attr_until("#viewer .viewer-img", "alt", "uno.png").await;
    app.attr_until("#viewer", "data-index", "0").await;
    // Shown at its own size: the 480×320 picture, decoded.
    let full = common::poll_until(TIMEOUT, POLL, || async {
        let size = app
            .driver
            .execute(
                "const i = document.querySelector('#viewer .viewer-img');
                 return i && i.complete ? [i.naturalWidth, i.naturalHeight, i.clientWidth] : null;",
                vec![],
            )
            .await
            .map_err(|e| e.to_string())?;
        match size
            .json()
            .as_array()
            .map(|a| a.iter().filter_map(|v| v.as_u64()).collect::<Vec<_>>())
        {
            Some(v) if v.len() == 3 && v[0] == 480 && v[2] > 0 => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    assert_eq!(full, Ok(()), "the viewer shows the whole image");
    app.screenshot("e2e-viewer.png").await;
    // → goes to the next image (the text between is skipped), ← back.
    app.el("#viewer")
        .await
        .send_keys(Key::Right)
        .await
        .expect("right");
    app.attr_until("#viewer .viewer-img", "alt", "dos.png").await;
    app.el("#viewer").await.send_keys(Key::Left).await.expect("left");
    app.attr_until("#viewer .viewer-img", "alt", "uno.png").await;

    // Download: the system's save dialog, then the bytes on disk.
    let saved = hub.dir().join("saved");
    std::fs::create_dir_all(&saved).expect("dir");
    app.el("#viewer-download").await.click().await.expect("download");
    answer_save_dialog(&app, "uno.png", &saved.join("foto.png")).await;
    let written = common::poll_until(TIMEOUT, POLL, || async {
        std::fs::read(saved.join("foto.png")).map_err(|e| e.to_string())
    })
    .await;
    assert_eq!(written, Ok(photo_png()), "downloaded whole");

    // Esc closes it.
    app.el("#viewer").await.send_keys(Key::Escape).await.expect("esc");
    app.count_until("#viewer", 0).await;
    app.quit().await;
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chat_opens_at_its_first_unread_and_only_what_was_seen_is_read() {
    let Some((_serial, mut hub, app)) = signed_in_app().await else {
        return;
    };
    let olga = Visitor::opens_chat(&hub.url(), "Olga Larga", "hola").await;
    let other = Visitor::opens_chat(&hub.url(), "Otro", "buenas").await;
    // Her "hola" is here (a row can show before its first message does, with
    // nothing unread yet), then opening the chat reads it.
    app.attr_until(&row(&olga.chat_id), "data-unread", "1").await;
    app.open_chat(&olga.chat_id).await;
    app.attr_until(&row(&olga.chat_id), "data-unread", "0").await;

    // Away in another chat, Olga writes a lot.
    app.el(&row(&other.chat_id)).await.click().await.expect("other");
    for i in 1..=40 {
        olga.say(&format!("línea {i}")).await;
    }
    app.attr_until(&row(&olga.chat_id), "data-unread", "40").await;

    // Back: the first unread under the "New" line, not the bottom; nothing
    // is read until the newest has been on screen.
    app.el(&row(&olga.chat_id)).await.click().await.expect("back");
    app.count_until("#new-marker", 1).await;
    let marker = common::poll_until(TIMEOUT, POLL, || async {
        if app.on_screen("#new-marker").await {
            Ok(())
        } else {
            Err("off screen".to_owned())
        }
    })
    .await;
    assert_eq!(marker, Ok(()), "the New line is in view");
    app.attr_until("#jump-latest", "data-newer", "40").await;
    assert_eq!(
        app.el(&row(&olga.chat_id))
            .await
            .attr("data-unread")
            .await
            .expect("attr")
            .as_deref(),
        Some("40"),
        "unread until seen"
    );
    app.screenshot("e2e-first-unread.png").await;

    // Jump to the latest: the newest in view, then read.
    app.el("#jump-latest").await.click().await.expect("jump");
    app.count_until("#jump-latest", 0).await;
    app.attr_until(&row(&olga.chat_id), "data-unread", "0").await;

    // Scrolled up, a new message is counted on the button; my own reply
    // brings me back down to it.
    app.driver
        .execute("document.getElementById('timeline').scrollTop = 0", vec![])
        .await
        .expect("scroll up");
    app.count_until("#jump-latest", 1).await;
    olga.say("¿sigues ahí?").await;
    app.attr_until("#jump-latest", "data-newer", "1").await;
    app.write("Sí, aquí estoy").await;
    app.count_until("#jump-latest", 0).await;
    let mine = common::poll_until(TIMEOUT, POLL, || async {
        if app.on_screen(".bubble.me:last-of-type").await {
            Ok(())
        } else {
            Err("off screen".to_owned())
        }
    })
    .await;
    assert_eq!(mine, Ok(()), "my reply is in view");
    app.quit().await;
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_note_is_written_in_silence_and_a_reply_says_i_am_typing() {
    use switchboard_engine::{Change, Engine, EngineConfig};
    let Some((_serial, mut hub, app)) = signed_in_app().await else {
        return;
    };
    let me = testkit::login(
        &hub.url(),
        switchboard_hub::DEMO_AGENTS[0].1,
        switchboard_hub::DEMO_PASSWORD,
    )
    .await
    .agent
    .id;
    let nico = Visitor::opens_chat(&hub.url(), "Nico Nota", "hola").await;

    // A second agent in the chat's room sees what its visitor would see.
    let mut config = EngineConfig::new(
        hub.url().parse().expect("url"),
        switchboard_hub::DEMO_AGENTS[1].1,
        hub.dir().join("sam"),
    );
    config.keychain = false;
    let sam = Engine::open(config).await.expect("engine");
    sam.login(switchboard_hub::DEMO_PASSWORD).await.expect("login");
    let mut seen = sam.subscribe();
    sam.start();

    app.open_chat(&nico.chat_id).await;
    app.el("#mode-note").await.click().await.expect("note");
    app.write("Cliente difícil, paciencia").await;
    // The note reaches the room; no plain typing of mine came before it
    // (the hub offers v2.1 internal typing: a note's typing goes to the
    // agents' room alone, marked internal, and never to the visitor).
    let before_note = tokio::time::timeout(TIMEOUT, async {
        let mut typing = Vec::new();
        loop {
            match seen.recv().await.expect("changes") {
                Change::Typing {
                    user_id,
                    typing: on,
                    internal,
                    ..
                } if user_id == me => typing.push((on, internal)),
                Change::Message { message } if message.is_internal => return typing,
                _ => {}
            }
        }
    })
    .await
    .expect("the note reaches the other agent");
    assert!(
        before_note.iter().all(|(_, internal)| *internal),
        "typing a note told the room as plain typing: {before_note:?}"
    );

    // A reply does say so.
    app.el("#mode-reply").await.click().await.expect("reply");
    app.el("#composer-input")
        .await
        .send_keys("Hola Nico")
        .await
        .expect("type");
    let typed = tokio::time::timeout(TIMEOUT, async {
        loop {
            if let Change::Typing {
                user_id,
                typing: true,
                internal: false,
                ..
            } = seen.recv().await.expect("changes")
                && user_id == me
            {
                return;
            }
        }
    })
    .await;
    assert!(typed.is_ok(), "typing a reply tells the room");
    sam.shutdown().await;
    app.quit().await;
    hub.stop().await;
}

/// A stand-in screen locker: owns `org.freedesktop.ScreenSaver` (there is
/// no desktop session here) and says whether the screen is locked. Its idle
/// time is always zero, so only the lock counts while it is on the bus.
struct Locker {
    locked: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// How many times it was asked whether the screen is locked.
    asked: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

#[zbus::interface(name = "org.freedesktop.ScreenSaver")]
impl Locker {
    async fn get_active(&self) -> bool {
        self.asked.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.locked.load(std::sync::atomic::Ordering::Relaxed)
    }

    async fn get_session_idle_time(&self) -> u32 {
        0
    }
}

/// My presence as the hub gives it to a colleague.
async fn presence_on_hub(hub: &TestHub, token: &str, agent_id: &str) -> Result<String, String> {
    let list: switchboard_protocol::AgentList = reqwest::Client::new()
        .get(format!("{}/v2/agents", hub.url()))
        .bearer_auth(token)
        .send()
        .await
        .map_err(|e| e.to_string())?
        .json()
        .await
        .map_err(|e| e.to_string())?;
    list.agents
        .into_iter()
        .find(|a| a.id == agent_id)
        .map(|a| a.status.as_str().to_owned())
        .ok_or_else(|| "not listed".to_owned())
}

async fn presence_until(hub: &TestHub, token: &str, agent_id: &str, want: &str) {
    let seen = common::poll_until(TIMEOUT, POLL, || async {
        match presence_on_hub(hub, token, agent_id).await {
            Ok(s) if s == want => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    assert!(seen.is_ok(), "my presence on the hub is {want}: {seen:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_and_a_locked_screen_show_me_away_and_my_return_online() {
    let Some(_serial) = one_app_at_a_time().await else {
        return;
    };
    let bus = PrivateBus::start(true).expect("a bare D-Bus session");
    let hub = TestHub::start().await;
    let mut env = bus.env();
    // Away after 2 idle seconds instead of minutes.
    env.push(("SWITCHBOARD_AWAY_AFTER_SECS".to_owned(), "2".to_owned()));
    let app = App::launch_in(hub.dir().join("app"), &["--no-keychain"], &env).await;
    app.sign_in(&hub.url()).await;
    let sam = testkit::login(&hub.url(), "agent2@example.com", "password").await;
    let me = testkit::login(&hub.url(), "agent@example.com", "password")
        .await
        .agent
        .id;

    // No screen-saver service on this bus: the X server's idle count. The
    // WebDriver's clicks are not X input, so the session is already idle.
    presence_until(&hub, &sam.token, &me, "away").await;
    app.value_until("#presence", "away").await;
    // I touch the mouse: online again, as the away was automatic.
    let moved = Command::new("xdotool").args(["mousemove", "200", "300"]).status();
    assert!(moved.is_ok_and(|s| s.success()), "xdotool moves the pointer");
    presence_until(&hub, &sam.token, &me, "online").await;
    app.value_until("#presence", "online").await;
    let _ = Command::new("xdotool").args(["mousemove", "210", "310"]).status();

    // A screen locker on the bus: its lock sends me away at once, its
    // unlock brings me back; its idle time (zero) now counts, not the X one.
    let locked = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let asked = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    // Until the app has asked the locker `n` more times (it has seen the lock as it is now).
    let seen_by_app = |n: u64| {
        let asked = asked.clone();
        async move {
            let from = asked.load(std::sync::atomic::Ordering::Relaxed);
            let seen = common::poll_until(TIMEOUT, POLL, || async {
                let now = asked.load(std::sync::atomic::Ordering::Relaxed);
                if now >= from + n {
                    Ok(())
                } else {
                    Err(format!("asked {now} times"))
                }
            })
            .await;
            assert!(seen.is_ok(), "the app asks the screen locker: {seen:?}");
        }
    };
    let _locker = zbus::connection::Builder::address(bus.address.as_str())
        .name("org.freedesktop.ScreenSaver")
        .serve_at(
            "/org/freedesktop/ScreenSaver",
            Locker {
                locked: locked.clone(),
                asked: asked.clone(),
            },
        )
        .build()
        .await
        .expect("a stand-in screen locker on the bus");
    presence_until(&hub, &sam.token, &me, "online").await;
    locked.store(true, std::sync::atomic::Ordering::Relaxed);
    presence_until(&hub, &sam.token, &me, "away").await;
    app.screenshot("e2e-auto-away.png").await;
    locked.store(false, std::sync::atomic::Ordering::Relaxed);
    presence_until(&hub, &sam.token, &me, "online").await;

    // Busy, chosen by me, is never undone by the lock or my return.
    app.el("#presence").await;
    let chosen = app
        .driver
        .execute(
            "const s = document.querySelector('#presence'); s.value = 'busy'; \
             s.dispatchEvent(new Event('change', {bubbles: true})); return true;",
            vec![],
        )
        .await;
    assert!(chosen.is_ok());
    presence_until(&hub, &sam.token, &me, "busy").await;
    locked.store(true, std::sync::atomic::Ordering::Relaxed);
    seen_by_app(3).await;
    assert_eq!(
        presence_on_hub(&hub, &sam.token, &me).await.as_deref(),
        Ok("busy"),
        "locked"
    );
    locked.store(false, std::sync::atomic::Ordering::Relaxed);
    seen_by_app(3).await;
    assert_eq!(
        presence_on_hub(&hub, &sam.token, &me).await.as_deref(),
        Ok("busy"),
        "unlocked"
    );
    // The Settings screen shows the rules, on by default.
    app.el("#open-settings").await.click().await.expect("settings");
    app.value_until("#set-away-after", "10").await;
    let lock_box = app.el("#set-away-locked").await;
    assert_eq!(
        lock_box.prop("checked").await.ok().flatten().as_deref(),
        Some("true")
    );
    app.screenshot("e2e-away-settings.png").await;
    app.quit().await;
}
