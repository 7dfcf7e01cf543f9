//! What the console looks up on the server (protocol v2.1) and does not
//! queue in the outbox: the tag list for autocomplete, a visitor's earlier
//! chats and an earlier chat's history, and my capacity for automatic
//! assignment. Each falls back to what the cache holds when the server
//! cannot be reached, so the visitor panel and the tag editor work offline.

use switchboard_model::{ChatEntry, LocalMessage, ipc::ErrorCode};
use switchboard_protocol::{AgentPresence, TagCount, feature};

use crate::{Engine, EngineError, Result, store};

/// Pages of an earlier chat fetched from the server when the cache holds
/// none of it (100 messages each).
const HISTORY_PAGES: usize = 10;

/// Whether an error means the server could not be reached (the cache answers).
pub(crate) fn unreachable(e: &EngineError) -> bool {
    matches!(
        e.code(),
        ErrorCode::Unreachable
            | ErrorCode::UnknownHost
            | ErrorCode::TimedOut
            | ErrorCode::Tls
            | ErrorCode::ServerFailed
    )
}

impl Engine {
    /// The tags in use, most used first (`GET /v2/tags`); offline, the tags
    /// of the chats held, counted the same way.
    pub async fn tags(&self) -> Result<Vec<TagCount>> {
        self.require(feature::TAGS).await?;
        let token = self.inner.token().ok_or(EngineError::NeedsLogin)?;
        match self
            .inner
            .api
            .tags(&token)
            .await
            .map_err(|e| self.inner.api_error(e))
        {
            Ok(list) => Ok(list.tags),
            Err(e) if unreachable(&e) => Ok(store::held_tags(self.inner.store().conn())?),
            Err(e) => Err(e),
        }
    }

    /// The visitor's chats, and those of visitors with the same e-mail,
    /// newest first (`GET /v2/visitors/{id}/chats`), each as held when the
    /// cache has it; offline, the held chats of that visitor or e-mail.
    pub async fn visitor_chats(&self, visitor_id: &str) -> Result<Vec<ChatEntry>> {
        self.require(feature::HISTORY).await?;
        let token = self.inner.token().ok_or(EngineError::NeedsLogin)?;
        let me = self.inner.me_id();
        match self
            .inner
            .api
            .visitor_chats(&token, visitor_id)
            .await
            .map_err(|e| self.inner.api_error(e))
        {
            Ok(list) => {
                let store = self.inner.store();
                let mut out = Vec::with_capacity(list.len());
                for s in list {
                    out.push(match store::chat_entry(store.conn(), &s.chat_id, &me)? {
                        Some(held) => held,
                        None => ChatEntry::from_summary(s),
                    });
                }
                Ok(out)
            }
            Err(e) if unreachable(&e) => {
                Ok(store::visitor_chats(self.inner.store().conn(), visitor_id, &me)?)
            }
            Err(e) => Err(e),
        }
    }

    /// An earlier chat's messages, oldest first, to read: the held ones, or
    /// when none are held, fetched from the server (up to 1,000, not kept).
    pub async fn chat_history(&self, chat_id: &str) -> Result<Vec<LocalMessage>> {
        let held = self.history(chat_id)?;
        if !held.is_empty() {
            return Ok(held);
        }
        let token = self.inner.token().ok_or(EngineError::NeedsLogin)?;
        let mut out: Vec<LocalMessage> = Vec::new();
        // Each page starts at the last one's newest (`dateFrom` is inclusive).
        let mut known: std::collections::HashSet<String> = std::collections::HashSet::new();
        let mut from: Option<i64> = Some(0);
        for _ in 0..HISTORY_PAGES {
            let page = self
                .inner
                .api
                .history(&token, chat_id, from, None, 100)
                .await
                .map_err(|e| self.inner.api_error(e))?;
            let Some(last) = page.messages.last() else { break };
            let next = switchboard_protocol::time::parse_millis(&last.sent_at);
            let before = out.len();
            out.extend(
                page.messages
                    .into_iter()
                    .filter(|m| known.insert(m.message_id.clone()))
                    .map(LocalMessage::sent),
            );
            if !page.has_more || out.len() == before {
                break;
            }
            from = next;
        }
        Ok(out)
    }

    /// Sets the most chats the server assigns me automatically (`PUT
    /// /v2/agents/me`, 0–100; 0: none) and answers the team as it is then.
    /// Needs the server: capacity is the server's to apply.
    pub async fn set_max_chats(&self, max_chats: u32) -> Result<Vec<AgentPresence>> {
        if max_chats > switchboard_protocol::MAX_MAX_CHATS {
            return Err(EngineError::Invalid(format!(
                "at most {} chats at once",
                switchboard_protocol::MAX_MAX_CHATS
            )));
        }
        self.require(feature::ASSIGNMENT).await?;
        let token = self.inner.token().ok_or(EngineError::NeedsLogin)?;
        self.inner
            .api
            .set_max_chats(&token, max_chats)
            .await
            .map_err(|e| self.inner.api_error(e))?;
        self.agents().await
    }
}
