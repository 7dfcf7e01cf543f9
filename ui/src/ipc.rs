//! The bridge to the Tauri shell: `invoke` a command of the contract
//! (`switchboard_model::ipc::commands`, by its struct), `subscribe` to an
//! event (by its type). Bound by hand to `window.__TAURI__`
//! (`withGlobalTauri`); on the host (unit tests, server-side rendering) every
//! call fails with `no_shell`.

#[cfg(target_arch = "wasm32")]
use serde::Serialize;
use switchboard_model::ipc::Command;
#[cfg(target_arch = "wasm32")]
use switchboard_model::ipc::Event;
pub use switchboard_model::ipc::{CommandError, ErrorCode};

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

/// How a command's struct travels: as the shell functions' one `args`.
#[cfg(target_arch = "wasm32")]
#[derive(Serialize)]
struct Wrapped<'a, C> {
    args: &'a C,
}

/// Sends command `C` and returns the shell's raw answer.
#[cfg(target_arch = "wasm32")]
async fn raw<C: Command>(cmd: &C) -> Result<wasm_bindgen::JsValue, CommandError> {
    let ser = serde_wasm_bindgen::Serializer::json_compatible();
    let args = Wrapped { args: cmd }
        .serialize(&ser)
        .map_err(|e| CommandError::invalid(e.to_string()))?;
    imp::invoke(C::NAME, args).await.map_err(|e| {
        serde_wasm_bindgen::from_value::<CommandError>(e.clone()).unwrap_or_else(|_| {
            CommandError::new(
                ErrorCode::Shell,
                e.as_string().unwrap_or_else(|| format!("{} failed", C::NAME)),
            )
        })
    })
}

/// Calls a shell command and decodes its answer.
pub async fn invoke<C: Command>(cmd: &C) -> Result<C::Output, CommandError> {
    #[cfg(target_arch = "wasm32")]
    {
        let v = raw(cmd).await?;
        serde_wasm_bindgen::from_value(v).map_err(|e| {
            CommandError::new(ErrorCode::Shell, format!("unexpected answer to {}: {e}", C::NAME))
        })
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = cmd;
        Err(no_shell(C::NAME))
    }
}

/// Calls a command that answers an attachment's bytes and returns a
/// `blob:` URL for them when they are an image the console previews (the
/// type sniffed from the bytes, never the sender's claim), `None` when not.
pub async fn image_blob_url<C: Command<Output = Vec<u8>>>(cmd: &C) -> Result<Option<String>, CommandError> {
    #[cfg(target_arch = "wasm32")]
    {
        let v = raw(cmd).await?;
        let bytes = js_sys::Uint8Array::new(&v);
        let head = bytes.subarray(0, bytes.length().min(32)).to_vec();
        let Some(mime) = switchboard_model::files::sniff_image(&head) else {
            return Ok(None);
        };
        let parts = js_sys::Array::of1(&bytes);
        let opts = web_sys::BlobPropertyBag::new();
        opts.set_type(mime);
        let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &opts)
            .map_err(|_| CommandError::invalid("cannot make a blob"))?;
        web_sys::Url::create_object_url_with_blob(&blob)
            .map(Some)
            .map_err(|_| CommandError::invalid("cannot make a blob URL"))
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = cmd;
        Err(no_shell(C::NAME))
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn no_shell(name: &str) -> CommandError {
    CommandError::new(ErrorCode::NoShell, format!("{name}: not running in the app"))
}

/// Listens to shell event `E` for the life of the page; every payload is
/// decoded and sent into the returned channel (a Dioxus task drains it).
#[cfg(target_arch = "wasm32")]
pub async fn subscribe<E: Event>()
-> Result<futures_channel::mpsc::UnboundedReceiver<E::Payload>, CommandError>
where
    E::Payload: 'static,
{
    use wasm_bindgen::prelude::*;
    let (tx, rx) = futures_channel::mpsc::unbounded();
    let handler = Closure::<dyn FnMut(JsValue)>::new(move |e: JsValue| {
        let payload = js_sys::Reflect::get(&e, &JsValue::from_str("payload")).unwrap_or(JsValue::NULL);
        match serde_wasm_bindgen::from_value::<E::Payload>(payload) {
            Ok(v) => {
                let _ = tx.unbounded_send(v);
            }
            Err(err) => web_sys::console::warn_1(&format!("undecodable {}: {err}", E::NAME).into()),
        }
    });
    imp::listen(E::NAME, &handler)
        .await
        .map_err(|_| CommandError::new(ErrorCode::Shell, format!("cannot listen to {}", E::NAME)))?;
    // The listener lives as long as the page.
    handler.forget();
    Ok(rx)
}

/// A file pasted or dropped: its name and bytes.
pub type PickedFile = (String, Vec<u8>);

/// What a paste brought that is not text.
#[derive(Debug)]
pub enum Pasted {
    /// Files the webview could read.
    Files(Vec<PickedFile>),
    /// Nothing the webview could read, and no text: perhaps an image on the
    /// system clipboard (WebKitGTK does not hand those to the page), which
    /// the shell can read.
    AskTheShell,
}

/// Pastes (Ctrl+V of a screenshot, say) into the element `id` that carry
/// no text come out of the receiver; the listener goes when the guard is
/// dropped. On the host, nothing ever comes.
pub fn pasted_files(id: &str) -> (futures_channel::mpsc::UnboundedReceiver<Pasted>, PasteGuard) {
    let (tx, rx) = futures_channel::mpsc::unbounded();
    #[cfg(target_arch = "wasm32")]
    {
        use wasm_bindgen::{JsCast, closure::Closure};
        let target = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id(id));
        let Some(target) = target else {
            return (rx, PasteGuard { listener: None });
        };
        let listener = Closure::<dyn FnMut(web_sys::Event)>::new(move |e: web_sys::Event| {
            let Some(data) = e
                .dyn_ref::<web_sys::ClipboardEvent>()
                .and_then(|c| c.clipboard_data())
            else {
                return;
            };
            let Some(files) = data.files().filter(|f| f.length() > 0) else {
                let types = data.types();
                let text = (0..types.length())
                    .filter_map(|i| types.get(i).as_string())
                    .any(|t| t.starts_with("text/"));
                if !text {
                    let _ = tx.unbounded_send(Pasted::AskTheShell);
                }
                return;
            };
            // A file, not its name as text, is what was pasted.
            e.prevent_default();
            let files: Vec<web_sys::File> = (0..files.length()).filter_map(|i| files.get(i)).collect();
            let tx = tx.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let mut out = Vec::new();
                for (i, f) in files.into_iter().enumerate() {
                    let Ok(buf) = wasm_bindgen_futures::JsFuture::from(f.array_buffer()).await else {
                        continue;
                    };
                    let name = match f.name() {
                        n if n.is_empty() || n == "image.png" => format!("pasted-{}-{i}.png", now_ms()),
                        n => n,
                    };
                    out.push((name, js_sys::Uint8Array::new(&buf).to_vec()));
                }
                if !out.is_empty() {
                    let _ = tx.unbounded_send(Pasted::Files(out));
                }
            });
        });
        let _ = target.add_event_listener_with_callback("paste", listener.as_ref().unchecked_ref());
        (
            rx,
            PasteGuard {
                listener: Some((target, listener)),
            },
        )
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = (id, tx);
        (rx, PasteGuard {})
    }
}

/// A DOM listener: where it is, and the closure it calls.
#[cfg(target_arch = "wasm32")]
type Listener = (
    web_sys::Element,
    wasm_bindgen::closure::Closure<dyn FnMut(web_sys::Event)>,
);

/// Removes a paste listener when dropped.
#[allow(missing_debug_implementations)]
pub struct PasteGuard {
    #[cfg(target_arch = "wasm32")]
    listener: Option<Listener>,
}

impl Drop for PasteGuard {
    fn drop(&mut self) {
        #[cfg(target_arch = "wasm32")]
        if let Some((target, listener)) = self.listener.take() {
            use wasm_bindgen::JsCast;
            let _ = target.remove_event_listener_with_callback("paste", listener.as_ref().unchecked_ref());
        }
    }
}

/// Each time the window gains the focus, a `()` comes out (never on the host).
pub fn window_focus() -> futures_channel::mpsc::UnboundedReceiver<()> {
    window_event("focus")
}

/// Each time the window's event `kind` fires (`focus`, `resize`), a `()`
/// comes out (never on the host). Listening ends when the receiver is
/// dropped.
pub fn window_event(kind: &'static str) -> futures_channel::mpsc::UnboundedReceiver<()> {
    let (tx, rx) = futures_channel::mpsc::unbounded();
    #[cfg(target_arch = "wasm32")]
    if let Some(w) = web_sys::window() {
        use wasm_bindgen::{JsCast, closure::Closure};
        let target = w.clone();
        type Listener = Closure<dyn FnMut(web_sys::Event)>;
        let holder: std::rc::Rc<std::cell::RefCell<Option<Listener>>> = std::rc::Rc::default();
        let inner = holder.clone();
        let listener = Listener::new(move |_| {
            if tx.unbounded_send(()).is_err()
                && let Some(l) = inner.borrow_mut().take()
            {
                // Nobody listens any more: stop (and free the closure).
                let _ = target.remove_event_listener_with_callback(kind, l.as_ref().unchecked_ref());
                wasm_bindgen_futures::spawn_local(async move { drop(l) });
            }
        });
        let _ = w.add_event_listener_with_callback(kind, listener.as_ref().unchecked_ref());
        *holder.borrow_mut() = Some(listener);
    }
    #[cfg(not(target_arch = "wasm32"))]
    let _ = (tx, kind);
    rx
}

/// A warning in the webview's console and the app's log (nothing on the
/// host).
pub fn warn(message: &str) {
    #[cfg(target_arch = "wasm32")]
    {
        web_sys::console::warn_1(&message.into());
        let cmd = switchboard_model::ipc::commands::LogWarning {
            message: message.to_owned(),
        };
        wasm_bindgen_futures::spawn_local(async move {
            let _ = invoke(&cmd).await;
        });
    }
    #[cfg(not(target_arch = "wasm32"))]
    let _ = message;
}

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

/// The window's inner width in CSS pixels (a wide window on the host).
pub fn window_width() -> f64 {
    #[cfg(target_arch = "wasm32")]
    {
        web_sys::window()
            .and_then(|w| w.inner_width().ok())
            .and_then(|w| w.as_f64())
            .unwrap_or(1280.0)
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        1280.0
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

    /// Whether element `id` is wholly or partly visible inside the scroll
    /// container `container` (always `true` on the host).
    pub fn in_view(id: &str, container: &str) -> bool {
        #[cfg(target_arch = "wasm32")]
        {
            let doc = web_sys::window().and_then(|w| w.document());
            let Some((el, c)) =
                doc.and_then(|d| Some((d.get_element_by_id(id)?, d.get_element_by_id(container)?)))
            else {
                return false;
            };
            let (r, v) = (el.get_bounding_client_rect(), c.get_bounding_client_rect());
            r.bottom() > v.top() + 1.0 && r.top() < v.bottom() - 1.0
        }
        #[cfg(not(target_arch = "wasm32"))]
        {
            let _ = (id, container);
            true
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
