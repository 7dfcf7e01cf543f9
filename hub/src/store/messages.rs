//! Messages (idempotent by `clientMessageId`, paged) and read markers.

use super::*;

impl Store {
    // ------------------------------------------------------------ messages

    /// Inserts a message with a fresh id and a `sentAt` strictly after the
    /// chat's newest, and stamps the chat's `updated_at`.
    pub fn insert_message(&self, m: &NewMessage<'_>) -> Result<Message> {
        let last: Option<i64> = self
            .conn
            .prepare_cached("SELECT MAX(sent_at) FROM messages WHERE chat_id = ?1")?
            .query_row([m.chat_id], |r| r.get(0))?;
        let sent_at = match last {
            Some(l) if l >= m.now => l + 1,
            _ => m.now,
        };
        let message = Message {
            message_id: uuid::Uuid::new_v4().to_string(),
            chat_id: m.chat_id.to_owned(),
            sender_id: m.sender_id.to_owned(),
            sender_type: m.sender_type,
            content: m.content.to_owned(),
            kind: m.kind,
            is_internal: m.is_internal,
            is_first_response: m.is_first_response,
            sent_at: format_millis(sent_at),
            client_message_id: m.client_message_id.map(str::to_owned),
            attachment: m.attachment.cloned(),
        };
        self.conn
            .prepare_cached(&format!(
                "INSERT INTO messages ({MESSAGE_COLS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
            ))?
            .execute(MessageColumns::new(&message.message_id, &message, sent_at).params())?;
        self.conn
            .prepare_cached("UPDATE chats SET updated_at = MAX(updated_at, ?2) WHERE id = ?1")?
            .execute(params![m.chat_id, sent_at])?;
        Ok(message)
    }

    /// The message a sender already sent with this `clientMessageId`.
    pub fn message_by_client_id(&self, sender_id: &str, client_message_id: &str) -> Result<Option<Message>> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {MESSAGE_COLS} FROM messages WHERE sender_id = ?1 AND client_message_id = ?2"
            ))?
            .query_row([sender_id, client_message_id], message_from_row)
            .optional()?)
    }

    /// One message with its `sentAt` in ms.
    pub fn message(&self, id: &str) -> Result<Option<(Message, i64)>> {
        Ok(self
            .conn
            .prepare_cached(&format!("SELECT {MESSAGE_COLS} FROM messages WHERE id = ?1"))?
            .query_row([id], |r| Ok((message_from_row(r)?, r.get::<_, i64>(8)?)))
            .optional()?)
    }

    /// The newest message of a chat.
    pub fn last_message(&self, chat_id: &str, include_internal: bool) -> Result<Option<Message>> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT {MESSAGE_COLS} FROM messages WHERE chat_id = ?1 AND (?2 OR is_internal = 0)
                 ORDER BY sent_at DESC LIMIT 1"
            ))?
            .query_row(params![chat_id, include_internal], message_from_row)
            .optional()?)
    }

    /// Whether an agent already wrote publicly in the chat.
    pub fn has_public_agent_message(&self, chat_id: &str) -> Result<bool> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM messages WHERE chat_id = ?1
                 AND sender_type = 'agent' AND is_internal = 0)",
            )?
            .query_row([chat_id], |r| r.get(0))?)
    }

    /// A page of history, oldest first, and whether more matched.
    pub fn page(&self, chat_id: &str, q: PageQuery) -> Result<(Vec<Message>, bool)> {
        let fetch = i64::from(q.limit) + 1;
        let ascending = q.date_from.is_some();
        let sql = format!(
            "SELECT {MESSAGE_COLS} FROM messages WHERE chat_id = ?1 AND (?2 OR is_internal = 0)
               AND (?3 IS NULL OR sent_at >= ?3) AND (?4 IS NULL OR sent_at < ?4)
             ORDER BY sent_at {} LIMIT ?5",
            if ascending { "ASC" } else { "DESC" }
        );
        let mut st = self.conn.prepare_cached(&sql)?;
        let mut rows: Vec<Message> = st
            .query_map(
                params![chat_id, q.include_internal, q.date_from, q.before, fetch],
                message_from_row,
            )?
            .collect::<rusqlite::Result<_>>()?;
        let has_more = rows.len() as i64 > i64::from(q.limit);
        rows.truncate(q.limit as usize);
        if !ascending {
            rows.reverse();
        }
        Ok((rows, has_more))
    }

    // ------------------------------------------------------------ read markers

    /// Moves a reader's marker forward to `message_id` (never back). Returns
    /// whether it moved.
    pub fn mark_read(
        &self,
        chat_id: &str,
        reader_id: &str,
        message_id: &str,
        sent_at: i64,
        now: i64,
    ) -> Result<bool> {
        let current: Option<i64> = self
            .conn
            .query_row(
                "SELECT m.sent_at FROM read_markers r JOIN messages m ON m.id = r.message_id
                 WHERE r.chat_id = ?1 AND r.reader_id = ?2",
                [chat_id, reader_id],
                |r| r.get(0),
            )
            .optional()?;
        if current.is_some_and(|c| c >= sent_at) {
            return Ok(false);
        }
        self.conn.execute(
            "INSERT INTO read_markers (chat_id, reader_id, message_id, read_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (chat_id, reader_id) DO UPDATE SET message_id = ?3, read_at = ?4",
            params![chat_id, reader_id, message_id, now],
        )?;
        Ok(true)
    }
}
