//! The burst benchmark (`cargo bench -p switchboard-engine --bench burst`):
//! the real hub (in this process) fans a 20,000-message burst out to one
//! joined socket, first to the official Node `socket.io-client` merely
//! receiving, then to the Switchboard engine (in a child process) decoding,
//! persisting to SQLite and publishing a change for each. Prints one table:
//! messages/s for both and their ratio, p50/p99 latency from server emit to
//! change published (to the callback, for Node), and each receiver's RSS.
//!
//! `BURST=5000 cargo bench …` changes the size.
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

    eprintln!("…then the Switchboard engine");
    let engine = Command::new(std::env::current_exe().unwrap())
        .env("SWITCHBOARD_BENCH_ROLE", "engine")
        .env("SWITCHBOARD_BENCH_URL", &url)
        .env("SWITCHBOARD_BENCH_CHAT", &chat_id)
        .env("SWITCHBOARD_BENCH_N", burst.to_string())
        .env("SWITCHBOARD_BENCH_DIR", hub.dir().join("engine"))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let (engine_start, engine_result) = run_receiver(&rt, &hub, &chat_id, engine, burst, burst);

    rt.block_on(hub.stop());

    let rate = |start: u64, r: &Result| r.count as f64 / ((r.last_us - start) as f64 / 1e6);
    let (node_rate, engine_rate) = (rate(node_start, &node_result), rate(engine_start, &engine_result));
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
    println!();
    println!("engine / Node throughput ratio: {:.2}", engine_rate / node_rate);
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
    rt.block_on(async move {
        let mut config = EngineConfig::new(url.parse().unwrap(), "agent@example.com", &dir);
        config.keychain = false;
        let engine = Engine::open(config).await.unwrap();
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
        };
        println!("{}", serde_json::to_string(&result).unwrap());
        engine.shutdown().await;
    });
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
