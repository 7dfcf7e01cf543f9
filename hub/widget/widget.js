// The hub's visitor widget: a person plays the website visitor in a browser.
// HTTP to send (PROTOCOL.md), a minimal Socket.IO v4 client over a plain
// WebSocket to receive. The session is the HttpOnly visitor_session cookie.
// Every message is rendered with textContent, never as HTML.
"use strict";

const $ = (id) => document.getElementById(id);
const CHAT_KEY = "switchboard.widget.chatId";
let chatId = localStorage.getItem(CHAT_KEY);
const shown = new Map(); // messageId or clientMessageId -> <li>

async function api(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: body ? { "content-type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
    credentials: "same-origin",
  });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw Object.assign(new Error(data.message || res.statusText), { status: res.status });
  return data;
}

function showError(text) {
  $("error").textContent = text;
  $("error").hidden = !text;
}

function render(m, pending) {
  const key = m.messageId || m.clientMessageId;
  let li = shown.get(m.clientMessageId) || shown.get(key);
  if (!li) {
    li = document.createElement("li");
    $("log").appendChild(li);
  }
  li.className = m.senderType + (pending ? " sending" : "");
  li.textContent = m.attachment ? `${m.content} [${m.attachment.fileName}]`.trim() : m.content;
  shown.set(key, li);
  if (m.clientMessageId) shown.set(m.clientMessageId, li);
  $("log").scrollTop = $("log").scrollHeight;
}

// ---- a minimal Socket.IO v4 client (websocket transport only) ----
class Socket {
  constructor(handlers) {
    this.handlers = handlers;
    this.acks = new Map();
    this.nextAck = 1;
    this.backoff = 500;
    this.open();
  }
  open() {
    const proto = location.protocol === "https:" ? "wss" : "ws";
    this.ws = new WebSocket(`${proto}://${location.host}/socket.io/?EIO=4&transport=websocket`);
    this.ws.onmessage = (e) => this.packet(String(e.data));
    this.ws.onclose = () => {
      this.handlers.state("reconnecting");
      setTimeout(() => this.open(), (this.backoff = Math.min(this.backoff * 2, 10000)));
    };
  }
  packet(p) {
    if (p[0] === "0") return this.ws.send("40"); // engine open -> socket.io connect
    if (p[0] === "2") return this.ws.send("3"); // ping -> pong
    if (p[0] !== "4") return;
    const type = p[1];
    const body = p.slice(2);
    if (type === "0") {
      this.backoff = 500;
      this.handlers.connect();
    } else if (type === "4") {
      this.handlers.state("unauthorized");
    } else if (type === "2" || type === "3") {
      const start = body.search(/[\[{]/);
      const id = start > 0 ? Number(body.slice(0, start)) : null;
      const args = JSON.parse(body.slice(Math.max(start, 0)));
      if (type === "3") {
        const cb = this.acks.get(id);
        this.acks.delete(id);
        if (cb) cb(args[0]);
      } else {
        const [event, data] = args;
        (this.handlers.events[event] || (() => {}))(data);
      }
    }
  }
  emit(event, data, ack) {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    let id = "";
    if (ack) {
      id = this.nextAck++;
      this.acks.set(id, ack);
    }
    this.ws.send(`42${id}${JSON.stringify([event, data])}`);
  }
}

let socket = null;
let lastTyping = 0;
let typingHide = null;

async function loadHistory() {
  const page = await api("GET", `/v2/messages/chat/${chatId}?limit=200`);
  page.messages.forEach((m) => render(m, false));
}

function startSocket() {
  socket = new Socket({
    state: (s) => ($("state").textContent = s),
    connect: () => {
      $("state").textContent = "online";
      socket.emit("chat:join", { chatId }, () => loadHistory().catch((e) => showError(e.message)));
    },
    events: {
      "message:new": (m) => m.chatId === chatId && render(m, false),
      "user:typing": (t) => {
        if (t.chatId !== chatId) return;
        $("typing").hidden = false;
        clearTimeout(typingHide);
        typingHide = setTimeout(() => ($("typing").hidden = true), 6000);
      },
      "user:stop-typing": () => ($("typing").hidden = true),
      "chat:status": (s) => {
        if (s.chatId === chatId && s.status === "CLOSED") $("text").disabled = true;
      },
    },
  });
}

async function enterChat() {
  $("start").hidden = true;
  $("chat").hidden = false;
  startSocket();
}

/**
 * Where the visitor is, for the agents (PROTOCOL.md v2.1 `visitorContext`):
 * the page (`?page=` when the site that embeds the widget says so, else the
 * embedding page, else this one), the referrer, the browser, its language and
 * the time zone. Each value is cut to the protocol's 2,000 characters.
 */
function visitorContext() {
  const cut = (s) => (s ? String(s).slice(0, 2000) : undefined);
  const embedded = window.top !== window;
  const page = new URLSearchParams(location.search).get("page") || (embedded ? document.referrer : location.href);
  let timezone;
  try {
    timezone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch {
    timezone = undefined;
  }
  return {
    page: cut(page),
    referrer: cut(embedded ? undefined : document.referrer),
    userAgent: cut(navigator.userAgent),
    locale: cut(navigator.language),
    timezone: cut(timezone),
  };
}

let starting = false;
$("start").addEventListener("submit", async (e) => {
  e.preventDefault();
  // One chat per start: a second submit (a double click, Enter and a
  // click) while the first is on its way does nothing.
  if (starting) return;
  starting = true;
  const button = $("start").querySelector("button");
  if (button) button.disabled = true;
  try {
    await api("POST", "/v2/visitors", {
      name: $("name").value,
      email: $("email").value || undefined,
      context: visitorContext(),
    });
    const chat = await api("POST", "/v2/chats", { subject: $("subject").value || undefined });
    chatId = chat.chatId;
    localStorage.setItem(CHAT_KEY, chatId);
    await enterChat();
  } catch (err) {
    alert(err.message);
  } finally {
    starting = false;
    if (button) button.disabled = false;
  }
});

$("text").addEventListener("input", () => {
  const now = Date.now();
  if (socket && now - lastTyping > 2000) {
    lastTyping = now;
    socket.emit("typing:start", { chatId });
  }
});

$("text").addEventListener("keydown", (e) => {
  if (e.key === "Enter" && !e.shiftKey) {
    e.preventDefault();
    $("composer").requestSubmit();
  }
});

$("composer").addEventListener("submit", async (e) => {
  e.preventDefault();
  const content = $("text").value;
  if (!content.trim()) return;
  const clientMessageId = crypto.randomUUID();
  render({ clientMessageId, content, senderType: "visitor" }, true);
  $("text").value = "";
  if (socket) socket.emit("typing:stop", { chatId });
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const m = await api("POST", "/v2/messages", { chatId, content, type: "text", clientMessageId });
      render(m, false);
      showError("");
      return;
    } catch (err) {
      if (err.status && err.status < 500 && err.status !== 429) {
        showError(err.message);
        return;
      }
      await new Promise((r) => setTimeout(r, 500 * 2 ** attempt));
    }
  }
  showError("Could not send: the server is unreachable.");
});

if (chatId) {
  api("GET", `/v2/messages/chat/${chatId}?limit=1`)
    .then(enterChat)
    .catch(() => {
      localStorage.removeItem(CHAT_KEY);
      chatId = null;
    });
}
