//! The burst benchmark (`cargo bench -p switchboard-engine --bench burst`):
//! the real hub (in this process) fans a 20,000-message burst out to one
//! joined socket, first to the official Node `socket.io-client` merely
//! receiving, then to the Switchboard engine (in a child process) decoding,
//! persisting to SQLite and publishing a change for each. Prints one table:
//! messages/s for both and their ratio, p50/p99 latency from server emit to
//! change published (to the callback, for Node), and each receiver's RSS.
//!
//! The engine runs twice: on an empty cache, and on one already holding
//! `PREFILL` messages (default 100,000) over 50 chats of mine, a fifth of
//! them unread, as an agent's cache is after weeks. The second run also
//! times `Engine::open` and the inbox on that cache. The Node modules are
//! installed (`npm ci` in `hub/conformance`) when missing.
//!
//! `BURST=5000 PREFILL=1000000 cargo bench …` changes the sizes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::{
    io::{BufRead, BufReader},
    path::PathBuf,
    process::{Command, Stdio},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use serde::{Deserialize, Serialize};
use switchboard_hub::{
    auth::Principal,
    testkit::{self, TestHub},
};
use switchboard_protocol::{Message, MessageType, SenderType, chat_room, time::format_millis};

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Result {
    count: u64,
    last_us: u64,
    p50_us: u64,
    p99_us: u64,
    rss_kb: u64,
    /// `Engine::open` and the inbox read on the cache as it was (engine).
    #[serde(default)]
    open_us: u64,
}

/// Chats of mine that the prefilled cache spreads its backlog over.
const BACKLOG_CHATS: usize = 50;

/// The Node receiver's modules, installed from the lock file when missing.
fn ensure_node_modules() {
    let dir = repo_root().join("hub/conformance");
    if dir.join("node_modules/socket.io-client").is_dir() {
        return;
    }
    eprintln!("installing the Node receiver's modules (npm ci in hub/conformance)…");
    let ok = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(&dir)
        .status()
        .expect("npm is installed (scripts/setup)");
    assert!(ok.success(), "npm ci in hub/conformance failed");
}

fn now_us() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_micros() as u64
}

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

fn main() {
    match std::env::var("SWITCHBOARD_BENCH_ROLE").as_deref() {
        Ok("engine") => engine_child(),
        _ => orchestrate(),
    }
}

// ------------------------------------------------------------------ orchestrator

fn orchestrate() {
    // `cargo bench` passes --bench; nothing else is taken.
    let burst: usize = std::env::var("BURST")
        .ok()
        .and_then(|b| b.parse().ok())
        .unwrap_or(20_000);
    let prefill: usize = std::env::var("PREFILL")
        .ok()
        .and_then(|b| b.parse().ok())
        .unwrap_or(100_000);
    ensure_node_modules();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (mut hub, chat_id, token) = rt.block_on(async {
        let hub = TestHub::start().await;
        let core = hub.core().clone();
        let (visitor, _) = core.create_visitor("Bench Visitor".into(), None, None).unwrap();
        let chat = core.open_chat(&Principal::Visitor(visitor), None).unwrap();
        let token = testkit::demo_token(&hub.url()).await;
        (hub, chat.chat_id, token)
    });
    let url = hub.url();
    // The chats of mine the prefilled cache holds its backlog in.
    let backlog: Vec<String> = rt.block_on(async {
        let core = hub.core().clone();
        let mut ids = Vec::new();
        for i in 0..BACKLOG_CHATS {
            let (visitor, _) = core.create_visitor(format!("Backlog {i}"), None, None).unwrap();
            let chat = core.open_chat(&Principal::Visitor(visitor), None).unwrap();
            testkit::accept(&url, &token, &chat.chat_id).await;
            ids.push(chat.chat_id);
        }
        ids
    });

    eprintln!("burst of {burst} messages; Node socket.io-client first…");
    let node = Command::new("node")
        .arg(repo_root().join("engine/benches/node_receiver.mjs"))
        .args([&url, &token, &chat_id, &burst.to_string()])
        .env(
            "SWITCHBOARD_NODE_MODULES_FROM",
            repo_root().join("hub/conformance"),
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("node is installed (scripts/setup) and hub/conformance has its node_modules");
    let (node_start, node_result) = run_receiver(&rt, &hub, &chat_id, node, burst, 0);

    let engine = |run: &str, prefill: usize| {
        Command::new(std::env::current_exe().unwrap())
            .env("SWITCHBOARD_BENCH_ROLE", "engine")
            .env("SWITCHBOARD_BENCH_URL", &url)
            .env("SWITCHBOARD_BENCH_CHAT", &chat_id)
            .env("SWITCHBOARD_BENCH_N", burst.to_string())
            .env("SWITCHBOARD_BENCH_DIR", hub.dir().join(run))
            .env("SWITCHBOARD_BENCH_PREFILL", prefill.to_string())
            .env("SWITCHBOARD_BENCH_BACKLOG", backlog.join(","))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap()
    };
    eprintln!("…then the Switchboard engine on an empty cache");
    let (engine_start, engine_result) = run_receiver(&rt, &hub, &chat_id, engine("empty", 0), burst, burst);
    eprintln!("…then on a cache holding {prefill} messages (filling it first)");
    let (full_start, full_result) =
        run_receiver(&rt, &hub, &chat_id, engine("full", prefill), burst, 2 * burst);

    rt.block_on(hub.stop());

    let rate = |start: u64, r: &Result| r.count as f64 / ((r.last_us - start) as f64 / 1e6);
    let (node_rate, engine_rate) = (rate(node_start, &node_result), rate(engine_start, &engine_result));
    let full_rate = rate(full_start, &full_result);
    let ms = |us: u64| us as f64 / 1000.0;
    println!();
    println!(
        "| receiver ({burst}-message burst, one socket) | messages/s | p50 latency | p99 latency | RSS after |"
    );
    println!("|---|---:|---:|---:|---:|");
    println!(
        "| Node socket.io-client 4.8, receive only | {:.0} | {:.2} ms | {:.2} ms | {:.1} MiB |",
        node_rate,
        ms(node_result.p50_us),
        ms(node_result.p99_us),
        node_result.rss_kb as f64 / 1024.0
    );
    println!(
        "| Switchboard engine: decode, persist (SQLite), publish | {:.0} | {:.2} ms | {:.2} ms | {:.1} MiB |",
        engine_rate,
        ms(engine_result.p50_us),
        ms(engine_result.p99_us),
        engine_result.rss_kb as f64 / 1024.0
    );
    println!(
        "| the engine, the cache holding {prefill} messages ({} unread) | {:.0} | {:.2} ms | {:.2} ms | {:.1} MiB |",
        prefill / 5,
        full_rate,
        ms(full_result.p50_us),
        ms(full_result.p99_us),
        full_result.rss_kb as f64 / 1024.0
    );
    println!();
    println!("engine / Node throughput ratio: {:.2}", engine_rate / node_rate);
    println!(
        "engine with {prefill} cached / empty cache: {:.2}",
        full_rate / engine_rate
    );
    println!(
        "Engine::open + inbox with {prefill} cached: {:.1} ms",
        ms(full_result.open_us)
    );
    println!("(latency: server emit → change published by the engine; → callback for Node)");
}

/// Waits for the receiver's "ready", fans the burst out, returns the burst's
/// start time and the receiver's result.
fn run_receiver(
    rt: &tokio::runtime::Runtime,
    hub: &TestHub,
    chat_id: &str,
    mut child: std::process::Child,
    burst: usize,
    offset: usize,
) -> (u64, Result) {
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    loop {
        let line = lines.next().expect("the receiver said ready").unwrap();
        if line.trim() == "ready" {
            break;
        }
    }
    let core = hub.core().clone();
    let room = chat_room(chat_id);
    let start = now_us();
    let base_ms = (start / 1000) as i64 + offset as i64 + 1;
    rt.block_on(async {
        for i in 0..burst {
            let m = Message {
                message_id: uuid::Uuid::new_v4().to_string(),
                chat_id: chat_id.to_owned(),
                sender_id: "bench-visitor".to_owned(),
                sender_type: SenderType::Visitor,
                content: format!("burst message {i} t={}", now_us()),
                kind: MessageType::Text,
                is_internal: false,
                is_first_response: false,
                sent_at: format_millis(base_ms + i as i64),
                client_message_id: None,
                attachment: None,
            };
            core.emit(vec![room.clone()], None, "message:new", &m);
        }
    });
    let result: Result = loop {
        let line = lines.next().expect("the receiver reported").unwrap();
        if let Ok(r) = serde_json::from_str(&line) {
            break r;
        }
    };
    let _ = child.wait();
    (start, result)
}

// ------------------------------------------------------------------ engine child

fn engine_child() {
    use switchboard_engine::{Change, Engine, EngineConfig};
    let url = std::env::var("SWITCHBOARD_BENCH_URL").unwrap();
    let chat = std::env::var("SWITCHBOARD_BENCH_CHAT").unwrap();
    let n: u64 = std::env::var("SWITCHBOARD_BENCH_N").unwrap().parse().unwrap();
    let dir = PathBuf::from(std::env::var("SWITCHBOARD_BENCH_DIR").unwrap());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let prefill: usize = std::env::var("SWITCHBOARD_BENCH_PREFILL")
        .unwrap()
        .parse()
        .unwrap();
    let backlog: Vec<String> = std::env::var("SWITCHBOARD_BENCH_BACKLOG")
        .unwrap()
        .split(',')
        .map(str::to_owned)
        .collect();
    rt.block_on(async move {
        let config = || {
            let mut config = EngineConfig::new(url.parse().unwrap(), "agent@example.com", &dir);
            config.keychain = false;
            config
        };
        let mut open_us = 0;
        if prefill > 0 {
            // A first session brings the chats; then the backlog goes
            // straight into the cache file, as weeks of work would leave it.
            let engine = Engine::open(config()).await.unwrap();
            engine.login("password").await.unwrap();
            let mut changes = engine.subscribe();
            engine.start();
            while !matches!(changes.recv().await.unwrap(), Change::CaughtUp { .. }) {}
            let db = engine.db_path().to_owned();
            engine.shutdown().await;
            drop(engine);
            let filling = std::time::Instant::now();
            fill(&db, &backlog, prefill);
            eprintln!("filled in {:.1} s", filling.elapsed().as_secs_f64());
            let opening = std::time::Instant::now();
            let engine = Engine::open(config()).await.unwrap();
            let inbox = engine.chats().unwrap();
            open_us = opening.elapsed().as_micros() as u64;
            assert!(inbox.len() > BACKLOG_CHATS, "the inbox holds the backlog's chats");
            engine.shutdown().await;
        }
        let engine = Engine::open(config()).await.unwrap();
        engine.login("password").await.unwrap();
        let mut changes = engine.subscribe();
        engine.start();
        loop {
            if let Change::CaughtUp { .. } = changes.recv().await.unwrap() {
                break;
            }
        }
        assert!(
            engine.chat(&chat).unwrap().is_some(),
            "the engine follows the bench chat"
        );
        println!("ready");
        let mut latencies = Vec::with_capacity(n as usize);
        let mut last_us = 0;
        while (latencies.len() as u64) < n {
            match tokio::time::timeout(Duration::from_secs(120), changes.recv()).await {
                Ok(Ok(Change::Message { message })) => {
                    if let Some(t) = message
                        .content
                        .split("t=")
                        .nth(1)
                        .and_then(|t| t.parse::<u64>().ok())
                    {
                        last_us = now_us();
                        latencies.push(last_us.saturating_sub(t));
                    }
                }
                Ok(Ok(_)) => {}
                Ok(Err(e)) => panic!("change stream: {e}"),
                Err(_) => panic!("only {} of {n} messages within 120 s", latencies.len()),
            }
        }
        latencies.sort_unstable();
        let pick = |q: f64| latencies[((q * latencies.len() as f64) as usize).min(latencies.len() - 1)];
        let held = engine.history(&chat).unwrap().len() as u64;
        assert!(held >= n, "all persisted: {held}");
        let result = Result {
            count: n,
            last_us,
            p50_us: pick(0.5),
            p99_us: pick(0.99),
            rss_kb: rss_kb(),
            open_us,
        };
        println!("{}", serde_json::to_string(&result).unwrap());
        engine.shutdown().await;
    });
}

/// Puts `n` visitor messages into the cache at `db`, spread over `chats`
/// (older than the burst), with each chat's read marker four fifths in.
fn fill(db: &std::path::Path, chats: &[String], n: usize) {
    let mut conn = rusqlite::Connection::open(db).unwrap();
    conn.busy_timeout(Duration::from_secs(10)).unwrap();
    let tx = conn.transaction().unwrap();
    let start = (now_us() / 1000) as i64 - n as i64 - 1_000;
    {
        let mut insert = tx
            .prepare(
                "INSERT INTO messages (message_id, chat_id, sender_id, sender_type, content, type,
                                       is_internal, is_first_response, sent_at)
                 VALUES (?1, ?2, 'bench-visitor', 'visitor', ?3, 'text', 0, 0, ?4)",
            )
            .unwrap();
        for i in 0..n {
            let chat = &chats[i % chats.len()];
            insert
                .execute(rusqlite::params![
                    format!("backlog-{i}"),
                    chat,
                    format!("backlog message {i}: where is my order, I paid last week"),
                    start + i as i64
                ])
                .unwrap();
        }
        let mut mark = tx
            .prepare("INSERT OR REPLACE INTO read_markers (chat_id, message_id, sent_at) VALUES (?1, ?2, ?3)")
            .unwrap();
        let read_up_to = n * 4 / 5;
        for (c, chat) in chats.iter().enumerate() {
            // The last message of this chat before the four-fifths point.
            let Some(i) = (0..read_up_to).rev().find(|i| i % chats.len() == c) else {
                continue;
            };
            mark.execute(rusqlite::params![chat, format!("backlog-{i}"), start + i as i64])
                .unwrap();
        }
    }
    tx.commit().unwrap();
}

fn rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}
