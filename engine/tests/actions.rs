//! Every agent action goes through the durable outbox, against the real
//! hub and the fault proxy. Actions done offline show at once. They are
//! sent in order per chat with the messages, also after a restart. A
//! refused accept is undone and told, and the reply written after it waits
//! for the agent. A tag set offline reaches the server once.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{engine, wait_change, wait_state};
use switchboard_engine::{ActionKind, ActionState, Change, ConnectionState, DeliveryStatus, Engine};
use switchboard_hub::testkit::{self, Proxy, TempDir, TestHub, Visitor};
use switchboard_protocol::{ChatStatus, SenderType, TagList};

async fn started(e: &Engine) {
    let mut changes = e.subscribe();
    e.start();
    wait_change(&mut changes, 15, "the catch-up", |c| {
        matches!(c, Change::CaughtUp { .. })
    })
    .await;
}

async fn offline(e: &Engine) {
    wait_state(e, 15, "the outage", |s| {
        matches!(s, ConnectionState::Reconnecting { .. })
    })
    .await;
}

async fn tags_on_hub(url: &str, token: &str) -> TagList {
    reqwest::Client::new()
        .get(format!("{url}/v2/tags"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_actions_show_at_once_and_reach_the_server_in_order_after_a_restart() {
    let mut hub = TestHub::start().await;
    let visitor = Visitor::opens_chat(&hub.url(), "Olivia Offline", "hola, ¿hay alguien?").await;
    let dir = TempDir::new("actions-offline");
    let alex = engine(&hub.url(), dir.path()).await;
    started(&alex).await;
    let me = alex.me().unwrap().id;

    hub.stop().await;
    offline(&alex).await;
    let entry = alex.accept(&visitor.chat_id).await.unwrap();
    assert_eq!(
        (entry.status, entry.assignee_id.as_deref()),
        (ChatStatus::InProgress, Some(me.as_str()))
    );
    alex.send(&visitor.chat_id, "Hola Olivia, ya estoy contigo", false)
        .unwrap();
    let entry = alex
        .set_tags(&visitor.chat_id, &["vip".into(), "pedidos".into()])
        .await
        .unwrap();
    assert_eq!(entry.tags, ["vip", "pedidos"], "shown at once");
    let queued = alex.queued_actions().unwrap();
    assert_eq!(
        queued.iter().map(|a| a.action.name()).collect::<Vec<_>>(),
        ["accept", "tags"]
    );
    assert!(queued.iter().all(|a| a.state == ActionState::Pending));

    // The app closes while offline; it opens again once the hub is back.
    alex.shutdown().await;
    drop(alex);
    hub.restart().await;
    let alex = engine(&hub.url(), dir.path()).await;
    assert_eq!(
        alex.queued_actions().unwrap().len(),
        2,
        "the outbox survived the restart"
    );
    let entry = alex.chat(&visitor.chat_id).unwrap().unwrap();
    assert_eq!(entry.status, ChatStatus::InProgress, "still shown as accepted");
    alex.start();
    let left = alex
        .wait_actions(Some(&visitor.chat_id), Duration::from_secs(20))
        .await
        .unwrap();
    assert!(left.is_empty(), "all applied: {left:?}");

    // The server has them once, in the order they were done.
    let token = testkit::demo_token(&hub.url()).await;
    let mut history = Vec::new();
    for _ in 0..100 {
        history = testkit::history(&hub.url(), &token, &visitor.chat_id).await;
        if history
            .iter()
            .any(|m| m.content == "Hola Olivia, ya estoy contigo")
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let lines: Vec<_> = history
        .iter()
        .map(|m| (m.sender_type, m.content.as_str()))
        .collect();
    assert_eq!(
        lines,
        [
            (SenderType::Visitor, "hola, ¿hay alguien?"),
            (SenderType::System, "Alex Agent joined the chat"),
            (SenderType::Agent, "Hola Olivia, ya estoy contigo"),
        ],
        "the accept went before the reply written after it, and once"
    );
    let tags = tags_on_hub(&hub.url(), &token).await.tags;
    assert_eq!(
        tags.iter()
            .map(|t| (t.name.as_str(), t.count))
            .collect::<Vec<_>>(),
        [("pedidos", 1), ("vip", 1)]
    );
    let entry = alex.chat(&visitor.chat_id).unwrap().unwrap();
    assert_eq!(entry.tags, ["vip", "pedidos"]);
    assert_eq!(entry.assignee_id.as_deref(), Some(me.as_str()));
    alex.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_accept_is_undone_told_and_holds_the_reply_written_after_it() {
    let hub = TestHub::start().await;
    let proxy = Proxy::start(hub.addr).await;
    let visitor = Visitor::opens_chat(&hub.url(), "Rita Refused", "hola").await;
    let other = Visitor::opens_chat(&hub.url(), "Omar Other", "hi").await;
    let dir = TempDir::new("actions-refused");
    let alex = engine(&proxy.url(), dir.path()).await;
    started(&alex).await;
    let mut changes = alex.subscribe();

    // Alex is cut off; meanwhile Sam takes the chat on the server.
    proxy.down();
    offline(&alex).await;
    let entry = alex.accept(&visitor.chat_id).await.unwrap();
    assert_eq!(entry.status, ChatStatus::InProgress);
    assert_eq!(
        alex.total_unread().unwrap(),
        1,
        "mine at once: its unread is in the total"
    );
    let first = alex.send(&visitor.chat_id, "Hola Rita", false).unwrap();
    let second = alex.send(&visitor.chat_id, "¿En qué te ayudo?", false).unwrap();
    // Another chat's work is not held by this one's refusal.
    alex.accept(&other.chat_id).await.unwrap();
    assert_eq!(alex.total_unread().unwrap(), 2);
    let sam = testkit::login(&hub.url(), "agent2@example.com", "password").await;
    let taken = testkit::accept(&hub.url(), &sam.token, &visitor.chat_id).await;
    assert_eq!(taken.assignee_id.as_deref(), Some(sam.agent.id.as_str()));

    proxy.up();
    let refused = wait_change(
        &mut changes,
        20,
        "the refusal",
        |c| matches!(c, Change::Action { action } if action.state == ActionState::Refused),
    )
    .await;
    let Change::Action { action } = refused else {
        unreachable!()
    };
    assert_eq!(action.action, ActionKind::Accept);
    assert_eq!(action.chat_id.as_deref(), Some(visitor.chat_id.as_str()));
    assert!(
        action
            .error
            .as_deref()
            .is_some_and(|e| e.contains("another agent holds")),
        "{action:?}"
    );
    // Undone: the chat shows the server's state; the replies wait.
    let left = alex
        .wait_actions(Some(&other.chat_id), Duration::from_secs(20))
        .await
        .unwrap();
    assert!(left.is_empty(), "the other chat's accept went through");
    let entry = alex.chat(&visitor.chat_id).unwrap().unwrap();
    assert_eq!(
        entry.assignee_id.as_deref(),
        Some(sam.agent.id.as_str()),
        "Sam's, as on the server"
    );
    assert_eq!(entry.held, 2);
    assert_eq!(
        alex.total_unread().unwrap(),
        1,
        "undone: Rita's is not mine, so only Omar's unread is in the total"
    );
    let timeline = alex.history(&visitor.chat_id).unwrap();
    let held: Vec<_> = timeline
        .iter()
        .filter(|m| m.status == DeliveryStatus::Held)
        .collect();
    assert_eq!(held.len(), 2, "{timeline:?}");
    let token = testkit::demo_token(&hub.url()).await;
    let on_hub = testkit::history(&hub.url(), &token, &visitor.chat_id).await;
    assert!(
        !on_hub.iter().any(|m| m.content.starts_with("Hola Rita")),
        "nothing held was sent"
    );
    assert_eq!(
        alex.chat(&other.chat_id).unwrap().unwrap().assignee_id,
        alex.me().map(|a| a.id)
    );

    // The agent discards one held reply and lets the refusal go: the other is sent.
    alex.discard(first.client_message_id.as_deref().unwrap()).unwrap();
    alex.dismiss_action(&action.id).unwrap();
    let cmid = second.client_message_id.clone().unwrap();
    let delivered = alex.wait_delivered(&cmid, Duration::from_secs(20)).await.unwrap();
    assert!(
        matches!(delivered, switchboard_engine::Delivery::Sent(_)),
        "{delivered:?}"
    );
    let on_hub = testkit::history(&hub.url(), &token, &visitor.chat_id).await;
    let mine: Vec<_> = on_hub
        .iter()
        .filter(|m| m.sender_type == SenderType::Agent)
        .map(|m| m.content.as_str())
        .collect();
    assert_eq!(
        mine,
        ["¿En qué te ayudo?"],
        "the kept one, once; the discarded one never"
    );
    assert!(alex.queued_actions().unwrap().is_empty());
    assert_eq!(alex.chat(&visitor.chat_id).unwrap().unwrap().held, 0);
    alex.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tag_set_offline_reaches_the_server_once_through_cuts_and_canned_edits_queue_too() {
    let hub = TestHub::start().await;
    let proxy = Proxy::start(hub.addr).await;
    let visitor = Visitor::opens_chat(&hub.url(), "Tomás Tags", "hola").await;
    let dir = TempDir::new("actions-tags");
    let alex = engine(&proxy.url(), dir.path()).await;
    started(&alex).await;

    proxy.down();
    offline(&alex).await;
    alex.set_tags(&visitor.chat_id, &["urgente".into()])
        .await
        .unwrap();
    // A second change before the first is sent: both go, in order.
    alex.set_tags(&visitor.chat_id, &["urgente".into(), "facturación".into()])
        .await
        .unwrap();
    let made = alex
        .create_canned(
            "despedida",
            "Despedida",
            "Gracias, {{visitor.name|}}. ¡Un saludo!",
            switchboard_protocol::CannedScope::Personal,
        )
        .await
        .unwrap();
    assert!(
        alex.canned().unwrap().iter().any(|c| c.id == made.id),
        "shown at once"
    );
    alex.update_canned(&made.id, "despedida", "Despedida", "Gracias. ¡Un saludo!")
        .await
        .unwrap();
    proxy.up();
    for _ in 0..3 {
        // Cuts while it catches up and sends: nothing doubles.
        tokio::time::sleep(Duration::from_millis(30)).await;
        proxy.cut();
    }
    let left = alex
        .wait_actions(Some(&visitor.chat_id), Duration::from_secs(30))
        .await
        .unwrap();
    assert!(left.is_empty(), "{left:?}");
    let left = alex.wait_actions(None, Duration::from_secs(30)).await.unwrap();
    assert!(left.is_empty(), "the canned edits: {left:?}");
    let token = testkit::demo_token(&hub.url()).await;
    let tags = tags_on_hub(&hub.url(), &token).await.tags;
    assert_eq!(
        tags.iter()
            .map(|t| (t.name.as_str(), t.count))
            .collect::<Vec<_>>(),
        [("facturación", 1), ("urgente", 1)]
    );
    let canned: switchboard_protocol::CannedList = reqwest::Client::new()
        .get(format!("{}/v2/canned", hub.url()))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(canned.canned.len(), 1, "created once: {canned:?}");
    assert_eq!(
        canned.canned[0].content, "Gracias. ¡Un saludo!",
        "with the later edit"
    );
    let held = alex.canned().unwrap();
    assert_eq!(held.len(), 1);
    assert_eq!(
        held[0].id, canned.canned[0].id,
        "the local id became the server's"
    );
    alex.delete_canned(&held[0].id).await.unwrap();
    assert!(alex.canned().unwrap().is_empty(), "gone at once");
    let left = alex.wait_actions(None, Duration::from_secs(20)).await.unwrap();
    assert!(left.is_empty());
    alex.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chat_reopened_after_a_reconnect_is_followed_live() {
    let mut hub = TestHub::start().await;
    let visitor = Visitor::opens_chat(&hub.url(), "Rosa Reabre", "hola").await;
    let token = testkit::demo_token(&hub.url()).await;
    testkit::accept(&hub.url(), &token, &visitor.chat_id).await;
    let res = reqwest::Client::new()
        .post(format!("{}/v2/chats/{}/close", hub.url(), visitor.chat_id))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success());
    let dir = TempDir::new("actions-reopen");
    let alex = engine(&hub.url(), dir.path()).await;
    started(&alex).await;
    assert_eq!(
        alex.chat(&visitor.chat_id).unwrap().unwrap().status,
        ChatStatus::Closed
    );
    // A reconnect: a closed chat's room is not joined again.
    let mut changes = alex.subscribe();
    hub.restart().await;
    wait_change(&mut changes, 20, "the catch-up after the restart", |c| {
        matches!(c, Change::CaughtUp { .. })
    })
    .await;
    alex.reopen(&visitor.chat_id).await.unwrap();
    let left = alex
        .wait_actions(Some(&visitor.chat_id), Duration::from_secs(20))
        .await
        .unwrap();
    assert!(left.is_empty(), "{left:?}");
    // Its room is joined now: what the visitor says arrives live.
    let said = visitor.say("¡gracias por reabrirlo!").await;
    wait_change(&mut changes, 10, "the visitor's message, live", |c| {
        matches!(c, Change::Message { message } if message.message_id.as_deref() == Some(said.message_id.as_str()))
    })
    .await;
    alex.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_canned_creation_whose_answer_was_lost_is_not_refused_when_sent_again() {
    let hub = TestHub::start().await;
    let dir = TempDir::new("actions-canned-again");
    let alex = engine(&hub.url(), dir.path()).await;
    started(&alex).await;
    // The first POST reached the server, and its answer was lost: the
    // server has the entry already when the outbox sends it again.
    let token = testkit::demo_token(&hub.url()).await;
    let body = serde_json::json!({"shortcut": "adios", "title": "Adiós", "content": "¡Hasta pronto!", "scope": "personal"});
    let first: switchboard_protocol::Canned = reqwest::Client::new()
        .post(format!("{}/v2/canned", hub.url()))
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    alex.create_canned(
        "adios",
        "Adiós",
        "¡Hasta pronto!",
        switchboard_protocol::CannedScope::Personal,
    )
    .await
    .unwrap();
    let left = alex.wait_actions(None, Duration::from_secs(20)).await.unwrap();
    assert!(left.is_empty(), "taken as applied, not refused: {left:?}");
    let held = alex.canned().unwrap();
    assert_eq!(held.len(), 1, "{held:?}");
    assert_eq!(held[0].id, first.id, "the server's entry");
    alex.shutdown().await;
}
