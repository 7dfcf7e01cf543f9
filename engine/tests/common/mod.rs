//! Test helpers for the engine: the real hub (in-process, on a loopback
//! port, with its own SQLite file, restartable on the same port), a TCP
//! proxy in front of it that can cut every connection, visitors that write,
//! and engines with short timings.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use serde_json::{Value, json};
use switchboard_engine::{Change, ConnectionState, Engine, EngineConfig, LinkTimings};
use switchboard_hub::{HubConfig, Limits, RunningHub};
use tokio::{net::TcpListener, sync::broadcast, task::JoinHandle};

/// A temporary directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> Self {
        let p = std::env::temp_dir().join(format!("switchboard-{tag}-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&p).unwrap();
        Self(p)
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The real hub, restartable on the same address and database.
pub struct TestHub {
    pub addr: SocketAddr,
    pub db: PathBuf,
    running: Option<RunningHub>,
    extra: HubConfig,
}

impl TestHub {
    /// Starts a hub on a free loopback port with a fresh database and no rate limit.
    pub async fn start(dir: &Path) -> Self {
        let config = HubConfig {
            bind: "127.0.0.1:0".parse().unwrap(),
            db: Some(dir.join("hub.db")),
            limits: Limits {
                rate_limit_per_sec: 0,
                ..Limits::default()
            },
            ..HubConfig::default()
        };
        Self::start_with(config).await
    }

    pub async fn start_with(config: HubConfig) -> Self {
        let running = switchboard_hub::start(config.clone()).await.unwrap();
        Self {
            addr: running.addr(),
            db: config.db.clone().unwrap(),
            running: Some(running),
            extra: config,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn core(&self) -> &Arc<switchboard_hub::Core> {
        self.running.as_ref().unwrap().core()
    }

    /// Stops the hub (sockets closed, port freed).
    pub async fn stop(&mut self) {
        if let Some(h) = self.running.take() {
            h.shutdown().await;
        }
    }

    /// Starts it again on the same port and database (optionally changing the JWT secret).
    pub async fn restart(&mut self, jwt_secret: Option<&str>) {
        self.stop().await;
        let mut config = self.extra.clone();
        config.bind = self.addr;
        if let Some(s) = jwt_secret {
            config.jwt_secret = Some(s.to_owned());
        }
        let mut tries = 0;
        let running = loop {
            match switchboard_hub::start(config.clone()).await {
                Ok(r) => break r,
                Err(e) if tries < 50 => {
                    tries += 1;
                    tracing::debug!(error = %e, "port not free yet");
                    tokio::task::yield_now().await;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Err(e) => panic!("hub restart failed: {e}"),
            }
        };
        self.running = Some(running);
    }
}

/// A TCP proxy that forwards to `upstream` and can cut every connection.
pub struct Proxy {
    pub addr: SocketAddr,
    conns: Arc<Mutex<Vec<JoinHandle<()>>>>,
    pub accepted: Arc<AtomicU64>,
    acceptor: JoinHandle<()>,
}

impl Proxy {
    pub async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let conns: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let accepted = Arc::new(AtomicU64::new(0));
        let (c, a) = (conns.clone(), accepted.clone());
        let acceptor = tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    return;
                };
                a.fetch_add(1, Ordering::SeqCst);
                let task = tokio::spawn(async move {
                    let Ok(mut outbound) = tokio::net::TcpStream::connect(upstream).await else {
                        return;
                    };
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                });
                let mut list = c.lock().unwrap();
                list.retain(|t| !t.is_finished());
                list.push(task);
            }
        });
        Self {
            addr,
            conns,
            accepted,
            acceptor,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Drops every open connection at once (both directions).
    pub fn cut(&self) {
        for t in self.conns.lock().unwrap().drain(..) {
            t.abort();
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.acceptor.abort();
        self.cut();
    }
}

/// A visitor with an open chat, posting straight to the hub.
#[derive(Clone)]
pub struct Visitor {
    pub http: reqwest::Client,
    pub hub: String,
    pub chat_id: String,
}

impl Visitor {
    pub async fn open(hub: &str, name: &str) -> Self {
        let http = reqwest::Client::builder().cookie_store(true).build().unwrap();
        http.post(format!("{hub}/v2/visitors"))
            .json(&json!({ "name": name }))
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap();
        let chat: Value = http
            .post(format!("{hub}/v2/chats"))
            .json(&json!({}))
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap()
            .json()
            .await
            .unwrap();
        Self {
            http,
            hub: hub.to_owned(),
            chat_id: chat["chatId"].as_str().unwrap().to_owned(),
        }
    }

    /// Posts a message, retrying (same clientMessageId) until the hub takes
    /// it; returns its messageId.
    pub async fn say(&self, text: &str) -> String {
        let cmid = uuid::Uuid::new_v4().to_string();
        let body = json!({"chatId": self.chat_id, "content": text, "type": "text", "clientMessageId": cmid});
        for _ in 0..600 {
            let res = self
                .http
                .post(format!("{}/v2/messages", self.hub))
                .json(&body)
                .send()
                .await;
            if let Ok(r) = res
                && r.status().is_success()
            {
                let m: Value = r.json().await.unwrap();
                return m["messageId"].as_str().unwrap().to_owned();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the hub did not take a message within 30 s");
    }

    /// Every message id of the chat on the hub, as an agent sees it.
    pub async fn server_ids(hub: &str, token: &str, chat_id: &str) -> Vec<String> {
        let http = reqwest::Client::new();
        let mut ids = Vec::new();
        let mut from = "1970-01-01T00:00:00.000Z".to_owned();
        loop {
            let page: Value = http
                .get(format!("{hub}/v2/messages/chat/{chat_id}"))
                .bearer_auth(token)
                .query(&[("dateFrom", from.as_str()), ("limit", "500")])
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let msgs = page["messages"].as_array().unwrap();
            for m in msgs {
                let id = m["messageId"].as_str().unwrap().to_owned();
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
            if !page["hasMore"].as_bool().unwrap() {
                return ids;
            }
            from = msgs.last().unwrap()["sentAt"].as_str().unwrap().to_owned();
        }
    }
}

/// Timings short enough for tests.
pub fn fast_timings() -> LinkTimings {
    LinkTimings {
        backoff_base: Duration::from_millis(50),
        backoff_cap: Duration::from_millis(800),
        connect_timeout: Duration::from_secs(5),
        health_interval: Duration::from_secs(2),
        ack_timeout: Duration::from_secs(3),
    }
}

/// Logs to the test's output (`RUST_LOG` picks the level; default warn).
pub fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_test_writer()
        .try_init();
}

/// An engine for the demo agent, token in memory only, signed in.
pub async fn engine(server: &str, data_dir: &Path) -> Engine {
    init_tracing();
    let mut config = EngineConfig::new(server.parse().unwrap(), "agent@example.com", data_dir);
    config.keychain = false;
    config.timings = fast_timings();
    let engine = Engine::open(config).await.unwrap();
    engine.login("password").await.unwrap();
    engine
}

/// Waits for a change matching `pred`, failing after `secs`.
pub async fn wait_change(
    rx: &mut broadcast::Receiver<Change>,
    secs: u64,
    what: &str,
    mut pred: impl FnMut(&Change) -> bool,
) -> Change {
    tokio::time::timeout(Duration::from_secs(secs), async {
        loop {
            match rx.recv().await {
                Ok(c) if pred(&c) => return c,
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(e) => panic!("change stream ended: {e}"),
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no {what} within {secs} s"))
}

/// Waits until the engine's link state satisfies `pred`.
pub async fn wait_state(engine: &Engine, secs: u64, what: &str, pred: impl Fn(&ConnectionState) -> bool) {
    let mut rx = engine.subscribe();
    if pred(&engine.connection_state()) {
        return;
    }
    wait_change(
        &mut rx,
        secs,
        what,
        |c| matches!(c, Change::Connection { state } if pred(state)),
    )
    .await;
}

/// Logs in over HTTP; returns the token.
pub async fn token(hub: &str) -> String {
    let v: Value = reqwest::Client::new()
        .post(format!("{hub}/v2/auth/login"))
        .json(&json!({"email": "agent@example.com", "password": "password"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["token"].as_str().unwrap().to_owned()
}
