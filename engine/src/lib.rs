//! The Switchboard engine: every piece of I/O the console needs, with no
//! Tauri in it, driven by the desktop app, by `switchboard-cli` and by tests.
//!
//! One [`Engine`] is one account (server + agent): a local SQLite cache, a
//! session whose token lives in the OS keychain, a supervised Socket.IO link,
//! a sync that catches up after every (re)connect with nothing lost or
//! doubled, and a durable outbox. Callers read snapshots ([`Engine::chats`],
//! [`Engine::messages`], [`Engine::search`]) and follow a typed stream of
//! [`Change`]s ([`Engine::subscribe`]).

mod actions;
mod api;
mod error;
mod inbound;
mod inner;
mod link;
mod lookups;
mod notices;
mod outbox;
pub mod paths;
mod secrets;
mod store;
mod sync;

use std::{
    collections::BTreeSet,
    path::{Path, PathBuf},
    sync::{
        Arc, Mutex, RwLock,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::Duration,
};

pub use switchboard_model::{
    Change, ChatEntry, ConnectionState, DeliveryStatus, Draft, LocalMessage, SearchHit, StagedFile,
    actions::{ActionKind, ActionState, QueuedAction},
};
use switchboard_protocol::{
    Agent, Empty, NotificationRead, Presence, PresenceUpdate, ReadRequest, events::client,
};
use tokio::sync::{Notify, broadcast, mpsc};
use url::Url;

use crate::{
    api::{Api, ApiError},
    link::Link,
    secrets::TokenStore,
    store::Store,
};
pub use crate::{
    error::EngineError,
    link::{LinkTimings, SocketIoTransport, Transport},
};

pub(crate) use crate::inner::{Inner, Session, lock};

type Result<T> = std::result::Result<T, EngineError>;

/// How to open an engine.
#[derive(Clone)]
pub struct EngineConfig {
    /// The server's base URL.
    pub server: Url,
    /// The agent's e-mail (with the server, it names the account).
    pub email: String,
    /// Where the local caches live (`<dir>/accounts/<account>.sqlite3`).
    pub data_dir: PathBuf,
    /// Keep the token in the OS keychain (`false`: in memory only).
    pub keychain: bool,
    /// Link timings.
    pub timings: LinkTimings,
    /// The socket transport.
    pub transport: Arc<dyn Transport>,
}

impl std::fmt::Debug for EngineConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineConfig")
            .field("server", &self.server.as_str())
            .field("email", &self.email)
            .field("data_dir", &self.data_dir)
            .field("keychain", &self.keychain)
            .finish_non_exhaustive()
    }
}

impl EngineConfig {
    /// Defaults: keychain on, default timings, the rust_socketio transport.
    pub fn new(server: Url, email: impl Into<String>, data_dir: impl Into<PathBuf>) -> Self {
        Self {
            server,
            email: email.into(),
            data_dir: data_dir.into(),
            keychain: true,
            timings: LinkTimings::default(),
            transport: Arc::new(SocketIoTransport),
        }
    }
}

/// Where a sent message stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// The server has it.
    Sent(Box<LocalMessage>),
    /// Still in the outbox; `attempts` POSTs so far, the last error if any.
    Pending {
        /// POST attempts so far.
        attempts: u32,
        /// The last error.
        error: Option<String>,
    },
    /// The server refused it (retry by hand).
    Failed(String),
    /// No such message.
    Unknown,
}

/// The file name of an account's cache: readable, and unique per server + e-mail.
pub fn account_file_name(server: &Url, email: &str) -> String {
    let raw = format!(
        "{}_{}_{}",
        server.host_str().unwrap_or("server"),
        server.port_or_known_default().unwrap_or(0),
        email.to_lowercase()
    );
    let slug: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '@' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{slug}.sqlite3")
}

/// The keychain account of a server + e-mail.
pub fn keychain_account(server: &Url, email: &str) -> String {
    format!(
        "{}|{}",
        server.as_str().trim_end_matches('/'),
        email.to_lowercase()
    )
}

/// The console's engine for one account. Cheap to clone.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("server", &self.inner.server.as_str())
            .field("email", &self.inner.email)
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// Opens the account's cache (rebuilding it if corrupt) and loads the
    /// stored token, if any. Does not connect: see [`Engine::start`].
    pub async fn open(config: EngineConfig) -> Result<Self> {
        let db_path = config
            .data_dir
            .join("accounts")
            .join(account_file_name(&config.server, &config.email));
        let path = db_path.clone();
        let (store, aside) = tokio::task::spawn_blocking(move || Store::open(&path))
            .await
            .map_err(|e| EngineError::Internal(format!("opening the cache: {e}")))??;
        if let Some(aside) = aside {
            tracing::warn!(moved_to = %aside.display(), "the local cache was corrupt; rebuilding it from the server");
        }
        let account_key = keychain_account(&config.server, &config.email);
        let mut secrets = if config.keychain {
            TokenStore::Keychain
        } else {
            TokenStore::memory()
        };
        let token = match secrets.get(&account_key).await {
            Ok(t) => t,
            Err(e) => {
                tracing::warn!(error = %e, "no usable OS keychain: the token will be kept in memory for this session only");
                secrets = TokenStore::memory();
                None
            }
        };
        let me = store.account()?;
        let seen = store::Seen::at_start(store.conn())?;
        let (changes, _) = broadcast::channel(16_384);
        Ok(Self {
            inner: Arc::new(Inner {
                api: Api::new(config.server.clone()),
                server: config.server,
                email: config.email,
                account_key,
                db_path,
                store: Mutex::new(store),
                secrets,
                keychain_failed: AtomicBool::new(false),
                expires: tokio::sync::watch::Sender::new(token.as_deref().and_then(inner::jwt_expiry)),
                token: RwLock::new(token),
                me: RwLock::new(me),
                changes,
                link: Mutex::new(None),
                outbox_wake: Notify::new(),
                session: Mutex::new(Session::default()),
                seen: Mutex::new(seen),
                malformed: AtomicU64::new(0),
                started: AtomicBool::new(false),
                tasks: Mutex::new(Vec::new()),
                processor: Mutex::new(None),
                timings: config.timings,
                transport: config.transport,
            }),
        })
    }

    /// The cache file of this account.
    pub fn db_path(&self) -> &Path {
        &self.inner.db_path
    }

    /// Who is signed in (known from the last sign-in, even offline).
    pub fn me(&self) -> Option<Agent> {
        switchboard_protocol::sync::read(&self.inner.me).clone()
    }

    /// Whether the token lives in the OS keychain (else in memory only,
    /// for this session: asked for, or no usable keychain).
    pub fn token_in_keychain(&self) -> bool {
        matches!(self.inner.secrets, TokenStore::Keychain)
            && !self.inner.keychain_failed.load(Ordering::SeqCst)
    }

    /// Whether a token is held.
    pub fn has_session(&self) -> bool {
        self.inner.token().is_some()
    }

    /// Signs in with a password; the token goes to the keychain (or memory).
    pub async fn login(&self, password: &str) -> Result<Agent> {
        let res = match self.inner.api.login(&self.inner.email, password).await {
            Ok(r) => r,
            Err(ApiError::Unauthorized(_)) => return Err(EngineError::WrongCredentials),
            Err(e) => return Err(e.into()),
        };
        if let Err(e) = self.inner.secrets.set(&self.inner.account_key, &res.token).await {
            tracing::warn!(error = %e, "could not store the token in the keychain; keeping it in memory");
            self.inner.keychain_failed.store(true, Ordering::SeqCst);
        }
        {
            let store = self.inner.store();
            store.set_account(self.inner.server.as_str(), &res.agent)?;
        }
        // The server says when the session ends; a JWT says it too.
        let expires = switchboard_protocol::time::parse_millis(&res.expires_at)
            .or_else(|| inner::jwt_expiry(&res.token));
        *switchboard_protocol::sync::write(&self.inner.token) = Some(res.token);
        self.inner.expires.send_replace(expires);
        *switchboard_protocol::sync::write(&self.inner.me) = Some(res.agent.clone());
        tracing::info!(agent = %res.agent.email, "signed in");
        if let Some(link) = lock(&self.inner.link).as_ref() {
            link.reconnect();
        }
        self.inner.outbox_wake.notify_one();
        Ok(res.agent)
    }

    /// Signs out: forgets the token (keychain included) and disconnects.
    /// Local data and the outbox stay.
    pub async fn logout(&self) -> Result<()> {
        *switchboard_protocol::sync::write(&self.inner.token) = None;
        self.inner.secrets.delete(&self.inner.account_key).await?;
        if let Some(link) = lock(&self.inner.link).as_ref() {
            link.reconnect();
        }
        Ok(())
    }

    /// Connects and keeps connected: the link supervisor, the event
    /// processor and the outbox worker. Calling it again does nothing.
    pub fn start(&self) {
        if self.inner.started.swap(true, Ordering::SeqCst) {
            return;
        }
        let (notices_tx, notices_rx) = mpsc::unbounded_channel();
        let token_inner = Arc::downgrade(&self.inner);
        let link = Link::spawn(
            self.inner.transport.clone(),
            self.inner.server.to_string(),
            Arc::new(move || token_inner.upgrade().and_then(|i| i.token())),
            self.inner.timings,
            notices_tx,
        );
        let mut state = link.watch_state();
        *lock(&self.inner.link) = Some(link);
        let processor = tokio::spawn(notices::process_notices(self.inner.clone(), notices_rx));
        *lock(&self.inner.processor) = Some(processor);
        let states = {
            let inner = self.inner.clone();
            tokio::spawn(async move {
                loop {
                    let s = state.borrow_and_update().clone();
                    if s == ConnectionState::Online {
                        inner.outbox_wake.notify_one();
                    }
                    inner.publish(Change::Connection { state: s });
                    if state.changed().await.is_err() {
                        break;
                    }
                }
            })
        };
        let outbox = tokio::spawn(outbox::outbox_worker(self.inner.clone()));
        let expiry = tokio::spawn(inner::expire_on_time(self.inner.clone()));
        lock(&self.inner.tasks).extend([states, outbox, expiry]);
    }

    /// Stops the link and the workers after the events already received are
    /// written. Everything is durable at every step; this only stops.
    pub async fn shutdown(&self) {
        if let Some(link) = lock(&self.inner.link).take() {
            link.stop();
        }
        let processor = lock(&self.inner.processor).take();
        if let Some(p) = processor {
            // The supervisor ends, dropping its sender; the processor drains and ends.
            let _ = tokio::time::timeout(Duration::from_secs(10), p).await;
        }
        for t in lock(&self.inner.tasks).drain(..) {
            t.abort();
        }
        *lock(&self.inner.session) = Session::default();
        self.inner.started.store(false, Ordering::SeqCst);
        let store = self.inner.store();
        let _ = store.conn().execute_batch("PRAGMA wal_checkpoint(PASSIVE)");
    }

    /// The link's state now.
    pub fn connection_state(&self) -> ConnectionState {
        lock(&self.inner.link)
            .as_ref()
            .map(Link::state)
            .unwrap_or(ConnectionState::Offline)
    }

    /// Follows every change from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.inner.changes.subscribe()
    }

    /// Server payloads that did not decode (dropped) so far.
    pub fn malformed_count(&self) -> u64 {
        self.inner.malformed.load(Ordering::Relaxed)
    }

    // ------------------------------------------------------------ snapshots

    /// The inbox, most recent activity first, with unread counts.
    pub fn chats(&self) -> Result<Vec<ChatEntry>> {
        let me = self.inner.me_id();
        Ok(store::chat_entries(self.inner.store().conn(), &me)?)
    }

    /// One chat.
    pub fn chat(&self, chat_id: &str) -> Result<Option<ChatEntry>> {
        let me = self.inner.me_id();
        Ok(store::chat_entry(self.inner.store().conn(), chat_id, &me)?)
    }

    /// A page of a chat, oldest first: the newest `limit` messages before
    /// `before` (a `sentAt`), and on the newest page what is still being sent.
    pub fn messages(&self, chat_id: &str, before: Option<&str>, limit: u32) -> Result<Vec<LocalMessage>> {
        let before = match before {
            Some(b) => Some(
                switchboard_protocol::time::parse_millis(b)
                    .ok_or_else(|| EngineError::Invalid(format!("not a timestamp: {b}")))?,
            ),
            None => None,
        };
        let me = self.inner.me_id();
        Ok(store::messages_page(
            self.inner.store().conn(),
            chat_id,
            before,
            limit,
            &me,
        )?)
    }

    /// Every message of a chat held locally, oldest first (works offline).
    pub fn history(&self, chat_id: &str) -> Result<Vec<LocalMessage>> {
        let me = self.inner.me_id();
        Ok(store::all_messages(self.inner.store().conn(), chat_id, &me)?)
    }

    /// Full-text search of held messages (internal notes too), newest
    /// first, each with its matched words marked.
    pub fn search(&self, query: &str, limit: u32) -> Result<Vec<SearchHit>> {
        Ok(store::search(self.inner.store().conn(), query, limit)?)
    }

    /// A chat's messages around one of them, oldest first: `before` before
    /// it, then it and up to `after` more; and whether newer ones are held.
    pub fn messages_around(
        &self,
        chat_id: &str,
        message_id: &str,
        before: u32,
        after: u32,
    ) -> Result<(Vec<LocalMessage>, bool)> {
        let me = self.inner.me_id();
        store::messages_around(self.inner.store().conn(), chat_id, message_id, before, after, &me)?
            .ok_or_else(|| EngineError::UnknownMessage(message_id.to_owned()))
    }

    /// Unread messages over all open chats.
    pub fn total_unread(&self) -> Result<u64> {
        let me = self.inner.me_id();
        Ok(store::total_unread(self.inner.store().conn(), &me)?)
    }

    /// Fetches older history of a chat from the server (before the oldest
    /// held), stores it and returns how many messages were new.
    pub async fn load_older(&self, chat_id: &str, limit: u32) -> Result<usize> {
        let token = self.inner.token().ok_or(EngineError::NeedsLogin)?;
        let oldest: Option<i64> = self
            .inner
            .store()
            .conn()
            .query_row(
                "SELECT MIN(sent_at) FROM messages WHERE chat_id = ?1",
                [chat_id],
                |r| r.get(0),
            )
            .map_err(store::StoreError::from)?;
        let page = self
            .inner
            .api
            .history(&token, chat_id, None, oldest, limit)
            .await
            .map_err(|e| self.inner.api_error(e))?;
        let inserted = self
            .inner
            .store()
            .write(|tx| store::insert_messages(tx, &page.messages, &mut lock(&self.inner.seen)))?;
        for m in &inserted.new {
            self.inner.publish(Change::Message {
                message: Box::new(LocalMessage::sent(m.clone())),
            });
        }
        Ok(inserted.new.len())
    }

    // ------------------------------------------------------------ actions

    /// What the server offers beyond v2 (asked at sign-in and after each
    /// reconnect; empty for a plain v2 server, or before it was first asked).
    pub fn capabilities(&self) -> Result<switchboard_protocol::Capabilities> {
        Ok(store::capabilities(self.inner.store().conn())?
            .unwrap_or(switchboard_protocol::Capabilities::default()))
    }

    /// Whether the server offers a v2.1 feature ([`switchboard_protocol::feature`]).
    pub fn offers(&self, feature: &str) -> bool {
        self.capabilities().is_ok_and(|c| c.has(feature))
    }

    /// `Unsupported` unless the server offers `feature`; asks the server
    /// first when it never was (an action before the first sync).
    pub(crate) async fn require(&self, feature: &'static str) -> Result<()> {
        let known = store::capabilities(self.inner.store().conn())?;
        let caps = match known {
            Some(c) => c,
            None => sync::refresh_capabilities(&self.inner).await?,
        };
        if caps.has(feature) {
            Ok(())
        } else {
            Err(EngineError::Unsupported(feature))
        }
    }

    /// The canned responses held (the team's and mine), there offline.
    pub fn canned(&self) -> Result<Vec<switchboard_protocol::Canned>> {
        Ok(store::canned(self.inner.store().conn())?)
    }

    /// Fetches the canned responses again (the app does when it opens the
    /// picker) and returns them; offline, the held ones.
    pub async fn refresh_canned(&self) -> Result<Vec<switchboard_protocol::Canned>> {
        self.require(switchboard_protocol::feature::CANNED).await?;
        sync::refresh_canned(&self.inner).await?;
        self.canned()
    }

    /// Marks a chat read up to and including `message_id` (locally at once,
    /// and tells the server when connected).
    pub fn mark_read(&self, chat_id: &str, message_id: &str) -> Result<()> {
        let me = self.inner.me_id();
        let changes = self.inner.store().write(|tx| {
            let Some((chat, at)) = store::message_position(tx, message_id)? else {
                return Ok(Vec::new());
            };
            if chat != chat_id || !store::set_read_marker(tx, chat_id, message_id, at)? {
                return Ok(Vec::new());
            }
            inbound::chat_changes(tx, &me, &BTreeSet::from([chat_id.to_owned()]))
        })?;
        if !changes.is_empty() {
            self.inner.emit(
                client::CHAT_READ,
                &ReadRequest {
                    chat_id: chat_id.to_owned(),
                    message_id: message_id.to_owned(),
                },
            );
        }
        for c in changes {
            self.inner.publish(c);
        }
        Ok(())
    }

    /// Keeps what I have written in a chat and not sent (text and mode),
    /// replacing its previous draft; an empty reply removes it. Publishes
    /// the chat, whose entry carries the draft.
    pub fn save_draft(&self, chat_id: &str, draft: &Draft) -> Result<()> {
        let chars = draft.content.chars().count();
        if chars > Draft::MAX_CHARS {
            return Err(EngineError::TooLong {
                chars,
                limit: Draft::MAX_CHARS,
            });
        }
        let me = self.inner.me_id();
        let chat = self.inner.store().write(|tx| {
            if !store::save_draft(tx, chat_id, draft, switchboard_protocol::time::now_ms())? {
                return Ok(None);
            }
            store::chat_entry(tx, chat_id, &me)
        })?;
        let chat = chat.ok_or_else(|| EngineError::UnknownChat(chat_id.to_owned()))?;
        self.inner.publish(Change::Chat { chat: Box::new(chat) });
        Ok(())
    }

    /// Tells the chat I am typing (or stopped).
    ///
    /// In an internal note (`internal`) it is told to agents only, where the
    /// server offers v2.1 `internalTyping`, and to nobody where it does not:
    /// the visitor is never told a note is being written.
    pub fn typing(&self, chat_id: &str, typing: bool, internal: bool) {
        if internal && !self.offers(switchboard_protocol::feature::INTERNAL_TYPING) {
            return;
        }
        let event = if typing {
            client::TYPING_START
        } else {
            client::TYPING_STOP
        };
        self.inner.emit(
            event,
            &switchboard_protocol::TypingRequest {
                chat_id: chat_id.to_owned(),
                internal,
            },
        );
    }

    /// Sets my presence, and publishes it at once: whoever set it (the
    /// header, the tray, automatic away), every view of it follows.
    pub fn set_presence(&self, status: Presence) {
        self.inner
            .emit(client::PRESENCE_UPDATE, &PresenceUpdate { status });
        let me = self.inner.me_id();
        if !me.is_empty() {
            self.inner.publish(Change::Presence { user_id: me, status });
        }
    }

    /// The message a chat is read up to (my read marker), if any.
    pub fn read_marker(&self, chat_id: &str) -> Result<Option<String>> {
        Ok(store::read_markers(self.inner.store().conn())?
            .into_iter()
            .find(|(c, _)| c == chat_id)
            .map(|(_, m)| m))
    }

    /// Every agent's presence now (`GET /v2/agents`), kept for offline
    /// use; offline, the team as last seen (presence as it was then).
    pub async fn agents(&self) -> Result<Vec<switchboard_protocol::AgentPresence>> {
        match sync::refresh_agents(&self.inner).await {
            Ok(list) => Ok(list),
            Err(e) if lookups::unreachable(&e) => {
                let held = store::agents(self.inner.store().conn())?;
                if held.is_empty() { Err(e) } else { Ok(held) }
            }
            Err(e) => Err(e),
        }
    }

    /// The server's notifications, newest first, and the unread count. Falls
    /// back to the ones held locally when the server cannot be reached.
    pub async fn notifications(&self) -> Result<switchboard_protocol::NotificationList> {
        let token = self.inner.token().ok_or(EngineError::NeedsLogin)?;
        match self.inner.api.notifications(&token).await {
            Ok(list) => {
                self.inner.store().write(|tx| {
                    for n in &list.notifications {
                        store::upsert_notification(tx, n)?;
                    }
                    Ok(())
                })?;
                Ok(list)
            }
            Err(e) if e.is_transient() => {
                let notifications = store::notifications(self.inner.store().conn(), 50)?;
                let unread = notifications.iter().filter(|n| n.read == Some(false)).count() as u64;
                Ok(switchboard_protocol::NotificationList {
                    notifications,
                    unread,
                })
            }
            Err(e) => Err(self.inner.api_error(e)),
        }
    }

    /// Marks one server notification read (when connected).
    pub fn read_notification(&self, notification_id: &str) {
        self.inner.emit(
            client::NOTIFICATION_READ,
            &NotificationRead {
                notification_id: notification_id.to_owned(),
            },
        );
    }

    /// Marks every server notification read (when connected).
    pub fn read_all_notifications(&self) {
        self.inner.emit(client::NOTIFICATION_READ_ALL, &Empty {});
    }

    /// The bytes of an attachment (its `url`, on the server signed in to).
    pub async fn download(&self, url: &str) -> Result<Vec<u8>> {
        // A little over the upload cap: a server may allow more than the default.
        const MAX: u64 = 4 * switchboard_protocol::DEFAULT_MAX_UPLOAD_BYTES;
        self.inner
            .api
            .download(url, MAX)
            .await
            .map_err(|e| self.inner.api_error(e))
    }

    /// Queue and team numbers now (`GET /v2/stats`).
    pub async fn stats(&self) -> Result<switchboard_protocol::Stats> {
        let token = self.inner.token().ok_or(EngineError::NeedsLogin)?;
        self.inner
            .api
            .stats(&token)
            .await
            .map_err(|e| self.inner.api_error(e))
    }
}
