//! The `switchboard-hub` command: runs the reference backend until SIGINT or
//! SIGTERM, then shuts down gracefully.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use clap::Parser;
use switchboard_hub::{DemoConfig, HubConfig, Limits};

/// Switchboard's reference chat backend (PROTOCOL.md v2.1).
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Address to listen on (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:4800", env = "SWITCHBOARD_HUB_BIND")]
    bind: SocketAddr,
    /// SQLite database file (created if missing).
    #[arg(long, default_value = "switchboard-hub.db", env = "SWITCHBOARD_HUB_DB")]
    db: PathBuf,
    /// Keep everything in memory instead of a file.
    #[arg(long, conflicts_with = "db")]
    in_memory: bool,
    /// Secret that signs agent tokens (default: generated, kept in the database).
    #[arg(long, env = "SWITCHBOARD_JWT_SECRET", hide_env_values = true)]
    jwt_secret: Option<String>,
    /// Lifetime of an agent token, in seconds.
    #[arg(long, default_value_t = 12 * 3600)]
    token_ttl_secs: u64,
    /// Do not create the demo agents in an empty hub.
    #[arg(long)]
    no_demo_agents: bool,
    /// Run simulated visitors that open chats and write.
    #[arg(long)]
    demo: bool,
    /// Simulated chats per minute (with --demo).
    #[arg(long, default_value_t = 2.0)]
    demo_rate: f64,
    /// Chats opened at once when the demo starts.
    #[arg(long, default_value_t = 3)]
    demo_initial: usize,
    /// Multiplies the simulated visitors' pauses (0.1 = ten times faster).
    #[arg(long, default_value_t = 1.0)]
    demo_pace: f64,
    /// Longest message content, in characters.
    #[arg(long, default_value_t = switchboard_protocol::MAX_CONTENT_CHARS)]
    max_content_chars: usize,
    /// Largest upload, in bytes.
    #[arg(long, default_value_t = switchboard_protocol::DEFAULT_MAX_UPLOAD_BYTES)]
    max_upload_bytes: u64,
    /// Messages per second one sender may post (0: no limit).
    #[arg(long, default_value_t = 50)]
    rate_limit: u32,
    /// Packets buffered per socket before it is disconnected to resync.
    #[arg(long, default_value_t = 65_536)]
    socket_buffer: usize,
    /// The protocol to speak: v2.1, or v2 to stand in for a plain v2 backend
    /// (no capabilities, transfer, tags, canned responses, history, read
    /// sync, internal typing or assignment).
    #[arg(long, default_value = "v2.1", env = "SWITCHBOARD_HUB_PROTOCOL")]
    protocol: switchboard_hub::Protocol,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,tower_http=warn,socketioxide=warn,engineioxide=warn".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let args = Args::parse();
    let config = HubConfig {
        bind: args.bind,
        db: (!args.in_memory).then_some(args.db),
        jwt_secret: args.jwt_secret,
        token_ttl: Duration::from_secs(args.token_ttl_secs),
        demo_agents: !args.no_demo_agents,
        demo: args.demo.then_some(DemoConfig {
            chats_per_minute: args.demo_rate,
            initial_chats: args.demo_initial,
            pace: args.demo_pace,
            ..DemoConfig::default()
        }),
        limits: Limits {
            max_content_chars: args.max_content_chars,
            max_upload_bytes: args.max_upload_bytes,
            rate_limit_per_sec: args.rate_limit,
        },
        socket_buffer: args.socket_buffer,
        protocol: args.protocol,
    };
    let hub = match switchboard_hub::start(config).await {
        Ok(hub) => hub,
        Err(e) => {
            tracing::error!("{e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    // Signal handlers first: a SIGTERM right after the ready line is graceful.
    let signal = shutdown_signal();
    // One machine-readable line on stdout, for scripts and tests.
    #[allow(clippy::print_stdout)]
    {
        println!("switchboard-hub listening on {}", hub.url());
    }
    tracing::info!("agents: log in at {0}; visitors: open {0}/widget", hub.url());
    signal.await;
    tracing::info!("shutting down");
    hub.shutdown().await;
    std::process::ExitCode::SUCCESS
}

/// Installs the SIGINT/SIGTERM handlers now; the future resolves on either.
#[cfg(unix)]
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).expect("installing a SIGTERM handler");
    let mut int = signal(SignalKind::interrupt()).expect("installing a SIGINT handler");
    async move {
        tokio::select! {
            _ = int.recv() => {},
            _ = term.recv() => {},
        }
    }
}

/// Installs the console handlers now; the future resolves on Ctrl+C,
/// Ctrl+Break, the console window closing, or the user logging off or the
/// system shutting down (Windows gives a handler a few seconds for these).
#[cfg(windows)]
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    use tokio::signal::windows;
    let mut c = windows::ctrl_c().expect("installing a Ctrl+C handler");
    let mut brk = windows::ctrl_break().expect("installing a Ctrl+Break handler");
    let mut close = windows::ctrl_close().expect("installing a console-close handler");
    let mut logoff = windows::ctrl_logoff().expect("installing a log-off handler");
    let mut shutdown = windows::ctrl_shutdown().expect("installing a shutdown handler");
    async move {
        tokio::select! {
            _ = c.recv() => {},
            _ = brk.recv() => {},
            _ = close.recv() => {},
            _ = logoff.recv() => {},
            _ = shutdown.recv() => {},
        }
    }
}

/// Resolves on Ctrl+C.
#[cfg(not(any(unix, windows)))]
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}
