//! The UI's controller: the context every view shares ([`Ctx`]) and every
//! action on it (loading the snapshot, a page, older history, settings;
//! opening, accepting and reading a chat; applying the engine's changes).
//! Views call these; this module uses the state reducers and the shell's
//! IPC only, never a view.

use dioxus::{core::spawn_forever, prelude::*};
use switchboard_model::{Change, InboxTab, ipc::commands as cmd};

pub use switchboard_model::ipc::{Boot, DesktopSettings};

use crate::{
    i18n::Lang,
    ipc::{self, ErrorCode},
    state::{Inbox, TYPING_HINT_MS, Timeline},
    toast::{self, Doing},
};

/// What the whole UI shares.
#[allow(missing_debug_implementations)]
#[derive(Clone, Copy)]
pub struct Ctx {
    /// The language.
    pub lang: Signal<Lang>,
    /// The inbox (`None`: not signed in).
    pub inbox: Signal<Option<Inbox>>,
    /// The open chat.
    pub selected: Signal<Option<String>>,
    /// Its timeline.
    pub timeline: Signal<Option<Timeline>>,
    /// The inbox tab shown.
    pub tab: Signal<InboxTab>,
    /// A passing message for the agent (errors, summaries).
    pub toast: Signal<Option<crate::toast::Toast>>,
    /// The clock for relative and waiting times (ticks every 10 s).
    pub now: Signal<i64>,
    /// Where the sign-in form starts.
    pub boot: Signal<Option<Boot>>,
    /// When the next reconnect attempt is due (ms since the epoch), for a
    /// live countdown in the header.
    pub reconnect_at: Signal<Option<i64>>,
    /// Loads of a snapshot or a page under way: changes that arrive
    /// meanwhile wait in `held` and are applied on top once it lands (a
    /// change is never lost between a snapshot and its diffs).
    pub holds: Signal<u32>,
    /// Changes waiting for the loads to land.
    pub held: Signal<Vec<Change>>,
    /// The desktop settings (notifications, tray), as the shell holds them.
    pub settings: Signal<Option<DesktopSettings>>,
    /// A newer version is ready to install.
    pub update: Signal<Option<String>>,
    /// The image open in the viewer (its message's key).
    pub viewer: Signal<Option<String>>,
    /// The agent (or an action of theirs) picked the tab: it is no longer
    /// switched to the queue by itself.
    pub tab_chosen: Signal<bool>,
    /// Bumped when a chat is opened or accepted: the composer takes the
    /// focus once it is on screen.
    pub focus_composer: Signal<u64>,
    /// A refused message taken back to edit: its chat and its text, for
    /// that chat's composer to take.
    pub refill: Signal<Option<(String, switchboard_model::Draft)>>,
    /// The message a search opened the chat at (highlighted, brought into
    /// view).
    pub found: Signal<Option<String>>,
    /// The inbox shows only chats with this tag (`None`: all).
    pub tag_filter: Signal<Option<String>>,
}

/// The tab to switch to by itself: the queue, while nothing is mine, the
/// agent has not picked a tab, and someone waits (the chats of a fresh
/// sign-in arrive after its first snapshot).
pub fn work_tab(inbox: &Inbox, current: InboxTab, chosen: bool) -> Option<InboxTab> {
    (!chosen
        && current == InboxTab::Mine
        && inbox.tab_count(InboxTab::Mine) == 0
        && inbox.tab_count(InboxTab::Queue) > 0)
        .then_some(InboxTab::Queue)
}

/// Reloads the desktop settings from the shell.
pub async fn load_settings(mut ctx: Ctx) {
    if let Ok(s) = ipc::invoke(&cmd::GetSettings {}).await {
        ctx.settings.set(Some(s));
    }
}

fn hold(mut ctx: Ctx) {
    *ctx.holds.write() += 1;
}

fn release(mut ctx: Ctx) {
    let left = {
        let mut h = ctx.holds.write();
        *h = h.saturating_sub(1);
        *h
    };
    if left == 0 {
        let held = std::mem::take(&mut *ctx.held.write());
        if !held.is_empty() {
            apply_changes(ctx, &held);
        }
    }
}

/// Page size of a timeline.
pub const PAGE: usize = 100;

/// The command for a page of `chat_id` before `before`.
fn page_of(chat_id: &str, before: Option<&str>) -> cmd::GetMessages {
    cmd::GetMessages {
        chat_id: chat_id.to_owned(),
        before: before.map(str::to_owned),
        limit: Some(PAGE as u32),
    }
}

/// Reloads the inbox from the shell (after sign-in, or when it fell behind).
pub async fn reload(ctx: Ctx) {
    hold(ctx);
    load_snapshot(ctx).await;
    release(ctx);
}

async fn load_snapshot(mut ctx: Ctx) {
    match ipc::invoke(&cmd::GetSnapshot {}).await {
        Ok(s) => {
            let mut inbox = Inbox::from_snapshot(s);
            let first = ctx.inbox.peek().is_none();
            if let Some(old) = ctx.inbox.peek().as_ref() {
                inbox.keep_team_of(old);
            }
            // Start where the work is: the queue, when nothing is mine yet.
            if first {
                ctx.tab_chosen.set(false);
            }
            let (tab, chosen) = (*ctx.tab.peek(), *ctx.tab_chosen.peek());
            if let Some(t) = work_tab(&inbox, tab, chosen) {
                ctx.tab.set(t);
            }
            ctx.inbox.set(Some(inbox));
            spawn_forever(load_lists(ctx));
            spawn_forever(load_settings(ctx));
            let open = ctx.selected.peek().clone();
            if let Some(chat_id) = open {
                load_page(ctx, chat_id).await;
            }
        }
        Err(e) if e.code == ErrorCode::NotSignedIn => {
            ctx.inbox.set(None);
            ctx.selected.set(None);
            ctx.timeline.set(None);
        }
        Err(e) => toast::fail(ctx, Doing::Load, &e),
    }
}

/// Loads names, presence and notifications (network; fine to fail offline).
async fn load_lists(mut ctx: Ctx) {
    load_agents(ctx).await;
    if let Ok(list) = ipc::invoke(&cmd::GetNotifications {}).await
        && let Some(i) = ctx.inbox.write().as_mut()
    {
        i.notifications = list.notifications;
        i.notification_count = list.unread;
    }
}

/// Loads every agent's name and presence (`GET /v2/agents`), so colleagues
/// are named: at sign-in, after each reconnect, and when a message comes
/// from an agent the list does not have yet.
async fn load_agents(mut ctx: Ctx) {
    let asked = ctx.inbox.peek().as_ref().map_or(0, |i| i.presence_seq());
    if let Ok(agents) = ipc::invoke(&cmd::GetAgents {}).await
        && let Some(i) = ctx.inbox.write().as_mut()
    {
        i.set_agents_asked_at(agents, asked);
    }
}

/// Whether a batch asks for the agents list again: the link came back, or
/// an agent the inbox cannot name wrote.
pub fn needs_agents(inbox: &Inbox, changes: &[Change]) -> bool {
    changes.iter().any(|c| match c {
        Change::Connection { state } => *state == switchboard_model::ConnectionState::Online,
        Change::Message { message } => {
            message.sender_type == switchboard_protocol::SenderType::Agent
                && inbox.agent_name(&message.sender_id).is_none()
        }
        Change::Presence { user_id, .. } => inbox.agent_name(user_id).is_none(),
        Change::Chat { chat } => chat
            .assignee_id
            .as_deref()
            .is_some_and(|a| inbox.agent_name(a).is_none()),
        _ => false,
    })
}

/// Opens a chat: its newest page from the local cache, marked read.
pub async fn open_chat(mut ctx: Ctx, chat_id: String) {
    hold(ctx);
    load_page(ctx, chat_id).await;
    release(ctx);
    *ctx.focus_composer.write() += 1;
    mark_read(ctx).await;
}

async fn load_page(mut ctx: Ctx, chat_id: String) {
    ctx.selected.set(Some(chat_id.clone()));
    ctx.viewer.set(None);
    ctx.found.set(None);
    // The shell keeps the chat on screen quiet while the window has the focus.
    let _ = ipc::invoke(&cmd::Viewing {
        chat_id: Some(chat_id.clone()),
    })
    .await;
    match ipc::invoke(&page_of(&chat_id, None)).await {
        Ok(page) => {
            if ctx.selected.peek().as_deref() != Some(chat_id.as_str()) {
                return;
            }
            let t = Timeline::new(&chat_id, page.messages, page.read_marker, PAGE);
            ctx.timeline.set(Some(t));
        }
        Err(e) => toast::fail(ctx, Doing::Load, &e),
    }
}

/// Opens a chat at a message a search found: the history around it from
/// the local cache, the message highlighted in view; the tab that holds it.
pub async fn open_found(mut ctx: Ctx, chat_id: String, message_id: String) {
    hold(ctx);
    ctx.selected.set(Some(chat_id.clone()));
    ctx.viewer.set(None);
    show_tab_of(ctx, &chat_id);
    let _ = ipc::invoke(&cmd::Viewing {
        chat_id: Some(chat_id.clone()),
    })
    .await;
    match ipc::invoke(&cmd::GetMessagesAround {
        chat_id: chat_id.clone(),
        message_id: message_id.clone(),
    })
    .await
    {
        Ok(page) if ctx.selected.peek().as_deref() == Some(chat_id.as_str()) => {
            let mut t = Timeline::new(&chat_id, page.messages, page.read_marker, PAGE);
            // Older ones may be held, or on the server: the top says.
            t.has_older = true;
            t.has_newer = page.has_newer;
            ctx.found.set(Some(message_id));
            ctx.timeline.set(Some(t));
        }
        Ok(_) => {}
        Err(e) => toast::fail(ctx, Doing::Search, &e),
    }
    release(ctx);
}

/// Shows the tab that lists a chat opened from elsewhere (a notification,
/// the bell, a search): Closed for a closed chat, else All. The agent's
/// choice now: the queue is no longer shown by itself.
pub fn show_tab_of(mut ctx: Ctx, chat_id: &str) {
    let closed = ctx
        .inbox
        .peek()
        .as_ref()
        .and_then(|i| i.chat(chat_id))
        .is_some_and(|c| c.status == switchboard_protocol::ChatStatus::Closed);
    ctx.tab.set(if closed { InboxTab::Closed } else { InboxTab::All });
    ctx.tab_chosen.set(true);
}

/// Whether the open timeline stops short of the newest messages.
pub fn short_of_newest(ctx: Ctx) -> bool {
    ctx.timeline.peek().as_ref().is_some_and(|t| t.has_newer)
}

/// Marks the open chat read up to its newest message, once that message
/// is on screen in a focused window (not merely loaded, nor behind another
/// window or scrolled out of view).
pub async fn mark_read(ctx: Ctx) {
    if !ipc::window_focused() {
        return;
    }
    let newest_on_screen = ctx
        .timeline
        .peek()
        .as_ref()
        .and_then(|t| t.newest_server_message().map(|m| format!("msg-{}", m.key())))
        .is_some_and(|id| ipc::scroll::in_view(&id, "timeline"));
    if !newest_on_screen {
        return;
    }
    let (chat_id, message_id) = {
        let t = ctx.timeline.peek();
        let Some(t) = t.as_ref() else { return };
        let Some(m) = t.newest_server_message() else {
            return;
        };
        let unread = ctx
            .inbox
            .peek()
            .as_ref()
            .and_then(|i| i.chat(&t.chat_id).map(|c| c.unread))
            .unwrap_or(0);
        if unread == 0 {
            return;
        }
        (t.chat_id.clone(), m.message_id.clone().unwrap_or_default())
    };
    let _ = ipc::invoke(&cmd::MarkRead { chat_id, message_id }).await;
}

/// Loads the page before the oldest message held (from the cache, then the
/// server when the cache has no more). Returns how many were added.
pub async fn load_older(mut ctx: Ctx) -> usize {
    let Some((chat_id, before)) = ctx
        .timeline
        .peek()
        .as_ref()
        .map(|t| (t.chat_id.clone(), t.oldest_sent_at().map(str::to_owned)))
    else {
        return 0;
    };
    let local = ipc::invoke(&page_of(&chat_id, before.as_deref())).await;
    let mut page = match local {
        Ok(p) => p.messages,
        Err(_) => Vec::new(),
    };
    if page.is_empty() {
        // Nothing older in the cache: ask the server, then read the cache again.
        if ipc::invoke(&cmd::LoadOlder {
            chat_id: chat_id.clone(),
        })
        .await
        .unwrap_or(0)
            > 0
            && let Ok(p) = ipc::invoke(&page_of(&chat_id, before.as_deref())).await
        {
            page = p.messages;
        }
    }
    let mut t = ctx.timeline.write();
    match t.as_mut() {
        Some(t) if t.chat_id == chat_id => {
            if page.is_empty() {
                t.has_older = false;
                0
            } else {
                // A full page from the cache may have more behind it.
                let full = page.len() >= PAGE;
                let n = t.prepend(page, PAGE);
                t.has_older = full || n > 0;
                n
            }
        }
        _ => 0,
    }
}

/// Whether `c` says the chat on screen has unread messages. The count can
/// arrive in a later batch than the message itself (under load the engine's
/// changes are split differently): reading is decided on either.
fn unread_in(c: &Change, open: &str) -> bool {
    matches!(c, Change::Unread { chat_id, unread, .. } if chat_id == open && *unread > 0)
}

/// Applies a batch of engine changes to the inbox and the open timeline
/// (held while a snapshot or page loads).
pub fn apply_changes(mut ctx: Ctx, changes: &[Change]) {
    if *ctx.holds.peek() > 0 {
        ctx.held.write().extend_from_slice(changes);
        return;
    }
    let mut open_touched = false;
    for c in changes {
        if let Change::Connection { state } = c {
            if *state == switchboard_model::ConnectionState::Online {
                toast::link_back(ctx);
            }
            ctx.reconnect_at.set(match state {
                switchboard_model::ConnectionState::Reconnecting { next_in_ms, .. } => {
                    Some(ipc::now_ms() + *next_in_ms as i64)
                }
                _ => None,
            });
        }
    }
    if ctx
        .inbox
        .peek()
        .as_ref()
        .is_some_and(|i| needs_agents(i, changes))
    {
        spawn_forever(load_agents(ctx));
    }
    {
        let mut inbox = ctx.inbox.write();
        let Some(inbox) = inbox.as_mut() else { return };
        for c in changes {
            inbox.apply(c);
        }
        let (tab, chosen) = (*ctx.tab.peek(), *ctx.tab_chosen.peek());
        if let Some(t) = work_tab(inbox, tab, chosen) {
            ctx.tab.set(t);
        }
    }
    if changes
        .iter()
        .any(|c| matches!(c, Change::Typing { typing: true, .. }))
    {
        // A `typing:stop` may never come (a closed tab): the hint ends by itself.
        spawn_forever(async move {
            ipc::sleep(TYPING_HINT_MS as u32 + 50).await;
            let now = ipc::now_ms();
            if ctx.inbox.peek().as_ref().is_some_and(|i| i.stale_typing(now))
                && let Some(i) = ctx.inbox.write().as_mut()
            {
                i.expire_typing(now);
            }
        });
    }
    {
        let selected = ctx.selected.peek().clone();
        let mut timeline = ctx.timeline.write();
        if let (Some(t), Some(sel)) = (timeline.as_mut(), selected)
            && t.chat_id == sel
        {
            for c in changes {
                if t.apply(c) || unread_in(c, &sel) {
                    open_touched = true;
                }
            }
        }
    }
    for c in changes {
        if let Change::Action { action } = c
            && action.state == switchboard_model::actions::ActionState::Refused
        {
            let held = action
                .chat_id
                .as_ref()
                .and_then(|id| {
                    let inbox = ctx.inbox.peek();
                    inbox
                        .as_ref()?
                        .chats
                        .iter()
                        .find(|c| c.chat_id == *id)
                        .map(|c| c.held)
                })
                .unwrap_or(0);
            toast::refused(ctx, action, held);
        }
    }
    let caught_up = ctx.inbox.write().as_mut().and_then(|i| i.caught_up.take());
    if let Some((messages, chats)) = caught_up {
        let text = ctx.lang.peek().caught_up(messages, chats);
        toast::say(ctx, text);
    }
    if open_touched {
        spawn_forever(mark_read(ctx));
    }
    // My message in a chat opened far back: to the newest, where it shows.
    let mine_sent = ctx.selected.peek().clone().filter(|sel| {
        short_of_newest(ctx)
            && changes.iter().any(|c| {
                matches!(c, Change::Message { message }
                    if message.chat_id == *sel && message.status == switchboard_model::DeliveryStatus::Sending)
            })
    });
    if let Some(chat_id) = mine_sent {
        spawn_forever(open_chat(ctx, chat_id));
    }
}

/// Signs out (or leaves an expired session) to the sign-in form, with this
/// account's server and e-mail filled in; nothing of the console (a toast,
/// an open chat) outlives it.
pub fn sign_out(mut ctx: Ctx) {
    let account = ctx
        .inbox
        .peek()
        .as_ref()
        .map(|i| i.account.clone())
        .filter(|a| !a.demo);
    if let (Some(a), Some(boot)) = (account, ctx.boot.write().as_mut()) {
        boot.last_server = Some(a.server);
        boot.last_email = Some(a.email);
    }
    spawn_forever(async move {
        let failed = ipc::invoke(&cmd::SignOut {}).await.err();
        ctx.toast.set(None);
        reload(ctx).await;
        if let Some(e) = failed {
            ipc::warn(&format!("sign-out: {}", e.message));
        }
    });
}

/// Whether the link to the server is up now.
pub fn online(ctx: Ctx) -> bool {
    ctx.inbox
        .peek()
        .as_ref()
        .is_some_and(|i| matches!(i.connection, switchboard_model::ConnectionState::Online))
}

/// Accepts a queued chat and opens it.
pub fn accept(mut ctx: Ctx, chat_id: String) {
    // Not tied to the row that asked: the row leaves the queue as soon as
    // the chat is accepted.
    spawn_forever(async move {
        match ipc::invoke(&cmd::Accept {
            chat_id: chat_id.clone(),
        })
        .await
        {
            Ok(_) => {
                if !online(ctx) {
                    toast::queued(ctx, Doing::Accept);
                }
                ctx.tab.set(InboxTab::Mine);
                ctx.tab_chosen.set(true);
                open_chat(ctx, chat_id).await;
            }
            Err(e) => toast::fail(ctx, Doing::Accept, &e),
        }
    });
}

#[cfg(test)]
mod tests {
    use switchboard_model::{ConnectionState, InboxTab, fixtures};
    use switchboard_protocol::{AgentPresence, Presence, SenderType};

    use super::*;

    #[test]
    fn an_unread_count_for_the_open_chat_asks_to_read_it() {
        let unread = |chat: &str, n| Change::Unread {
            chat_id: chat.to_owned(),
            unread: n,
            total: n,
        };
        assert!(unread_in(&unread("c1", 1), "c1"));
        assert!(!unread_in(&unread("c1", 0), "c1"), "already read");
        assert!(!unread_in(&unread("c2", 3), "c1"), "another chat");
    }

    #[test]
    fn the_queue_is_shown_by_itself_until_the_agent_picks_a_tab() {
        let snapshot = |chats| fixtures::snapshot(None, chats);
        let empty = Inbox::from_snapshot(snapshot(vec![]));
        assert_eq!(work_tab(&empty, InboxTab::Mine, false), None, "nobody waits");
        let waiting = Inbox::from_snapshot(snapshot(vec![fixtures::chat("c").build()]));
        assert_eq!(work_tab(&waiting, InboxTab::Mine, false), Some(InboxTab::Queue));
        assert_eq!(
            work_tab(&waiting, InboxTab::Mine, true),
            None,
            "the agent picked Mine"
        );
        assert_eq!(work_tab(&waiting, InboxTab::All, false), None);
    }

    #[test]
    fn the_agents_list_is_asked_for_again_when_a_colleague_cannot_be_named() {
        let mut inbox = Inbox::from_snapshot(switchboard_model::ipc::Snapshot {
            connection: ConnectionState::Reconnecting {
                attempt: 1,
                next_in_ms: 10,
            },
            ..fixtures::snapshot(None, vec![])
        });
        let from = |id: &str| Change::Message {
            message: Box::new(fixtures::message("m").from(id, SenderType::Agent).build()),
        };
        let online = Change::Connection {
            state: ConnectionState::Online,
        };
        let presence = |id: &str| Change::Presence {
            user_id: id.into(),
            status: Presence::Away,
        };
        assert!(needs_agents(&inbox, &[online]), "after each reconnect");
        assert!(needs_agents(&inbox, &[from("sam")]), "an unknown colleague wrote");
        // A presence of someone unknown is kept, but not as a name.
        inbox.apply(&presence("sam"));
        assert_eq!(inbox.agent_name("sam"), None, "never a raw id");
        assert!(needs_agents(&inbox, &[presence("sam")]));
        inbox.set_agents(vec![AgentPresence {
            id: "sam".into(),
            name: "Sam Second".into(),
            status: Presence::Online,
            max_chats: None,
            open_chats: None,
        }]);
        assert!(!needs_agents(&inbox, &[from("sam"), presence("sam")]));
        assert_eq!(inbox.agent_name("sam"), Some("Sam Second"));
        let visitor = Change::Message {
            message: Box::new(fixtures::message("v").from("v1", SenderType::Visitor).build()),
        };
        assert!(!needs_agents(&inbox, &[visitor]));
        let held_by = |id: &str| Change::Chat {
            chat: Box::new(
                fixtures::chat("c")
                    .status(switchboard_protocol::ChatStatus::InProgress, Some(id))
                    .build(),
            ),
        };
        assert!(
            needs_agents(&inbox, &[held_by("newcomer")]),
            "a chat held by someone unknown"
        );
        assert!(!needs_agents(&inbox, &[held_by("sam")]));
    }
}
