//! Notifications, uploaded files and the stats.

use super::*;

impl Store {
    // ------------------------------------------------------------ notifications

    /// Stores one notification for one agent.
    pub fn insert_notification(&self, agent_id: &str, n: &Notification, now: i64) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO notifications (id, agent_id, type, title, message, data, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                n.id,
                agent_id,
                n.kind.as_str(),
                n.title,
                n.message,
                n.data.as_ref().map(|d| d.to_string()),
                now
            ])?;
        Ok(())
    }

    /// An agent's notifications, newest first.
    pub fn notifications(&self, agent_id: &str, unread_only: bool, limit: u32) -> Result<Vec<Notification>> {
        let mut st = self.conn.prepare_cached(
            "SELECT id, type, title, message, data, created_at, read_at FROM notifications
             WHERE agent_id = ?1 AND (NOT ?2 OR read_at IS NULL)
             ORDER BY created_at DESC, rowid DESC LIMIT ?3",
        )?;
        let rows = st.query_map(params![agent_id, unread_only, limit], |r| {
            let kind: String = r.get(1)?;
            let data: Option<String> = r.get(4)?;
            Ok(Notification {
                id: r.get(0)?,
                kind: NotificationType::parse(&kind).ok_or_else(|| corrupt("type", &kind))?,
                title: r.get(2)?,
                message: r.get(3)?,
                data: json_column("data", data)?,
                created_at: format_millis(r.get(5)?),
                read: Some(r.get::<_, Option<i64>>(6)?.is_some()),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// An agent's unread notification count.
    pub fn unread_notifications(&self, agent_id: &str) -> Result<u64> {
        Ok(self
            .conn
            .prepare_cached("SELECT COUNT(*) FROM notifications WHERE agent_id = ?1 AND read_at IS NULL")?
            .query_row([agent_id], |r| r.get::<_, i64>(0))? as u64)
    }

    /// Marks one notification read; `false` when the agent has no such notification.
    pub fn read_notification(&self, agent_id: &str, id: &str, now: i64) -> Result<bool> {
        let exists: bool = self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM notifications WHERE id = ?1 AND agent_id = ?2)",
            [id, agent_id],
            |r| r.get(0),
        )?;
        if exists {
            self.conn.execute(
                "UPDATE notifications SET read_at = ?3 WHERE id = ?1 AND agent_id = ?2 AND read_at IS NULL",
                params![id, agent_id, now],
            )?;
        }
        Ok(exists)
    }

    /// Marks every notification of an agent read.
    pub fn read_all_notifications(&self, agent_id: &str, now: i64) -> Result<()> {
        self.conn.execute(
            "UPDATE notifications SET read_at = ?2 WHERE agent_id = ?1 AND read_at IS NULL",
            params![agent_id, now],
        )?;
        Ok(())
    }

    // ------------------------------------------------------------ files

    /// Stores an upload.
    #[allow(clippy::too_many_arguments)]
    pub fn insert_file(
        &self,
        id: &str,
        chat_id: &str,
        uploader_id: &str,
        file_name: &str,
        mime_type: &str,
        bytes: &[u8],
        now: i64,
    ) -> Result<()> {
        self.conn.execute(
            "INSERT INTO files (id, chat_id, uploader_id, file_name, mime_type, size, bytes, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                id,
                chat_id,
                uploader_id,
                file_name,
                mime_type,
                bytes.len() as i64,
                bytes,
                now
            ],
        )?;
        Ok(())
    }

    /// An upload's name, type and bytes.
    pub fn file(&self, id: &str) -> Result<Option<FileRow>> {
        Ok(self
            .conn
            .query_row(
                "SELECT file_name, mime_type, bytes FROM files WHERE id = ?1",
                [id],
                |r| {
                    Ok(FileRow {
                        file_name: r.get(0)?,
                        mime_type: r.get(1)?,
                        bytes: r.get(2)?,
                    })
                },
            )
            .optional()?)
    }

    // ------------------------------------------------------------ stats

    /// Queue numbers; `agents_online` is the caller's to fill in.
    pub fn stats(&self, day_start: i64) -> Result<Stats> {
        Ok(self.conn.query_row(
            "SELECT
               (SELECT COUNT(*) FROM chats WHERE status = 'PENDING'),
               (SELECT COUNT(*) FROM chats WHERE status = 'IN_PROGRESS'),
               (SELECT COUNT(*) FROM chats WHERE status = 'CLOSED' AND closed_at >= ?1)",
            [day_start],
            |r| {
                Ok(Stats {
                    pending: r.get::<_, i64>(0)? as u64,
                    in_progress: r.get::<_, i64>(1)? as u64,
                    closed_today: r.get::<_, i64>(2)? as u64,
                    agents_online: 0,
                })
            },
        )?)
    }
}
