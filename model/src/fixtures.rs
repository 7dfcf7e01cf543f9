//! Builders of the domain's values for tests (in the style of
//! matrix-rust-sdk's `EventFactory`): a message or a chat entry with sane
//! defaults, changed only where a test cares. Built with the `fixtures`
//! feature (the crates' dev-dependencies turn it on) or in model's own tests.

use switchboard_protocol::{ChatStatus, MessageType, SenderType, VisitorInfo};

use crate::{ChatEntry, DeliveryStatus, LocalMessage};

/// A signed-in snapshot: online, these chats, nothing unread. `me` is the
/// agent's id (named "Me"), or `None` when it is not known yet.
pub fn snapshot(me: Option<&str>, chats: Vec<ChatEntry>) -> crate::ipc::Snapshot {
    crate::ipc::Snapshot {
        account: crate::ipc::Account {
            server: "http://127.0.0.1:4800/".into(),
            email: "me@example.com".into(),
            me: me.map(|id| switchboard_protocol::Agent {
                id: id.into(),
                name: "Me".into(),
                email: "me@example.com".into(),
                role: "agent".into(),
            }),
            demo: false,
            keychain: true,
        },
        connection: crate::ConnectionState::Online,
        chats,
        total_unread: 0,
        features: Vec::new(),
    }
}

/// A message the server has: `id` in chat `c`, from visitor `v`, text
/// `text {id}`, sent at 2026-11-24T10:00:00.000Z.
pub fn message(id: &str) -> MessageBuilder {
    MessageBuilder(LocalMessage {
        message_id: Some(id.to_owned()),
        chat_id: "c".to_owned(),
        sender_id: "v".to_owned(),
        sender_type: SenderType::Visitor,
        content: format!("text {id}"),
        kind: MessageType::Text,
        is_internal: false,
        is_first_response: false,
        sent_at: Some("2026-11-24T10:00:00.000Z".to_owned()),
        client_message_id: None,
        attachment: None,
        status: DeliveryStatus::Sent,
        error: None,
    })
}

/// Builds a [`LocalMessage`].
#[derive(Debug, Clone)]
pub struct MessageBuilder(LocalMessage);

impl MessageBuilder {
    /// In this chat.
    pub fn chat(mut self, chat_id: &str) -> Self {
        self.0.chat_id = chat_id.to_owned();
        self
    }

    /// From this sender, of this kind.
    pub fn from(mut self, sender_id: &str, kind: SenderType) -> Self {
        self.0.sender_id = sender_id.to_owned();
        self.0.sender_type = kind;
        self
    }

    /// From a visitor (`v…`) or else an agent, told by the id.
    pub fn by(self, sender_id: &str) -> Self {
        let kind = if sender_id.starts_with('v') {
            SenderType::Visitor
        } else {
            SenderType::Agent
        };
        self.from(sender_id, kind)
    }

    /// Sent at this time (ISO 8601).
    pub fn at(mut self, sent_at: &str) -> Self {
        self.0.sent_at = Some(sent_at.to_owned());
        self
    }

    /// With this text.
    pub fn text(mut self, content: &str) -> Self {
        self.0.content = content.to_owned();
        self
    }

    /// An internal note (or not).
    pub fn internal(mut self, internal: bool) -> Self {
        self.0.is_internal = internal;
        self
    }

    /// The message.
    pub fn build(self) -> LocalMessage {
        self.0
    }
}

/// A chat entry: `id`, visitor `v-{id}` named `Visitor {id}`, pending,
/// nobody's, nothing unread, created and updated at "t".
pub fn chat(id: &str) -> ChatBuilder {
    ChatBuilder(ChatEntry {
        chat_id: id.to_owned(),
        visitor: VisitorInfo {
            id: format!("v-{id}"),
            name: format!("Visitor {id}"),
            email: None,
            context: None,
        },
        status: ChatStatus::Pending,
        assignee_id: None,
        subject: None,
        last_message: None,
        created_at: "t".to_owned(),
        updated_at: "t".to_owned(),
        unread: 0,
        draft: None,
        staged: Vec::new(),
        failed: 0,
        tags: Vec::new(),
        held: 0,
    })
}

/// Builds a [`ChatEntry`].
#[derive(Debug, Clone)]
pub struct ChatBuilder(ChatEntry);

impl ChatBuilder {
    /// In this status, held by this agent (or nobody).
    pub fn status(mut self, status: ChatStatus, assignee: Option<&str>) -> Self {
        self.0.status = status;
        self.0.assignee_id = assignee.map(str::to_owned);
        self
    }

    /// Opened and last active at this time.
    pub fn updated(mut self, at: &str) -> Self {
        self.0.created_at = at.to_owned();
        self.0.updated_at = at.to_owned();
        self
    }

    /// Opened at `created`, last active at `updated`.
    pub fn times(mut self, created: &str, updated: &str) -> Self {
        self.0.created_at = created.to_owned();
        self.0.updated_at = updated.to_owned();
        self
    }

    /// Opened by this visitor.
    pub fn visitor(mut self, id: &str, name: &str) -> Self {
        self.0.visitor = VisitorInfo {
            id: id.to_owned(),
            name: name.to_owned(),
            email: None,
            context: None,
        };
        self
    }

    /// With this newest message.
    pub fn last_message(mut self, m: LocalMessage) -> Self {
        self.0.last_message = Some(m);
        self
    }

    /// With this many unread.
    pub fn unread(mut self, n: u64) -> Self {
        self.0.unread = n;
        self
    }

    /// With this draft (a reply).
    pub fn draft(mut self, content: &str) -> Self {
        self.0.draft = Some(crate::Draft {
            content: content.to_owned(),
            internal: false,
        });
        self
    }

    /// The entry.
    pub fn build(self) -> ChatEntry {
        self.0
    }
}
