//! Drafts: what the agent has written in a chat and not sent, one per chat.

use super::*;

/// Keeps `draft` as the chat's draft (an empty reply removes it). Returns
/// `false` for a chat not held.
pub fn save_draft(tx: &Connection, chat_id: &str, draft: &Draft, now: i64) -> Result<bool> {
    if !has_chat(tx, chat_id)? {
        return Ok(false);
    }
    if draft.is_empty() {
        clear_draft(tx, chat_id)?;
        return Ok(true);
    }
    tx.prepare_cached(
        "INSERT INTO drafts (chat_id, content, internal, updated_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (chat_id) DO UPDATE SET content = ?2, internal = ?3, updated_at = ?4",
    )?
    .execute(params![chat_id, draft.content, draft.internal, now])?;
    Ok(true)
}

/// Removes a chat's draft (sent, or emptied).
pub fn clear_draft(tx: &Connection, chat_id: &str) -> Result<()> {
    tx.prepare_cached("DELETE FROM drafts WHERE chat_id = ?1")?
        .execute([chat_id])?;
    Ok(())
}

/// A chat's draft, if it has one.
pub fn draft(conn: &Connection, chat_id: &str) -> Result<Option<Draft>> {
    Ok(conn
        .prepare_cached("SELECT content, internal FROM drafts WHERE chat_id = ?1")?
        .query_row([chat_id], |r| {
            Ok(Draft {
                content: r.get(0)?,
                internal: r.get(1)?,
            })
        })
        .optional()?)
}
