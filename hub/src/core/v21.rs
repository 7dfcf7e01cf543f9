//! The rules of protocol v2.1: transfer, reopen, tags, `chat:updated`,
//! canned responses, a visitor's earlier chats, and automatic assignment by
//! capacity. A hub started with `--protocol v2` reaches none of this (its
//! routes are not mounted, and [`Core::pick_agent`] never picks).

use super::*;
use crate::store::{AssignCandidate, CannedRow};

/// A change to a canned response (`PUT /v2/canned/{id}`); `None` keeps a field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CannedPatch {
    /// New shortcut.
    pub shortcut: Option<String>,
    /// New title.
    pub title: Option<String>,
    /// New template.
    pub content: Option<String>,
    /// The scope the caller believes it has (it cannot change).
    pub scope: Option<proto::CannedScope>,
}

/// The system messages' `senderId` in v2.1's transfer and reopen.
const SYSTEM_SENDER: &str = "system";

impl Core {
    // ------------------------------------------------------------ events

    /// `chat:updated` to `agents` with the chat as it is now (v2.1 only).
    pub(super) fn emit_updated(&self, db: &Store, chat_id: &str) -> Result<()> {
        if !self.v21() {
            return Ok(());
        }
        let chat = db.chat(chat_id)?.ok_or_else(ApiError::internal)?;
        let summary = db.summary(chat, View::Agents)?;
        self.emit(vec![AGENTS_ROOM.into()], None, server::CHAT_UPDATED, &summary);
        Ok(())
    }

    // ------------------------------------------------------------ assignment

    /// Gives a chat to an agent as an accept does, and returns the system
    /// message to emit ("Alex joined the chat").
    pub(super) fn take(
        &self,
        db: &Store,
        chat: &ChatRow,
        agent_id: &str,
        agent_name: &str,
        now: i64,
    ) -> Result<Message> {
        db.set_chat_status(&chat.id, ChatStatus::InProgress, Some(agent_id), now)?;
        db.stamp_assignment(agent_id, now)?;
        db.set_returned_by(&chat.id, None)?;
        self.insert_system(db, &chat.id, &format!("{agent_name} joined the chat"), now)
    }

    /// The agent automatic assignment gives `chat` to, if any: online (not
    /// away, not busy), below its `maxChats`, fewest open chats, then the
    /// oldest last assignment (never assigned first), then the smallest id;
    /// never the agent who just sent this chat back to the queue.
    pub(super) fn pick_agent(&self, db: &Store, chat: &ChatRow) -> Result<Option<AssignCandidate>> {
        if !self.v21() {
            return Ok(None);
        }
        let candidates = db.assign_candidates()?;
        Ok(pick(candidates, chat.returned_by.as_deref(), |id| {
            self.presence_of(id)
        }))
    }

    /// Assigns waiting chats, oldest first, while some agent has room.
    pub fn drain_queue(&self) {
        if !self.v21() {
            return;
        }
        if let Err(e) = self.try_drain_queue() {
            tracing::error!(error = %e.message, "draining the queue failed");
        }
        self.refresh_stats();
    }

    fn try_drain_queue(&self) -> Result<()> {
        let db = self.db();
        for chat in db.pending_chats(1000)? {
            let Some(agent) = self.pick_agent(&db, &chat)? else {
                if chat.returned_by.is_none() {
                    // Nobody has room for a chat that excludes nobody.
                    break;
                }
                continue;
            };
            let now = now_ms();
            let m = self.take(&db, &chat, &agent.id, &agent.name, now)?;
            let row = db.chat(&chat.id)?.ok_or_else(ApiError::internal)?;
            self.emit_message(&m);
            self.emit_status(&row, now);
            self.emit_updated(&db, &row.id)?;
            self.notify(
                &db,
                &agent.id,
                "Chat assigned to you",
                format!("{} was waiting in the queue", row.visitor.name),
                &row.id,
                now,
            )?;
            tracing::info!(chat = %row.id, agent = %agent.id, "chat assigned from the queue");
        }
        Ok(())
    }

    /// `PUT /v2/agents/me {maxChats}`: answers the agent's entry of
    /// `GET /v2/agents`; more room drains the queue.
    pub fn set_max_chats(&self, agent: &proto::Agent, max_chats: u32) -> Result<proto::AgentPresence> {
        self.db().set_max_chats(&agent.id, max_chats)?;
        self.drain_queue();
        self.agents_presence()?
            .into_iter()
            .find(|a| a.id == agent.id)
            .ok_or_else(ApiError::internal)
    }

    // ------------------------------------------------------------ transfer, reopen

    /// Hands a chat to another agent, or (`to: None`) back to the queue.
    pub fn transfer(&self, who: &Principal, chat_id: &str, to: Option<&str>) -> Result<ChatSummary> {
        let Some(agent) = who.agent() else {
            return Err(ApiError::forbidden("agents only"));
        };
        if let Some(to) = to {
            crate::validate::id("toAgentId", to)?;
        }
        let db = self.db();
        let chat = self.visible_chat(&db, who, chat_id)?;
        if chat.status == ChatStatus::Closed {
            return Err(ApiError::conflict("the chat is closed"));
        }
        let target = match to {
            Some(id) => Some(
                db.agent_by_id(id)?
                    .ok_or_else(|| ApiError::not_found("agent not found"))?
                    .agent,
            ),
            None => None,
        };
        let unchanged = match &target {
            Some(t) => chat.status == ChatStatus::InProgress && chat.assignee_id.as_deref() == Some(&t.id),
            None => chat.status == ChatStatus::Pending,
        };
        // Already so (a request sent again after its answer was lost):
        // nothing to do, whoever asks.
        if unchanged {
            return Ok(db.summary(chat, self.view_for(who))?);
        }
        let holds = chat.assignee_id.as_deref() == Some(agent.id.as_str());
        if chat.status != ChatStatus::Pending && !holds {
            return Err(ApiError::forbidden(
                "only the agent who holds the chat may transfer it",
            ));
        }
        let now = now_ms();
        let text = match &target {
            Some(t) => {
                db.set_chat_status(&chat.id, ChatStatus::InProgress, Some(&t.id), now)?;
                db.stamp_assignment(&t.id, now)?;
                db.set_returned_by(&chat.id, None)?;
                if t.id == agent.id {
                    // Taking a waiting chat "to myself" is an accept.
                    format!("{} joined the chat", agent.name)
                } else {
                    format!("{} transferred the chat to {}", agent.name, t.name)
                }
            }
            None => {
                db.set_chat_status(&chat.id, ChatStatus::Pending, None, now)?;
                db.set_returned_by(&chat.id, Some(&agent.id))?;
                format!("{} returned the chat to the queue", agent.name)
            }
        };
        let m = self.insert_system_as(&db, &chat.id, SYSTEM_SENDER, &text, now)?;
        let row = db.chat(&chat.id)?.ok_or_else(ApiError::internal)?;
        self.emit_message(&m);
        self.emit_status(&row, now);
        self.emit_updated(&db, &row.id)?;
        if let Some(t) = target.as_ref().filter(|t| t.id != agent.id) {
            self.notify(
                &db,
                &t.id,
                "Chat transferred to you",
                format!("{} transferred {}'s chat to you", agent.name, row.visitor.name),
                &row.id,
                now,
            )?;
        }
        let summary = db.summary(row, self.view_for(who))?;
        drop(db);
        tracing::info!(chat = %chat_id, from = %agent.email, to = ?to, "chat transferred");
        self.drain_queue();
        Ok(summary)
    }

    /// Opens a closed chat again, held by the caller.
    pub fn reopen(&self, who: &Principal, chat_id: &str) -> Result<ChatSummary> {
        let Some(agent) = who.agent() else {
            return Err(ApiError::forbidden("agents only"));
        };
        let db = self.db();
        let chat = self.visible_chat(&db, who, chat_id)?;
        if chat.status != ChatStatus::Closed {
            return Err(ApiError::conflict("only a closed chat can be reopened"));
        }
        let now = now_ms();
        db.set_chat_status(&chat.id, ChatStatus::InProgress, Some(&agent.id), now)?;
        db.stamp_assignment(&agent.id, now)?;
        let text = format!("{} reopened the chat", agent.name);
        let m = self.insert_system_as(&db, &chat.id, SYSTEM_SENDER, &text, now)?;
        let row = db.chat(&chat.id)?.ok_or_else(ApiError::internal)?;
        self.emit_message(&m);
        self.emit_status(&row, now);
        self.emit_updated(&db, &row.id)?;
        let summary = db.summary(row, self.view_for(who))?;
        drop(db);
        tracing::info!(chat = %chat_id, agent = %agent.email, "chat reopened");
        self.refresh_stats();
        Ok(summary)
    }

    // ------------------------------------------------------------ tags

    /// Replaces a chat's tags (already validated).
    pub fn set_tags(&self, who: &Principal, chat_id: &str, tags: Vec<String>) -> Result<ChatSummary> {
        if who.agent().is_none() {
            return Err(ApiError::forbidden("agents only"));
        }
        let mut db = self.db();
        let chat = self.visible_chat(&db, who, chat_id)?;
        self.store_tags(&mut db, &chat.id, &tags)?;
        let chat = db.chat(&chat.id)?.ok_or_else(ApiError::internal)?;
        Ok(db.summary(chat, self.view_for(who))?)
    }

    /// Stores tags and tells agents, unless they are what the chat has.
    fn store_tags(&self, db: &mut Store, chat_id: &str, tags: &[String]) -> Result<()> {
        if db.tags(chat_id)? == tags {
            return Ok(());
        }
        let now = now_ms();
        db.transaction(|s| s.set_tags(chat_id, tags, now))?;
        self.emit_updated(db, chat_id)
    }

    /// Tags a chat on the hub's own behalf (the demo's topics).
    pub fn tag_as_hub(&self, chat_id: &str, tags: &[String]) -> Result<()> {
        let mut db = self.db();
        self.store_tags(&mut db, chat_id, tags)
    }

    // ------------------------------------------------------------ canned

    /// The team's canned responses and the agent's own.
    pub fn canned(&self, agent: &proto::Agent) -> Result<Vec<proto::Canned>> {
        Ok(self
            .db()
            .canned_for(&agent.id)?
            .into_iter()
            .map(|r| r.canned)
            .collect())
    }

    /// Creates a canned response (already validated); `409` for a shortcut
    /// its owner (the team, or the agent) already has.
    pub fn create_canned(&self, agent: &proto::Agent, new: proto::NewCanned) -> Result<proto::Canned> {
        let owner = (new.scope == proto::CannedScope::Personal).then(|| agent.id.clone());
        let db = self.db();
        if db.canned_shortcut_taken(owner.as_deref(), &new.shortcut, None)? {
            return Err(ApiError::conflict(format!(
                "the shortcut {:?} is taken",
                new.shortcut
            )));
        }
        let now = now_ms();
        let row = CannedRow {
            canned: proto::Canned {
                id: uuid::Uuid::new_v4().to_string(),
                shortcut: new.shortcut,
                title: new.title,
                content: new.content,
                scope: new.scope,
                updated_at: format_millis(now),
            },
            owner_id: owner,
        };
        db.put_canned(&row, now)?;
        Ok(row.canned)
    }

    /// A canned response the agent may change: any team one, only its own
    /// personal ones (another agent's is `404`, as if it did not exist).
    fn editable_canned(&self, db: &Store, agent: &proto::Agent, id: &str) -> Result<CannedRow> {
        crate::validate::id("id", id)?;
        db.canned(id)?
            .filter(|r| r.owner_id.as_deref().is_none_or(|o| o == agent.id))
            .ok_or_else(|| ApiError::not_found("canned response not found"))
    }

    /// Changes a canned response.
    pub fn update_canned(&self, agent: &proto::Agent, id: &str, patch: CannedPatch) -> Result<proto::Canned> {
        let db = self.db();
        let mut row = self.editable_canned(&db, agent, id)?;
        if patch.scope.is_some_and(|s| s != row.canned.scope) {
            return Err(ApiError::bad_request("scope cannot change: create a new entry"));
        }
        if let Some(shortcut) = patch.shortcut {
            if db.canned_shortcut_taken(row.owner_id.as_deref(), &shortcut, Some(id))? {
                return Err(ApiError::conflict(format!("the shortcut {shortcut:?} is taken")));
            }
            row.canned.shortcut = shortcut;
        }
        if let Some(title) = patch.title {
            row.canned.title = title;
        }
        if let Some(content) = patch.content {
            row.canned.content = content;
        }
        let now = now_ms();
        row.canned.updated_at = format_millis(now);
        db.put_canned(&row, now)?;
        Ok(row.canned)
    }

    /// Deletes a canned response.
    pub fn delete_canned(&self, agent: &proto::Agent, id: &str) -> Result<()> {
        let db = self.db();
        let row = self.editable_canned(&db, agent, id)?;
        db.delete_canned(&row.canned.id)?;
        Ok(())
    }

    // ------------------------------------------------------------ history

    /// A visitor's chats and those of visitors with the same e-mail,
    /// newest first.
    pub fn visitor_history(&self, who: &Principal, visitor_id: &str) -> Result<Vec<ChatSummary>> {
        if who.agent().is_none() {
            return Err(ApiError::forbidden("agents only"));
        }
        crate::validate::id("visitorId", visitor_id)?;
        let db = self.db();
        let chats = db
            .visitor_chats(visitor_id, 200)?
            .ok_or_else(|| ApiError::not_found("visitor not found"))?;
        let view = self.view_for(who);
        chats
            .into_iter()
            .map(|c| db.summary(c, view).map_err(ApiError::from))
            .collect()
    }
}

/// The choice of [`Core::pick_agent`], apart from the store and the clock.
fn pick(
    candidates: Vec<AssignCandidate>,
    excluded: Option<&str>,
    presence: impl Fn(&str) -> Presence,
) -> Option<AssignCandidate> {
    candidates
        .into_iter()
        .filter(|c| c.max_chats > 0 && c.open_chats < c.max_chats)
        .filter(|c| Some(c.id.as_str()) != excluded)
        .filter(|c| presence(&c.id) == Presence::Online)
        .min_by(|a, b| {
            (a.open_chats, a.last_assigned_at.unwrap_or(i64::MIN), &a.id).cmp(&(
                b.open_chats,
                b.last_assigned_at.unwrap_or(i64::MIN),
                &b.id,
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agent(id: &str, max: u32, open: u32, last: Option<i64>) -> AssignCandidate {
        AssignCandidate {
            id: id.into(),
            name: id.to_uppercase(),
            max_chats: max,
            open_chats: open,
            last_assigned_at: last,
        }
    }

    fn online(_: &str) -> Presence {
        Presence::Online
    }

    fn picked(
        c: Vec<AssignCandidate>,
        excluded: Option<&str>,
        p: impl Fn(&str) -> Presence,
    ) -> Option<String> {
        pick(c, excluded, p).map(|a| a.id)
    }

    #[test]
    fn the_fewest_open_chats_win_whatever_the_last_assignment() {
        let c = vec![agent("a", 5, 2, None), agent("b", 5, 1, Some(10_000))];
        assert_eq!(picked(c, None, online).as_deref(), Some("b"));
    }

    #[test]
    fn a_tie_goes_to_the_oldest_assignment_and_never_assigned_counts_as_oldest() {
        let c = vec![agent("a", 5, 1, Some(200)), agent("b", 5, 1, Some(100))];
        assert_eq!(picked(c, None, online).as_deref(), Some("b"));
        let c = vec![agent("a", 5, 1, Some(100)), agent("b", 5, 1, None)];
        assert_eq!(picked(c, None, online).as_deref(), Some("b"));
        let c = vec![agent("b", 5, 1, None), agent("a", 5, 1, None)];
        assert_eq!(picked(c, None, online).as_deref(), Some("a"), "then ids");
    }

    #[test]
    fn full_agents_and_agents_without_a_capacity_get_nothing() {
        let c = vec![agent("a", 2, 2, None), agent("b", 0, 0, None)];
        assert_eq!(picked(c, None, online), None);
        let c = vec![agent("a", 2, 3, None), agent("b", 3, 2, Some(5))];
        assert_eq!(
            picked(c, None, online).as_deref(),
            Some("b"),
            "over capacity is full"
        );
    }

    #[test]
    fn only_agents_who_are_online_now_are_picked() {
        let c = || {
            vec![
                agent("away", 5, 0, None),
                agent("busy", 5, 0, None),
                agent("off", 5, 0, None),
                agent("on", 5, 4, None),
            ]
        };
        let presence = |id: &str| match id {
            "away" => Presence::Away,
            "busy" => Presence::Busy,
            "off" => Presence::Offline,
            _ => Presence::Online,
        };
        assert_eq!(picked(c(), None, presence).as_deref(), Some("on"));
        assert_eq!(
            picked(c(), Some("on"), presence),
            None,
            "nor the agent who sent it back"
        );
    }
}
