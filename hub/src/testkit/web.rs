//! Website visitors and agent logins over the hub's HTTP API, as a browser
//! and a console would make them, typed with `switchboard_protocol`.

use std::time::{Duration, Instant};

use serde::{Serialize, de::DeserializeOwned};
use switchboard_protocol::{
    Attachment, ChatSummary, CreateVisitorRequest, LoginRequest, LoginResponse, Message, MessagePage,
    MessageType, OpenChatRequest, SendMessageRequest,
};

use super::TIMEOUT;
use crate::{DEMO_AGENTS, DEMO_PASSWORD};

/// Sends `req`, fails the test on an error status (with the hub's answer),
/// and reads the answer as `T`.
async fn answer<T: DeserializeOwned>(req: reqwest::RequestBuilder, what: &str) -> T {
    let res = req.send().await.unwrap_or_else(|e| panic!("{what}: {e}"));
    let status = res.status();
    let body = res.text().await.unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(status.is_success(), "{what}: {status} {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{what}: {e} in {body}"))
}

fn post_json(http: &reqwest::Client, url: String, body: &impl Serialize) -> reqwest::RequestBuilder {
    http.post(url).json(body)
}

/// Logs an agent in; the answer holds its token and who it is.
pub async fn login(url: &str, email: &str, password: &str) -> LoginResponse {
    let body = LoginRequest {
        email: email.to_owned(),
        password: password.to_owned(),
    };
    answer(
        post_json(&reqwest::Client::new(), format!("{url}/v2/auth/login"), &body),
        "login",
    )
    .await
}

/// The first demo agent's token (`agent@example.com`).
pub async fn demo_token(url: &str) -> String {
    login(url, DEMO_AGENTS[0].1, DEMO_PASSWORD).await.token
}

/// An agent accepts a queued chat (`POST /v2/chats/{id}/accept`).
pub async fn accept(url: &str, token: &str, chat_id: &str) -> ChatSummary {
    answer(
        reqwest::Client::new()
            .post(format!("{url}/v2/chats/{chat_id}/accept"))
            .bearer_auth(token),
        "accept",
    )
    .await
}

/// Every message of a chat on the hub, as an agent sees it (internal notes
/// included), oldest first, read page by page.
pub async fn history(url: &str, token: &str, chat_id: &str) -> Vec<Message> {
    let http = reqwest::Client::new();
    let mut all: Vec<Message> = Vec::new();
    let mut from = "1970-01-01T00:00:00.000Z".to_owned();
    loop {
        let page: MessagePage = answer(
            http.get(format!("{url}/v2/messages/chat/{chat_id}"))
                .bearer_auth(token)
                .query(&[("dateFrom", from.as_str()), ("limit", "500")]),
            "history page",
        )
        .await;
        if let Some(last) = page.messages.last() {
            from = last.sent_at.clone();
        }
        for m in page.messages {
            // `dateFrom` is inclusive: the page boundary comes twice.
            if !all.iter().any(|seen| seen.message_id == m.message_id) {
                all.push(m);
            }
        }
        if !page.has_more {
            return all;
        }
    }
}

/// A website visitor with a cookie session and the chat it opened.
#[derive(Debug, Clone)]
pub struct Visitor {
    /// Its HTTP client (it holds the session cookie).
    pub http: reqwest::Client,
    /// The hub's base URL.
    pub url: String,
    /// The visitor's id.
    pub visitor_id: String,
    /// The chat it opened.
    pub chat_id: String,
}

impl Visitor {
    /// Arrives on the website and opens a chat (pending, no message yet).
    pub async fn open(url: &str, name: &str) -> Self {
        Self::open_from(url, name, None).await
    }

    /// [`Visitor::open`], saying where it is (v2.1 `visitorContext`).
    pub async fn open_from(
        url: &str,
        name: &str,
        context: Option<switchboard_protocol::VisitorContext>,
    ) -> Self {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .expect("an HTTP client");
        let body = CreateVisitorRequest {
            name: name.to_owned(),
            email: None,
            context,
        };
        let me: switchboard_protocol::CreateVisitorResponse =
            answer(post_json(&http, format!("{url}/v2/visitors"), &body), "visitor").await;
        let chat: ChatSummary = answer(
            post_json(&http, format!("{url}/v2/chats"), &OpenChatRequest::default()),
            "open chat",
        )
        .await;
        Self {
            http,
            url: url.to_owned(),
            visitor_id: me.visitor_id,
            chat_id: chat.chat_id,
        }
    }

    /// The same visitor opens another chat (pending, no message yet).
    pub async fn opens_another(&self) -> Self {
        let chat: ChatSummary = answer(
            post_json(
                &self.http,
                format!("{}/v2/chats", self.url),
                &OpenChatRequest::default(),
            ),
            "open another chat",
        )
        .await;
        Self {
            chat_id: chat.chat_id,
            ..self.clone()
        }
    }

    /// [`Visitor::open`], then writes `first`.
    pub async fn opens_chat(url: &str, name: &str, first: &str) -> Self {
        let v = Self::open(url, name).await;
        v.say(first).await;
        v
    }

    /// Writes a text message; see [`Visitor::send`].
    pub async fn say(&self, text: &str) -> Message {
        self.send(MessageType::Text, text, None).await
    }

    /// Sends a message, retrying with the same `clientMessageId` while the
    /// hub cannot be reached or answers 5xx (a restart in progress), so it
    /// lands exactly once; an answer 4xx fails the test.
    pub async fn send(&self, kind: MessageType, text: &str, attachment: Option<Attachment>) -> Message {
        let body = SendMessageRequest {
            chat_id: self.chat_id.clone(),
            content: text.to_owned(),
            kind,
            is_internal: false,
            attachment,
            client_message_id: Some(uuid::Uuid::new_v4().to_string()),
        };
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let res = post_json(&self.http, format!("{}/v2/messages", self.url), &body)
                .send()
                .await;
            match res {
                Ok(r) if r.status().is_success() => {
                    return r.json().await.expect("the sent message");
                }
                Ok(r) if r.status().is_client_error() => {
                    let status = r.status();
                    panic!(
                        "the hub refused a visitor's message: {status} {}",
                        r.text().await.unwrap_or_default()
                    );
                }
                Ok(_) | Err(_) => {}
            }
            assert!(
                Instant::now() < deadline,
                "the hub did not take a message within {TIMEOUT:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Uploads a file (its MIME type from its name) and sends it as an image
    /// or file message.
    pub async fn sends_file(&self, name: &str, bytes: Vec<u8>) -> Message {
        let mime = switchboard_protocol::mime_for_file_name(name);
        let part = reqwest::multipart::Part::bytes(bytes)
            .file_name(name.to_owned())
            .mime_str(mime)
            .expect("a MIME type");
        let form = reqwest::multipart::Form::new()
            .text("chatId", self.chat_id.clone())
            .part("file", part);
        let attachment: Attachment = answer(
            self.http
                .post(format!("{}/v2/files/upload", self.url))
                .multipart(form),
            "upload",
        )
        .await;
        let kind = if mime.starts_with("image/") {
            MessageType::Image
        } else {
            MessageType::File
        };
        self.send(kind, "", Some(attachment)).await
    }

    /// Everything the visitor sees of its chat (no internal notes), oldest first.
    pub async fn sees(&self) -> Vec<Message> {
        let page: MessagePage = answer(
            self.http
                .get(format!("{}/v2/messages/chat/{}", self.url, self.chat_id))
                .query(&[("limit", "500")]),
            "the visitor's history",
        )
        .await;
        page.messages
    }
}
