//! Which desktop notifications to raise, and when: a pure state machine fed
//! with the engine's changes and a clock. It decides; the shell shows.
//!
//! - a new chat in the queue rings once; while visitors wait, one reminder
//!   for the whole queue rings every `repeat` (never one per chat) until
//!   nobody waits;
//! - a message from someone else in a chat assigned to me rings, unless that
//!   chat is on screen in a focused window;
//! - a server notification rings (unless it only repeats a new chat);
//! - never for my own messages or notes, a muted chat, while paused, or
//!   while busy with do-not-disturb on;
//! - each message at most once, however often it is published; messages
//!   that arrive while catching up after a (re)connect make one summary.

use std::collections::{BTreeMap, BTreeSet, HashSet, VecDeque};

use serde::{Deserialize, Serialize};
use switchboard_protocol::{ChatStatus, Presence};

use crate::{Change, ChatEntry, ConnectionState, DeliveryStatus, LocalMessage, counts_as_unread};

/// What the agent chose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AlertSettings {
    /// Notifications paused (nothing rings).
    pub paused: bool,
    /// Play the notification sound.
    pub sound: bool,
    /// While visitors wait, remind of the queue every this many seconds
    /// (`0`: each new chat rings once, then never again).
    pub repeat_queue_secs: u64,
    /// Nothing rings while my presence is busy.
    pub quiet_when_busy: bool,
    /// Chats that never ring.
    pub muted: BTreeSet<String>,
}

impl Default for AlertSettings {
    fn default() -> Self {
        Self {
            paused: false,
            sound: true,
            repeat_queue_secs: 60,
            quiet_when_busy: true,
            muted: BTreeSet::new(),
        }
    }
}

/// Where the agent's attention is.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Attention {
    /// My agent id.
    pub me: String,
    /// The app's window has the focus.
    pub focused: bool,
    /// The chat on screen.
    pub open_chat: Option<String>,
    /// My presence.
    pub presence: Option<Presence>,
}

/// A notification to raise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Alert {
    /// A new chat in the queue (`repeat` 0), or the queue's reminder
    /// (`repeat` > 0: the how-manieth), about its longest-waiting chat.
    #[serde(rename_all = "camelCase")]
    Queued {
        /// The chat (for a reminder: the one waiting longest).
        chat_id: String,
        /// Who waits.
        visitor: String,
        /// What they wrote last, if anything.
        preview: Option<String>,
        /// How many reminders rang before this one.
        repeat: u32,
        /// How many visitors wait (not counting muted chats).
        waiting: u32,
    },
    /// A message in one of my chats.
    #[serde(rename_all = "camelCase")]
    Message {
        /// The chat.
        chat_id: String,
        /// The message.
        message_id: String,
        /// The visitor's name, or `None` for another agent.
        from: Option<String>,
        /// The text (or the file's name).
        text: String,
        /// An internal note by another agent.
        note: bool,
    },
    /// A notification from the server.
    #[serde(rename_all = "camelCase")]
    Server {
        /// Its id.
        id: String,
        /// Title.
        title: String,
        /// Body.
        body: String,
        /// The chat it is about, if any.
        chat_id: Option<String>,
    },
    /// What arrived while catching up: one summary.
    #[serde(rename_all = "camelCase")]
    Summary {
        /// Messages.
        messages: u64,
        /// In how many chats.
        chats: u64,
        /// The chat, when there is exactly one.
        chat_id: Option<String>,
    },
}

impl Alert {
    /// The chat a click on it should open.
    pub fn chat_id(&self) -> Option<&str> {
        match self {
            Self::Queued { chat_id, .. } | Self::Message { chat_id, .. } => Some(chat_id),
            Self::Server { chat_id, .. } | Self::Summary { chat_id, .. } => chat_id.as_deref(),
        }
    }
}

#[derive(Debug, Clone)]
struct Queued {
    visitor: String,
    preview: Option<String>,
    /// When it rang as a new chat (`None`: not yet).
    rang_at: Option<i64>,
    /// Since when it waits (ms; its `createdAt`, for the longest wait).
    since: i64,
}

#[derive(Debug, Clone)]
struct ChatInfo {
    status: ChatStatus,
    assignee: Option<String>,
    visitor_id: String,
    visitor: String,
}

/// Remembers the last this many alerted ids (plenty for a session; bounded).
const REMEMBERED: usize = 20_000;

/// The alert state machine.
#[derive(Debug, Default)]
pub struct Alerter {
    chats: BTreeMap<String, ChatInfo>,
    queued: BTreeMap<String, Queued>,
    /// When anything about the queue last rang, and how many reminders did.
    queue_rang_at: Option<i64>,
    reminders: u32,
    /// Between (re)connecting and the end of its catch-up.
    catching_up: bool,
    summary_messages: u64,
    summary_chats: BTreeSet<String>,
    seen: HashSet<String>,
    seen_order: VecDeque<String>,
}

impl Alerter {
    /// An alerter that knows the inbox as it is at start (pending chats
    /// ring once the link is up).
    pub fn new(chats: &[ChatEntry]) -> Self {
        let mut a = Self {
            catching_up: true,
            ..Self::default()
        };
        for c in chats {
            a.track(c);
            // Whatever is held already counts as seen: a restart rings nothing twice.
            if let Some(m) = &c.last_message
                && let Some(id) = &m.message_id
            {
                a.remember(id.clone());
            }
        }
        a
    }

    fn remember(&mut self, id: String) -> bool {
        if !self.seen.insert(id.clone()) {
            return false;
        }
        self.seen_order.push_back(id);
        if self.seen_order.len() > REMEMBERED
            && let Some(old) = self.seen_order.pop_front()
        {
            self.seen.remove(&old);
        }
        true
    }

    fn track(&mut self, c: &ChatEntry) {
        self.chats.insert(
            c.chat_id.clone(),
            ChatInfo {
                status: c.status,
                assignee: c.assignee_id.clone(),
                visitor_id: c.visitor.id.clone(),
                visitor: c.visitor.name.clone(),
            },
        );
        if c.status == ChatStatus::Pending {
            let preview = c.last_message.as_ref().map(preview);
            self.queued
                .entry(c.chat_id.clone())
                .and_modify(|q| {
                    if preview.is_some() {
                        q.preview = preview.clone();
                    }
                })
                .or_insert(Queued {
                    visitor: c.visitor.name.clone(),
                    preview,
                    rang_at: None,
                    since: switchboard_protocol::time::parse_millis(&c.created_at).unwrap_or(i64::MAX),
                });
        } else {
            self.queued.remove(&c.chat_id);
        }
    }

    /// Whether a chat is waiting in the queue (and so may still ring).
    pub fn is_queued(&self, chat_id: &str) -> bool {
        self.queued.contains_key(chat_id)
    }

    fn quiet(settings: &AlertSettings, attention: &Attention, chat_id: Option<&str>) -> bool {
        settings.paused
            || (settings.quiet_when_busy && attention.presence == Some(Presence::Busy))
            || chat_id.is_some_and(|c| settings.muted.contains(c))
    }

    /// Feeds one change; returns what to raise now.
    pub fn on_change(
        &mut self,
        change: &Change,
        settings: &AlertSettings,
        attention: &Attention,
    ) -> Vec<Alert> {
        match change {
            Change::Connection { state } => {
                if *state != ConnectionState::Online {
                    // Whatever comes until the next catch-up ends is a summary.
                    self.catching_up = true;
                }
                Vec::new()
            }
            Change::CaughtUp { messages: news, .. } => {
                self.catching_up = false;
                let messages = std::mem::take(&mut self.summary_messages);
                let chats = std::mem::take(&mut self.summary_chats);
                // The engine says none are news (an account's first sync
                // brings history, not what came while the agent was away).
                if messages == 0 || *news == 0 || settings.paused {
                    return Vec::new();
                }
                if settings.quiet_when_busy && attention.presence == Some(Presence::Busy) {
                    return Vec::new();
                }
                vec![Alert::Summary {
                    messages,
                    chats: chats.len() as u64,
                    chat_id: (chats.len() == 1).then(|| chats.into_iter().next()).flatten(),
                }]
            }
            Change::Chat { chat } => {
                self.track(chat);
                Vec::new()
            }
            Change::Message { message } => self.on_message(message, settings, attention),
            Change::Notification { notification } => {
                if !self.remember(format!("notification:{}", notification.id)) {
                    return Vec::new();
                }
                let chat_id = notification
                    .data
                    .as_ref()
                    .and_then(|d| d.get("chatId"))
                    .and_then(|v| v.as_str())
                    .map(str::to_owned);
                // "A new chat" notifications repeat what the queue already
                // rings (the chat itself may come right after, in the same batch).
                if chat_id
                    .as_deref()
                    .is_some_and(|c| self.chats.get(c).is_none_or(|i| i.status == ChatStatus::Pending))
                {
                    return Vec::new();
                }
                if self.catching_up || Self::quiet(settings, attention, chat_id.as_deref()) {
                    return Vec::new();
                }
                vec![Alert::Server {
                    id: notification.id.clone(),
                    title: notification.title.clone(),
                    body: notification.message.clone(),
                    chat_id,
                }]
            }
            _ => Vec::new(),
        }
    }

    fn on_message(
        &mut self,
        m: &LocalMessage,
        settings: &AlertSettings,
        attention: &Attention,
    ) -> Vec<Alert> {
        if m.status != DeliveryStatus::Sent {
            return Vec::new();
        }
        let Some(id) = m.message_id.clone() else {
            return Vec::new();
        };
        if !self.remember(id.clone()) {
            return Vec::new();
        }
        if !counts_as_unread(m.sender_type, &m.sender_id, &attention.me) {
            return Vec::new();
        }
        let Some(chat) = self.chats.get(&m.chat_id).cloned() else {
            return Vec::new();
        };
        if chat.status == ChatStatus::Pending {
            // The queue ring shows what they wrote.
            if let Some(q) = self.queued.get_mut(&m.chat_id) {
                q.preview = Some(preview(m));
            }
            return Vec::new();
        }
        let mine =
            chat.status == ChatStatus::InProgress && chat.assignee.as_deref() == Some(attention.me.as_str());
        if !mine {
            return Vec::new();
        }
        if attention.focused && attention.open_chat.as_deref() == Some(m.chat_id.as_str()) {
            return Vec::new();
        }
        if Self::quiet(settings, attention, Some(&m.chat_id)) {
            return Vec::new();
        }
        if self.catching_up {
            self.summary_messages += 1;
            self.summary_chats.insert(m.chat_id.clone());
            return Vec::new();
        }
        let from = (m.sender_id == chat.visitor_id).then_some(chat.visitor);
        vec![Alert::Message {
            chat_id: m.chat_id.clone(),
            message_id: id,
            from,
            text: preview(m),
            note: m.is_internal,
        }]
    }

    /// What is due at `now_ms`: each new chat in the queue once, then one
    /// reminder for the whole queue every `repeat_queue_secs` while someone
    /// waits. Call it after each batch of changes and on a timer.
    pub fn due(&mut self, now_ms: i64, settings: &AlertSettings, attention: &Attention) -> Vec<Alert> {
        let mut out = Vec::new();
        let quiet = |chat_id: &str| Self::quiet(settings, attention, Some(chat_id));
        let audible = self
            .queued
            .keys()
            .filter(|c| !settings.muted.contains(*c))
            .count() as u32;
        for (chat_id, q) in &mut self.queued {
            if q.rang_at.is_some() {
                continue;
            }
            // Quiet or not, the clock moves: a muted chat does not ring
            // the moment it is unmuted.
            q.rang_at = Some(now_ms);
            if quiet(chat_id) {
                continue;
            }
            self.queue_rang_at = Some(now_ms);
            out.push(Alert::Queued {
                chat_id: chat_id.clone(),
                visitor: q.visitor.clone(),
                preview: q.preview.clone(),
                repeat: 0,
                waiting: audible,
            });
        }
        if self.queued.is_empty() {
            self.reminders = 0;
        }
        let repeat_ms = (settings.repeat_queue_secs as i64).saturating_mul(1000);
        if repeat_ms == 0 || !out.is_empty() {
            return out;
        }
        let last = self.queue_rang_at.unwrap_or(i64::MIN);
        if now_ms.saturating_sub(last) < repeat_ms {
            return out;
        }
        // Waiting a whole period since its own ring, and allowed to ring.
        let longest = self
            .queued
            .iter()
            .filter(|(c, q)| !quiet(c) && q.rang_at.is_some_and(|at| now_ms - at >= repeat_ms))
            .min_by_key(|(c, q)| (q.since, (*c).clone()));
        if let Some((chat_id, q)) = longest {
            self.reminders += 1;
            self.queue_rang_at = Some(now_ms);
            out.push(Alert::Queued {
                chat_id: chat_id.clone(),
                visitor: q.visitor.clone(),
                preview: q.preview.clone(),
                repeat: self.reminders,
                waiting: audible,
            });
        }
        out
    }
}

fn preview(m: &LocalMessage) -> String {
    let text = m.content.trim();
    if text.is_empty() {
        return m
            .attachment
            .as_ref()
            .map(|a| a.file_name.clone())
            .unwrap_or_default();
    }
    let mut t: String = text.chars().take(160).collect();
    if text.chars().count() > 160 {
        t.push('…');
    }
    t
}

#[cfg(test)]
mod tests;
