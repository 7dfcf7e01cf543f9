//! The wire types of the Switchboard chat protocol (`PROTOCOL.md`, v2): every
//! HTTP body and Socket.IO payload, with serde names exactly as on the wire.
//!
//! This crate has no I/O and builds for `wasm32-unknown-unknown`, so the hub,
//! the engine and the UI all share one definition of the contract.

#![cfg_attr(not(test), warn(missing_docs))]

use serde::{Deserialize, Serialize};

pub mod events;
#[cfg(feature = "sqlite")]
pub mod sql;
pub mod sync;
pub mod time;
pub mod v21;

pub use events::*;
pub use v21::*;

/// The protocol version this crate describes.
pub const PROTOCOL_VERSION: &str = "v2";

/// Longest message `content`, in characters, a default server accepts.
pub const MAX_CONTENT_CHARS: usize = 10_000;
/// Longest `clientMessageId`, in characters.
pub const MAX_CLIENT_MESSAGE_ID_CHARS: usize = 100;
/// Default upload cap in bytes (10 MiB).
pub const DEFAULT_MAX_UPLOAD_BYTES: u64 = 10 * 1024 * 1024;
/// Default and largest `limit` of a history page.
pub const DEFAULT_PAGE_LIMIT: u32 = 50;
/// Largest `limit` of a history page; larger values are capped.
pub const MAX_PAGE_LIMIT: u32 = 500;

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SenderType {
    /// The website visitor.
    Visitor,
    /// A support agent ("commercial").
    Agent,
    /// The server itself (chat accepted, chat closed…).
    System,
}

impl SenderType {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Visitor => "visitor",
            Self::Agent => "agent",
            Self::System => "system",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "visitor" => Some(Self::Visitor),
            "agent" => Some(Self::Agent),
            "system" => Some(Self::System),
            _ => None,
        }
    }
}

/// The kind of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageType {
    /// Plain text.
    Text,
    /// An image attachment (with optional caption in `content`).
    Image,
    /// A file attachment (with optional caption in `content`).
    File,
}

impl MessageType {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Image => "image",
            Self::File => "file",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "text" => Some(Self::Text),
            "image" => Some(Self::Image),
            "file" => Some(Self::File),
            _ => None,
        }
    }
}

/// The lifecycle state of a chat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ChatStatus {
    /// Opened by a visitor, no agent yet: it sits in the queue.
    Pending,
    /// An agent answered or accepted it.
    InProgress,
    /// Finished.
    Closed,
}

impl ChatStatus {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::InProgress => "IN_PROGRESS",
            Self::Closed => "CLOSED",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "PENDING" => Some(Self::Pending),
            "IN_PROGRESS" => Some(Self::InProgress),
            "CLOSED" => Some(Self::Closed),
            _ => None,
        }
    }
}

/// A file attached to a message, as answered by `POST /v2/files/upload`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attachment {
    /// Where to download it; may be relative to the server (`/v2/files/{id}`).
    pub url: String,
    /// The original file name.
    pub file_name: String,
    /// Size in bytes.
    pub file_size: u64,
    /// MIME type, e.g. `image/png`.
    pub mime_type: String,
}

/// A chat message (`message:new`, history pages, `POST /v2/messages` answers).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    /// Unique id assigned by the server.
    pub message_id: String,
    /// The chat it belongs to.
    pub chat_id: String,
    /// The visitor's or agent's id (the chat id for system messages).
    pub sender_id: String,
    /// Who wrote it.
    pub sender_type: SenderType,
    /// The text, rendered as text, never HTML.
    pub content: String,
    /// Text, image or file.
    #[serde(rename = "type")]
    pub kind: MessageType,
    /// An internal note: agents only, never sent to a visitor.
    #[serde(default)]
    pub is_internal: bool,
    /// The first public agent message of the chat.
    #[serde(default)]
    pub is_first_response: bool,
    /// Server clock, ISO 8601 with milliseconds; strictly increasing per chat.
    pub sent_at: String,
    /// Echoed from the send request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_message_id: Option<String>,
    /// The attachment of an image or file message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachment: Option<Attachment>,
}

/// The visitor of a chat, as shown to agents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitorInfo {
    /// The visitor's id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// E-mail, when the visitor gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Where the visitor came from (v2.1 `visitorContext`; agents only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<VisitorContext>,
}

/// A chat as listed in an inbox (`chat:new`, `GET /v2/chats`, accept/close).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChatSummary {
    /// The chat's id.
    pub chat_id: String,
    /// Who opened it.
    pub visitor: VisitorInfo,
    /// Pending, in progress or closed.
    pub status: ChatStatus,
    /// The agent who holds it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee_id: Option<String>,
    /// The newest message the reader may see.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_message: Option<Message>,
    /// The visitor's subject line, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// When the visitor opened it.
    pub created_at: String,
    /// Last message or status change (for one agent's answer, also that
    /// agent's read marker moving: v2.1 `readSync`).
    pub updated_at: String,
    /// The chat's tags (v2.1 `tags`; agents only, absent from a v2 server).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    /// The calling agent's own read marker (v2.1 `readSync`), only in
    /// answers to that agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub my_read_marker: Option<ReadMarker>,
}

/// An agent's presence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Presence {
    /// Available.
    Online,
    /// Away from the keyboard.
    Away,
    /// Busy: do not disturb.
    Busy,
    /// No connected socket.
    Offline,
}

impl Presence {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Online => "online",
            Self::Away => "away",
            Self::Busy => "busy",
            Self::Offline => "offline",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "online" => Some(Self::Online),
            "away" => Some(Self::Away),
            "busy" => Some(Self::Busy),
            "offline" => Some(Self::Offline),
            _ => None,
        }
    }
}

/// The severity of a notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NotificationType {
    /// Informational (a new chat…).
    Info,
    /// Something went well.
    Success,
    /// Needs attention.
    Warning,
    /// Something failed.
    Error,
}

impl NotificationType {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Success => "success",
            Self::Warning => "warning",
            Self::Error => "error",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "info" => Some(Self::Info),
            "success" => Some(Self::Success),
            "warning" => Some(Self::Warning),
            "error" => Some(Self::Error),
            _ => None,
        }
    }
}

/// A server notification (`notification:new`, `GET /v2/notifications`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Notification {
    /// The notification's id.
    pub id: String,
    /// Severity.
    #[serde(rename = "type")]
    pub kind: NotificationType,
    /// Short title.
    pub title: String,
    /// Body text.
    pub message: String,
    /// Free-form data, e.g. `{chatId}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<serde_json::Value>,
    /// When it was raised.
    pub created_at: String,
    /// Whether this agent has read it (an extension; absent means unknown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read: Option<bool>,
}

/// An agent account as answered by login and `GET /v2/auth/me`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agent {
    /// The agent's id (the `senderId` of its messages).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Login e-mail.
    pub email: String,
    /// Role, e.g. `agent` or `admin`.
    pub role: String,
}

/// An entry of `GET /v2/agents`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentPresence {
    /// The agent's id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Presence now.
    pub status: Presence,
    /// Most chats assigned automatically (v2.1 `assignment`; 0: none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_chats: Option<u32>,
    /// Chats the agent holds now (v2.1 `assignment`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_chats: Option<u32>,
}

/// Queue and team numbers (`stats:update`, `GET /v2/stats`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Stats {
    /// Chats waiting in the queue.
    pub pending: u64,
    /// Chats an agent holds.
    pub in_progress: u64,
    /// Chats closed since midnight UTC.
    pub closed_today: u64,
    /// Agents with at least one connected socket.
    pub agents_online: u64,
}

// ---------------------------------------------------------------- HTTP bodies

/// `POST /v2/auth/login` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginRequest {
    /// Login e-mail.
    pub email: String,
    /// Password.
    pub password: String,
}

/// `POST /v2/auth/login` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoginResponse {
    /// The JWT for `Authorization: Bearer` and the socket's `auth.token`.
    pub token: String,
    /// When the token expires (ISO 8601).
    pub expires_at: String,
    /// Who logged in.
    pub agent: Agent,
}

/// `POST /v2/messages` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SendMessageRequest {
    /// The chat to write in.
    pub chat_id: String,
    /// The text (may be empty for an image or file with an attachment).
    pub content: String,
    /// Text, image or file.
    #[serde(rename = "type")]
    pub kind: MessageType,
    /// An internal note (agents only).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub is_internal: bool,
    /// The attachment of an image or file message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachment: Option<Attachment>,
    /// The client's idempotency key, echoed back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_message_id: Option<String>,
}

/// `GET /v2/messages/chat/{chatId}` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessagePage {
    /// Oldest first.
    pub messages: Vec<Message>,
    /// More matched than were returned.
    pub has_more: bool,
}

/// `GET /v2/chats` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatList {
    /// Most recently updated first.
    pub chats: Vec<ChatSummary>,
}

/// `GET /v2/agents` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentList {
    /// Everyone's presence now.
    pub agents: Vec<AgentPresence>,
}

/// `GET /v2/notifications` answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NotificationList {
    /// Newest first.
    pub notifications: Vec<Notification>,
    /// How many are unread in all.
    pub unread: u64,
}

/// `POST /v2/visitors` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateVisitorRequest {
    /// Display name.
    pub name: String,
    /// Optional e-mail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Where the visitor is (v2.1 `visitorContext`; a v2 server ignores it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<VisitorContext>,
}

/// `POST /v2/visitors` answer (the session travels in a cookie).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateVisitorResponse {
    /// The new visitor's id.
    pub visitor_id: String,
}

/// `POST /v2/chats` body (visitor side).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenChatRequest {
    /// Optional subject line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
}

/// A NestJS-style error body: `{statusCode, error, message}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    /// The HTTP status code.
    pub status_code: u16,
    /// The status's reason phrase, e.g. `Bad Request`.
    pub error: String,
    /// What went wrong, for a person.
    pub message: String,
}

/// The MIME type a file name's extension suggests (`application/octet-stream`
/// when unknown). Shared by the hub (uploads without a type) and clients.
pub fn mime_for_file_name(file_name: &str) -> &'static str {
    let ext = file_name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "pdf" => "application/pdf",
        "txt" | "log" => "text/plain",
        "csv" => "text/csv",
        "json" => "application/json",
        "zip" => "application/zip",
        _ => "application/octet-stream",
    }
}

/// The name of the visitor session cookie.
pub const VISITOR_COOKIE: &str = "visitor_session";

/// The room of everyone in a chat.
pub fn chat_room(chat_id: &str) -> String {
    format!("chat:{chat_id}")
}

/// The agents-only room of a chat, where internal notes go.
pub fn commercial_room(chat_id: &str) -> String {
    format!("chat:{chat_id}:commercial")
}

/// The room of every connected agent.
pub const AGENTS_ROOM: &str = "agents";

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn message_round_trips_with_wire_names() {
        let wire = json!({
            "messageId": "m1", "chatId": "c1", "senderId": "v1",
            "senderType": "visitor", "content": "hola", "type": "text",
            "isInternal": false, "isFirstResponse": false,
            "sentAt": "2026-11-23T10:15:30.123Z", "clientMessageId": "k1"
        });
        let m: Message = serde_json::from_value(wire.clone()).unwrap();
        assert_eq!(m.kind, MessageType::Text);
        assert_eq!(m.sender_type, SenderType::Visitor);
        assert_eq!(serde_json::to_value(&m).unwrap(), wire);
    }

    #[test]
    fn chat_status_uses_screaming_case() {
        assert_eq!(
            serde_json::to_value(ChatStatus::InProgress).unwrap(),
            json!("IN_PROGRESS")
        );
        for s in [ChatStatus::Pending, ChatStatus::InProgress, ChatStatus::Closed] {
            assert_eq!(ChatStatus::parse(s.as_str()), Some(s));
        }
    }

    #[test]
    fn unknown_enum_values_are_rejected() {
        let bad = json!({"messageId": "m", "chatId": "c", "senderId": "s",
            "senderType": "robot", "content": "", "type": "text", "sentAt": "x"});
        assert!(serde_json::from_value::<Message>(bad).is_err());
    }

    #[test]
    fn send_request_omits_defaults() {
        let r = SendMessageRequest {
            chat_id: "c".into(),
            content: "hi".into(),
            kind: MessageType::Text,
            is_internal: false,
            attachment: None,
            client_message_id: None,
        };
        assert_eq!(
            serde_json::to_value(&r).unwrap(),
            json!({"chatId": "c", "content": "hi", "type": "text"})
        );
    }

    #[test]
    fn mime_types_come_from_extensions() {
        assert_eq!(mime_for_file_name("A.PNG"), "image/png");
        assert_eq!(mime_for_file_name("report.pdf"), "application/pdf");
        assert_eq!(mime_for_file_name("noext"), "application/octet-stream");
    }

    #[test]
    fn rooms_are_named_as_the_seed_says() {
        assert_eq!(chat_room("42"), "chat:42");
        assert_eq!(commercial_room("42"), "chat:42:commercial");
    }
}
