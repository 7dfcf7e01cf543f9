//! What only the engine's tests need: engines with short timings, and
//! waits on their changes and link state. The hub, visitors, logins and the
//! cutting proxy come from the workspace's one kit,
//! `switchboard_hub::testkit`.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::{path::Path, time::Duration};

use switchboard_engine::{Change, ConnectionState, Engine, EngineConfig, LinkTimings};
use tokio::sync::broadcast;

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
    engine_as(server, data_dir, "agent@example.com").await
}

/// [`engine`] for another demo agent.
pub async fn engine_as(server: &str, data_dir: &Path, email: &str) -> Engine {
    init_tracing();
    let mut config = EngineConfig::new(server.parse().unwrap(), email, data_dir);
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
