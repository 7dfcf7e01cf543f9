//! The hub's rules: who may see and do what, message ordering, idempotency,
//! the chat lifecycle, presence, notifications and stats, and the fan-out of
//! every event to the right rooms. HTTP routes, socket handlers and the demo
//! visitors all go through here, so there is one implementation of each rule.

use std::{
    collections::{HashMap, VecDeque},
    sync::{
        Mutex, MutexGuard,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use serde::Serialize;
use socketioxide::{SocketIo, extract::SocketRef, socket::Sid};
use switchboard_protocol::{
    self as proto, AGENTS_ROOM, ChatStatus, ChatStatusEvent, ChatSummary, LoginResponse, Message,
    MessageType, Notification, NotificationCount, NotificationType, Presence, PresenceEvent,
    SendMessageRequest, SenderType, Stats, VisitorInfo, chat_room, commercial_room, server,
    time::format_millis,
};

use crate::{
    auth::{self, Principal, Tokens},
    error::ApiError,
    store::{ChatQuery, ChatRow, NewMessage, PageQuery, Store, View},
};

mod presence;
mod v21;
pub use v21::CannedPatch;

/// Which protocol a hub speaks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Protocol {
    /// A plain v2 backend (`--protocol v2`): none of v2.1's routes, fields
    /// or events, so that consoles can be tested against one.
    V2,
    /// Everything of PROTOCOL.md, "Version 2.1" included.
    #[default]
    V21,
}

impl std::str::FromStr for Protocol {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "v2" | "2" => Ok(Self::V2),
            "v2.1" | "2.1" => Ok(Self::V21),
            _ => Err(format!("unknown protocol {s:?}: use v2 or v2.1")),
        }
    }
}

type Result<T> = std::result::Result<T, ApiError>;

/// Limits a server enforces (all configurable).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Longest message content, in characters.
    pub max_content_chars: usize,
    /// Largest upload, in bytes.
    pub max_upload_bytes: u64,
    /// Messages per second one sender may post; 0 turns the limit off.
    pub rate_limit_per_sec: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_content_chars: proto::MAX_CONTENT_CHARS,
            max_upload_bytes: proto::DEFAULT_MAX_UPLOAD_BYTES,
            rate_limit_per_sec: 50,
        }
    }
}

/// The server clock, in Unix milliseconds.
pub use switchboard_protocol::time::now_ms;

/// The room of all of one agent's sockets.
pub fn agent_room(agent_id: &str) -> String {
    format!("agent:{agent_id}")
}

#[derive(Debug, Default, Clone, Copy)]
struct PresenceState {
    sockets: usize,
    chosen: Option<Presence>,
}

impl PresenceState {
    fn status(self) -> Presence {
        if self.sockets == 0 {
            Presence::Offline
        } else {
            self.chosen.unwrap_or(Presence::Online)
        }
    }
}

/// The hub's shared state.
pub struct Core {
    db: Mutex<Store>,
    io: SocketIo,
    tokens: Tokens,
    limits: Limits,
    protocol: Protocol,
    presence: Mutex<HashMap<String, PresenceState>>,
    rate: Mutex<HashMap<String, VecDeque<Instant>>>,
    last_stats: Mutex<Option<Stats>>,
    lagging_disconnects: AtomicU64,
}

impl std::fmt::Debug for Core {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Core")
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

use switchboard_protocol::sync::lock;

impl Core {
    /// Builds the core over an open store and the Socket.IO handle.
    pub fn new(db: Store, io: SocketIo, tokens: Tokens, limits: Limits, protocol: Protocol) -> Self {
        Self {
            db: Mutex::new(db),
            io,
            tokens,
            limits,
            protocol,
            presence: Mutex::new(HashMap::new()),
            rate: Mutex::new(HashMap::new()),
            last_stats: Mutex::new(None),
            lagging_disconnects: AtomicU64::new(0),
        }
    }

    /// The limits in force.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Whether this hub offers v2.1 (not started with `--protocol v2`).
    pub fn v21(&self) -> bool {
        self.protocol == Protocol::V21
    }

    /// How `who` sees a chat's summary in an answer to them.
    pub fn view_for<'a>(&self, who: &'a Principal) -> View<'a> {
        match who {
            Principal::Visitor(_) => View::Visitor,
            Principal::Agent(_) if !self.v21() => View::V2Agent,
            Principal::Agent(a) => View::Agent(&a.id),
        }
    }

    /// How agents see a chat's summary in a broadcast to `agents`.
    pub fn broadcast_view(&self) -> View<'static> {
        if self.v21() { View::Agents } else { View::V2Agent }
    }

    /// Exclusive access to the store (held across an insert and its fan-out
    /// so that every socket sees a chat's messages in `sentAt` order).
    pub fn db(&self) -> MutexGuard<'_, Store> {
        lock(&self.db)
    }

    /// Sockets disconnected because they could not keep up.
    pub fn lagging_disconnects(&self) -> u64 {
        self.lagging_disconnects.load(Ordering::Relaxed)
    }

    // ------------------------------------------------------------ fan-out

    /// Emits `event` to every socket in any of `rooms` (each socket once),
    /// except `except`. A socket whose send buffer is full is disconnected
    /// (it will reconnect and catch up over HTTP) rather than silently
    /// missing the event.
    pub fn emit<T: Serialize + ?Sized>(
        &self,
        rooms: Vec<String>,
        except: Option<Sid>,
        event: &str,
        data: &T,
    ) {
        // After shutdown the namespace is gone; a request still in flight
        // then has nobody to tell.
        let Some(ns) = self.io.of("/") else { return };
        for socket in ns.to(rooms).sockets() {
            if Some(socket.id) == except {
                continue;
            }
            self.emit_to(&socket, event, data);
        }
    }

    /// Emits to one socket, with the same overflow handling as [`Core::emit`].
    pub fn emit_to<T: Serialize + ?Sized>(&self, socket: &SocketRef, event: &str, data: &T) {
        use socketioxide::{SendError, SocketError};
        match socket.emit(event, data) {
            Ok(()) => {}
            Err(SendError::Socket(SocketError::InternalChannelFull)) => {
                self.lagging_disconnects.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(sid = %socket.id, event, "socket send buffer full; disconnecting it so it resyncs");
                let _ = socket.clone().disconnect();
            }
            Err(SendError::Socket(SocketError::Closed)) => {
                tracing::debug!(sid = %socket.id, event, "socket closed before emit");
            }
            Err(e) => tracing::error!(sid = %socket.id, event, error = %e, "emit failed"),
        }
    }

    fn emit_message(&self, m: &Message) {
        let room = if m.is_internal {
            commercial_room(&m.chat_id)
        } else {
            chat_room(&m.chat_id)
        };
        self.emit(vec![room], None, server::MESSAGE_NEW, m);
    }

    fn emit_status(&self, chat: &ChatRow, now: i64) {
        let ev = ChatStatusEvent {
            chat_id: chat.id.clone(),
            status: chat.status,
            assignee_id: chat.assignee_id.clone(),
            timestamp: format_millis(now),
        };
        self.emit(
            vec![chat_room(&chat.id), AGENTS_ROOM.into()],
            None,
            server::CHAT_STATUS,
            &ev,
        );
    }

    // ------------------------------------------------------------ auth

    /// Checks a password; argon2 is slow on purpose, so this runs off the reactor.
    pub async fn login(&self, email: &str, password: &str) -> Result<LoginResponse> {
        let row = self.db().agent_by_email(email.trim())?;
        let (password, hash) = (
            password.to_owned(),
            row.as_ref().map(|r| r.password_hash.clone()).unwrap_or_default(),
        );
        let ok = tokio::task::spawn_blocking(move || auth::verify_password(&password, &hash))
            .await
            .unwrap_or(false);
        match row {
            Some(row) if ok => {
                let (token, expires) = self.tokens.issue(&row.agent.id, now_ms());
                tracing::info!(agent = %row.agent.email, "agent logged in");
                Ok(LoginResponse {
                    token,
                    expires_at: format_millis(expires),
                    agent: row.agent,
                })
            }
            _ => Err(ApiError::unauthorized("wrong e-mail or password")),
        }
    }

    /// The agent behind a bearer token, if it is valid and the agent exists.
    pub fn agent_for_token(&self, token: &str) -> Result<Option<proto::Agent>> {
        let Some(id) = self.tokens.verify(token) else {
            return Ok(None);
        };
        Ok(self.db().agent_by_id(&id)?.map(|r| r.agent))
    }

    /// The visitor behind a session cookie value.
    pub fn visitor_for_session(&self, token: &str) -> Result<Option<VisitorInfo>> {
        Ok(self
            .db()
            .visitor_by_session(&auth::session_hash(token))?
            .map(|r| r.info))
    }

    /// Creates a visitor; returns it and its session token (for the cookie).
    /// The context is kept only by a v2.1 hub (a v2 one ignores it).
    pub fn create_visitor(
        &self,
        name: String,
        email: Option<String>,
        context: Option<proto::VisitorContext>,
    ) -> Result<(VisitorInfo, String)> {
        let info = VisitorInfo {
            id: uuid::Uuid::new_v4().to_string(),
            name,
            email,
            context: context.filter(|c| self.v21() && !c.is_empty()),
        };
        let token = auth::new_session_token();
        self.db()
            .insert_visitor(&info, &auth::session_hash(&token), now_ms())?;
        Ok((info, token))
    }

    /// Creates an agent account (admin tooling, demo agents, tests).
    pub fn create_agent(&self, name: &str, email: &str, password: &str) -> Result<proto::Agent> {
        let agent = proto::Agent {
            id: uuid::Uuid::new_v4().to_string(),
            name: name.to_owned(),
            email: email.to_owned(),
            role: "agent".to_owned(),
        };
        self.db()
            .insert_agent(&agent, &auth::hash_password(password), now_ms())?;
        Ok(agent)
    }

    // ------------------------------------------------------------ chats

    /// A chat the caller may see: 400 malformed, 404 unknown, 403 not theirs.
    pub fn visible_chat(&self, db: &Store, who: &Principal, chat_id: &str) -> Result<ChatRow> {
        crate::validate::id("chatId", chat_id)?;
        let chat = db
            .chat(chat_id)?
            .ok_or_else(|| ApiError::not_found("chat not found"))?;
        match who {
            Principal::Agent(_) => Ok(chat),
            Principal::Visitor(v) if v.id == chat.visitor.id => Ok(chat),
            Principal::Visitor(_) => Err(ApiError::forbidden("forbidden")),
        }
    }

    /// A visitor opens a chat: it enters the queue, agents hear of it.
    pub fn open_chat(&self, who: &Principal, subject: Option<&str>) -> Result<ChatSummary> {
        let Principal::Visitor(visitor) = who else {
            return Err(ApiError::forbidden("only visitors open chats"));
        };
        let subject = subject.map(str::trim).filter(|s| !s.is_empty());
        if subject.is_some_and(|s| s.chars().count() > 200) {
            return Err(ApiError::bad_request("subject is longer than 200 characters"));
        }
        let now = now_ms();
        let id = uuid::Uuid::new_v4().to_string();
        let db = self.db();
        db.insert_chat(&id, &visitor.id, subject, now)?;
        let row = db.chat(&id)?.ok_or_else(ApiError::internal)?;
        // With automatic assignment, the chat may go to an agent at once: it
        // is announced as it then is, then as accepted.
        let assigned = self.pick_agent(&db, &row)?;
        let accepted = match &assigned {
            Some(agent) => Some(self.take(&db, &row, &agent.id, &agent.name, now)?),
            None => None,
        };
        let row = db.chat(&id)?.ok_or_else(ApiError::internal)?;
        self.emit(
            vec![AGENTS_ROOM.into()],
            None,
            server::CHAT_NEW,
            &db.summary(row.clone(), self.broadcast_view())?,
        );
        if let Some(m) = &accepted {
            self.emit_message(m);
            self.emit_status(&row, now);
            self.emit_updated(&db, &row.id)?;
        }
        for agent in &db.agents()? {
            let mine = assigned.as_ref().is_some_and(|a| a.id == agent.id);
            let (title, message) = if mine {
                (
                    "New chat assigned to you",
                    format!("{} is waiting for your answer", visitor.name),
                )
            } else {
                ("New chat", format!("{} is waiting in the queue", visitor.name))
            };
            self.notify(&db, &agent.id, title, message, &id, now)?;
        }
        let summary = db.summary(row, View::Visitor)?;
        drop(db);
        tracing::info!(chat = %id, visitor = %visitor.name, "chat opened");
        self.refresh_stats();
        Ok(summary)
    }

    /// Tells one agent something about a chat (`notification:new` and
    /// `notification:count`).
    fn notify(
        &self,
        db: &Store,
        agent_id: &str,
        title: &str,
        message: String,
        chat_id: &str,
        now: i64,
    ) -> Result<()> {
        let n = Notification {
            id: uuid::Uuid::new_v4().to_string(),
            kind: NotificationType::Info,
            title: title.to_owned(),
            message,
            data: Some(serde_json::json!({ "chatId": chat_id })),
            created_at: format_millis(now),
            read: Some(false),
        };
        db.insert_notification(agent_id, &n, now)?;
        let count = NotificationCount {
            count: db.unread_notifications(agent_id)?,
        };
        let room = agent_room(agent_id);
        self.emit(vec![room.clone()], None, server::NOTIFICATION_NEW, &n);
        self.emit(vec![room], None, server::NOTIFICATION_COUNT, &count);
        Ok(())
    }

    /// The chats a caller may see, most recently updated first (by the
    /// caller's own `updatedAt`, with read sync). `tag` filters (v2.1).
    pub fn list_chats(
        &self,
        who: &Principal,
        status: Option<ChatStatus>,
        updated_since: Option<i64>,
        tag: Option<&str>,
        limit: u32,
    ) -> Result<Vec<ChatSummary>> {
        let db = self.db();
        let view = self.view_for(who);
        let q = ChatQuery {
            status,
            updated_since,
            visitor_id: match who {
                Principal::Visitor(v) => Some(v.id.as_str()),
                Principal::Agent(_) => None,
            },
            tag: tag.filter(|_| self.v21()),
            reader: match view {
                View::Agent(me) => Some(me),
                _ => None,
            },
            limit,
        };
        db.chats(&q)?
            .into_iter()
            .map(|c| db.summary(c, view).map_err(ApiError::from))
            .collect()
    }

    /// An agent takes a queued chat.
    pub fn accept(&self, who: &Principal, chat_id: &str) -> Result<ChatSummary> {
        let Some(agent) = who.agent() else {
            return Err(ApiError::forbidden("only agents accept chats"));
        };
        let db = self.db();
        let chat = self.visible_chat(&db, who, chat_id)?;
        match (chat.status, chat.assignee_id.as_deref()) {
            (ChatStatus::Closed, _) => return Err(ApiError::conflict("the chat is closed")),
            (ChatStatus::InProgress, Some(a)) if a == agent.id => {
                return Ok(db.summary(chat, self.view_for(who))?);
            }
            (ChatStatus::InProgress, Some(_)) => {
                return Err(ApiError::conflict("another agent holds this chat"));
            }
            _ => {}
        }
        let now = now_ms();
        let m = self.take(&db, &chat, &agent.id, &agent.name, now)?;
        let chat = db.chat(&chat.id)?.ok_or_else(ApiError::internal)?;
        self.emit_message(&m);
        self.emit_status(&chat, now);
        self.emit_updated(&db, &chat.id)?;
        let summary = db.summary(chat, self.view_for(who))?;
        drop(db);
        tracing::info!(chat = %chat_id, agent = %agent.email, "chat accepted");
        self.refresh_stats();
        Ok(summary)
    }

    /// Closes a chat (an agent, or the chat's own visitor). Closing a closed
    /// chat answers it as it is.
    pub fn close(&self, who: &Principal, chat_id: &str) -> Result<ChatSummary> {
        let db = self.db();
        let mut chat = self.visible_chat(&db, who, chat_id)?;
        let freed = (chat.status == ChatStatus::InProgress)
            .then(|| chat.assignee_id.clone())
            .flatten();
        if chat.status != ChatStatus::Closed {
            let now = now_ms();
            db.set_chat_status(&chat.id, ChatStatus::Closed, chat.assignee_id.as_deref(), now)?;
            let by = match who {
                Principal::Agent(a) => a.name.clone(),
                Principal::Visitor(v) => v.name.clone(),
            };
            let m = self.insert_system(&db, &chat.id, &format!("{by} closed the chat"), now)?;
            chat.status = ChatStatus::Closed;
            self.emit_message(&m);
            self.emit_status(&chat, now);
            self.emit_updated(&db, &chat.id)?;
            chat = db.chat(&chat.id)?.ok_or_else(ApiError::internal)?;
            tracing::info!(chat = %chat_id, "chat closed");
        }
        let summary = db.summary(chat, self.view_for(who))?;
        drop(db);
        if freed.is_some() {
            self.drain_queue();
        }
        self.refresh_stats();
        Ok(summary)
    }

    /// A system message of v2's kind (accepted, closed): its `senderId` is
    /// the chat's id.
    fn insert_system(&self, db: &Store, chat_id: &str, text: &str, now: i64) -> Result<Message> {
        self.insert_system_as(db, chat_id, chat_id, text, now)
    }

    fn insert_system_as(
        &self,
        db: &Store,
        chat_id: &str,
        sender_id: &str,
        text: &str,
        now: i64,
    ) -> Result<Message> {
        Ok(db.insert_message(&NewMessage {
            chat_id,
            sender_id,
            sender_type: SenderType::System,
            content: text,
            kind: MessageType::Text,
            is_internal: false,
            is_first_response: false,
            client_message_id: None,
            attachment: None,
            now,
        })?)
    }

    // ------------------------------------------------------------ messages

    fn check_rate(&self, sender: &str) -> Result<()> {
        let per_sec = self.limits.rate_limit_per_sec as usize;
        if per_sec == 0 {
            return Ok(());
        }
        let now = Instant::now();
        let mut rate = lock(&self.rate);
        let window = rate.entry(sender.to_owned()).or_default();
        while window
            .front()
            .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1))
        {
            window.pop_front();
        }
        if window.len() >= per_sec {
            let wait = window
                .front()
                .map(|t| Duration::from_secs(1).saturating_sub(now.duration_since(*t)))
                .unwrap_or_default();
            return Err(ApiError::rate_limited(wait.as_secs_f64().ceil().max(1.0) as u64));
        }
        window.push_back(now);
        Ok(())
    }

    /// Sends a message. Returns it and whether it is new (`false` for a
    /// repeated `clientMessageId`: the first message, nothing broadcast).
    pub fn send_message(&self, who: &Principal, req: SendMessageRequest) -> Result<(Message, bool)> {
        if req.is_internal && !who.sees_internal() {
            return Err(ApiError::forbidden("visitors cannot write internal notes"));
        }
        self.check_rate(who.id())?;
        let db = self.db();
        if let Some(cmid) = &req.client_message_id
            && let Some(first) = db.message_by_client_id(who.id(), cmid)?
        {
            return Ok((first, false));
        }
        let mut chat = self.visible_chat(&db, who, &req.chat_id)?;
        if chat.status == ChatStatus::Closed {
            return Err(ApiError::conflict("the chat is closed"));
        }
        let agent = who.agent();
        let public_agent = agent.is_some() && !req.is_internal;
        let is_first_response = public_agent && !db.has_public_agent_message(&chat.id)?;
        let now = now_ms();
        let m = db.insert_message(&NewMessage {
            chat_id: &chat.id,
            sender_id: who.id(),
            sender_type: if agent.is_some() {
                SenderType::Agent
            } else {
                SenderType::Visitor
            },
            content: &req.content,
            kind: req.kind,
            is_internal: req.is_internal,
            is_first_response,
            client_message_id: req.client_message_id.as_deref(),
            attachment: req.attachment.as_ref(),
            now,
        })?;
        self.emit_message(&m);
        let status_changed = public_agent && chat.status == ChatStatus::Pending;
        if let (true, Some(agent)) = (status_changed, agent) {
            let assignee = chat.assignee_id.clone().unwrap_or_else(|| agent.id.clone());
            db.set_chat_status(&chat.id, ChatStatus::InProgress, Some(&assignee), now)?;
            db.stamp_assignment(&assignee, now)?;
            chat.status = ChatStatus::InProgress;
            chat.assignee_id = Some(assignee);
            self.emit_status(&chat, now);
            self.emit_updated(&db, &chat.id)?;
        }
        drop(db);
        if status_changed {
            self.refresh_stats();
        }
        Ok((m, true))
    }

    /// A page of a chat's history as the caller may see it.
    pub fn history(&self, who: &Principal, chat_id: &str, q: PageQuery) -> Result<(Vec<Message>, bool)> {
        let db = self.db();
        let chat = self.visible_chat(&db, who, chat_id)?;
        Ok(db.page(
            &chat.id,
            PageQuery {
                include_internal: who.sees_internal(),
                ..q
            },
        )?)
    }

    // ------------------------------------------------------------ reads

    /// `chat:read`: moves the reader's marker and tells the chat. A marker on
    /// an internal note is told to agents only.
    pub fn mark_read(&self, who: &Principal, chat_id: &str, message_id: &str) -> Result<()> {
        crate::validate::id("messageId", message_id)?;
        let db = self.db();
        let chat = self.visible_chat(&db, who, chat_id)?;
        let (m, sent_at) = db
            .message(message_id)?
            .filter(|(m, _)| m.chat_id == chat.id && (who.sees_internal() || !m.is_internal))
            .ok_or_else(|| ApiError::not_found("message not found in this chat"))?;
        let now = now_ms();
        if db.mark_read(&chat.id, who.id(), message_id, sent_at, now)? {
            let ev = proto::ReadEvent {
                chat_id: chat.id.clone(),
                reader_id: who.id().to_owned(),
                message_id: message_id.to_owned(),
                read_at: format_millis(now),
            };
            let room = if m.is_internal {
                commercial_room(&chat.id)
            } else {
                chat_room(&chat.id)
            };
            self.emit(vec![room], None, server::CHAT_READ, &ev);
        }
        Ok(())
    }

    // ------------------------------------------------------------ notifications

    /// Tells all of an agent's sockets its unread notification count.
    pub fn push_notification_count(&self, agent_id: &str) -> Result<()> {
        let count = NotificationCount {
            count: self.db().unread_notifications(agent_id)?,
        };
        self.emit(
            vec![agent_room(agent_id)],
            None,
            server::NOTIFICATION_COUNT,
            &count,
        );
        Ok(())
    }

    /// Marks one notification read; 404 when the agent has no such one.
    pub fn read_notification(&self, agent_id: &str, id: &str) -> Result<()> {
        if !self.db().read_notification(agent_id, id, now_ms())? {
            return Err(ApiError::not_found("notification not found"));
        }
        self.push_notification_count(agent_id)
    }

    /// Marks all of an agent's notifications read.
    pub fn read_all_notifications(&self, agent_id: &str) -> Result<()> {
        self.db().read_all_notifications(agent_id, now_ms())?;
        self.push_notification_count(agent_id)
    }

    // ------------------------------------------------------------ files

    /// Stores an upload for a chat the caller may see.
    pub fn upload(
        &self,
        who: &Principal,
        chat_id: &str,
        file_name: &str,
        mime_type: &str,
        bytes: &[u8],
    ) -> Result<proto::Attachment> {
        let db = self.db();
        let chat = self.visible_chat(&db, who, chat_id)?;
        let id = uuid::Uuid::new_v4().to_string();
        db.insert_file(&id, &chat.id, who.id(), file_name, mime_type, bytes, now_ms())?;
        Ok(proto::Attachment {
            url: format!("/v2/files/{id}"),
            file_name: file_name.to_owned(),
            file_size: bytes.len() as u64,
            mime_type: mime_type.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests;
