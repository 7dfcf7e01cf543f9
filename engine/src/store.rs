//! The local cache: one SQLite database (WAL) per account, migrated from the
//! numbered files in the repository's `migrations/`. Chats, messages (unique
//! by `messageId`), the outbox, sync cursors, read markers, notifications
//! and a full-text index. A file that is not a healthy database is moved
//! aside and rebuilt from the server.

use std::{
    path::{Path, PathBuf},
    time::Duration,
};

use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};
use rusqlite_migration::{M, Migrations};
use switchboard_model::{ChatEntry, DeliveryStatus, LocalMessage};
use switchboard_protocol::{
    Agent, Attachment, ChatStatus, ChatSummary, Message, MessageType, Notification, NotificationType,
    SenderType, VisitorInfo,
    time::{format_millis, parse_millis},
};

/// Errors of the local cache.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite failed.
    #[error("local database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The schema could not be brought up to date.
    #[error("local database migration failed: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    /// A file operation on the database failed.
    #[error("local database file error: {0}")]
    Io(#[from] std::io::Error),
}

type Result<T> = std::result::Result<T, StoreError>;

/// The migrations of the local cache, in order.
pub fn migrations() -> Migrations<'static> {
    Migrations::new(vec![
        M::up(include_str!("../../migrations/0001_init.sql")),
        M::up(include_str!("../../migrations/0002_outbox_uploads.sql")),
    ])
}

/// A message waiting in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    /// Idempotency key, also the local id.
    pub client_message_id: String,
    /// The chat.
    pub chat_id: String,
    /// Text.
    pub content: String,
    /// Kind.
    pub kind: MessageType,
    /// Internal note.
    pub is_internal: bool,
    /// Attachment, once uploaded.
    pub attachment: Option<Attachment>,
    /// A file still to upload before the message can be sent.
    pub upload: Option<PendingUpload>,
    /// When it was written (local clock, ms).
    pub created_at: i64,
    /// POST attempts so far.
    pub attempts: u32,
    /// `true` once the server refused it for good.
    pub failed: bool,
    /// The last error.
    pub last_error: Option<String>,
}

/// Which held messages this process has announced (published as changes):
/// every message inserted since it opened the cache, by it or by another
/// process on the same data directory, is announced exactly once.
#[derive(Debug, Default)]
pub struct Seen {
    floor: i64,
    announced: std::collections::HashSet<i64>,
}

impl Seen {
    /// Messages held when the process starts count as known.
    pub fn at_start(conn: &Connection) -> Result<Self> {
        Ok(Self {
            floor: conn.query_row("SELECT COALESCE(MAX(rowid), 0) FROM messages", [], |r| r.get(0))?,
            announced: Default::default(),
        })
    }

    fn first_time(&mut self, rowid: i64) -> bool {
        rowid > self.floor && self.announced.insert(rowid)
    }
}

/// A file waiting in the outbox: a copy kept in the data directory.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PendingUpload {
    /// The copy's path.
    pub path: PathBuf,
    /// The name to show.
    pub file_name: String,
    /// MIME type.
    pub mime_type: String,
    /// Size in bytes.
    pub file_size: u64,
}

/// What inserting a batch of messages did.
#[derive(Debug, Default)]
pub struct Inserted {
    /// Messages to announce: new to the cache, or new to this process.
    pub new: Vec<Message>,
    /// Outbox entries the new messages settled (their client ids).
    pub settled: Vec<String>,
}

/// The local cache of one account.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
}

const MSG_COLS: &str = "message_id, chat_id, sender_id, sender_type, content, type, is_internal, \
    is_first_response, sent_at, client_message_id, attachment";

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")
}

fn healthy(conn: &mut Connection) -> Result<()> {
    configure(conn)?;
    let check: String = conn.query_row("PRAGMA quick_check", [], |r| r.get(0))?;
    if check != "ok" {
        return Err(StoreError::Sqlite(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CORRUPT),
            Some(check),
        )));
    }
    migrations().to_latest(conn)?;
    Ok(())
}

impl Store {
    /// Opens the database at `path`, creating it if needed. A file that is
    /// not a healthy database (or has a schema from the future) is moved to
    /// `<path>.corrupt-<ms>` and a fresh one is made; the path it was moved to
    /// is returned so the caller can say so.
    #[tracing::instrument(level = "debug")]
    pub fn open(path: &Path) -> Result<(Self, Option<PathBuf>)> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let attempt = Connection::open(path)
            .map_err(StoreError::from)
            .and_then(|mut c| {
                healthy(&mut c)?;
                Ok(c)
            });
        match attempt {
            Ok(conn) => Ok((Self { conn }, None)),
            Err(e) => {
                let aside = PathBuf::from(format!(
                    "{}.corrupt-{}",
                    path.display(),
                    std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map(|d| d.as_millis())
                        .unwrap_or_default()
                ));
                tracing::warn!(error = %e, path = %path.display(), aside = %aside.display(),
                    "local cache unreadable; moving it aside and rebuilding from the server");
                std::fs::rename(path, &aside)?;
                for suffix in ["-wal", "-shm"] {
                    let side = PathBuf::from(format!("{}{suffix}", path.display()));
                    if side.exists() {
                        let _ = std::fs::rename(&side, format!("{}{suffix}", aside.display()));
                    }
                }
                let mut conn = Connection::open(path)?;
                healthy(&mut conn)?;
                Ok((Self { conn }, Some(aside)))
            }
        }
    }

    /// Runs `f` in one write transaction.
    pub fn write<T>(&mut self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let v = f(&tx)?;
        tx.commit()?;
        Ok(v)
    }

    /// Read access.
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    // ---------------------------------------------------------------- account

    /// The signed-in agent this cache belongs to.
    pub fn account(&self) -> Result<Option<Agent>> {
        Ok(self
            .conn
            .query_row(
                "SELECT agent_id, email, name, role FROM account WHERE id = 1",
                [],
                |r| {
                    Ok(Agent {
                        id: r.get(0)?,
                        email: r.get(1)?,
                        name: r.get(2)?,
                        role: r.get(3)?,
                    })
                },
            )
            .optional()?)
    }

    /// Records who this cache belongs to.
    pub fn set_account(&self, server_url: &str, agent: &Agent) -> Result<()> {
        self.conn.execute(
            "INSERT INTO account (id, server_url, agent_id, email, name, role) VALUES (1, ?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (id) DO UPDATE SET server_url = ?1, agent_id = ?2, email = ?3, name = ?4, role = ?5",
            params![server_url, agent.id, agent.email, agent.name, agent.role],
        )?;
        Ok(())
    }
}

// -------------------------------------------------------------------- chats

fn ms(s: &str) -> i64 {
    parse_millis(s).unwrap_or(0)
}

/// Inserts or updates a chat from a server summary (never moving
/// `updated_at` back), and its last message (returned if it was new).
pub fn upsert_chat(tx: &Connection, s: &ChatSummary, seen: &mut Seen) -> Result<Inserted> {
    tx.prepare_cached(
        "INSERT INTO chats (chat_id, visitor_id, visitor_name, visitor_email, status, assignee_id, subject,
                            created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT (chat_id) DO UPDATE SET visitor_name = ?3, visitor_email = ?4,
             status = CASE WHEN ?9 >= updated_at THEN ?5 ELSE status END,
             assignee_id = CASE WHEN ?9 >= updated_at THEN ?6 ELSE assignee_id END,
             subject = ?7, updated_at = MAX(updated_at, ?9)",
    )?
    .execute(params![
        s.chat_id,
        s.visitor.id,
        s.visitor.name,
        s.visitor.email,
        s.status.as_str(),
        s.assignee_id,
        s.subject,
        ms(&s.created_at),
        ms(&s.updated_at),
    ])?;
    match &s.last_message {
        Some(m) => insert_messages(tx, std::slice::from_ref(m), seen),
        None => Ok(Inserted::default()),
    }
}

/// Applies a `chat:status` event. Returns `false` for an unknown chat.
pub fn set_chat_status(
    tx: &Connection,
    chat_id: &str,
    status: ChatStatus,
    assignee: Option<&str>,
    at: i64,
) -> Result<bool> {
    Ok(tx
        .prepare_cached(
            "UPDATE chats SET status = ?2, assignee_id = ?3, updated_at = MAX(updated_at, ?4) WHERE chat_id = ?1",
        )?
        .execute(params![chat_id, status.as_str(), assignee, at])?
        > 0)
}

/// Whether a chat is known locally.
pub fn has_chat(conn: &Connection, chat_id: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM chats WHERE chat_id = ?1)")?
        .query_row([chat_id], |r| r.get(0))?)
}

/// Ids of chats that are not closed (their rooms are joined on connect).
pub fn open_chat_ids(conn: &Connection) -> Result<Vec<String>> {
    let mut st =
        conn.prepare_cached("SELECT chat_id FROM chats WHERE status != 'CLOSED' ORDER BY updated_at DESC")?;
    let rows = st.query_map([], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn chat_entry_row(r: &Row<'_>) -> rusqlite::Result<(ChatEntry, i64)> {
    let status: String = r.get(4)?;
    Ok((
        ChatEntry {
            chat_id: r.get(0)?,
            visitor: VisitorInfo {
                id: r.get(1)?,
                name: r.get(2)?,
                email: r.get(3)?,
            },
            status: ChatStatus::parse(&status).unwrap_or(ChatStatus::Pending),
            assignee_id: r.get(5)?,
            subject: r.get(6)?,
            last_message: None,
            created_at: format_millis(r.get(7)?),
            updated_at: format_millis(r.get(8)?),
            unread: 0,
        },
        r.get(8)?,
    ))
}

/// One inbox entry with its last message and unread count for agent `me`.
pub fn chat_entry(conn: &Connection, chat_id: &str, me: &str) -> Result<Option<ChatEntry>> {
    let row = conn
        .prepare_cached(
            "SELECT chat_id, visitor_id, visitor_name, visitor_email, status, assignee_id, subject,
                    created_at, updated_at FROM chats WHERE chat_id = ?1",
        )?
        .query_row([chat_id], chat_entry_row)
        .optional()?;
    let Some((mut entry, _)) = row else {
        return Ok(None);
    };
    entry.last_message = last_message(conn, chat_id, me)?;
    entry.unread = unread(conn, chat_id, me)?;
    Ok(Some(entry))
}

/// Every chat, most recent activity first.
pub fn chat_entries(conn: &Connection, me: &str) -> Result<Vec<ChatEntry>> {
    let ids: Vec<String> = conn
        .prepare_cached("SELECT chat_id FROM chats ORDER BY updated_at DESC, chat_id")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(e) = chat_entry(conn, &id, me)? {
            out.push(e);
        }
    }
    Ok(out)
}

// -------------------------------------------------------------------- messages

fn message_row(r: &Row<'_>) -> rusqlite::Result<Message> {
    let st: String = r.get(3)?;
    let kind: String = r.get(5)?;
    let attachment: Option<String> = r.get(10)?;
    Ok(Message {
        message_id: r.get(0)?,
        chat_id: r.get(1)?,
        sender_id: r.get(2)?,
        sender_type: SenderType::parse(&st).unwrap_or(SenderType::System),
        content: r.get(4)?,
        kind: MessageType::parse(&kind).unwrap_or(MessageType::Text),
        is_internal: r.get(6)?,
        is_first_response: r.get(7)?,
        sent_at: format_millis(r.get(8)?),
        client_message_id: r.get(9)?,
        attachment: attachment.and_then(|a| serde_json::from_str(&a).ok()),
    })
}

/// Inserts server messages, ignoring those already held (by `messageId`);
/// a new message settles the outbox entry with its `clientMessageId`, and
/// moves its chat's `updated_at` forward. `new` lists what this process has
/// not announced yet (see [`Seen`]).
pub fn insert_messages(tx: &Connection, messages: &[Message], seen: &mut Seen) -> Result<Inserted> {
    let mut out = Inserted::default();
    let mut insert = tx.prepare_cached(&format!(
        "INSERT OR IGNORE INTO messages ({MSG_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
    ))?;
    let mut touch =
        tx.prepare_cached("UPDATE chats SET updated_at = MAX(updated_at, ?2) WHERE chat_id = ?1")?;
    let mut settle = tx.prepare_cached("DELETE FROM outbox WHERE client_message_id = ?1")?;
    let mut rowid_of = tx.prepare_cached("SELECT rowid FROM messages WHERE message_id = ?1")?;
    for m in messages {
        let sent_at = ms(&m.sent_at);
        let attachment = m.attachment.as_ref().and_then(|a| serde_json::to_string(a).ok());
        let added = insert.execute(params![
            m.message_id,
            m.chat_id,
            m.sender_id,
            m.sender_type.as_str(),
            m.content,
            m.kind.as_str(),
            m.is_internal,
            m.is_first_response,
            sent_at,
            m.client_message_id,
            attachment
        ])?;
        if added == 0 {
            let rowid: i64 = rowid_of.query_row([&m.message_id], |r| r.get(0))?;
            if seen.first_time(rowid) {
                out.new.push(m.clone());
            }
            continue;
        }
        seen.first_time(tx.last_insert_rowid());
        touch.execute(params![m.chat_id, sent_at])?;
        if let Some(cmid) = &m.client_message_id
            && settle.execute([cmid])? > 0
        {
            out.settled.push(cmid.clone());
        }
        out.new.push(m.clone());
    }
    Ok(out)
}

/// The held message sent with this `clientMessageId`, if any.
pub fn message_by_client_id(conn: &Connection, client_message_id: &str) -> Result<Option<Message>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {MSG_COLS} FROM messages WHERE client_message_id = ?1 LIMIT 1"
        ))?
        .query_row([client_message_id], message_row)
        .optional()?)
}

/// The newest `sentAt` held for a chat.
pub fn newest_sent_at(conn: &Connection, chat_id: &str) -> Result<Option<i64>> {
    Ok(conn
        .prepare_cached("SELECT MAX(sent_at) FROM messages WHERE chat_id = ?1")?
        .query_row([chat_id], |r| r.get(0))?)
}

fn last_message(conn: &Connection, chat_id: &str, me: &str) -> Result<Option<LocalMessage>> {
    let pending = conn
        .prepare_cached(
            "SELECT client_message_id, chat_id, content, type, is_internal, attachment, created_at, attempts,
                    state, last_error, upload FROM outbox WHERE chat_id = ?1 ORDER BY created_at DESC LIMIT 1",
        )?
        .query_row([chat_id], outbox_row)
        .optional()?;
    if let Some(p) = pending {
        return Ok(Some(outbox_message(&p, me)));
    }
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {MSG_COLS} FROM messages WHERE chat_id = ?1 ORDER BY sent_at DESC LIMIT 1"
        ))?
        .query_row([chat_id], message_row)
        .optional()?
        .map(LocalMessage::sent))
}

/// A page of a chat, oldest first: the newest `limit` messages before
/// `before` (ms, exclusive), followed, on the newest page, by what is still
/// in the outbox.
pub fn messages_page(
    conn: &Connection,
    chat_id: &str,
    before: Option<i64>,
    limit: u32,
    me: &str,
) -> Result<Vec<LocalMessage>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT {MSG_COLS} FROM messages WHERE chat_id = ?1 AND (?2 IS NULL OR sent_at < ?2)
         ORDER BY sent_at DESC LIMIT ?3"
    ))?;
    let mut out: Vec<LocalMessage> = st
        .query_map(params![chat_id, before, limit], message_row)?
        .map(|r| r.map(LocalMessage::sent))
        .collect::<rusqlite::Result<_>>()?;
    out.reverse();
    if before.is_none() {
        out.extend(outbox(conn, Some(chat_id))?.iter().map(|e| outbox_message(e, me)));
    }
    Ok(out)
}

/// Every message of a chat held locally, oldest first, then the outbox.
pub fn all_messages(conn: &Connection, chat_id: &str, me: &str) -> Result<Vec<LocalMessage>> {
    messages_page(conn, chat_id, None, u32::MAX, me)
}

/// Full-text search over message text, newest first. Each word of `query`
/// must appear (as a prefix); FTS syntax in the query is taken literally.
pub fn search(conn: &Connection, query: &str, limit: u32) -> Result<Vec<LocalMessage>> {
    let terms: Vec<String> = query
        .split_whitespace()
        .map(|w| format!("\"{}\"*", w.replace('"', "\"\"")))
        .collect();
    if terms.is_empty() {
        return Ok(Vec::new());
    }
    let cols = MSG_COLS
        .split(", ")
        .map(|c| format!("m.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ");
    let mut st = conn.prepare_cached(&format!(
        "SELECT {cols} FROM messages_fts f JOIN messages m ON m.rowid = f.rowid
         WHERE messages_fts MATCH ?1 ORDER BY m.sent_at DESC LIMIT ?2"
    ))?;
    let rows = st.query_map(params![terms.join(" "), limit], message_row)?;
    Ok(rows
        .map(|r| r.map(LocalMessage::sent))
        .collect::<rusqlite::Result<_>>()?)
}

// -------------------------------------------------------------------- unread

/// Unread messages in a chat for agent `me`: from others (not the server,
/// not me), after my read marker. The one definition of "unread" (see
/// `switchboard_model::counts_as_unread`).
pub fn unread(conn: &Connection, chat_id: &str, me: &str) -> Result<u64> {
    Ok(conn
        .prepare_cached(
            "SELECT COUNT(*) FROM messages
             WHERE chat_id = ?1 AND sender_type != 'system' AND sender_id != ?2
               AND sent_at > COALESCE((SELECT sent_at FROM read_markers WHERE chat_id = ?1), -1)",
        )?
        .query_row([chat_id, me], |r| r.get::<_, i64>(0))? as u64)
}

/// Unread messages over every chat that is not closed.
pub fn total_unread(conn: &Connection, me: &str) -> Result<u64> {
    let mut total = 0;
    for id in open_chat_ids(conn)? {
        total += unread(conn, &id, me)?;
    }
    Ok(total)
}

/// Moves a chat's read marker forward (never back). Returns whether it moved.
pub fn set_read_marker(tx: &Connection, chat_id: &str, message_id: &str, sent_at: i64) -> Result<bool> {
    Ok(tx
        .prepare_cached(
            "INSERT INTO read_markers (chat_id, message_id, sent_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (chat_id) DO UPDATE SET message_id = ?2, sent_at = ?3 WHERE ?3 > sent_at",
        )?
        .execute(params![chat_id, message_id, sent_at])?
        > 0)
}

/// Every chat's read marker (chat id, message id).
pub fn read_markers(conn: &Connection) -> Result<Vec<(String, String)>> {
    let mut st = conn.prepare_cached("SELECT chat_id, message_id FROM read_markers")?;
    let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// A held message's chat and `sentAt`.
pub fn message_position(conn: &Connection, message_id: &str) -> Result<Option<(String, i64)>> {
    Ok(conn
        .prepare_cached("SELECT chat_id, sent_at FROM messages WHERE message_id = ?1")?
        .query_row([message_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?)
}

// -------------------------------------------------------------------- cursors

/// A sync cursor.
pub fn cursor(conn: &Connection, scope: &str) -> Result<Option<i64>> {
    Ok(conn
        .prepare_cached("SELECT value FROM sync_cursors WHERE scope = ?1")?
        .query_row([scope], |r| r.get(0))
        .optional()?)
}

/// Moves a sync cursor forward (never back).
pub fn advance_cursor(tx: &Connection, scope: &str, value: i64) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO sync_cursors (scope, value) VALUES (?1, ?2)
         ON CONFLICT (scope) DO UPDATE SET value = MAX(value, ?2)",
    )?
    .execute(params![scope, value])?;
    Ok(())
}

// -------------------------------------------------------------------- outbox

fn outbox_row(r: &Row<'_>) -> rusqlite::Result<OutboxEntry> {
    let kind: String = r.get(3)?;
    let attachment: Option<String> = r.get(5)?;
    let state: String = r.get(8)?;
    Ok(OutboxEntry {
        client_message_id: r.get(0)?,
        chat_id: r.get(1)?,
        content: r.get(2)?,
        kind: MessageType::parse(&kind).unwrap_or(MessageType::Text),
        is_internal: r.get(4)?,
        attachment: attachment.and_then(|a| serde_json::from_str(&a).ok()),
        created_at: r.get(6)?,
        attempts: r.get(7)?,
        failed: state == "failed",
        last_error: r.get(9)?,
        upload: r
            .get::<_, Option<String>>(10)?
            .and_then(|u| serde_json::from_str(&u).ok()),
    })
}

/// An outbox entry as a message in a timeline.
pub fn outbox_message(e: &OutboxEntry, me: &str) -> LocalMessage {
    LocalMessage {
        message_id: None,
        chat_id: e.chat_id.clone(),
        sender_id: me.to_owned(),
        sender_type: SenderType::Agent,
        content: e.content.clone(),
        kind: e.kind,
        is_internal: e.is_internal,
        is_first_response: false,
        sent_at: None,
        client_message_id: Some(e.client_message_id.clone()),
        attachment: e.attachment.clone().or_else(|| {
            e.upload.as_ref().map(|u| Attachment {
                url: url::Url::from_file_path(&u.path)
                    .map(String::from)
                    .unwrap_or_else(|()| u.path.display().to_string()),
                file_name: u.file_name.clone(),
                file_size: u.file_size,
                mime_type: u.mime_type.clone(),
            })
        }),
        status: if e.failed {
            DeliveryStatus::Failed
        } else {
            DeliveryStatus::Sending
        },
        error: e.last_error.clone(),
    }
}

/// Adds a message to the outbox.
pub fn enqueue(tx: &Connection, e: &OutboxEntry) -> Result<()> {
    tx.execute(
        "INSERT INTO outbox (client_message_id, chat_id, content, type, is_internal, attachment, created_at, upload)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            e.client_message_id,
            e.chat_id,
            e.content,
            e.kind.as_str(),
            e.is_internal,
            e.attachment.as_ref().and_then(|a| serde_json::to_string(a).ok()),
            e.created_at,
            e.upload.as_ref().and_then(|u| serde_json::to_string(u).ok())
        ],
    )?;
    Ok(())
}

/// Outbox entries (of one chat, or all), oldest first.
pub fn outbox(conn: &Connection, chat_id: Option<&str>) -> Result<Vec<OutboxEntry>> {
    let mut st = conn.prepare_cached(
        "SELECT client_message_id, chat_id, content, type, is_internal, attachment, created_at, attempts,
                state, last_error, upload FROM outbox WHERE (?1 IS NULL OR chat_id = ?1) ORDER BY created_at, rowid",
    )?;
    let rows = st.query_map([chat_id], outbox_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// One outbox entry.
pub fn outbox_entry(conn: &Connection, client_message_id: &str) -> Result<Option<OutboxEntry>> {
    Ok(conn
        .prepare_cached(
            "SELECT client_message_id, chat_id, content, type, is_internal, attachment, created_at, attempts,
                    state, last_error, upload FROM outbox WHERE client_message_id = ?1",
        )?
        .query_row([client_message_id], outbox_row)
        .optional()?)
}

/// Records that an entry's file is on the server: the message can be sent.
pub fn outbox_uploaded(tx: &Connection, cmid: &str, attachment: &Attachment) -> Result<()> {
    tx.execute(
        "UPDATE outbox SET attachment = ?2, upload = NULL WHERE client_message_id = ?1",
        params![cmid, serde_json::to_string(attachment).unwrap_or_default()],
    )?;
    Ok(())
}

/// Records a failed attempt; `permanent` marks the entry failed (retryable by hand).
pub fn outbox_attempt_failed(tx: &Connection, cmid: &str, error: &str, permanent: bool) -> Result<()> {
    tx.execute(
        "UPDATE outbox SET attempts = attempts + 1, last_error = ?2,
             state = CASE WHEN ?3 THEN 'failed' ELSE state END
         WHERE client_message_id = ?1",
        params![cmid, error, permanent],
    )?;
    Ok(())
}

/// Puts a failed entry back in line. Returns whether there was one.
pub fn outbox_retry(tx: &Connection, cmid: &str) -> Result<bool> {
    Ok(tx.execute(
        "UPDATE outbox SET state = 'pending', last_error = NULL WHERE client_message_id = ?1",
        [cmid],
    )? > 0)
}

// -------------------------------------------------------------------- notifications

/// Stores a notification (once).
pub fn upsert_notification(tx: &Connection, n: &Notification) -> Result<bool> {
    Ok(tx
        .prepare_cached(
            "INSERT INTO notifications (id, type, title, message, data, created_at, read)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (id) DO UPDATE SET read = MAX(read, ?7)",
        )?
        .execute(params![
            n.id,
            n.kind.as_str(),
            n.title,
            n.message,
            n.data.as_ref().map(|d| d.to_string()),
            ms(&n.created_at),
            n.read.unwrap_or(false)
        ])?
        > 0)
}

/// Notifications, newest first.
pub fn notifications(conn: &Connection, limit: u32) -> Result<Vec<Notification>> {
    let mut st = conn.prepare_cached(
        "SELECT id, type, title, message, data, created_at, read FROM notifications
         ORDER BY created_at DESC LIMIT ?1",
    )?;
    let rows = st.query_map([limit], |r| {
        let kind: String = r.get(1)?;
        let data: Option<String> = r.get(4)?;
        Ok(Notification {
            id: r.get(0)?,
            kind: NotificationType::parse(&kind).unwrap_or(NotificationType::Info),
            title: r.get(2)?,
            message: r.get(3)?,
            data: data.and_then(|d| serde_json::from_str(&d).ok()),
            created_at: format_millis(r.get(5)?),
            read: Some(r.get(6)?),
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

#[cfg(test)]
mod tests {
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
            },
            status: ChatStatus::Pending,
            assignee_id: None,
            last_message: None,
            subject: None,
            created_at: format_millis(1),
            updated_at: format_millis(1),
        }
    }

    fn temp_store() -> (Store, PathBuf) {
        let dir = std::env::temp_dir().join(format!("sb-store-{}", uuid::Uuid::new_v4()));
        let (s, aside) = Store::open(&dir.join("cache.db")).unwrap();
        assert!(aside.is_none());
        (s, dir)
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
        // Closed first: Windows refuses to delete a file that is open.
        drop(s);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn unread_counts_follow_the_read_marker() {
        let (mut s, dir) = temp_store();
        s.write(|tx| {
            upsert_chat(tx, &summary(), &mut Seen::default())?;
            insert_messages(
                tx,
                &[
                    msg("m1", 10, "v", None),
                    msg("m2", 11, "me", None),
                    msg("m3", 12, "v", None),
                ],
                &mut Seen::default(),
            )
        })
        .unwrap();
        assert_eq!(unread(s.conn(), "c1", "me").unwrap(), 2);
        assert!(s.write(|tx| set_read_marker(tx, "c1", "m1", 10)).unwrap());
        assert_eq!(unread(s.conn(), "c1", "me").unwrap(), 1);
        assert!(
            !s.write(|tx| set_read_marker(tx, "c1", "m0", 5)).unwrap(),
            "never moves back"
        );
        assert_eq!(total_unread(s.conn(), "me").unwrap(), 1);
        // Closed first: Windows refuses to delete a file that is open.
        drop(s);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn search_finds_words_and_survives_fts_syntax() {
        let (mut s, dir) = temp_store();
        s.write(|tx| {
            upsert_chat(tx, &summary(), &mut Seen::default())?;
            insert_messages(
                tx,
                &[msg("m1", 10, "v", None), msg("m2", 11, "v", None)],
                &mut Seen::default(),
            )
        })
        .unwrap();
        assert_eq!(search(s.conn(), "númer", 10).unwrap().len(), 2);
        assert_eq!(search(s.conn(), "m2", 10).unwrap().len(), 1);
        assert!(search(s.conn(), "\"unbalanced AND (", 10).unwrap().is_empty());
        // Closed first: Windows refuses to delete a file that is open.
        drop(s);
        std::fs::remove_dir_all(dir).unwrap();
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
        // Closed first: Windows refuses to delete a file that is open.
        drop(s);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
