//! `switchboard-hub`: the reference backend of PROTOCOL.md (axum +
//! socketioxide, SQLite by default). It is the demo server, the test server
//! and a library the desktop app starts in-process for "Try the demo".
//!
//! ```no_run
//! # async fn run() -> Result<(), switchboard_hub::HubError> {
//! let hub = switchboard_hub::start(switchboard_hub::HubConfig::default()).await?;
//! println!("hub on http://{}", hub.addr());
//! hub.shutdown().await;
//! # Ok(()) }
//! ```

pub mod auth;
pub mod core;
pub mod demo;
pub mod error;
pub mod http;
pub mod realtime;
pub mod store;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod validate;
pub mod widget;

use std::{net::SocketAddr, path::PathBuf, sync::Arc, time::Duration};

use socketioxide::SocketIo;
use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};

pub use crate::{
    core::{Core, Limits, Protocol},
    demo::DemoConfig,
    error::{ApiError, HubError},
};

/// The demo agents' password (they are created only in a hub with no agents).
pub const DEMO_PASSWORD: &str = "password";
/// The demo agents' e-mails.
pub const DEMO_AGENTS: [(&str, &str); 2] = [
    ("Alex Agent", "agent@example.com"),
    ("Sam Second", "agent2@example.com"),
];

/// How to run a hub.
#[derive(Debug, Clone)]
pub struct HubConfig {
    /// Address to listen on (`127.0.0.1:4800` by default; port 0 picks one).
    pub bind: SocketAddr,
    /// The SQLite file; `None` keeps everything in memory.
    pub db: Option<PathBuf>,
    /// Secret that signs agent tokens; `None` uses one generated and kept in
    /// the database, so tokens survive a restart.
    pub jwt_secret: Option<String>,
    /// Lifetime of an agent token.
    pub token_ttl: Duration,
    /// Create the two demo agents in a hub that has no agents.
    pub demo_agents: bool,
    /// Simulated visitors, if any.
    pub demo: Option<DemoConfig>,
    /// Limits on content, uploads and rate.
    pub limits: Limits,
    /// Packets buffered per socket before it counts as lagging (and is
    /// disconnected to resync, never silently skipped).
    pub socket_buffer: usize,
    /// v2.1 (the default), or a plain v2 backend for testing consoles.
    pub protocol: Protocol,
}

impl Default for HubConfig {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 4800)),
            db: None,
            jwt_secret: None,
            token_ttl: Duration::from_secs(12 * 3600),
            demo_agents: true,
            demo: None,
            limits: Limits::default(),
            socket_buffer: 65_536,
            protocol: Protocol::default(),
        }
    }
}

/// A hub that is serving.
#[derive(Debug)]
pub struct RunningHub {
    addr: SocketAddr,
    core: Arc<Core>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<(), HubError>>,
}

impl RunningHub {
    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its base URL, `http://host:port`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The shared state (for in-process tools and tests).
    pub fn core(&self) -> &Arc<Core> {
        &self.core
    }

    /// Stops accepting, closes every socket, and waits for the server to end.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
    }

    /// Waits until the server ends by itself (an I/O failure).
    pub async fn wait(mut self) -> Result<(), HubError> {
        match (&mut self.task).await {
            Ok(r) => r,
            Err(e) => Err(HubError::Serve(std::io::Error::other(e))),
        }
    }
}

/// Opens the store, binds, and serves in the background.
pub async fn start(config: HubConfig) -> Result<RunningHub, HubError> {
    let store = match &config.db {
        Some(path) => store::Store::open(path)?,
        None => store::Store::open_in_memory()?,
    };
    let secret = match &config.jwt_secret {
        Some(s) => s.as_bytes().to_vec(),
        None => store.setting_or_init("jwt_secret", || rand::random::<[u8; 32]>().to_vec())?,
    };
    let tokens = auth::Tokens::new(&secret, config.token_ttl.as_secs() as i64);

    let (sio_layer, io) = SocketIo::builder()
        .max_buffer_size(config.socket_buffer.max(128))
        .max_payload(1024 * 1024)
        .build_layer();
    let core = Arc::new(Core::new(
        store,
        io.clone(),
        tokens,
        config.limits,
        config.protocol,
    ));
    realtime::register(&io, core.clone());

    if config.demo_agents && core.db().agent_count()? == 0 {
        for (name, email) in DEMO_AGENTS {
            core.create_agent(name, email, DEMO_PASSWORD)
                .map_err(|e| HubError::Serve(std::io::Error::other(e.message)))?;
        }
        tracing::info!(
            "no agents in this hub: created demo agents {} and {} (password \"{DEMO_PASSWORD}\")",
            DEMO_AGENTS[0].1,
            DEMO_AGENTS[1].1
        );
    }

    let app = http::router(core.clone())
        .layer(sio_layer)
        .layer(tower_http::trace::TraceLayer::new_for_http());
    let listener = TcpListener::bind(config.bind)
        .await
        .map_err(|source| HubError::Bind {
            addr: config.bind.to_string(),
            source,
        })?;
    let addr = listener.local_addr().map_err(HubError::Serve)?;

    if config.demo.is_some() {
        demo::seed(&core).map_err(|e| HubError::Serve(std::io::Error::other(e.message)))?;
    }
    let demo = config.demo.map(|d| demo::spawn(core.clone(), d));
    let ticker = {
        let core = core.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_secs(30));
            loop {
                every.tick().await;
                core.refresh_stats();
            }
        })
    };

    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let io_for_close = io.clone();
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
                if let Some(d) = demo {
                    d.abort();
                }
                ticker.abort();
                io_for_close.close().await;
            })
            .await;
        served.map_err(HubError::Serve)
    });
    tracing::info!(%addr, "hub listening");
    Ok(RunningHub {
        addr,
        core,
        stop: Some(stop),
        task,
    })
}
