// Test harness for the switchboard-hub conformance suite.
//
// Starts the real hub binary ($SWITCHBOARD_HUB_BIN) as a child process on a
// free loopback port with a fresh SQLite file, and offers small helpers for
// HTTP calls, agents, visitors, chats and Socket.IO clients. Nothing here
// sleeps to synchronise: every wait is on an event or a condition, with a
// timeout.

import { spawn } from "node:child_process";
import { createHmac, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import assert from "node:assert/strict";
import { io } from "socket.io-client";

/** How long to wait for the hub to print its listening line. */
const START_TIMEOUT_MS = 20_000;
/** How long to wait for the hub to exit after SIGTERM. */
const STOP_TIMEOUT_MS = 10_000;
/** Default wait for a socket event or an ack. */
export const EVENT_TIMEOUT_MS = 5_000;

export const DEMO_PASSWORD = "password";
export const AGENT1 = "agent@example.com";
export const AGENT2 = "agent2@example.com";

/** ISO 8601, UTC, with milliseconds (`2026-11-23T10:15:30.123Z`). */
export const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A well-formed UUID that no hub will ever have issued. */
export const UNKNOWN_ID = "00000000-0000-4000-8000-000000000000";

/** Reason phrases of NestJS's `error` field, by status. */
export const REASON = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  409: "Conflict",
  413: "Payload Too Large",
  429: "Too Many Requests",
};

function hubBinary() {
  const bin = process.env.SWITCHBOARD_HUB_BIN;
  if (!bin) {
    throw new Error(
      "SWITCHBOARD_HUB_BIN is not set: build the hub (cargo build -p switchboard-hub) and point it at the binary",
    );
  }
  return bin;
}

/**
 * Starts a hub. `args` are extra command-line flags (e.g. ["--rate-limit", "5"]).
 * Returns a started {@link Hub}.
 */
export async function startHub(args = [], { dir } = {}) {
  const hub = new Hub(args, dir);
  await hub.start();
  return hub;
}

export class Hub {
  constructor(args = [], dir) {
    this.args = args;
    this.ownsDir = !dir;
    this.dir = dir ?? mkdtempSync(join(tmpdir(), "switchboard-conformance-"));
    this.db = join(this.dir, "hub.db");
    this.proc = null;
    this.url = null;
    this.stderr = "";
    this.sockets = new Set();
    this.tokens = new Map();
  }

  /** Spawns the binary and waits for its one stdout line. */
  async start() {
    const proc = spawn(hubBinary(), ["--bind", "127.0.0.1:0", "--db", this.db, ...this.args], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? "warn" },
    });
    this.proc = proc;
    this.exited = new Promise((resolve) => proc.once("exit", (code, signal) => resolve({ code, signal })));
    proc.stderr.setEncoding("utf8");
    proc.stderr.on("data", (chunk) => {
      // Keep the tail only, for error messages.
      this.stderr = (this.stderr + chunk).slice(-20_000);
    });
    proc.stdout.setEncoding("utf8");
    this.url = await new Promise((resolve, reject) => {
      let buffered = "";
      const timer = setTimeout(() => {
        fail(new Error(`hub did not print its listening line within ${START_TIMEOUT_MS} ms`));
      }, START_TIMEOUT_MS);
      const onData = (chunk) => {
        buffered += chunk;
        const lines = buffered.split("\n");
        buffered = lines.pop();
        for (const line of lines) {
          const m = /^switchboard-hub listening on (http:\/\/127\.0\.0\.1:\d+)\s*$/.exec(line);
          if (m) {
            cleanup();
            resolve(m[1]);
            return;
          }
        }
      };
      const onExit = (code, signal) => fail(new Error(`hub exited before listening (code ${code}, signal ${signal})`));
      const onError = (e) => fail(e);
      const cleanup = () => {
        clearTimeout(timer);
        proc.stdout.off("data", onData);
        proc.off("exit", onExit);
        proc.off("error", onError);
      };
      const fail = (e) => {
        cleanup();
        proc.kill("SIGKILL");
        e.message += `\n--- hub stderr ---\n${this.stderr}`;
        reject(e);
      };
      proc.stdout.on("data", onData);
      proc.once("exit", onExit);
      proc.once("error", onError);
    });
    // Keep draining stdout so the child can never block on a full pipe.
    proc.stdout.resume();
    this.port = Number(new URL(this.url).port);
    return this;
  }

  /** Closes every socket this harness opened, sends SIGTERM and waits for the exit. */
  async stop({ keepDb = false, closeSockets = true } = {}) {
    if (closeSockets) for (const s of this.sockets) s.disconnect();
    this.sockets.clear();
    if (this.proc && this.proc.exitCode === null && this.proc.signalCode === null) {
      this.proc.kill("SIGTERM");
      let timer;
      const timeout = new Promise((resolve) => {
        timer = setTimeout(() => resolve("timeout"), STOP_TIMEOUT_MS);
      });
      const result = await Promise.race([this.exited, timeout]);
      clearTimeout(timer);
      if (result === "timeout") {
        this.proc.kill("SIGKILL");
        await this.exited;
        throw new Error(`hub did not exit within ${STOP_TIMEOUT_MS} ms of SIGTERM`);
      }
      this.exitStatus = result;
    }
    this.proc = null;
    if (!keepDb && this.ownsDir) rmSync(this.dir, { recursive: true, force: true });
    return this.exitStatus;
  }

  /** Stops the hub and starts it again on the same database (a new port). */
  async restart() {
    await this.stop({ keepDb: true });
    this.tokens.clear();
    await this.start();
    return this;
  }

  // ---------------------------------------------------------------- HTTP

  /**
   * One HTTP call. `auth` is an agent ({token}) or a visitor ({cookie});
   * `json` is sent as a JSON body. Answers {status, headers, body, text}.
   */
  async request(method, path, { auth, json, body, headers = {} } = {}) {
    const h = { ...headers };
    if (auth?.token) h.authorization = `Bearer ${auth.token}`;
    if (auth?.cookie) h.cookie = auth.cookie;
    if (json !== undefined) {
      h["content-type"] = "application/json";
      body = JSON.stringify(json);
    }
    const res = await fetch(new URL(path, this.url), { method, headers: h, body });
    const text = await res.text();
    let parsed;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = text;
    }
    return { status: res.status, headers: res.headers, body: parsed, text };
  }

  get(path, opts) {
    return this.request("GET", path, opts);
  }

  post(path, json, opts = {}) {
    return this.request("POST", path, { ...opts, json });
  }

  /** Logs in (cached per e-mail): {token, expiresAt, agent, id}. */
  async login(email = AGENT1, password = DEMO_PASSWORD) {
    const cached = this.tokens.get(email);
    if (cached) return cached;
    const res = await this.post("/v2/auth/login", { email, password });
    assert.equal(res.status, 200, `login of ${email}: ${res.text}`);
    const who = { ...res.body, id: res.body.agent.id };
    this.tokens.set(email, who);
    return who;
  }

  agent1() {
    return this.login(AGENT1);
  }

  agent2() {
    return this.login(AGENT2);
  }

  /** PUT with a JSON body: the raw answer. */
  put(path, json, opts = {}) {
    return this.request("PUT", path, { ...opts, json });
  }

  /** DELETE: the raw answer. */
  del(path, opts) {
    return this.request("DELETE", path, opts);
  }

  /**
   * Creates a visitor: {visitorId, id, name, cookie, setCookie}. `extra`
   * holds more fields for the body (e.g. `{context}`).
   */
  async visitor(name = `Visitor ${randomUUID().slice(0, 8)}`, email, extra = {}) {
    const body = { name, ...(email === undefined ? {} : { email }), ...extra };
    const res = await this.post("/v2/visitors", body);
    assert.equal(res.status, 201, `create visitor: ${res.text}`);
    const setCookie = res.headers.getSetCookie().find((c) => c.startsWith("visitor_session="));
    assert.ok(setCookie, "POST /v2/visitors sets a visitor_session cookie");
    const cookie = setCookie.split(";")[0];
    return { visitorId: res.body.visitorId, id: res.body.visitorId, name, cookie, setCookie };
  }

  /** The visitor opens a chat: the ChatSummary (asserts 201). */
  async openChat(visitor, subject) {
    const res = await this.post("/v2/chats", subject === undefined ? {} : { subject }, { auth: visitor });
    assert.equal(res.status, 201, `open chat: ${res.text}`);
    return res.body;
  }

  /** A new visitor with a new chat: {visitor, chat, chatId}. */
  async visitorWithChat(name) {
    const visitor = await this.visitor(name);
    const chat = await this.openChat(visitor);
    return { visitor, chat, chatId: chat.chatId };
  }

  /** POST /v2/messages as `who`: the raw answer. */
  send(who, body) {
    return this.post("/v2/messages", body, { auth: who });
  }

  /** Sends a text message and asserts 201: the Message. */
  async say(who, chatId, content, extra = {}) {
    const res = await this.send(who, { chatId, content, type: "text", ...extra });
    assert.equal(res.status, 201, `send message: ${res.text}`);
    return res.body;
  }

  /** GET /v2/messages/chat/{chatId} with a query object: the raw answer. */
  history(who, chatId, query = {}) {
    const qs = new URLSearchParams(query).toString();
    return this.get(`/v2/messages/chat/${chatId}${qs ? `?${qs}` : ""}`, { auth: who });
  }

  /** GET /v2/chats with a query object: the raw answer. */
  chats(who, query = {}) {
    const qs = new URLSearchParams(query).toString();
    return this.get(`/v2/chats${qs ? `?${qs}` : ""}`, { auth: who });
  }

  /** The caller's ChatSummary of one chat, from GET /v2/chats (asserts 200), or undefined. */
  async summaryOf(who, chatId) {
    const res = await this.chats(who);
    assert.equal(res.status, 200, `GET /v2/chats: ${res.text}`);
    return res.body.chats.find((c) => c.chatId === chatId);
  }

  /**
   * Multipart upload (`file` and `chatId` fields): the raw answer. The body
   * is encoded up front and sent with a Content-Length in one write, so a
   * server that answers before reading it (401, 413) cannot make the client
   * fail with EPIPE halfway through a streamed body.
   */
  async upload(who, chatId, bytes, fileName = "file.bin", mimeType = "application/octet-stream") {
    const form = new FormData();
    if (chatId !== undefined) form.append("chatId", chatId);
    if (bytes !== undefined) form.append("file", new Blob([bytes], { type: mimeType }), fileName);
    const encoded = new Request("http://localhost/", { method: "POST", body: form });
    const body = Buffer.from(await encoded.arrayBuffer());
    const headers = { "content-type": encoded.headers.get("content-type") };
    return this.request("POST", "/v2/files/upload", { auth: who, body, headers });
  }

  // ---------------------------------------------------------------- sockets

  /**
   * A Socket.IO client, websocket transport, no reconnection, recording every
   * event it receives in `socket.log`. Not connected yet.
   */
  rawSocket(opts = {}) {
    const socket = io(this.url, {
      transports: ["websocket"],
      forceNew: true,
      reconnection: false,
      autoConnect: false,
      timeout: EVENT_TIMEOUT_MS,
      ...opts,
    });
    record(socket);
    this.sockets.add(socket);
    socket.on("disconnect", () => this.sockets.delete(socket));
    return socket;
  }

  /**
   * Connects and resolves on `connect`, or rejects with the `connect_error`
   * (its `.message` is the server's). Waits for `welcome` unless told not to.
   */
  async connect(opts = {}, { welcome = true } = {}) {
    const socket = this.rawSocket(opts);
    const welcomed = welcome ? waitFor(socket, "welcome", () => true) : null;
    welcomed?.catch(() => {});
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.disconnect();
        reject(new Error("socket did not connect in time"));
      }, EVENT_TIMEOUT_MS);
      socket.once("connect", () => {
        clearTimeout(timer);
        resolve();
      });
      socket.once("connect_error", (err) => {
        clearTimeout(timer);
        socket.disconnect();
        this.sockets.delete(socket);
        reject(err);
      });
      socket.connect();
    });
    if (welcomed) await welcomed;
    await ready(socket);
    return socket;
  }

  /** An agent's socket (`who` is a login answer or a token string). */
  agentSocket(who, opts = {}) {
    const token = typeof who === "string" ? who : who.token;
    return this.connect({ auth: { token }, ...opts });
  }

  /** A visitor's socket, authenticated with its cookie. */
  visitorSocket(visitor, opts = {}) {
    return this.connect({ extraHeaders: { cookie: visitor.cookie }, ...opts });
  }

  /**
   * Tries to connect and expects the handshake to be refused: the
   * `connect_error` Error (asserts that it did not connect).
   */
  async refusedConnect(opts = {}) {
    try {
      const s = await this.connect(opts, { welcome: false });
      s.disconnect();
    } catch (err) {
      return err;
    }
    assert.fail("the socket connected but should have been refused");
  }
}

// -------------------------------------------------------------------- events

/** How often the harness had to repeat a health-check right after connecting. */
export const harness = { healthChecksLostAfterConnect: 0 };

/**
 * Makes sure the server handles this socket's events before a test uses it:
 * a health-check round trip, repeated if its ack never comes. (An event sent
 * at once after `connect` can be lost by a server that installs its event
 * handlers only after it has answered the handshake; rooms.test.mjs checks
 * that on purpose, so the other tests do not trip over it.) When this
 * returns, every event the server sent on connect (welcome, presence, stats,
 * notification count) is already in `socket.log`.
 */
async function ready(socket) {
  const attempts = 5;
  for (let i = 1; ; i++) {
    try {
      const ack = await socket.timeout(1_000).emitWithAck("health-check");
      assert.equal(ack?.status, "ok", "health-check ack");
      return;
    } catch (err) {
      if (i >= attempts || err?.code === "ERR_ASSERTION") throw err;
      harness.healthChecksLostAfterConnect++;
      console.error(`[conformance] a health-check right after connect got no ack (attempt ${i}); repeating it`);
    }
  }
}

function record(socket) {
  socket.log = [];
  socket.waiters = new Set();
  socket.onAny((event, ...args) => {
    const entry = { event, data: args[0], args };
    socket.log.push(entry);
    for (const w of [...socket.waiters]) w(entry);
  });
}

/** The position in a socket's event log: pass it as `since`. */
export function mark(socket) {
  return socket.log.length;
}

/** Events named `event` (matching `predicate`) a socket received from `since` on. */
export function seen(socket, event, predicate = () => true, since = 0) {
  return socket.log
    .slice(since)
    .filter((e) => e.event === event && predicate(e.data, e))
    .map((e) => e.data);
}

/**
 * Resolves with the payload of the first `event` matching `predicate` that
 * the socket received at log position `since` or later (already received,
 * or still to come), or rejects after `timeoutMs`.
 */
export function waitFor(socket, event, predicate = () => true, timeoutMs = EVENT_TIMEOUT_MS, since = 0) {
  const already = socket.log.slice(since).find((e) => e.event === event && predicate(e.data, e));
  if (already) return Promise.resolve(already.data);
  let waiter;
  let timer;
  const p = new Promise((resolve, reject) => {
    waiter = (e) => {
      if (e.event === event && predicate(e.data, e)) {
        clearTimeout(timer);
        socket.waiters.delete(waiter);
        resolve(e.data);
      }
    };
    socket.waiters.add(waiter);
    timer = setTimeout(() => {
      socket.waiters.delete(waiter);
      const got = socket.log
        .slice(since)
        .map((e) => `${e.event} ${JSON.stringify(e.data)}`.slice(0, 300))
        .join("\n  ");
      reject(new Error(`timed out after ${timeoutMs} ms waiting for "${event}"; received since then:\n  ${got}`));
    }, timeoutMs);
  });
  // A wait that times out before the test awaits it must not count as an
  // unhandled rejection; the test still sees the rejection when it awaits.
  p.catch(() => {});
  return p;
}

/** Emits with an ack and a timeout; resolves with the ack payload. */
export function emitWithAck(socket, event, ...args) {
  return socket.timeout(EVENT_TIMEOUT_MS).emitWithAck(event, ...args);
}

/**
 * A round trip through the socket (`health-check` and its ack). Every event
 * the server emitted to this socket before it handled the health-check has
 * then arrived, since one socket's packets are delivered in order.
 */
export async function barrier(socket) {
  const ack = await emitWithAck(socket, "health-check");
  assert.equal(ack?.status, "ok", "health-check ack");
}

/**
 * Asserts that `event` (matching `predicate`) did not reach the socket since
 * `since`. Call after something that must arrive later (a barrier or a
 * later event) so that the absence means something.
 */
export function assertNotSeen(socket, event, predicate = () => true, since = 0, what = "") {
  const got = seen(socket, event, predicate, since);
  assert.deepEqual(got, [], `unexpected "${event}"${what ? ` (${what})` : ""}: ${JSON.stringify(got)}`);
}

/** Waits until `check()` is truthy (polling every `everyMs`), or throws. */
export async function until(check, { timeoutMs = EVENT_TIMEOUT_MS, everyMs = 50, what = "condition" } = {}) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(everyMs);
  }
}

/**
 * Waits until the local clock has passed the server timestamp `iso` (hub and
 * tests share one machine), so the hub's next change gets a later one.
 */
export function pastMillisecond(iso) {
  return until(() => Date.now() > ms(iso), { everyMs: 1, what: `the clock to pass ${iso}` });
}

// -------------------------------------------------------------------- checks

/** Every key of every object nested in `value` (arrays included). */
export function keysDeep(value, into = new Set()) {
  if (Array.isArray(value)) {
    for (const v of value) keysDeep(v, into);
  } else if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      into.add(k);
      keysDeep(v, into);
    }
  }
  return into;
}

/** Asserts that none of `keys` appears anywhere in `value`, at any depth. */
export function assertNoKeys(value, keys, what = "") {
  const all = keysDeep(value);
  const found = keys.filter((k) => all.has(k));
  assert.deepEqual(found, [], `${what ? `${what}: ` : ""}no ${keys.join("/")} in ${JSON.stringify(value)?.slice(0, 500)}`);
}

/** Asserts a NestJS-style error answer `{statusCode, error, message}` with `status`. */
export function assertError(res, status, what = "") {
  const where = `${what ? `${what}: ` : ""}${res.status} ${res.text}`;
  assert.equal(res.status, status, where);
  assert.match(res.headers.get("content-type") ?? "", /application\/json/, `error content-type: ${where}`);
  assert.equal(typeof res.body, "object", `error body is JSON: ${where}`);
  assert.equal(res.body.statusCode, status, `statusCode: ${where}`);
  assert.equal(res.body.error, REASON[status], `error: ${where}`);
  assert.equal(typeof res.body.message, "string", `message: ${where}`);
  assert.ok(res.body.message.length > 0, `message is not empty: ${where}`);
}

/** Asserts the shape of a Message. */
export function assertMessage(m, expected = {}) {
  assert.equal(typeof m, "object");
  assert.match(m.messageId, UUID, "messageId is a UUID");
  assert.match(m.chatId, UUID, "chatId is a UUID");
  assert.equal(typeof m.senderId, "string");
  assert.ok(["visitor", "agent", "system"].includes(m.senderType), `senderType ${m.senderType}`);
  assert.equal(typeof m.content, "string");
  assert.ok(["text", "image", "file"].includes(m.type), `type ${m.type}`);
  assert.equal(typeof m.isInternal, "boolean", "isInternal is a boolean");
  assert.equal(typeof m.isFirstResponse, "boolean", "isFirstResponse is a boolean");
  assert.match(m.sentAt, ISO_MS, "sentAt is ISO 8601 with milliseconds");
  for (const [k, v] of Object.entries(expected)) {
    assert.deepEqual(m[k], v, `message.${k}`);
  }
}

/** Asserts the shape of a ChatSummary. */
export function assertSummary(c, expected = {}) {
  assert.equal(typeof c, "object");
  assert.match(c.chatId, UUID, "chatId is a UUID");
  assert.equal(typeof c.visitor, "object");
  assert.equal(typeof c.visitor.id, "string");
  assert.equal(typeof c.visitor.name, "string");
  assert.ok(["PENDING", "IN_PROGRESS", "CLOSED"].includes(c.status), `status ${c.status}`);
  assert.match(c.createdAt, ISO_MS, "createdAt is ISO 8601 with milliseconds");
  assert.match(c.updatedAt, ISO_MS, "updatedAt is ISO 8601 with milliseconds");
  if (c.lastMessage != null) assertMessage(c.lastMessage);
  for (const [k, v] of Object.entries(expected)) {
    assert.deepEqual(c[k], v, `summary.${k}`);
  }
}

/** An HS256 JWT signed with `secret`. */
export function makeJwt(claims, secret) {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const head = b64({ alg: "HS256", typ: "JWT" });
  const body = b64(claims);
  const sig = createHmac("sha256", secret).update(`${head}.${body}`).digest("base64url");
  return `${head}.${body}.${sig}`;
}

/** Milliseconds since the epoch of an ISO string (asserting it parses). */
export function ms(iso) {
  const t = Date.parse(iso);
  assert.ok(Number.isFinite(t), `${iso} is a timestamp`);
  return t;
}

/** `iso` moved by `delta` milliseconds, as ISO with milliseconds. */
export function shiftIso(iso, delta) {
  return new Date(ms(iso) + delta).toISOString();
}
