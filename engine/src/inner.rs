//! The engine's shared state, one per account ([`Inner`]), and what every
//! part of the engine does with it: the store, the token, the link,
//! publishing changes, ending a session, applying chat summaries.

use std::{
    collections::{BTreeSet, HashSet},
    path::PathBuf,
    sync::{
        Arc, Mutex, MutexGuard, RwLock,
        atomic::{AtomicBool, AtomicU64},
    },
    time::Duration,
};

use switchboard_model::{Change, LocalMessage};
use switchboard_protocol::Agent;
use tokio::{
    sync::{Notify, broadcast},
    task::JoinHandle,
};
use url::Url;

use crate::{
    EngineError, LinkTimings, Result, Transport,
    api::{Api, ApiError},
    inbound,
    link::Link,
    secrets::TokenStore,
    store::{self, Store},
};

pub(crate) struct Inner {
    pub(crate) server: Url,
    pub(crate) email: String,
    pub(crate) account_key: String,
    pub(crate) db_path: PathBuf,
    pub(crate) api: Api,
    pub(crate) store: Mutex<Store>,
    pub(crate) secrets: TokenStore,
    /// The keychain refused the token: it is kept in memory for this session.
    pub(crate) keychain_failed: AtomicBool,
    pub(crate) token: RwLock<Option<String>>,
    /// When the token expires (ms since the epoch), if known: the session
    /// ends then, before any request is refused.
    pub(crate) expires: tokio::sync::watch::Sender<Option<i64>>,
    pub(crate) me: RwLock<Option<Agent>>,
    pub(crate) changes: broadcast::Sender<Change>,
    pub(crate) link: Mutex<Option<Link>>,
    pub(crate) outbox_wake: Notify,
    pub(crate) session: Mutex<Session>,
    pub(crate) seen: Mutex<store::Seen>,
    pub(crate) malformed: AtomicU64,
    pub(crate) started: AtomicBool,
    pub(crate) tasks: Mutex<Vec<JoinHandle<()>>>,
    pub(crate) processor: Mutex<Option<JoinHandle<()>>>,
    pub(crate) timings: LinkTimings,
    pub(crate) transport: Arc<dyn Transport>,
}

/// What holds for the current connection only. A sync task of an older
/// connection that is still finishing must not touch it: every update checks
/// `generation` under this lock.
#[derive(Debug, Default)]
pub(crate) struct Session {
    /// The connection (0: none).
    pub(crate) generation: u64,
    /// Chats caught up on this connection: their room's messages move their cursor.
    pub(crate) live: HashSet<String>,
    /// Chats whose room this connection joined.
    pub(crate) joined: HashSet<String>,
}

pub(crate) use switchboard_protocol::sync::lock;

impl Inner {
    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        lock(&self.store)
    }

    pub(crate) fn token(&self) -> Option<String> {
        switchboard_protocol::sync::read(&self.token).clone()
    }

    pub(crate) fn me_id(&self) -> String {
        switchboard_protocol::sync::read(&self.me)
            .as_ref()
            .map(|a| a.id.clone())
            .unwrap_or_default()
    }

    pub(crate) fn publish(&self, change: Change) {
        let _ = self.changes.send(change);
    }

    pub(crate) fn link(&self) -> Option<Link> {
        lock(&self.link).clone()
    }

    pub(crate) fn emit<P: serde::Serialize>(&self, event: &str, payload: &P) {
        if let Some(link) = self.link() {
            link.emit(event, payload);
        }
    }

    /// Maps an API error; a 401 ends the session (token dropped, link stops
    /// with `NeedsLogin`; local data and the outbox are kept).
    pub(crate) fn api_error(&self, e: ApiError) -> EngineError {
        if matches!(e, ApiError::Unauthorized(_)) {
            self.session_expired();
        }
        e.into()
    }

    pub(crate) fn session_expired(&self) {
        self.expires.send_replace(None);
        let had = switchboard_protocol::sync::write(&self.token).take();
        if had.is_some() {
            tracing::warn!("the server no longer accepts the token: sign-in needed");
            if let Some(link) = self.link() {
                link.reconnect();
            }
        }
    }

    /// Stores server summaries and publishes the chat changes.
    pub(crate) fn apply_summaries(&self, chats: &[switchboard_protocol::ChatSummary]) -> Result<Applied> {
        let me = self.me_id();
        let (changes, applied) = self.store().write(|tx| {
            let mut touched = BTreeSet::new();
            let mut new_open = Vec::new();
            let mut news = std::collections::BTreeMap::new();
            let mut changes = Vec::new();
            for c in chats {
                let known = store::has_chat(tx, &c.chat_id)?;
                for m in store::upsert_chat(tx, c, &mut lock(&self.seen))?.new {
                    if switchboard_model::counts_as_unread(m.sender_type, &m.sender_id, &me) {
                        *news.entry(c.chat_id.clone()).or_insert(0) += 1;
                    }
                    changes.push(Change::Message {
                        message: Box::new(LocalMessage::sent(m)),
                    });
                }
                if !known && c.status != switchboard_protocol::ChatStatus::Closed {
                    new_open.push(c.chat_id.clone());
                }
                touched.insert(c.chat_id.clone());
            }
            changes.extend(inbound::chat_changes(tx, &me, &touched)?);
            Ok((changes, Applied { new_open, news }))
        })?;
        for c in changes {
            self.publish(c);
        }
        Ok(applied)
    }
}

/// What storing some server summaries found.
#[derive(Debug, Default)]
pub(crate) struct Applied {
    /// Open chats seen for the first time.
    pub(crate) new_open: Vec<String>,
    /// Per chat, messages from others a summary brought that were not held
    /// (its last message): news for a catch-up's count.
    pub(crate) news: std::collections::BTreeMap<String, u64>,
}

pub(crate) use switchboard_protocol::time::now_ms;

/// The `exp` of a JWT, in ms since the epoch (`None`: not a JWT, or none).
/// Read, not verified: only the server can verify its tokens.
pub(crate) fn jwt_expiry(token: &str) -> Option<i64> {
    use base64::Engine as _;
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    claims.get("exp")?.as_i64()?.checked_mul(1000)
}

/// Ends the session when its token expires: the header says so at once,
/// not after the next request is refused.
pub(crate) async fn expire_on_time(inner: Arc<Inner>) {
    let mut expires = inner.expires.subscribe();
    loop {
        let at = *expires.borrow_and_update();
        let Some(at) = at else {
            if expires.changed().await.is_err() {
                return;
            }
            continue;
        };
        let wait = Duration::from_millis((at - switchboard_protocol::time::now_ms()).max(0) as u64);
        tokio::select! {
            () = tokio::time::sleep(wait) => {
                if *inner.expires.borrow() == Some(at) {
                    tracing::info!("the session's token expired: sign-in needed");
                    inner.session_expired();
                }
            }
            changed = expires.changed() => {
                if changed.is_err() {
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_jwt_tells_when_it_expires_and_anything_else_does_not() {
        // {"alg":"HS256"} . {"sub":"a1","exp":1795996800} . signature
        let token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhMSIsImV4cCI6MTc5NTk5NjgwMH0.c2ln";
        assert_eq!(jwt_expiry(token), Some(1_795_996_800_000));
        assert_eq!(jwt_expiry("opaque-session-token"), None);
        assert_eq!(jwt_expiry("a.not base64!.c"), None);
        assert_eq!(jwt_expiry("a.eyJzdWIiOiJhMSJ9.c"), None, "no exp");
    }
}
