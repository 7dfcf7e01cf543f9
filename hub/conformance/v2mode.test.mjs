// The hub started with `--protocol v2` (notes/v21-decisions.md): a plain v2
// backend. GET /v2/capabilities and every 2.1 route are 404, no 2.1 field
// appears in answers or events, no chat:updated, no automatic assignment,
// `typing:start {internal: true}` is plain typing; and the v2 rules hold.

import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import {
  startHub,
  UNKNOWN_ID,
  waitFor,
  emitWithAck,
  barrier,
  mark,
  seen,
  assertNotSeen,
  assertError,
  assertSummary,
  assertNoKeys,
} from "./hub.mjs";

const V21_FIELDS = ["tags", "myReadMarker", "context", "maxChats", "openChats"];

let hub;
let a1;
let a2;
before(async () => {
  hub = await startHub(["--protocol", "v2"]);
  a1 = await hub.agent1();
  a2 = await hub.agent2();
});
after(() => hub?.stop());

function assertOk(res, what) {
  assert.ok([200, 201].includes(res.status), `${what}: ${res.status} ${res.text}`);
  return res.body;
}

async function join(socket, chatId) {
  const ack = await emitWithAck(socket, "chat:join", { chatId });
  assert.equal(ack?.success, true, `chat:join: ${JSON.stringify(ack)}`);
}

function assertNoRoute(res, what) {
  assertError(res, 404, what);
  assert.equal(res.body.message, "no such route", what);
}

describe("--protocol v2: no 2.1", () => {
  test("GET /v2/capabilities is 404", async () => {
    assertNoRoute(await hub.get("/v2/capabilities"), "capabilities without auth");
    assertNoRoute(await hub.get("/v2/capabilities", { auth: a1 }), "capabilities with a token");
  });

  test("transfer, reopen, tags, canned, history and PUT /v2/agents/me are 404, and change nothing", async () => {
    const { visitor, chatId } = await hub.visitorWithChat();
    assertOk(await hub.post(`/v2/chats/${chatId}/accept`, undefined, { auth: a1 }), "accept");
    const closed = await hub.visitorWithChat();
    assertOk(await hub.post(`/v2/chats/${closed.chatId}/close`, undefined, { auth: a1 }), "close");
    const before = (await hub.chats(a1)).body;
    const agentsBefore = (await hub.get("/v2/agents", { auth: a1 })).body;

    for (const [what, call] of [
      ["transfer to an agent", () => hub.post(`/v2/chats/${chatId}/transfer`, { toAgentId: a2.id }, { auth: a1 })],
      ["transfer to the queue", () => hub.post(`/v2/chats/${chatId}/transfer`, { toAgentId: null }, { auth: a1 })],
      ["reopen", () => hub.post(`/v2/chats/${closed.chatId}/reopen`, undefined, { auth: a1 })],
      ["PUT tags", () => hub.put(`/v2/chats/${chatId}/tags`, { tags: ["vip"] }, { auth: a1 })],
      ["GET /v2/tags", () => hub.get("/v2/tags", { auth: a1 })],
      ["GET /v2/canned", () => hub.get("/v2/canned", { auth: a1 })],
      ["POST /v2/canned", () => hub.post("/v2/canned", { shortcut: "hi", title: "Hi", content: "Hello" }, { auth: a1 })],
      ["PUT /v2/canned/{id}", () => hub.put(`/v2/canned/${UNKNOWN_ID}`, { title: "x" }, { auth: a1 })],
      ["DELETE /v2/canned/{id}", () => hub.del(`/v2/canned/${UNKNOWN_ID}`, { auth: a1 })],
      ["history", () => hub.get(`/v2/visitors/${visitor.visitorId}/chats`, { auth: a1 })],
      ["PUT /v2/agents/me", () => hub.put("/v2/agents/me", { maxChats: 2 }, { auth: a1 })],
    ]) {
      assertNoRoute(await call(), what);
    }
    assert.deepEqual((await hub.chats(a1)).body, before, "the chats are as they were");
    assert.deepEqual((await hub.get("/v2/agents", { auth: a1 })).body, agentsBefore);
    assert.equal(before.chats.find((c) => c.chatId === chatId).assigneeId, a1.id);
    assert.equal(before.chats.find((c) => c.chatId === closed.chatId).status, "CLOSED");
  });

  test("no tags, myReadMarker, visitor.context, maxChats or openChats in answers and events; a context is ignored", async () => {
    const s1 = await hub.agentSocket(a1);
    const s2 = await hub.agentSocket(a2);
    const [m1, m2] = [s1, s2].map(mark);
    const visitor = await hub.visitor("Plain Pat", "pat@example.com", {
      context: { page: "https://shop.example/", locale: "en-GB" },
    });
    const opened = await hub.post("/v2/chats", {}, { auth: visitor });
    assert.equal(opened.status, 201, opened.text);
    assertNoKeys(opened.body, V21_FIELDS, "POST /v2/chats");
    const chatId = opened.body.chatId;
    const created = await waitFor(s2, "chat:new", (c) => c.chatId === chatId, undefined, m2);
    assertSummary(created, { status: "PENDING" });

    const v = await hub.visitorSocket(visitor);
    await join(v, chatId);
    await join(s1, chatId);
    const vm = await hub.say(visitor, chatId, "hello");
    const ack = await emitWithAck(s1, "chat:read", { chatId, messageId: vm.messageId });
    assert.equal(ack.success, true);
    await waitFor(s1, "chat:read", (e) => e.chatId === chatId && e.readerId === a1.id, undefined, m1);

    const answers = [
      ["accept", assertOk(await hub.post(`/v2/chats/${chatId}/accept`, undefined, { auth: a1 }), "accept")],
      ["GET /v2/chats (agent 1)", (await hub.chats(a1)).body],
      ["GET /v2/chats (agent 2)", (await hub.chats(a2)).body],
      ["GET /v2/agents", (await hub.get("/v2/agents", { auth: a1 })).body],
      ["history", (await hub.history(a1, chatId)).body],
      ["close", assertOk(await hub.post(`/v2/chats/${chatId}/close`, undefined, { auth: a1 }), "close")],
    ];
    for (const [what, body] of answers) assertNoKeys(body, V21_FIELDS, what);
    const listed = answers[1][1].chats.find((c) => c.chatId === chatId);
    assert.equal(listed.visitor.name, "Plain Pat", "the control: this is the chat");
    for (const a of answers[3][1].agents) assert.deepEqual(Object.keys(a).sort(), ["id", "name", "status"]);

    for (const s of [s1, s2, v]) {
      await waitFor(s, "chat:status", (e) => e.chatId === chatId && e.status === "CLOSED");
      await barrier(s);
    }
    for (const [s, what] of [[s1, "agent 1"], [s2, "agent 2"], [v, "visitor"]]) {
      assertNoKeys(s.log.map((e) => ({ [e.event]: e.args })), V21_FIELDS, `${what}'s socket events`);
    }
    for (const s of [s1, s2, v]) s.disconnect();
  });

  test("no chat:updated after accept, a first reply or close (asserted after their chat:status arrived)", async () => {
    const s1 = await hub.agentSocket(a1);
    const s2 = await hub.agentSocket(a2);
    const [m1, m2] = [s1, s2].map(mark);
    const a = await hub.visitorWithChat();
    const b = await hub.visitorWithChat();
    assertOk(await hub.post(`/v2/chats/${a.chatId}/accept`, undefined, { auth: a1 }), "accept");
    await hub.say(a2, b.chatId, "first reply");
    assertOk(await hub.post(`/v2/chats/${a.chatId}/close`, undefined, { auth: a1 }), "close");
    for (const s of [s1, s2]) {
      await waitFor(s, "chat:status", (e) => e.chatId === b.chatId && e.status === "IN_PROGRESS");
      await waitFor(s, "chat:status", (e) => e.chatId === a.chatId && e.status === "CLOSED");
      await barrier(s);
    }
    assertNotSeen(s1, "chat:updated", () => true, m1);
    assertNotSeen(s2, "chat:updated", () => true, m2);
    assert.ok(seen(s2, "chat:status", () => true, m2).length >= 3, "the control: chat:status did arrive");
    s1.disconnect();
    s2.disconnect();
  });

  test("no automatic assignment: with agents online a new chat waits PENDING", async () => {
    const s1 = await hub.agentSocket(a1);
    const s2 = await hub.agentSocket(a2);
    assertNoRoute(await hub.put("/v2/agents/me", { maxChats: 5 }, { auth: a1 }), "PUT /v2/agents/me");
    const from = mark(s2);
    const { chat, chatId } = await hub.visitorWithChat();
    assert.equal(chat.status, "PENDING");
    assert.equal(chat.assigneeId ?? null, null);
    const ev = await waitFor(s2, "chat:new", (c) => c.chatId === chatId, undefined, from);
    assert.equal(ev.status, "PENDING");
    const listed = await hub.summaryOf(a1, chatId);
    assert.equal(listed.status, "PENDING");
    assert.equal(listed.assigneeId ?? null, null);
    s1.disconnect();
    s2.disconnect();
  });

  test("typing:start {chatId, internal: true} is plain typing to the chat room: the visitor gets user:typing {userId, chatId}", async () => {
    const { visitor, chatId } = await hub.visitorWithChat();
    const v = await hub.visitorSocket(visitor);
    const s1 = await hub.agentSocket(a1);
    const s2 = await hub.agentSocket(a2);
    for (const s of [v, s1, s2]) await join(s, chatId);
    const [mv, m2] = [v, s2].map(mark);
    s1.emit("typing:start", { chatId, internal: true });
    const tv = await waitFor(v, "user:typing", (e) => e.chatId === chatId, undefined, mv);
    assert.deepEqual(tv, { userId: a1.id, chatId }, "no internal flag");
    const t2 = await waitFor(s2, "user:typing", (e) => e.chatId === chatId, undefined, m2);
    assert.deepEqual(t2, { userId: a1.id, chatId });
    for (const s of [v, s1, s2]) s.disconnect();
  });
});

describe("--protocol v2: the v2 rules still hold", () => {
  test("a visitor's cookie on GET /v2/chats (and the other agent routes) is 403", async () => {
    const { visitor, chatId } = await hub.visitorWithChat();
    for (const [method, path] of [
      ["GET", "/v2/chats"],
      ["GET", "/v2/agents"],
      ["GET", "/v2/notifications"],
      ["GET", "/v2/stats"],
      ["POST", `/v2/chats/${chatId}/accept`],
    ]) {
      assertError(await hub.request(method, path, { auth: visitor }), 403, `${method} ${path} with a visitor's cookie`);
    }
    assert.equal((await hub.summaryOf(a1, chatId)).status, "PENDING", "the refused accept changed nothing");
  });

  test("200 alternating presence updates from one socket end in the last one's state", async () => {
    const s = await hub.agentSocket(a1);
    const acks = [];
    let last;
    for (let i = 0; i < 200; i++) {
      last = i % 2 === 0 ? "away" : "online";
      acks.push(s.timeout(10_000).emitWithAck("presence:update", { status: last }));
    }
    last = "busy"; // differs from both, so a stale "online" cannot pass
    acks.push(s.timeout(10_000).emitWithAck("presence:update", { status: last }));
    for (const ack of await Promise.all(acks)) assert.equal(ack.success, true);
    await barrier(s);
    const me = (await hub.get("/v2/agents", { auth: a1 })).body.agents.find((a) => a.id === a1.id);
    assert.equal(me.status, last);
    s.disconnect();
  });

  test("chat:join at once followed by chat:read on the same socket succeeds", async () => {
    for (let round = 0; round < 10; round++) {
      const { visitor, chatId } = await hub.visitorWithChat();
      const m = await hub.say(visitor, chatId, `hola ${round}`);
      const s = await hub.agentSocket(a1);
      const [joined, marked] = await Promise.all([
        s.timeout(10_000).emitWithAck("chat:join", { chatId }),
        s.timeout(10_000).emitWithAck("chat:read", { chatId, messageId: m.messageId }),
      ]);
      assert.equal(joined.success, true, `join (round ${round})`);
      assert.equal(marked.success, true, `the read after the join (round ${round}): ${JSON.stringify(marked)}`);
      s.disconnect();
    }
  });

  test("chat:join with an array payload gets a failed ack and the socket stays up", async () => {
    const { chatId } = await hub.visitorWithChat();
    const s = await hub.agentSocket(a1);
    const ack = await emitWithAck(s, "chat:join", [{ chatId }]);
    assert.equal(ack?.success, false, JSON.stringify(ack));
    assert.equal(typeof ack.message, "string");
    await barrier(s);
    assert.ok(s.connected, "still connected");
    assert.equal((await emitWithAck(s, "chat:join", { chatId })).success, true, "the right shape still works");
    s.disconnect();
  });
});
