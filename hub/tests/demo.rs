//! The demo (`--demo`) shows every v2.1 feature: the team's canned
//! responses with variables, visitors with a context, chats tagged by
//! topic, and the second demo agent transferring a chat to the first. A
//! real hub, in process, at a hundred times the human pace.

use std::time::{Duration, Instant};

use switchboard_hub::{DEMO_AGENTS, DemoConfig, HubConfig, Protocol, auth::Principal, testkit::TempDir};
use switchboard_protocol::{CannedScope, ChatStatus, SenderType};

async fn demo_hub(dir: &TempDir, protocol: Protocol) -> switchboard_hub::RunningHub {
    switchboard_hub::start(HubConfig {
        bind: ([127, 0, 0, 1], 0).into(),
        db: Some(dir.path().join("hub.db")),
        demo: Some(DemoConfig {
            chats_per_minute: 0.0,
            initial_chats: 4,
            max_open: 8,
            pace: 0.01,
        }),
        protocol,
        ..HubConfig::default()
    })
    .await
    .expect("the demo hub starts")
}

/// Polls `f` until it gives a value, for at most `secs` seconds.
async fn eventually<T>(secs: u64, what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn the_demo_shows_canned_responses_context_tags_and_a_transfer() {
    let dir = TempDir::new("demo");
    let hub = demo_hub(&dir, Protocol::V21).await;
    let core = hub.core().clone();
    let alex = core.db().agent_by_email(DEMO_AGENTS[0].1).unwrap().unwrap().agent;

    let canned = core.canned(&alex).unwrap();
    assert_eq!(canned.len(), switchboard_hub::demo::CANNED.len());
    assert!(canned.iter().all(|c| c.scope == CannedScope::Team));
    assert!(
        canned.iter().any(|c| c.content.contains("{{visitor.name|")),
        "with variables"
    );
    assert!(canned.iter().any(|c| c.shortcut == "hola") && canned.iter().any(|c| c.shortcut == "hi"));

    let me = Principal::Agent(alex.clone());
    let chats = eventually(10, "the first demo chats", || {
        let chats = core.list_chats(&me, None, None, None, 50).unwrap();
        (chats.len() >= 4).then_some(chats)
    })
    .await;
    for c in &chats {
        let context = c
            .visitor
            .context
            .as_ref()
            .expect("every demo visitor has a context");
        assert!(context.page.as_deref().is_some_and(|p| p.starts_with("https://")));
        assert!(context.locale.is_some() && context.timezone.is_some() && context.user_agent.is_some());
    }
    eventually(10, "tags on the demo chats", || {
        let chats = core.list_chats(&me, None, None, None, 50).unwrap();
        chats
            .iter()
            .all(|c| c.tags.as_ref().is_some_and(|t| !t.is_empty()))
            .then_some(())
    })
    .await;
    assert!(!core.db().tag_counts().unwrap().is_empty());

    // The colleague takes a waiting chat, greets, leaves a note, transfers.
    let handed = eventually(30, "the second demo agent's transfer", || {
        core.db()
            .notifications(&alex.id, false, 50)
            .unwrap()
            .into_iter()
            .find(|n| n.title == "Chat transferred to you")
    })
    .await;
    let chat_id = handed.data.unwrap()["chatId"].as_str().unwrap().to_owned();
    let (page, _) = core
        .history(
            &me,
            &chat_id,
            switchboard_hub::store::PageQuery {
                limit: 100,
                ..Default::default()
            },
        )
        .unwrap();
    let transfer = page
        .iter()
        .find(|m| m.sender_type == SenderType::System && m.content.contains("transferred the chat to"))
        .expect("the transfer's system message");
    assert_eq!(
        transfer.content,
        format!("Sam Second transferred the chat to {}", alex.name)
    );
    assert!(page.iter().any(|m| m.is_internal), "a note for the colleague");
    let row = core.db().chat(&chat_id).unwrap().unwrap();
    assert!(
        row.assignee_id.as_deref() == Some(alex.id.as_str()) || row.status == ChatStatus::Closed,
        "Alex holds it (unless its visitor has left since)"
    );
    hub.shutdown().await;
}

#[tokio::test]
async fn a_v2_demo_has_none_of_it() {
    let dir = TempDir::new("demo-v2");
    let hub = demo_hub(&dir, Protocol::V2).await;
    let core = hub.core().clone();
    let alex = core.db().agent_by_email(DEMO_AGENTS[0].1).unwrap().unwrap().agent;
    assert_eq!(core.db().team_canned_count().unwrap(), 0);
    let me = Principal::Agent(alex);
    let chats = eventually(10, "the first demo chats", || {
        let chats = core.list_chats(&me, None, None, None, 50).unwrap();
        (chats.len() >= 4).then_some(chats)
    })
    .await;
    assert!(
        chats
            .iter()
            .all(|c| c.visitor.context.is_none() && c.tags.is_none())
    );
    assert!(core.db().tag_counts().unwrap().is_empty());
    hub.shutdown().await;
}
