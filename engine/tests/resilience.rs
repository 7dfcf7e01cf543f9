//! The engine against the real hub: nothing lost or doubled across forced
//! disconnects and hub restarts, the outbox across outages and restarts,
//! `unauthorized` stopping retries, malformed payloads changing nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::{
    collections::{HashMap, HashSet},
    sync::atomic::Ordering,
    time::{Duration, Instant},
};

use common::{engine, wait_change, wait_state};
use rand::Rng;
use serde_json::json;
use switchboard_engine::{Change, ConnectionState, Delivery, DeliveryStatus};
use switchboard_hub::testkit::{self, Proxy, TempDir, TestHub, Visitor};

const CHATS: usize = 5;
const CYCLES: usize = 50;
const PER_CYCLE_PER_CHAT: usize = 40; // 50 × 5 × 40 = 10,000
const RESTART_AT: [usize; 3] = [12, 25, 38];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_loss_no_duplicate_across_50_disconnects_and_3_hub_restarts() {
    let mut hub = TestHub::start().await;
    let proxy = Proxy::start(hub.addr).await;
    let mut visitors = Vec::new();
    for i in 0..CHATS {
        visitors.push(Visitor::open(&hub.url(), &format!("Visitor {i}")).await);
    }
    let data = TempDir::new("engine");
    let engine = engine(&proxy.url(), data.path()).await;

    // Count every message the engine publishes as sent, per messageId.
    let mut changes = engine.subscribe();
    let published = tokio::spawn(async move {
        let mut seen: HashMap<String, u32> = HashMap::new();
        loop {
            match changes.recv().await {
                Ok(Change::Message { message }) if message.status == DeliveryStatus::Sent => {
                    *seen.entry(message.message_id.clone().unwrap()).or_default() += 1;
                }
                Ok(_) => {}
                Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => panic!("lagged by {n}"),
                Err(_) => return seen,
            }
        }
    });
    engine.start();
    wait_state(&engine, 10, "first connection", |s| *s == ConnectionState::Online).await;

    let mut sent: Vec<String> = Vec::new();
    for cycle in 0..CYCLES {
        // A chunk of the burst, written while the link is cut under it.
        let chunk: Vec<_> = visitors
            .iter()
            .map(|v| {
                let v = v.clone();
                tokio::spawn(async move {
                    let mut ids = Vec::new();
                    for i in 0..PER_CYCLE_PER_CHAT {
                        ids.push(v.say(&format!("c{cycle} m{i}")).await.message_id);
                    }
                    ids
                })
            })
            .collect();
        let pause = Duration::from_millis(rand::rng().random_range(5..60));
        tokio::time::sleep(pause).await;
        wait_state(&engine, 30, "online before the cut", |s| {
            *s == ConnectionState::Online
        })
        .await;
        let mut states = engine.subscribe();
        if RESTART_AT.contains(&cycle) {
            hub.restart().await;
        } else {
            proxy.cut();
        }
        // Every cut is noticed: the link goes down, then comes back.
        wait_change(&mut states, 30, "the loss to be noticed", |c| {
            matches!(
                c,
                Change::Connection {
                    state: ConnectionState::Reconnecting { .. }
                }
            )
        })
        .await;
        for c in chunk {
            sent.extend(c.await.unwrap());
        }
        wait_state(&engine, 30, "reconnection", |s| *s == ConnectionState::Online).await;
    }
    assert_eq!(sent.len(), CYCLES * CHATS * PER_CYCLE_PER_CHAT);
    assert_eq!(
        sent.iter().collect::<HashSet<_>>().len(),
        sent.len(),
        "the hub doubled a message"
    );

    // Everything arrives: each chat holds exactly what the hub holds.
    let token = testkit::demo_token(&hub.url()).await;
    let mut expected: HashMap<String, HashSet<String>> = HashMap::new();
    for v in &visitors {
        let ids = testkit::history(&hub.url(), &token, &v.chat_id)
            .await
            .into_iter()
            .map(|m| m.message_id)
            .collect::<Vec<_>>();
        expected.insert(v.chat_id.clone(), ids.into_iter().collect());
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut sub = engine.subscribe();
    loop {
        let complete = expected.iter().all(|(chat, ids)| {
            let held: HashSet<String> = engine
                .history(chat)
                .unwrap()
                .into_iter()
                .filter_map(|m| m.message_id)
                .collect();
            held == *ids
        });
        if complete {
            break;
        }
        if Instant::now() >= deadline {
            for (chat, ids) in &expected {
                let held: HashSet<String> = engine
                    .history(chat)
                    .unwrap()
                    .into_iter()
                    .filter_map(|m| m.message_id)
                    .collect();
                let missing: Vec<_> = ids.difference(&held).collect();
                let extra: Vec<_> = held.difference(ids).collect();
                eprintln!(
                    "chat {chat}: expected {}, held {}, missing {missing:?}, extra {extra:?}",
                    ids.len(),
                    held.len()
                );
            }
            for v in &visitors {
                let held = engine.history(&v.chat_id).unwrap();
                let mut cycles: Vec<String> = held
                    .iter()
                    .map(|m| m.content.split(' ').next().unwrap_or("").to_owned())
                    .collect();
                cycles.dedup();
                eprintln!("chat {} holds cycles {:?}", v.chat_id, cycles);
            }
            panic!("the engine did not catch up within 120 s");
        }
        let _ = tokio::time::timeout(Duration::from_secs(1), sub.recv()).await;
    }
    for (chat, ids) in &expected {
        let held = engine.history(chat).unwrap();
        assert_eq!(held.len(), ids.len(), "duplicates held in {chat}");
    }
    let malformed = engine.malformed_count();
    engine.shutdown().await;
    drop(engine);
    let seen = published.await.unwrap();
    for id in &sent {
        assert_eq!(
            seen.get(id),
            Some(&1),
            "message {id} published {:?} times",
            seen.get(id)
        );
    }
    assert_eq!(malformed, 0);
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_written_while_the_hub_is_down_is_delivered_once_also_across_an_engine_restart() {
    let mut hub = TestHub::start().await;
    let visitor = Visitor::open(&hub.url(), "Offline Olga").await;
    let data = TempDir::new("engine");

    // Engine 1 learns the chat, then the hub goes away.
    let first = engine(&hub.url(), data.path()).await;
    let mut changes = first.subscribe();
    first.start();
    wait_change(&mut changes, 10, "catch-up", |c| {
        matches!(c, Change::CaughtUp { .. })
    })
    .await;
    hub.stop().await;
    wait_state(&first, 10, "the loss", |s| {
        matches!(s, ConnectionState::Reconnecting { .. })
    })
    .await;

    let written = first
        .send(&visitor.chat_id, "written offline, sent once", false)
        .unwrap();
    assert_eq!(written.status, DeliveryStatus::Sending);
    let cmid = written.client_message_id.unwrap();
    // It is tried (and fails) at least once while the hub is down.
    let d = loop {
        match first.wait_delivered(&cmid, Duration::from_secs(5)).await.unwrap() {
            Delivery::Pending { attempts: 0, .. } => continue,
            d => break d,
        }
    };
    assert!(
        matches!(d, Delivery::Pending { attempts, .. } if attempts >= 1),
        "{d:?}"
    );
    first.shutdown().await;
    drop(first);

    // The hub comes back; a new engine on the same data delivers it.
    hub.restart().await;
    let second = engine(&hub.url(), data.path()).await;
    assert!(
        matches!(second.delivery(&cmid).unwrap(), Delivery::Pending { .. }),
        "the outbox survived the restart"
    );
    second.start();
    let d = second
        .wait_delivered(&cmid, Duration::from_secs(30))
        .await
        .unwrap();
    let Delivery::Sent(m) = d else {
        panic!("not delivered: {d:?}")
    };
    assert_eq!(m.content, "written offline, sent once");

    let token = testkit::demo_token(&hub.url()).await;
    let on_server = testkit::history(&hub.url(), &token, &visitor.chat_id)
        .await
        .into_iter()
        .map(|m| m.message_id)
        .collect::<Vec<_>>();
    let page: serde_json::Value = reqwest::Client::new()
        .get(format!(
            "{}/v2/messages/chat/{}?limit=500",
            hub.url(),
            visitor.chat_id
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let copies = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["content"] == json!("written offline, sent once"))
        .count();
    assert_eq!(copies, 1, "delivered exactly once");
    let held: Vec<_> = second
        .history(&visitor.chat_id)
        .unwrap()
        .into_iter()
        .filter(|m| m.content == "written offline, sent once")
        .collect();
    assert_eq!(held.len(), 1);
    assert_eq!(held[0].status, DeliveryStatus::Sent);
    assert!(on_server.contains(held[0].message_id.as_ref().unwrap()));
    second.shutdown().await;
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unauthorized_stops_retries_within_a_second() {
    let mut hub = TestHub::start().await;
    let proxy = Proxy::start(hub.addr).await;
    let data = TempDir::new("engine");
    let engine = engine(&proxy.url(), data.path()).await;
    // The hub's signing secret changes: the engine's token is now refused.
    hub.restart_with(|c| c.jwt_secret = Some("another secret entirely".into()))
        .await;
    let before = proxy.accepted.load(Ordering::SeqCst);
    let started = Instant::now();
    engine.start();
    wait_state(&engine, 5, "NeedsLogin", |s| *s == ConnectionState::NeedsLogin).await;
    let took = started.elapsed();
    assert!(took < Duration::from_secs(1), "took {took:?} to stop");
    let after_refusal = proxy.accepted.load(Ordering::SeqCst);
    assert!(after_refusal > before, "it did try to connect");
    // No further attempts: watch the proxy for a while.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        proxy.accepted.load(Ordering::SeqCst),
        after_refusal,
        "it kept retrying"
    );
    assert_eq!(engine.connection_state(), ConnectionState::NeedsLogin);
    // Local data stays; signing in again resumes.
    engine.login("password").await.unwrap();
    wait_state(&engine, 10, "online again", |s| *s == ConnectionState::Online).await;
    engine.shutdown().await;
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_malformed_payloads_change_nothing_and_crash_nothing() {
    let mut hub = TestHub::start().await;
    let visitor = Visitor::open(&hub.url(), "Mallory").await;
    visitor.say("a real message before").await;
    let data = TempDir::new("engine");
    let engine = engine(&hub.url(), data.path()).await;
    let mut changes = engine.subscribe();
    engine.start();
    wait_change(&mut changes, 10, "catch-up", |c| {
        matches!(c, Change::CaughtUp { .. })
    })
    .await;
    let chats_before = engine.chats().unwrap();
    let history_before = engine.history(&visitor.chat_id).unwrap();

    let room = switchboard_protocol::chat_room(&visitor.chat_id);
    let bad: Vec<(&str, serde_json::Value)> = vec![
        ("message:new", json!(null)),
        ("message:new", json!("just a string")),
        ("message:new", json!({"messageId": 7})),
        (
            "message:new",
            json!({"messageId": "x", "chatId": visitor.chat_id, "senderId": "s",
            "senderType": "martian", "content": "x", "type": "text", "sentAt": "2026-01-01T00:00:00.000Z"}),
        ),
        (
            "message:new",
            json!({"messageId": "x", "chatId": visitor.chat_id, "senderId": "s",
            "senderType": "visitor", "content": "x", "type": "text", "sentAt": "tomorrow"}),
        ),
        ("chat:new", json!([1, 2, 3])),
        (
            "chat:status",
            json!({"chatId": visitor.chat_id, "status": "ON_FIRE", "timestamp": "x"}),
        ),
        ("user:typing", json!({"who": "?"})),
        (
            "user:presence",
            json!({"userId": "a", "status": "asleep", "timestamp": "x"}),
        ),
        ("notification:new", json!({"id": 1})),
        ("stats:update", json!({"pending": "many"})),
    ];
    for i in 0..1000 {
        let (event, payload) = &bad[i % bad.len()];
        hub.core()
            .emit(vec![room.clone(), "agents".to_owned()], None, event, payload);
    }
    // A real message after them: when it arrives, all of them were handled.
    let marker = visitor.say("a real message after").await.message_id;
    wait_change(&mut changes, 20, "the marker message", |c| {
        matches!(c, Change::Message { message } if message.message_id.as_deref() == Some(marker.as_str()))
    })
    .await;

    assert_eq!(engine.malformed_count(), 1000);
    assert_eq!(
        engine.connection_state(),
        ConnectionState::Online,
        "the link stayed up"
    );
    let history_after = engine.history(&visitor.chat_id).unwrap();
    assert_eq!(
        history_after.len(),
        history_before.len() + 1,
        "only the real message was added"
    );
    assert_eq!(&history_after[..history_before.len()], &history_before[..]);
    let chats_after = engine.chats().unwrap();
    assert_eq!(chats_after.len(), chats_before.len());
    assert_eq!(chats_after[0].status, chats_before[0].status);
    engine.shutdown().await;
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chat_read_offline_is_read_on_the_agents_other_devices_after_reconnect() {
    let mut hub = TestHub::start().await;
    let visitor = Visitor::open(&hub.url(), "Rita Read").await;
    visitor.say("first").await;
    let last = visitor.say("second").await.message_id;
    let (laptop_dir, desktop_dir) = (TempDir::new("laptop"), TempDir::new("desktop"));
    let laptop = engine(&hub.url(), laptop_dir.path()).await;
    let desktop = engine(&hub.url(), desktop_dir.path()).await;
    for e in [&laptop, &desktop] {
        let mut changes = e.subscribe();
        e.start();
        wait_change(&mut changes, 10, "catch-up", |c| {
            matches!(c, Change::CaughtUp { .. })
        })
        .await;
        assert_eq!(e.chat(&visitor.chat_id).unwrap().unwrap().unread, 2);
    }

    hub.stop().await;
    wait_state(&laptop, 10, "the loss", |s| {
        matches!(s, ConnectionState::Reconnecting { .. })
    })
    .await;
    laptop.mark_read(&visitor.chat_id, &last).unwrap();
    assert_eq!(
        laptop.chat(&visitor.chat_id).unwrap().unwrap().unread,
        0,
        "read locally at once"
    );
    assert_eq!(laptop.total_unread().unwrap(), 0);

    // The laptop is closed; the hub returns and the desktop catches up.
    laptop.shutdown().await;
    let mut desktop_changes = desktop.subscribe();
    hub.restart().await;
    wait_change(&mut desktop_changes, 20, "the desktop's catch-up", |c| {
        matches!(c, Change::CaughtUp { .. })
    })
    .await;
    assert_eq!(desktop.chat(&visitor.chat_id).unwrap().unwrap().unread, 2);
    // The laptop opens again: its offline read reaches the server, and the desktop.
    laptop.start();
    wait_change(
        &mut desktop_changes,
        20,
        "the desktop to see the chat read",
        |c| matches!(c, Change::Unread { chat_id, unread: 0, total: 0 } if *chat_id == visitor.chat_id),
    )
    .await;
    assert_eq!(desktop.chat(&visitor.chat_id).unwrap().unwrap().unread, 0);
    laptop.shutdown().await;
    desktop.shutdown().await;
    hub.stop().await;
}
