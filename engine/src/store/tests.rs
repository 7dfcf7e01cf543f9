//! The local cache's own tests.

use super::*;

#[test]
fn migrations_are_valid() {
    migrations().validate().unwrap();
}

fn msg(id: &str, at: i64, sender: &str, cmid: Option<&str>) -> Message {
    Message {
        message_id: id.into(),
        chat_id: "c1".into(),
        sender_id: sender.into(),
        sender_type: if sender == "v" {
            SenderType::Visitor
        } else {
            SenderType::Agent
        },
        content: format!("hola número {id}"),
        kind: MessageType::Text,
        is_internal: false,
        is_first_response: false,
        sent_at: format_millis(at),
        client_message_id: cmid.map(str::to_owned),
        attachment: None,
    }
}

fn summary() -> ChatSummary {
    ChatSummary {
        chat_id: "c1".into(),
        visitor: VisitorInfo {
            id: "v".into(),
            name: "Ana".into(),
            email: None,
            context: None,
        },
        status: ChatStatus::Pending,
        assignee_id: None,
        last_message: None,
        subject: None,
        created_at: format_millis(1),
        updated_at: format_millis(1),
        tags: None,
        my_read_marker: None,
    }
}

/// An agent of the test hub.
fn agent(id: &str) -> Agent {
    Agent {
        id: id.into(),
        email: format!("{id}@example.com"),
        name: id.into(),
        role: "agent".into(),
    }
}

fn temp_store() -> (Store, PathBuf) {
    let dir = std::env::temp_dir().join(format!("sb-store-{}", uuid::Uuid::new_v4()));
    let (s, aside) = Store::open(&dir.join("cache.db")).unwrap();
    assert!(aside.is_none());
    s.set_account("http://hub.test", &agent("me")).unwrap();
    (s, dir)
}

/// A store holding chat `c1` and these messages.
fn store_with(messages: &[Message]) -> (Store, PathBuf) {
    let (mut s, dir) = temp_store();
    s.write(|tx| {
        upsert_chat(tx, &summary(), &mut Seen::default())?;
        insert_messages(tx, messages, &mut Seen::default())
    })
    .unwrap();
    (s, dir)
}

/// Closes the store, then removes its folder: Windows refuses to
/// delete a file that is open.
fn close(s: Store, dir: &Path) {
    drop(s);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn messages_are_deduplicated_and_settle_the_outbox() {
    let (mut s, dir) = temp_store();
    s.write(|tx| {
        upsert_chat(tx, &summary(), &mut Seen::default())?;
        enqueue(
            tx,
            &OutboxEntry {
                client_message_id: "k1".into(),
                chat_id: "c1".into(),
                content: "mine".into(),
                kind: MessageType::Text,
                is_internal: false,
                attachment: None,
                created_at: 5,
                attempts: 0,
                failed: false,
                last_error: None,
                held: false,
                upload: None,
            },
        )
    })
    .unwrap();
    assert_eq!(
        all_messages(s.conn(), "c1", "me").unwrap()[0].status,
        DeliveryStatus::Sending
    );
    let batch = [
        msg("m1", 10, "v", None),
        msg("m2", 11, "me", Some("k1")),
        msg("m1", 10, "v", None),
    ];
    let mut seen = Seen::default();
    let ins = s.write(|tx| insert_messages(tx, &batch, &mut seen)).unwrap();
    assert_eq!(ins.new.len(), 2);
    assert_eq!(ins.settled, ["k1"]);
    let again = s.write(|tx| insert_messages(tx, &batch, &mut seen)).unwrap();
    assert!(again.new.is_empty());
    let all = all_messages(s.conn(), "c1", "me").unwrap();
    assert_eq!(all.len(), 2);
    assert!(all.iter().all(|m| m.status == DeliveryStatus::Sent));
    close(s, &dir);
}

#[test]
fn unread_counts_follow_the_read_marker() {
    let (mut s, dir) = store_with(&[
        msg("m1", 10, "v", None),
        msg("m2", 11, "me", None),
        msg("m3", 12, "v", None),
    ]);
    assert_eq!(unread(s.conn(), "c1").unwrap(), 2);
    assert!(s.write(|tx| set_read_marker(tx, "c1", "m1", 10)).unwrap());
    assert_eq!(unread(s.conn(), "c1").unwrap(), 1);
    assert!(
        !s.write(|tx| set_read_marker(tx, "c1", "m0", 5)).unwrap(),
        "never moves back"
    );
    assert_eq!(
        total_unread(s.conn(), "me").unwrap(),
        0,
        "a queued chat is not mine: its unread is not in the total"
    );
    let held_by = |assignee: &str, status| ChatSummary {
        status,
        assignee_id: Some(assignee.into()),
        updated_at: format_millis(20),
        ..summary()
    };
    s.write(|tx| upsert_chat(tx, &held_by("sam", ChatStatus::InProgress), &mut Seen::default()))
        .unwrap();
    assert_eq!(total_unread(s.conn(), "me").unwrap(), 0, "a colleague's chat");
    s.write(|tx| upsert_chat(tx, &held_by("me", ChatStatus::InProgress), &mut Seen::default()))
        .unwrap();
    assert_eq!(
        total_unread(s.conn(), "me").unwrap(),
        1,
        "mine: after the marker, not my own"
    );
    close(s, &dir);
}

/// The unread count as a scan would find it: the oracle for the kept ones.
fn recounted(conn: &Connection, chat_id: &str, me: &str) -> u64 {
    conn.query_row(
        "SELECT COUNT(*) FROM messages WHERE chat_id = ?1 AND sender_type != 'system' AND sender_id != ?2
           AND sent_at > COALESCE((SELECT sent_at FROM read_markers WHERE chat_id = ?1), -1)",
        [chat_id, me],
        |r| r.get::<_, i64>(0),
    )
    .unwrap() as u64
}

#[test]
fn kept_unread_counts_always_match_a_recount() {
    let (mut s, dir) = temp_store();
    let chats = ["c1", "c2", "c3"];
    for c in chats {
        let chat = ChatSummary {
            chat_id: c.into(),
            status: ChatStatus::InProgress,
            assignee_id: Some("me".into()),
            ..summary()
        };
        s.write(|tx| upsert_chat(tx, &chat, &mut Seen::default()))
            .unwrap();
    }
    // A small deterministic generator: batches of visitor, own, system
    // and repeated messages, out of order, with markers moving between.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = |n: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % n
    };
    let mut held: Vec<(String, String, i64)> = Vec::new();
    for round in 0..60 {
        let mut batch = Vec::new();
        for _ in 0..next(8) {
            let c = chats[next(3) as usize];
            let id = if !held.is_empty() && next(5) == 0 {
                held[next(held.len() as u64) as usize].0.clone()
            } else {
                format!("m{round}-{}", batch.len())
            };
            let at = 100 + next(2_000) as i64;
            let mut m = msg(&id, at, ["v", "me", "sam"][next(3) as usize], None);
            m.chat_id = c.into();
            if next(7) == 0 {
                m.sender_type = SenderType::System;
                m.sender_id = c.into();
            }
            batch.push(m);
        }
        s.write(|tx| insert_messages(tx, &batch, &mut Seen::default()))
            .unwrap();
        for m in &batch {
            if let Some((chat, at)) = message_position(s.conn(), &m.message_id).unwrap() {
                held.push((m.message_id.clone(), chat, at));
            }
        }
        if !held.is_empty() && next(3) == 0 {
            let (id, chat, at) = held[next(held.len() as u64) as usize].clone();
            s.write(|tx| set_read_marker(tx, &chat, &id, at)).unwrap();
        }
        let mut sum = 0;
        for c in chats {
            let want = recounted(s.conn(), c, "me");
            assert_eq!(unread(s.conn(), c).unwrap(), want, "{c} after round {round}");
            sum += want;
        }
        assert_eq!(total_unread(s.conn(), "me").unwrap(), sum, "round {round}");
    }
    // Another agent on this cache: everything recounted for them.
    s.set_account("http://hub.test", &agent("sam")).unwrap();
    for c in chats {
        assert_eq!(
            unread(s.conn(), c).unwrap(),
            recounted(s.conn(), c, "sam"),
            "{c} for Sam"
        );
    }
    close(s, &dir);
}

#[test]
fn a_cache_from_before_kept_counts_is_counted_once_when_migrated() {
    let dir = std::env::temp_dir().join(format!("sb-store-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("cache.db");
    {
        let mut conn = Connection::open(&path).unwrap();
        configure(&conn).unwrap();
        migrations().to_version(&mut conn, 6).unwrap();
        conn.execute(
            "INSERT INTO account (id, server_url, agent_id, email, name, role)
             VALUES (1, 'http://hub.test', 'me', 'me@example.com', 'Me', 'agent')",
            [],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO chats (chat_id, visitor_id, visitor_name, status, created_at, updated_at)
             VALUES ('c1', 'v', 'Ana', 'PENDING', 1, 1)",
            [],
        )
        .unwrap();
        for (i, sender) in ["v", "me", "v", "v"].iter().enumerate() {
            conn.execute(
                "INSERT INTO messages (message_id, chat_id, sender_id, sender_type, content, type,
                                       is_internal, is_first_response, sent_at)
                 VALUES (?1, 'c1', ?2, ?3, 'hola', 'text', 0, 0, ?4)",
                params![
                    format!("m{i}"),
                    sender,
                    if *sender == "v" { "visitor" } else { "agent" },
                    10 + i as i64
                ],
            )
            .unwrap();
        }
        conn.execute(
            "INSERT INTO read_markers (chat_id, message_id, sent_at) VALUES ('c1', 'm0', 10)",
            [],
        )
        .unwrap();
    }
    let (s, aside) = Store::open(&path).unwrap();
    assert!(aside.is_none());
    assert_eq!(unread(s.conn(), "c1").unwrap(), 2, "m2 and m3");
    close(s, &dir);
}

#[test]
fn the_whole_file_is_checked_only_after_an_unclean_exit() {
    let (mut s, dir) = temp_store();
    let path = dir.join("cache.db");
    let many: Vec<Message> = (0..400)
        .map(|i| msg(&format!("m{i}"), 10 + i, "v", None))
        .collect();
    s.write(|tx| {
        upsert_chat(tx, &summary(), &mut Seen::default())?;
        insert_messages(tx, &many, &mut Seen::default())
    })
    .unwrap();
    assert!(open_mark(&path).exists(), "marked while open");
    s.conn()
        .pragma_update(None, "wal_checkpoint", "TRUNCATE")
        .unwrap();
    drop(s);
    assert!(!open_mark(&path).exists(), "a clean close takes the mark away");
    // Damage a page deep in the file (not the header).
    let mut bytes = std::fs::read(&path).unwrap();
    let page = 4096;
    assert!(bytes.len() > 8 * page, "{} bytes", bytes.len());
    for b in &mut bytes[5 * page + 8..6 * page] {
        *b = 0xA5;
    }
    std::fs::write(&path, &bytes).unwrap();
    // After a clean close the open is quick: the damage is not looked for.
    let (s, aside) = Store::open(&path).unwrap();
    assert!(aside.is_none(), "a clean close is trusted");
    // The process dies with it open: the mark stays (made here by hand,
    // as a kill leaves it), and the next open checks the file, moves it
    // aside and starts afresh.
    drop(s);
    std::fs::write(open_mark(&path), b"").unwrap();
    let (s, aside) = Store::open(&path).unwrap();
    let aside = aside.expect("checked and moved aside");
    assert!(aside.exists());
    assert!(s.account().unwrap().is_none(), "a fresh cache");
    close(s, &dir);
}

#[test]
fn search_finds_words_and_survives_fts_syntax() {
    let (s, dir) = store_with(&[msg("m1", 10, "v", None), msg("m2", 11, "v", None)]);
    assert_eq!(search(s.conn(), "númer", 10).unwrap().len(), 2);
    assert_eq!(search(s.conn(), "m2", 10).unwrap().len(), 1);
    assert!(search(s.conn(), "\"unbalanced AND (", 10).unwrap().is_empty());
    // Newest first, the matched words marked, diacritics folded.
    let hits = search(s.conn(), "numero", 10).unwrap();
    assert_eq!(hits[0].message.message_id.as_deref(), Some("m2"));
    assert_eq!(hits[0].snippet, "hola \u{2}número\u{3} m2");
    close(s, &dir);
}

#[test]
fn a_page_around_a_message_holds_it_what_came_before_and_what_follows() {
    let messages: Vec<Message> = (0..30)
        .map(|i| msg(&format!("m{i:02}"), 100 + i, "v", None))
        .collect();
    let (s, dir) = store_with(&messages);
    let ids =
        |page: &[LocalMessage]| -> Vec<String> { page.iter().filter_map(|m| m.message_id.clone()).collect() };
    let (page, newer) = messages_around(s.conn(), "c1", "m10", 3, 5, "me")
        .unwrap()
        .unwrap();
    assert_eq!(
        ids(&page),
        ["m07", "m08", "m09", "m10", "m11", "m12", "m13", "m14"]
    );
    assert!(newer, "more follow");
    let (page, newer) = messages_around(s.conn(), "c1", "m27", 2, 50, "me")
        .unwrap()
        .unwrap();
    assert_eq!(ids(&page), ["m25", "m26", "m27", "m28", "m29"]);
    assert!(!newer, "up to the newest");
    assert!(
        messages_around(s.conn(), "c1", "nope", 2, 5, "me")
            .unwrap()
            .is_none()
    );
    assert!(
        messages_around(s.conn(), "other-chat", "m10", 2, 5, "me")
            .unwrap()
            .is_none(),
        "only in its own chat"
    );
    close(s, &dir);
}

#[test]
fn a_corrupt_file_is_moved_aside_and_rebuilt() {
    let dir = std::env::temp_dir().join(format!("sb-store-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("cache.db");
    std::fs::write(
        &path,
        b"this is not a database, just garbage bytes .................",
    )
    .unwrap();
    let (s, aside) = Store::open(&path).unwrap();
    let aside = aside.expect("moved aside");
    assert!(aside.exists());
    assert!(s.account().unwrap().is_none());
    close(s, &dir);
}

#[test]
fn a_corrupt_row_is_refused_and_never_defaulted() {
    let (s, dir) = store_with(&[msg("m1", 10, "v", None)]);
    assert_eq!(all_messages(s.conn(), "c1", "me").unwrap().len(), 1);
    s.conn()
        .execute(
            "UPDATE messages SET sender_type = 'martian' WHERE message_id = 'm1'",
            [],
        )
        .unwrap();
    let err = all_messages(s.conn(), "c1", "me").unwrap_err();
    assert!(err.to_string().contains("bad sender_type"), "{err}");
    s.conn()
        .execute("UPDATE chats SET status = 'EXPLODED' WHERE chat_id = 'c1'", [])
        .unwrap();
    let err = chat_entries(s.conn(), "me").unwrap_err();
    assert!(err.to_string().contains("bad status"), "{err}");
    close(s, &dir);
}

#[test]
fn pending_actions_show_over_the_servers_state_and_a_refused_one_holds_what_follows() {
    use switchboard_model::actions::{ActionKind, ActionState, QueuedAction};
    let (mut s, dir) = store_with(&[msg("m1", 10, "v", None)]);
    let action = |id: &str, kind| QueuedAction {
        id: id.into(),
        chat_id: Some("c1".into()),
        action: kind,
        state: ActionState::Pending,
        error: None,
        attempts: 0,
        created_at: 0,
    };
    let accept = Overlay {
        status: Some((ChatStatus::InProgress, Some("me".into()))),
        tags: None,
    };
    s.write(|tx| enqueue_action(tx, &action("a1", ActionKind::Accept), &accept))
        .unwrap();
    let reply = OutboxEntry {
        client_message_id: "k1".into(),
        chat_id: "c1".into(),
        content: "hola".into(),
        kind: MessageType::Text,
        is_internal: false,
        attachment: None,
        upload: None,
        created_at: 0,
        attempts: 0,
        failed: false,
        last_error: None,
        held: false,
    };
    s.write(|tx| enqueue(tx, &reply)).unwrap();
    let tags = Overlay {
        status: None,
        tags: Some(vec!["vip".into()]),
    };
    s.write(|tx| {
        enqueue_action(
            tx,
            &action(
                "a2",
                ActionKind::Tags {
                    tags: vec!["vip".into()],
                },
            ),
            &tags,
        )
    })
    .unwrap();
    let shown = chat_entry(s.conn(), "c1", "me").unwrap().unwrap();
    assert_eq!(
        (shown.status, shown.assignee_id.as_deref()),
        (ChatStatus::InProgress, Some("me"))
    );
    assert_eq!(shown.tags, ["vip"]);
    assert_eq!(total_unread(s.conn(), "me").unwrap(), 1, "mine at once");
    // A server event meanwhile writes the server's row; the overlay stays.
    s.write(|tx| set_chat_status(tx, "c1", ChatStatus::Pending, None, 20))
        .unwrap();
    assert_eq!(
        chat_entry(s.conn(), "c1", "me").unwrap().unwrap().status,
        ChatStatus::InProgress
    );
    // One order: the accept, the reply written after it, the tags.
    assert!(matches!(next_queued(s.conn()).unwrap(), Some(Queued::Action(a)) if a.id == "a1"));
    // Refused: undone, and both later items wait.
    s.write(|tx| action_failed(tx, "a1", "another agent holds this chat", true))
        .unwrap();
    let shown = chat_entry(s.conn(), "c1", "me").unwrap().unwrap();
    assert_eq!((shown.status, shown.assignee_id), (ChatStatus::Pending, None));
    assert_eq!(
        shown.tags,
        Vec::<String>::new(),
        "the tags behind it wait too, unseen"
    );
    assert_eq!(shown.held, 2, "the reply and the tags");
    assert_eq!(total_unread(s.conn(), "me").unwrap(), 0);
    assert_eq!(
        next_queued(s.conn()).unwrap(),
        None,
        "nothing behind a refusal goes"
    );
    assert!(outbox_entry(s.conn(), "k1").unwrap().unwrap().held);
    // Let go: the reply goes first, then the tags.
    assert!(s.write(|tx| dismiss_action(tx, "a1")).unwrap().is_some());
    assert_eq!(next_queued(s.conn()).unwrap(), Some(Queued::Message("k1".into())));
    s.write(|tx| tx.execute("DELETE FROM outbox", []).map_err(Into::into))
        .unwrap();
    assert!(matches!(next_queued(s.conn()).unwrap(), Some(Queued::Action(a)) if a.id == "a2"));
    drop(s);
    let _ = std::fs::remove_dir_all(dir);
}
