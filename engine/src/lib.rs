//! The Switchboard engine: every piece of I/O the console needs, with no
//! Tauri in it, driven by the desktop app, by `switchboard-cli` and by tests.
//!
//! One [`Engine`] is one account (server + agent): a local SQLite cache, a
//! session whose token lives in the OS keychain, a supervised Socket.IO link,
//! a sync that catches up after every (re)connect with nothing lost or
//! doubled, and a durable outbox. Callers read snapshots ([`Engine::chats`],
//! [`Engine::messages`], [`Engine::search`]) and follow a typed stream of
//! [`Change`]s ([`Engine::subscribe`]).

pub mod api;
pub mod error;
pub mod inbound;
pub mod link;
pub mod secrets;
pub mod store;
mod sync;

use std::{
    collections::{BTreeSet, HashSet},
    path::{Path, PathBuf},
    sync::{
        Arc, Mutex, MutexGuard, RwLock,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::Duration,
};

pub use switchboard_model::{Change, ChatEntry, ConnectionState, DeliveryStatus, LocalMessage};
use switchboard_protocol::{
    Agent, ChatRef, Empty, MessageType, NotificationRead, Presence, PresenceUpdate, ReadRequest,
    SendMessageRequest, events::client,
};
use tokio::{
    sync::{Notify, broadcast, mpsc},
    task::JoinHandle,
};
use url::Url;

use crate::{
    api::{Api, ApiError},
    link::{Link, LinkNotice},
    secrets::TokenStore,
    store::{OutboxEntry, Store},
};
pub use crate::{
    error::EngineError,
    link::{LinkTimings, SocketIoTransport, Transport},
};

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

pub(crate) struct Inner {
    server: Url,
    email: String,
    account_key: String,
    db_path: PathBuf,
    pub(crate) api: Api,
    store: Mutex<Store>,
    secrets: TokenStore,
    /// The keychain refused the token: it is kept in memory for this session.
    keychain_failed: AtomicBool,
    token: RwLock<Option<String>>,
    me: RwLock<Option<Agent>>,
    changes: broadcast::Sender<Change>,
    link: Mutex<Option<Link>>,
    pub(crate) outbox_wake: Notify,
    pub(crate) session: Mutex<Session>,
    pub(crate) seen: Mutex<store::Seen>,
    malformed: AtomicU64,
    started: AtomicBool,
    tasks: Mutex<Vec<JoinHandle<()>>>,
    processor: Mutex<Option<JoinHandle<()>>>,
    timings: LinkTimings,
    transport: Arc<dyn Transport>,
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

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
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
            .map_err(|e| EngineError::Invalid(e.to_string()))??;
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
        self.inner
            .me
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
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
        *self
            .inner
            .token
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(res.token);
        *self
            .inner
            .me
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(res.agent.clone());
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
        *self
            .inner
            .token
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
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
        let processor = tokio::spawn(process_notices(self.inner.clone(), notices_rx));
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
        let outbox = tokio::spawn(outbox_worker(self.inner.clone()));
        lock(&self.inner.tasks).extend([states, outbox]);
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

    /// Full-text search of held messages, newest first.
    pub fn search(&self, query: &str, limit: u32) -> Result<Vec<LocalMessage>> {
        Ok(store::search(self.inner.store().conn(), query, limit)?)
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

    /// Writes a message: stored in the outbox (durable) before anything is
    /// shown, then sent by the outbox worker. Returns it as `sending`.
    pub fn send(&self, chat_id: &str, content: &str, internal: bool) -> Result<LocalMessage> {
        if content.trim().is_empty() {
            return Err(EngineError::Invalid("the message is empty".to_owned()));
        }
        check_length(content)?;
        self.enqueue(chat_id, content, MessageType::Text, internal, None)
    }

    /// Sends a file (with an optional caption). The file is checked and
    /// copied into the data directory first, so the message survives a
    /// restart and the original may move; it is uploaded by the outbox worker.
    pub fn send_file(
        &self,
        chat_id: &str,
        path: &Path,
        caption: &str,
        internal: bool,
    ) -> Result<LocalMessage> {
        check_length(caption)?;
        let meta = std::fs::metadata(path)
            .map_err(|e| EngineError::Invalid(format!("cannot read {}: {e}", path.display())))?;
        if !meta.is_file() {
            return Err(EngineError::Invalid(format!("{} is not a file", path.display())));
        }
        if meta.len() > switchboard_protocol::DEFAULT_MAX_UPLOAD_BYTES {
            return Err(EngineError::Invalid(format!(
                "{} is {:.1} MiB; files up to {} MiB can be sent",
                path.display(),
                meta.len() as f64 / 1_048_576.0,
                switchboard_protocol::DEFAULT_MAX_UPLOAD_BYTES / 1_048_576
            )));
        }
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "file".to_owned());
        let mime_type = switchboard_protocol::mime_for_file_name(&file_name).to_owned();
        let kind = if mime_type.starts_with("image/") {
            MessageType::Image
        } else {
            MessageType::File
        };
        let dir = self.inner.db_path.with_extension("outbox-files");
        std::fs::create_dir_all(&dir)
            .map_err(|e| EngineError::Invalid(format!("cannot keep a copy: {e}")))?;
        let copy = dir.join(uuid::Uuid::new_v4().to_string());
        std::fs::copy(path, &copy).map_err(|e| EngineError::Invalid(format!("cannot keep a copy: {e}")))?;
        let upload = store::PendingUpload {
            path: copy,
            file_name,
            mime_type,
            file_size: meta.len(),
        };
        self.enqueue(chat_id, caption, kind, internal, Some(upload))
    }

    fn enqueue(
        &self,
        chat_id: &str,
        content: &str,
        kind: MessageType,
        internal: bool,
        upload: Option<store::PendingUpload>,
    ) -> Result<LocalMessage> {
        let entry = OutboxEntry {
            client_message_id: uuid::Uuid::new_v4().to_string(),
            chat_id: chat_id.to_owned(),
            content: content.to_owned(),
            kind,
            is_internal: internal,
            attachment: None,
            created_at: now_ms(),
            attempts: 0,
            failed: false,
            last_error: None,
            upload,
        };
        let me = self.inner.me_id();
        let changes = self.inner.store().write(|tx| {
            if !store::has_chat(tx, chat_id)? {
                return Ok(None);
            }
            store::enqueue(tx, &entry)?;
            Ok(Some(inbound::chat_changes(
                tx,
                &me,
                &BTreeSet::from([chat_id.to_owned()]),
            )?))
        })?;
        let Some(changes) = changes else {
            if let Some(u) = &entry.upload {
                let _ = std::fs::remove_file(&u.path);
            }
            return Err(EngineError::Invalid(format!(
                "no chat {chat_id} in the local cache"
            )));
        };
        let local = store::outbox_message(&entry, &me);
        self.inner.publish(Change::Message {
            message: Box::new(local.clone()),
        });
        for c in changes {
            self.inner.publish(c);
        }
        self.inner.outbox_wake.notify_one();
        Ok(local)
    }

    /// Puts a failed message back in the outbox.
    pub fn retry(&self, client_message_id: &str) -> Result<()> {
        if !self
            .inner
            .store()
            .write(|tx| store::outbox_retry(tx, client_message_id))?
        {
            return Err(EngineError::Invalid("no such message in the outbox".to_owned()));
        }
        if let Some(e) = store::outbox_entry(self.inner.store().conn(), client_message_id)? {
            let me = self.inner.me_id();
            self.inner.publish(Change::Message {
                message: Box::new(store::outbox_message(&e, &me)),
            });
        }
        self.inner.outbox_wake.notify_one();
        Ok(())
    }

    /// Where a sent message stands.
    pub fn delivery(&self, client_message_id: &str) -> Result<Delivery> {
        let store = self.inner.store();
        if let Some(e) = store::outbox_entry(store.conn(), client_message_id)? {
            return Ok(if e.failed {
                Delivery::Failed(e.last_error.unwrap_or_default())
            } else {
                Delivery::Pending {
                    attempts: e.attempts,
                    error: e.last_error,
                }
            });
        }
        Ok(
            match store::message_by_client_id(store.conn(), client_message_id)? {
                Some(m) => Delivery::Sent(Box::new(LocalMessage::sent(m))),
                None => Delivery::Unknown,
            },
        )
    }

    /// Waits until a sent message is accepted or refused, or `timeout`.
    pub async fn wait_delivered(&self, client_message_id: &str, timeout: Duration) -> Result<Delivery> {
        let mut changes = self.subscribe();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let d = self.delivery(client_message_id)?;
            if !matches!(d, Delivery::Pending { .. }) || tokio::time::Instant::now() >= deadline {
                return Ok(d);
            }
            // Wake on any change (or every second, for another process's work).
            let _ = tokio::time::timeout_at(
                deadline.min(tokio::time::Instant::now() + Duration::from_secs(1)),
                changes.recv(),
            )
            .await;
        }
    }

    /// Accepts a queued chat.
    pub async fn accept(&self, chat_id: &str) -> Result<ChatEntry> {
        let token = self.inner.token().ok_or(EngineError::NeedsLogin)?;
        let s = self
            .inner
            .api
            .accept(&token, chat_id)
            .await
            .map_err(|e| self.inner.api_error(e))?;
        self.inner.apply_summaries(&[s])?;
        self.chat(chat_id)?
            .ok_or_else(|| EngineError::Invalid("chat vanished".to_owned()))
    }

    /// Closes a chat.
    pub async fn close(&self, chat_id: &str) -> Result<ChatEntry> {
        let token = self.inner.token().ok_or(EngineError::NeedsLogin)?;
        let s = self
            .inner
            .api
            .close(&token, chat_id)
            .await
            .map_err(|e| self.inner.api_error(e))?;
        self.inner.apply_summaries(&[s])?;
        self.chat(chat_id)?
            .ok_or_else(|| EngineError::Invalid("chat vanished".to_owned()))
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

    /// Tells the chat I am typing (or stopped).
    pub fn typing(&self, chat_id: &str, typing: bool) {
        let event = if typing {
            client::TYPING_START
        } else {
            client::TYPING_STOP
        };
        self.inner.emit(
            event,
            &ChatRef {
                chat_id: chat_id.to_owned(),
            },
        );
    }

    /// Sets my presence.
    pub fn set_presence(&self, status: Presence) {
        self.inner
            .emit(client::PRESENCE_UPDATE, &PresenceUpdate { status });
    }

    /// The message a chat is read up to (my read marker), if any.
    pub fn read_marker(&self, chat_id: &str) -> Result<Option<String>> {
        Ok(store::read_markers(self.inner.store().conn())?
            .into_iter()
            .find(|(c, _)| c == chat_id)
            .map(|(_, m)| m))
    }

    /// Every agent's presence now (`GET /v2/agents`).
    pub async fn agents(&self) -> Result<Vec<switchboard_protocol::AgentPresence>> {
        let token = self.inner.token().ok_or(EngineError::NeedsLogin)?;
        let list = self
            .inner
            .api
            .agents(&token)
            .await
            .map_err(|e| self.inner.api_error(e))?;
        Ok(list.agents)
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
            Err(ApiError::Unreachable(_)) => {
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

impl Inner {
    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        lock(&self.store)
    }

    pub(crate) fn token(&self) -> Option<String> {
        self.token
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    pub(crate) fn me_id(&self) -> String {
        self.me
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
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

    fn emit<P: serde::Serialize>(&self, event: &str, payload: &P) {
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
        let had = self
            .token
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if had.is_some() {
            tracing::warn!("the server no longer accepts the token: sign-in needed");
            if let Some(link) = self.link() {
                link.reconnect();
            }
        }
    }

    /// Stores server summaries and publishes the chat changes.
    pub(crate) fn apply_summaries(&self, chats: &[switchboard_protocol::ChatSummary]) -> Result<Vec<String>> {
        let me = self.me_id();
        let (changes, new_open) = self.store().write(|tx| {
            let mut touched = BTreeSet::new();
            let mut new_open = Vec::new();
            let mut changes = Vec::new();
            for c in chats {
                let known = store::has_chat(tx, &c.chat_id)?;
                for m in store::upsert_chat(tx, c, &mut lock(&self.seen))?.new {
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
            Ok((changes, new_open))
        })?;
        for c in changes {
            self.publish(c);
        }
        Ok(new_open)
    }
}

fn check_length(content: &str) -> Result<()> {
    let chars = content.chars().count();
    if chars > switchboard_protocol::MAX_CONTENT_CHARS {
        return Err(EngineError::Invalid(format!(
            "the message is {chars} characters long; the limit is {}",
            switchboard_protocol::MAX_CONTENT_CHARS
        )));
    }
    Ok(())
}

pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

/// Applies link notices in batches: one transaction per batch, then the
/// changes. Starts a sync on every connection.
#[tracing::instrument(name = "inbound", skip_all)]
async fn process_notices(inner: Arc<Inner>, mut rx: mpsc::UnboundedReceiver<LinkNotice>) {
    const BATCH: usize = 512;
    let mut sync_task: Option<JoinHandle<()>> = None;
    while let Some(first) = rx.recv().await {
        let mut notices = vec![first];
        while notices.len() < BATCH {
            match rx.try_recv() {
                Ok(n) => notices.push(n),
                Err(_) => break,
            }
        }
        let mut batch = Vec::new();
        for notice in notices {
            match notice {
                LinkNotice::Event { name, data } => match inbound::decode(&name, data) {
                    Ok(item) => batch.push(item),
                    Err(e) => {
                        let n = inner.malformed.fetch_add(1, Ordering::Relaxed) + 1;
                        tracing::warn!(error = %e, dropped_so_far = n, "dropped a malformed server event");
                    }
                },
                LinkNotice::Connected { generation } => {
                    apply_batch(&inner, std::mem::take(&mut batch));
                    if let Some(t) = sync_task.take() {
                        t.abort();
                    }
                    *lock(&inner.session) = Session {
                        generation,
                        ..Session::default()
                    };
                    sync_task = Some(tokio::spawn(sync::run(inner.clone(), generation)));
                }
                LinkNotice::Disconnected { .. } => {
                    apply_batch(&inner, std::mem::take(&mut batch));
                    if let Some(t) = sync_task.take() {
                        t.abort();
                    }
                    *lock(&inner.session) = Session::default();
                }
            }
        }
        apply_batch(&inner, batch);
    }
    if let Some(t) = sync_task.take() {
        t.abort();
    }
}

fn apply_batch(inner: &Arc<Inner>, batch: Vec<inbound::Inbound>) {
    if batch.is_empty() {
        return;
    }
    let me = inner.me_id();
    let (generation, live) = {
        let session = lock(&inner.session);
        (session.generation, session.live.clone())
    };
    let result = inner
        .store()
        .write(|tx| inbound::apply(tx, &me, &live, &mut lock(&inner.seen), batch));
    match result {
        Ok(applied) => {
            for c in applied.changes {
                inner.publish(c);
            }
            if !applied.to_join.is_empty() || applied.unknown_chats {
                let inner = inner.clone();
                tokio::spawn(async move {
                    if let Err(e) =
                        sync::follow_new_chats(&inner, generation, applied.to_join, applied.unknown_chats)
                            .await
                    {
                        tracing::debug!(error = %e, "following new chats failed; the next sync will");
                    }
                });
            }
        }
        Err(e) => tracing::error!(error = %e, "could not store server events"),
    }
}

/// Sends the outbox, oldest first, retrying with backoff; survives restarts
/// because the outbox is in the database.
#[tracing::instrument(name = "outbox", skip_all)]
async fn outbox_worker(inner: Arc<Inner>) {
    let mut backoff_attempt: u32 = 0;
    loop {
        let next = store::outbox(inner.store().conn(), None)
            .map(|all| all.into_iter().find(|e| !e.failed))
            .unwrap_or_else(|e| {
                tracing::error!(error = %e, "cannot read the outbox");
                None
            });
        let (Some(entry), Some(token)) = (next, inner.token()) else {
            inner.outbox_wake.notified().await;
            continue;
        };
        let mut entry = entry;
        if let (Some(upload), None) = (entry.upload.clone(), &entry.attachment) {
            match upload_file(&inner, &token, &entry, &upload).await {
                Ok(attachment) => entry.attachment = Some(attachment),
                Err(e) => {
                    backoff_attempt = backoff_attempt.saturating_add(1);
                    if !outbox_failure(&inner, &entry, e, backoff_attempt).await {
                        backoff_attempt = 0;
                    }
                    continue;
                }
            }
        }
        let req = SendMessageRequest {
            chat_id: entry.chat_id.clone(),
            content: entry.content.clone(),
            kind: entry.kind,
            is_internal: entry.is_internal,
            attachment: entry.attachment.clone(),
            client_message_id: Some(entry.client_message_id.clone()),
        };
        match inner.api.send_message(&token, &req).await {
            Ok((m, _created)) => {
                backoff_attempt = 0;
                let me = inner.me_id();
                let chat = m.chat_id.clone();
                let cmid = entry.client_message_id.clone();
                let res = inner.store().write(|tx| {
                    let ins = store::insert_messages(tx, std::slice::from_ref(&m), &mut lock(&inner.seen))?;
                    // Already held (the socket was faster): settle it anyway.
                    tx.execute("DELETE FROM outbox WHERE client_message_id = ?1", [&cmid])?;
                    Ok((ins.new, inbound::chat_changes(tx, &me, &BTreeSet::from([chat]))?))
                });
                if let Some(u) = &entry.upload {
                    let _ = std::fs::remove_file(&u.path);
                }
                match res {
                    Ok((announce, changes)) => {
                        // Announced once: here, or already by the socket.
                        for m in announce {
                            inner.publish(Change::Message {
                                message: Box::new(LocalMessage::sent(m)),
                            });
                        }
                        for c in changes {
                            inner.publish(c);
                        }
                    }
                    Err(e) => tracing::error!(error = %e, "could not record a sent message"),
                }
            }
            Err(e) => {
                backoff_attempt = backoff_attempt.saturating_add(1);
                if !outbox_failure(&inner, &entry, e, backoff_attempt).await {
                    backoff_attempt = 0;
                }
            }
        }
    }
}

/// Uploads an outbox entry's file and records the attachment, so that a
/// retry of the POST does not upload again.
async fn upload_file(
    inner: &Inner,
    token: &str,
    entry: &OutboxEntry,
    upload: &store::PendingUpload,
) -> std::result::Result<switchboard_protocol::Attachment, ApiError> {
    let bytes = tokio::fs::read(&upload.path)
        .await
        .map_err(|e| ApiError::Rejected {
            status: 0,
            message: format!("the file to send is gone: {e}"),
        })?;
    let attachment = inner
        .api
        .upload(token, &entry.chat_id, &upload.file_name, &upload.mime_type, bytes)
        .await?;
    if let Err(e) = inner
        .store()
        .write(|tx| store::outbox_uploaded(tx, &entry.client_message_id, &attachment))
    {
        tracing::error!(error = %e, "could not record an upload");
    }
    Ok(attachment)
}

/// Records a failed upload or send and, when it may pass, waits before the
/// next try. Returns whether it was transient.
async fn outbox_failure(inner: &Inner, entry: &OutboxEntry, e: ApiError, attempt: u32) -> bool {
    match e {
        ApiError::Unauthorized(_) => {
            inner.session_expired();
            false
        }
        e if e.is_transient() => {
            let _ = inner.store().write(|tx| {
                store::outbox_attempt_failed(tx, &entry.client_message_id, &e.to_string(), false)
            });
            let delay = match e {
                ApiError::RateLimited(s) => Duration::from_secs(s.max(1)),
                _ => link::backoff_delay(
                    attempt,
                    Duration::from_millis(250),
                    Duration::from_secs(30),
                    rand::random::<f64>(),
                ),
            };
            tracing::debug!(error = %e, delay_ms = delay.as_millis() as u64, "send failed; will retry");
            let _ = tokio::time::timeout(delay, inner.outbox_wake.notified()).await;
            true
        }
        e => {
            tracing::warn!(error = %e, "the server refused a message; marked failed");
            let msg = e.to_string();
            let _ = inner
                .store()
                .write(|tx| store::outbox_attempt_failed(tx, &entry.client_message_id, &msg, true));
            let me = inner.me_id();
            if let Ok(Some(e)) = store::outbox_entry(inner.store().conn(), &entry.client_message_id) {
                inner.publish(Change::Message {
                    message: Box::new(store::outbox_message(&e, &me)),
                });
            }
            false
        }
    }
}
