//! Drafts: what the agent has written in a chat and not sent, one per
//! chat, and the files staged with it.

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

/// A file staged in a chat, with where its copy is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StagedRow {
    /// What the UI shows and sends by.
    pub file: StagedFile,
    /// The chat.
    pub chat_id: String,
    /// The copy in the data directory.
    pub path: PathBuf,
}

/// Records a staged file (its copy is already at `path`). Returns `false`
/// for a chat not held.
pub fn stage_file(tx: &Connection, chat_id: &str, file: &StagedFile, path: &Path, now: i64) -> Result<bool> {
    if !has_chat(tx, chat_id)? {
        return Ok(false);
    }
    tx.prepare_cached(
        "INSERT INTO staged_files (id, chat_id, file_name, path, file_size, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        file.id,
        chat_id,
        file.file_name,
        path.to_string_lossy(),
        file.file_size as i64,
        now
    ])?;
    Ok(true)
}

fn staged_row(r: &Row<'_>) -> rusqlite::Result<StagedRow> {
    let size: i64 = r.get(3)?;
    let path: String = r.get(4)?;
    Ok(StagedRow {
        file: StagedFile {
            id: r.get(0)?,
            file_name: r.get(2)?,
            file_size: u64::try_from(size).map_err(|_| corrupt("file_size", &size.to_string()))?,
        },
        chat_id: r.get(1)?,
        path: PathBuf::from(path),
    })
}

/// One staged file.
pub fn staged_file(conn: &Connection, id: &str) -> Result<Option<StagedRow>> {
    Ok(conn
        .prepare_cached("SELECT id, chat_id, file_name, file_size, path FROM staged_files WHERE id = ?1")?
        .query_row([id], staged_row)
        .optional()?)
}

/// A chat's staged files, in the order they were staged.
pub fn staged_files(conn: &Connection, chat_id: &str) -> Result<Vec<StagedFile>> {
    let mut st = conn.prepare_cached(
        "SELECT id, chat_id, file_name, file_size, path FROM staged_files WHERE chat_id = ?1
         ORDER BY created_at, rowid",
    )?;
    let rows = st.query_map([chat_id], staged_row)?;
    Ok(rows.map(|r| r.map(|s| s.file)).collect::<rusqlite::Result<_>>()?)
}

/// Forgets a staged file; returns where its copy was, if it was known.
pub fn unstage_file(tx: &Connection, id: &str) -> Result<Option<PathBuf>> {
    let row = staged_file(tx, id)?;
    tx.prepare_cached("DELETE FROM staged_files WHERE id = ?1")?
        .execute([id])?;
    Ok(row.map(|r| r.path))
}
