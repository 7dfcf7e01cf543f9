//! Agent actions through the durable outbox. Accept, close, transfer,
//! reopen, tags and canned-response edits are stored first. The console
//! shows them at once: the `chats_now` view lays each chat's pending
//! actions over the server's state. The outbox worker then sends them in
//! one order with the messages, so everything of a chat goes in the order
//! it was done, and it survives restarts.
//!
//! When the server refuses an action because the chat changed meanwhile
//! (another agent took it, it was closed), the action stays, marked
//! refused. It no longer counts in `chats_now`, so the chat shows the
//! server's state again. The agent is told which action did not apply and
//! why (`Change::Action`). The chat's later items wait (`Held`) until the
//! agent lets the refused action go (`dismiss_action`) or discards them.
//! Nothing queued after a refusal is ever sent silently.

use std::{collections::BTreeSet, sync::Arc};

use switchboard_model::{
    ChatEntry,
    actions::{ActionKind, ActionState, QueuedAction},
};
use switchboard_protocol::{CannedScope, ChatStatus, ChatSummary, feature};

use crate::{
    Change, Engine, EngineError, Result,
    api::ApiError,
    inbound,
    inner::{Inner, lock, now_ms},
    store::{self, Overlay},
};

fn conflict(message: &str) -> EngineError {
    EngineError::Rejected {
        status: 409,
        message: message.to_owned(),
    }
}

/// The protocol's rules on tags, checked before anything is queued.
fn check_tags(tags: &[String]) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::with_capacity(tags.len());
    for t in tags {
        let t = t.trim();
        let n = t.chars().count();
        if n == 0 || n > switchboard_protocol::MAX_TAG_CHARS {
            return Err(EngineError::Invalid(format!(
                "a tag is 1 to {} characters",
                switchboard_protocol::MAX_TAG_CHARS
            )));
        }
        if out.iter().any(|o| o.to_lowercase() == t.to_lowercase()) {
            return Err(EngineError::Invalid(format!("the tag {t:?} is there twice")));
        }
        out.push(t.to_owned());
    }
    if out.len() > switchboard_protocol::MAX_TAGS {
        return Err(EngineError::Invalid(format!(
            "a chat has at most {} tags",
            switchboard_protocol::MAX_TAGS
        )));
    }
    Ok(out)
}

impl Engine {
    /// Takes a queued chat. Shown as mine at once and sent through the
    /// outbox (offline too); a chat another agent holds, as far as the cache
    /// knows, is refused at once.
    pub async fn accept(&self, chat_id: &str) -> Result<ChatEntry> {
        self.queue_chat_action(chat_id, ActionKind::Accept)
    }

    /// Closes a chat (through the outbox).
    pub async fn close(&self, chat_id: &str) -> Result<ChatEntry> {
        self.queue_chat_action(chat_id, ActionKind::Close)
    }

    /// Hands a chat to another agent, or (`None`) back to the queue (v2.1,
    /// through the outbox).
    pub async fn transfer(&self, chat_id: &str, to_agent_id: Option<&str>) -> Result<ChatEntry> {
        self.require(feature::TRANSFER).await?;
        self.queue_chat_action(
            chat_id,
            ActionKind::Transfer {
                to_agent_id: to_agent_id.map(str::to_owned),
            },
        )
    }

    /// Opens a closed chat again, held by me (v2.1, through the outbox).
    pub async fn reopen(&self, chat_id: &str) -> Result<ChatEntry> {
        self.require(feature::REOPEN).await?;
        self.queue_chat_action(chat_id, ActionKind::Reopen)
    }

    /// Replaces a chat's tags (v2.1, through the outbox).
    pub async fn set_tags(&self, chat_id: &str, tags: &[String]) -> Result<ChatEntry> {
        self.require(feature::TAGS).await?;
        let tags = check_tags(tags)?;
        self.queue_chat_action(chat_id, ActionKind::Tags { tags })
    }

    /// Creates a canned response (v2.1, through the outbox); it is in
    /// [`Engine::canned`] at once, under a local id until the server has it.
    pub async fn create_canned(
        &self,
        shortcut: &str,
        title: &str,
        content: &str,
        scope: CannedScope,
    ) -> Result<switchboard_protocol::Canned> {
        self.require(feature::CANNED).await?;
        switchboard_model::canned::check(shortcut, title, content, scope, &self.canned()?, None)
            .map_err(|p| EngineError::Invalid(p.to_string()))?;
        let local_id = uuid::Uuid::new_v4().to_string();
        self.queue_canned(ActionKind::CannedPut {
            local_id: local_id.clone(),
            server_id: None,
            shortcut: shortcut.to_owned(),
            title: title.to_owned(),
            content: content.to_owned(),
            scope,
        })?;
        // As queued (the outbox may already have sent it, and the entry then
        // goes by the server's id).
        Ok(switchboard_protocol::Canned {
            id: local_id,
            shortcut: shortcut.to_owned(),
            title: title.to_owned(),
            content: content.to_owned(),
            scope,
            updated_at: switchboard_protocol::time::format_millis(now_ms()),
        })
    }

    /// Changes a canned response (v2.1, through the outbox; the last writer
    /// wins). `id` is the one [`Engine::canned`] shows.
    pub async fn update_canned(
        &self,
        id: &str,
        shortcut: &str,
        title: &str,
        content: &str,
    ) -> Result<switchboard_protocol::Canned> {
        self.require(feature::CANNED).await?;
        let held = self
            .canned()?
            .into_iter()
            .find(|c| c.id == id)
            .ok_or_else(|| EngineError::UnknownMessage(id.to_owned()))?;
        switchboard_model::canned::check(shortcut, title, content, held.scope, &self.canned()?, Some(id))
            .map_err(|p| EngineError::Invalid(p.to_string()))?;
        // An entry not created on the server yet: its creation carries the change.
        let server_id = self.server_canned_id(id)?;
        self.queue_canned(ActionKind::CannedPut {
            local_id: id.to_owned(),
            server_id,
            shortcut: shortcut.to_owned(),
            title: title.to_owned(),
            content: content.to_owned(),
            scope: held.scope,
        })?;
        Ok(switchboard_protocol::Canned {
            id: id.to_owned(),
            shortcut: shortcut.to_owned(),
            title: title.to_owned(),
            content: content.to_owned(),
            scope: held.scope,
            updated_at: switchboard_protocol::time::format_millis(now_ms()),
        })
    }

    /// Deletes a canned response (v2.1, through the outbox).
    pub async fn delete_canned(&self, id: &str) -> Result<()> {
        self.require(feature::CANNED).await?;
        if !self.canned()?.iter().any(|c| c.id == id) {
            return Err(EngineError::UnknownMessage(id.to_owned()));
        }
        match self.server_canned_id(id)? {
            Some(server_id) => self.queue_canned(ActionKind::CannedDelete { server_id }),
            // Never created on the server: the queued creation just goes.
            None => {
                let gone = self.inner.store().write(|tx| {
                    let mut gone = Vec::new();
                    for a in store::actions(tx, None)? {
                        if matches!(&a.action, ActionKind::CannedPut { local_id, .. } if local_id == id) {
                            store::action_done(tx, &a.id)?;
                            gone.push(a.id);
                        }
                    }
                    tx.execute("DELETE FROM canned WHERE id = ?1", [id])?;
                    Ok(gone)
                })?;
                for id in gone {
                    self.inner.publish(Change::ActionDone { id, chat_id: None });
                }
                Ok(())
            }
        }
    }

    /// The server's id of a held canned response: `None` while its creation
    /// is still queued.
    fn server_canned_id(&self, id: &str) -> Result<Option<String>> {
        let creating = store::actions(self.inner.store().conn(), None)?.into_iter().any(|a| {
            matches!(&a.action, ActionKind::CannedPut { local_id, server_id: None, .. } if local_id == id)
        });
        Ok((!creating).then(|| id.to_owned()))
    }

    /// What is in the outbox besides messages, in order: pending and refused.
    pub fn queued_actions(&self) -> Result<Vec<QueuedAction>> {
        Ok(store::actions(self.inner.store().conn(), None)?)
    }

    /// Lets a refused action go: it leaves the outbox, and its chat's held
    /// messages and actions are sent. `UnknownMessage` unless it was refused.
    pub fn dismiss_action(&self, id: &str) -> Result<()> {
        self.take_action(id, store::dismiss_action)?;
        self.inner.outbox_wake.notify_one();
        Ok(())
    }

    /// Takes an action out of the outbox that the server refused or that
    /// waits behind a refused one ("discard"); `UnknownMessage` otherwise
    /// (one on its way may be arriving).
    pub fn discard_action(&self, id: &str) -> Result<()> {
        let action = self.take_action(id, store::discard_action)?;
        tracing::info!(
            action = action.action.name(),
            "a refused or held action was discarded"
        );
        Ok(())
    }

    /// Removes an action with `remove` (which says whether it may go) and
    /// tells the UI: the action is gone, and its chat's held items are as
    /// they are now.
    fn take_action(
        &self,
        id: &str,
        remove: fn(
            &rusqlite::Connection,
            &str,
        ) -> std::result::Result<Option<QueuedAction>, store::StoreError>,
    ) -> Result<QueuedAction> {
        let me = self.inner.me_id();
        let (action, changes) = self.inner.store().write(|tx| {
            let Some(a) = remove(tx, id)? else {
                return Ok((None, Vec::new()));
            };
            let changes = match &a.chat_id {
                Some(c) => held_changes(tx, &me, c)?,
                None => Vec::new(),
            };
            Ok((Some(a), changes))
        })?;
        let Some(action) = action else {
            return Err(EngineError::UnknownMessage(id.to_owned()));
        };
        self.inner.publish(Change::ActionDone {
            id: action.id.clone(),
            chat_id: action.chat_id.clone(),
        });
        for c in changes {
            self.inner.publish(c);
        }
        Ok(action)
    }

    /// Waits until one queued action is applied (`None`), refused, held
    /// behind a refused one, or `timeout`; returns it as it then is.
    pub async fn wait_action(&self, id: &str, timeout: std::time::Duration) -> Result<Option<QueuedAction>> {
        let mut changes = self.subscribe();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let all = self.queued_actions()?;
            let Some(a) = all.iter().find(|a| a.id == id).cloned() else {
                return Ok(None);
            };
            let held = all
                .iter()
                .take_while(|b| b.id != id)
                .any(|b| b.chat_id == a.chat_id && a.chat_id.is_some() && b.state == ActionState::Refused);
            if a.state == ActionState::Refused || held || tokio::time::Instant::now() >= deadline {
                return Ok(Some(a));
            }
            let _ = tokio::time::timeout_at(
                deadline.min(tokio::time::Instant::now() + std::time::Duration::from_secs(1)),
                changes.recv(),
            )
            .await;
        }
    }

    /// Lets every refused action of a chat go, so its held messages are
    /// sent ("send anyway"). Returns how many were let go.
    pub fn release_held(&self, chat_id: &str) -> Result<usize> {
        let refused: Vec<String> = store::actions(self.inner.store().conn(), Some(chat_id))?
            .into_iter()
            .filter(|a| a.state == ActionState::Refused)
            .map(|a| a.id)
            .collect();
        for id in &refused {
            self.dismiss_action(id)?;
        }
        Ok(refused.len())
    }

    /// Waits until no pending action of `chat_id` (of canned responses, for
    /// `None`) is left, or `timeout`; returns what is left: refused ones
    /// (the server said no) and, after a timeout, pending ones.
    pub async fn wait_actions(
        &self,
        chat_id: Option<&str>,
        timeout: std::time::Duration,
    ) -> Result<Vec<QueuedAction>> {
        let mut changes = self.subscribe();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let left: Vec<QueuedAction> = self
                .queued_actions()?
                .into_iter()
                .filter(|a| a.chat_id.as_deref() == chat_id)
                .collect();
            let pending = left.iter().any(|a| a.state == ActionState::Pending);
            if !pending || tokio::time::Instant::now() >= deadline {
                return Ok(left);
            }
            // Wake on any change (or every second, for another process's work).
            let _ = tokio::time::timeout_at(
                deadline.min(tokio::time::Instant::now() + std::time::Duration::from_secs(1)),
                changes.recv(),
            )
            .await;
        }
    }

    /// Queues an action on a chat after checking it against the chat as
    /// shown; returns the chat as shown from now on.
    fn queue_chat_action(&self, chat_id: &str, kind: ActionKind) -> Result<ChatEntry> {
        let me = self.inner.me_id();
        let entry = self
            .chat(chat_id)?
            .ok_or_else(|| EngineError::UnknownChat(chat_id.to_owned()))?;
        let holder = entry.assignee_id.clone();
        let mine = holder.as_deref() == Some(me.as_str());
        let overlay = match &kind {
            ActionKind::Accept => match entry.status {
                ChatStatus::Closed => return Err(conflict("the chat is closed")),
                ChatStatus::InProgress if mine => return Ok(entry),
                ChatStatus::InProgress => return Err(conflict("another agent holds this chat")),
                ChatStatus::Pending => Overlay {
                    status: Some((ChatStatus::InProgress, Some(me.clone()))),
                    tags: None,
                },
            },
            ActionKind::Close if entry.status == ChatStatus::Closed => return Ok(entry),
            ActionKind::Close => Overlay {
                status: Some((ChatStatus::Closed, holder)),
                tags: None,
            },
            ActionKind::Transfer { to_agent_id } => {
                if entry.status == ChatStatus::Closed {
                    return Err(conflict("the chat is closed"));
                }
                if entry.status != ChatStatus::Pending && !mine {
                    return Err(EngineError::Rejected {
                        status: 403,
                        message: "only the agent who holds the chat may transfer it".to_owned(),
                    });
                }
                let to = match to_agent_id {
                    Some(a) => (ChatStatus::InProgress, Some(a.clone())),
                    None => (ChatStatus::Pending, None),
                };
                if (entry.status, entry.assignee_id.clone()) == to {
                    return Ok(entry);
                }
                Overlay {
                    status: Some(to),
                    tags: None,
                }
            }
            ActionKind::Reopen if entry.status != ChatStatus::Closed => {
                return Err(conflict("only a closed chat can be reopened"));
            }
            ActionKind::Reopen => Overlay {
                status: Some((ChatStatus::InProgress, Some(me.clone()))),
                tags: None,
            },
            ActionKind::Tags { tags } if *tags == entry.tags => return Ok(entry),
            ActionKind::Tags { tags } => Overlay {
                status: None,
                tags: Some(tags.clone()),
            },
            ActionKind::CannedPut { .. } | ActionKind::CannedDelete { .. } => {
                return Err(EngineError::Internal(
                    "a canned edit is not a chat action".to_owned(),
                ));
            }
        };
        let action = QueuedAction {
            id: uuid::Uuid::new_v4().to_string(),
            chat_id: Some(chat_id.to_owned()),
            action: kind,
            state: ActionState::Pending,
            error: None,
            attempts: 0,
            created_at: now_ms(),
        };
        let changes = self.inner.store().write(|tx| {
            store::enqueue_action(tx, &action, &overlay)?;
            inbound::chat_changes(tx, &me, &BTreeSet::from([chat_id.to_owned()]))
        })?;
        tracing::info!(chat = chat_id, action = action.action.name(), "action queued");
        self.inner.publish(Change::Action {
            action: Box::new(action),
        });
        for c in changes {
            self.inner.publish(c);
        }
        self.inner.outbox_wake.notify_one();
        self.chat(chat_id)?
            .ok_or_else(|| EngineError::UnknownChat(chat_id.to_owned()))
    }

    fn queue_canned(&self, kind: ActionKind) -> Result<()> {
        let action = QueuedAction {
            id: uuid::Uuid::new_v4().to_string(),
            chat_id: None,
            action: kind,
            state: ActionState::Pending,
            error: None,
            attempts: 0,
            created_at: now_ms(),
        };
        self.inner.store().write(|tx| {
            store::enqueue_action(tx, &action, &Overlay::default())?;
            store::reapply_canned_edits(tx, now_ms())
        })?;
        self.inner.publish(Change::Action {
            action: Box::new(action),
        });
        self.inner.outbox_wake.notify_one();
        Ok(())
    }
}

/// A chat's entry and its held messages as they are now (after a refusal or
/// a dismissal changed what is held).
fn held_changes(
    tx: &rusqlite::Connection,
    me: &str,
    chat_id: &str,
) -> std::result::Result<Vec<Change>, store::StoreError> {
    let mut changes: Vec<Change> = store::outbox(tx, Some(chat_id))?
        .iter()
        .map(|e| Change::Message {
            message: Box::new(store::outbox_message(e, me)),
        })
        .collect();
    changes.extend(inbound::chat_changes(
        tx,
        me,
        &BTreeSet::from([chat_id.to_owned()]),
    )?);
    Ok(changes)
}

/// How sending one action went.
pub(crate) enum Sent {
    /// Applied (or found already applied): it leaves the outbox.
    Done,
    /// Not now (the server is away or failing): try again later.
    Retry(ApiError),
    /// The server refused it for good.
    Refused(String),
    /// The session ended.
    NeedsLogin,
}

/// Sends one queued action and records the outcome.
pub(crate) async fn send_action(inner: &Arc<Inner>, token: &str, a: &QueuedAction) -> Sent {
    let api = &inner.api;
    let chat = a.chat_id.as_deref().unwrap_or_default();
    let answer: std::result::Result<Option<ChatSummary>, ApiError> = match &a.action {
        ActionKind::Accept => api.accept(token, chat).await.map(Some),
        ActionKind::Close => api.close(token, chat).await.map(Some),
        ActionKind::Transfer { to_agent_id } => {
            api.transfer(token, chat, to_agent_id.as_deref()).await.map(Some)
        }
        ActionKind::Reopen => api.reopen(token, chat).await.map(Some),
        ActionKind::Tags { tags } => api.set_tags(token, chat, tags).await.map(Some),
        ActionKind::CannedPut {
            local_id,
            server_id,
            shortcut,
            title,
            content,
            scope,
        } => {
            let done = match server_id {
                Some(id) => api.update_canned(token, id, shortcut, title, content).await,
                None => {
                    api.create_canned(
                        token,
                        &switchboard_protocol::NewCanned {
                            shortcut: shortcut.clone(),
                            title: title.clone(),
                            content: content.clone(),
                            scope: *scope,
                        },
                    )
                    .await
                }
            };
            // A creation sent again after its answer was lost meets its own
            // first copy ("the shortcut is taken"): the entry the server has
            // with this shortcut, title and content is that creation.
            let done = match done {
                Err(ApiError::Rejected { status: 409, .. }) if server_id.is_none() => {
                    let same = api.canned(token).await.ok().and_then(|list| {
                        list.into_iter().find(|c| {
                            c.shortcut == *shortcut
                                && c.scope == *scope
                                && c.title == *title
                                && c.content == *content
                        })
                    });
                    match same {
                        Some(c) => Ok(c),
                        None => done,
                    }
                }
                other => other,
            };
            match done {
                Ok(c) => {
                    let res = inner.store().write(|tx| {
                        if server_id.is_none() {
                            store::canned_created(tx, local_id, &c.id)?;
                        }
                        store::put_canned(tx, &c)?;
                        store::action_done(tx, &a.id)
                    });
                    if let Err(e) = res {
                        tracing::error!(error = %e, "could not record a saved canned response");
                    }
                    inner.publish(Change::ActionDone {
                        id: a.id.clone(),
                        chat_id: None,
                    });
                    return Sent::Done;
                }
                Err(e) => Err(e),
            }
        }
        ActionKind::CannedDelete { server_id } => api.delete_canned(token, server_id).await.map(|()| None),
    };
    match answer {
        Ok(summary) => {
            settle(inner, a, summary.as_ref());
            Sent::Done
        }
        Err(ApiError::Unauthorized(_)) => {
            inner.session_expired();
            Sent::NeedsLogin
        }
        // Gone on the server already: deleting it is done.
        Err(ApiError::Rejected { status: 404, .. })
            if matches!(a.action, ActionKind::CannedDelete { .. }) =>
        {
            settle(inner, a, None);
            Sent::Done
        }
        Err(e) if e.is_transient() => Sent::Retry(e),
        Err(e) => {
            // A reopen or a transfer whose first answer was lost, sent
            // again, is refused (the chat is no longer closed, or no longer
            // mine): when the chat is as it would have made it, it applied.
            let wanted = match &a.action {
                ActionKind::Reopen => Some((ChatStatus::InProgress, Some(inner.me_id()))),
                ActionKind::Transfer {
                    to_agent_id: Some(to),
                } => Some((ChatStatus::InProgress, Some(to.clone()))),
                ActionKind::Transfer { to_agent_id: None } => Some((ChatStatus::Pending, None)),
                _ => None,
            };
            if let Some(wanted) = wanted
                && let Ok(Some(s)) = current_summary(inner, token, chat).await
                && (s.status, s.assignee_id.clone()) == wanted
            {
                settle(inner, a, Some(&s));
                return Sent::Done;
            }
            Sent::Refused(e.to_string())
        }
    }
}

/// After a refusal: the chat as the server has it now, stored (best effort:
/// offline, the next sync brings it).
pub(crate) async fn put_back(inner: &Inner, token: &str, chat_id: &str) {
    match current_summary(inner, token, chat_id).await {
        Ok(Some(s)) => {
            if let Err(e) = inner.apply_summaries(&[s]) {
                tracing::warn!(error = %e, "could not store the chat as the server has it");
            }
        }
        Ok(None) => {}
        Err(e) => tracing::info!(error = %e, "the chat's state on the server is not known yet"),
    }
}

/// The server's summary of one chat now (the inbox since just before its
/// last known change).
async fn current_summary(
    inner: &Inner,
    token: &str,
    chat_id: &str,
) -> std::result::Result<Option<ChatSummary>, ApiError> {
    let since = store::chat_entry(inner.store().conn(), chat_id, &inner.me_id())
        .ok()
        .flatten()
        .and_then(|c| switchboard_protocol::time::parse_millis(&c.updated_at))
        .unwrap_or(0);
    Ok(inner
        .api
        .chats(token, Some(since))
        .await?
        .into_iter()
        .find(|c| c.chat_id == chat_id))
}

/// The action applied: its answer is stored and it leaves the outbox, in one
/// step, so the chat never shows it twice or not at all.
fn settle(inner: &Arc<Inner>, a: &QueuedAction, summary: Option<&ChatSummary>) {
    let me = inner.me_id();
    let res = inner.store().write(|tx| {
        let mut new = Vec::new();
        if let Some(s) = summary {
            new = store::upsert_chat(tx, s, &mut lock(&inner.seen))?.new;
        }
        store::action_done(tx, &a.id)?;
        if let ActionKind::CannedDelete { server_id } = &a.action {
            tx.execute("DELETE FROM canned WHERE id = ?1", [server_id])?;
        }
        let changes = match &a.chat_id {
            Some(c) => inbound::chat_changes(tx, &me, &BTreeSet::from([c.clone()]))?,
            None => Vec::new(),
        };
        Ok((new, changes))
    });
    match res {
        Ok((new, changes)) => {
            tracing::info!(action = a.action.name(), chat = ?a.chat_id, "action applied");
            for m in new {
                inner.publish(Change::Message {
                    message: Box::new(switchboard_model::LocalMessage::sent(m)),
                });
            }
            inner.publish(Change::ActionDone {
                id: a.id.clone(),
                chat_id: a.chat_id.clone(),
            });
            // A reopened chat: its room, joined now, brings what is said in it.
            crate::sync::join_opened(inner, &changes, Vec::new(), false);
            for c in changes {
                inner.publish(c);
            }
        }
        Err(e) => tracing::error!(error = %e, "could not record an applied action"),
    }
}

/// Records a failed attempt (`refused`: for good, undone, holding the
/// chat's later items) and tells the UI.
pub(crate) fn record_failure(inner: &Inner, a: &QueuedAction, error: &str, refused: bool) {
    let me = inner.me_id();
    let res = inner.store().write(|tx| {
        store::action_failed(tx, &a.id, error, refused)?;
        if refused && a.chat_id.is_none() {
            store::refuse_later_canned_edits(tx, a)?;
        }
        let changes = match (&a.chat_id, refused) {
            (Some(c), true) => held_changes(tx, &me, c)?,
            _ => Vec::new(),
        };
        Ok((store::action(tx, &a.id)?, changes))
    });
    match res {
        Ok((Some(now), changes)) => {
            if refused {
                tracing::warn!(action = now.action.name(), chat = ?now.chat_id, error, "the server refused an action; undone");
            }
            // The chat as it is now first, so that whoever tells of the
            // refusal knows what waits behind it.
            for c in changes {
                inner.publish(c);
            }
            inner.publish(Change::Action {
                action: Box::new(now),
            });
        }
        Ok((None, _)) => {}
        Err(e) => tracing::error!(error = %e, "could not record a failed action"),
    }
}
