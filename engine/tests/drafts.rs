//! Drafts against the real hub: kept per chat in the cache across an
//! engine restart, carried by the chat's inbox entry, cleared by sending.
#![allow(clippy::unwrap_used)]

mod common;

use common::{engine, wait_change};
use switchboard_engine::{Change, Draft, EngineError};
use switchboard_hub::testkit::{TempDir, TestHub, Visitor};

/// A hub that takes messages of 5 characters at most, a visitor's chat
/// on it, and an engine caught up with it (its data kept in `_dirs`).
struct Strict {
    hub: TestHub,
    visitor: Visitor,
    engine: switchboard_engine::Engine,
    changes: tokio::sync::broadcast::Receiver<Change>,
    _dirs: (TempDir, TempDir),
}

impl Strict {
    async fn start(tag: &str, visitor: &str) -> Self {
        let dir = TempDir::new(tag);
        let mut config = TestHub::config(dir.path());
        config.limits.max_content_chars = 5;
        let hub = TestHub::start_with(config).await;
        let visitor = Visitor::opens_chat(&hub.url(), visitor, "hola").await;
        let data = TempDir::new(&format!("{tag}-engine"));
        let engine = engine(&hub.url(), data.path()).await;
        let mut changes = engine.subscribe();
        engine.start();
        wait_change(&mut changes, 10, "catch-up", |c| {
            matches!(c, Change::CaughtUp { .. })
        })
        .await;
        Self {
            hub,
            visitor,
            engine,
            changes,
            _dirs: (dir, data),
        }
    }
}

fn draft(content: &str, internal: bool) -> Draft {
    Draft {
        content: content.to_owned(),
        internal,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_draft_survives_a_restart_and_sending_clears_it() {
    let mut hub = TestHub::start().await;
    let ana = Visitor::opens_chat(&hub.url(), "Ana", "hola").await;
    let bea = Visitor::opens_chat(&hub.url(), "Bea", "buenas").await;
    let data = TempDir::new("drafts");

    let first = engine(&hub.url(), data.path()).await;
    let mut changes = first.subscribe();
    first.start();
    wait_change(&mut changes, 10, "catch-up", |c| {
        matches!(c, Change::CaughtUp { .. })
    })
    .await;

    // Each chat its own draft; saving publishes the chat with it.
    first
        .save_draft(&ana.chat_id, &draft("Hola Ana, ¿me das", false))
        .unwrap();
    let published = wait_change(
        &mut changes,
        5,
        "Ana's chat with its draft",
        |c| matches!(c, Change::Chat { chat } if chat.chat_id == ana.chat_id),
    )
    .await;
    let Change::Chat { chat } = published else {
        unreachable!()
    };
    assert_eq!(chat.draft, Some(draft("Hola Ana, ¿me das", false)));
    first
        .save_draft(&bea.chat_id, &draft("Cliente VIP", true))
        .unwrap();
    // A later save replaces the earlier one.
    first
        .save_draft(&ana.chat_id, &draft("Hola Ana, ¿me das tu pedido?", false))
        .unwrap();
    first.shutdown().await;
    drop(first);

    // A new engine on the same data (a restart, or after a crash: each
    // save is committed when it returns) has both.
    let second = engine(&hub.url(), data.path()).await;
    let held = |id: &str| second.chat(id).unwrap().unwrap().draft;
    assert_eq!(
        held(&ana.chat_id),
        Some(draft("Hola Ana, ¿me das tu pedido?", false))
    );
    assert_eq!(held(&bea.chat_id), Some(draft("Cliente VIP", true)));
    assert!(
        second
            .chats()
            .unwrap()
            .iter()
            .all(|c| c.draft.is_some() == (c.chat_id == ana.chat_id || c.chat_id == bea.chat_id)),
        "the inbox lists the drafts"
    );

    // Sending clears the chat's draft, and only that one.
    let mut changes = second.subscribe();
    second.start();
    second
        .send(&ana.chat_id, "Hola Ana, ¿me das tu pedido?", false)
        .unwrap();
    assert_eq!(held(&ana.chat_id), None);
    assert_eq!(held(&bea.chat_id), Some(draft("Cliente VIP", true)));
    wait_change(
        &mut changes,
        5,
        "Ana's chat without its draft",
        |c| matches!(c, Change::Chat { chat } if chat.chat_id == ana.chat_id && chat.draft.is_none()),
    )
    .await;

    // Emptied (no text, reply mode): gone. A note mode alone is kept.
    second.save_draft(&bea.chat_id, &draft("", true)).unwrap();
    assert_eq!(held(&bea.chat_id), Some(draft("", true)));
    second.save_draft(&bea.chat_id, &draft("", false)).unwrap();
    assert_eq!(held(&bea.chat_id), None);

    // Bad input: a clear error, nothing kept.
    let unknown = second.save_draft("no-such-chat", &draft("x", false)).unwrap_err();
    assert!(matches!(unknown, EngineError::UnknownChat(_)), "{unknown:?}");
    let huge = "a".repeat(Draft::MAX_CHARS + 1);
    let too_long = second.save_draft(&bea.chat_id, &draft(&huge, false)).unwrap_err();
    assert!(matches!(too_long, EngineError::TooLong { .. }), "{too_long:?}");
    assert_eq!(held(&bea.chat_id), None);

    second.shutdown().await;
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staged_files_survive_a_restart_and_are_sent_once() {
    let mut hub = TestHub::start().await;
    let rita = Visitor::opens_chat(&hub.url(), "Rita", "¿me mandas la factura?").await;
    let data = TempDir::new("staged");

    let first = engine(&hub.url(), data.path()).await;
    let mut changes = first.subscribe();
    first.start();
    wait_change(&mut changes, 10, "catch-up", |c| {
        matches!(c, Change::CaughtUp { .. })
    })
    .await;
    let pdf = b"%PDF-1.4\n% factura\n".to_vec();
    let kept = first.stage_file(&rita.chat_id, "factura.pdf", &pdf).unwrap();
    let dropped = first
        .stage_file(&rita.chat_id, "../../borrar.txt", b"nada")
        .unwrap();
    assert_eq!(dropped.file_name, "borrar.txt", "only the name, never a path");
    first.unstage_file(&dropped.id).unwrap();
    first.shutdown().await;
    drop(first);

    // After a restart the tray is there, with the bytes.
    let second = engine(&hub.url(), data.path()).await;
    let staged = second.chat(&rita.chat_id).unwrap().unwrap().staged;
    assert_eq!(staged, vec![kept.clone()]);
    assert_eq!(second.staged_bytes(&kept.id).unwrap(), pdf);

    // Sent: off the tray in the same step, delivered once, with its caption.
    second.start();
    let local = second.send_staged(&kept.id, "Aquí la tienes", false).unwrap();
    assert!(second.chat(&rita.chat_id).unwrap().unwrap().staged.is_empty());
    assert!(
        second.send_staged(&kept.id, "", false).is_err(),
        "a file is sent once"
    );
    let cmid = local.client_message_id.unwrap();
    let delivered = second
        .wait_delivered(&cmid, std::time::Duration::from_secs(20))
        .await
        .unwrap();
    assert!(
        matches!(delivered, switchboard_engine::Delivery::Sent(_)),
        "{delivered:?}"
    );
    let seen = rita.sees().await;
    let files: Vec<_> = seen
        .iter()
        .filter_map(|m| {
            m.attachment
                .as_ref()
                .map(|a| (a.file_name.as_str(), m.content.as_str()))
        })
        .collect();
    assert_eq!(files, [("factura.pdf", "Aquí la tienes")]);

    // Bad input: clear errors.
    let huge = vec![0u8; switchboard_protocol::DEFAULT_MAX_UPLOAD_BYTES as usize + 1];
    assert!(matches!(
        second.stage_file(&rita.chat_id, "big.bin", &huge),
        Err(EngineError::FileTooLarge { .. })
    ));
    assert!(matches!(
        second.stage_file("no-such-chat", "a.txt", b"a"),
        Err(EngineError::UnknownChat(_))
    ));
    assert!(second.unstage_file("no-such-file").is_err());
    second.shutdown().await;
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_the_server_dropped_before_its_message_went_is_uploaded_again() {
    use switchboard_engine::Delivery;
    // A hub that refuses the caption: the upload passes, the message fails.
    let strict = Strict::start("dropped-upload", "Vito").await;
    let (mut hub, vito, e) = (strict.hub, strict.visitor, strict.engine);
    let pdf = b"%PDF-1.4\n% contrato\n".to_vec();
    let staged = e.stage_file(&vito.chat_id, "contrato.pdf", &pdf).unwrap();
    let local = e.send_staged(&staged.id, "el contrato firmado", false).unwrap();
    let cmid = local.client_message_id.unwrap();
    let failed = e
        .wait_delivered(&cmid, std::time::Duration::from_secs(20))
        .await
        .unwrap();
    assert!(matches!(failed, Delivery::Failed(_)), "{failed:?}");

    // The hub comes back with normal limits, and without that upload.
    hub.stop().await;
    let db = rusqlite::Connection::open(&hub.db).unwrap();
    assert_eq!(
        db.execute("DELETE FROM files", []).unwrap(),
        1,
        "the upload was made once"
    );
    drop(db);
    hub.restart_with(|c| c.limits = switchboard_hub::testkit::test_limits())
        .await;

    // Retried: uploaded again, sent once, and its file is there.
    e.retry(&cmid).unwrap();
    let sent = e
        .wait_delivered(&cmid, std::time::Duration::from_secs(30))
        .await
        .unwrap();
    let Delivery::Sent(m) = sent else {
        panic!("not sent: {sent:?}")
    };
    let url = m.attachment.expect("an attachment").url;
    let bytes = reqwest::get(format!("{}{url}", hub.url()))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(
        bytes.as_ref(),
        &pdf[..],
        "the file of the message is the one sent"
    );
    let on_server: Vec<_> = vito
        .sees()
        .await
        .into_iter()
        .filter(|m| m.attachment.is_some())
        .collect();
    assert_eq!(on_server.len(), 1, "sent once");
    e.shutdown().await;
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_message_is_marked_on_its_chat_and_can_be_discarded() {
    use switchboard_engine::Delivery;
    // A hub that takes 5 characters at most: a longer reply is refused.
    let strict = Strict::start("refused", "Rosa").await;
    let (mut hub, rosa, e, mut changes) = (strict.hub, strict.visitor, strict.engine, strict.changes);

    let cmid = e
        .send(&rosa.chat_id, "demasiado largo", false)
        .unwrap()
        .client_message_id
        .unwrap();
    let failed = e
        .wait_delivered(&cmid, std::time::Duration::from_secs(20))
        .await
        .unwrap();
    assert!(matches!(failed, Delivery::Failed(_)), "{failed:?}");
    // The chat's entry says so, published and on reading it again.
    wait_change(
        &mut changes,
        10,
        "Rosa's chat with one failed",
        |c| matches!(c, Change::Chat { chat } if chat.chat_id == rosa.chat_id && chat.failed == 1),
    )
    .await;
    assert_eq!(e.chat(&rosa.chat_id).unwrap().unwrap().failed, 1);

    // Discarded: it leaves the timeline and the chat, for good.
    e.discard(&cmid).unwrap();
    wait_change(
        &mut changes,
        5,
        "the message discarded",
        |c| matches!(c, Change::Discarded { client_message_id, .. } if *client_message_id == cmid),
    )
    .await;
    wait_change(
        &mut changes,
        5,
        "Rosa's chat with none failed",
        |c| matches!(c, Change::Chat { chat } if chat.chat_id == rosa.chat_id && chat.failed == 0),
    )
    .await;
    assert!(
        e.messages(&rosa.chat_id, None, 50)
            .unwrap()
            .iter()
            .all(|m| m.client_message_id.as_deref() != Some(cmid.as_str())),
        "not in the timeline"
    );
    assert!(matches!(e.discard(&cmid), Err(EngineError::UnknownMessage(_))));

    // A message still on its way cannot be discarded: it may be arriving.
    hub.stop().await;
    let pending = e
        .send(&rosa.chat_id, "hola", false)
        .unwrap()
        .client_message_id
        .unwrap();
    assert!(matches!(e.discard(&pending), Err(EngineError::UnknownMessage(_))));
    assert!(matches!(e.delivery(&pending).unwrap(), Delivery::Pending { .. }));
    e.shutdown().await;
}
