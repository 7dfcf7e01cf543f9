//! The Socket.IO link: one connection at a time, owned by a supervisor that
//! rebuilds the client on every connect with the current token, backs off
//! exponentially with jitter and a cap, watches the link with `health-check`,
//! keeps one ack in flight at a time, and reports a `ConnectionState`.
//!
//! rust_socketio 0.6 sits behind the small [`Transport`] trait; its known
//! faults are answered here: `connect()` returns before the namespace is open
//! (we wait for `open`), an `unauthorized` refusal arrives only as an `error`
//! string (we stop at once), its own reconnect is off (we own the loop), ack
//! ids collide under concurrency (one ack at a time), acks come wrapped in
//! an extra array (unwrapped), and a dead reader gives no signal (the
//! watchdog notices).

use std::{
    future::Future,
    pin::Pin,
    sync::Arc,
    time::{Duration, Instant},
};

use futures_util::FutureExt;
use rand::Rng;
use rust_socketio::{Payload, TransportType, asynchronous::ClientBuilder};
use serde::Serialize;
use serde_json::{Value, json};
use switchboard_model::ConnectionState;
use switchboard_protocol::events::{Empty, client};
use tokio::sync::{Semaphore, mpsc, oneshot, watch};

/// A boxed future, for the object-safe transport traits.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What a transport reports about its connection.
#[derive(Debug, Clone, PartialEq)]
pub enum LinkEvent {
    /// The namespace is open: emits will now be delivered.
    Opened,
    /// A server event.
    Event {
        /// Its name.
        name: String,
        /// Its first argument (`null` when none).
        data: Value,
    },
    /// The handshake was refused as `unauthorized`.
    Refused(String),
    /// The connection is gone.
    Lost(String),
    /// An error that may or may not mean the link is gone (checked with a
    /// health-check).
    Suspect(String),
}

/// A live connection made by a [`Transport`].
pub trait Connection: Send + Sync {
    /// Emits an event without an ack.
    fn emit(&self, event: &str, data: Value) -> BoxFuture<'_, Result<(), String>>;
    /// Emits an event and resolves with its ack's first argument.
    fn emit_with_ack(
        &self,
        event: &str,
        data: Value,
        timeout: Duration,
    ) -> BoxFuture<'_, Result<Value, String>>;
    /// Closes the connection.
    fn close(&self) -> BoxFuture<'_, ()>;
}

/// Makes connections.
pub trait Transport: Send + Sync + 'static {
    /// Connects to `url` with `auth: {token}`; events go to `events`.
    fn connect(
        &self,
        url: String,
        token: String,
        events: mpsc::UnboundedSender<LinkEvent>,
    ) -> BoxFuture<'static, Result<Arc<dyn Connection>, String>>;
}

/// The rust_socketio 0.6 transport (websocket).
#[derive(Debug, Default, Clone, Copy)]
pub struct SocketIoTransport;

fn first_arg(p: Payload) -> Value {
    match p {
        Payload::Text(mut v) if !v.is_empty() => v.swap_remove(0),
        #[allow(deprecated)]
        Payload::String(s) => serde_json::from_str(&s).unwrap_or(Value::String(s)),
        _ => Value::Null,
    }
}

/// Acks arrive as `[[ack]]` from rust_socketio 0.6; accept `[ack]` and `ack` too.
pub fn unwrap_ack(v: Value) -> Value {
    match v {
        Value::Array(mut items) if items.len() == 1 => unwrap_ack(items.swap_remove(0)),
        other => other,
    }
}

fn classify_error(text: &str) -> LinkEvent {
    let lower = text.to_ascii_lowercase();
    if lower.contains("unauthorized") {
        LinkEvent::Refused(text.to_owned())
    } else if lower.contains("connecterror")
        || lower.contains("engineio")
        || lower.contains("websocket")
        || lower.contains("connection")
        || lower.contains("io error")
        || lower.contains("closed")
    {
        LinkEvent::Lost(text.to_owned())
    } else {
        LinkEvent::Suspect(text.to_owned())
    }
}

struct SocketIoConnection(rust_socketio::asynchronous::Client);

impl Connection for SocketIoConnection {
    fn emit(&self, event: &str, data: Value) -> BoxFuture<'_, Result<(), String>> {
        let event = event.to_owned();
        async move { self.0.emit(event, data).await.map_err(|e| e.to_string()) }.boxed()
    }

    fn emit_with_ack(
        &self,
        event: &str,
        data: Value,
        timeout: Duration,
    ) -> BoxFuture<'_, Result<Value, String>> {
        let event = event.to_owned();
        async move {
            let (tx, rx) = oneshot::channel::<Value>();
            let tx = Arc::new(std::sync::Mutex::new(Some(tx)));
            let callback = move |p: Payload, _| {
                let tx = tx.clone();
                async move {
                    if let Some(tx) = tx.lock().ok().and_then(|mut t| t.take()) {
                        let _ = tx.send(unwrap_ack(first_arg(p)));
                    }
                }
                .boxed()
            };
            self.0
                .emit_with_ack(event, data, timeout, callback)
                .await
                .map_err(|e| e.to_string())?;
            match tokio::time::timeout(timeout, rx).await {
                Ok(Ok(v)) => Ok(v),
                _ => Err(format!("no ack within {} ms", timeout.as_millis())),
            }
        }
        .boxed()
    }

    fn close(&self) -> BoxFuture<'_, ()> {
        async move {
            let _ = tokio::time::timeout(Duration::from_secs(2), self.0.disconnect()).await;
        }
        .boxed()
    }
}

impl Transport for SocketIoTransport {
    fn connect(
        &self,
        url: String,
        token: String,
        events: mpsc::UnboundedSender<LinkEvent>,
    ) -> BoxFuture<'static, Result<Arc<dyn Connection>, String>> {
        async move {
            let on = |kind: fn(Payload) -> LinkEvent| {
                let events = events.clone();
                move |p: Payload, _| {
                    let _ = events.send(kind(p));
                    async {}.boxed()
                }
            };
            let any = {
                let events = events.clone();
                move |event: rust_socketio::Event, p: Payload, _| {
                    let _ = events.send(LinkEvent::Event {
                        name: event.to_string(),
                        data: first_arg(p),
                    });
                    async {}.boxed()
                }
            };
            let client = ClientBuilder::new(url)
                .auth(json!({ "token": token }))
                .transport_type(TransportType::Websocket)
                .reconnect(false)
                .reconnect_on_disconnect(false)
                .on("open", on(|_| LinkEvent::Opened))
                .on(
                    "close",
                    on(|_| LinkEvent::Lost("the server closed the connection".to_owned())),
                )
                .on(
                    "error",
                    on(|p| classify_error(&first_arg(p).as_str().map(str::to_owned).unwrap_or_default())),
                )
                .on_any(any)
                .connect()
                .await
                .map_err(|e| e.to_string())?;
            Ok(Arc::new(SocketIoConnection(client)) as Arc<dyn Connection>)
        }
        .boxed()
    }
}

// ------------------------------------------------------------------ supervisor

/// Timings of the supervisor (shorter in tests).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LinkTimings {
    /// First retry delay.
    pub backoff_base: Duration,
    /// Longest retry delay.
    pub backoff_cap: Duration,
    /// How long a connect may take, up to the namespace being open.
    pub connect_timeout: Duration,
    /// How often the watchdog sends `health-check`.
    pub health_interval: Duration,
    /// How long an ack may take before the link counts as dead.
    pub ack_timeout: Duration,
}

impl Default for LinkTimings {
    fn default() -> Self {
        Self {
            backoff_base: Duration::from_millis(500),
            backoff_cap: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(15),
            // rust_socketio fires no event when the connection simply ends
            // (a server that exits, a cut without a DISCONNECT packet); the
            // next emit fails at once. So the watchdog is what notices: often
            // enough that a lost link shows within seconds, and each probe is
            // one tiny packet.
            health_interval: Duration::from_secs(4),
            ack_timeout: Duration::from_secs(10),
        }
    }
}

/// The delay before retry number `attempt` (1-based): exponential from
/// `base`, capped, with "equal jitter" (half fixed, half random).
pub fn backoff_delay(attempt: u32, base: Duration, cap: Duration, unit_random: f64) -> Duration {
    let exp = base.saturating_mul(
        1u32.checked_shl(attempt.saturating_sub(1).min(20))
            .unwrap_or(u32::MAX),
    );
    let d = exp.min(cap);
    d / 2 + d.mul_f64(unit_random.clamp(0.0, 1.0) / 2.0)
}

/// Why a link request failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    /// There is no open connection right now.
    #[error("not connected")]
    NotConnected,
    /// The connection failed while the request was under way.
    #[error("the connection failed: {0}")]
    Failed(String),
}

/// What the supervisor tells its owner.
#[derive(Debug, Clone, PartialEq)]
pub enum LinkNotice {
    /// A (re)connection is open; `generation` counts them.
    Connected {
        /// 1 for the first connection, 2 for the next…
        generation: u64,
    },
    /// The connection of `generation` is gone.
    Disconnected {
        /// Which one.
        generation: u64,
    },
    /// A server event.
    Event {
        /// Name.
        name: String,
        /// First argument.
        data: Value,
    },
}

enum Control {
    Request {
        event: String,
        data: Value,
        ack: Option<oneshot::Sender<Result<Value, LinkError>>>,
    },
    Reconnect,
    Stop,
}

/// A handle on the supervisor.
#[derive(Debug, Clone)]
pub struct Link {
    control: mpsc::UnboundedSender<Control>,
    state: watch::Receiver<ConnectionState>,
}

/// Where the supervisor gets the current token from; `None` means there is
/// none (sign-in needed).
pub type TokenSource = Arc<dyn Fn() -> Option<String> + Send + Sync>;

impl Link {
    /// Starts the supervisor. Notices (connections, events) go to `notices`.
    pub fn spawn(
        transport: Arc<dyn Transport>,
        url: String,
        token: TokenSource,
        timings: LinkTimings,
        notices: mpsc::UnboundedSender<LinkNotice>,
    ) -> Self {
        let (control, control_rx) = mpsc::unbounded_channel();
        let (state_tx, state) = watch::channel(ConnectionState::Offline);
        tokio::spawn(supervise(
            transport, url, token, timings, notices, control_rx, state_tx,
        ));
        Self { control, state }
    }

    /// The state now.
    pub fn state(&self) -> ConnectionState {
        self.state.borrow().clone()
    }

    /// A receiver that sees every state change.
    pub fn watch_state(&self) -> watch::Receiver<ConnectionState> {
        self.state.clone()
    }

    /// Emits a client event (a `switchboard_protocol::events::client` name
    /// and its payload struct) without an ack; dropped when not connected.
    pub fn emit<P: Serialize>(&self, event: &str, payload: &P) {
        let _ = self.control.send(Control::Request {
            event: event.to_owned(),
            data: to_payload(event, payload),
            ack: None,
        });
    }

    /// Emits a client event and waits for the ack (one ack in flight at a time).
    pub async fn request<P: Serialize>(&self, event: &str, payload: &P) -> Result<Value, LinkError> {
        let (tx, rx) = oneshot::channel();
        self.control
            .send(Control::Request {
                event: event.to_owned(),
                data: to_payload(event, payload),
                ack: Some(tx),
            })
            .map_err(|_| LinkError::NotConnected)?;
        rx.await.unwrap_or(Err(LinkError::NotConnected))
    }

    /// Drops the connection (if any) and connects again now, with a fresh
    /// token (after a sign-in, say).
    pub fn reconnect(&self) {
        let _ = self.control.send(Control::Reconnect);
    }

    /// Stops for good.
    pub fn stop(&self) {
        let _ = self.control.send(Control::Stop);
    }
}

enum SessionEnd {
    Lost(String),
    Refused,
    Reconnect,
    Stop,
}

#[tracing::instrument(name = "link", skip_all, fields(url = %url))]
async fn supervise(
    transport: Arc<dyn Transport>,
    url: String,
    token: TokenSource,
    timings: LinkTimings,
    notices: mpsc::UnboundedSender<LinkNotice>,
    mut control: mpsc::UnboundedReceiver<Control>,
    state: watch::Sender<ConnectionState>,
) {
    let mut attempt: u32 = 0;
    let mut generation: u64 = 0;
    let set = |s: ConnectionState| {
        state.send_if_modified(|old| {
            let changed = *old != s;
            *old = s.clone();
            changed
        });
    };
    'outer: loop {
        let Some(tok) = token() else {
            set(ConnectionState::NeedsLogin);
            if wait_for_sign_in(&mut control).await {
                continue 'outer;
            }
            break 'outer;
        };
        if attempt == 0 {
            set(ConnectionState::Connecting);
        }
        let (ev_tx, mut ev_rx) = mpsc::unbounded_channel();
        let started = Instant::now();
        let connected = tokio::time::timeout(timings.connect_timeout, async {
            let conn = transport.connect(url.clone(), tok, ev_tx).await?;
            // Wait for the namespace to open (or a refusal).
            loop {
                match ev_rx.recv().await {
                    Some(LinkEvent::Opened) => return Ok(conn),
                    Some(LinkEvent::Refused(r)) => {
                        conn.close().await;
                        return Err(format!("refused: {r}"));
                    }
                    Some(LinkEvent::Lost(r)) => {
                        conn.close().await;
                        return Err(r);
                    }
                    Some(_) => {}
                    None => return Err("transport closed".to_owned()),
                }
            }
        })
        .await;
        let end = match connected {
            Ok(Ok(conn)) => {
                generation += 1;
                attempt = 0;
                tracing::info!(generation, ms = started.elapsed().as_millis() as u64, "link open");
                set(ConnectionState::Online);
                let _ = notices.send(LinkNotice::Connected { generation });
                let end = session(conn.clone(), &mut ev_rx, &mut control, &notices, timings).await;
                let _ = notices.send(LinkNotice::Disconnected { generation });
                conn.close().await;
                end
            }
            Ok(Err(e)) if e.starts_with("refused") && e.to_ascii_lowercase().contains("unauthorized") => {
                SessionEnd::Refused
            }
            Ok(Err(e)) => SessionEnd::Lost(e),
            Err(_) => SessionEnd::Lost("connect timed out".to_owned()),
        };
        match end {
            SessionEnd::Stop => break,
            SessionEnd::Refused => {
                tracing::warn!("the server refused the token (unauthorized): sign-in needed; not retrying");
                set(ConnectionState::NeedsLogin);
                if wait_for_sign_in(&mut control).await {
                    attempt = 0;
                    continue 'outer;
                }
                break 'outer;
            }
            SessionEnd::Reconnect => {
                attempt = 0;
                continue;
            }
            SessionEnd::Lost(reason) => {
                attempt = attempt.saturating_add(1);
                let delay = backoff_delay(
                    attempt,
                    timings.backoff_base,
                    timings.backoff_cap,
                    rand::rng().random::<f64>(),
                );
                tracing::info!(attempt, delay_ms = delay.as_millis() as u64, %reason, "link lost; retrying");
                set(ConnectionState::Reconnecting {
                    attempt,
                    next_in_ms: delay.as_millis() as u64,
                });
                let wake = tokio::time::sleep(delay);
                tokio::pin!(wake);
                loop {
                    tokio::select! {
                        _ = &mut wake => break,
                        c = control.recv() => match c {
                            None | Some(Control::Stop) => break 'outer,
                            Some(Control::Reconnect) => { attempt = 0; break }
                            Some(Control::Request { ack, .. }) => refuse(ack),
                        }
                    }
                }
            }
        }
    }
    set(ConnectionState::Offline);
    tracing::debug!("link supervisor stopped");
}

/// Waits for a sign-in (`Reconnect`: `true`) or `Stop` (`false`), refusing
/// requests meanwhile.
async fn wait_for_sign_in(control: &mut mpsc::UnboundedReceiver<Control>) -> bool {
    loop {
        match control.recv().await {
            None | Some(Control::Stop) => return false,
            Some(Control::Reconnect) => return true,
            Some(Control::Request { ack, .. }) => refuse(ack),
        }
    }
}

fn refuse(ack: Option<oneshot::Sender<Result<Value, LinkError>>>) {
    if let Some(ack) = ack {
        let _ = ack.send(Err(LinkError::NotConnected));
    }
}

async fn session(
    conn: Arc<dyn Connection>,
    events: &mut mpsc::UnboundedReceiver<LinkEvent>,
    control: &mut mpsc::UnboundedReceiver<Control>,
    notices: &mpsc::UnboundedSender<LinkNotice>,
    timings: LinkTimings,
) -> SessionEnd {
    // One ack in flight at a time: each request waits for this permit.
    let in_flight = Arc::new(Semaphore::new(1));
    let (dead_tx, mut dead_rx) = mpsc::unbounded_channel::<String>();
    let ask = |event: String, data: Value, reply: Option<oneshot::Sender<Result<Value, LinkError>>>| {
        let (conn, in_flight, dead_tx) = (conn.clone(), in_flight.clone(), dead_tx.clone());
        tokio::spawn(async move {
            let Ok(_permit) = in_flight.acquire().await else {
                return;
            };
            // The whole round trip is bounded: a send into a dead socket can hang.
            let round_trip = conn.emit_with_ack(&event, data, timings.ack_timeout);
            let answer = tokio::time::timeout(timings.ack_timeout, round_trip)
                .await
                .unwrap_or_else(|_| Err(format!("no ack within {} ms", timings.ack_timeout.as_millis())));
            match answer {
                Ok(v) => {
                    if let Some(r) = reply {
                        let _ = r.send(Ok(v));
                    }
                }
                Err(e) => {
                    let _ = dead_tx.send(format!("{event}: {e}"));
                    if let Some(r) = reply {
                        let _ = r.send(Err(LinkError::Failed(e)));
                    }
                }
            }
        });
    };
    let mut watchdog = tokio::time::interval(timings.health_interval);
    watchdog.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    watchdog.reset();
    loop {
        tokio::select! {
            biased;
            dead = dead_rx.recv() => {
                return SessionEnd::Lost(format!("no answer ({})", dead.unwrap_or_default()));
            }
            ev = events.recv() => match ev {
                Some(LinkEvent::Event { name, data }) => {
                    let _ = notices.send(LinkNotice::Event { name, data });
                }
                Some(LinkEvent::Opened) => {}
                Some(LinkEvent::Refused(_)) => return SessionEnd::Refused,
                Some(LinkEvent::Lost(r)) => return SessionEnd::Lost(r),
                Some(LinkEvent::Suspect(r)) => {
                    tracing::debug!(error = %r, "link error; probing with health-check");
                    ask(client::HEALTH_CHECK.to_owned(), to_payload(client::HEALTH_CHECK, &Empty {}), None);
                }
                None => return SessionEnd::Lost("transport gone".to_owned()),
            },
            c = control.recv() => match c {
                None | Some(Control::Stop) => return SessionEnd::Stop,
                Some(Control::Reconnect) => return SessionEnd::Reconnect,
                Some(Control::Request { event, data, ack: Some(reply) }) => ask(event, data, Some(reply)),
                Some(Control::Request { event, data, ack: None }) => {
                    match tokio::time::timeout(timings.ack_timeout, conn.emit(&event, data)).await {
                        Ok(Ok(())) => {}
                        Ok(Err(e)) => return SessionEnd::Lost(e),
                        Err(_) => return SessionEnd::Lost(format!("{event}: the send did not complete")),
                    }
                }
            },
            _ = watchdog.tick() => ask(
                client::HEALTH_CHECK.to_owned(),
                to_payload(client::HEALTH_CHECK, &Empty {}),
                None,
            ),
        }
    }
}

/// A payload struct as JSON. The protocol's structs always serialise; if one
/// ever did not, the event goes out as `null` (the server refuses it with a
/// failed ack) and the error is logged, never hidden.
fn to_payload<P: Serialize>(event: &str, payload: &P) -> Value {
    serde_json::to_value(payload).unwrap_or_else(|e| {
        tracing::error!(%event, error = %e, "could not encode an event payload");
        Value::Null
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_caps_and_jitters() {
        let (base, cap) = (Duration::from_millis(500), Duration::from_secs(30));
        assert_eq!(backoff_delay(1, base, cap, 0.0), Duration::from_millis(250));
        assert_eq!(backoff_delay(1, base, cap, 1.0), Duration::from_millis(500));
        assert_eq!(backoff_delay(3, base, cap, 1.0), Duration::from_millis(2000));
        assert_eq!(backoff_delay(40, base, cap, 1.0), cap);
        assert!(backoff_delay(40, base, cap, 0.0) >= cap / 2);
    }

    #[test]
    fn acks_are_unwrapped_from_extra_arrays() {
        assert_eq!(unwrap_ack(json!([[{"success": true}]])), json!({"success": true}));
        assert_eq!(unwrap_ack(json!([{"success": true}])), json!({"success": true}));
        assert_eq!(unwrap_ack(json!({"success": true})), json!({"success": true}));
    }

    #[test]
    fn refusals_and_losses_are_told_apart() {
        assert!(matches!(
            classify_error(r#"Received an ConnectError frame: {"message":"unauthorized"}"#),
            LinkEvent::Refused(_)
        ));
        assert!(matches!(classify_error("EngineIO Error"), LinkEvent::Lost(_)));
        assert!(matches!(
            classify_error("Incomplete packet"),
            LinkEvent::Suspect(_)
        ));
    }
}
