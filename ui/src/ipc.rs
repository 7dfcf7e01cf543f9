//! The bridge to the Tauri shell: `invoke` a command, `listen` to an event.
//! Bound by hand to `window.__TAURI__` (`withGlobalTauri`); on the host (unit
//! tests, server-side rendering) every call fails with `no_shell`.

use serde::{Deserialize, Serialize, de::DeserializeOwned};

/// A failed command, as the shell sends it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CmdError {
    /// Stable code.
    pub code: String,
    /// For people.
    pub message: String,
}

impl CmdError {
    fn new(code: &str, message: impl Into<String>) -> Self {
        Self {
            code: code.to_owned(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for CmdError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

#[cfg(target_arch = "wasm32")]
mod imp {
    use wasm_bindgen::prelude::*;

    #[wasm_bindgen]
    extern "C" {
        #[wasm_bindgen(js_namespace = ["window", "__TAURI__", "core"], js_name = invoke, catch)]
        pub async fn invoke(cmd: &str, args: JsValue) -> Result<JsValue, JsValue>;

        #[wasm_bindgen(js_namespace = ["window", "__TAURI__", "event"], js_name = listen, catch)]
        pub async fn listen(event: &str, handler: &Closure<dyn FnMut(JsValue)>) -> Result<JsValue, JsValue>;
    }
}

/// Calls a shell command with named arguments and decodes its answer.
pub async fn call<T: DeserializeOwned>(cmd: &str, args: impl Serialize) -> Result<T, CmdError> {
    #[cfg(target_arch = "wasm32")]
    {
        let ser = serde_wasm_bindgen::Serializer::json_compatible();
        let args = args
            .serialize(&ser)
            .map_err(|e| CmdError::new("invalid", e.to_string()))?;
        match imp::invoke(cmd, args).await {
            Ok(v) => serde_wasm_bindgen::from_value(v)
                .map_err(|e| CmdError::new("incompatible", format!("unexpected answer to {cmd}: {e}"))),
            Err(e) => Err(
                serde_wasm_bindgen::from_value::<CmdError>(e.clone()).unwrap_or_else(|_| {
                    CmdError::new("shell", e.as_string().unwrap_or_else(|| format!("{cmd} failed")))
                }),
            ),
        }
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = args;
        Err(CmdError::new(
            "no_shell",
            format!("{cmd}: not running in the app"),
        ))
    }
}

/// Calls a command that answers raw bytes (an attachment) and returns a
/// `blob:` URL for them.
pub async fn blob_url(cmd: &str, args: impl Serialize, mime: &str) -> Result<String, CmdError> {
    #[cfg(target_arch = "wasm32")]
    {
        let ser = serde_wasm_bindgen::Serializer::json_compatible();
        let args = args
            .serialize(&ser)
            .map_err(|e| CmdError::new("invalid", e.to_string()))?;
        let v = imp::invoke(cmd, args).await.map_err(|e| {
            serde_wasm_bindgen::from_value::<CmdError>(e)
                .unwrap_or_else(|_| CmdError::new("shell", format!("{cmd} failed")))
        })?;
        let bytes = js_sys::Uint8Array::new(&v);
        let parts = js_sys::Array::of1(&bytes);
        let opts = web_sys::BlobPropertyBag::new();
        opts.set_type(mime);
        let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &opts)
            .map_err(|_| CmdError::new("invalid", "cannot make a blob"))?;
        web_sys::Url::create_object_url_with_blob(&blob)
            .map_err(|_| CmdError::new("invalid", "cannot make a blob URL"))
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = (args, mime);
        Err(CmdError::new(
            "no_shell",
            format!("{cmd}: not running in the app"),
        ))
    }
}

/// Listens to a shell event for the life of the page; every payload is
/// decoded and sent into the returned channel (a Dioxus task drains it).
#[cfg(target_arch = "wasm32")]
pub async fn subscribe<T: DeserializeOwned + 'static>(
    event: &str,
) -> Result<futures_channel::mpsc::UnboundedReceiver<T>, CmdError> {
    use wasm_bindgen::prelude::*;
    let (tx, rx) = futures_channel::mpsc::unbounded();
    let handler = Closure::<dyn FnMut(JsValue)>::new(move |e: JsValue| {
        let payload = js_sys::Reflect::get(&e, &JsValue::from_str("payload")).unwrap_or(JsValue::NULL);
        match serde_wasm_bindgen::from_value::<T>(payload) {
            Ok(v) => {
                let _ = tx.unbounded_send(v);
            }
            Err(err) => web_sys::console::warn_1(&format!("undecodable event: {err}").into()),
        }
    });
    imp::listen(event, &handler)
        .await
        .map_err(|_| CmdError::new("shell", format!("cannot listen to {event}")))?;
    // The listener lives as long as the page.
    handler.forget();
    Ok(rx)
}

/// Empty arguments.
#[derive(Debug, Serialize)]
pub struct NoArgs {}

/// Waits `ms` milliseconds (a browser timer; on the host, returns at once).
pub async fn sleep(ms: u32) {
    #[cfg(target_arch = "wasm32")]
    {
        let promise = js_sys::Promise::new(&mut |resolve, _| {
            if let Some(w) = web_sys::window() {
                let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms as i32);
            }
        });
        let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
    }
    #[cfg(not(target_arch = "wasm32"))]
    let _ = ms;
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    #[cfg(target_arch = "wasm32")]
    {
        js_sys::Date::now() as i64
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or_default()
    }
}

/// The local UTC offset in minutes east (0 on the host).
pub fn utc_offset_minutes() -> i64 {
    #[cfg(target_arch = "wasm32")]
    {
        -(js_sys::Date::new_0().get_timezone_offset() as i64)
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        0
    }
}

/// The OS/webview language tag (`en` on the host).
pub fn os_language() -> String {
    #[cfg(target_arch = "wasm32")]
    {
        web_sys::window()
            .and_then(|w| w.navigator().language())
            .unwrap_or_else(|| "en".to_owned())
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        std::env::var("LANG").unwrap_or_else(|_| "en".to_owned())
    }
}

/// Whether the window has the keyboard focus.
pub fn window_focused() -> bool {
    #[cfg(target_arch = "wasm32")]
    {
        web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.has_focus().ok())
            .unwrap_or(true)
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        true
    }
}

/// Scroll helpers for an element by id (no-ops on the host).
pub mod scroll {
    /// `(scrollTop, scrollHeight, clientHeight)`.
    pub fn metrics(id: &str) -> Option<(f64, f64, f64)> {
        #[cfg(target_arch = "wasm32")]
        {
            let el = web_sys::window()?.document()?.get_element_by_id(id)?;
            Some((
                el.scroll_top() as f64,
                el.scroll_height() as f64,
                el.client_height() as f64,
            ))
        }
        #[cfg(not(target_arch = "wasm32"))]
        {
            let _ = id;
            None
        }
    }

    /// Sets `scrollTop`.
    pub fn set_top(id: &str, top: f64) {
        #[cfg(target_arch = "wasm32")]
        if let Some(el) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id(id))
        {
            el.set_scroll_top(top as i32);
        }
        #[cfg(not(target_arch = "wasm32"))]
        let _ = (id, top);
    }

    /// The offset of element `id` from the top of its scroll container's content.
    pub fn offset_top(id: &str) -> Option<f64> {
        #[cfg(target_arch = "wasm32")]
        {
            use wasm_bindgen::JsCast;
            let el = web_sys::window()?.document()?.get_element_by_id(id)?;
            Some(el.dyn_into::<web_sys::HtmlElement>().ok()?.offset_top() as f64)
        }
        #[cfg(not(target_arch = "wasm32"))]
        {
            let _ = id;
            None
        }
    }

    /// Focuses an element by id.
    pub fn focus(id: &str) {
        #[cfg(target_arch = "wasm32")]
        {
            use wasm_bindgen::JsCast;
            if let Some(el) = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.get_element_by_id(id))
                .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
            {
                let _ = el.focus();
            }
        }
        #[cfg(not(target_arch = "wasm32"))]
        let _ = id;
    }
}
