//! The catch-up after every (re)connect: join the room of every open chat
//! first, then fetch the inbox with `updatedSince` and each chat's messages
//! from its cursor with `dateFrom` (inclusive, so nothing with an equal
//! timestamp is lost; duplicates are dropped by `messageId`), then flush the
//! outbox. A chat whose catch-up is done is "live": the messages its room
//! delivers move its cursor from then on.
//!
//! Everything that marks a chat joined or live checks, under the session
//! lock, that its connection is still the current one: a sync of a lost
//! connection may still be finishing while the next one starts.

use std::{collections::BTreeSet, sync::Arc};

use switchboard_model::Change;
use switchboard_protocol::{ChatRef, ChatStatus, ReadRequest, events::client, time::parse_millis};

use crate::{EngineError, Inner, inbound, link::LinkError, lock, store};

type Result<T> = std::result::Result<T, EngineError>;

/// Newest page fetched for a closed chat never synced before (older
/// history is loaded on demand).
const FIRST_PAGE: u32 = 100;
/// Page size of a catch-up.
const CATCH_UP_PAGE: u32 = 500;
/// Most pages fetched back to reach a read marker from another device.
const MARKER_PAGES: usize = 10;

/// Runs one sync for connection `generation`; logs instead of failing (the
/// next connection syncs again).
#[tracing::instrument(name = "sync", skip(inner))]
pub(crate) async fn run(inner: Arc<Inner>, generation: u64) {
    match sync(&inner, generation).await {
        Ok((messages, chats)) => {
            tracing::info!(messages, chats, "caught up");
            inner.publish(Change::CaughtUp { messages, chats });
        }
        Err(e) => tracing::info!(error = %e, "sync interrupted; it will run again on the next connection"),
    }
    inner.outbox_wake.notify_one();
}

fn stale() -> EngineError {
    LinkError::NotConnected.into()
}

async fn join(inner: &Inner, generation: u64, chat_id: &str) -> Result<()> {
    {
        let session = lock(&inner.session);
        if session.generation != generation {
            return Err(stale());
        }
        if session.joined.contains(chat_id) {
            return Ok(());
        }
    }
    let link = inner.link().ok_or(LinkError::NotConnected)?;
    let ack = link
        .request(
            client::CHAT_JOIN,
            &ChatRef {
                chat_id: chat_id.to_owned(),
            },
        )
        .await?;
    if ack.get("success").and_then(serde_json::Value::as_bool) == Some(true) {
        let mut session = lock(&inner.session);
        if session.generation != generation {
            return Err(stale());
        }
        session.joined.insert(chat_id.to_owned());
    } else {
        tracing::warn!(chat = chat_id, ack = %ack, "the server refused to join a chat room");
    }
    Ok(())
}

async fn sync(inner: &Inner, generation: u64) -> Result<(u64, u64)> {
    let token = inner.token().ok_or(EngineError::NeedsLogin)?;
    // 0. What the server offers: it may have been upgraded (or replaced)
    // while the link was down.
    let capabilities = refresh_capabilities(inner).await?;
    // 1. Rooms first, so that nothing sent from now on is missed.
    let open = store::open_chat_ids(inner.store().conn())?;
    for id in &open {
        join(inner, generation, id).await?;
    }
    // 2. The inbox. Before the account's first sync nothing was seen: what
    // it brings is history, not news from while the agent was away.
    let synced_before = store::cursor(inner.store().conn(), "chats")?.is_some();
    let (chats, applied) = refresh_inbox(inner, &token).await?;
    let news = applied.news;
    let newest = chats.iter().filter_map(|c| parse_millis(&c.updated_at)).max();
    let mut targets: BTreeSet<String> = open.into_iter().collect();
    for c in &chats {
        if c.status != ChatStatus::Closed {
            join(inner, generation, &c.chat_id).await?;
        }
        targets.insert(c.chat_id.clone());
    }
    // 3. Each chat's messages, counted with what the summaries brought (a
    // chat's last message comes with its summary).
    let (mut messages, mut in_chats) = (0, 0);
    for id in &targets {
        let n = catch_up_chat(inner, generation, &token, id).await? + news.get(id).copied().unwrap_or(0);
        if n > 0 {
            messages += n;
            in_chats += 1;
        }
    }
    // Read markers from another device (v2.1 `myReadMarker`) whose message
    // the catch-up has just fetched.
    let me = inner.me_id();
    let mut moved = BTreeSet::new();
    for c in &chats {
        let reached = if store::marker_missing(inner.store().conn(), c)? {
            // Further back than the catch-up went (a closed chat's newest page).
            match reach_marker(inner, &token, c).await {
                Ok(r) => r,
                Err(e) => {
                    tracing::info!(chat = %c.chat_id, error = %e, "a read marker far back not reached; the next sync tries again");
                    false
                }
            }
        } else {
            inner.store().write(|tx| store::apply_my_marker(tx, c))?
        };
        if reached {
            moved.insert(c.chat_id.clone());
        }
    }
    let changes = inbound::chat_changes(inner.store().conn(), &me, &moved)?;
    for c in changes {
        inner.publish(c);
    }
    // Even an empty inbox counts as synced (0: every chat, next time).
    inner
        .store()
        .write(|tx| store::advance_cursor(tx, "chats", newest.unwrap_or(0)))?;
    if capabilities.has(switchboard_protocol::feature::CANNED)
        && let Err(e) = refresh_canned(inner).await
    {
        tracing::info!(error = %e, "canned responses not refreshed; the held ones stay");
    }
    if let Err(e) = refresh_agents(inner).await {
        tracing::info!(error = %e, "the team not refreshed; the held list stays");
    }
    // 4. Read markers set while offline reach the server (it keeps the
    // furthest), closed chats' too: reading needs no room.
    if let Some(link) = inner.link() {
        for (chat, message) in store::read_markers(inner.store().conn())? {
            link.emit(
                client::CHAT_READ,
                &ReadRequest {
                    chat_id: chat,
                    message_id: message,
                },
            );
        }
    }
    if !synced_before {
        return Ok((0, 0));
    }
    Ok((messages, in_chats))
}

/// Asks the server what it offers and keeps it. A server that cannot say
/// (it failed, or answered something else) keeps what was known.
pub(crate) async fn refresh_capabilities(inner: &Inner) -> Result<switchboard_protocol::Capabilities> {
    match inner.api.capabilities().await {
        Ok(c) => {
            let before = store::capabilities(inner.store().conn())?;
            inner.store().write(|tx| store::set_capabilities(tx, &c))?;
            if before.as_ref() != Some(&c) {
                inner.publish(Change::Capabilities {
                    features: c.features.clone(),
                });
            }
            Ok(c)
        }
        Err(e) => {
            tracing::info!(error = %e, "the server did not say what it offers; keeping what was known");
            Ok(store::capabilities(inner.store().conn())?
                .unwrap_or(switchboard_protocol::Capabilities::default()))
        }
    }
}

/// Fetches the team and keeps it for offline use.
pub(crate) async fn refresh_agents(inner: &Inner) -> Result<Vec<switchboard_protocol::AgentPresence>> {
    let token = inner.token().ok_or(EngineError::NeedsLogin)?;
    let list = inner
        .api
        .agents(&token)
        .await
        .map_err(|e| inner.api_error(e))?
        .agents;
    inner.store().write(|tx| store::replace_agents(tx, &list))?;
    Ok(list)
}

/// Pages a chat back (at most `MARKER_PAGES` pages) until the message of
/// its `myReadMarker` is held, then moves the local marker there. Past
/// that, the count stays what the held messages give (the UI shows a large
/// count as "500+").
async fn reach_marker(
    inner: &Inner,
    token: &str,
    summary: &switchboard_protocol::ChatSummary,
) -> Result<bool> {
    for _ in 0..MARKER_PAGES {
        if !store::marker_missing(inner.store().conn(), summary)? {
            break;
        }
        let oldest: Option<i64> = inner
            .store()
            .conn()
            .query_row(
                "SELECT MIN(sent_at) FROM messages WHERE chat_id = ?1",
                [&summary.chat_id],
                |r| r.get(0),
            )
            .map_err(store::StoreError::from)?;
        let page = inner
            .api
            .history(token, &summary.chat_id, None, oldest, CATCH_UP_PAGE)
            .await
            .map_err(|e| inner.api_error(e))?;
        inner
            .store()
            .write(|tx| store::insert_messages(tx, &page.messages, &mut lock(&inner.seen)))?;
        if !page.has_more {
            break;
        }
    }
    Ok(inner.store().write(|tx| store::apply_my_marker(tx, summary))?)
}

/// Fetches the canned responses and keeps them for offline use.
pub(crate) async fn refresh_canned(inner: &Inner) -> Result<()> {
    let token = inner.token().ok_or(EngineError::NeedsLogin)?;
    let list = inner.api.canned(&token).await.map_err(|e| inner.api_error(e))?;
    inner.store().write(|tx| {
        store::replace_canned(tx, &list)?;
        // Edits not sent yet still show.
        store::reapply_canned_edits(tx, crate::inner::now_ms())
    })?;
    Ok(())
}

/// Fetches the chats updated since the inbox cursor and stores them;
/// returns them and what storing them found.
async fn refresh_inbox(
    inner: &Inner,
    token: &str,
) -> Result<(Vec<switchboard_protocol::ChatSummary>, crate::inner::Applied)> {
    let since = store::cursor(inner.store().conn(), "chats")?;
    let chats = inner
        .api
        .chats(token, since)
        .await
        .map_err(|e| inner.api_error(e))?;
    let applied = inner.apply_summaries(&chats)?;
    Ok((chats, applied))
}

/// Catches one chat up; returns how many new messages from others arrived.
async fn catch_up_chat(inner: &Inner, generation: u64, token: &str, chat_id: &str) -> Result<u64> {
    let scope = format!("chat:{chat_id}");
    let me = inner.me_id();
    let (cursor, open) = {
        let store = inner.store();
        // The server's status, not the one shown: a reopen still queued
        // does not make a chat whose room was never joined open here.
        let open = store::server_status(store.conn(), chat_id)?.is_some_and(|s| s != ChatStatus::Closed);
        (store::cursor(store.conn(), &scope)?, open)
    };
    // A chat never synced: all of it when open, the newest page when closed.
    let mut from = cursor.or(open.then_some(0));
    let mut from_others = 0u64;
    let mut touched = false;
    loop {
        let page = match from {
            None => inner.api.history(token, chat_id, None, None, FIRST_PAGE).await,
            Some(f) => {
                inner
                    .api
                    .history(token, chat_id, Some(f), None, CATCH_UP_PAGE)
                    .await
            }
        }
        .map_err(|e| inner.api_error(e))?;
        let last = page.messages.last().and_then(|m| parse_millis(&m.sent_at));
        let ins = inner
            .store()
            .write(|tx| store::insert_messages(tx, &page.messages, &mut lock(&inner.seen)))?;
        for m in &ins.new {
            if switchboard_model::counts_as_unread(m.sender_type, &m.sender_id, &me) {
                from_others += 1;
            }
            inner.publish(Change::Message {
                message: Box::new(switchboard_model::LocalMessage::sent(m.clone())),
            });
        }
        touched |= !ins.new.is_empty();
        match (from, last) {
            (Some(f), Some(l)) if page.has_more && l > f => from = Some(l),
            (Some(_), Some(_)) if page.has_more => {
                tracing::warn!(
                    chat = chat_id,
                    "more than a page of messages share one timestamp; cannot page on"
                );
                break;
            }
            _ => break,
        }
    }
    // Everything up to the newest held is now known (fetched up to after the
    // join, and the room's messages since) — if this connection is still the
    // current one: checked and marked under the session lock.
    let changes = {
        let mut session = lock(&inner.session);
        if session.generation != generation || !session.joined.contains(chat_id) && open {
            return Err(stale());
        }
        let changes = inner.store().write(|tx| {
            if let Some(n) = store::newest_sent_at(tx, chat_id)? {
                store::advance_cursor(tx, &scope, n)?;
            }
            if touched {
                inbound::chat_changes(tx, &me, &BTreeSet::from([chat_id.to_owned()]))
            } else {
                Ok(Vec::new())
            }
        })?;
        session.live.insert(chat_id.to_owned());
        changes
    };
    for c in changes {
        inner.publish(c);
    }
    Ok(from_others)
}

/// Chats these changes show open whose room this connection has not joined
/// (one reopened, by me or by someone else): joined and caught up.
pub(crate) fn join_opened(inner: &Arc<Inner>, changes: &[Change], mut to_join: Vec<String>, refresh: bool) {
    let (generation, joined) = {
        let session = lock(&inner.session);
        (session.generation, session.joined.clone())
    };
    if generation == 0 {
        return;
    }
    for c in changes {
        if let Change::Chat { chat } = c
            && chat.status != ChatStatus::Closed
            && !joined.contains(&chat.chat_id)
            && !to_join.contains(&chat.chat_id)
        {
            to_join.push(chat.chat_id.clone());
        }
    }
    if to_join.is_empty() && !refresh {
        return;
    }
    let inner = inner.clone();
    tokio::spawn(async move {
        if let Err(e) = follow_new_chats(&inner, generation, to_join, refresh).await {
            tracing::debug!(error = %e, "following new chats failed; the next sync will");
        }
    });
}

/// A `chat:new` (or a message for an unknown chat) arrived: join the new
/// rooms and catch those chats up, refreshing the inbox first if needed.
pub(crate) async fn follow_new_chats(
    inner: &Arc<Inner>,
    generation: u64,
    mut chat_ids: Vec<String>,
    refresh: bool,
) -> Result<()> {
    let token = inner.token().ok_or(EngineError::NeedsLogin)?;
    if refresh {
        chat_ids.extend(refresh_inbox(inner, &token).await?.1.new_open);
    }
    for id in chat_ids {
        join(inner, generation, &id).await?;
        catch_up_chat(inner, generation, &token, &id).await?;
    }
    Ok(())
}
