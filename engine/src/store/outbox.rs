//! The durable outbox: what was written here and not yet accepted by the
//! server, its attempts, its uploads, and how it shows in the timeline.

use super::*;

/// Whether an outbox row waits behind a refused action of its chat.
pub(crate) const HELD: &str = "EXISTS (SELECT 1 FROM actions r WHERE r.chat_id = outbox.chat_id
    AND r.state = 'refused' AND r.seq < outbox.seq) AS held";

pub(crate) fn outbox_row(r: &Row<'_>) -> rusqlite::Result<OutboxEntry> {
    let kind: String = r.get(3)?;
    let attachment: Option<String> = r.get(5)?;
    let state: String = r.get(8)?;
    Ok(OutboxEntry {
        client_message_id: r.get(0)?,
        chat_id: r.get(1)?,
        content: r.get(2)?,
        kind: MessageType::parse(&kind).ok_or_else(|| corrupt("type", &kind))?,
        is_internal: r.get(4)?,
        attachment: json_column("attachment", attachment)?,
        created_at: r.get(6)?,
        attempts: r.get(7)?,
        failed: state == "failed",
        last_error: r.get(9)?,
        upload: json_column("upload", r.get(10)?)?,
        held: r.get(11)?,
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
        } else if e.held {
            DeliveryStatus::Held
        } else {
            DeliveryStatus::Sending
        },
        error: e.last_error.clone(),
    }
}

/// Adds a message to the outbox.
pub fn enqueue(tx: &Connection, e: &OutboxEntry) -> Result<()> {
    let seq = next_seq(tx)?;
    tx.execute(
        "INSERT INTO outbox (client_message_id, chat_id, content, type, is_internal, attachment, created_at, upload,
                             seq)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            e.client_message_id,
            e.chat_id,
            e.content,
            e.kind.as_str(),
            e.is_internal,
            e.attachment.as_ref().and_then(|a| serde_json::to_string(a).ok()),
            e.created_at,
            e.upload.as_ref().and_then(|u| serde_json::to_string(u).ok()),
            seq
        ],
    )?;
    Ok(())
}

/// Outbox entries (of one chat, or all), oldest first.
pub fn outbox(conn: &Connection, chat_id: Option<&str>) -> Result<Vec<OutboxEntry>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT client_message_id, chat_id, content, type, is_internal, attachment, created_at, attempts,
                state, last_error, upload, {HELD} FROM outbox WHERE (?1 IS NULL OR chat_id = ?1) ORDER BY seq, rowid"
    ))?;
    let rows = st.query_map([chat_id], outbox_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// One outbox entry.
pub fn outbox_entry(conn: &Connection, client_message_id: &str) -> Result<Option<OutboxEntry>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT client_message_id, chat_id, content, type, is_internal, attachment, created_at, attempts,
                    state, last_error, upload, {HELD} FROM outbox WHERE client_message_id = ?1"
        ))?
        .query_row([client_message_id], outbox_row)
        .optional()?)
}

/// Records that an entry's file is on the server: the message can be sent.
pub fn outbox_uploaded(tx: &Connection, cmid: &str, attachment: &Attachment) -> Result<()> {
    tx.execute(
        // The copy stays recorded (`upload` is kept, unlike in the first
        // versions): it is removed once the message is sent, and uploaded
        // again if the server drops the upload before that.
        "UPDATE outbox SET attachment = ?2 WHERE client_message_id = ?1",
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

/// Removes a failed or held entry (never one that may be on its way).
/// Returns it, for its chat and its file copy, or `None` when there was no
/// such entry.
pub fn outbox_discard(tx: &Connection, cmid: &str) -> Result<Option<OutboxEntry>> {
    let Some(entry) = outbox_entry(tx, cmid)?.filter(|e| e.failed || e.held) else {
        return Ok(None);
    };
    tx.execute("DELETE FROM outbox WHERE client_message_id = ?1", [cmid])?;
    Ok(Some(entry))
}

/// How many of a chat's messages wait behind a refused action.
pub fn held_count(conn: &Connection, chat_id: &str) -> Result<u32> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT COUNT(*) FROM (SELECT {HELD} FROM outbox WHERE chat_id = ?1 AND state = 'pending') WHERE held"
        ))?
        .query_row([chat_id], |r| r.get::<_, i64>(0))? as u32)
}

/// How many of a chat's messages the server refused.
pub fn failed_count(conn: &Connection, chat_id: &str) -> Result<u32> {
    Ok(conn
        .prepare_cached("SELECT COUNT(*) FROM outbox WHERE chat_id = ?1 AND state = 'failed'")?
        .query_row([chat_id], |r| r.get::<_, i64>(0))? as u32)
}

/// Puts a failed entry back in line. Returns whether there was one.
pub fn outbox_retry(tx: &Connection, cmid: &str) -> Result<bool> {
    Ok(tx.execute(
        "UPDATE outbox SET state = 'pending', last_error = NULL WHERE client_message_id = ?1",
        [cmid],
    )? > 0)
}
