//! Version 2.1 of the protocol (PROTOCOL.md, "Version 2.1"): what an agent's
//! day needs beyond the seeds. A v2 backend offers none of it; a client
//! learns what a server offers from `GET /v2/capabilities`.

use serde::{Deserialize, Serialize};

/// The version a v2.1 server answers in `GET /v2/capabilities`.
pub const PROTOCOL_VERSION_21: &str = "2.1";

/// The names of the v2.1 features.
pub mod feature {
    /// `POST /v2/chats/{id}/transfer`.
    pub const TRANSFER: &str = "transfer";
    /// `POST /v2/chats/{id}/reopen`.
    pub const REOPEN: &str = "reopen";
    /// Tags on chats.
    pub const TAGS: &str = "tags";
    /// The `chat:updated` event.
    pub const CHAT_UPDATED: &str = "chatUpdated";
    /// Canned responses.
    pub const CANNED: &str = "canned";
    /// The visitor's page, referrer, language and time zone.
    pub const VISITOR_CONTEXT: &str = "visitorContext";
    /// A visitor's earlier chats.
    pub const HISTORY: &str = "history";
    /// `myReadMarker` in ChatSummary.
    pub const READ_SYNC: &str = "readSync";
    /// Typing in an internal note, told to agents only.
    pub const INTERNAL_TYPING: &str = "internalTyping";
    /// Automatic assignment by capacity.
    pub const ASSIGNMENT: &str = "assignment";
    /// Every feature of v2.1.
    pub const ALL: [&str; 10] = [
        TRANSFER,
        REOPEN,
        TAGS,
        CHAT_UPDATED,
        CANNED,
        VISITOR_CONTEXT,
        HISTORY,
        READ_SYNC,
        INTERNAL_TYPING,
        ASSIGNMENT,
    ];
}

/// Longest tag, in characters.
pub const MAX_TAG_CHARS: usize = 40;
/// Most tags on one chat.
pub const MAX_TAGS: usize = 20;
/// Longest canned-response shortcut, in characters.
pub const MAX_SHORTCUT_CHARS: usize = 32;
/// Longest canned-response title, in characters.
pub const MAX_CANNED_TITLE_CHARS: usize = 100;
/// Longest value of a visitor-context field, in characters.
pub const MAX_CONTEXT_CHARS: usize = 2_000;
/// Largest `maxChats`.
pub const MAX_MAX_CHATS: u32 = 100;

/// `GET /v2/capabilities` answer (the default: a plain v2 server, none).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capabilities {
    /// `"2.1"`.
    pub version: String,
    /// The features offered (see [`feature`]).
    pub features: Vec<String>,
}

impl Capabilities {
    /// Whether the server offers `name`.
    pub fn has(&self, name: &str) -> bool {
        self.features.iter().any(|f| f == name)
    }
}

/// Where a visitor is (v2.1 `visitorContext`): each field at most
/// [`MAX_CONTEXT_CHARS`] characters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VisitorContext {
    /// The page the visitor wrote from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<String>,
    /// The page that led there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referrer: Option<String>,
    /// The browser.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// The browser's language, e.g. `es-ES`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// The visitor's time zone, e.g. `Europe/Madrid`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
}

impl VisitorContext {
    /// Whether no field is set.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// An agent's read marker in a chat (v2.1 `readSync`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReadMarker {
    /// Read up to and including this message.
    pub message_id: String,
    /// When the marker last moved.
    pub read_at: String,
}

/// `POST /v2/chats/{id}/transfer` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransferRequest {
    /// The agent to hand the chat to; `None` (`null`) puts it back in the queue.
    pub to_agent_id: Option<String>,
}

/// `PUT /v2/chats/{id}/tags` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagsRequest {
    /// The chat's tags from now on.
    pub tags: Vec<String>,
}

/// An entry of `GET /v2/tags`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagCount {
    /// The tag.
    pub name: String,
    /// On how many chats.
    pub count: u64,
}

/// `GET /v2/tags` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagList {
    /// Most used first.
    pub tags: Vec<TagCount>,
}

/// Who a canned response belongs to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CannedScope {
    /// Every agent's.
    Team,
    /// One agent's own.
    #[default]
    Personal,
}

impl CannedScope {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Team => "team",
            Self::Personal => "personal",
        }
    }
}

/// A canned response. `content` is a template: `{{visitor.name}}`,
/// `{{visitor.email}}`, `{{agent.name}}`, `{{chat.subject}}`, each with an
/// optional fallback (`{{visitor.name|there}}`), filled in by the console.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Canned {
    /// Its id.
    pub id: String,
    /// What an agent types after `/` to find it (`[a-z0-9_-]`, 1–32).
    pub shortcut: String,
    /// A short title.
    pub title: String,
    /// The template, as written.
    pub content: String,
    /// Team or personal.
    pub scope: CannedScope,
    /// Last change.
    pub updated_at: String,
}

/// `GET /v2/canned` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CannedList {
    /// The team's and the caller's own.
    pub canned: Vec<Canned>,
}

/// `POST /v2/canned` body (and, every field optional, `PUT`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewCanned {
    /// Shortcut.
    pub shortcut: String,
    /// Title.
    pub title: String,
    /// Template.
    pub content: String,
    /// `personal` when absent.
    #[serde(default)]
    pub scope: CannedScope,
}

/// `PUT /v2/agents/me` body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentSettings {
    /// Most chats to be assigned automatically (0–100; 0: none).
    pub max_chats: u32,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ChatStatus, ChatSummary, VisitorInfo};
    use serde_json::json;

    #[test]
    fn a_v2_summary_has_none_of_the_new_fields_and_still_decodes() {
        let wire = json!({"chatId": "c", "visitor": {"id": "v", "name": "Ana"},
            "status": "PENDING", "createdAt": "x", "updatedAt": "y"});
        let s: ChatSummary = serde_json::from_value(wire.clone()).unwrap();
        assert_eq!(s.tags, None);
        assert_eq!(s.my_read_marker, None);
        assert_eq!(serde_json::to_value(&s).unwrap(), wire);
    }

    #[test]
    fn the_new_fields_use_the_wire_names() {
        let s = ChatSummary {
            chat_id: "c".into(),
            visitor: VisitorInfo {
                id: "v".into(),
                name: "Ana".into(),
                email: None,
                context: Some(VisitorContext {
                    page: Some("/pricing".into()),
                    user_agent: Some("UA".into()),
                    ..Default::default()
                }),
            },
            status: ChatStatus::Pending,
            assignee_id: None,
            last_message: None,
            subject: None,
            created_at: "x".into(),
            updated_at: "y".into(),
            tags: Some(vec!["vip".into()]),
            my_read_marker: Some(ReadMarker {
                message_id: "m".into(),
                read_at: "z".into(),
            }),
        };
        let v = serde_json::to_value(&s).unwrap();
        assert_eq!(
            v["visitor"]["context"],
            json!({"page": "/pricing", "userAgent": "UA"})
        );
        assert_eq!(v["tags"], json!(["vip"]));
        assert_eq!(v["myReadMarker"], json!({"messageId": "m", "readAt": "z"}));
    }

    #[test]
    fn canned_scope_defaults_to_personal() {
        let c: NewCanned =
            serde_json::from_value(json!({"shortcut": "hi", "title": "Hi", "content": "Hola"})).unwrap();
        assert_eq!(c.scope, CannedScope::Personal);
        assert_eq!(feature::ALL.len(), 10);
    }
}
