// PROTOCOL.md presence (presence:update, user:presence, GET /v2/agents),
// notifications (notification:new / :count / :read / :read:all, GET
// /v2/notifications) and stats (stats:update, GET /v2/stats).

import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import {
  startHub,
  ISO_MS,
  UNKNOWN_ID,
  waitFor,
  emitWithAck,
  barrier,
  mark,
  seen,
  assertNotSeen,
  assertError,
  until,
} from "./hub.mjs";

/** Waits until GET /v2/agents shows every agent offline (all sockets' disconnects handled). */
async function allOffline(hub, auth) {
  await until(
    async () => {
      const res = await hub.get("/v2/agents", { auth });
      return res.status === 200 && res.body.agents.every((a) => a.status === "offline");
    },
    { what: "every agent to be offline" },
  );
}

describe("presence", () => {
  let hub;
  let a1;
  let a2;
  before(async () => {
    hub = await startHub();
    a1 = await hub.agent1();
    a2 = await hub.agent2();
  });
  after(() => hub?.stop());

  async function statusOf(agentId) {
    const res = await hub.get("/v2/agents", { auth: a1 });
    assert.equal(res.status, 200, res.text);
    const entry = res.body.agents.find((a) => a.id === agentId);
    assert.ok(entry, `agent ${agentId} is listed`);
    return entry.status;
  }

  test("GET /v2/agents lists every agent {id, name, status}, offline without a socket", async () => {
    const res = await hub.get("/v2/agents", { auth: a1 });
    assert.equal(res.status, 200, res.text);
    assert.ok(Array.isArray(res.body.agents));
    const ids = res.body.agents.map((a) => a.id).sort();
    assert.deepEqual(ids, [a1.id, a2.id].sort(), "both demo agents");
    for (const a of res.body.agents) {
      // v2's fields, and v2.1's `assignment` numbers (v2mode.test.mjs checks a v2 hub has none).
      assert.deepEqual(Object.keys(a).sort(), ["id", "maxChats", "name", "openChats", "status"]);
      assert.equal(a.maxChats, 0, "automatic assignment starts off");
      assert.equal(a.openChats, 0);
      assert.equal(typeof a.name, "string");
      assert.equal(a.status, "offline", "nobody is connected yet");
    }
    const visitor = await hub.visitor();
    assertError(await hub.get("/v2/agents", { auth: visitor }), 403, "visitors may not list agents");
  });

  test("an agent connecting is `online` to the others; presence:update changes it for everyone", async () => {
    const s1 = await hub.agentSocket(a1);
    const from = mark(s1);
    const s2 = await hub.agentSocket(a2);
    const online = await waitFor(s1, "user:presence", (p) => p.userId === a2.id, undefined, from);
    assert.deepEqual(Object.keys(online).sort(), ["status", "timestamp", "userId"]);
    assert.equal(online.status, "online");
    assert.match(online.timestamp, ISO_MS);
    assert.equal(await statusOf(a2.id), "online");

    for (const status of ["away", "busy", "online"]) {
      const m = mark(s1);
      s2.emit("presence:update", { status });
      const ev = await waitFor(s1, "user:presence", (p) => p.userId === a2.id, undefined, m);
      assert.equal(ev.status, status);
      assert.match(ev.timestamp, ISO_MS);
      assert.equal(await statusOf(a2.id), status, `GET /v2/agents after ${status}`);
    }
    s2.disconnect();
    await waitFor(s1, "user:presence", (p) => p.userId === a2.id && p.status === "offline", undefined, from);
    s1.disconnect();
    await allOffline(hub, a1);
  });

  test("`offline` only when the agent's last socket disconnects", async () => {
    const watcher = await hub.agentSocket(a1);
    const first = await hub.agentSocket(a2);
    await waitFor(watcher, "user:presence", (p) => p.userId === a2.id && p.status === "online");
    const second = await hub.agentSocket(a2);
    const from = mark(watcher);

    first.disconnect();
    // The agent still has a socket: its own choices still go out, and it is
    // still listed with a live status.
    second.emit("presence:update", { status: "busy" });
    await waitFor(watcher, "user:presence", (p) => p.userId === a2.id && p.status === "busy", undefined, from);
    assert.equal(await statusOf(a2.id), "busy");

    second.disconnect();
    const off = await waitFor(watcher, "user:presence", (p) => p.userId === a2.id && p.status === "offline", undefined, from);
    assert.match(off.timestamp, ISO_MS);
    assert.equal(await statusOf(a2.id), "offline");
    await barrier(watcher);
    const events = seen(watcher, "user:presence", (p) => p.userId === a2.id, from).map((p) => p.status);
    assert.deepEqual(events, ["busy", "offline"], "no offline while a socket was left");
    watcher.disconnect();
    await allOffline(hub, a1);
  });

  test("presence:update with an unknown status or from a visitor changes nothing and keeps the socket", async () => {
    const watcher = await hub.agentSocket(a1);
    const s2 = await hub.agentSocket(a2);
    await waitFor(watcher, "user:presence", (p) => p.userId === a2.id && p.status !== "offline");
    const from = mark(watcher);
    s2.emit("presence:update", { status: "sleeping" });
    s2.emit("presence:update", { status: "offline" });
    s2.emit("presence:update", "busy");
    const v = await hub.visitorSocket(await hub.visitor());
    v.emit("presence:update", { status: "away" });
    await barrier(s2);
    await barrier(v);
    await barrier(watcher);
    assertNotSeen(watcher, "user:presence", () => true, from, "invalid presence updates");
    assert.ok(s2.connected && v.connected);
    for (const s of [watcher, s2, v]) s.disconnect();
    await allOffline(hub, a1);
  });
});

describe("notifications", () => {
  let hub;
  let a1;
  let a2;
  before(async () => {
    hub = await startHub();
    a1 = await hub.agent1();
    a2 = await hub.agent2();
  });
  after(() => hub?.stop());

  async function list(who, query = {}) {
    const qs = new URLSearchParams(query).toString();
    const res = await hub.get(`/v2/notifications${qs ? `?${qs}` : ""}`, { auth: who });
    assert.equal(res.status, 200, res.text);
    assert.ok(Array.isArray(res.body.notifications));
    assert.equal(typeof res.body.unread, "number");
    return res.body;
  }

  // The hub pushes notification:count on connect. A socket whose test marks
  // its log waits for that first, so the mark sees only what follows.
  async function settledSocket(who) {
    const s = await hub.agentSocket(who);
    await waitFor(s, "notification:count");
    return s;
  }

  test("notification:count is pushed on connect (hub's choice) and matches GET unread", async () => {
    const s = await hub.agentSocket(a1);
    const count = await waitFor(s, "notification:count");
    assert.deepEqual(count, { count: 0 });
    assert.equal((await list(a1)).unread, 0);
    s.disconnect();
  });

  test("a new chat raises notification:new (info) and notification:count for every agent", async () => {
    const s1 = await settledSocket(a1);
    const s2 = await settledSocket(a2);
    const before1 = (await list(a1)).unread;
    const before2 = (await list(a2)).unread;
    const m1 = mark(s1);
    const m2 = mark(s2);
    const { chatId } = await hub.visitorWithChat("Nora Notify");
    for (const [s, m, before] of [
      [s1, m1, before1],
      [s2, m2, before2],
    ]) {
      const n = await waitFor(s, "notification:new", () => true, undefined, m);
      assert.equal(typeof n.id, "string");
      assert.equal(n.type, "info");
      assert.equal(typeof n.title, "string");
      assert.equal(typeof n.message, "string");
      assert.match(n.createdAt, ISO_MS);
      if (n.data !== undefined) assert.equal(typeof n.data, "object");
      const c = await waitFor(s, "notification:count", () => true, undefined, m);
      assert.deepEqual(c, { count: before + 1 });
    }
    const got = await list(a1);
    assert.equal(got.unread, before1 + 1);
    const n1 = seen(s1, "notification:new", () => true, m1)[0];
    const listed = got.notifications.find((n) => n.id === n1.id);
    assert.ok(listed, "the notification is in GET /v2/notifications");
    assert.equal(listed.type, "info");
    assert.equal(listed.title, n1.title);
    assert.equal(listed.message, n1.message);
    if (n1.data?.chatId !== undefined) assert.equal(n1.data.chatId, chatId);
    s1.disconnect();
    s2.disconnect();
  });

  test("GET /v2/notifications: unread=true and limit", async () => {
    await hub.visitorWithChat();
    await hub.visitorWithChat();
    const all = await list(a1);
    assert.ok(all.notifications.length >= 3);
    const unreadOnly = await list(a1, { unread: "true" });
    assert.equal(unreadOnly.notifications.length, all.unread, "unread=true lists the unread ones");
    const one = await list(a1, { limit: "1" });
    assert.equal(one.notifications.length, 1);
    assert.equal(one.unread, all.unread, "`unread` is the count, not the page's");
    const visitor = await hub.visitor();
    assertError(await hub.get("/v2/notifications", { auth: visitor }), 403, "visitors have no notifications");
  });

  test("notification:read acks {success: true}, lowers the count, and is per agent", async () => {
    const s1 = await settledSocket(a1);
    const { unread, notifications } = await list(a1, { unread: "true" });
    assert.ok(unread >= 1);
    const target = notifications[0];
    const m = mark(s1);
    const ack = await emitWithAck(s1, "notification:read", { notificationId: target.id });
    assert.deepEqual(ack, { success: true });
    const c = await waitFor(s1, "notification:count", () => true, undefined, m);
    assert.deepEqual(c, { count: unread - 1 });
    const after = await list(a1, { unread: "true" });
    assert.equal(after.unread, unread - 1);
    assert.ok(!after.notifications.some((n) => n.id === target.id), "no longer unread");
    const agent2 = await list(a2);
    assert.ok(agent2.unread >= 1, "agent 2's own notifications are untouched");

    const unknown = await emitWithAck(s1, "notification:read", { notificationId: UNKNOWN_ID });
    assert.equal(unknown.success, false);
    assert.equal(typeof unknown.message, "string");
    const theirs = (await list(a2, { unread: "true" })).notifications[0];
    const notMine = await emitWithAck(s1, "notification:read", { notificationId: theirs.id });
    assert.equal(notMine.success, false, "another agent's notification");
    assert.equal((await list(a2)).unread, agent2.unread, "still unread for agent 2");
    s1.disconnect();
  });

  test("notification:read:all acks {success: true} and the count drops to 0 on every socket of the agent", async () => {
    const s1 = await hub.agentSocket(a1);
    const s1b = await hub.agentSocket(a1);
    assert.ok((await list(a1)).unread >= 1);
    const m = mark(s1b);
    assert.deepEqual(await emitWithAck(s1, "notification:read:all", {}), { success: true });
    await waitFor(s1, "notification:count", (c) => c.count === 0);
    await waitFor(s1b, "notification:count", (c) => c.count === 0, undefined, m);
    const after = await list(a1, { unread: "true" });
    assert.equal(after.unread, 0);
    assert.deepEqual(after.notifications, []);
    assert.ok((await list(a1)).notifications.length >= 1, "read notifications are still listed");

    const fresh = await hub.agentSocket(a1);
    assert.deepEqual(await waitFor(fresh, "notification:count"), { count: 0 }, "count on connect");
    for (const s of [s1, s1b, fresh]) s.disconnect();
  });
});

describe("stats", () => {
  let hub;
  let a1;
  let a2;
  before(async () => {
    hub = await startHub();
    a1 = await hub.agent1();
    a2 = await hub.agent2();
  });
  after(() => hub?.stop());

  const KEYS = ["agentsOnline", "closedToday", "inProgress", "pending"];

  async function getStats() {
    const res = await hub.get("/v2/stats", { auth: a1 });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(Object.keys(res.body).sort(), KEYS);
    for (const k of KEYS) assert.ok(Number.isInteger(res.body[k]) && res.body[k] >= 0, k);
    return res.body;
  }

  test("GET /v2/stats starts at zero in a new hub; visitors may not read it", async () => {
    assert.deepEqual(await getStats(), { pending: 0, inProgress: 0, closedToday: 0, agentsOnline: 0 });
    assertError(await hub.get("/v2/stats", { auth: await hub.visitor() }), 403, "visitor");
  });

  test("stats:update follows every change of pending, inProgress, closedToday and agentsOnline", async () => {
    const s = await hub.agentSocket(a1);
    // Our own connection made agentsOnline 1.
    const first = await waitFor(s, "stats:update", (x) => x.agentsOnline === 1);
    assert.deepEqual(Object.keys(first).sort(), KEYS);
    assert.deepEqual(await getStats(), first);

    let m = mark(s);
    const c1 = await hub.visitorWithChat();
    let ev = await waitFor(s, "stats:update", () => true, undefined, m);
    assert.deepEqual(ev, { ...first, pending: first.pending + 1 }, "a new chat is pending");
    const afterOpen = ev;

    m = mark(s);
    const res = await hub.post(`/v2/chats/${c1.chatId}/accept`, undefined, { auth: a1 });
    assert.ok([200, 201].includes(res.status), res.text);
    ev = await waitFor(s, "stats:update", () => true, undefined, m);
    assert.deepEqual(ev, { ...afterOpen, pending: afterOpen.pending - 1, inProgress: afterOpen.inProgress + 1 });
    const afterAccept = ev;

    m = mark(s);
    const c2 = await hub.visitorWithChat();
    await waitFor(s, "stats:update", (x) => x.pending === afterAccept.pending + 1, undefined, m);
    m = mark(s);
    await hub.say(a2, c2.chatId, "first public reply moves it along");
    ev = await waitFor(s, "stats:update", () => true, undefined, m);
    assert.deepEqual(ev, { ...afterAccept, inProgress: afterAccept.inProgress + 1 }, "a reply also counts");
    const afterReply = ev;

    m = mark(s);
    const closed = await hub.post(`/v2/chats/${c1.chatId}/close`, undefined, { auth: a1 });
    assert.ok([200, 201].includes(closed.status), closed.text);
    ev = await waitFor(s, "stats:update", () => true, undefined, m);
    assert.deepEqual(ev, {
      ...afterReply,
      inProgress: afterReply.inProgress - 1,
      closedToday: afterReply.closedToday + 1,
    });
    const afterClose = ev;

    m = mark(s);
    const other = await hub.agentSocket(a2);
    ev = await waitFor(s, "stats:update", () => true, undefined, m);
    assert.deepEqual(ev, { ...afterClose, agentsOnline: afterClose.agentsOnline + 1 }, "an agent came online");
    assert.deepEqual(await getStats(), ev);

    m = mark(s);
    other.disconnect();
    ev = await waitFor(s, "stats:update", () => true, undefined, m);
    assert.deepEqual(ev, afterClose, "the agent went offline");
    assert.deepEqual(await getStats(), afterClose);
    s.disconnect();
    await allOffline(hub, a1);
  });

  test("no stats:update when no number changed", async () => {
    const s = await hub.agentSocket(a1);
    await waitFor(s, "stats:update", (x) => x.agentsOnline === 1);
    const { visitor, chatId } = await hub.visitorWithChat();
    await waitFor(s, "stats:update", (x) => x.pending >= 1);
    const base = await getStats();
    const m = mark(s);
    await hub.say(visitor, chatId, "just chatting");
    await hub.say(a1, chatId, "internal", { isInternal: true });
    const second = await hub.agentSocket(a1); // same agent: agentsOnline stays
    second.emit("presence:update", { status: "away" });
    await waitFor(s, "user:presence", (p) => p.userId === a1.id && p.status === "away", undefined, m);
    await barrier(s);
    assertNotSeen(s, "stats:update", () => true, m, "nothing changed");
    assert.deepEqual(await getStats(), base);
    s.disconnect();
  });
});
