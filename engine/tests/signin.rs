//! A sign-in's failures, each caused for real and told apart: a wrong
//! password, nothing listening, a name that does not resolve, TLS to a
//! plain-HTTP server, a web page or foreign JSON where a Switchboard server
//! should be, and a failing server.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use switchboard_engine::{Engine, EngineConfig, EngineError};
use switchboard_hub::testkit::{TempDir, TestHub};
use switchboard_model::ipc::{CommandError, ErrorCode};
use tokio::{io::AsyncWriteExt, net::TcpListener};

/// A loopback server that answers every request with this status, type and
/// body, then closes. Returns its URL.
async fn answering(status: &'static str, content_type: &'static str, body: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            tokio::spawn(async move {
                // Read the request head (enough for this test's small requests).
                let mut buf = [0u8; 4096];
                let _ = tokio::io::AsyncReadExt::read(&mut conn, &mut buf).await;
                let answer = format!(
                    "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = conn.write_all(answer.as_bytes()).await;
                let _ = conn.shutdown().await;
            });
        }
    });
    url
}

async fn sign_in(server: &str, password: &str) -> Result<(), EngineError> {
    common::init_tracing();
    let data = TempDir::new("signin");
    let mut config = EngineConfig::new(server.parse().unwrap(), "agent@example.com", data.path());
    config.keychain = false;
    let engine = Engine::open(config).await.unwrap();
    let result = engine.login(password).await.map(|_| ());
    engine.shutdown().await;
    result
}

/// What reaches the UI: the code, and a message that carries nothing the
/// other side sent.
async fn failure(server: &str) -> CommandError {
    let e = sign_in(server, "password").await.expect_err("the sign-in fails");
    CommandError::from(e)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_way_a_sign_in_fails_has_its_own_code() {
    let mut hub = TestHub::start().await;
    assert!(matches!(
        sign_in(&hub.url(), "wrong").await,
        Err(EngineError::WrongCredentials)
    ));
    assert!(sign_in(&hub.url(), "password").await.is_ok());

    // TLS to a plain-HTTP server.
    let tls = hub.url().replace("http://", "https://");
    let e = failure(&tls).await;
    assert_eq!(e.code, ErrorCode::Tls, "{e:?}");

    // A web page, whatever its status: not a Switchboard server, and its
    // text is never passed on.
    let page = "<html><body>Welcome to nginx!</body></html>";
    for status in ["200 OK", "401 Unauthorized", "400 Bad Request"] {
        let e = failure(&answering(status, "text/html", page).await).await;
        assert_eq!(e.code, ErrorCode::Incompatible, "{status}: {e:?}");
        assert!(!e.message.contains("nginx"), "{e:?}");
    }
    let foreign = answering("200 OK", "application/json", r#"{"ok":true,"user":"x"}"#).await;
    assert_eq!(failure(&foreign).await.code, ErrorCode::Incompatible);
    let no_route = answering(
        "404 Not Found",
        "application/json",
        r#"{"statusCode":404,"message":"Cannot POST"}"#,
    )
    .await;
    assert_eq!(failure(&no_route).await.code, ErrorCode::Incompatible);

    // A failing server (a proxy's 502 page): a server error, not "not Switchboard".
    let failing = answering("502 Bad Gateway", "text/html", "<h1>502</h1>").await;
    let e = failure(&failing).await;
    assert_eq!(e.code, ErrorCode::ServerFailed, "{e:?}");
    assert!(!e.message.contains("<h1>"), "{e:?}");

    // Nothing listening: the hub is stopped, its port closed.
    let url = hub.url();
    hub.stop().await;
    assert_eq!(failure(&url).await.code, ErrorCode::Unreachable);

    // A name that does not resolve (`.invalid` never does).
    assert_eq!(
        failure("http://no-such-host.invalid:4800").await.code,
        ErrorCode::UnknownHost
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_that_expires_says_so_at_once_and_a_new_sign_in_resumes() {
    use switchboard_engine::ConnectionState;
    let dir = TempDir::new("expiry");
    let mut config = TestHub::config(dir.path());
    config.token_ttl = std::time::Duration::from_secs(3);
    let mut hub = TestHub::start_with(config).await;
    let data = TempDir::new("expiry-engine");
    let e = common::engine(&hub.url(), data.path()).await;
    e.start();
    common::wait_state(&e, 10, "online", |s| *s == ConnectionState::Online).await;
    // Nothing is sent or refused: the token's own expiry ends the session.
    common::wait_state(&e, 10, "sign-in needed", |s| *s == ConnectionState::NeedsLogin).await;
    assert!(!e.has_session(), "the expired token is dropped");
    e.login("password").await.unwrap();
    common::wait_state(&e, 10, "online again", |s| *s == ConnectionState::Online).await;
    e.shutdown().await;
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_sync_is_history_and_the_next_catch_up_counts_what_came_meanwhile() {
    use switchboard_engine::{Change, ConnectionState};
    use switchboard_hub::testkit::Visitor;
    let mut hub = TestHub::start().await;
    let v = Visitor::opens_chat(&hub.url(), "Hana", "hola").await;
    v.say("¿alguien?").await;
    let data = TempDir::new("first-sync");
    let e = common::engine(&hub.url(), data.path()).await;
    let mut changes = e.subscribe();
    e.start();
    let first = common::wait_change(&mut changes, 10, "the first catch-up", |c| {
        matches!(c, Change::CaughtUp { .. })
    })
    .await;
    assert!(
        matches!(first, Change::CaughtUp { messages: 0, .. }),
        "history, not news: {first:?}"
    );
    // Away (the engine stopped, as a laptop closed): two messages come.
    e.shutdown().await;
    v.say("sigo aquí").await;
    v.say("¿hola?").await;
    e.start();
    common::wait_state(&e, 10, "online again", |s| *s == ConnectionState::Online).await;
    let next = common::wait_change(&mut changes, 20, "the catch-up after the outage", |c| {
        matches!(c, Change::CaughtUp { .. })
    })
    .await;
    let held: Vec<String> = e
        .history(&v.chat_id)
        .unwrap()
        .into_iter()
        .map(|m| m.content)
        .collect();
    assert!(
        matches!(
            next,
            Change::CaughtUp {
                messages: 2,
                chats: 1
            }
        ),
        "what came meanwhile: {next:?}; held {held:?}"
    );
    e.shutdown().await;
    hub.stop().await;
}
