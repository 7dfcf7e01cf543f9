//! The engine on protocol v2.1 against the real hub: what the server
//! offers (and nothing of it against `--protocol v2`, with v2 working on),
//! read state that follows the agent to a second device, an inbox that a
//! read does not reorder, tags from `chat:updated`, transfer, and canned
//! responses held for offline use.
#![allow(clippy::unwrap_used)]

mod common;

use common::{engine, engine_as, wait_change};
use switchboard_engine::{Change, Engine, EngineError};
use switchboard_hub::{
    Protocol,
    testkit::{TempDir, TestHub, Visitor, demo_token},
};
use switchboard_protocol::{ChatStatus, feature};

/// Starts an engine and waits for its first catch-up.
async fn started(e: &Engine) {
    let mut changes = e.subscribe();
    e.start();
    wait_change(&mut changes, 15, "the catch-up", |c| {
        matches!(c, Change::CaughtUp { .. })
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_v21_hub_offers_everything_and_a_v2_hub_nothing_while_v2_keeps_working() {
    let hub = TestHub::start().await;
    let dir = TempDir::new("caps21");
    let e = engine(&hub.url(), dir.path()).await;
    assert!(!e.offers(feature::TAGS), "not asked before the first sync");
    started(&e).await;
    let caps = e.capabilities().unwrap();
    assert_eq!(caps.version, "2.1");
    for f in feature::ALL {
        assert!(e.offers(f), "{f}");
    }
    e.shutdown().await;

    let v2dir = TempDir::new("caps2-hub");
    let mut config = TestHub::config(v2dir.path());
    config.protocol = Protocol::V2;
    let v2 = TestHub::start_with(config).await;
    let visitor = Visitor::opens_chat(&v2.url(), "Vera Two", "hola").await;
    let dir = TempDir::new("caps2");
    let e = engine(&v2.url(), dir.path()).await;
    started(&e).await;
    assert_eq!(e.capabilities().unwrap().features, Vec::<String>::new());
    assert!(matches!(
        e.transfer(&visitor.chat_id, None).await,
        Err(EngineError::Unsupported("transfer"))
    ));
    assert!(matches!(
        e.set_tags(&visitor.chat_id, &["vip".into()]).await,
        Err(EngineError::Unsupported(_))
    ));
    assert!(matches!(
        e.refresh_canned().await,
        Err(EngineError::Unsupported(_))
    ));
    assert!(e.canned().unwrap().is_empty());
    // v2 goes on as before: accept, send, the entry has no tags.
    let entry = e.accept(&visitor.chat_id).await.unwrap();
    assert_eq!(entry.status, ChatStatus::InProgress);
    assert!(entry.tags.is_empty() && entry.visitor.context.is_none());
    e.send(&visitor.chat_id, "¿En qué puedo ayudarte?", false)
        .unwrap();
    let mut seen = Vec::new();
    for _ in 0..50 {
        seen = visitor.sees().await;
        if seen.iter().any(|m| m.content == "¿En qué puedo ayudarte?") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        seen.iter().any(|m| m.content == "¿En qué puedo ayudarte?"),
        "the reply reached the visitor"
    );
    e.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_device_shows_the_same_unread_counts_and_a_read_does_not_reorder_the_inbox() {
    let hub = TestHub::start().await;
    let older = Visitor::opens_chat(&hub.url(), "Olga Older", "hola").await;
    let read_up_to = older.say("¿seguís ahí?").await;
    older.say("tengo otra pregunta").await;
    let newer = Visitor::opens_chat(&hub.url(), "Nico Newer", "hi").await;
    newer.say("anyone?").await;

    let laptop_dir = TempDir::new("laptop21");
    let laptop = engine(&hub.url(), laptop_dir.path()).await;
    started(&laptop).await;
    assert_eq!(laptop.chat(&older.chat_id).unwrap().unwrap().unread, 3);
    laptop.mark_read(&older.chat_id, &read_up_to.message_id).unwrap();
    assert_eq!(laptop.chat(&older.chat_id).unwrap().unwrap().unread, 1);
    // The marker reaches the server (the laptop's link is up).
    let token = demo_token(&hub.url()).await;
    let mut marked = false;
    for _ in 0..100 {
        let chats = reqwest::Client::new()
            .get(format!("{}/v2/chats", hub.url()))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json::<switchboard_protocol::ChatList>()
            .await
            .unwrap()
            .chats;
        let c = chats.iter().find(|c| c.chat_id == older.chat_id).unwrap();
        if c.my_read_marker
            .as_ref()
            .is_some_and(|m| m.message_id == read_up_to.message_id)
        {
            marked = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(marked, "the hub holds the laptop's marker");

    // A new device (or a reinstall): the same counts, not the whole history unread.
    let desktop_dir = TempDir::new("desktop21");
    let desktop = engine(&hub.url(), desktop_dir.path()).await;
    started(&desktop).await;
    for id in [&older.chat_id, &newer.chat_id] {
        assert_eq!(
            desktop.chat(id).unwrap().unwrap().unread,
            laptop.chat(id).unwrap().unwrap().unread,
            "same unread on both devices"
        );
    }
    assert_eq!(desktop.chat(&older.chat_id).unwrap().unwrap().unread, 1);
    // Reading is not activity: the chat read last stays below the newer one.
    let order = |e: &Engine| {
        e.chats()
            .unwrap()
            .into_iter()
            .map(|c| c.chat_id)
            .collect::<Vec<_>>()
    };
    assert_eq!(order(&desktop), [newer.chat_id.clone(), older.chat_id.clone()]);
    assert_eq!(order(&laptop), order(&desktop));
    laptop.shutdown().await;
    desktop.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tags_and_transfers_reach_the_other_agents_engine_and_canned_responses_are_held() {
    let hub = TestHub::start().await;
    let visitor = Visitor::opens_chat(&hub.url(), "Tina Tags", "hola").await;
    // A team canned response on the hub before the engines sync.
    let token = demo_token(&hub.url()).await;
    let res = reqwest::Client::new()
        .post(format!("{}/v2/canned", hub.url()))
        .bearer_auth(&token)
        .json(&serde_json::json!({"shortcut": "hola", "title": "Saludo",
            "content": "¡Hola, {{visitor.name|buenas}}!", "scope": "team"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);

    let (d1, d2) = (TempDir::new("alex21"), TempDir::new("sam21"));
    let alex = engine(&hub.url(), d1.path()).await;
    let sam = engine_as(&hub.url(), d2.path(), "agent2@example.com").await;
    started(&alex).await;
    started(&sam).await;
    let canned = alex.canned().unwrap();
    assert_eq!(canned.len(), 1);
    assert_eq!(
        canned[0].content, "¡Hola, {{visitor.name|buenas}}!",
        "the template as written"
    );

    // Alex tags the chat: Sam's engine hears it through chat:updated.
    let mut sam_changes = sam.subscribe();
    let entry = alex
        .set_tags(&visitor.chat_id, &["VIP".into(), "pedidos".into()])
        .await
        .unwrap();
    assert_eq!(entry.tags, ["VIP", "pedidos"]);
    wait_change(&mut sam_changes, 10, "Sam's entry with the tags", |c| {
        matches!(c, Change::Chat { chat } if chat.chat_id == visitor.chat_id && chat.tags == ["VIP", "pedidos"])
    })
    .await;

    // Alex accepts and transfers to Sam: Sam's engine holds it as Sam's.
    alex.accept(&visitor.chat_id).await.unwrap();
    let sam_id = sam.me().unwrap().id;
    let entry = alex.transfer(&visitor.chat_id, Some(&sam_id)).await.unwrap();
    assert_eq!(entry.assignee_id.as_deref(), Some(sam_id.as_str()));
    // Its system line comes first, then the chat's new holder.
    wait_change(&mut sam_changes, 10, "the transfer's system line", |c| {
        matches!(c, Change::Message { message } if message.content.contains("transferred the chat to Sam Second"))
    })
    .await;
    wait_change(&mut sam_changes, 10, "Sam's chat", |c| {
        matches!(c, Change::Chat { chat } if chat.chat_id == visitor.chat_id
            && chat.assignee_id.as_deref() == Some(sam_id.as_str()))
    })
    .await;
    assert_eq!(
        sam.chat(&visitor.chat_id).unwrap().unwrap().tags,
        ["VIP", "pedidos"]
    );
    // Sam closes; once Alex's engine has heard, Alex reopens: it is Alex's again.
    let mut alex_changes = alex.subscribe();
    sam.close(&visitor.chat_id).await.unwrap();
    wait_change(&mut alex_changes, 10, "the close, at Alex's", |c| {
        matches!(c, Change::Chat { chat } if chat.chat_id == visitor.chat_id && chat.status == ChatStatus::Closed)
    })
    .await;
    let entry = alex.reopen(&visitor.chat_id).await.unwrap();
    assert_eq!(entry.status, ChatStatus::InProgress);
    assert_eq!(entry.assignee_id, alex.me().map(|a| a.id));
    // Offline, the canned responses are still there.
    alex.shutdown().await;
    assert_eq!(alex.canned().unwrap().len(), 1);
    sam.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_marker_far_back_in_a_closed_chat_is_reached_by_paging_and_the_team_is_held_offline() {
    let mut hub = TestHub::start().await;
    let visitor = Visitor::opens_chat(&hub.url(), "Pilar Páginas", "mensaje 0").await;
    let mut marker = None;
    for i in 1..150 {
        let m = visitor.say(&format!("mensaje {i}")).await;
        if i == 19 {
            marker = Some(m);
        }
    }
    let marker = marker.unwrap();
    let laptop_dir = TempDir::new("laptop-far");
    let laptop = engine(&hub.url(), laptop_dir.path()).await;
    started(&laptop).await;
    laptop.mark_read(&visitor.chat_id, &marker.message_id).unwrap();
    assert_eq!(laptop.chat(&visitor.chat_id).unwrap().unwrap().unread, 130);
    let mut closed = laptop.subscribe();
    laptop.close(&visitor.chat_id).await.unwrap();
    wait_change(
        &mut closed,
        10,
        "the close applied",
        |c| matches!(c, Change::ActionDone { chat_id: Some(id), .. } if *id == visitor.chat_id),
    )
    .await;
    laptop.shutdown().await;

    // A closed chat's first sync brings its newest page only: the marker is
    // further back, and the engine pages back to it.
    let desktop_dir = TempDir::new("desktop-far");
    let desktop = engine(&hub.url(), desktop_dir.path()).await;
    started(&desktop).await;
    let entry = desktop.chat(&visitor.chat_id).unwrap().unwrap();
    assert_eq!(entry.status, ChatStatus::Closed);
    assert_eq!(entry.unread, 130, "the same count as on the laptop");
    assert_eq!(
        desktop.read_marker(&visitor.chat_id).unwrap().as_deref(),
        Some(marker.message_id.as_str())
    );

    // The team, held for the transfer list when the server is away.
    let online = desktop.agents().await.unwrap();
    assert_eq!(online.len(), 2);
    hub.stop().await;
    let held = desktop.agents().await.unwrap();
    assert_eq!(
        held.iter().map(|a| a.name.as_str()).collect::<Vec<_>>(),
        online.iter().map(|a| a.name.as_str()).collect::<Vec<_>>()
    );
    desktop.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_visitors_earlier_chats_tags_and_capacity_come_from_the_hub_and_the_cache_offline() {
    let mut hub = TestHub::start().await;
    let first = Visitor::opens_chat(&hub.url(), "Olga Otra Vez", "la primera vez").await;
    let dir = TempDir::new("lookups");
    let e = engine(&hub.url(), dir.path()).await;

    // Before any sync the earlier chat is not held: its history comes
    // from the server.
    let fetched = e.chat_history(&first.chat_id).await.unwrap();
    assert_eq!(
        fetched.iter().map(|m| m.content.as_str()).collect::<Vec<_>>(),
        ["la primera vez"]
    );

    started(&e).await;
    e.accept(&first.chat_id).await.unwrap();
    e.set_tags(&first.chat_id, &["Factura".into(), "vip".into()])
        .await
        .unwrap();
    let mut changes = e.subscribe();
    e.close(&first.chat_id).await.unwrap();
    wait_change(
        &mut changes,
        10,
        "the close applied",
        |c| matches!(c, Change::ActionDone { chat_id: Some(id), .. } if *id == first.chat_id),
    )
    .await;
    let second = first.opens_another().await;
    second.say("vuelvo con otra duda").await;
    wait_change(
        &mut changes,
        10,
        "the second chat held",
        |c| matches!(c, Change::Chat { chat } if chat.chat_id == second.chat_id),
    )
    .await;
    let other = Visitor::opens_chat(&hub.url(), "Otro Visitante", "hola").await;
    wait_change(
        &mut changes,
        10,
        "the other visitor's chat held",
        |c| matches!(c, Change::Chat { chat } if chat.chat_id == other.chat_id),
    )
    .await;
    let mut tagged = e.subscribe();
    e.set_tags(&other.chat_id, &["vip".into()]).await.unwrap();
    wait_change(
        &mut tagged,
        10,
        "the tags applied",
        |c| matches!(c, Change::ActionDone { chat_id: Some(id), .. } if *id == other.chat_id),
    )
    .await;

    let ids = |v: Vec<switchboard_model::ChatEntry>| v.into_iter().map(|c| c.chat_id).collect::<Vec<_>>();
    let online = ids(e.visitor_chats(&first.visitor_id).await.unwrap());
    assert_eq!(
        online,
        [second.chat_id.clone(), first.chat_id.clone()],
        "newest first, nobody else's"
    );
    let tags = e.tags().await.unwrap();
    assert_eq!(tags[0].name, "vip");
    assert_eq!(tags[0].count, 2);
    assert!(
        tags.iter().any(|t| t.name == "Factura" && t.count == 1),
        "{tags:?}"
    );

    // Capacity: set on the server, seen in the team list; out of range refused.
    let team = e.set_max_chats(3).await.unwrap();
    let me = e.me().unwrap().id;
    assert_eq!(team.iter().find(|a| a.id == me).unwrap().max_chats, Some(3));
    assert!(matches!(e.set_max_chats(101).await, Err(EngineError::Invalid(_))));

    // Offline: the same history and tags from the cache.
    hub.stop().await;
    assert_eq!(ids(e.visitor_chats(&first.visitor_id).await.unwrap()), online);
    let held = e.tags().await.unwrap();
    assert_eq!((held[0].name.as_str(), held[0].count), ("vip", 2));
    let history = e.chat_history(&first.chat_id).await.unwrap();
    assert!(history.iter().any(|m| m.content == "la primera vez"));
    assert!(e.set_max_chats(2).await.is_err(), "capacity needs the server");
    e.shutdown().await;
}
