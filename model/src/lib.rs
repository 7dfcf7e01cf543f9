//! The console's domain without I/O: messages with their local delivery
//! state, inbox entries with unread counts, the connection state, and the
//! typed changes the engine publishes. Shared by the engine, the CLI and the
//! UI (builds for wasm32); no network or storage happens here.

#![cfg_attr(not(test), warn(missing_docs))]

pub mod actions;
pub mod alerts;
pub mod canned;
pub mod files;
#[cfg(any(test, feature = "fixtures"))]
pub mod fixtures;
pub mod ipc;

use serde::{Deserialize, Serialize};
use switchboard_protocol::{
    Attachment, ChatStatus, ChatSummary, Message, MessageType, Notification, Presence, SenderType, Stats,
    VisitorInfo,
};

/// What the link to the server is doing, for the UI to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "camelCase")]
pub enum ConnectionState {
    /// First connection attempt under way.
    Connecting,
    /// Connected, rooms joined, caught up.
    Online,
    /// Lost; the next attempt is `next_in_ms` away.
    #[serde(rename_all = "camelCase")]
    Reconnecting {
        /// Attempts so far since the last success.
        attempt: u32,
        /// Milliseconds until the next attempt.
        next_in_ms: u64,
    },
    /// Not connecting (stopped, or never started).
    Offline,
    /// The server refused the token: sign in again. Local data and the
    /// outbox are kept.
    NeedsLogin,
}

/// The local delivery state of a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryStatus {
    /// Stored in the outbox, not yet accepted by the server.
    Sending,
    /// The server has it (every received message is `sent`).
    Sent,
    /// The server refused it; it can be retried.
    Failed,
    /// Waiting in the outbox behind an action of its chat that the server
    /// refused: sent once the agent lets it go, or discarded.
    Held,
}

/// A message found by a search, with the words that matched marked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchHit {
    /// The message.
    pub message: LocalMessage,
    /// Its text around the match, each matched word between
    /// [`HIT_START`] and [`HIT_END`], cut with `…` where it is long.
    pub snippet: String,
}

/// Opens a matched word in [`SearchHit::snippet`].
pub const HIT_START: char = '\u{2}';
/// Closes a matched word in [`SearchHit::snippet`].
pub const HIT_END: char = '\u{3}';

/// A message as the console holds it: the server's message, or an outbox
/// entry that the server has not accepted yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LocalMessage {
    /// Server id; absent while sending.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    /// The chat.
    pub chat_id: String,
    /// Author id.
    pub sender_id: String,
    /// Author kind.
    pub sender_type: SenderType,
    /// Text (rendered as text, never HTML).
    pub content: String,
    /// Text, image or file.
    #[serde(rename = "type")]
    pub kind: MessageType,
    /// Internal note (agents only).
    pub is_internal: bool,
    /// First public agent message of the chat.
    pub is_first_response: bool,
    /// Server time; absent while sending.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<String>,
    /// The idempotency key of messages this console (or another client) sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_message_id: Option<String>,
    /// Attachment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachment: Option<Attachment>,
    /// Local delivery state.
    pub status: DeliveryStatus,
    /// Why it failed, when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl LocalMessage {
    /// A message the server has.
    pub fn sent(m: Message) -> Self {
        Self {
            message_id: Some(m.message_id),
            chat_id: m.chat_id,
            sender_id: m.sender_id,
            sender_type: m.sender_type,
            content: m.content,
            kind: m.kind,
            is_internal: m.is_internal,
            is_first_response: m.is_first_response,
            sent_at: Some(m.sent_at),
            client_message_id: m.client_message_id,
            attachment: m.attachment,
            status: DeliveryStatus::Sent,
            error: None,
        }
    }

    /// The key that identifies it across `sending` → `sent`: the client id
    /// when there is one, else the server id.
    pub fn key(&self) -> &str {
        self.client_message_id
            .as_deref()
            .or(self.message_id.as_deref())
            .unwrap_or_default()
    }
}

/// A chat in the inbox: the server's summary plus local counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChatEntry {
    /// The chat id.
    pub chat_id: String,
    /// Who opened it.
    pub visitor: VisitorInfo,
    /// Status.
    pub status: ChatStatus,
    /// Holder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee_id: Option<String>,
    /// Subject line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The newest message held locally.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_message: Option<LocalMessage>,
    /// Opened at.
    pub created_at: String,
    /// Last activity.
    pub updated_at: String,
    /// Messages from others after my read marker.
    pub unread: u64,
    /// What I have written here and not sent yet (this device only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub draft: Option<Draft>,
    /// Files staged here and not sent yet (this device only), oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub staged: Vec<StagedFile>,
    /// My messages here that the server refused (retry, edit or discard).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub failed: u32,
    /// The chat's tags (protocol v2.1; none from a v2 server).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// My messages and actions here waiting behind a refused action (send
    /// or discard).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub held: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// A file staged in a chat's composer, kept by the engine until it is sent
/// or taken off (its bytes: `GetStagedFile`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StagedFile {
    /// Its id.
    pub id: String,
    /// Its name (display name: no path, no invisible characters).
    pub file_name: String,
    /// Its size in bytes.
    pub file_size: u64,
}

/// What the agent has written in a chat and not sent yet: the composer's
/// text and its mode. Kept by the engine, one per chat.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Draft {
    /// The text as typed.
    pub content: String,
    /// The composer is in internal-note mode.
    pub internal: bool,
}

impl Draft {
    /// Longest draft kept, in characters: well past what can be sent
    /// (`MAX_CONTENT_CHARS`), so an over-long text is kept to be cut, not lost.
    pub const MAX_CHARS: usize = 10 * switchboard_protocol::MAX_CONTENT_CHARS;

    /// Nothing to keep: no text, and the default mode (reply).
    pub fn is_empty(&self) -> bool {
        self.content.is_empty() && !self.internal
    }

    /// Worth a mark in the inbox: some text that is not only blanks.
    pub fn has_text(&self) -> bool {
        !self.content.trim().is_empty()
    }
}

impl ChatEntry {
    /// An entry from a server summary, with no local counts yet.
    pub fn from_summary(s: ChatSummary) -> Self {
        Self {
            chat_id: s.chat_id,
            visitor: s.visitor,
            status: s.status,
            assignee_id: s.assignee_id,
            subject: s.subject,
            last_message: s.last_message.map(LocalMessage::sent),
            created_at: s.created_at,
            updated_at: s.updated_at,
            unread: 0,
            draft: None,
            staged: Vec::new(),
            failed: 0,
            tags: s.tags.unwrap_or_default(),
            held: 0,
        }
    }
}

/// Which inbox tab a chat belongs to, for an agent `me`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InboxTab {
    /// In progress and assigned to me.
    Mine,
    /// Pending: waiting for an agent.
    Queue,
    /// Every open chat.
    All,
    /// Closed.
    Closed,
}

impl InboxTab {
    /// Whether `chat` shows under this tab for agent `me`.
    pub fn contains(self, chat: &ChatEntry, me: &str) -> bool {
        match self {
            Self::Mine => chat.status == ChatStatus::InProgress && chat.assignee_id.as_deref() == Some(me),
            Self::Queue => chat.status == ChatStatus::Pending,
            Self::All => chat.status != ChatStatus::Closed,
            Self::Closed => chat.status == ChatStatus::Closed,
        }
    }
}

/// Orders an inbox: most recent activity first, ties by id (stable).
pub fn sort_inbox(chats: &mut [ChatEntry]) {
    chats.sort_by(|a, b| {
        b.updated_at
            .cmp(&a.updated_at)
            .then_with(|| a.chat_id.cmp(&b.chat_id))
    });
}

/// Whether a message counts as unread for agent `me`: written by someone
/// else (a visitor or another agent), not by the server itself.
pub fn counts_as_unread(sender_type: SenderType, sender_id: &str, me: &str) -> bool {
    sender_type != SenderType::System && sender_id != me
}

/// A change the engine publishes; the UI applies them in order to the
/// snapshot it loaded. Large payloads are boxed to keep channels small.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Change {
    /// The link's state changed.
    Connection {
        /// The new state.
        state: ConnectionState,
    },
    /// A chat appeared or changed (status, assignee, last message, unread).
    Chat {
        /// The chat as it is now.
        chat: Box<ChatEntry>,
    },
    /// A message appeared or changed (e.g. `sending` → `sent`).
    Message {
        /// The message as it is now.
        message: Box<LocalMessage>,
    },
    /// Someone started or stopped typing.
    #[serde(rename_all = "camelCase")]
    Typing {
        /// The chat.
        chat_id: String,
        /// Who.
        user_id: String,
        /// Started (`true`) or stopped.
        typing: bool,
        /// In an internal note (an agent, v2.1 `internalTyping`).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        internal: bool,
    },
    /// An agent's presence changed.
    #[serde(rename_all = "camelCase")]
    Presence {
        /// The agent.
        user_id: String,
        /// Now.
        status: Presence,
    },
    /// A server notification arrived.
    Notification {
        /// It.
        notification: Box<Notification>,
    },
    /// The server's unread notification count.
    NotificationCount {
        /// Unread notifications.
        count: u64,
    },
    /// Unread messages changed.
    #[serde(rename_all = "camelCase")]
    Unread {
        /// The chat whose count changed.
        chat_id: String,
        /// Its unread count.
        unread: u64,
        /// The total over all chats.
        total: u64,
    },
    /// Queue and team numbers.
    Stats {
        /// Now.
        stats: Stats,
    },
    /// A catch-up after (re)connecting finished; `messages` arrived while away.
    #[serde(rename_all = "camelCase")]
    CaughtUp {
        /// New messages from others, fetched by the catch-up.
        messages: u64,
        /// In how many chats.
        chats: u64,
    },
    /// What the server offers changed (asked after each connect).
    Capabilities {
        /// Its v2.1 feature names (none: a plain v2 server).
        features: Vec<String>,
    },
    /// An action was queued, or the server refused it (it is undone, and
    /// the chat's later items wait for the agent).
    Action {
        /// It, as it stands now.
        action: Box<actions::QueuedAction>,
    },
    /// An action left the outbox: the server applied it, or the agent let a
    /// refused one go.
    #[serde(rename_all = "camelCase")]
    ActionDone {
        /// Its id.
        id: String,
        /// Its chat.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        chat_id: Option<String>,
    },
    /// A message that was never sent left the outbox (the agent discarded
    /// it, or took it back to edit): it leaves the timeline.
    #[serde(rename_all = "camelCase")]
    Discarded {
        /// The chat.
        chat_id: String,
        /// The message's `clientMessageId`.
        client_message_id: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry(id: &str, status: ChatStatus, assignee: Option<&str>, updated: &str) -> ChatEntry {
        crate::fixtures::chat(id)
            .visitor("v", "V")
            .status(status, assignee)
            .updated(updated)
            .build()
    }

    #[test]
    fn tabs_partition_chats_for_an_agent() {
        let mine = entry("a", ChatStatus::InProgress, Some("me"), "1");
        let theirs = entry("b", ChatStatus::InProgress, Some("other"), "1");
        let queued = entry("c", ChatStatus::Pending, None, "1");
        let closed = entry("d", ChatStatus::Closed, Some("me"), "1");
        assert!(InboxTab::Mine.contains(&mine, "me"));
        assert!(!InboxTab::Mine.contains(&theirs, "me"));
        assert!(InboxTab::Queue.contains(&queued, "me"));
        assert!(InboxTab::All.contains(&theirs, "me") && !InboxTab::All.contains(&closed, "me"));
        assert!(InboxTab::Closed.contains(&closed, "me"));
    }

    #[test]
    fn inbox_is_ordered_by_last_activity() {
        let mut chats = vec![
            entry("a", ChatStatus::Pending, None, "2026-01-01T00:00:00.000Z"),
            entry("b", ChatStatus::Pending, None, "2026-01-03T00:00:00.000Z"),
            entry("c", ChatStatus::Pending, None, "2026-01-02T00:00:00.000Z"),
        ];
        sort_inbox(&mut chats);
        let ids: Vec<_> = chats.iter().map(|c| c.chat_id.as_str()).collect();
        assert_eq!(ids, ["b", "c", "a"]);
    }

    #[test]
    fn own_and_system_messages_are_never_unread() {
        assert!(counts_as_unread(SenderType::Visitor, "v", "me"));
        assert!(counts_as_unread(SenderType::Agent, "other", "me"));
        assert!(!counts_as_unread(SenderType::Agent, "me", "me"));
        assert!(!counts_as_unread(SenderType::System, "c", "me"));
    }

    #[test]
    fn changes_serialise_with_a_type_tag() {
        let c = Change::Connection {
            state: ConnectionState::Reconnecting {
                attempt: 2,
                next_in_ms: 1500,
            },
        };
        assert_eq!(
            serde_json::to_value(&c).unwrap(),
            json!({"type": "connection", "state": {"state": "reconnecting", "attempt": 2, "nextInMs": 1500}})
        );
    }
}
