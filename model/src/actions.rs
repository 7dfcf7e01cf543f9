//! Agent actions other than messages (accept, close, transfer, reopen,
//! tags, canned-response edits), queued in the engine's durable outbox like
//! messages: applied to what the console shows at once, sent in order per
//! chat when the link is up, and, when the server refuses one because the
//! chat changed meanwhile, undone and reported, holding that chat's later
//! queued items for the agent to send or discard.

use serde::{Deserialize, Serialize};
use switchboard_protocol::CannedScope;

/// What an action does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum ActionKind {
    /// Take a queued chat.
    Accept,
    /// Close a chat.
    Close,
    /// Hand a chat to an agent, or (`None`) back to the queue.
    #[serde(rename_all = "camelCase")]
    Transfer {
        /// The agent.
        to_agent_id: Option<String>,
    },
    /// Open a closed chat again.
    Reopen,
    /// Replace a chat's tags.
    Tags {
        /// The tags from now on.
        tags: Vec<String>,
    },
    /// Create (no `server_id` yet) or change a canned response.
    #[serde(rename_all = "camelCase")]
    CannedPut {
        /// The id the console shows (the server's once it has one).
        local_id: String,
        /// The server's id; `None` until it is created there.
        server_id: Option<String>,
        /// Shortcut.
        shortcut: String,
        /// Title.
        title: String,
        /// Template.
        content: String,
        /// Team or personal.
        scope: CannedScope,
    },
    /// Delete a canned response.
    #[serde(rename_all = "camelCase")]
    CannedDelete {
        /// The server's id.
        server_id: String,
    },
}

impl ActionKind {
    /// A short name, for logs and the CLI.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Accept => "accept",
            Self::Close => "close",
            Self::Transfer { .. } => "transfer",
            Self::Reopen => "reopen",
            Self::Tags { .. } => "tags",
            Self::CannedPut { .. } => "canned_put",
            Self::CannedDelete { .. } => "canned_delete",
        }
    }
}

/// Where a queued action stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ActionState {
    /// Waiting to be sent (or being sent, or retrying).
    Pending,
    /// The server refused it: undone; the chat's later items wait.
    Refused,
}

/// An action in the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueuedAction {
    /// Its id.
    pub id: String,
    /// The chat it acts on (none for canned-response edits).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat_id: Option<String>,
    /// What it does.
    pub action: ActionKind,
    /// Pending or refused.
    pub state: ActionState,
    /// Why the last attempt failed, or why the server refused it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Sending attempts so far.
    pub attempts: u32,
    /// When the agent did it (ms).
    pub created_at: i64,
}
