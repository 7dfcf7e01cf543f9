//! The HTTP side of the protocol (reqwest over rustls): login, lists,
//! history pages, sending, accept/close, uploads. Every failure is sorted
//! into what a client must do about it (sign in again, retry later, give up).

use std::time::Duration;

use reqwest::{Method, RequestBuilder, StatusCode};
use serde::de::DeserializeOwned;
use switchboard_protocol::{
    AgentList, Attachment, ChatList, ChatSummary, ErrorBody, LoginRequest, LoginResponse, Message,
    MessagePage, NotificationList, SendMessageRequest, Stats, time::format_millis,
};
use url::Url;

/// What went wrong with a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// 401: the token is missing, bad or expired.
    #[error("the server wants a new sign-in: {0}")]
    Unauthorized(String),
    /// The server could not be reached (refused, reset, no route).
    #[error("the server is unreachable: {0}")]
    Unreachable(String),
    /// The server's name does not resolve (DNS).
    #[error("the server's name cannot be found: {0}")]
    UnknownHost(String),
    /// No connection or no answer in time.
    #[error("the server did not answer in time: {0}")]
    TimedOut(String),
    /// No secure connection: a bad certificate, or no TLS on the other side.
    #[error("no secure connection to the server: {0}")]
    Tls(String),
    /// The server answered 429; try again after this many seconds.
    #[error("the server asks to slow down (retry in {0} s)")]
    RateLimited(u64),
    /// The server failed (5xx): worth retrying.
    #[error("the server failed ({status}): {message}")]
    Server {
        /// HTTP status.
        status: u16,
        /// Its message.
        message: String,
    },
    /// The server refused the request for good (4xx).
    #[error("{message}")]
    Rejected {
        /// HTTP status.
        status: u16,
        /// Its message.
        message: String,
    },
    /// The answer is not what the protocol says: not a Switchboard server.
    #[error("not a Switchboard-compatible server: {0}")]
    Incompatible(String),
}

impl ApiError {
    /// Whether trying the same request again later may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::Unreachable(_)
                | Self::UnknownHost(_)
                | Self::TimedOut(_)
                | Self::Tls(_)
                | Self::RateLimited(_)
                | Self::Server { .. }
        )
    }

    /// A transport failure, sorted by what the person can do about it.
    pub fn from_transport(e: &reqwest::Error) -> Self {
        let chain = error_chain(e);
        let lower = chain.to_lowercase();
        if e.is_timeout() || lower.contains("timed out") {
            Self::TimedOut(chain)
        } else if lower.contains("dns error") || lower.contains("failed to lookup address") {
            Self::UnknownHost(chain)
        } else if [
            "certificate",
            "tls",
            "ssl",
            "handshake",
            "invalidcontenttype",
            "corrupt message",
        ]
        .iter()
        .any(|w| lower.contains(w))
        {
            Self::Tls(chain)
        } else {
            Self::Unreachable(chain)
        }
    }
}

type Result<T> = std::result::Result<T, ApiError>;

/// An HTTP client for one server.
#[derive(Debug, Clone)]
pub struct Api {
    http: reqwest::Client,
    base: Url,
}

/// The error of an answer that is not a success: the protocol's message
/// when the body is its JSON error, else the start of the text.
async fn failure(res: reqwest::Response) -> ApiError {
    let status = res.status();
    let retry_after = res
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let text = res.text().await.unwrap_or_default();
    let message = serde_json::from_str::<ErrorBody>(&text)
        .map(|b| b.message)
        .unwrap_or_else(|_| text.chars().take(200).collect());
    match status.as_u16() {
        401 => ApiError::Unauthorized(message),
        429 => ApiError::RateLimited(retry_after.unwrap_or(1)),
        s @ 500..=599 => ApiError::Server { status: s, message },
        s => ApiError::Rejected { status: s, message },
    }
}

impl Api {
    /// A client for the server at `base` (e.g. `http://127.0.0.1:4800`).
    pub fn new(base: Url) -> Self {
        let http = reqwest::Client::builder()
            // rustls even where another crate of the build turns on
            // reqwest's native TLS (OpenSSL): one TLS stack on every OS.
            .use_rustls_tls()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(60))
            .user_agent(concat!("switchboard/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("a reqwest client with rustls builds");
        Self { http, base }
    }

    fn url(&self, path: &str) -> Result<Url> {
        self.base
            .join(path)
            .map_err(|e| ApiError::Incompatible(format!("bad URL {path}: {e}")))
    }

    fn request(&self, method: Method, path: &str, token: Option<&str>) -> Result<RequestBuilder> {
        let mut rb = self.http.request(method, self.url(path)?);
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        Ok(rb)
    }

    #[tracing::instrument(level = "debug", skip_all, fields(path))]
    async fn send<T: DeserializeOwned>(&self, rb: RequestBuilder, path: &str) -> Result<(StatusCode, T)> {
        tracing::Span::current().record("path", path);
        let res = rb.send().await.map_err(|e| ApiError::from_transport(&e))?;
        let status = res.status();
        if status.is_success() {
            let bytes = res.bytes().await.map_err(|e| ApiError::from_transport(&e))?;
            let value = serde_json::from_slice(&bytes)
                .map_err(|e| ApiError::Incompatible(format!("unexpected answer to {path}: {e}")))?;
            return Ok((status, value));
        }
        Err(failure(res).await)
    }

    /// `POST /v2/auth/login`. A wrong password is `Unauthorized`; a server
    /// that does not speak the protocol is `Incompatible`: no login route,
    /// an answer that is not a login, or an error that is not the
    /// protocol's JSON error body (an HTML page, say; never passed on).
    pub async fn login(&self, email: &str, password: &str) -> Result<LoginResponse> {
        let body = LoginRequest {
            email: email.to_owned(),
            password: password.to_owned(),
        };
        let rb = self.request(Method::POST, "/v2/auth/login", None)?.json(&body);
        let res = rb.send().await.map_err(|e| ApiError::from_transport(&e))?;
        let status = res.status();
        let bytes = res.bytes().await.map_err(|e| ApiError::from_transport(&e))?;
        if status.is_success() {
            return serde_json::from_slice(&bytes).map_err(|_| {
                ApiError::Incompatible(format!(
                    "its answer to a login ({status}) is not a Switchboard login"
                ))
            });
        }
        if status.is_server_error() {
            return Err(ApiError::Server {
                status: status.as_u16(),
                message: "the server failed".to_owned(),
            });
        }
        let Ok(error) = serde_json::from_slice::<ErrorBody>(&bytes) else {
            return Err(ApiError::Incompatible(format!(
                "it answers a login with {status} and no Switchboard error"
            )));
        };
        Err(match status.as_u16() {
            401 => ApiError::Unauthorized(error.message),
            404 | 405 => ApiError::Incompatible("it has no /v2/auth/login endpoint".to_owned()),
            429 => ApiError::RateLimited(1),
            s => ApiError::Rejected {
                status: s,
                message: error.message,
            },
        })
    }

    /// `GET /v2/chats?updatedSince=`.
    pub async fn chats(&self, token: &str, updated_since: Option<i64>) -> Result<Vec<ChatSummary>> {
        let mut rb = self.request(Method::GET, "/v2/chats", Some(token))?;
        if let Some(t) = updated_since {
            rb = rb.query(&[("updatedSince", format_millis(t))]);
        }
        Ok(self.send::<ChatList>(rb, "/v2/chats").await?.1.chats)
    }

    /// `GET /v2/messages/chat/{id}` with `dateFrom` (inclusive, oldest
    /// first) or `before` (exclusive, newest page).
    pub async fn history(
        &self,
        token: &str,
        chat_id: &str,
        date_from: Option<i64>,
        before: Option<i64>,
        limit: u32,
    ) -> Result<MessagePage> {
        let path = format!("/v2/messages/chat/{chat_id}");
        let mut q = vec![("limit", limit.to_string())];
        if let Some(t) = date_from {
            q.push(("dateFrom", format_millis(t)));
        }
        if let Some(t) = before {
            q.push(("before", format_millis(t)));
        }
        let rb = self.request(Method::GET, &path, Some(token))?.query(&q);
        Ok(self.send(rb, &path).await?.1)
    }

    /// `POST /v2/messages`; `true` when the server created it (201) rather
    /// than recognising its `clientMessageId` (200).
    pub async fn send_message(&self, token: &str, req: &SendMessageRequest) -> Result<(Message, bool)> {
        let rb = self.request(Method::POST, "/v2/messages", Some(token))?.json(req);
        let (status, m) = self.send(rb, "/v2/messages").await?;
        Ok((m, status == StatusCode::CREATED))
    }

    /// `POST /v2/chats/{id}/accept`.
    pub async fn accept(&self, token: &str, chat_id: &str) -> Result<ChatSummary> {
        let path = format!("/v2/chats/{chat_id}/accept");
        let rb = self.request(Method::POST, &path, Some(token))?;
        Ok(self.send(rb, &path).await?.1)
    }

    /// `POST /v2/chats/{id}/close`.
    pub async fn close(&self, token: &str, chat_id: &str) -> Result<ChatSummary> {
        let path = format!("/v2/chats/{chat_id}/close");
        let rb = self.request(Method::POST, &path, Some(token))?;
        Ok(self.send(rb, &path).await?.1)
    }

    /// `GET /v2/capabilities` (no auth). A `404` is a plain v2 server: no
    /// features (`version` empty).
    pub async fn capabilities(&self) -> Result<switchboard_protocol::Capabilities> {
        let rb = self.request(Method::GET, "/v2/capabilities", None)?;
        match self.send(rb, "/v2/capabilities").await {
            Ok((_, c)) => Ok(c),
            Err(ApiError::Rejected { status: 404, .. }) => Ok(switchboard_protocol::Capabilities::default()),
            Err(e) => Err(e),
        }
    }

    /// `POST /v2/chats/{id}/transfer` (v2.1): to an agent, or `None` for the queue.
    pub async fn transfer(&self, token: &str, chat_id: &str, to: Option<&str>) -> Result<ChatSummary> {
        let path = format!("/v2/chats/{chat_id}/transfer");
        let rb =
            self.request(Method::POST, &path, Some(token))?
                .json(&switchboard_protocol::TransferRequest {
                    to_agent_id: to.map(str::to_owned),
                });
        Ok(self.send(rb, &path).await?.1)
    }

    /// `POST /v2/chats/{id}/reopen` (v2.1).
    pub async fn reopen(&self, token: &str, chat_id: &str) -> Result<ChatSummary> {
        let path = format!("/v2/chats/{chat_id}/reopen");
        let rb = self.request(Method::POST, &path, Some(token))?;
        Ok(self.send(rb, &path).await?.1)
    }

    /// `PUT /v2/chats/{id}/tags` (v2.1).
    pub async fn set_tags(&self, token: &str, chat_id: &str, tags: &[String]) -> Result<ChatSummary> {
        let path = format!("/v2/chats/{chat_id}/tags");
        let rb = self
            .request(Method::PUT, &path, Some(token))?
            .json(&switchboard_protocol::TagsRequest { tags: tags.to_vec() });
        Ok(self.send(rb, &path).await?.1)
    }

    /// `GET /v2/tags` (v2.1): the tags in use, most used first.
    pub async fn tags(&self, token: &str) -> Result<switchboard_protocol::TagList> {
        let rb = self.request(Method::GET, "/v2/tags", Some(token))?;
        Ok(self.send(rb, "/v2/tags").await?.1)
    }

    /// `GET /v2/visitors/{id}/chats` (v2.1): the visitor's chats and those
    /// of visitors with the same e-mail, newest first.
    pub async fn visitor_chats(&self, token: &str, visitor_id: &str) -> Result<Vec<ChatSummary>> {
        let path = format!("/v2/visitors/{visitor_id}/chats");
        let rb = self.request(Method::GET, &path, Some(token))?;
        Ok(self.send::<ChatList>(rb, &path).await?.1.chats)
    }

    /// `PUT /v2/agents/me` (v2.1): the most chats assigned to me automatically.
    pub async fn set_max_chats(&self, token: &str, max_chats: u32) -> Result<()> {
        let rb = self
            .request(Method::PUT, "/v2/agents/me", Some(token))?
            .json(&switchboard_protocol::AgentSettings { max_chats });
        self.send::<serde_json::Value>(rb, "/v2/agents/me").await?;
        Ok(())
    }

    /// `GET /v2/canned` (v2.1): the team's canned responses and mine.
    pub async fn canned(&self, token: &str) -> Result<Vec<switchboard_protocol::Canned>> {
        let rb = self.request(Method::GET, "/v2/canned", Some(token))?;
        Ok(self
            .send::<switchboard_protocol::CannedList>(rb, "/v2/canned")
            .await?
            .1
            .canned)
    }

    /// `POST /v2/canned` (v2.1).
    pub async fn create_canned(
        &self,
        token: &str,
        new: &switchboard_protocol::NewCanned,
    ) -> Result<switchboard_protocol::Canned> {
        let rb = self.request(Method::POST, "/v2/canned", Some(token))?.json(new);
        Ok(self.send(rb, "/v2/canned").await?.1)
    }

    /// `PUT /v2/canned/{id}` (v2.1): shortcut, title and content.
    pub async fn update_canned(
        &self,
        token: &str,
        id: &str,
        shortcut: &str,
        title: &str,
        content: &str,
    ) -> Result<switchboard_protocol::Canned> {
        let path = format!("/v2/canned/{id}");
        let rb = self
            .request(Method::PUT, &path, Some(token))?
            .json(&serde_json::json!({"shortcut": shortcut, "title": title, "content": content}));
        Ok(self.send(rb, &path).await?.1)
    }

    /// `DELETE /v2/canned/{id}` (v2.1): `204`, no body.
    pub async fn delete_canned(&self, token: &str, id: &str) -> Result<()> {
        let path = format!("/v2/canned/{id}");
        let rb = self.request(Method::DELETE, &path, Some(token))?;
        let res = rb.send().await.map_err(|e| ApiError::from_transport(&e))?;
        if res.status().is_success() {
            return Ok(());
        }
        Err(failure(res).await)
    }

    /// `POST /v2/files/upload`.
    pub async fn upload(
        &self,
        token: &str,
        chat_id: &str,
        file_name: &str,
        mime_type: &str,
        bytes: Vec<u8>,
    ) -> Result<Attachment> {
        let part = reqwest::multipart::Part::bytes(bytes)
            .file_name(file_name.to_owned())
            .mime_str(mime_type)
            .map_err(|e| ApiError::Rejected {
                status: 400,
                message: format!("bad MIME type: {e}"),
            })?;
        let form = reqwest::multipart::Form::new()
            .text("chatId", chat_id.to_owned())
            .part("file", part);
        let rb = self
            .request(Method::POST, "/v2/files/upload", Some(token))?
            .multipart(form);
        Ok(self.send(rb, "/v2/files/upload").await?.1)
    }

    /// `GET` a file the server serves (an attachment's `url`, relative to the
    /// server or absolute on the same origin), at most `max_bytes`.
    pub async fn download(&self, url: &str, max_bytes: u64) -> Result<Vec<u8>> {
        let full = self.url(url)?;
        if full.origin() != self.base.origin() {
            return Err(ApiError::Rejected {
                status: 400,
                message: "attachments are only fetched from the server signed in to".to_owned(),
            });
        }
        let mut res = self
            .http
            .get(full)
            .send()
            .await
            .map_err(|e| ApiError::from_transport(&e))?;
        let status = res.status();
        if !status.is_success() {
            return Err(match status.as_u16() {
                s @ 500..=599 => ApiError::Server {
                    status: s,
                    message: "download failed".to_owned(),
                },
                s => ApiError::Rejected {
                    status: s,
                    message: "the file is not available".to_owned(),
                },
            });
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = res.chunk().await.map_err(|e| ApiError::from_transport(&e))? {
            if (bytes.len() + chunk.len()) as u64 > max_bytes {
                return Err(ApiError::Rejected {
                    status: 413,
                    message: format!("the file is larger than {max_bytes} bytes"),
                });
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(bytes)
    }

    /// Whether the server no longer has a file it served (`HEAD` of its
    /// URL answers 404 or 410): an upload dropped before its message went.
    pub async fn file_gone(&self, url: &str) -> Result<bool> {
        let full = self.url(url)?;
        if full.origin() != self.base.origin() {
            return Ok(false);
        }
        let res = self
            .http
            .head(full)
            .send()
            .await
            .map_err(|e| ApiError::from_transport(&e))?;
        Ok(matches!(res.status().as_u16(), 404 | 410))
    }

    /// `GET /v2/agents`.
    pub async fn agents(&self, token: &str) -> Result<AgentList> {
        let rb = self.request(Method::GET, "/v2/agents", Some(token))?;
        Ok(self.send(rb, "/v2/agents").await?.1)
    }

    /// `GET /v2/notifications`.
    pub async fn notifications(&self, token: &str) -> Result<NotificationList> {
        let rb = self.request(Method::GET, "/v2/notifications", Some(token))?;
        Ok(self.send(rb, "/v2/notifications").await?.1)
    }

    /// `GET /v2/stats`.
    pub async fn stats(&self, token: &str) -> Result<Stats> {
        let rb = self.request(Method::GET, "/v2/stats", Some(token))?;
        Ok(self.send(rb, "/v2/stats").await?.1)
    }
}

/// An error with its sources, on one line (reqwest hides the cause).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(inner) = src {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        src = inner.source();
    }
    s
}
