//! What the app's integration tests share: the real hub on a loopback port
//! (restartable on its address and database), a website visitor over the
//! hub's HTTP API, and a call through Tauri's mock IPC.
#![allow(dead_code)]

use std::{
    path::PathBuf,
    time::{Duration, Instant},
};

use serde_json::{Value, json};

/// How long a test waits for something that should happen.
pub const TIMEOUT: Duration = Duration::from_secs(20);
/// How often the waits look again.
pub const POLL: Duration = Duration::from_millis(100);

pub struct Hub {
    hub: Option<switchboard_hub::RunningHub>,
    /// Where it listens (kept across restarts).
    pub addr: std::net::SocketAddr,
    db: PathBuf,
    owned_dir: Option<PathBuf>,
}

/// The real hub on a loopback port with its own SQLite file, restartable
/// on the same address and database.
impl Hub {
    /// A hub with a fresh temporary directory for its database (and for
    /// whatever else the test keeps beside it); the directory goes with it.
    pub async fn fresh() -> Self {
        Self::fresh_with(switchboard_hub::Limits::default()).await
    }

    /// [`Hub::fresh`] with limits.
    pub async fn fresh_with(limits: switchboard_hub::Limits) -> Self {
        let dir = std::env::temp_dir().join(format!("sb-test-hub-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        let mut hub =
            Self::start_with(dir.join("hub.db"), "127.0.0.1:0".parse().expect("addr"), limits).await;
        hub.owned_dir = Some(dir);
        hub
    }

    /// The temporary directory of a [`Hub::fresh`] hub.
    pub fn dir(&self) -> &std::path::Path {
        self.owned_dir.as_deref().expect("a fresh hub")
    }

    pub async fn start(db: PathBuf, addr: std::net::SocketAddr) -> Self {
        Self::start_with(db, addr, switchboard_hub::Limits::default()).await
    }

    pub async fn start_with(
        db: PathBuf,
        addr: std::net::SocketAddr,
        limits: switchboard_hub::Limits,
    ) -> Self {
        let hub = switchboard_hub::start(switchboard_hub::HubConfig {
            bind: addr,
            db: Some(db.clone()),
            limits,
            ..Default::default()
        })
        .await
        .expect("hub starts");
        let addr = hub.addr();
        Self {
            hub: Some(hub),
            addr,
            db,
            owned_dir: None,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub async fn stop(&mut self) {
        if let Some(h) = self.hub.take() {
            h.shutdown().await;
        }
    }

    pub async fn restart(&mut self) {
        self.stop().await;
        let deadline = Instant::now() + TIMEOUT;
        loop {
            match switchboard_hub::start(switchboard_hub::HubConfig {
                bind: self.addr,
                db: Some(self.db.clone()),
                ..Default::default()
            })
            .await
            {
                Ok(h) => {
                    self.hub = Some(h);
                    return;
                }
                Err(e) => {
                    assert!(Instant::now() < deadline, "the hub could not restart: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    }
}

impl Drop for Hub {
    fn drop(&mut self) {
        if let Some(dir) = self.owned_dir.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

pub struct Visitor {
    http: reqwest::Client,
    url: String,
    /// The chat it opened.
    pub chat_id: String,
}

/// A website visitor, over the hub's visitor HTTP API (cookie session).
impl Visitor {
    pub async fn opens_chat(url: &str, name: &str, first: &str) -> Self {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .expect("client");
        http.post(format!("{url}/v2/visitors"))
            .json(&json!({"name": name}))
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .expect("visitor");
        let chat: Value = http
            .post(format!("{url}/v2/chats"))
            .json(&json!({}))
            .send()
            .await
            .expect("chat")
            .json()
            .await
            .expect("chat json");
        let v = Self {
            http,
            url: url.to_owned(),
            chat_id: chat["chatId"].as_str().expect("chatId").to_owned(),
        };
        v.says(first).await;
        v
    }

    pub async fn says(&self, text: &str) {
        self.http
            .post(format!("{}/v2/messages", self.url))
            .json(&json!({"chatId": self.chat_id, "content": text, "type": "text"}))
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .expect("visitor message");
    }

    /// Uploads an image and sends it as an image message.
    pub async fn sends_image(&self, name: &str, bytes: Vec<u8>) {
        let part = reqwest::multipart::Part::bytes(bytes)
            .file_name(name.to_owned())
            .mime_str("image/png")
            .expect("mime");
        let form = reqwest::multipart::Form::new()
            .text("chatId", self.chat_id.clone())
            .part("file", part);
        let attachment: Value = self
            .http
            .post(format!("{}/v2/files/upload", self.url))
            .multipart(form)
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .expect("upload")
            .json()
            .await
            .expect("upload json");
        self.http
            .post(format!("{}/v2/messages", self.url))
            .json(&json!({"chatId": self.chat_id, "content": "", "type": "image", "attachment": attachment}))
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .expect("image message");
    }

    /// Everything the visitor can see of the chat.
    pub async fn sees(&self) -> Vec<Value> {
        let page: Value = self
            .http
            .get(format!(
                "{}/v2/messages/chat/{}?limit=500",
                self.url, self.chat_id
            ))
            .send()
            .await
            .expect("history")
            .json()
            .await
            .expect("history json");
        page["messages"].as_array().cloned().unwrap_or_default()
    }
}

/// Calls a command through Tauri's mock IPC, as the webview would: `args`
/// is the command's struct (`switchboard_model::ipc::commands`) as JSON,
/// sent under the contract's one `args` key.
pub fn invoke(
    webview: &tauri::WebviewWindow<tauri::test::MockRuntime>,
    cmd: &str,
    args: Value,
) -> Result<Value, Value> {
    let args = serde_json::json!({ switchboard_model::ipc::commands::ARGS_KEY: args });
    invoke_raw(webview, cmd, args)
}

/// Calls a command with exactly this request body.
pub fn invoke_raw(
    webview: &tauri::WebviewWindow<tauri::test::MockRuntime>,
    cmd: &str,
    body: Value,
) -> Result<Value, Value> {
    tauri::test::get_ipc_response(
        webview,
        tauri::webview::InvokeRequest {
            cmd: cmd.into(),
            callback: tauri::ipc::CallbackFn(0),
            error: tauri::ipc::CallbackFn(1),
            url: "tauri://localhost".parse().expect("url"),
            body: tauri::ipc::InvokeBody::Json(body),
            headers: Default::default(),
            invoke_key: tauri::test::INVOKE_KEY.to_string(),
        },
    )
    .map(|b| b.deserialize::<Value>().expect("a JSON answer"))
}

/// Calls `check` every `every` until it answers `Ok`, for at most
/// `timeout`; then gives back the last `Err` (what was seen instead), for
/// the caller to report. The one polling loop of the app's tests.
pub async fn poll_until<T, F, Fut>(timeout: Duration, every: Duration, mut check: F) -> Result<T, String>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, String>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        let last = match check().await {
            Ok(v) => return Ok(v),
            Err(e) => e,
        };
        if Instant::now() >= deadline {
            return Err(last);
        }
        tokio::time::sleep(every).await;
    }
}
