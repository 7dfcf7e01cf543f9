//! The protocol's types in SQLite rows (feature `sqlite`), shared by the
//! hub's database and the engine's cache, which store a message in the same
//! eleven columns. One policy for a stored value that does not decode: it is
//! logged and its row refused, never turned into a made-up default.

use rusqlite::{Row, ToSql};
use serde::de::DeserializeOwned;

use crate::{Message, MessageType, SenderType, time::format_millis};

/// A stored value that does not decode (a corrupt or foreign database):
/// logs it (cut to 80 characters) and gives the error that refuses the row.
pub fn corrupt(column: &str, value: &str) -> rusqlite::Error {
    let value: String = value.chars().take(80).collect();
    tracing::error!(column, %value, "a stored value does not decode; the row is refused");
    rusqlite::Error::FromSqlConversionFailure(
        0,
        rusqlite::types::Type::Text,
        format!("bad {column}: {value:?}").into(),
    )
}

/// A JSON column that may be NULL; JSON that does not decode refuses the row.
pub fn json_column<T: DeserializeOwned>(column: &str, value: Option<String>) -> rusqlite::Result<Option<T>> {
    match value {
        Some(json) => serde_json::from_str(&json)
            .map(Some)
            .map_err(|_| corrupt(column, &json)),
        None => Ok(None),
    }
}

/// A message from the row's first eleven columns, in this order: id, chat
/// id, sender id, sender type, content, type, internal, first response,
/// sent at (milliseconds), client message id, attachment (JSON).
pub fn message_from_row(r: &Row<'_>) -> rusqlite::Result<Message> {
    let sender_type: String = r.get(3)?;
    let kind: String = r.get(5)?;
    Ok(Message {
        message_id: r.get(0)?,
        chat_id: r.get(1)?,
        sender_id: r.get(2)?,
        sender_type: SenderType::parse(&sender_type).ok_or_else(|| corrupt("sender_type", &sender_type))?,
        content: r.get(4)?,
        kind: MessageType::parse(&kind).ok_or_else(|| corrupt("type", &kind))?,
        is_internal: r.get(6)?,
        is_first_response: r.get(7)?,
        sent_at: format_millis(r.get(8)?),
        client_message_id: r.get(9)?,
        attachment: json_column("attachment", r.get(10)?)?,
    })
}

/// The columns [`message_from_row`] reads, as an insert binds them: `id`
/// stands for the message's id (the hub assigns a new one), `sent_at` is in
/// milliseconds, `attachment` the attachment's JSON.
#[derive(Debug)]
pub struct MessageColumns<'a> {
    id: &'a str,
    message: &'a Message,
    sender_type: &'static str,
    kind: &'static str,
    sent_at: i64,
    attachment: Option<String>,
}

impl<'a> MessageColumns<'a> {
    /// The columns of `message` stored under `id` at `sent_at`.
    pub fn new(id: &'a str, message: &'a Message, sent_at: i64) -> Self {
        Self {
            id,
            message,
            sender_type: message.sender_type.as_str(),
            kind: message.kind.as_str(),
            sent_at,
            // Plain strings and a number: serialising cannot fail.
            attachment: message
                .attachment
                .as_ref()
                .map(|a| serde_json::to_string(a).unwrap_or_default()),
        }
    }

    /// The eleven parameters, `?1` to `?11`.
    pub fn params(&self) -> [&dyn ToSql; 11] {
        let m = self.message;
        [
            &self.id,
            &m.chat_id,
            &m.sender_id,
            &self.sender_type,
            &m.content,
            &self.kind,
            &m.is_internal,
            &m.is_first_response,
            &self.sent_at,
            &m.client_message_id,
            &self.attachment,
        ]
    }
}
