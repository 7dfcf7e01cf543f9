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
use switchboard_model::{ChatEntry, DeliveryStatus, Draft, LocalMessage, SearchHit, StagedFile};
pub(crate) use switchboard_protocol::sql::{MessageColumns, corrupt, json_column};
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
        M::up(include_str!("../../../migrations/0001_init.sql")),
        M::up(include_str!("../../../migrations/0002_outbox_uploads.sql")),
        M::up(include_str!("../../../migrations/0003_drafts.sql")),
        M::up(include_str!("../../../migrations/0004_staged_files.sql")),
        M::up(include_str!("../../../migrations/0005_v21.sql")),
        M::up(include_str!("../../../migrations/0006_actions.sql")),
        M::up(include_str!("../../../migrations/0007_unread_counts.sql")),
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
    /// Waiting behind an action of its chat the server refused (read only:
    /// it follows from the actions).
    pub held: bool,
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
    /// The "open" mark beside the file, removed on a clean close.
    mark: PathBuf,
}

impl Drop for Store {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.mark);
    }
}

/// The mark a store leaves beside its file while open: found at the next
/// open, it tells of an exit that did not close the store.
fn open_mark(path: &Path) -> PathBuf {
    PathBuf::from(format!("{}.open", path.display()))
}

const MSG_COLS: &str = "message_id, chat_id, sender_id, sender_type, content, type, is_internal, \
    is_first_response, sent_at, client_message_id, attachment";

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")
}

/// Makes the connection ready: configured and migrated. `check` also runs
/// `PRAGMA quick_check`, which reads the whole file (seconds at a million
/// messages), so it is for opens after an unclean exit only: a file that is
/// no database at all fails the configuration anyway, and SQLite's WAL keeps
/// a clean close consistent.
fn healthy(conn: &mut Connection, check: bool) -> Result<()> {
    configure(conn)?;
    if check {
        let found: String = conn.query_row("PRAGMA quick_check", [], |r| r.get(0))?;
        if found != "ok" {
            return Err(StoreError::Sqlite(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CORRUPT),
                Some(found),
            )));
        }
    }
    migrations().to_latest(conn)?;
    Ok(())
}

impl Store {
    /// Opens the database at `path`, creating it if needed. A file that is
    /// not a healthy database (or has a schema from the future) is moved to
    /// `<path>.corrupt-<ms>` and a fresh one is made; the path it was moved to
    /// is returned so the caller can say so. The whole file is checked only
    /// when the last process to open it did not close it (its `.open` mark
    /// is still there: a crash, a kill, a power cut).
    #[tracing::instrument(level = "debug")]
    pub fn open(path: &Path) -> Result<(Self, Option<PathBuf>)> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mark = open_mark(path);
        let unclean = mark.exists();
        if unclean {
            tracing::info!(path = %path.display(), "the cache was not closed last time; checking it");
        }
        let attempt = Connection::open(path)
            .map_err(StoreError::from)
            .and_then(|mut c| {
                healthy(&mut c, unclean)?;
                Ok(c)
            });
        let opened = |conn| -> Result<Self> {
            std::fs::write(&mark, b"")?;
            Ok(Self {
                conn,
                mark: mark.clone(),
            })
        };
        match attempt {
            Ok(conn) => Ok((opened(conn)?, None)),
            Err(e) => {
                let aside = PathBuf::from(format!(
                    "{}.corrupt-{}",
                    path.display(),
                    switchboard_protocol::time::now_ms()
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
                healthy(&mut conn, false)?;
                Ok((opened(conn)?, Some(aside)))
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

mod actions;
mod chats;
mod drafts;
mod messages;
mod notifications;
mod outbox;
mod v21;

pub use self::{actions::*, chats::*, drafts::*, messages::*, notifications::*, outbox::*, v21::*};

#[cfg(test)]
mod tests;
