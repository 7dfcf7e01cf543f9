//! The chats held: upserted from the server's summaries, their status, and
//! the inbox entries built from them.

use super::*;

pub(crate) fn ms(s: &str) -> i64 {
    parse_millis(s).unwrap_or(0)
}

/// When a summary's chat last had activity, for the inbox's order. A v2.1
/// answer to this agent stamps `updatedAt` with the agent's own read marker
/// when that is later (so `updatedSince` finds a read from another device);
/// reading is not activity, so then the chat's last message counts instead.
pub fn activity_at(s: &ChatSummary) -> i64 {
    let updated = ms(&s.updated_at);
    match &s.my_read_marker {
        Some(m) if ms(&m.read_at) >= updated => s
            .last_message
            .as_ref()
            .map(|m| ms(&m.sent_at))
            .unwrap_or(0)
            .max(ms(&s.created_at)),
        _ => updated,
    }
}

fn json_or_null<T: serde::Serialize>(v: Option<&T>) -> Option<String> {
    v.and_then(|v| serde_json::to_string(v).ok())
}

/// Inserts or updates a chat from a server summary (never moving
/// `updated_at` back), and its last message (returned if it was new). A
/// summary's status, assignee and tags replace the held ones unless the
/// held ones are newer; tags and context a v2 server does not send are kept.
pub fn upsert_chat(tx: &Connection, s: &ChatSummary, seen: &mut Seen) -> Result<Inserted> {
    tx.prepare_cached(
        "INSERT INTO chats (chat_id, visitor_id, visitor_name, visitor_email, status, assignee_id, subject,
                            created_at, updated_at, tags, visitor_context)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?11, ?12)
         ON CONFLICT (chat_id) DO UPDATE SET visitor_name = ?3, visitor_email = ?4,
             status = CASE WHEN ?10 >= updated_at THEN ?5 ELSE status END,
             assignee_id = CASE WHEN ?10 >= updated_at THEN ?6 ELSE assignee_id END,
             tags = CASE WHEN ?11 IS NOT NULL AND ?10 >= updated_at THEN ?11 ELSE tags END,
             visitor_context = COALESCE(?12, visitor_context),
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
        activity_at(s),
        ms(&s.updated_at),
        json_or_null(s.tags.as_ref()),
        json_or_null(s.visitor.context.as_ref()),
    ])?;
    let inserted = match &s.last_message {
        Some(m) => insert_messages(tx, std::slice::from_ref(m), seen)?,
        None => Inserted::default(),
    };
    apply_my_marker(tx, s)?;
    Ok(inserted)
}

/// Moves the local read marker to a summary's `myReadMarker` (v2.1 read
/// sync) when that message is held and further on. Returns whether it moved;
/// a marker on a message not held yet waits for the catch-up that fetches it.
pub fn apply_my_marker(tx: &Connection, s: &ChatSummary) -> Result<bool> {
    let Some(marker) = &s.my_read_marker else {
        return Ok(false);
    };
    match message_position(tx, &marker.message_id)? {
        Some((chat, at)) if chat == s.chat_id => set_read_marker(tx, &chat, &marker.message_id, at),
        _ => Ok(false),
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

/// A chat's status as the server last said (pending actions aside).
pub fn server_status(conn: &Connection, chat_id: &str) -> Result<Option<ChatStatus>> {
    let s: Option<String> = conn
        .prepare_cached("SELECT status FROM chats WHERE chat_id = ?1")?
        .query_row([chat_id], |r| r.get(0))
        .optional()?;
    s.map(|s| ChatStatus::parse(&s).ok_or_else(|| StoreError::from(corrupt("status", &s))))
        .transpose()
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

pub(crate) fn chat_entry_row(r: &Row<'_>) -> rusqlite::Result<(ChatEntry, i64)> {
    let status: String = r.get(4)?;
    Ok((
        ChatEntry {
            chat_id: r.get(0)?,
            visitor: VisitorInfo {
                id: r.get(1)?,
                name: r.get(2)?,
                email: r.get(3)?,
                context: json_column("visitor context", r.get(10)?)?,
            },
            status: ChatStatus::parse(&status).ok_or_else(|| corrupt("status", &status))?,
            assignee_id: r.get(5)?,
            subject: r.get(6)?,
            last_message: None,
            draft: None,
            staged: Vec::new(),
            failed: 0,
            tags: json_column("tags", r.get(9)?)?.unwrap_or_default(),
            held: 0,
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
                    created_at, updated_at, tags, visitor_context FROM chats_now WHERE chat_id = ?1",
        )?
        .query_row([chat_id], chat_entry_row)
        .optional()?;
    let Some((mut entry, _)) = row else {
        return Ok(None);
    };
    entry.last_message = last_message(conn, chat_id, me)?;
    entry.unread = unread(conn, chat_id)?;
    entry.draft = draft(conn, chat_id)?;
    entry.staged = staged_files(conn, chat_id)?;
    entry.failed = failed_count(conn, chat_id)?;
    entry.held = held_count(conn, chat_id)? + held_actions(conn, chat_id)?;
    Ok(Some(entry))
}

/// Every chat, most recent activity first.
pub fn chat_entries(conn: &Connection, me: &str) -> Result<Vec<ChatEntry>> {
    let ids: Vec<String> = conn
        .prepare_cached("SELECT chat_id FROM chats ORDER BY updated_at DESC, chat_id")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    entries_of(conn, ids, me)
}

/// The entries of these chats, in this order (an id not held is skipped).
pub(crate) fn entries_of(conn: &Connection, ids: Vec<String>, me: &str) -> Result<Vec<ChatEntry>> {
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(e) = chat_entry(conn, &id, me)? {
            out.push(e);
        }
    }
    Ok(out)
}
