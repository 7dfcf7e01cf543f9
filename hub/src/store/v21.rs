//! Storage of protocol v2.1: tags, canned responses, read markers by reader,
//! a visitor's earlier chats, and what automatic assignment needs to know.

use super::*;

/// Who a ChatSummary is built for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View<'a> {
    /// A visitor: no internal notes, no tags, no context.
    Visitor,
    /// An agent of a plain v2 hub (`--protocol v2`): none of v2.1's fields.
    V2Agent,
    /// A broadcast to `agents`: tags and context, the shared `updatedAt`,
    /// no read marker.
    Agents,
    /// An answer to this one agent: also its own read marker, and its own
    /// `updatedAt` (the later of the chat's and the marker's).
    Agent(&'a str),
}

impl View<'_> {
    /// Whether internal notes are visible.
    pub fn sees_internal(self) -> bool {
        !matches!(self, Self::Visitor)
    }
}

/// A stored canned response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CannedRow {
    /// The wire form.
    pub canned: proto::Canned,
    /// Its owner; `None` for a team one.
    pub owner_id: Option<String>,
}

/// An agent that automatic assignment may consider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssignCandidate {
    /// The agent.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Its `maxChats`.
    pub max_chats: u32,
    /// Chats it holds now.
    pub open_chats: u32,
    /// When it was last given a chat (ms); `None`: never.
    pub last_assigned_at: Option<i64>,
}

fn canned_row(r: &Row<'_>) -> rusqlite::Result<CannedRow> {
    let owner_id: Option<String> = r.get(1)?;
    Ok(CannedRow {
        canned: proto::Canned {
            id: r.get(0)?,
            scope: if owner_id.is_some() {
                proto::CannedScope::Personal
            } else {
                proto::CannedScope::Team
            },
            shortcut: r.get(2)?,
            title: r.get(3)?,
            content: r.get(4)?,
            updated_at: format_millis(r.get(5)?),
        },
        owner_id,
    })
}

const CANNED_COLS: &str = "id, owner_id, shortcut, title, content, updated_at";

impl Store {
    // ------------------------------------------------------------ tags

    /// A chat's tags, in the order they were given.
    pub fn tags(&self, chat_id: &str) -> Result<Vec<String>> {
        let mut st = self
            .conn
            .prepare_cached("SELECT name FROM chat_tags WHERE chat_id = ?1 ORDER BY position")?;
        let rows = st.query_map([chat_id], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Replaces a chat's tags (already checked: unique ignoring case) and
    /// stamps its `updated_at`.
    pub fn set_tags(&self, chat_id: &str, tags: &[String], now: i64) -> Result<()> {
        self.conn
            .prepare_cached("DELETE FROM chat_tags WHERE chat_id = ?1")?
            .execute([chat_id])?;
        let mut insert = self
            .conn
            .prepare_cached("INSERT INTO chat_tags (chat_id, name, position) VALUES (?1, ?2, ?3)")?;
        for (i, t) in tags.iter().enumerate() {
            insert.execute(params![chat_id, t, i as i64])?;
        }
        self.touch_chat(chat_id, now)
    }

    /// Every tag in use with the number of chats that carry it (names that
    /// differ only in case count as one), most used first.
    pub fn tag_counts(&self) -> Result<Vec<proto::TagCount>> {
        let mut st = self.conn.prepare_cached(
            "SELECT MIN(name), COUNT(*) AS n FROM chat_tags GROUP BY name ORDER BY n DESC, name LIMIT 1000",
        )?;
        let rows = st.query_map([], |r| {
            Ok(proto::TagCount {
                name: r.get(0)?,
                count: r.get::<_, i64>(1)? as u64,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Stamps a chat's `updated_at` (never backwards).
    pub fn touch_chat(&self, chat_id: &str, now: i64) -> Result<()> {
        self.conn
            .prepare_cached("UPDATE chats SET updated_at = MAX(updated_at, ?2) WHERE id = ?1")?
            .execute(params![chat_id, now])?;
        Ok(())
    }

    // ------------------------------------------------------------ read sync

    /// A reader's marker in a chat: the message and when it last moved (ms).
    pub fn read_marker(&self, chat_id: &str, reader_id: &str) -> Result<Option<(String, i64)>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT message_id, read_at FROM read_markers WHERE chat_id = ?1 AND reader_id = ?2",
            )?
            .query_row([chat_id, reader_id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
    }

    // ------------------------------------------------------------ history

    /// A visitor's chats and those of visitors with the same e-mail (any
    /// case), newest first by `created_at`. `None` for an unknown visitor.
    pub fn visitor_chats(&self, visitor_id: &str, limit: u32) -> Result<Option<Vec<ChatRow>>> {
        let email: Option<Option<String>> = self
            .conn
            .prepare_cached("SELECT email FROM visitors WHERE id = ?1")?
            .query_row([visitor_id], |r| r.get(0))
            .optional()?;
        let Some(email) = email else { return Ok(None) };
        let mut st = self.conn.prepare_cached(&format!(
            "SELECT {CHAT_COLS} FROM chats c JOIN visitors v ON v.id = c.visitor_id
             WHERE c.visitor_id IN (SELECT id FROM visitors WHERE id = ?1
                                    UNION SELECT id FROM visitors WHERE ?2 IS NOT NULL AND email = ?2 COLLATE NOCASE)
             ORDER BY c.created_at DESC, c.rowid DESC LIMIT ?3"
        ))?;
        let rows = st.query_map(params![visitor_id, email, limit], Self::chat_row)?;
        Ok(Some(rows.collect::<rusqlite::Result<_>>()?))
    }

    // ------------------------------------------------------------ canned

    /// The team's canned responses and `agent_id`'s own, by shortcut.
    pub fn canned_for(&self, agent_id: &str) -> Result<Vec<CannedRow>> {
        let mut st = self.conn.prepare_cached(&format!(
            "SELECT {CANNED_COLS} FROM canned WHERE owner_id IS NULL OR owner_id = ?1
             ORDER BY shortcut, owner_id IS NOT NULL, id"
        ))?;
        let rows = st.query_map([agent_id], canned_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// One canned response.
    pub fn canned(&self, id: &str) -> Result<Option<CannedRow>> {
        Ok(self
            .conn
            .prepare_cached(&format!("SELECT {CANNED_COLS} FROM canned WHERE id = ?1"))?
            .query_row([id], canned_row)
            .optional()?)
    }

    /// Whether `owner_id` (`None`: the team) has another entry with this
    /// shortcut than `except`.
    pub fn canned_shortcut_taken(
        &self,
        owner_id: Option<&str>,
        shortcut: &str,
        except: Option<&str>,
    ) -> Result<bool> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM canned WHERE COALESCE(owner_id, '') = COALESCE(?1, '')
                 AND shortcut = ?2 AND (?3 IS NULL OR id != ?3))",
            )?
            .query_row(params![owner_id, shortcut, except], |r| r.get(0))?)
    }

    /// Stores a new canned response or replaces one with the same id.
    pub fn put_canned(&self, row: &CannedRow, now: i64) -> Result<()> {
        let c = &row.canned;
        self.conn
            .prepare_cached(
                "INSERT INTO canned (id, owner_id, shortcut, title, content, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)
                 ON CONFLICT (id) DO UPDATE SET shortcut = ?3, title = ?4, content = ?5, updated_at = ?6",
            )?
            .execute(params![c.id, row.owner_id, c.shortcut, c.title, c.content, now])?;
        Ok(())
    }

    /// Deletes a canned response.
    pub fn delete_canned(&self, id: &str) -> Result<()> {
        self.conn
            .prepare_cached("DELETE FROM canned WHERE id = ?1")?
            .execute([id])?;
        Ok(())
    }

    /// How many team canned responses exist.
    pub fn team_canned_count(&self) -> Result<u64> {
        Ok(self
            .conn
            .query_row("SELECT COUNT(*) FROM canned WHERE owner_id IS NULL", [], |r| {
                r.get::<_, i64>(0)
            })? as u64)
    }

    // ------------------------------------------------------------ assignment

    /// Every agent with its `maxChats`, open chats and last assignment.
    pub fn assign_candidates(&self) -> Result<Vec<AssignCandidate>> {
        let mut st = self.conn.prepare_cached(
            "SELECT a.id, a.name, a.max_chats, a.last_assigned_at,
                    (SELECT COUNT(*) FROM chats c WHERE c.assignee_id = a.id AND c.status = 'IN_PROGRESS')
             FROM agents a ORDER BY a.id",
        )?;
        let rows = st.query_map([], |r| {
            Ok(AssignCandidate {
                id: r.get(0)?,
                name: r.get(1)?,
                max_chats: r.get::<_, i64>(2)?.clamp(0, i64::from(u32::MAX)) as u32,
                last_assigned_at: r.get(3)?,
                open_chats: r.get::<_, i64>(4)? as u32,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Sets an agent's `maxChats`.
    pub fn set_max_chats(&self, agent_id: &str, max_chats: u32) -> Result<()> {
        self.conn
            .prepare_cached("UPDATE agents SET max_chats = ?2 WHERE id = ?1")?
            .execute(params![agent_id, max_chats])?;
        Ok(())
    }

    /// Records that an agent was given a chat now.
    pub fn stamp_assignment(&self, agent_id: &str, now: i64) -> Result<()> {
        self.conn
            .prepare_cached("UPDATE agents SET last_assigned_at = ?2 WHERE id = ?1")?
            .execute(params![agent_id, now])?;
        Ok(())
    }

    /// Records who sent a chat back to the queue (`None` clears it).
    pub fn set_returned_by(&self, chat_id: &str, agent_id: Option<&str>) -> Result<()> {
        self.conn
            .prepare_cached("UPDATE chats SET returned_by = ?2 WHERE id = ?1")?
            .execute(params![chat_id, agent_id])?;
        Ok(())
    }

    /// Waiting chats, oldest first.
    pub fn pending_chats(&self, limit: u32) -> Result<Vec<ChatRow>> {
        let mut st = self.conn.prepare_cached(&format!(
            "SELECT {CHAT_COLS} FROM chats c JOIN visitors v ON v.id = c.visitor_id
             WHERE c.status = 'PENDING' ORDER BY c.created_at, c.rowid LIMIT ?1"
        ))?;
        let rows = st.query_map([limit], Self::chat_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
