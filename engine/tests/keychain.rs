//! The token in the OS keychain for real, on Windows: keyring's
//! windows-native store, which is the Credential Manager (Wine's, when these
//! tests run under Wine from `scripts/test`). Signing in puts the token there
//! and nowhere on disk, the next start resumes from it, signing out removes
//! it. On Linux the same path is covered against a real Secret Service by the
//! app's end-to-end keychain test (`tests/e2e.rs`), which needs a D-Bus
//! session of its own.
#![cfg(windows)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{fast_timings, init_tracing, wait_state};
use switchboard_engine::{ConnectionState, Engine, EngineConfig, keychain_account};
use switchboard_hub::testkit::{TempDir, TestHub};

fn config(server: &str, data: &std::path::Path) -> EngineConfig {
    let mut config = EngineConfig::new(server.parse().unwrap(), "agent@example.com", data);
    config.keychain = true;
    config.timings = fast_timings();
    config
}

/// The credential itself, read straight from the Credential Manager.
fn stored(server: &str) -> Option<String> {
    let account = keychain_account(&server.parse().unwrap(), "agent@example.com");
    match keyring::Entry::new("switchboard", &account)
        .unwrap()
        .get_password()
    {
        Ok(t) => Some(t),
        Err(keyring::Error::NoEntry) => None,
        Err(e) => panic!("the Credential Manager failed: {e}"),
    }
}

/// Every byte under `dir`, to look for the token in.
fn all_bytes(dir: &std::path::Path) -> Vec<u8> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(all_bytes(&path));
        } else {
            out.extend(std::fs::read(&path).unwrap());
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_lives_in_the_credential_manager_and_sign_out_removes_it() {
    init_tracing();
    let hub = TestHub::start().await;
    let server = hub.url();
    let data = TempDir::new("keychain");
    assert_eq!(stored(&server), None, "a fresh hub port has no credential yet");

    let engine = Engine::open(config(&server, data.path())).await.unwrap();
    assert!(!engine.has_session());
    engine.login("password").await.unwrap();
    assert!(
        engine.token_in_keychain(),
        "the Credential Manager took the token"
    );
    let token = stored(&server).expect("a credential under service switchboard");
    assert!(token.len() > 20, "a real token: {} chars", token.len());
    engine.shutdown().await;
    drop(engine);

    // Nothing on disk holds it.
    let bytes = all_bytes(data.path());
    assert!(
        !bytes.windows(token.len()).any(|w| w == token.as_bytes()),
        "the token is in a file under the data directory"
    );

    // The next start resumes from the keychain and the token works.
    let engine = Engine::open(config(&server, data.path())).await.unwrap();
    assert!(engine.has_session(), "resumed from the Credential Manager");
    engine.start();
    wait_state(&engine, 30, "online with the stored token", |s| {
        matches!(s, ConnectionState::Online)
    })
    .await;

    // Signing out removes it; the start after that has no session.
    engine.logout().await.unwrap();
    assert_eq!(stored(&server), None, "sign-out removed the credential");
    engine.shutdown().await;
    drop(engine);
    let engine = Engine::open(config(&server, data.path())).await.unwrap();
    assert!(!engine.has_session());
    engine.shutdown().await;
}
