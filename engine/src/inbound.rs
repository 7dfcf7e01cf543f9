//! Server events in: decode each into a protocol type (a payload that does
//! not decode is counted and dropped, never a panic), then apply a batch in
//! one transaction and say what changed.

use std::collections::{BTreeSet, HashMap, HashSet};

use rusqlite::Connection;
use serde::de::DeserializeOwned;
use serde_json::Value;
use switchboard_model::{Change, LocalMessage};
use switchboard_protocol::{
    ChatStatusEvent, ChatSummary, Message, Notification, NotificationCount, PresenceEvent, ReadEvent, Stats,
    TypingEvent, server, time::parse_millis,
};

use crate::store::{self, StoreError};

/// A decoded server event.
#[derive(Debug, Clone, PartialEq)]
pub enum Inbound {
    /// `message:new`.
    Message(Message),
    /// `chat:new`, and v2.1's `chat:updated` (tags, assignee, status or
    /// visitor context changed): a summary to store.
    ChatNew(Box<ChatSummary>),
    /// `chat:status`.
    ChatStatus(ChatStatusEvent),
    /// `chat:read`.
    ChatRead(ReadEvent),
    /// `user:typing` (`true`) / `user:stop-typing` (`false`).
    Typing(TypingEvent, bool),
    /// `user:presence`.
    Presence(PresenceEvent),
    /// `notification:new`.
    Notification(Notification),
    /// `notification:count`.
    NotificationCount(NotificationCount),
    /// `stats:update`.
    Stats(Stats),
    /// An event the console has no use for (`welcome`, `chat:joined`, an
    /// unknown name from a newer server).
    Ignored,
}

fn typed<T: DeserializeOwned>(name: &str, data: Value) -> Result<T, String> {
    serde_json::from_value(data).map_err(|e| format!("malformed {name}: {e}"))
}

/// Decodes one event; `Err` for a payload that does not match the protocol.
pub fn decode(name: &str, data: Value) -> Result<Inbound, String> {
    Ok(match name {
        server::MESSAGE_NEW => {
            let m: Message = typed(name, data)?;
            if parse_millis(&m.sent_at).is_none() {
                return Err(format!("malformed {name}: bad sentAt {:?}", m.sent_at));
            }
            Inbound::Message(m)
        }
        server::CHAT_NEW | server::CHAT_UPDATED => {
            let c: ChatSummary = typed(name, data)?;
            if parse_millis(&c.updated_at).is_none() || parse_millis(&c.created_at).is_none() {
                return Err(format!("malformed {name}: bad timestamps"));
            }
            Inbound::ChatNew(Box::new(c))
        }
        server::CHAT_STATUS => Inbound::ChatStatus(typed(name, data)?),
        server::CHAT_READ => Inbound::ChatRead(typed(name, data)?),
        server::USER_TYPING => Inbound::Typing(typed(name, data)?, true),
        server::USER_STOP_TYPING => Inbound::Typing(typed(name, data)?, false),
        server::USER_PRESENCE => Inbound::Presence(typed(name, data)?),
        server::NOTIFICATION_NEW => Inbound::Notification(typed(name, data)?),
        server::NOTIFICATION_COUNT => Inbound::NotificationCount(typed(name, data)?),
        server::STATS_UPDATE => Inbound::Stats(typed(name, data)?),
        _ => Inbound::Ignored,
    })
}

/// What applying a batch did.
#[derive(Debug, Default)]
pub struct Applied {
    /// Changes to publish, in order (chat and unread changes last).
    pub changes: Vec<Change>,
    /// Chats seen for the first time that are open: join their rooms.
    pub to_join: Vec<String>,
    /// Chats referred to but unknown locally: refresh the chat list.
    pub unknown_chats: bool,
    /// New messages (not echoes of what was held).
    pub new_messages: u64,
}

/// Applies decoded events in one transaction. `me` is the signed-in agent,
/// `live` the chats whose socket stream is known complete (their sync
/// cursor follows the messages that arrive).
pub fn apply(
    tx: &Connection,
    me: &str,
    live: &HashSet<String>,
    seen: &mut store::Seen,
    batch: Vec<Inbound>,
) -> Result<Applied, StoreError> {
    let mut out = Applied::default();
    let mut touched: BTreeSet<String> = BTreeSet::new();
    // Per batch: which chats are known, and how far each live chat's cursor goes.
    let mut known: HashMap<String, bool> = HashMap::new();
    let mut cursors: HashMap<String, i64> = HashMap::new();
    for item in batch {
        match item {
            Inbound::Message(m) => {
                let is_known = match known.get(&m.chat_id) {
                    Some(k) => *k,
                    None => {
                        let k = store::has_chat(tx, &m.chat_id)?;
                        known.insert(m.chat_id.clone(), k);
                        k
                    }
                };
                out.unknown_chats |= !is_known;
                let ins = store::insert_messages(tx, std::slice::from_ref(&m), seen)?;
                if let Some(new) = ins.new.into_iter().next() {
                    out.new_messages += 1;
                    if live.contains(&new.chat_id)
                        && let Some(at) = parse_millis(&new.sent_at)
                    {
                        let c = cursors.entry(new.chat_id.clone()).or_insert(at);
                        *c = (*c).max(at);
                    }
                    touched.insert(new.chat_id.clone());
                    out.changes.push(Change::Message {
                        message: Box::new(LocalMessage::sent(new)),
                    });
                }
            }
            Inbound::ChatNew(c) => {
                let was_known = store::has_chat(tx, &c.chat_id)?;
                known.insert(c.chat_id.clone(), true);
                for m in store::upsert_chat(tx, &c, seen)?.new {
                    out.new_messages += 1;
                    out.changes.push(Change::Message {
                        message: Box::new(LocalMessage::sent(m)),
                    });
                }
                if !was_known && c.status != switchboard_protocol::ChatStatus::Closed {
                    out.to_join.push(c.chat_id.clone());
                }
                touched.insert(c.chat_id);
            }
            Inbound::ChatStatus(s) => {
                let at = parse_millis(&s.timestamp).unwrap_or(0);
                if store::set_chat_status(tx, &s.chat_id, s.status, s.assignee_id.as_deref(), at)? {
                    touched.insert(s.chat_id);
                } else {
                    out.unknown_chats = true;
                }
            }
            Inbound::ChatRead(r) => {
                if r.reader_id == me
                    && let Some((chat, at)) = store::message_position(tx, &r.message_id)?
                    && chat == r.chat_id
                    && store::set_read_marker(tx, &chat, &r.message_id, at)?
                {
                    touched.insert(chat);
                }
            }
            Inbound::Typing(t, typing) => out.changes.push(Change::Typing {
                chat_id: t.chat_id,
                user_id: t.user_id,
                typing,
                internal: t.internal,
            }),
            Inbound::Presence(p) => out.changes.push(Change::Presence {
                user_id: p.user_id,
                status: p.status,
            }),
            Inbound::Notification(n) => {
                store::upsert_notification(tx, &n)?;
                out.changes.push(Change::Notification {
                    notification: Box::new(n),
                });
            }
            Inbound::NotificationCount(c) => out.changes.push(Change::NotificationCount { count: c.count }),
            Inbound::Stats(stats) => out.changes.push(Change::Stats { stats }),
            Inbound::Ignored => {}
        }
    }
    for (chat, at) in cursors {
        store::advance_cursor(tx, &format!("chat:{chat}"), at)?;
    }
    out.changes.extend(chat_changes(tx, me, &touched)?);
    Ok(out)
}

/// `Chat` and `Unread` changes for the chats in `touched`.
pub fn chat_changes(
    conn: &Connection,
    me: &str,
    touched: &BTreeSet<String>,
) -> Result<Vec<Change>, StoreError> {
    let mut changes = Vec::new();
    if touched.is_empty() {
        return Ok(changes);
    }
    let total = store::total_unread(conn, me)?;
    for id in touched {
        if let Some(chat) = store::chat_entry(conn, id, me)? {
            let unread = chat.unread;
            changes.push(Change::Chat { chat: Box::new(chat) });
            changes.push(Change::Unread {
                chat_id: id.clone(),
                unread,
                total,
            });
        }
    }
    Ok(changes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn malformed_payloads_are_errors_not_panics() {
        for (name, data) in [
            ("message:new", json!(null)),
            ("message:new", json!({"messageId": 5})),
            ("message:new", json!([1, 2, 3])),
            (
                "message:new",
                json!({"messageId": "m", "chatId": "c", "senderId": "s", "senderType": "visitor",
                "content": "x", "type": "text", "sentAt": "not a time"}),
            ),
            ("chat:new", json!("text")),
            (
                "chat:status",
                json!({"chatId": "c", "status": "EXPLODED", "timestamp": "x"}),
            ),
            ("user:typing", json!({})),
            ("stats:update", json!({"pending": -1})),
        ] {
            assert!(decode(name, data.clone()).is_err(), "{name} {data}");
        }
    }

    #[test]
    fn unknown_events_are_ignored() {
        assert_eq!(
            decode("welcome", json!({"anything": 1})).unwrap(),
            Inbound::Ignored
        );
        assert_eq!(decode("future:event", json!(42)).unwrap(), Inbound::Ignored);
    }
}
