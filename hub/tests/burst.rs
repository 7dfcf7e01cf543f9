//! A 20,000-message burst to one joined agent socket arrives whole and in
//! order, received with rust_socketio (the client the engine uses).
#![allow(clippy::unwrap_used)]

use std::{collections::HashSet, time::Duration};

use futures_util::FutureExt;
use rust_socketio::{Payload, asynchronous::ClientBuilder};
use serde_json::{Value, json};
use switchboard_hub::testkit::{self, HubProcess, TestHub, Visitor};
use switchboard_protocol::{Message, time::parse_millis};
use tokio::sync::mpsc;

const BURST: usize = 20_000;
const SENDERS: usize = 8;

fn first(p: Payload) -> Option<Value> {
    match p {
        Payload::Text(mut v) if !v.is_empty() => Some(v.swap_remove(0)),
        _ => None,
    }
}

async fn wait_for(
    rx: &mut mpsc::UnboundedReceiver<(String, Value)>,
    event: &str,
) -> Result<Value, tokio::time::error::Elapsed> {
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let (name, v) = rx.recv().await.unwrap();
            if name == event {
                return v;
            }
        }
    })
    .await
}

/// Connects an agent socket that forwards every event to a channel, and joins `chat_id`.
async fn joined_agent(
    url: &str,
    token: &str,
    chat_id: &str,
) -> (
    rust_socketio::asynchronous::Client,
    mpsc::UnboundedReceiver<(String, Value)>,
) {
    let (tx, mut rx) = mpsc::unbounded_channel::<(String, Value)>();
    let on = |name: &'static str| {
        let tx = tx.clone();
        move |p: Payload, _| {
            let tx = tx.clone();
            async move {
                if let Some(v) = first(p) {
                    let _ = tx.send((name.to_owned(), v));
                }
            }
            .boxed()
        }
    };
    let socket = ClientBuilder::new(url.to_owned())
        .auth(json!({ "token": token }))
        .reconnect(false)
        .on("welcome", on("welcome"))
        .on("chat:joined", on("chat:joined"))
        .on("message:new", on("message:new"))
        .on("close", on("close"))
        .connect()
        .await
        .unwrap();
    wait_for(&mut rx, "welcome").await.expect("welcome within 10 s");
    socket
        .emit("chat:join", json!({ "chatId": chat_id }))
        .await
        .unwrap();
    let joined = wait_for(&mut rx, "chat:joined")
        .await
        .expect("chat:joined within 10 s");
    assert_eq!(joined["chatId"], json!(chat_id));
    (socket, rx)
}

/// Receives `n` messages (or fails after 120 s) and checks they are exactly
/// `sent`, each once, in strictly increasing `sentAt` order.
async fn assert_whole_and_in_order(
    rx: &mut mpsc::UnboundedReceiver<(String, Value)>,
    sent: &HashSet<String>,
) {
    let mut received = Vec::with_capacity(sent.len());
    let collect = async {
        while received.len() < sent.len() {
            let (name, v) = rx.recv().await.unwrap();
            match name.as_str() {
                "message:new" => received.push(serde_json::from_value::<Message>(v).unwrap()),
                "close" => panic!(
                    "socket closed after {} of {} messages",
                    received.len(),
                    sent.len()
                ),
                _ => {}
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(120), collect)
        .await
        .unwrap_or_else(|_| {
            panic!(
                "only {} of {} messages arrived within 120 s",
                received.len(),
                sent.len()
            )
        });
    let ids: HashSet<_> = received.iter().map(|m| m.message_id.clone()).collect();
    assert_eq!(ids.len(), sent.len(), "duplicates in what arrived");
    assert_eq!(&ids, sent, "what arrived is not what was sent");
    let times: Vec<i64> = received
        .iter()
        .map(|m| parse_millis(&m.sent_at).unwrap())
        .collect();
    assert!(
        times.windows(2).all(|w| w[0] < w[1]),
        "messages arrived out of sentAt order"
    );
}

/// The fan-out at full speed: the hub in-process broadcasting 20,000
/// messages back to back, far faster than a socket drains, which overflows
/// socketioxide's default 128-packet buffer (that hub would disconnect the
/// socket rather than skip messages; this one is sized for bursts).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tight_loop_burst_is_not_dropped_by_the_socket_buffer() {
    use switchboard_hub::auth::Principal;
    let mut hub = TestHub::start().await;
    let core = hub.core().clone();
    let (visitor, _) = core.create_visitor("Loop Visitor".into(), None, None).unwrap();
    let visitor = Principal::Visitor(visitor);
    let chat = core.open_chat(&visitor, None).unwrap();
    let token = testkit::demo_token(&hub.url()).await;
    let (socket, mut rx) = joined_agent(&hub.url(), &token, &chat.chat_id).await;

    // Build the messages first, then fan them out back to back: nothing
    // slows the producer, so only the socket buffer stands between the
    // burst and the wire.
    let template = {
        let req = switchboard_protocol::SendMessageRequest {
            chat_id: chat.chat_id.clone(),
            content: "template".into(),
            kind: switchboard_protocol::MessageType::Text,
            is_internal: false,
            attachment: None,
            client_message_id: None,
        };
        core.send_message(&visitor, req).unwrap().0
    };
    let (_, first_template) = rx.recv().await.unwrap();
    assert_eq!(first_template["messageId"], json!(template.message_id));
    let base = parse_millis(&template.sent_at).unwrap();
    let burst: Vec<Message> = (0..BURST)
        .map(|i| Message {
            message_id: uuid::Uuid::new_v4().to_string(),
            content: format!("loop {i}"),
            sent_at: switchboard_protocol::time::format_millis(base + 1 + i as i64),
            ..template.clone()
        })
        .collect();
    let room = switchboard_protocol::chat_room(&chat.chat_id);
    for m in &burst {
        core.emit(vec![room.clone()], None, "message:new", m);
    }
    let sent: HashSet<String> = burst.into_iter().map(|m| m.message_id).collect();
    assert_whole_and_in_order(&mut rx, &sent).await;
    assert_eq!(core.lagging_disconnects(), 0);
    socket.disconnect().await.unwrap();
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_thousand_messages_arrive_whole_and_in_order() {
    let hub = HubProcess::spawn(
        env!("CARGO_BIN_EXE_switchboard-hub").as_ref(),
        &["--rate-limit", "0"],
    )
    .await;
    let token = testkit::demo_token(&hub.url).await;
    let visitor = Visitor::open(&hub.url, "Burst Visitor").await;

    let (socket, mut rx) = joined_agent(&hub.url, &token, &visitor.chat_id).await;

    // The burst: SENDERS concurrent streams of POSTs from the visitor.
    let mut tasks = Vec::new();
    for s in 0..SENDERS {
        let visitor = visitor.clone();
        tasks.push(tokio::spawn(async move {
            let mut ids = Vec::with_capacity(BURST / SENDERS);
            for i in 0..BURST / SENDERS {
                ids.push(visitor.say(&format!("burst {s}/{i}")).await.message_id);
            }
            ids
        }));
    }
    let mut sent = HashSet::new();
    for t in tasks {
        sent.extend(t.await.unwrap());
    }
    assert_eq!(sent.len(), BURST);

    assert_whole_and_in_order(&mut rx, &sent).await;

    socket.disconnect().await.unwrap();
    hub.stop().await;
}
