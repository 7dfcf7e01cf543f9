//! The alert rules, one scenario each.

use super::*;
use switchboard_protocol::{Notification, NotificationType, SenderType};

fn chat(id: &str, status: ChatStatus, assignee: Option<&str>) -> ChatEntry {
    crate::fixtures::chat(id).status(status, assignee).build()
}

fn msg(id: &str, chat: &str, sender: &str, kind: SenderType) -> Change {
    Change::Message {
        message: Box::new(
            crate::fixtures::message(id)
                .chat(chat)
                .from(sender, kind)
                .at("t")
                .build(),
        ),
    }
}

fn attention() -> Attention {
    Attention {
        me: "me".into(),
        focused: false,
        open_chat: None,
        presence: Some(Presence::Online),
    }
}

fn online(a: &mut Alerter, s: &AlertSettings) {
    a.on_change(
        &Change::Connection {
            state: ConnectionState::Online,
        },
        s,
        &attention(),
    );
    a.on_change(
        &Change::CaughtUp {
            messages: 0,
            chats: 0,
        },
        s,
        &attention(),
    );
}

#[test]
fn an_accounts_first_sync_is_history_not_a_summary() {
    let s = AlertSettings::default();
    let mut a = Alerter::new(&[chat("c", ChatStatus::InProgress, Some("me"))]);
    // Catching up at start: messages arrive, the engine says none are news.
    a.on_change(&msg("h1", "c", "v-c", SenderType::Visitor), &s, &attention());
    let first = a.on_change(
        &Change::CaughtUp {
            messages: 0,
            chats: 0,
        },
        &s,
        &attention(),
    );
    assert!(first.is_empty(), "{first:?}");
}

#[test]
fn one_alert_per_message_however_often_it_is_published() {
    let s = AlertSettings::default();
    let mut a = Alerter::new(&[chat("c", ChatStatus::InProgress, Some("me"))]);
    online(&mut a, &s);
    let m = msg("m1", "c", "v-c", SenderType::Visitor);
    let first = a.on_change(&m, &s, &attention());
    assert!(matches!(&first[..], [Alert::Message { from: Some(f), .. }] if f == "Visitor c"));
    assert!(a.on_change(&m, &s, &attention()).is_empty());
}

#[test]
fn never_for_my_own_messages_or_system_ones_or_chats_not_mine() {
    let s = AlertSettings::default();
    let mut a = Alerter::new(&[
        chat("mine", ChatStatus::InProgress, Some("me")),
        chat("theirs", ChatStatus::InProgress, Some("ana")),
    ]);
    online(&mut a, &s);
    let at = attention();
    assert!(
        a.on_change(&msg("1", "mine", "me", SenderType::Agent), &s, &at)
            .is_empty()
    );
    assert!(
        a.on_change(&msg("2", "mine", "c", SenderType::System), &s, &at)
            .is_empty()
    );
    assert!(
        a.on_change(&msg("3", "theirs", "v-theirs", SenderType::Visitor), &s, &at)
            .is_empty()
    );
    // Another agent's note in my chat does ring.
    let note = a.on_change(&msg("4", "mine", "ana", SenderType::Agent), &s, &at);
    assert!(matches!(&note[..], [Alert::Message { from: None, .. }]));
}

#[test]
fn the_chat_on_screen_in_a_focused_window_stays_quiet() {
    let s = AlertSettings::default();
    let mut a = Alerter::new(&[chat("c", ChatStatus::InProgress, Some("me"))]);
    online(&mut a, &s);
    let mut at = attention();
    at.focused = true;
    at.open_chat = Some("c".into());
    assert!(
        a.on_change(&msg("1", "c", "v-c", SenderType::Visitor), &s, &at)
            .is_empty()
    );
    // Same chat, window in the background: it rings.
    at.focused = false;
    assert_eq!(
        a.on_change(&msg("2", "c", "v-c", SenderType::Visitor), &s, &at)
            .len(),
        1
    );
}

#[test]
fn muted_paused_and_busy_are_quiet() {
    let mut a = Alerter::new(&[chat("c", ChatStatus::InProgress, Some("me"))]);
    let mut s = AlertSettings::default();
    online(&mut a, &s);
    s.muted.insert("c".into());
    assert!(
        a.on_change(&msg("1", "c", "v-c", SenderType::Visitor), &s, &attention())
            .is_empty()
    );
    s.muted.clear();
    s.paused = true;
    assert!(
        a.on_change(&msg("2", "c", "v-c", SenderType::Visitor), &s, &attention())
            .is_empty()
    );
    s.paused = false;
    let mut busy = attention();
    busy.presence = Some(Presence::Busy);
    assert!(
        a.on_change(&msg("3", "c", "v-c", SenderType::Visitor), &s, &busy)
            .is_empty()
    );
    s.quiet_when_busy = false;
    assert_eq!(
        a.on_change(&msg("4", "c", "v-c", SenderType::Visitor), &s, &busy)
            .len(),
        1
    );
}

#[test]
fn a_catch_up_makes_one_summary() {
    let s = AlertSettings::default();
    let mut a = Alerter::new(&[
        chat("a", ChatStatus::InProgress, Some("me")),
        chat("b", ChatStatus::InProgress, Some("me")),
    ]);
    online(&mut a, &s);
    a.on_change(
        &Change::Connection {
            state: ConnectionState::Reconnecting {
                attempt: 1,
                next_in_ms: 500,
            },
        },
        &s,
        &attention(),
    );
    a.on_change(
        &Change::Connection {
            state: ConnectionState::Online,
        },
        &s,
        &attention(),
    );
    for (i, c) in ["a", "a", "b", "a", "b", "a", "b"].iter().enumerate() {
        let m = msg(&format!("m{i}"), c, &format!("v-{c}"), SenderType::Visitor);
        assert!(a.on_change(&m, &s, &attention()).is_empty());
    }
    let done = a.on_change(
        &Change::CaughtUp {
            messages: 7,
            chats: 2,
        },
        &s,
        &attention(),
    );
    assert_eq!(
        done,
        [Alert::Summary {
            messages: 7,
            chats: 2,
            chat_id: None
        }]
    );
    // Live again: one each.
    let live = a.on_change(&msg("m9", "a", "v-a", SenderType::Visitor), &s, &attention());
    assert_eq!(live.len(), 1);
}

#[test]
fn a_queued_chat_rings_until_accepted() {
    let s = AlertSettings {
        repeat_queue_secs: 30,
        ..Default::default()
    };
    let mut a = Alerter::new(&[]);
    online(&mut a, &s);
    let at = attention();
    a.on_change(
        &Change::Chat {
            chat: Box::new(chat("q", ChatStatus::Pending, None)),
        },
        &s,
        &at,
    );
    a.on_change(&msg("1", "q", "v-q", SenderType::Visitor), &s, &at);
    let first = a.due(1_000, &s, &at);
    assert!(
        matches!(&first[..], [Alert::Queued { repeat: 0, preview: Some(p), .. }] if p == "text 1"),
        "{first:?}"
    );
    assert!(a.due(20_000, &s, &at).is_empty(), "not yet");
    assert!(matches!(
        &a.due(31_000, &s, &at)[..],
        [Alert::Queued { repeat: 1, .. }]
    ));
    // The hub's "new chat" notification repeats the ring: not shown.
    let n = Change::Notification {
        notification: Box::new(Notification {
            id: "n1".into(),
            kind: NotificationType::Info,
            title: "New chat".into(),
            message: "Visitor q".into(),
            data: Some(serde_json::json!({"chatId": "q"})),
            created_at: "t".into(),
            read: Some(false),
        }),
    };
    assert!(a.on_change(&n, &s, &at).is_empty());
    // Accepted (by anyone): it stops.
    a.on_change(
        &Change::Chat {
            chat: Box::new(chat("q", ChatStatus::InProgress, Some("ana"))),
        },
        &s,
        &at,
    );
    assert!(a.due(100_000, &s, &at).is_empty());
    assert!(!a.is_queued("q"));
}

#[test]
fn the_queue_has_one_reminder_about_its_longest_wait_not_one_per_chat() {
    let s = AlertSettings {
        repeat_queue_secs: 60,
        ..Default::default()
    };
    let at = attention();
    let queued = |id: &str, created: &str| {
        crate::fixtures::chat(id)
            .visitor(&format!("v-{id}"), &format!("Visitor {id}"))
            .times(created, created)
            .build()
    };
    let mut a = Alerter::new(&[
        queued("late", "2026-12-01T10:02:00.000Z"),
        queued("early", "2026-12-01T10:00:00.000Z"),
    ]);
    online(&mut a, &s);
    let first = a.due(0, &s, &at);
    assert_eq!(first.len(), 2, "each new chat rings once: {first:?}");
    // A third comes 30 s later: it rings, and moves the reminder on.
    a.on_change(
        &Change::Chat {
            chat: Box::new(queued("third", "2026-12-01T10:03:00.000Z")),
        },
        &s,
        &at,
    );
    assert!(matches!(
        &a.due(30_000, &s, &at)[..],
        [Alert::Queued {
            repeat: 0,
            waiting: 3,
            ..
        }]
    ));
    assert!(
        a.due(61_000, &s, &at).is_empty(),
        "60 s after the last ring, not the first"
    );
    let reminder = a.due(90_000, &s, &at);
    assert!(
        matches!(&reminder[..], [Alert::Queued { chat_id, repeat: 1, waiting: 3, visitor, .. }]
            if chat_id == "early" && visitor == "Visitor early"),
        "one reminder, about the longest wait: {reminder:?}"
    );
    assert!(a.due(120_000, &s, &at).is_empty());
    assert!(matches!(
        &a.due(150_000, &s, &at)[..],
        [Alert::Queued { repeat: 2, .. }]
    ));
    // The longest wait is accepted: the next reminder is about the next one.
    a.on_change(
        &Change::Chat {
            chat: Box::new(chat("early", ChatStatus::InProgress, Some("ana"))),
        },
        &s,
        &at,
    );
    let next = a.due(210_000, &s, &at);
    assert!(
        matches!(&next[..], [Alert::Queued { chat_id, waiting: 2, .. }] if chat_id == "late"),
        "{next:?}"
    );
}

#[test]
fn repeat_off_rings_once_and_a_muted_queue_chat_stays_quiet() {
    let mut s = AlertSettings {
        repeat_queue_secs: 0,
        ..Default::default()
    };
    let mut a = Alerter::new(&[
        chat("q", ChatStatus::Pending, None),
        chat("m", ChatStatus::Pending, None),
    ]);
    s.muted.insert("m".into());
    let at = attention();
    let first = a.due(0, &s, &at);
    assert_eq!(first.len(), 1, "the muted one is quiet: {first:?}");
    assert!(a.due(1_000_000, &s, &at).is_empty());
}

#[test]
fn server_notifications_ring_once() {
    let s = AlertSettings::default();
    let mut a = Alerter::new(&[]);
    online(&mut a, &s);
    let n = Change::Notification {
        notification: Box::new(Notification {
            id: "n1".into(),
            kind: NotificationType::Warning,
            title: "Queue is long".into(),
            message: "12 waiting".into(),
            data: None,
            created_at: "t".into(),
            read: Some(false),
        }),
    };
    assert_eq!(a.on_change(&n, &s, &attention()).len(), 1);
    assert!(a.on_change(&n, &s, &attention()).is_empty());
}
