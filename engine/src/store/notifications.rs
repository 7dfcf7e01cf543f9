//! The server's notifications held for the bell.

use super::*;

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
            kind: NotificationType::parse(&kind).ok_or_else(|| corrupt("type", &kind))?,
            title: r.get(2)?,
            message: r.get(3)?,
            data: json_column("data", data)?,
            created_at: format_millis(r.get(5)?),
            read: Some(r.get(6)?),
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
