//! End-to-end, around the conversation: the queue, the bell, accepting,
//! closing, the presence control, a narrow window, failed messages,
//! sign-in errors, the session's end and search. The built app in its real
//! webview under Xvfb against the real hub (see `tests/e2e.rs`).

use serde_json::Value;
use switchboard_hub::testkit::{self, Visitor};
use thirtyfour::prelude::*;

#[path = "common/app.rs"]
mod app;
mod common;
use app::{App, row, signed_in_app};
use common::{POLL, TIMEOUT};

/// Runs `script` in the page and returns what it returned.
async fn js(app: &App, script: &str) -> Value {
    app.driver
        .execute(script, vec![])
        .await
        .unwrap_or_else(|e| panic!("script {script}: {e}"))
        .json()
        .clone()
}

/// Waits until `script` returns `true`.
async fn js_until(app: &App, what: &str, script: &str) {
    let seen = common::poll_until(TIMEOUT, POLL, || async {
        match app.driver.execute(script, vec![]).await {
            Ok(v) if v.json().as_bool() == Some(true) => Ok(()),
            Ok(v) => Err(v.json().to_string()),
            Err(e) => Err(e.to_string()),
        }
    })
    .await;
    if let Err(last) = seen {
        app.fail(&format!("{what}: last {last}")).await;
    }
}

/// Presses a key where the focus is.
async fn press(app: &App, key: Key) {
    app.driver
        .action_chain()
        .send_keys(key)
        .perform()
        .await
        .expect("a key press");
}

/// Clicks Close chat and waits for its question, the focus on its answer.
async fn ask_to_close(app: &App) {
    app.el("#close-chat").await.click().await.expect("close");
    app.el("#confirm-close").await;
    js_until(
        app,
        "the confirm button has the focus",
        &focused("confirm-close-confirm"),
    )
    .await;
}

/// A script: whether the element with this id has the focus.
fn focused(id: &str) -> String {
    format!("return !!document.activeElement && document.activeElement.id === '{id}';")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_queue_the_bell_accepting_and_closing_work_as_an_agent_expects() {
    let Some((_turn, mut hub, app)) = signed_in_app().await else {
        return;
    };
    // Two visitors wait: the first to come is first in the queue, with
    // how long they have waited.
    let first = Visitor::opens_chat(&hub.url(), "Ana Primera", "Hola, llevo un rato").await;
    let second = Visitor::opens_chat(&hub.url(), "Bruno Segundo", "Buenas").await;
    app.el("#tab-queue").await.click().await.expect("queue tab");
    app.count_until("#chat-list .chat-row", 2).await;
    let order = js(
        &app,
        "return [...document.querySelectorAll('#chat-list .chat-row')].map(r => r.dataset.chatId);",
    )
    .await;
    assert_eq!(
        order,
        serde_json::json!([first.chat_id, second.chat_id]),
        "longest wait first"
    );
    // Bruno writes again: activity does not move him ahead of Ana.
    second.say("¿Hola?").await;
    app.attr_until(&row(&second.chat_id), "data-unread", "2").await;
    let order = js(
        &app,
        "return [...document.querySelectorAll('#chat-list .chat-row')].map(r => r.dataset.chatId);",
    )
    .await;
    assert_eq!(order[0], serde_json::json!(first.chat_id), "{order}");
    app.text_until(&format!("{} .when", row(&first.chat_id)), "a waiting time", |t| {
        t == "waiting <1 min"
    })
    .await;
    app.attr_until(&row(&first.chat_id), "data-long-wait", "false")
        .await;
    app.screenshot("workday-queue.png").await;

    // The bell: each new chat is an entry; opening one opens its chat and
    // reads it; "mark all read" reads the rest.
    app.text_until("#bell .badge", "two notifications", |t| t == "2")
        .await;
    app.el("#bell").await.click().await.expect("bell");
    let entry = app
        .driver
        .query(By::XPath(
            "//li[@data-notification][contains(., 'Bruno Segundo')]",
        ))
        .wait(TIMEOUT, POLL)
        .first()
        .await
        .expect("Bruno's notification");
    entry.click().await.expect("open it");
    app.attr_until("#conversation-title", "data-chat", &second.chat_id)
        .await;
    app.count_until("#notifications", 0).await;
    app.text_until("#bell .badge", "one left", |t| t == "1").await;
    app.el("#bell").await.click().await.expect("bell again");
    app.count_until("#notifications li.unread", 1).await;
    app.el("#notifications-read-all")
        .await
        .click()
        .await
        .expect("mark all read");
    app.count_until("#notifications li.unread", 0).await;
    app.count_until("#bell .badge", 0).await;
    app.el("#bell").await.click().await.expect("close the bell");

    // Accepting puts the cursor in the composer.
    app.el("#accept").await.click().await.expect("accept");
    app.attr_until("#tab-mine", "aria-selected", "true").await;
    js_until(&app, "the composer has the focus", &focused("composer-input")).await;
    app.write("Hola Bruno, te atiendo yo.").await;
    app.text_until(".bubble.me .content", "my reply", |t| {
        t == "Hola Bruno, te atiendo yo."
    })
    .await;
    // So does opening a chat from the inbox.
    app.open_chat(&first.chat_id).await;
    js_until(
        &app,
        "the composer has the focus after opening",
        &focused("composer-input"),
    )
    .await;
    app.open_chat(&second.chat_id).await;

    // Close asks first: Esc keeps the chat open, Enter closes it, and the
    // system line reads as a person would write it.
    ask_to_close(&app).await;
    app.screenshot("workday-confirm-close.png").await;
    press(&app, Key::Escape).await;
    app.count_until("#confirm-close", 0).await;
    ask_to_close(&app).await;
    press(&app, Key::Enter).await;
    app.text_until(".bubble.system .system-text", "the system line", |t| {
        t == "Alex Agent closed the chat"
    })
    .await;
    app.count_until("#close-chat", 0).await;
    let closed = testkit::history(
        &hub.url(),
        &testkit::demo_token(&hub.url()).await,
        &second.chat_id,
    )
    .await;
    assert!(
        closed.iter().any(|m| m.content == "Alex Agent closed the chat"),
        "on the hub too"
    );

    // A narrow window: the conversation keeps the width, the visitor
    // panel is a drawer over it, closed with its ✕.
    app.driver
        .set_window_rect(0, 0, 900, 600)
        .await
        .expect("a 900×600 window");
    js_until(&app, "the window is narrow", "return window.innerWidth <= 900;").await;
    app.open_chat(&first.chat_id).await;
    let width = js(
        &app,
        "return document.querySelector('.conversation').getBoundingClientRect().width;",
    )
    .await;
    let width = width.as_f64().expect("a width");
    assert!(
        width >= 0.6 * 900.0,
        "the conversation keeps most of the width: {width}"
    );
    let drawer = js(&app, "const p = document.getElementById('visitor-panel'); return p ? getComputedStyle(p).position : 'closed';").await;
    assert!(
        drawer == "absolute" || drawer == "closed",
        "a drawer, not a column: {drawer}"
    );
    if drawer == "closed" {
        app.el("button[title='Visitor details']")
            .await
            .click()
            .await
            .expect("open the drawer");
    }
    app.el("#close-drawer")
        .await
        .click()
        .await
        .expect("close the drawer");
    app.count_until("#visitor-panel", 0).await;
    app.screenshot("workday-narrow.png").await;
    app.driver
        .set_window_rect(0, 0, 1280, 800)
        .await
        .expect("back to wide");

    // The presence control says the link is down rather than going blank.
    app.value_until("#presence", "online").await;
    hub.stop().await;
    app.value_until("#presence", "offline").await;
    app.text_until("#presence option:checked", "it says so", |t| t == "Offline")
        .await;
    app.quit().await;
}

/// A loopback server answering every request with a web page.
fn web_page_server() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    std::thread::spawn(move || {
        use std::io::{Read, Write};
        for mut conn in listener.incoming().flatten() {
            let mut buf = [0u8; 8192];
            let _ = conn.read(&mut buf);
            let page = "<html><body><h1>Welcome to nginx!</h1></body></html>";
            let _ = write!(
                conn,
                "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{page}",
                page.len()
            );
        }
    });
    url
}

/// A loopback server that accepts and never answers.
fn silent_server() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    std::thread::spawn(move || {
        let held: Vec<_> = listener.incoming().flatten().collect();
        drop(held);
    });
    url
}

/// Fills the sign-in form and submits it.
async fn submit_sign_in(app: &App, server: &str, password: &str) {
    for (id, value) in [
        ("#server", server),
        ("#email", "agent@example.com"),
        ("#password", password),
    ] {
        let field = app.el(id).await;
        field.clear().await.expect("clear");
        field.send_keys(value).await.expect("type");
    }
    app.el("#signin").await.click().await.expect("sign in");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_are_said_plainly_and_what_failed_can_be_mended() {
    let Some(_turn) = app::one_app_at_a_time().await else {
        return;
    };
    // A hub that takes replies of 5 characters at most.
    let dir = testkit::TempDir::new("workday-failures");
    let mut strict = testkit::TestHub::config(dir.path());
    strict.limits.max_content_chars = 5;
    let mut hub = testkit::TestHub::start_with(strict).await;
    let app = App::launch(&[]).await;

    // Sign-in errors, told apart, never a page's own text.
    submit_sign_in(&app, &web_page_server(), "password").await;
    let said = app
        .text_until("#signin-error", "not a Switchboard server", |t| {
            t.contains("not a Switchboard server")
        })
        .await;
    assert!(!said.contains("nginx"), "{said}");
    app.screenshot("workday-signin-error.png").await;
    submit_sign_in(&app, &hub.url(), "wrong").await;
    app.text_until("#signin-error", "wrong password", |t| {
        t == "Wrong e-mail or password."
    })
    .await;
    // A server that never answers: Cancel ends the wait at once.
    submit_sign_in(&app, &silent_server(), "password").await;
    app.el("#signin-cancel").await.click().await.expect("cancel");
    app.count_until("#signin-cancel", 0).await;
    app.count_until("#signin-error", 0).await;
    js_until(
        &app,
        "the form is ready again",
        "return !document.getElementById('signin').disabled;",
    )
    .await;
    app.sign_in(&hub.url()).await;

    // A reply the server refuses: the chat's row says so; Edit brings the
    // text back to the composer, Discard drops it after asking.
    let rosa = Visitor::opens_chat(&hub.url(), "Rosa", "hola").await;
    app.open_chat(&rosa.chat_id).await;
    app.el("#accept").await.click().await.expect("accept");
    app.attr_until("#composer", "data-mode", "reply").await;
    app.write("demasiado largo").await;
    app.attr_until(".bubble.me", "data-status", "status-failed").await;
    app.attr_until(&row(&rosa.chat_id), "data-failed", "1").await;
    app.text_until(
        &format!("{} .failed-mark", row(&rosa.chat_id)),
        "the row says it failed",
        |t| t.contains("Not sent"),
    )
    .await;
    app.screenshot("workday-failed.png").await;
    app.el(".bubble.me .edit-failed")
        .await
        .click()
        .await
        .expect("edit");
    app.value_until("#composer-input", "demasiado largo").await;
    app.count_until(".bubble.me", 0).await;
    app.attr_until(&row(&rosa.chat_id), "data-failed", "0").await;
    let input = app.el("#composer-input").await;
    input.clear().await.expect("clear");
    app.write("ok").await;
    app.attr_until(".bubble.me", "data-status", "status-sent").await;
    app.write("otra vez largo").await;
    app.attr_until(".bubble.me:last-of-type", "data-status", "status-failed")
        .await;
    app.el(".bubble.me .discard-failed")
        .await
        .click()
        .await
        .expect("discard");
    app.el("#confirm-discard").await;
    js_until(&app, "Discard has the focus", &focused("confirm-discard-confirm")).await;
    app.driver
        .action_chain()
        .send_keys(Key::Enter)
        .perform()
        .await
        .expect("Enter");
    app.count_until(".bubble.me", 1).await;
    app.attr_until(&row(&rosa.chat_id), "data-failed", "0").await;
    let on_hub = rosa.sees().await;
    assert!(on_hub.iter().any(|m| m.content == "ok"));
    assert!(
        !on_hub.iter().any(|m| m.content.contains("largo")),
        "nothing refused arrived"
    );

    // Offline, an action applies here at once and waits in the outbox; the
    // toast says so, off the composer, and goes when the link is back and
    // the server has it.
    hub.stop().await;
    app.attr_until("#connection", "data-state", "reconnecting").await;
    app.el("#close-chat").await.click().await.expect("close");
    app.el("#confirm-close-confirm")
        .await
        .click()
        .await
        .expect("confirm");
    app.text_until("#toast span", "the queued close", |t| {
        t == "Closed here. The server gets it once the connection is back."
    })
    .await;
    let apart = js(
        &app,
        "const t = document.getElementById('toast').getBoundingClientRect();
         const c = document.getElementById('composer').getBoundingClientRect();
         return t.bottom <= c.top || t.top >= c.bottom || t.right <= c.left || t.left >= c.right;",
    )
    .await;
    assert_eq!(
        apart,
        Value::Bool(true),
        "the toast covers no part of the composer"
    );
    app.screenshot("workday-toast.png").await;
    hub.restart().await;
    app.attr_until("#connection", "data-state", "online").await;
    app.count_until("#toast", 0).await;
    let token = testkit::demo_token(&hub.url()).await;
    let mut closed = false;
    for _ in 0..100 {
        let lines = testkit::history(&hub.url(), &token, &rosa.chat_id).await;
        if lines.iter().any(|m| m.content.ends_with("closed the chat")) {
            closed = true;
            break;
        }
        tokio::time::sleep(POLL).await;
    }
    assert!(closed, "the close done offline reached the hub");

    // The session ends on time: the header says so at once, and Sign in
    // again opens the form filled in.
    hub.restart_with(|c| c.token_ttl = std::time::Duration::from_secs(4))
        .await;
    app.attr_until("#connection", "data-state", "online").await;
    app.el("#sign-out").await.click().await.expect("sign out");
    app.sign_in(&hub.url()).await;
    let expired = common::poll_until(std::time::Duration::from_secs(30), POLL, || async {
        match app.last("#connection").await {
            Some(e) => match e.attr("data-state").await.ok().flatten() {
                Some(s) if s == "needs-login" => Ok(()),
                other => Err(format!("{other:?}")),
            },
            None => Err("no header".to_owned()),
        }
    })
    .await;
    assert_eq!(expired, Ok(()), "the header says the session expired");
    app.text_until("#connection", "its words", |t| t == "Session expired")
        .await;
    app.screenshot("workday-expired.png").await;
    app.el("#sign-in-again")
        .await
        .click()
        .await
        .expect("sign in again");
    js_until(
        &app,
        "the server filled in",
        &format!(
            "return document.getElementById('server').value.startsWith('{}');",
            hub.url()
        ),
    )
    .await;
    app.value_until("#email", "agent@example.com").await;
    app.count_until("#toast", 0).await;
    app.quit().await;
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_finds_every_held_message_offline_and_opens_the_chat_at_it() {
    let Some(_turn) = app::one_app_at_a_time().await else {
        return;
    };
    let mut hub = testkit::TestHub::start_with_limits(switchboard_hub::Limits {
        rate_limit_per_sec: 0,
        ..Default::default()
    })
    .await;
    // The words to find come first, then 150 more: far out of the newest page.
    let lucia = Visitor::opens_chat(&hub.url(), "Lucía Fernández", "Mi pedido 4521 no ha llegado").await;
    for i in 0..150 {
        lucia.say(&format!("mensaje {i}")).await;
    }
    let other = Visitor::opens_chat(&hub.url(), "Marco", "Nada que ver").await;
    let app = App::launch(&[]).await;
    app.sign_in(&hub.url()).await;
    app.open_chat(&lucia.chat_id).await;
    app.el("#accept").await.click().await.expect("accept");
    app.attr_until("#composer", "data-mode", "reply").await;
    app.el("#mode-note").await.click().await.expect("note mode");
    app.write("VIP: revisar el envío del pedido 4521").await;
    app.attr_until(".bubble.me", "data-status", "status-sent").await;
    app.open_chat(&other.chat_id).await;

    // Offline: the index is local.
    hub.stop().await;
    app.attr_until("#connection", "data-state", "reconnecting").await;
    app.el("#composer-input")
        .await
        .send_keys(Key::Control + "f")
        .await
        .expect("Ctrl+F");
    let input = app.el("#search-input").await;
    input.send_keys("4521").await.expect("type");
    app.count_until("#search-results .search-hit", 2).await;
    let hits = js(
        &app,
        "return [...document.querySelectorAll('#search-results .search-hit')].map(h => ({
            text: h.querySelector('.hit-text').textContent,
            marked: [...h.querySelectorAll('mark')].map(m => m.textContent),
            head: h.querySelector('.hit-head').textContent }));",
    )
    .await;
    let hits = hits.as_array().expect("hits");
    // Newest first: my note, marked as one; then Lucía's message.
    assert!(
        hits[0]["head"]
            .as_str()
            .is_some_and(|h| h.contains("Internal note") && h.contains("You")),
        "{hits:?}"
    );
    assert_eq!(hits[0]["marked"], serde_json::json!(["4521"]));
    assert!(
        hits[1]["head"]
            .as_str()
            .is_some_and(|h| h.starts_with("Lucía Fernández")),
        "{hits:?}"
    );
    assert_eq!(hits[1]["text"], "Mi pedido 4521 no ha llegado");
    app.screenshot("workday-search.png").await;
    // Words match from their start; nothing found says so.
    input
        .send_keys(Key::Backspace + Key::Backspace + Key::Backspace + Key::Backspace)
        .await
        .expect("clear");
    input.send_keys("zzzz").await.expect("type");
    app.text_until("#search-none", "nothing found", |t| {
        t.contains("Nothing found for “zzzz”")
    })
    .await;
    input
        .send_keys(Key::Backspace + Key::Backspace + Key::Backspace + Key::Backspace)
        .await
        .expect("clear");
    input.send_keys("pedi").await.expect("type");
    app.count_until("#search-results .search-hit", 2).await;

    // Opening Lucía's message: her chat, at that message, highlighted, in view.
    app.driver
        .action_chain()
        .send_keys(Key::Down + Key::Enter)
        .perform()
        .await
        .expect("down, enter");
    app.count_until("#search", 0).await;
    app.attr_until("#conversation-title", "data-chat", &lucia.chat_id)
        .await;
    app.text_until(".bubble.found .content", "the message found", |t| {
        t == "Mi pedido 4521 no ha llegado"
    })
    .await;
    let in_view = common::poll_until(common::TIMEOUT, POLL, || async {
        if app.on_screen(".bubble.found").await {
            Ok(())
        } else {
            Err("not in view".to_owned())
        }
    })
    .await;
    assert_eq!(in_view, Ok(()), "the message found is in view");
    app.el("#jump-latest").await;
    app.screenshot("workday-search-opened.png").await;

    // Ctrl+K finds messages too, under the chats.
    app.el("#composer-input")
        .await
        .send_keys(Key::Control + "k")
        .await
        .expect("Ctrl+K");
    app.el("#switcher-input")
        .await
        .send_keys("envío")
        .await
        .expect("type");
    app.count_until("#switcher-messages .search-hit", 1).await;
    app.text_until("#switcher-messages mark", "the word marked", |t| t == "envío")
        .await;
    app.quit().await;
}

/// Sets a chat's tags on the hub, as a colleague's console would.
async fn tags_on_hub(hub: &testkit::TestHub, token: &str, chat_id: &str, tags: &[&str]) {
    let put = reqwest::Client::new()
        .put(format!("{}/v2/chats/{chat_id}/tags", hub.url()))
        .bearer_auth(token)
        .json(&serde_json::json!({"tags": tags}))
        .send()
        .await
        .expect("tags");
    assert!(put.status().is_success(), "{}", put.status());
}

/// Polls the hub, as `who`, until `chat_id`'s summary satisfies `pred`.
async fn on_hub_until(
    hub: &testkit::TestHub,
    token: &str,
    chat_id: &str,
    what: &str,
    pred: impl Fn(&switchboard_protocol::ChatSummary) -> bool,
) {
    let client = reqwest::Client::new();
    let seen = common::poll_until(TIMEOUT, POLL, || async {
        let list: switchboard_protocol::ChatList = client
            .get(format!("{}/v2/chats", hub.url()))
            .bearer_auth(token)
            .send()
            .await
            .map_err(|e| e.to_string())?
            .json()
            .await
            .map_err(|e| e.to_string())?;
        match list.chats.into_iter().find(|c| c.chat_id == chat_id) {
            Some(c) if pred(&c) => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    assert!(seen.is_ok(), "{what}: {seen:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chat_is_transferred_to_a_colleague_and_reopened_and_a_v2_server_offers_neither() {
    let Some((_turn, hub, app)) = signed_in_app().await else {
        return;
    };
    let sam = testkit::login(&hub.url(), "agent2@example.com", "password").await;
    let teresa = Visitor::open_from(
        &hub.url(),
        "Teresa Transfer",
        Some(switchboard_protocol::VisitorContext {
            page: Some("https://shop.example.com/es/pedidos/4521".into()),
            referrer: Some("https://www.google.com/".into()),
            user_agent: Some("Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0".into()),
            locale: Some("es-ES".into()),
            timezone: Some("Europe/Madrid".into()),
        }),
    )
    .await;
    teresa.say("hola, ¿me ayudáis?").await;
    // Tags and the visitor's context show: on the row, and in the panel.
    tags_on_hub(&hub, &sam.token, &teresa.chat_id, &["vip", "pedidos"]).await;
    app.count_until(&format!("{} .row-tags .tag", row(&teresa.chat_id)), 2)
        .await;
    app.open_chat(&teresa.chat_id).await;
    // Sam writes a note in it (his console's internal typing, as the hub
    // relays it to the agents' room): the timeline says so.
    hub.core().emit(
        vec![switchboard_protocol::commercial_room(&teresa.chat_id)],
        None,
        switchboard_protocol::server::USER_TYPING,
        &switchboard_protocol::TypingEvent {
            user_id: sam.agent.id.clone(),
            chat_id: teresa.chat_id.clone(),
            internal: true,
        },
    );
    app.text_until("#typing-line .typing-note", "Sam's note being written", |t| {
        t == "Sam Second is writing a note…"
    })
    .await;
    app.count_until("#visitor-tags .tag", 2).await;
    let context = app
        .text_until("#visitor-context", "the visitor's context", |t| {
            t.contains("Europe/Madrid")
        })
        .await;
    for part in [
        "https://shop.example.com/es/pedidos/4521",
        "es-ES",
        "Firefox · Linux",
        "google.com",
    ] {
        assert!(context.contains(part), "{part} in {context}");
    }
    app.el("#accept").await.click().await.expect("accept");
    app.attr_until("#composer", "data-mode", "reply").await;

    // Transfer: Sam is listed with presence and open chats.
    app.el("#transfer").await.click().await.expect("transfer");
    app.count_until("#transfer-menu .transfer-to", 1).await;
    let entry = app
        .text_until("#transfer-menu .transfer-to", "Sam in the list", |t| {
            t.contains("Sam Second")
        })
        .await;
    assert!(
        entry.contains("Offline") && entry.contains("0 open"),
        "presence and open chats: {entry}"
    );
    app.el("#transfer-queue").await;
    app.screenshot("workday-transfer.png").await;
    app.el("#transfer-menu .transfer-to")
        .await
        .click()
        .await
        .expect("to Sam");
    on_hub_until(&hub, &sam.token, &teresa.chat_id, "Sam holds it", |c| {
        c.assignee_id.as_deref() == Some(sam.agent.id.as_str())
    })
    .await;
    app.text_until(".bubble.system .system-text", "the transfer's line", |t| {
        t.contains("transferred the chat to Sam Second")
    })
    .await;
    // No longer mine: no Transfer for me, and it left Mine.
    app.count_until("#transfer", 0).await;
    let notes: switchboard_protocol::NotificationList = reqwest::Client::new()
        .get(format!("{}/v2/notifications", hub.url()))
        .bearer_auth(&sam.token)
        .send()
        .await
        .expect("notifications")
        .json()
        .await
        .expect("a list");
    assert!(
        notes
            .notifications
            .iter()
            .any(|n| n.title == "Chat transferred to you"),
        "Sam is told"
    );

    // Sam closes it; I reopen it: mine again.
    let closed = reqwest::Client::new()
        .post(format!("{}/v2/chats/{}/close", hub.url(), teresa.chat_id))
        .bearer_auth(&sam.token)
        .send()
        .await
        .expect("close");
    assert!(closed.status().is_success());
    app.el("#reopen").await.click().await.expect("reopen");
    let me = testkit::demo_token(&hub.url()).await;
    let alex = testkit::login(&hub.url(), "agent@example.com", "password")
        .await
        .agent
        .id;
    on_hub_until(&hub, &me, &teresa.chat_id, "reopened, mine", |c| {
        c.status == switchboard_protocol::ChatStatus::InProgress
            && c.assignee_id.as_deref() == Some(alex.as_str())
    })
    .await;
    app.count_until("#reopen", 0).await;
    app.el("#transfer").await;
    app.quit().await;

    // A plain v2 server: neither control.
    let dir = testkit::TempDir::new("workday-v2");
    let mut config = testkit::TestHub::config(dir.path());
    config.protocol = switchboard_hub::Protocol::V2;
    let v2 = testkit::TestHub::start_with(config).await;
    let vera = Visitor::opens_chat(&v2.url(), "Vera Dos", "hola").await;
    let app = App::launch(&[]).await;
    app.sign_in(&v2.url()).await;
    app.open_chat(&vera.chat_id).await;
    app.el("#accept").await.click().await.expect("accept");
    app.attr_until("#composer", "data-mode", "reply").await;
    app.count_until("#transfer", 0).await;
    // None of v2.1's other controls either: tags, earlier chats, the tag
    // filter, canned responses, capacity.
    app.el("#visitor-panel").await;
    for absent in ["#tag-editor", "#earlier-chats", "#earlier-none", "#tag-filter"] {
        app.count_until(absent, 0).await;
    }
    let input = app.el("#composer-input").await;
    input.send_keys("/").await.expect("slash");
    app.value_until("#composer-input", "/").await;
    app.count_until("#canned-picker", 0).await;
    input.clear().await.expect("clear");
    tap(&app, "#open-settings").await;
    app.el("#set-away-after").await;
    for absent in ["#canned-new", "#set-max-chats"] {
        app.count_until(absent, 0).await;
    }
    tap(&app, "#open-settings").await;
    app.count_until("#settings", 0).await;
    ask_to_close(&app).await;
    app.el("#confirm-close-confirm")
        .await
        .click()
        .await
        .expect("confirm");
    app.count_until("#close-chat", 0).await;
    app.count_until("#reopen", 0).await;
    app.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_canned_response_is_found_by_slash_filled_in_and_sent() {
    let Some((_turn, hub, app)) = signed_in_app().await else {
        return;
    };
    let token = testkit::demo_token(&hub.url()).await;
    for (shortcut, title, content) in [
        (
            "hola",
            "Saludo",
            "¡Hola, {{visitor.name|buenas}}! Soy {{agent.name}}.",
        ),
        (
            "correo",
            "Pedir el correo",
            "¿Me confirmas tu correo? Tengo {{visitor.email}}.",
        ),
        ("shipping", "Shipping times", "We ship in 3 to 5 days."),
    ] {
        let res = reqwest::Client::new()
            .post(format!("{}/v2/canned", hub.url()))
            .bearer_auth(&token)
            .json(&serde_json::json!({"shortcut": shortcut, "title": title, "content": content, "scope": "team"}))
            .send()
            .await
            .expect("canned");
        assert_eq!(res.status(), 201);
    }
    let carla = Visitor::opens_chat(&hub.url(), "Carla Canned", "hola").await;
    app.open_chat(&carla.chat_id).await;
    app.el("#accept").await.click().await.expect("accept");
    app.attr_until("#composer", "data-mode", "reply").await;
    let input = app.el("#composer-input").await;
    input.send_keys("/").await.expect("slash");
    app.count_until("#canned-picker .canned-option", 3).await;
    input.send_keys("hl").await.expect("query");
    app.count_until("#canned-picker .canned-option", 1).await;
    app.attr_until("#canned-picker .canned-option.selected", "data-shortcut", "hola")
        .await;
    app.screenshot("workday-canned.png").await;
    press(&app, Key::Enter).await;
    app.value_until("#composer-input", "¡Hola, Carla Canned! Soy Alex Agent.")
        .await;
    app.count_until("#canned-picker", 0).await;
    press(&app, Key::Enter).await;
    app.attr_until(".bubble.me", "data-status", "status-sent").await;
    let seen = carla.sees().await;
    assert!(
        seen.iter()
            .any(|m| m.content == "¡Hola, Carla Canned! Soy Alex Agent."),
        "the visitor got it filled in"
    );
    // A variable with no value and no fallback stays, visible, to edit.
    input.send_keys("/corr").await.expect("query");
    app.count_until("#canned-picker .canned-option", 1).await;
    press(&app, Key::Tab).await;
    app.value_until(
        "#composer-input",
        "¿Me confirmas tu correo? Tengo {{visitor.email}}.",
    )
    .await;
    // Esc closes the picker and leaves the text.
    input.clear().await.expect("clear");
    input.send_keys("/sh").await.expect("query");
    app.count_until("#canned-picker .canned-option", 1).await;
    press(&app, Key::Escape).await;
    app.count_until("#canned-picker", 0).await;
    app.value_until("#composer-input", "/sh").await;
    app.quit().await;
}

/// Clicks an element once it can be clicked (brought into view first; a
/// re-render may replace it meanwhile).
async fn tap(app: &App, css: &str) {
    let done = common::poll_until(TIMEOUT, POLL, || async {
        let e = app.driver.find(By::Css(css)).await.map_err(|e| e.to_string())?;
        e.scroll_into_view().await.map_err(|e| e.to_string())?;
        e.click().await.map_err(|e| e.to_string())
    })
    .await;
    if let Err(last) = done {
        app.fail(&format!("click {css}: {last}")).await;
    }
}

/// Chooses `value` in a `<select>` as a person does (the change event).
async fn choose(app: &App, css: &str, value: &str) {
    app.el(css).await;
    js(
        app,
        &format!(
            "const s = document.querySelector({css:?}); s.value = {value:?}; \
             s.dispatchEvent(new Event('change', {{bubbles: true}})); return true;"
        ),
    )
    .await;
}

/// The team's canned responses and mine, as the hub holds them.
async fn hub_canned(hub: &testkit::TestHub, token: &str) -> Vec<switchboard_protocol::Canned> {
    let list: switchboard_protocol::CannedList = reqwest::Client::new()
        .get(format!("{}/v2/canned", hub.url()))
        .bearer_auth(token)
        .send()
        .await
        .expect("canned")
        .json()
        .await
        .expect("a list");
    list.canned
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tags_earlier_chats_the_canned_manager_and_capacity_work_against_the_hub() {
    let Some((_turn, hub, app)) = signed_in_app().await else {
        return;
    };
    let sam = testkit::login(&hub.url(), "agent2@example.com", "password").await;
    let http = reqwest::Client::new();
    // Olga came before: Sam answered and closed that chat. She is back.
    let first = Visitor::opens_chat(&hub.url(), "Olga Otra Vez", "la primera vez que escribo").await;
    testkit::accept(&hub.url(), &sam.token, &first.chat_id).await;
    let closed = http
        .post(format!("{}/v2/chats/{}/close", hub.url(), first.chat_id))
        .bearer_auth(&sam.token)
        .send()
        .await
        .expect("close");
    assert!(closed.status().is_success());
    let olga = first.opens_another().await;
    olga.say("vuelvo con otra duda").await;
    let pedro = Visitor::opens_chat(&hub.url(), "Pedro Factura", "mi factura").await;
    tags_on_hub(&hub, &sam.token, &pedro.chat_id, &["factura"]).await;
    app.count_until(&format!("{} .row-tags .tag", row(&pedro.chat_id)), 1)
        .await;

    // The visitor's earlier chat, read-only.
    app.open_chat(&olga.chat_id).await;
    app.count_until("#earlier-chats .earlier-chat", 1).await;
    tap(&app, &format!(".earlier-chat[data-chat-id='{}']", first.chat_id)).await;
    app.text_until("#history-view .history-timeline", "its history", |t| {
        t.contains("la primera vez que escribo")
    })
    .await;
    app.count_until("#history-view #composer-input", 0).await;
    app.screenshot("workday-history.png").await;
    press(&app, Key::Escape).await;
    app.count_until("#history-view", 0).await;

    // Tags: suggested from the team's, a new one, one taken off.
    let me = testkit::demo_token(&hub.url()).await;
    let input = app.el("#tag-input").await;
    input.click().await.expect("the tag field");
    input.send_keys("FAC").await.expect("type");
    app.attr_until("#tag-suggestions .suggestion", "data-tag", "factura")
        .await;
    press(&app, Key::Down).await;
    app.attr_until("#tag-suggestions .suggestion.active", "data-tag", "factura")
        .await;
    press(&app, Key::Enter).await;
    app.count_until("#visitor-tags .tag", 1).await;
    input.send_keys("cliente-vuelve").await.expect("type");
    press(&app, Key::Enter).await;
    app.count_until("#visitor-tags .tag", 2).await;
    on_hub_until(&hub, &me, &olga.chat_id, "both tags on the hub", |c| {
        c.tags.as_deref() == Some(&["factura".to_owned(), "cliente-vuelve".to_owned()][..])
    })
    .await;
    input.send_keys(&"x".repeat(41)).await.expect("type");
    press(&app, Key::Enter).await;
    app.text_until("#tag-problem", "a too long tag is told", |t| t.contains("40"))
        .await;
    press(&app, Key::Escape).await;
    tap(&app, "#visitor-tags .tag[data-tag='factura'] .tag-remove").await;
    app.count_until("#visitor-tags .tag", 1).await;
    on_hub_until(&hub, &me, &olga.chat_id, "one tag left on the hub", |c| {
        c.tags.as_deref() == Some(&["cliente-vuelve".to_owned()][..])
    })
    .await;

    // The inbox filtered by a tag, then every chat again.
    tap(&app, "#tab-all").await;
    app.count_until("#chat-list .chat-row", 2).await;
    choose(&app, "#tag-filter", "factura").await;
    app.count_until("#chat-list .chat-row", 1).await;
    app.el(&row(&pedro.chat_id)).await;
    app.screenshot("workday-tags.png").await;
    tap(&app, "#tag-filter-clear").await;
    app.count_until("#chat-list .chat-row", 2).await;

    // The canned-response manager: a bad shortcut is told, then one is
    // created for the team, edited and deleted, each reaching the hub.
    tap(&app, "#open-settings").await;
    tap(&app, "#canned-new").await;
    app.el("#canned-shortcut")
        .await
        .send_keys("Con Espacio")
        .await
        .expect("type");
    app.el("#canned-title")
        .await
        .send_keys("Despedida")
        .await
        .expect("type");
    app.el("#canned-content")
        .await
        .send_keys("Gracias, {{visitor.name|}}. ¡Hasta pronto!")
        .await
        .expect("type");
    choose(&app, "#canned-scope", "team").await;
    tap(&app, "#canned-save").await;
    app.text_until("#canned-problem", "the shortcut's rule", |t| t.contains("a-z"))
        .await;
    let shortcut = app.el("#canned-shortcut").await;
    shortcut.clear().await.expect("clear");
    shortcut.send_keys("adios").await.expect("type");
    tap(&app, "#canned-save").await;
    app.el("#canned-manager li[data-shortcut='adios'][data-scope='team']")
        .await;
    let seen = common::poll_until(TIMEOUT, POLL, || async {
        match hub_canned(&hub, &sam.token)
            .await
            .into_iter()
            .find(|c| c.shortcut == "adios")
        {
            Some(c) if c.scope == switchboard_protocol::CannedScope::Team => Ok(c),
            other => Err(format!("{other:?}")),
        }
    })
    .await
    .expect("Sam sees the team's new canned response");
    assert_eq!(seen.content, "Gracias, {{visitor.name|}}. ¡Hasta pronto!");
    app.screenshot("workday-canned-manager.png").await;
    tap(&app, "#canned-manager li[data-shortcut='adios'] .canned-edit").await;
    let title = app.el("#canned-title").await;
    title.clear().await.expect("clear");
    title.send_keys("Despedida corta").await.expect("type");
    tap(&app, "#canned-save").await;
    let edited = common::poll_until(TIMEOUT, POLL, || async {
        match hub_canned(&hub, &me)
            .await
            .into_iter()
            .find(|c| c.shortcut == "adios")
        {
            Some(c) if c.title == "Despedida corta" => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    assert!(edited.is_ok(), "the edit reached the hub: {edited:?}");
    tap(&app, "#canned-manager li[data-shortcut='adios'] .canned-delete").await;
    tap(&app, "#confirm-canned-delete-confirm").await;
    app.count_until("#canned-manager li[data-shortcut='adios']", 0)
        .await;
    let gone = common::poll_until(TIMEOUT, POLL, || async {
        match hub_canned(&hub, &me).await.iter().any(|c| c.shortcut == "adios") {
            false => Ok(()),
            true => Err("still there".to_owned()),
        }
    })
    .await;
    assert!(gone.is_ok(), "the deletion reached the hub");

    // Capacity: the most chats assigned to me at once.
    let cap = app.el("#set-max-chats").await;
    cap.clear().await.expect("clear");
    cap.send_keys("2").await.expect("type");
    press(&app, Key::Enter).await;
    let alex = testkit::login(&hub.url(), "agent@example.com", "password")
        .await
        .agent
        .id;
    let set = common::poll_until(TIMEOUT, POLL, || async {
        let team: switchboard_protocol::AgentList = reqwest::Client::new()
            .get(format!("{}/v2/agents", hub.url()))
            .bearer_auth(&sam.token)
            .send()
            .await
            .map_err(|e| e.to_string())?
            .json()
            .await
            .map_err(|e| e.to_string())?;
        match team.agents.iter().find(|a| a.id == alex) {
            Some(a) if a.max_chats == Some(2) => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    assert!(set.is_ok(), "maxChats reached the hub: {set:?}");
    app.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_accept_made_offline_that_lost_the_race_is_told_and_the_reply_behind_it_waits() {
    let Some(_turn) = app::one_app_at_a_time().await else {
        return;
    };
    let hub = testkit::TestHub::start().await;
    let proxy = testkit::Proxy::start(hub.addr).await;
    let app = App::launch(&[]).await;
    app.sign_in(&proxy.url()).await;
    let nina = Visitor::opens_chat(&hub.url(), "Nina Carrera", "¿hay alguien?").await;
    app.open_chat(&nina.chat_id).await;
    app.el("#accept").await;

    // The link goes; meanwhile Sam takes the chat on the server.
    proxy.down();
    js_until(
        &app,
        "the app sees the link gone",
        "return document.querySelector('#connection').dataset.state !== 'online';",
    )
    .await;
    let sam = testkit::login(&hub.url(), "agent2@example.com", "password").await;
    testkit::accept(&hub.url(), &sam.token, &nina.chat_id).await;

    // Offline, I accept and reply: both wait, in order, in the outbox.
    tap(&app, "#accept").await;
    app.text_until("#toast", "the accept waits for the link", |t| {
        t.contains("once the connection is back")
    })
    .await;
    app.attr_until("#composer", "data-mode", "reply").await;
    app.write("Hola Nina, te atiendo yo").await;
    app.count_until(".bubble.me", 1).await;

    // The link is back: the server refuses the accept (Sam has it). I am
    // told, the chat shows as Sam's, and my reply waits, never sent.
    proxy.up();
    app.text_until("#toast", "the refusal is told", |t| {
        t.contains("did not apply") && t.contains("send it or discard it")
    })
    .await;
    app.attr_until(".bubble.me", "data-status", "status-held").await;
    app.text_until("#held-warning", "who holds the chat now", |t| {
        t.contains("Sam Second")
    })
    .await;
    app.el(".bubble.me .send-held").await;
    app.screenshot("workday-refused-accept.png").await;
    assert!(
        !nina
            .sees()
            .await
            .iter()
            .any(|m| m.content == "Hola Nina, te atiendo yo"),
        "the held reply was not sent"
    );
    // Discarded: it leaves for good, and the visitor never gets it.
    tap(&app, ".bubble.me .discard-failed").await;
    tap(&app, "#confirm-discard-confirm").await;
    app.count_until(".bubble.me", 0).await;
    let me = testkit::demo_token(&hub.url()).await;
    on_hub_until(&hub, &me, &nina.chat_id, "still Sam's", |c| {
        c.assignee_id.as_deref() == Some(sam.agent.id.as_str())
    })
    .await;
    assert!(
        !nina
            .sees()
            .await
            .iter()
            .any(|m| m.content == "Hola Nina, te atiendo yo"),
        "the discarded reply never went"
    );
    app.quit().await;
    drop(proxy);
}
