//! Socket.IO event names and payloads, both directions.

use serde::{Deserialize, Serialize};

use crate::{ChatStatus, Presence};

/// Client → server event names.
pub mod client {
    /// Join a chat's rooms.
    pub const CHAT_JOIN: &str = "chat:join";
    /// Leave a chat's rooms.
    pub const CHAT_LEAVE: &str = "chat:leave";
    /// Started typing in a chat.
    pub const TYPING_START: &str = "typing:start";
    /// Stopped typing in a chat.
    pub const TYPING_STOP: &str = "typing:stop";
    /// Read a chat up to a message.
    pub const CHAT_READ: &str = "chat:read";
    /// Change my presence.
    pub const PRESENCE_UPDATE: &str = "presence:update";
    /// Mark one notification read.
    pub const NOTIFICATION_READ: &str = "notification:read";
    /// Mark every notification read.
    pub const NOTIFICATION_READ_ALL: &str = "notification:read:all";
    /// Liveness probe, acked with `{status: "ok", timestamp}`.
    pub const HEALTH_CHECK: &str = "health-check";
}

/// Server → client event names.
pub mod server {
    /// Sent on connect.
    pub const WELCOME: &str = "welcome";
    /// Confirms `chat:join`.
    pub const CHAT_JOINED: &str = "chat:joined";
    /// Confirms `chat:leave`.
    pub const CHAT_LEFT: &str = "chat:left";
    /// A new message.
    pub const MESSAGE_NEW: &str = "message:new";
    /// A chat changed status or assignee.
    pub const CHAT_STATUS: &str = "chat:status";
    /// A visitor opened a chat.
    pub const CHAT_NEW: &str = "chat:new";
    /// Somebody read a chat up to a message.
    pub const CHAT_READ: &str = "chat:read";
    /// Somebody is typing.
    pub const USER_TYPING: &str = "user:typing";
    /// Somebody stopped typing.
    pub const USER_STOP_TYPING: &str = "user:stop-typing";
    /// An agent's presence changed.
    pub const USER_PRESENCE: &str = "user:presence";
    /// A notification for me.
    pub const NOTIFICATION_NEW: &str = "notification:new";
    /// My unread notification count.
    pub const NOTIFICATION_COUNT: &str = "notification:count";
    /// Queue and team numbers changed.
    pub const STATS_UPDATE: &str = "stats:update";
    /// A chat's tags, assignee, status or visitor context changed (v2.1
    /// `chatUpdated`): a ChatSummary, to `agents`.
    pub const CHAT_UPDATED: &str = "chat:updated";
}

/// `{}`: the payload of `notification:read:all` and `health-check`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Empty {}

/// `{chatId}`: the payload of `chat:join`, `chat:leave`, `typing:*`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChatRef {
    /// The chat.
    pub chat_id: String,
}

/// Ack of `chat:join` / `chat:leave` (and, with `success` only, of others).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Ack {
    /// Whether the request was carried out.
    pub success: bool,
    /// The room joined or left.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub room_name: Option<String>,
    /// Why it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl Ack {
    /// `{success: true}`.
    pub fn ok() -> Self {
        Self {
            success: true,
            room_name: None,
            message: None,
        }
    }

    /// `{success: true, roomName}`.
    pub fn room(room: String) -> Self {
        Self {
            success: true,
            room_name: Some(room),
            message: None,
        }
    }

    /// `{success: false, message}`.
    pub fn fail(message: impl Into<String>) -> Self {
        Self {
            success: false,
            room_name: None,
            message: Some(message.into()),
        }
    }
}

/// `chat:read` from a client: read up to and including `messageId`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReadRequest {
    /// The chat.
    pub chat_id: String,
    /// The newest message read.
    pub message_id: String,
}

/// `presence:update` from an agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PresenceUpdate {
    /// Online, away or busy (offline is the server's to say).
    pub status: Presence,
}

/// `notification:read` from an agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NotificationRead {
    /// The notification.
    pub notification_id: String,
}

/// `health-check` ack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthAck {
    /// Always `ok`.
    pub status: String,
    /// Server time, ISO 8601.
    pub timestamp: String,
}

/// `welcome`, sent on connect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Welcome {
    /// A greeting.
    pub message: String,
    /// The socket's id.
    pub client_id: String,
    /// Server time.
    pub timestamp: String,
}

/// `chat:joined` / `chat:left`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoomEvent {
    /// The chat.
    pub chat_id: String,
    /// The room.
    pub room_name: String,
    /// Server time.
    pub timestamp: String,
}

/// `chat:status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChatStatusEvent {
    /// The chat.
    pub chat_id: String,
    /// Its new status.
    pub status: ChatStatus,
    /// Who holds it now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee_id: Option<String>,
    /// Server time.
    pub timestamp: String,
}

/// `chat:read` from the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReadEvent {
    /// The chat.
    pub chat_id: String,
    /// Who read (agent or visitor id).
    pub reader_id: String,
    /// Read up to and including this message.
    pub message_id: String,
    /// When.
    pub read_at: String,
}

/// `typing:start` / `typing:stop` from a client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TypingRequest {
    /// The chat.
    pub chat_id: String,
    /// An agent writing an internal note (v2.1 `internalTyping`): told to
    /// the chat's commercial room only.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub internal: bool,
}

/// `user:typing` / `user:stop-typing`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TypingEvent {
    /// Who is typing.
    pub user_id: String,
    /// Where.
    pub chat_id: String,
    /// Writing an internal note (v2.1 `internalTyping`; agents only).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub internal: bool,
}

/// `user:presence`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PresenceEvent {
    /// The agent.
    pub user_id: String,
    /// Their presence now.
    pub status: Presence,
    /// Server time.
    pub timestamp: String,
}

/// `notification:count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationCount {
    /// Unread notifications.
    pub count: u64,
}
