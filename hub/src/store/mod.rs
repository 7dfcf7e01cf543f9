//! The hub's storage: one SQLite file (WAL) holding agents, visitors, chats,
//! messages, read markers, notifications and uploads. Pure data access; the
//! rules of the protocol live in `core`.

mod messages;
mod notifications;
mod v21;

pub use v21::{AssignCandidate, CannedRow, View};

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, Row, params};
use rusqlite_migration::{M, Migrations};
pub(crate) use switchboard_protocol::sql::{MessageColumns, corrupt, json_column, message_from_row};
use switchboard_protocol::{
    self as proto, Attachment, ChatStatus, ChatSummary, Message, MessageType, Notification, NotificationType,
    SenderType, Stats, VisitorInfo, time::format_millis,
};

/// Errors of the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite failed.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The schema could not be brought up to date.
    #[error("database migration failed: {0}")]
    Migration(#[from] rusqlite_migration::Error),
    /// A stored value does not decode (a corrupt or foreign database).
    #[error("corrupt row: {0}")]
    Corrupt(String),
}

type Result<T> = std::result::Result<T, StoreError>;

fn migrations() -> Migrations<'static> {
    Migrations::new(vec![
        M::up(include_str!("../../migrations/0001_init.sql")),
        M::up(include_str!("../../migrations/0002_v21.sql")),
    ])
}

/// An agent account row, with its password hash.
#[derive(Debug, Clone)]
pub struct AgentRow {
    /// Public fields.
    pub agent: proto::Agent,
    /// Argon2 PHC string.
    pub password_hash: String,
}

/// A visitor row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitorRow {
    /// Id, name, e-mail.
    pub info: VisitorInfo,
}

/// A chat row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatRow {
    /// The chat id.
    pub id: String,
    /// Who opened it.
    pub visitor: VisitorInfo,
    /// Subject line.
    pub subject: Option<String>,
    /// Status.
    pub status: ChatStatus,
    /// Holder.
    pub assignee_id: Option<String>,
    /// Opened at (ms).
    pub created_at: i64,
    /// Last change (ms); in a listing for one reader, the later of the
    /// chat's and that reader's read marker.
    pub updated_at: i64,
    /// The agent who last sent it back to the queue.
    pub returned_by: Option<String>,
}

/// A message to insert; the store assigns `messageId` and `sentAt`.
#[derive(Debug, Clone)]
pub struct NewMessage<'a> {
    /// The chat.
    pub chat_id: &'a str,
    /// Author id.
    pub sender_id: &'a str,
    /// Author kind.
    pub sender_type: SenderType,
    /// Text.
    pub content: &'a str,
    /// Kind.
    pub kind: MessageType,
    /// Agents only.
    pub is_internal: bool,
    /// First public agent message.
    pub is_first_response: bool,
    /// Idempotency key.
    pub client_message_id: Option<&'a str>,
    /// Attachment.
    pub attachment: Option<&'a Attachment>,
    /// The server clock now (ms); `sentAt` is at least this and after the chat's last.
    pub now: i64,
}

/// A history query (`GET /v2/messages/chat/{id}`).
#[derive(Debug, Clone, Copy, Default)]
pub struct PageQuery {
    /// Page size (already capped).
    pub limit: u32,
    /// Inclusive lower bound (ms): oldest `limit` from there.
    pub date_from: Option<i64>,
    /// Exclusive upper bound (ms).
    pub before: Option<i64>,
    /// Whether internal notes are visible to the reader.
    pub include_internal: bool,
}

/// A `GET /v2/chats` query.
#[derive(Debug, Clone, Copy, Default)]
pub struct ChatQuery<'a> {
    /// Only chats in this status.
    pub status: Option<ChatStatus>,
    /// Only chats changed at or after this (ms).
    pub updated_since: Option<i64>,
    /// Only this visitor's chats.
    pub visitor_id: Option<&'a str>,
    /// Only chats with this tag (case-insensitive).
    pub tag: Option<&'a str>,
    /// Whose read marker counts as a change (v2.1 `readSync`).
    pub reader: Option<&'a str>,
    /// At most this many.
    pub limit: u32,
}

/// A stored upload.
#[derive(Debug, Clone)]
pub struct FileRow {
    /// Name.
    pub file_name: String,
    /// MIME type.
    pub mime_type: String,
    /// Content.
    pub bytes: Vec<u8>,
}

/// The hub's database.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
}

const MESSAGE_COLS: &str = "id, chat_id, sender_id, sender_type, content, type, is_internal, \
     is_first_response, sent_at, client_message_id, attachment";

const CHAT_COLS: &str = "c.id, c.subject, c.status, c.assignee_id, c.created_at, c.updated_at, \
     v.id, v.name, v.email, v.context, c.returned_by";

impl Store {
    /// Opens (creating if needed) the database at `path` and migrates it.
    #[tracing::instrument(level = "debug")]
    pub fn open(path: &Path) -> Result<Self> {
        Self::setup(Connection::open(path)?)
    }

    /// A private in-memory database (tests, throwaway demos).
    pub fn open_in_memory() -> Result<Self> {
        Self::setup(Connection::open_in_memory()?)
    }

    fn setup(mut conn: Connection) -> Result<Self> {
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        migrations().to_latest(&mut conn)?;
        Ok(Self { conn })
    }

    /// Runs `f` in one transaction (used for bulk work such as seeding).
    pub fn transaction<T>(&mut self, f: impl FnOnce(&Store) -> Result<T>) -> Result<T> {
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        match f(self) {
            Ok(v) => {
                self.conn.execute_batch("COMMIT")?;
                Ok(v)
            }
            Err(e) => {
                let _ = self.conn.execute_batch("ROLLBACK");
                Err(e)
            }
        }
    }

    // ------------------------------------------------------------ settings

    /// A setting, or `init()` stored under `key` the first time.
    pub fn setting_or_init(&self, key: &str, init: impl FnOnce() -> Vec<u8>) -> Result<Vec<u8>> {
        if let Some(v) = self
            .conn
            .query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| r.get(0))
            .optional()?
        {
            return Ok(v);
        }
        let v = init();
        self.conn.execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2)",
            params![key, v],
        )?;
        Ok(v)
    }

    // ------------------------------------------------------------ agents

    /// How many agent accounts exist.
    pub fn agent_count(&self) -> Result<u64> {
        Ok(self
            .conn
            .query_row("SELECT COUNT(*) FROM agents", [], |r| r.get::<_, i64>(0))? as u64)
    }

    /// Creates an agent account.
    pub fn insert_agent(&self, agent: &proto::Agent, password_hash: &str, now: i64) -> Result<()> {
        self.conn.execute(
            "INSERT INTO agents (id, name, email, role, password_hash, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![agent.id, agent.name, agent.email, agent.role, password_hash, now],
        )?;
        Ok(())
    }

    fn agent_row(r: &Row<'_>) -> rusqlite::Result<AgentRow> {
        Ok(AgentRow {
            agent: proto::Agent {
                id: r.get(0)?,
                name: r.get(1)?,
                email: r.get(2)?,
                role: r.get(3)?,
            },
            password_hash: r.get(4)?,
        })
    }

    /// The agent with this e-mail (case-insensitive).
    pub fn agent_by_email(&self, email: &str) -> Result<Option<AgentRow>> {
        Ok(self
            .conn
            .query_row(
                "SELECT id, name, email, role, password_hash FROM agents WHERE email = ?1",
                [email],
                Self::agent_row,
            )
            .optional()?)
    }

    /// The agent with this id.
    pub fn agent_by_id(&self, id: &str) -> Result<Option<AgentRow>> {
        Ok(self
            .conn
            .query_row(
                "SELECT id, name, email, role, password_hash FROM agents WHERE id = ?1",
                [id],
                Self::agent_row,
            )
            .optional()?)
    }

    /// Every agent, by name.
    pub fn agents(&self) -> Result<Vec<proto::Agent>> {
        let mut st = self
            .conn
            .prepare_cached("SELECT id, name, email, role, password_hash FROM agents ORDER BY name, id")?;
        let rows = st.query_map([], Self::agent_row)?;
        Ok(rows
            .map(|r| r.map(|a| a.agent))
            .collect::<rusqlite::Result<_>>()?)
    }

    // ------------------------------------------------------------ visitors

    /// Creates a visitor with the hash of its session token.
    pub fn insert_visitor(&self, info: &VisitorInfo, session_hash: &str, now: i64) -> Result<()> {
        let context = info
            .context
            .as_ref()
            .filter(|c| !c.is_empty())
            .map(|c| serde_json::to_string(c).map_err(|e| StoreError::Corrupt(e.to_string())))
            .transpose()?;
        self.conn.execute(
            "INSERT INTO visitors (id, name, email, session_hash, created_at, context)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![info.id, info.name, info.email, session_hash, now, context],
        )?;
        Ok(())
    }

    /// The visitor holding this session.
    pub fn visitor_by_session(&self, session_hash: &str) -> Result<Option<VisitorRow>> {
        Ok(self
            .conn
            .query_row(
                "SELECT id, name, email FROM visitors WHERE session_hash = ?1",
                [session_hash],
                |r| {
                    Ok(VisitorRow {
                        info: VisitorInfo {
                            id: r.get(0)?,
                            name: r.get(1)?,
                            email: r.get(2)?,
                            context: None,
                        },
                    })
                },
            )
            .optional()?)
    }

    // ------------------------------------------------------------ chats

    pub(crate) fn chat_row(r: &Row<'_>) -> rusqlite::Result<ChatRow> {
        let status: String = r.get(2)?;
        let context = match r.get::<_, Option<String>>(9)? {
            None => None,
            Some(json) => Some(serde_json::from_str(&json).map_err(|_| corrupt("visitor context", &json))?),
        };
        Ok(ChatRow {
            id: r.get(0)?,
            subject: r.get(1)?,
            status: ChatStatus::parse(&status).ok_or_else(|| corrupt("status", &status))?,
            assignee_id: r.get(3)?,
            created_at: r.get(4)?,
            updated_at: r.get(5)?,
            visitor: VisitorInfo {
                id: r.get(6)?,
                name: r.get(7)?,
                email: r.get(8)?,
                context,
            },
            returned_by: r.get(10)?,
        })
    }

    /// Opens a chat for a visitor.
    pub fn insert_chat(&self, id: &str, visitor_id: &str, subject: Option<&str>, now: i64) -> Result<()> {
        self.conn.execute(
            "INSERT INTO chats (id, visitor_id, subject, status, created_at, updated_at)
             VALUES (?1, ?2, ?3, 'PENDING', ?4, ?4)",
            params![id, visitor_id, subject, now],
        )?;
        Ok(())
    }

    /// One chat.
    pub fn chat(&self, id: &str) -> Result<Option<ChatRow>> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {CHAT_COLS} FROM chats c JOIN visitors v ON v.id = c.visitor_id WHERE c.id = ?1"
            ))?
            .query_row([id], Self::chat_row)
            .optional()?)
    }

    /// Chats, most recently updated first, optionally filtered. With a
    /// `reader`, a chat's `updated_at` is the later of its own and that
    /// reader's read marker (v2.1 `readSync`), for the filter, the order and
    /// the row.
    pub fn chats(&self, q: &ChatQuery<'_>) -> Result<Vec<ChatRow>> {
        let mut st = self.conn.prepare_cached(
            "SELECT c.id, c.subject, c.status, c.assignee_id, c.created_at,
                    MAX(c.updated_at, COALESCE(r.read_at, 0)) AS eff,
                    v.id, v.name, v.email, v.context, c.returned_by
             FROM chats c JOIN visitors v ON v.id = c.visitor_id
             LEFT JOIN read_markers r ON r.chat_id = c.id AND r.reader_id = ?5
             WHERE (?1 IS NULL OR c.status = ?1)
               AND (?2 IS NULL OR c.updated_at >= ?2 OR r.read_at >= ?2)
               AND (?3 IS NULL OR c.visitor_id = ?3)
               AND (?6 IS NULL OR EXISTS (SELECT 1 FROM chat_tags t WHERE t.chat_id = c.id AND t.name = ?6))
             ORDER BY eff DESC, c.id LIMIT ?4",
        )?;
        let rows = st.query_map(
            params![
                q.status.map(ChatStatus::as_str),
                q.updated_since,
                q.visitor_id,
                q.limit,
                q.reader,
                q.tag
            ],
            Self::chat_row,
        )?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Sets a chat's status and assignee; stamps `updated_at` (and `closed_at`).
    pub fn set_chat_status(
        &self,
        id: &str,
        status: ChatStatus,
        assignee_id: Option<&str>,
        now: i64,
    ) -> Result<()> {
        self.conn.execute(
            "UPDATE chats SET status = ?2, assignee_id = ?3, updated_at = MAX(updated_at, ?4),
                 closed_at = CASE WHEN ?2 = 'CLOSED' THEN ?4 ELSE NULL END
             WHERE id = ?1",
            params![id, status.as_str(), assignee_id, now],
        )?;
        Ok(())
    }

    /// The summary of a chat as `view` sees it.
    pub fn summary(&self, mut chat: ChatRow, view: View<'_>) -> Result<ChatSummary> {
        let last_message = self.last_message(&chat.id, view.sees_internal())?;
        let (tags, my_read_marker) = match view {
            View::Visitor | View::V2Agent => {
                chat.visitor.context = None;
                (None, None)
            }
            View::Agents => (Some(self.tags(&chat.id)?), None),
            View::Agent(me) => {
                let marker = self.read_marker(&chat.id, me)?;
                if let Some((_, read_at)) = &marker {
                    chat.updated_at = chat.updated_at.max(*read_at);
                }
                (
                    Some(self.tags(&chat.id)?),
                    marker.map(|(message_id, read_at)| proto::ReadMarker {
                        message_id,
                        read_at: format_millis(read_at),
                    }),
                )
            }
        };
        Ok(ChatSummary {
            chat_id: chat.id,
            visitor: chat.visitor,
            status: chat.status,
            assignee_id: chat.assignee_id,
            last_message,
            subject: chat.subject,
            created_at: format_millis(chat.created_at),
            updated_at: format_millis(chat.updated_at),
            tags,
            my_read_marker,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_valid() {
        migrations().validate().unwrap();
    }

    fn seeded() -> Store {
        let s = Store::open_in_memory().unwrap();
        let v = VisitorInfo {
            id: "v1".into(),
            name: "Ana".into(),
            email: None,
            context: None,
        };
        s.insert_visitor(&v, "h", 0).unwrap();
        s.insert_chat("c1", "v1", None, 0).unwrap();
        s
    }

    fn msg(s: &Store, now: i64, internal: bool) -> Message {
        s.insert_message(&NewMessage {
            chat_id: "c1",
            sender_id: "v1",
            sender_type: SenderType::Visitor,
            content: "hola",
            kind: MessageType::Text,
            is_internal: internal,
            is_first_response: false,
            client_message_id: None,
            attachment: None,
            now,
        })
        .unwrap()
    }

    #[test]
    fn sent_at_is_strictly_increasing_even_when_the_clock_stalls() {
        let s = seeded();
        let a = msg(&s, 1000, false);
        let b = msg(&s, 1000, false);
        let c = msg(&s, 900, false);
        assert_eq!(a.sent_at, format_millis(1000));
        assert_eq!(b.sent_at, format_millis(1001));
        assert_eq!(c.sent_at, format_millis(1002));
    }

    #[test]
    fn paging_back_and_catching_up() {
        let s = seeded();
        for i in 0..10 {
            msg(&s, 1000 + i, i % 3 == 0);
        }
        let all = PageQuery {
            limit: 4,
            include_internal: true,
            ..Default::default()
        };
        let (newest, more) = s.page("c1", all).unwrap();
        assert!(more);
        assert_eq!(newest.first().unwrap().sent_at, format_millis(1006));
        assert_eq!(newest.last().unwrap().sent_at, format_millis(1009));
        let (older, _) = s
            .page(
                "c1",
                PageQuery {
                    before: Some(1006),
                    ..all
                },
            )
            .unwrap();
        assert_eq!(older.last().unwrap().sent_at, format_millis(1005));
        let (from, more) = s
            .page(
                "c1",
                PageQuery {
                    date_from: Some(1007),
                    ..all
                },
            )
            .unwrap();
        assert!(!more);
        assert_eq!(from.len(), 3, "dateFrom is inclusive");
        let public = PageQuery {
            limit: 100,
            include_internal: false,
            ..Default::default()
        };
        let (visible, _) = s.page("c1", public).unwrap();
        assert_eq!(visible.len(), 6);
        assert!(visible.iter().all(|m| !m.is_internal));
    }

    #[test]
    fn read_markers_only_move_forward() {
        let s = seeded();
        let a = msg(&s, 1000, false);
        let b = msg(&s, 2000, false);
        assert!(s.mark_read("c1", "r", &b.message_id, 2000, 5).unwrap());
        assert!(!s.mark_read("c1", "r", &a.message_id, 1000, 6).unwrap());
    }

    #[test]
    fn a_corrupt_row_is_refused_and_never_defaulted() {
        let s = seeded();
        msg(&s, 1000, false);
        assert!(s.chat("c1").unwrap().is_some());
        // A foreign or damaged file, past the schema's own checks.
        s.conn
            .execute_batch(
                "PRAGMA ignore_check_constraints = ON; UPDATE chats SET status = 'EXPLODED' WHERE id = 'c1';",
            )
            .unwrap();
        let err = s.chat("c1").unwrap_err();
        assert!(err.to_string().contains("bad status"), "{err}");
    }

    #[test]
    fn a_notification_whose_data_does_not_decode_is_refused() {
        let s = seeded();
        let agent = proto::Agent {
            id: "a1".into(),
            name: "Alex".into(),
            email: "a@example.com".into(),
            role: "agent".into(),
        };
        s.insert_agent(&agent, "h", 0).unwrap();
        let n = Notification {
            id: "n1".into(),
            kind: NotificationType::Info,
            title: "t".into(),
            message: "m".into(),
            data: Some(serde_json::json!({"chatId": "c1"})),
            created_at: format_millis(0),
            read: None,
        };
        s.insert_notification("a1", &n, 0).unwrap();
        assert_eq!(s.notifications("a1", false, 10).unwrap().len(), 1);
        s.conn
            .execute("UPDATE notifications SET data = '{not json' WHERE id = 'n1'", [])
            .unwrap();
        let err = s.notifications("a1", false, 10).unwrap_err();
        assert!(err.to_string().contains("bad data"), "{err}");
    }
}
