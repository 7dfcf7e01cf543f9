//! What only the app's integration tests share: a call through Tauri's
//! mock IPC and the one polling loop. The hub and its visitors come from
//! the workspace's one kit, `switchboard_hub::testkit`.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use serde_json::Value;

/// How long a test waits for something that should happen.
pub const TIMEOUT: Duration = Duration::from_secs(20);
/// How often the waits look again.
pub const POLL: Duration = Duration::from_millis(100);

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

/// Takes from `rx` until an item satisfies `pick`, for at most `timeout`,
/// and gives back what `pick` made of it; `what` names it in the failure.
/// The one wait on a channel of events of the app's tests.
pub fn recv_until<T, R>(
    rx: &std::sync::mpsc::Receiver<T>,
    timeout: Duration,
    what: &str,
    mut pick: impl FnMut(T) -> Option<R>,
) -> R {
    let deadline = Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let item = rx
            .recv_timeout(left)
            .unwrap_or_else(|e| panic!("{what}: nothing within {timeout:?} ({e})"));
        if let Some(r) = pick(item) {
            return r;
        }
    }
}
