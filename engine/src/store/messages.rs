//! The messages held: inserted by `messageId` (deduplicated), paged,
//! searched; unread counts and read markers; the sync cursors.

use super::*;

pub(crate) use switchboard_protocol::sql::message_from_row as message_row;

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
        let added = insert.execute(MessageColumns::new(&m.message_id, m, sent_at).params())?;
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

pub(crate) fn last_message(conn: &Connection, chat_id: &str, me: &str) -> Result<Option<LocalMessage>> {
    let pending = conn
        .prepare_cached(&format!(
            "SELECT client_message_id, chat_id, content, type, is_internal, attachment, created_at, attempts,
                    state, last_error, upload, {HELD} FROM outbox WHERE chat_id = ?1 ORDER BY seq DESC LIMIT 1"
        ))?
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

/// A chat's messages around `message_id`, oldest first: up to `before`
/// messages before it, then it and up to `after` more. Returns `None` for a
/// message not held, and whether newer messages than those returned are
/// held; when none are, the outbox follows, as on the newest page.
pub fn messages_around(
    conn: &Connection,
    chat_id: &str,
    message_id: &str,
    before: u32,
    after: u32,
    me: &str,
) -> Result<Option<(Vec<LocalMessage>, bool)>> {
    let Some(at) = conn
        .prepare_cached("SELECT sent_at FROM messages WHERE message_id = ?1 AND chat_id = ?2")?
        .query_row([message_id, chat_id], |r| r.get::<_, i64>(0))
        .optional()?
    else {
        return Ok(None);
    };
    let mut out = messages_page(conn, chat_id, Some(at), before, me)?;
    let mut st = conn.prepare_cached(&format!(
        "SELECT {MSG_COLS} FROM messages WHERE chat_id = ?1 AND sent_at >= ?2
         ORDER BY sent_at, message_id LIMIT ?3"
    ))?;
    let mut newer: Vec<LocalMessage> = st
        .query_map(params![chat_id, at, i64::from(after) + 1], message_row)?
        .map(|r| r.map(LocalMessage::sent))
        .collect::<rusqlite::Result<_>>()?;
    let has_newer = newer.len() > after as usize;
    newer.truncate(after as usize);
    out.extend(newer);
    if !has_newer {
        out.extend(outbox(conn, Some(chat_id))?.iter().map(|e| outbox_message(e, me)));
    }
    Ok(Some((out, has_newer)))
}

/// Full-text search over message text, newest first. Each word of `query`
/// must appear (as a prefix); FTS syntax in the query is taken literally.
/// Each hit comes with a snippet, its matched words marked.
pub fn search(conn: &Connection, query: &str, limit: u32) -> Result<Vec<SearchHit>> {
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
        "SELECT {cols}, snippet(messages_fts, 0, char(2), char(3), '…', 24)
         FROM messages_fts f JOIN messages m ON m.rowid = f.rowid
         WHERE messages_fts MATCH ?1 ORDER BY m.sent_at DESC LIMIT ?2"
    ))?;
    let snippet_at = MSG_COLS.split(", ").count();
    let rows = st.query_map(params![terms.join(" "), limit], |r| {
        Ok(SearchHit {
            message: LocalMessage::sent(message_row(r)?),
            snippet: r.get(snippet_at)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

// -------------------------------------------------------------------- unread

/// Unread messages in a chat for the account's agent: from others (not the
/// server, not me), after my read marker. The one definition of "unread" is
/// `switchboard_model::counts_as_unread`; the cache keeps each chat's count
/// as messages arrive and markers move (`unread_counts`, by triggers: see
/// `migrations/0007_unread_counts.sql`), so reading it costs nothing.
pub fn unread(conn: &Connection, chat_id: &str) -> Result<u64> {
    Ok(conn
        .prepare_cached("SELECT n FROM unread_counts WHERE chat_id = ?1")?
        .query_row([chat_id], |r| r.get::<_, i64>(0))
        .optional()?
        .unwrap_or(0) as u64)
}

/// Unread messages over my chats (in progress and assigned to `me`, the
/// inbox's Mine): the header's and the tray's one number. The queue and
/// colleagues' chats have their own counts on their tabs, not in it. A sum
/// over my chats' kept counts: it costs the number of chats, not of
/// messages.
pub fn total_unread(conn: &Connection, me: &str) -> Result<u64> {
    Ok(conn
        .prepare_cached(
            "SELECT COALESCE(SUM(u.n), 0) FROM chats_now c
             JOIN unread_counts u ON u.chat_id = c.chat_id
             WHERE c.status = 'IN_PROGRESS' AND c.assignee_id = ?1",
        )?
        .query_row([me], |r| r.get::<_, i64>(0))? as u64)
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
