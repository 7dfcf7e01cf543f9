//! `switchboard-cli` as a script uses it, against the real hub: sign in,
//! list, watch while another process sends on the same data directory,
//! history and search offline, and a send while the hub is down that exits
//! 2 and is delivered once by the next run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::{path::Path, process::Stdio, time::Duration};

use serde_json::Value;
use switchboard_hub::testkit::{self, TempDir, TestHub, Visitor};
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::Command,
};

fn cli(data: &Path, server: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_switchboard-cli"));
    c.arg("--data-dir")
        .arg(data)
        .args([
            "--no-keychain",
            "--server",
            server,
            "--email",
            "agent@example.com",
        ])
        .env("SWITCHBOARD_PASSWORD", "password")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .kill_on_drop(true);
    c
}

async fn run(mut c: Command) -> (i32, Vec<Value>, String) {
    let out = tokio::time::timeout(Duration::from_secs(60), c.output())
        .await
        .expect("the CLI finished within 60 s")
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines = stdout
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (
        out.status.code().unwrap_or(-1),
        lines,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Stops `watch` as a user or a service manager would, and checks it ended.
/// On Unix: SIGTERM, and the exit is clean (code 0). On Windows a console
/// program is stopped with Ctrl+Break or by closing its console, which the
/// CLI handles the same way; but Wine cannot deliver console control events
/// to a program without a console (`GenerateConsoleCtrlEvent` fails with
/// "invalid access"), so there the process is terminated and only its end is
/// checked: what follows proves nothing was lost.
async fn stop(watch: &mut tokio::process::Child) {
    #[cfg(unix)]
    {
        let pid = watch.id().unwrap();
        std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .unwrap();
    }
    #[cfg(not(unix))]
    watch.start_kill().unwrap();
    let status = tokio::time::timeout(Duration::from_secs(15), watch.wait())
        .await
        .expect("watch ended within 15 s")
        .unwrap();
    #[cfg(unix)]
    assert!(status.success(), "watch exits 0 on SIGTERM: {status}");
    #[cfg(not(unix))]
    let _ = status;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_chats_watch_send_history_and_search() {
    let mut hub = TestHub::start().await;
    let visitor = Visitor::open(&hub.url(), "Carla Cliente").await;
    visitor.say("hola, necesito ayuda con mi factura").await;
    let data = TempDir::new("cli");

    let (code, lines, err) = run({
        let mut c = cli(data.path(), &hub.url());
        c.arg("login");
        c
    })
    .await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(lines[0]["email"], "agent@example.com");

    let (code, chats, err) = run({
        let mut c = cli(data.path(), &hub.url());
        c.args(["chats", "--json"]);
        c
    })
    .await;
    assert_eq!(code, 0, "{err}");
    let chat = chats
        .iter()
        .find(|c| c["chatId"] == visitor.chat_id.as_str())
        .expect("the chat is listed");
    assert_eq!(chat["unread"], 1);
    assert_eq!(chat["status"], "PENDING");

    // `watch` in one process while `send` runs in another on the same data.
    let mut watch = cli(data.path(), &hub.url());
    watch.arg("watch").stdout(Stdio::piped()).stderr(Stdio::inherit());
    let mut watch = watch.spawn().unwrap();
    let mut watch_out = BufReader::new(watch.stdout.take().unwrap()).lines();
    // Wait until it has caught up, so the send below is seen live.
    tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(line) = watch_out.next_line().await.unwrap() {
            if line.contains("\"type\":\"caughtUp\"") {
                return;
            }
        }
        panic!("watch ended early");
    })
    .await
    .expect("watch caught up within 20 s");

    let text = "¡Hola Carla! Ya lo miro <img src=x onerror=alert(1)>";
    let (code, sent, err) = run({
        let mut c = cli(data.path(), &hub.url());
        c.args(["send", "--chat", &visitor.chat_id, "--text", text]);
        c
    })
    .await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(sent[0]["status"], "sent");
    assert_eq!(sent[0]["content"], text);
    assert_eq!(sent[0]["isFirstResponse"], true);
    let message_id = sent[0]["messageId"].as_str().unwrap().to_owned();

    // The watcher prints it (from the socket, as the other process sent it).
    tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(line) = watch_out.next_line().await.unwrap() {
            if line.contains(&message_id) && line.contains("\"type\":\"message\"") {
                return;
            }
        }
        panic!("watch ended early");
    })
    .await
    .expect("watch printed the message within 20 s");
    stop(&mut watch).await;

    // History and search work with the hub gone.
    hub.stop().await;
    let (code, history, err) = run({
        let mut c = cli(data.path(), &hub.url());
        c.args(["history", "--chat", &visitor.chat_id]);
        c
    })
    .await;
    assert_eq!(code, 0, "{err}");
    let contents: Vec<_> = history.iter().map(|m| m["content"].as_str().unwrap()).collect();
    assert_eq!(
        contents,
        ["hola, necesito ayuda con mi factura", text],
        "oldest first, once each"
    );
    assert!(history.iter().all(|m| m["status"] == "sent"));

    let (code, found, err) = run({
        let mut c = cli(data.path(), &hub.url());
        c.args(["search", "factura"]);
        c
    })
    .await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["senderType"], "visitor");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_while_the_hub_is_down_is_queued_and_the_next_run_delivers_it_once() {
    let mut hub = TestHub::start().await;
    let visitor = Visitor::open(&hub.url(), "Pedro Paciente").await;
    let data = TempDir::new("cli");
    let (code, _, err) = run({
        let mut c = cli(data.path(), &hub.url());
        c.args(["chats", "--json"]);
        c
    })
    .await;
    assert_eq!(code, 0, "{err}");

    hub.stop().await;
    let text = "sent while the hub was down";
    let (code, _, err) = run({
        let mut c = cli(data.path(), &hub.url());
        c.args([
            "send",
            "--chat",
            &visitor.chat_id,
            "--text",
            text,
            "--timeout",
            "2",
        ]);
        c
    })
    .await;
    assert_eq!(code, 2, "queued, not delivered: {err}");
    assert!(err.contains("queued"), "{err}");
    let (_, held, _) = run({
        let mut c = cli(data.path(), &hub.url());
        c.args(["history", "--chat", &visitor.chat_id]);
        c
    })
    .await;
    assert_eq!(held.len(), 1);
    assert_eq!(held[0]["status"], "sending");

    hub.restart().await;
    let mut watch = cli(data.path(), &hub.url());
    watch.arg("watch").stdout(Stdio::piped());
    let mut watch = watch.spawn().unwrap();
    let mut out = BufReader::new(watch.stdout.take().unwrap()).lines();
    tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = out.next_line().await.unwrap() {
            let v: Value = serde_json::from_str(&line).unwrap();
            if v["type"] == "message" && v["message"]["content"] == text && v["message"]["status"] == "sent" {
                return;
            }
        }
        panic!("watch ended early");
    })
    .await
    .expect("the next run delivered the queued message within 30 s");
    stop(&mut watch).await;

    let token = testkit::demo_token(&hub.url()).await;
    let ids = testkit::history(&hub.url(), &token, &visitor.chat_id)
        .await
        .into_iter()
        .map(|m| m.message_id)
        .collect::<Vec<_>>();
    assert_eq!(ids.len(), 1, "delivered exactly once");
    let (_, held, _) = run({
        let mut c = cli(data.path(), &hub.url());
        c.args(["history", "--chat", &visitor.chat_id]);
        c
    })
    .await;
    assert_eq!(held.len(), 1);
    assert_eq!(held[0]["status"], "sent");
    assert_eq!(held[0]["messageId"], ids[0].as_str());
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_are_sent_through_the_outbox_and_a_huge_one_is_refused_clearly() {
    let hub = TestHub::start().await;
    let visitor = Visitor::open(&hub.url(), "Ines Imagen").await;
    let data = TempDir::new("cli");
    let png: Vec<u8> = (0..4096u32).map(|i| (i * 7 % 251) as u8).collect();
    let image = data.path().join("captura pantalla.png");
    std::fs::write(&image, &png).unwrap();

    let (code, sent, err) = run({
        let mut c = cli(data.path(), &hub.url());
        c.args(["send", "--chat", &visitor.chat_id, "--text", "aquí está"])
            .arg("--file")
            .arg(&image);
        c
    })
    .await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(sent[0]["type"], "image");
    assert_eq!(sent[0]["content"], "aquí está");
    let attachment = &sent[0]["attachment"];
    assert_eq!(attachment["fileName"], "captura pantalla.png");
    assert_eq!(attachment["fileSize"], 4096);
    assert_eq!(attachment["mimeType"], "image/png");
    let url = format!("{}{}", hub.url(), attachment["url"].as_str().unwrap());
    let downloaded = reqwest::get(&url).await.unwrap().bytes().await.unwrap();
    assert_eq!(
        &downloaded[..],
        &png[..],
        "the visitor can download the same bytes"
    );
    let leftovers = std::fs::read_dir(data.path().join("accounts"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .flat_map(|d| std::fs::read_dir(d.path()).unwrap())
        .count();
    assert_eq!(leftovers, 0, "the outbox copy is removed once sent");

    let huge = data.path().join("huge.bin");
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(11 * 1024 * 1024)
        .unwrap();
    let (code, _, err) = run({
        let mut c = cli(data.path(), &hub.url());
        c.args(["send", "--chat", &visitor.chat_id])
            .arg("--file")
            .arg(&huge);
        c
    })
    .await;
    assert_eq!(code, 1);
    assert!(err.contains("up to 10 MiB"), "{err}");
    let (_, held, _) = run({
        let mut c = cli(data.path(), &hub.url());
        c.args(["history", "--chat", &visitor.chat_id]);
        c
    })
    .await;
    assert_eq!(held.len(), 1, "nothing queued for the refused file");
}

/// Runs `switchboard-cli ARGS…` on `data` against `server`.
async fn cli_run(data: &Path, server: &str, args: &[&str]) -> (i32, Vec<Value>, String) {
    let mut c = cli(data, server);
    c.args(args);
    run(c).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_chat_action_and_the_canned_list_from_the_command_line() {
    let hub = TestHub::start().await;
    let visitor = Visitor::opens_chat(&hub.url(), "Paco Acciones", "hola").await;
    let token = testkit::demo_token(&hub.url()).await;
    let res = reqwest::Client::new()
        .post(format!("{}/v2/canned", hub.url()))
        .bearer_auth(&token)
        .json(&serde_json::json!({"shortcut": "hola", "title": "Saludo",
            "content": "¡Hola, {{visitor.name|buenas}}!", "scope": "team"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let data = TempDir::new("cli-actions");
    let (url, chat) = (hub.url(), visitor.chat_id.clone());
    let ok = |(code, lines, err): (i32, Vec<Value>, String)| {
        assert_eq!(code, 0, "{err}");
        lines
    };

    let caps = ok(cli_run(data.path(), &url, &["capabilities"]).await);
    assert_eq!(caps[0]["version"], "2.1");
    let accepted = ok(cli_run(data.path(), &url, &["accept", "--chat", &chat]).await);
    assert_eq!(accepted[0]["status"], "IN_PROGRESS");
    let tagged = ok(cli_run(data.path(), &url, &["tags", "--chat", &chat, "vip", "pedidos"]).await);
    assert_eq!(tagged[0]["tags"], serde_json::json!(["vip", "pedidos"]));
    let (code, _, err) = cli_run(
        data.path(),
        &url,
        &["transfer", "--chat", &chat, "--to", "Nobody"],
    )
    .await;
    assert_eq!(code, 1);
    assert!(
        err.contains("no agent \"Nobody\"") && err.contains("Sam Second"),
        "{err}"
    );
    let moved = ok(cli_run(
        data.path(),
        &url,
        &["transfer", "--chat", &chat, "--to", "sam second"],
    )
    .await);
    assert_ne!(
        moved[0]["assigneeId"], accepted[0]["assigneeId"],
        "Sam holds it now"
    );
    let queued = ok(cli_run(data.path(), &url, &["close", "--chat", &chat]).await);
    assert_eq!(queued[0]["status"], "CLOSED");
    let reopened = ok(cli_run(data.path(), &url, &["reopen", "--chat", &chat]).await);
    assert_eq!(reopened[0]["status"], "IN_PROGRESS");
    assert_eq!(reopened[0]["assigneeId"], accepted[0]["assigneeId"], "mine again");
    let back = ok(cli_run(data.path(), &url, &["transfer", "--chat", &chat, "--to", "queue"]).await);
    assert_eq!(back[0]["status"], "PENDING");

    let canned = ok(cli_run(data.path(), &url, &["canned", "--json"]).await);
    assert_eq!(canned.len(), 1);
    assert_eq!(canned[0]["content"], "¡Hola, {{visitor.name|buenas}}!");
    let out = tokio::time::timeout(Duration::from_secs(60), {
        let mut c = cli(data.path(), &url);
        c.args(["canned", "--offline"]);
        c.output()
    })
    .await
    .unwrap()
    .unwrap();
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(table.contains("/hola") && table.contains("Saludo"), "{table}");
}
