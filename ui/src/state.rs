//! The UI's view of the engine: an inbox and an open timeline, built from a
//! snapshot and kept current by applying the engine's changes in order.
//! Pure functions only (no I/O, no Dioxus), unit-tested on the host.

use std::collections::{BTreeMap, HashMap};

pub use switchboard_model::ipc::{Account, Snapshot};
use switchboard_model::{
    Change, ChatEntry, ConnectionState, DeliveryStatus, InboxTab, LocalMessage, sort_inbox,
};
use switchboard_protocol::{AgentPresence, Notification, Presence, Stats};

/// A typing hint ends this long after its last `typing:start` (ms), if no
/// `typing:stop` or message from its author came.
pub const TYPING_HINT_MS: i64 = 6_000;

/// The inbox: every chat, the link, counts, who is typing, presence.
#[derive(Debug, Clone, PartialEq)]
pub struct Inbox {
    /// Who is signed in.
    pub account: Account,
    /// Chats, most recent activity first.
    pub chats: Vec<ChatEntry>,
    /// The link.
    pub connection: ConnectionState,
    /// Unread messages over all chats (the engine's count; the tray shows the same).
    pub total_unread: u64,
    /// Who types in which chat.
    /// Who types where: chat → user → when their last typing event came (ms).
    pub typing: BTreeMap<String, BTreeMap<String, i64>>,
    /// Agents by id: name and presence.
    pub agents: HashMap<String, AgentPresence>,
    /// Unread server notifications.
    pub notification_count: u64,
    /// The newest server notifications, newest first.
    pub notifications: Vec<Notification>,
    /// Queue and team numbers.
    pub stats: Option<Stats>,
    /// A catch-up after a reconnect brought this many messages (in this many chats).
    pub caught_up: Option<(u64, u64)>,
    /// What the server offers beyond v2 (its feature names).
    pub features: Vec<String>,
    /// Who types in an internal note where: (chat, agent).
    pub noting: std::collections::BTreeSet<(String, String)>,
    /// Presence changes applied so far.
    presence_seq: u64,
    /// The presence change last applied for each agent.
    presence_at: HashMap<String, u64>,
}

/// Whether a chat has a tag (`lower`: lower case).
fn has_tag(c: &ChatEntry, lower: &str) -> bool {
    c.tags.iter().any(|t| t.to_lowercase() == lower)
}

impl Inbox {
    /// The inbox of a snapshot.
    pub fn from_snapshot(s: Snapshot) -> Self {
        let mut chats = s.chats;
        sort_inbox(&mut chats);
        Self {
            account: s.account,
            chats,
            connection: s.connection,
            total_unread: s.total_unread,
            typing: BTreeMap::new(),
            agents: HashMap::new(),
            notification_count: 0,
            notifications: Vec::new(),
            stats: None,
            caught_up: None,
            features: s.features,
            noting: Default::default(),
            presence_seq: 0,
            presence_at: HashMap::new(),
        }
    }

    /// Whether the server offers a v2.1 feature.
    pub fn offers(&self, feature: &str) -> bool {
        self.features.iter().any(|f| f == feature)
    }

    /// My agent id.
    pub fn me(&self) -> &str {
        self.account
            .me
            .as_ref()
            .map(|a| a.id.as_str())
            .unwrap_or_default()
    }

    /// My presence, as the server last told.
    pub fn my_presence(&self) -> Presence {
        self.agents
            .get(self.me())
            .map(|a| a.status)
            .unwrap_or(Presence::Online)
    }

    /// A chat by id.
    pub fn chat(&self, chat_id: &str) -> Option<&ChatEntry> {
        self.chats.iter().find(|c| c.chat_id == chat_id)
    }

    /// The chats of a tab, in its order: the queue's longest-waiting first
    /// (first come, first served), the others most recent activity first.
    pub fn tab(&self, tab: InboxTab) -> impl Iterator<Item = &ChatEntry> {
        self.tab_tagged(tab, None)
    }

    /// The chats of a tab with a tag (any case; `None`: all), in its order.
    pub fn tab_tagged<'a>(&'a self, tab: InboxTab, tag: Option<&str>) -> impl Iterator<Item = &'a ChatEntry> {
        let me = self.me();
        let tag = tag.map(str::to_lowercase);
        let mut chats: Vec<&ChatEntry> = self
            .chats
            .iter()
            .filter(|c| tab.contains(c, me) && tag.as_deref().is_none_or(|t| has_tag(c, t)))
            .collect();
        if tab == InboxTab::Queue {
            // RFC 3339 in UTC with milliseconds: the text orders as the time.
            chats.sort_by(|a, b| {
                a.created_at
                    .cmp(&b.created_at)
                    .then_with(|| a.chat_id.cmp(&b.chat_id))
            });
        }
        chats.into_iter()
    }

    /// How many chats a tab holds.
    pub fn tab_count(&self, tab: InboxTab) -> usize {
        self.tab_count_tagged(tab, None)
    }

    /// How many chats of a tab have a tag (`None`: all).
    pub fn tab_count_tagged(&self, tab: InboxTab, tag: Option<&str>) -> usize {
        let me = self.me();
        let tag = tag.map(str::to_lowercase);
        self.chats
            .iter()
            .filter(|c| tab.contains(c, me) && tag.as_deref().is_none_or(|t| has_tag(c, t)))
            .count()
    }

    /// The tags on the chats held, most used first, then by name (the
    /// filter's choices; spelled as the most recent chat has them).
    pub fn tags_in_use(&self) -> Vec<(String, usize)> {
        let mut counts: Vec<(String, usize)> = Vec::new();
        for t in self.chats.iter().flat_map(|c| c.tags.iter()) {
            match counts
                .iter_mut()
                .find(|(n, _)| n.to_lowercase() == t.to_lowercase())
            {
                Some((_, n)) => *n += 1,
                None => counts.push((t.clone(), 1)),
            }
        }
        counts.sort_by(|a, b| {
            b.1.cmp(&a.1)
                .then_with(|| a.0.to_lowercase().cmp(&b.0.to_lowercase()))
        });
        counts
    }

    /// A display name for an agent id.
    pub fn agent_name(&self, id: &str) -> Option<&str> {
        if let Some(me) = &self.account.me
            && me.id == id
        {
            return Some(&me.name);
        }
        self.agents
            .get(id)
            .map(|a| a.name.as_str())
            .filter(|n| !n.is_empty())
    }

    /// Whether someone other than me types in a chat.
    pub fn someone_typing(&self, chat_id: &str) -> bool {
        self.typing
            .get(chat_id)
            .is_some_and(|s| s.keys().any(|u| u != self.me()))
    }

    /// Whether a typing hint is older than [`TYPING_HINT_MS`] at `now`.
    pub fn stale_typing(&self, now: i64) -> bool {
        self.typing
            .values()
            .flat_map(|s| s.values())
            .any(|at| now - at > TYPING_HINT_MS)
    }

    /// Ends the typing hints older than [`TYPING_HINT_MS`] (a `typing:stop`
    /// that never came). Returns whether any ended.
    pub fn expire_typing(&mut self, now: i64) -> bool {
        let before: usize = self.typing.values().map(BTreeMap::len).sum();
        for s in self.typing.values_mut() {
            s.retain(|_, at| now - *at <= TYPING_HINT_MS);
        }
        self.typing.retain(|_, s| !s.is_empty());
        let typing = &self.typing;
        self.noting
            .retain(|(chat, user)| typing.get(chat).is_some_and(|s| s.contains_key(user)));
        before != self.typing.values().map(BTreeMap::len).sum::<usize>()
    }

    /// Who other than me types in a chat, by name: the visitor's, or an
    /// agent's ("…" for an agent whose name is not known yet).
    pub fn typist(&self, chat_id: &str) -> Option<String> {
        self.typist_in(chat_id).map(|(who, _)| who)
    }

    /// [`Inbox::typist`], and whether it is an internal note they write.
    pub fn typist_in(&self, chat_id: &str) -> Option<(String, bool)> {
        let who = self.typing.get(chat_id)?.keys().find(|u| *u != self.me())?;
        let note = self.noting.contains(&(chat_id.to_owned(), who.clone()));
        Some((self.typist_name(chat_id, who), note))
    }

    fn typist_name(&self, chat_id: &str, who: &str) -> String {
        match self.chat(chat_id) {
            Some(c) if c.visitor.id == who => c.visitor.name.clone(),
            _ => self.agent_name(who).unwrap_or("…").to_owned(),
        }
    }

    /// Marks one server notification read here (`None`: all of them), at
    /// once, before the server's count confirms it.
    pub fn read_notifications(&mut self, id: Option<&str>) {
        let mut newly = 0;
        for n in &mut self.notifications {
            if id.is_none_or(|id| n.id == id) && n.read == Some(false) {
                n.read = Some(true);
                newly += 1;
            }
        }
        self.notification_count = match id {
            None => 0,
            Some(_) => self.notification_count.saturating_sub(newly),
        };
    }

    /// Replaces the agents list (names and presence).
    pub fn set_agents(&mut self, agents: Vec<AgentPresence>) {
        self.set_agents_asked_at(agents, u64::MAX);
    }

    /// Keeps the team as another inbox knew it (a snapshot reloaded).
    pub fn keep_team_of(&mut self, old: &Inbox) {
        self.agents = old.agents.clone();
        self.presence_seq = old.presence_seq;
        self.presence_at = old.presence_at.clone();
    }

    /// How many presence changes were applied so far: a list asked for now
    /// is fresher than those, not than the ones that come after.
    pub fn presence_seq(&self) -> u64 {
        self.presence_seq
    }

    /// Replaces the agents list with one asked for at `asked`
    /// ([`Inbox::presence_seq`]): a presence change applied since stays, as
    /// it is newer than the list.
    pub fn set_agents_asked_at(&mut self, agents: Vec<AgentPresence>, asked: u64) {
        let mut next: HashMap<String, AgentPresence> =
            agents.into_iter().map(|a| (a.id.clone(), a)).collect();
        for (id, a) in next.iter_mut() {
            if self.presence_at.get(id).is_some_and(|at| *at > asked)
                && let Some(now) = self.agents.get(id)
            {
                a.status = now.status;
            }
        }
        self.agents = next;
    }

    /// Applies one change now. Returns whether anything visible changed.
    pub fn apply(&mut self, change: &Change) -> bool {
        self.apply_at(change, crate::ipc::now_ms())
    }

    /// Applies one change that came at `now` (ms).
    pub fn apply_at(&mut self, change: &Change, now: i64) -> bool {
        match change {
            Change::Connection { state } => {
                let changed = self.connection != *state;
                self.connection = state.clone();
                if *state != ConnectionState::Online {
                    // Typing hints do not survive a lost link.
                    self.typing.clear();
                }
                changed
            }
            Change::Chat { chat } => {
                let chat = chat.as_ref().clone();
                match self.chats.iter_mut().find(|c| c.chat_id == chat.chat_id) {
                    Some(c) if *c == chat => return false,
                    Some(c) => *c = chat,
                    None => self.chats.push(chat),
                }
                sort_inbox(&mut self.chats);
                true
            }
            Change::Message { message } => {
                // The chat's entry follows with a `Chat` change; here only the
                // typing hint of the author ends.
                if let Some(set) = self.typing.get_mut(&message.chat_id) {
                    set.remove(&message.sender_id);
                }
                false
            }
            Change::Typing {
                chat_id,
                user_id,
                typing,
                internal,
            } => {
                let key = (chat_id.clone(), user_id.clone());
                let was_note = self.noting.contains(&key);
                if *typing && *internal {
                    self.noting.insert(key);
                } else {
                    self.noting.remove(&key);
                }
                let set = self.typing.entry(chat_id.clone()).or_default();
                let changed = if *typing {
                    set.insert(user_id.clone(), now).is_none()
                } else {
                    set.remove(user_id).is_some()
                };
                changed || was_note != (*typing && *internal)
            }
            Change::Presence { user_id, status } => {
                self.presence_seq += 1;
                self.presence_at.insert(user_id.clone(), self.presence_seq);
                match self.agents.get_mut(user_id) {
                    Some(a) => a.status = *status,
                    None => {
                        self.agents.insert(
                            user_id.clone(),
                            // Named when the agents list comes (the
                            // controller asks for it): never shown as an id.
                            AgentPresence {
                                id: user_id.clone(),
                                name: String::new(),
                                status: *status,
                                max_chats: None,
                                open_chats: None,
                            },
                        );
                    }
                }
                true
            }
            Change::Notification { notification } => {
                if self.notifications.iter().any(|n| n.id == notification.id) {
                    return false;
                }
                self.notifications.insert(0, notification.as_ref().clone());
                self.notifications.truncate(50);
                true
            }
            Change::NotificationCount { count } => {
                let changed = self.notification_count != *count;
                self.notification_count = *count;
                changed
            }
            Change::Unread {
                chat_id,
                unread,
                total,
            } => {
                if let Some(c) = self.chats.iter_mut().find(|c| c.chat_id == *chat_id) {
                    c.unread = *unread;
                }
                self.total_unread = *total;
                true
            }
            Change::Stats { stats } => {
                self.stats = Some(*stats);
                true
            }
            // The chat's entry (its failed count) follows as a `Chat` change.
            Change::Discarded { .. } => false,
            // Undone or done: the chat's entry follows as a `Chat` change.
            Change::Action { .. } | Change::ActionDone { .. } => false,
            Change::Capabilities { features } => {
                let changed = self.features != *features;
                self.features = features.clone();
                changed
            }
            Change::CaughtUp { messages, chats } => {
                if *messages > 0 {
                    self.caught_up = Some((*messages, *chats));
                }
                *messages > 0
            }
        }
    }
}

/// The open chat's timeline: the messages held in memory (a window of the
/// local cache, grown page by page), oldest first, outgoing ones last.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Timeline {
    /// The chat.
    pub chat_id: String,
    /// Oldest first.
    pub messages: Vec<LocalMessage>,
    /// Whether older messages may exist (locally or on the server).
    pub has_older: bool,
    /// The message I had read up to when the chat opened.
    pub read_marker: Option<String>,
    /// Newer messages than these are held (opened at a search hit far
    /// back): live ones are not added past the gap; the newest page is
    /// loaded instead when the agent goes there.
    pub has_newer: bool,
}

fn order_key(m: &LocalMessage) -> (u8, &str) {
    match (&m.sent_at, &m.status) {
        (Some(at), DeliveryStatus::Sent) => (0, at.as_str()),
        _ => (1, ""),
    }
}

impl Timeline {
    /// A timeline from its newest page.
    pub fn new(
        chat_id: &str,
        page: Vec<LocalMessage>,
        read_marker: Option<String>,
        page_size: usize,
    ) -> Self {
        let mut t = Self {
            chat_id: chat_id.to_owned(),
            messages: Vec::with_capacity(page.len()),
            has_older: page.len() >= page_size,
            read_marker,
            has_newer: false,
        };
        for m in page {
            t.upsert(m);
        }
        t
    }

    fn position(&self, m: &LocalMessage) -> Option<usize> {
        self.messages.iter().rposition(|x| {
            (m.message_id.is_some() && x.message_id == m.message_id)
                || (m.client_message_id.is_some() && x.client_message_id == m.client_message_id)
        })
    }

    /// Inserts or replaces a message (a `sending` one becomes `sent` in
    /// place, never twice). Returns whether anything changed.
    pub fn upsert(&mut self, m: LocalMessage) -> bool {
        if m.chat_id != self.chat_id {
            return false;
        }
        if let Some(i) = self.position(&m) {
            if self.messages[i] == m {
                return false;
            }
            self.messages.remove(i);
        }
        let key = order_key(&m);
        let at = self.messages.partition_point(|x| order_key(x) <= key);
        self.messages.insert(at, m);
        true
    }

    /// Adds an older page (oldest first) in front. Returns how many were new.
    pub fn prepend(&mut self, older: Vec<LocalMessage>, page_size: usize) -> usize {
        self.has_older = older.len() >= page_size;
        let mut added = 0;
        for m in older {
            if self.upsert(m) {
                added += 1;
            }
        }
        added
    }

    /// The oldest server timestamp held (to page back from).
    pub fn oldest_sent_at(&self) -> Option<&str> {
        self.messages.iter().find_map(|m| m.sent_at.as_deref())
    }

    /// The newest message from the server (to mark read up to).
    pub fn newest_server_message(&self) -> Option<&LocalMessage> {
        self.messages
            .iter()
            .rev()
            .find(|m| m.status == DeliveryStatus::Sent && m.message_id.is_some())
    }

    /// Whether `m` is held, or belongs before the newest held message.
    fn holds_before_end(&self, m: &LocalMessage) -> bool {
        if self.position(m).is_some() {
            return true;
        }
        match (&m.sent_at, self.messages.last().and_then(|l| l.sent_at.as_ref())) {
            (Some(at), Some(last)) => at <= last,
            _ => false,
        }
    }

    /// Applies one change to the open chat. Returns whether it changed.
    pub fn apply(&mut self, change: &Change) -> bool {
        match change {
            // Past a gap: the newest page shows it once loaded.
            Change::Message { message } if self.has_newer && !self.holds_before_end(message) => false,
            Change::Message { message } => self.upsert(message.as_ref().clone()),
            Change::Discarded {
                chat_id,
                client_message_id,
            } if *chat_id == self.chat_id => {
                let before = self.messages.len();
                self.messages.retain(|m| {
                    m.status == DeliveryStatus::Sent
                        || m.client_message_id.as_deref() != Some(client_message_id.as_str())
                });
                before != self.messages.len()
            }
            _ => false,
        }
    }
}

/// What to render of a long timeline: at most `size` rows ending at `end`
/// (`None`: pinned to the newest). Returns `start..end`.
pub fn visible_window(len: usize, end: Option<usize>, size: usize) -> std::ops::Range<usize> {
    let end = end.map_or(len, |e| e.min(len));
    end.saturating_sub(size)..end
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchboard_model::fixtures;
    use switchboard_protocol::ChatStatus;

    pub(crate) fn msg(id: &str, at: &str, sender: &str) -> LocalMessage {
        fixtures::message(id).by(sender).at(at).build()
    }

    fn chat(id: &str, status: ChatStatus, assignee: Option<&str>, updated: &str) -> ChatEntry {
        fixtures::chat(id)
            .status(status, assignee)
            .updated(updated)
            .build()
    }

    fn inbox(chats: Vec<ChatEntry>) -> Inbox {
        Inbox::from_snapshot(fixtures::snapshot(Some("me"), chats))
    }

    #[test]
    fn the_queue_lists_the_longest_waiting_first_and_the_rest_by_activity() {
        let queued =
            |id: &str, created: &str, updated: &str| fixtures::chat(id).times(created, updated).build();
        let i = inbox(vec![
            // Arrived last, but the visitor keeps writing: still last in the queue.
            queued("newest", "2026-12-01T10:05:00.000Z", "2026-12-01T10:09:00.000Z"),
            queued("oldest", "2026-12-01T10:00:00.000Z", "2026-12-01T10:01:00.000Z"),
            queued("middle", "2026-12-01T10:02:00.000Z", "2026-12-01T10:02:00.000Z"),
            chat(
                "mine",
                ChatStatus::InProgress,
                Some("me"),
                "2026-12-01T10:03:00.000Z",
            ),
        ]);
        let ids = |t| i.tab(t).map(|c| c.chat_id.as_str()).collect::<Vec<_>>();
        assert_eq!(ids(InboxTab::Queue), ["oldest", "middle", "newest"]);
        assert_eq!(ids(InboxTab::All), ["newest", "mine", "middle", "oldest"]);
        assert_eq!(i.tab_count(InboxTab::Queue), 3);
    }

    #[test]
    fn notifications_read_one_by_one_or_all_at_once() {
        let note = |id: &str, read| Notification {
            id: id.into(),
            kind: switchboard_protocol::NotificationType::Info,
            title: "New chat".into(),
            message: "Ana".into(),
            data: Some(serde_json::json!({"chatId": id})),
            created_at: "2026-12-01T10:00:00.000Z".into(),
            read: Some(read),
        };
        let mut i = inbox(vec![]);
        i.notifications = vec![note("n1", false), note("n2", false), note("n3", true)];
        i.notification_count = 2;
        i.read_notifications(Some("n1"));
        assert_eq!(i.notification_count, 1);
        assert_eq!(i.notifications[0].read, Some(true));
        i.read_notifications(Some("n1"));
        assert_eq!(i.notification_count, 1, "read twice counts once");
        i.read_notifications(None);
        assert_eq!(i.notification_count, 0);
        assert!(i.notifications.iter().all(|n| n.read == Some(true)));
        assert_eq!(
            crate::bell::notification_chat(&note("c9", false)).as_deref(),
            Some("c9")
        );
    }

    #[test]
    fn opened_far_back_a_timeline_takes_no_live_message_past_its_gap() {
        let page = vec![
            msg("1", "2026-01-01T10:00:00.000Z", "v"),
            msg("2", "2026-01-01T10:01:00.000Z", "v"),
        ];
        let mut t = Timeline::new("c", page, None, 100);
        t.has_newer = true;
        let change = |m: LocalMessage| Change::Message { message: Box::new(m) };
        // Newer than what is held: it waits in the cache for the newest page.
        assert!(!t.apply(&change(msg("9", "2026-01-01T11:00:00.000Z", "v"))));
        assert_eq!(t.messages.len(), 2);
        // Within what is held (a late arrival, an edit of a held one): kept.
        assert!(t.apply(&change(msg("1b", "2026-01-01T10:00:30.000Z", "v"))));
        assert_eq!(t.messages.len(), 3);
        let mut edited = msg("2", "2026-01-01T10:01:00.000Z", "v");
        edited.content = "changed".into();
        assert!(t.apply(&change(edited)));
        // Without the gap, the newest message is simply added.
        t.has_newer = false;
        assert!(t.apply(&change(msg("9", "2026-01-01T11:00:00.000Z", "v"))));
        assert_eq!(t.messages.last().and_then(|m| m.message_id.as_deref()), Some("9"));
    }

    #[test]
    fn a_discarded_message_leaves_the_timeline() {
        let mut t = Timeline::new("c", vec![msg("1", "2026-01-01T10:00:00.000Z", "v")], None, 100);
        let mut refused = msg("x", "", "me");
        refused.message_id = None;
        refused.sent_at = None;
        refused.client_message_id = Some("cm1".into());
        refused.status = DeliveryStatus::Failed;
        t.upsert(refused);
        let gone = |chat: &str| Change::Discarded {
            chat_id: chat.into(),
            client_message_id: "cm1".into(),
        };
        assert!(!t.apply(&gone("other")), "another chat's");
        assert_eq!(t.messages.len(), 2);
        assert!(t.apply(&gone("c")));
        assert_eq!(t.messages.len(), 1);
        assert!(!t.apply(&gone("c")), "once");
    }

    #[test]
    fn a_sending_message_becomes_sent_in_place_never_twice() {
        let mut t = Timeline::new("c", vec![msg("1", "2026-01-01T10:00:00.000Z", "v")], None, 100);
        let mut local = msg("x", "", "me");
        local.message_id = None;
        local.sent_at = None;
        local.client_message_id = Some("cm1".into());
        local.status = DeliveryStatus::Sending;
        assert!(t.upsert(local.clone()));
        assert_eq!(t.messages.len(), 2);
        // A visitor message arrives while mine is still sending: mine stays last.
        assert!(t.upsert(msg("2", "2026-01-01T10:00:01.000Z", "v")));
        assert_eq!(t.messages.last().unwrap().status, DeliveryStatus::Sending);
        let mut sent = msg("3", "2026-01-01T10:00:02.000Z", "me");
        sent.client_message_id = Some("cm1".into());
        assert!(t.upsert(sent.clone()));
        assert!(!t.upsert(sent), "the same message again changes nothing");
        let ids: Vec<_> = t.messages.iter().map(|m| m.message_id.clone().unwrap()).collect();
        assert_eq!(ids, ["1", "2", "3"]);
    }

    #[test]
    fn messages_keep_server_order_whatever_order_they_arrive_in() {
        let mut t = Timeline::new("c", Vec::new(), None, 100);
        t.upsert(msg("b", "2026-01-01T10:00:02.000Z", "v"));
        t.upsert(msg("a", "2026-01-01T10:00:01.000Z", "v"));
        t.upsert(msg("c", "2026-01-01T10:00:03.000Z", "v"));
        t.upsert(msg("0", "2026-01-01T10:00:00.000Z", "v"));
        let mut other = msg("z", "2026-01-01T09:00:00.000Z", "v");
        other.chat_id = "elsewhere".into();
        assert!(!t.upsert(other));
        let ids: Vec<_> = t.messages.iter().map(|m| m.message_id.clone().unwrap()).collect();
        assert_eq!(ids, ["0", "a", "b", "c"]);
    }

    #[test]
    fn older_pages_go_in_front_and_tell_whether_more_exist() {
        let mut t = Timeline::new("c", vec![msg("3", "2026-01-01T10:00:03.000Z", "v")], None, 1);
        assert!(t.has_older);
        let added = t.prepend(
            vec![
                msg("1", "2026-01-01T10:00:01.000Z", "v"),
                msg("2", "2026-01-01T10:00:02.000Z", "v"),
            ],
            5,
        );
        assert_eq!(added, 2);
        assert!(!t.has_older);
        assert_eq!(t.oldest_sent_at(), Some("2026-01-01T10:00:01.000Z"));
        assert_eq!(
            t.newest_server_message().unwrap().message_id.as_deref(),
            Some("3")
        );
    }

    #[test]
    fn inbox_follows_chat_unread_and_typing_changes() {
        let mut i = inbox(vec![
            chat("a", ChatStatus::Pending, None, "2026-01-01T10:00:00.000Z"),
            chat(
                "b",
                ChatStatus::InProgress,
                Some("me"),
                "2026-01-01T09:00:00.000Z",
            ),
        ]);
        assert_eq!(i.tab_count(InboxTab::Queue), 1);
        assert_eq!(i.tab_count(InboxTab::Mine), 1);
        // b gets newer activity: it moves to the top.
        let mut b = i.chat("b").unwrap().clone();
        b.updated_at = "2026-01-01T11:00:00.000Z".into();
        assert!(i.apply(&Change::Chat {
            chat: Box::new(b.clone())
        }));
        assert_eq!(i.chats[0].chat_id, "b");
        assert!(
            !i.apply(&Change::Chat { chat: Box::new(b) }),
            "no change, no render"
        );
        // Accepted by me: a leaves the queue for Mine.
        let mut a = i.chat("a").unwrap().clone();
        a.status = ChatStatus::InProgress;
        a.assignee_id = Some("me".into());
        i.apply(&Change::Chat { chat: Box::new(a) });
        assert_eq!(i.tab_count(InboxTab::Queue), 0);
        assert_eq!(i.tab_count(InboxTab::Mine), 2);
        i.apply(&Change::Unread {
            chat_id: "a".into(),
            unread: 3,
            total: 5,
        });
        assert_eq!(i.chat("a").unwrap().unread, 3);
        assert_eq!(i.total_unread, 5);
        i.apply(&Change::Typing {
            chat_id: "a".into(),
            user_id: "v-a".into(),
            typing: true,
            internal: false,
        });
        assert!(i.someone_typing("a"));
        // Their message ends the hint.
        let mut m = msg("m", "2026-01-01T12:00:00.000Z", "v-a");
        m.chat_id = "a".into();
        i.apply(&Change::Message { message: Box::new(m) });
        assert!(!i.someone_typing("a"));
        // My own typing never shows.
        i.apply(&Change::Typing {
            chat_id: "a".into(),
            user_id: "me".into(),
            typing: true,
            internal: false,
        });
        assert!(!i.someone_typing("a"));
    }

    #[test]
    fn a_typing_hint_ends_six_seconds_after_its_last_event() {
        let mut i = inbox(vec![chat("a", ChatStatus::Pending, None, "1")]);
        let start = Change::Typing {
            chat_id: "a".into(),
            user_id: "v".into(),
            typing: true,
            internal: false,
        };
        i.apply_at(&start, 1_000);
        assert!(!i.stale_typing(7_000));
        assert!(!i.expire_typing(7_000));
        assert!(i.someone_typing("a"));
        // A new event keeps it going.
        i.apply_at(&start, 5_000);
        assert!(!i.expire_typing(10_000));
        assert!(i.someone_typing("a"));
        assert!(i.stale_typing(11_001));
        assert!(i.expire_typing(11_001));
        assert!(!i.someone_typing("a"));
        assert!(i.typing.is_empty());
    }

    #[test]
    fn losing_the_link_clears_typing_hints() {
        let mut i = inbox(vec![chat("a", ChatStatus::Pending, None, "1")]);
        i.apply(&Change::Typing {
            chat_id: "a".into(),
            user_id: "v".into(),
            typing: true,
            internal: false,
        });
        i.apply(&Change::Connection {
            state: ConnectionState::Reconnecting {
                attempt: 1,
                next_in_ms: 1000,
            },
        });
        assert!(!i.someone_typing("a"));
    }

    #[test]
    fn the_window_renders_at_most_its_size() {
        assert_eq!(visible_window(10_000, None, 80), 9_920..10_000);
        assert_eq!(visible_window(10_000, Some(500), 80), 420..500);
        assert_eq!(visible_window(30, None, 80), 0..30);
        assert_eq!(visible_window(30, Some(99), 80), 0..30);
    }

    #[test]
    fn the_typist_is_named_and_never_me() {
        let mut i = inbox(vec![chat(
            "a",
            ChatStatus::InProgress,
            Some("me"),
            "2026-11-24T10:00:00.000Z",
        )]);
        assert_eq!(i.typist("a"), None);
        let typing = |user: &str, on: bool| Change::Typing {
            chat_id: "a".into(),
            user_id: user.into(),
            typing: on,
            internal: false,
        };
        i.apply(&typing("me", true));
        assert_eq!(i.typist("a"), None, "my own typing is no hint");
        i.apply(&typing("v-a", true));
        assert_eq!(i.typist("a").as_deref(), Some("Visitor a"));
        i.apply(&typing("v-a", false));
        i.apply(&typing("ana", true));
        assert_eq!(i.typist("a").as_deref(), Some("…"), "an agent not known yet");
        i.set_agents(vec![switchboard_protocol::AgentPresence {
            id: "ana".into(),
            name: "Ana".into(),
            status: switchboard_protocol::Presence::Online,
            max_chats: None,
            open_chats: None,
        }]);
        assert_eq!(i.typist("a").as_deref(), Some("Ana"));
    }

    #[test]
    fn a_colleague_writing_a_note_is_told_apart_from_typing() {
        let mut i = inbox(vec![fixtures::chat("c1").build()]);
        let typing = |on: bool, internal: bool| Change::Typing {
            chat_id: "c1".into(),
            user_id: "sam".into(),
            typing: on,
            internal,
        };
        assert!(i.apply(&typing(true, true)));
        assert_eq!(i.typist_in("c1").map(|(_, note)| note), Some(true));
        assert!(i.apply(&typing(true, false)), "now a reply");
        assert_eq!(i.typist_in("c1").map(|(_, note)| note), Some(false));
        assert!(i.apply(&typing(true, true)));
        assert!(i.apply(&typing(false, true)));
        assert_eq!(i.typist_in("c1"), None);
        assert!(i.noting.is_empty());
    }

    #[test]
    fn a_team_list_asked_for_before_a_presence_change_does_not_undo_it() {
        use switchboard_protocol::{AgentPresence, Presence};
        let mut i = inbox(vec![]);
        let me = |status| AgentPresence {
            id: "me".into(),
            name: "Me".into(),
            status,
            max_chats: Some(3),
            open_chats: Some(1),
        };
        i.set_agents(vec![me(Presence::Online)]);
        let asked = i.presence_seq();
        // Away (automatic, say) while the list is on its way.
        i.apply(&Change::Presence {
            user_id: "me".into(),
            status: Presence::Away,
        });
        i.set_agents_asked_at(vec![me(Presence::Online)], asked);
        assert_eq!(i.my_presence(), Presence::Away, "the newer change stays");
        assert_eq!(i.agents["me"].max_chats, Some(3), "the rest is the list's");
        // A list asked for after it is the truth again.
        let asked = i.presence_seq();
        i.set_agents_asked_at(vec![me(Presence::Busy)], asked);
        assert_eq!(i.my_presence(), Presence::Busy);
    }
}
