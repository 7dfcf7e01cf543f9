//! The Socket.IO side: handshake auth (agent JWT or visitor cookie, else
//! `unauthorized`), rooms, and every client → server event with its ack. A
//! malformed payload gets a failed ack (when one was asked for) and never
//! closes the socket.

use std::sync::{
    Arc,
    atomic::{AtomicU64, Ordering},
};

use serde::de::DeserializeOwned;
use serde_json::Value;
use socketioxide::{
    SocketIo,
    adapter::Adapter,
    extract::{AckSender, SocketRef, TryData},
    handler::{ConnectHandler, FromMessageParts},
};
use switchboard_protocol::{
    AGENTS_ROOM, Ack, ChatRef, HealthAck, NotificationCount, NotificationRead, PresenceUpdate, ReadRequest,
    RoomEvent, TypingEvent, TypingRequest, Welcome, chat_room, client, commercial_room, server,
    time::format_millis,
};

use crate::{
    auth::{Principal, session_from_cookie_header},
    core::{Core, agent_room, now_ms},
    error::ApiError,
};

/// Why a handshake was refused; the client sees `connect_error` with this message.
#[derive(Debug)]
struct Unauthorized;

impl std::fmt::Display for Unauthorized {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("unauthorized")
    }
}

fn authenticate(core: &Core, s: &SocketRef, auth: Option<Value>) -> Option<Principal> {
    let token = auth
        .as_ref()
        .and_then(|a| a.get("token"))
        .and_then(Value::as_str)
        .map(|t| t.strip_prefix("Bearer ").unwrap_or(t));
    if let Some(token) = token {
        // A token was offered: it decides, with no fallback to a cookie.
        return core.agent_for_token(token).ok().flatten().map(Principal::Agent);
    }
    let cookie = s
        .req_parts()
        .headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|h| h.to_str().ok())
        .find_map(session_from_cookie_header)?;
    core.visitor_for_session(cookie)
        .ok()
        .flatten()
        .map(Principal::Visitor)
}

fn principal(s: &SocketRef) -> Option<Principal> {
    s.extensions.get::<Principal>()
}

/// One socket's events, in the order they arrived. socketioxide runs each
/// event's handler as a task of its own, so a later `presence:update` (or a
/// `chat:read` after a `chat:join`) could overtake an earlier one. But it
/// extracts a handler's arguments synchronously, in the socket's packet
/// loop: there each event takes a ticket ([`Turn`]), and its task waits
/// until the events before it are done.
#[derive(Debug, Default)]
struct Turns {
    next: AtomicU64,
    done: tokio::sync::watch::Sender<u64>,
}

/// An event's place in its socket's order; dropping it (the handler
/// finished, or panicked) lets the next one go.
#[derive(Debug)]
struct Turn {
    ticket: u64,
    turns: Arc<Turns>,
}

impl Turn {
    /// Waits until every earlier event of the socket is done.
    async fn wait(&self) {
        let mut done = self.turns.done.subscribe();
        let _ = done.wait_for(|d| *d >= self.ticket).await;
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        let next = self.ticket + 1;
        self.turns.done.send_if_modified(|d| {
            let moved = *d < next;
            *d = (*d).max(next);
            moved
        });
    }
}

impl<A: Adapter> FromMessageParts<A> for Turn {
    type Error = std::convert::Infallible;

    fn from_message_parts(
        s: &Arc<socketioxide::socket::Socket<A>>,
        _: &mut socketioxide::handler::Value,
        _: &Option<i64>,
    ) -> Result<Self, Self::Error> {
        let turns = s.extensions.get::<Arc<Turns>>().unwrap_or_else(|| {
            let t = Arc::new(Turns::default());
            s.extensions.insert(t.clone());
            t
        });
        let ticket = turns.next.fetch_add(1, Ordering::SeqCst);
        Ok(Self { ticket, turns })
    }
}

fn parse<T: DeserializeOwned>(data: TryData<Value>) -> Result<T, Ack> {
    let value = data.0.map_err(|_| Ack::fail("invalid payload"))?;
    serde_json::from_value(value).map_err(|e| Ack::fail(format!("invalid payload: {e}")))
}

fn fail(e: ApiError) -> Ack {
    Ack::fail(e.message)
}

fn reply(ack: AckSender, value: &impl serde::Serialize) {
    if let Err(e) = ack.send(value) {
        tracing::debug!(error = %e, "ack not sent");
    }
}

/// Installs the default namespace's handlers.
pub fn register(io: &SocketIo, core: Arc<Core>) {
    let mw_core = core.clone();
    let middleware = move |s: SocketRef, TryData(auth): TryData<Value>| {
        let core = mw_core.clone();
        async move {
            match authenticate(&core, &s, auth.ok()) {
                Some(p) => {
                    // Rooms and event handlers are in place before the
                    // handshake is answered, so an event a client emits the
                    // moment it is connected is never missed.
                    match &p {
                        Principal::Agent(a) => s.join([AGENTS_ROOM.to_owned(), agent_room(&a.id)]),
                        Principal::Visitor(v) => s.join(format!("visitor:{}", v.id)),
                    }
                    s.extensions.insert(p);
                    install_handlers(&core, &s);
                    Ok(())
                }
                None => {
                    tracing::debug!(sid = %s.id, "handshake refused: unauthorized");
                    Err(Unauthorized)
                }
            }
        }
    };
    let handler = move |s: SocketRef| {
        // Runs synchronously as the socket connects (the returned future is empty).
        on_connect(core.clone(), s);
        async {}
    };
    io.ns("/", handler.with(middleware));
}

fn on_connect(core: Arc<Core>, s: SocketRef) {
    let Some(who) = principal(&s) else {
        let _ = s.disconnect();
        return;
    };
    tracing::debug!(sid = %s.id, user = %who.id(), "socket connected");
    core.emit_to(
        &s,
        server::WELCOME,
        &Welcome {
            message: "Welcome to Switchboard".to_owned(),
            client_id: s.id.to_string(),
            timestamp: format_millis(now_ms()),
        },
    );
    if let Principal::Agent(a) = &who {
        core.agent_connected(&a.id);
        if let Ok(count) = core.db().unread_notifications(&a.id) {
            core.emit_to(&s, server::NOTIFICATION_COUNT, &NotificationCount { count });
        }
    }
    s.on_disconnect(move |s: SocketRef| {
        let core = core.clone();
        async move {
            if let Some(Principal::Agent(a)) = principal(&s) {
                core.agent_disconnected(&a.id);
            }
            tracing::debug!(sid = %s.id, "socket disconnected");
        }
    });
}

/// Registers one event whose handler gets the core, the socket, the caller,
/// the raw payload and the ack sender, in its [`Turn`]: one socket's events
/// are handled in the order they arrived.
macro_rules! on {
    ($s:expr, $core:expr, $event:expr, $f:expr) => {{
        let core = $core.clone();
        $s.on(
            $event,
            move |s: SocketRef, turn: Turn, data: TryData<Value>, ack: AckSender| {
                let core = core.clone();
                async move {
                    turn.wait().await;
                    if let Some(who) = principal(&s) {
                        #[allow(clippy::redundant_closure_call)]
                        ($f)(&core, &s, &who, data, ack);
                    }
                    drop(turn);
                }
            },
        );
    }};
}

fn install_handlers(core: &Arc<Core>, s: &SocketRef) {
    on!(s, core, client::CHAT_JOIN, join);
    on!(s, core, client::CHAT_LEAVE, leave);
    on!(
        s,
        core,
        client::TYPING_START,
        |c: &Core, s: &SocketRef, w: &Principal, d, _a| { typing(c, s, w, d, server::USER_TYPING) }
    );
    on!(
        s,
        core,
        client::TYPING_STOP,
        |c: &Core, s: &SocketRef, w: &Principal, d, _a| { typing(c, s, w, d, server::USER_STOP_TYPING) }
    );
    on!(s, core, client::CHAT_READ, read);
    on!(s, core, client::PRESENCE_UPDATE, presence);
    on!(s, core, client::NOTIFICATION_READ, notification_read);
    on!(s, core, client::NOTIFICATION_READ_ALL, notification_read_all);
    on!(
        s,
        core,
        client::HEALTH_CHECK,
        |_c: &Core, _s: &SocketRef, _w: &Principal, _d, ack: AckSender| {
            reply(
                ack,
                &HealthAck {
                    status: "ok".to_owned(),
                    timestamp: format_millis(now_ms()),
                },
            )
        }
    );
}

fn join(core: &Core, s: &SocketRef, who: &Principal, data: TryData<Value>, ack: AckSender) {
    let result = parse::<ChatRef>(data).and_then(|r| {
        let db = core.db();
        core.visible_chat(&db, who, &r.chat_id).map_err(fail)
    });
    match result {
        Ok(chat) => {
            let room = chat_room(&chat.id);
            if who.sees_internal() {
                s.join([room.clone(), commercial_room(&chat.id)]);
            } else {
                s.join(room.clone());
            }
            reply(ack, &Ack::room(room.clone()));
            core.emit_to(
                s,
                server::CHAT_JOINED,
                &RoomEvent {
                    chat_id: chat.id,
                    room_name: room,
                    timestamp: format_millis(now_ms()),
                },
            );
        }
        Err(a) => reply(ack, &a),
    }
}

fn leave(core: &Core, s: &SocketRef, _who: &Principal, data: TryData<Value>, ack: AckSender) {
    match parse::<ChatRef>(data).and_then(|r| {
        crate::validate::id("chatId", &r.chat_id).map_err(fail)?;
        Ok(r)
    }) {
        Ok(r) => {
            let room = chat_room(&r.chat_id);
            s.leave([room.clone(), commercial_room(&r.chat_id)]);
            reply(ack, &Ack::room(room.clone()));
            core.emit_to(
                s,
                server::CHAT_LEFT,
                &RoomEvent {
                    chat_id: r.chat_id,
                    room_name: room,
                    timestamp: format_millis(now_ms()),
                },
            );
        }
        Err(a) => reply(ack, &a),
    }
}

/// Typing, plain or (v2.1, agents only) in an internal note: a note's goes
/// to the commercial room alone. A v2 hub ignores `internal`, as a v2
/// server would, and forwards plain typing; a visitor's `internal` typing
/// reaches nobody.
fn typing(core: &Core, s: &SocketRef, who: &Principal, data: TryData<Value>, event: &str) {
    let Ok(r) = parse::<TypingRequest>(data) else {
        return;
    };
    let internal = r.internal && core.v21();
    if internal && !who.sees_internal() {
        return;
    }
    let joined = chat_room(&r.chat_id);
    // Only someone in the chat's room may say they are typing there.
    if !s.rooms().iter().any(|room| *room == joined) {
        return;
    }
    let room = if internal {
        commercial_room(&r.chat_id)
    } else {
        joined
    };
    let ev = TypingEvent {
        user_id: who.id().to_owned(),
        chat_id: r.chat_id,
        internal,
    };
    core.emit(vec![room], Some(s.id), event, &ev);
}

fn read(core: &Core, _s: &SocketRef, who: &Principal, data: TryData<Value>, ack: AckSender) {
    let result =
        parse::<ReadRequest>(data).and_then(|r| core.mark_read(who, &r.chat_id, &r.message_id).map_err(fail));
    reply(ack, &result.map(|()| Ack::ok()).unwrap_or_else(|a| a));
}

fn presence(core: &Core, _s: &SocketRef, who: &Principal, data: TryData<Value>, ack: AckSender) {
    let Some(agent) = who.agent() else {
        return reply(ack, &Ack::fail("forbidden"));
    };
    match parse::<PresenceUpdate>(data) {
        Ok(p) if p.status != switchboard_protocol::Presence::Offline => {
            core.set_presence(&agent.id, p.status);
            reply(ack, &Ack::ok());
        }
        Ok(_) => reply(ack, &Ack::fail("status must be online, away or busy")),
        Err(a) => reply(ack, &a),
    }
}

fn notification_read(core: &Core, _s: &SocketRef, who: &Principal, data: TryData<Value>, ack: AckSender) {
    let Some(agent) = who.agent() else {
        return reply(ack, &Ack::fail("forbidden"));
    };
    let result = parse::<NotificationRead>(data).and_then(|r| {
        core.read_notification(&agent.id, &r.notification_id)
            .map_err(fail)
    });
    reply(ack, &result.map(|()| Ack::ok()).unwrap_or_else(|a| a));
}

fn notification_read_all(
    core: &Core,
    _s: &SocketRef,
    who: &Principal,
    _data: TryData<Value>,
    ack: AckSender,
) {
    let Some(agent) = who.agent() else {
        return reply(ack, &Ack::fail("forbidden"));
    };
    let result = core.read_all_notifications(&agent.id).map_err(fail);
    reply(ack, &result.map(|()| Ack::ok()).unwrap_or_else(|a| a));
}
