// PROTOCOL.md "Version 2.1" (with notes/v21-decisions.md): GET
// /v2/capabilities, transfer (to an agent, back to the queue, who may, the
// errors), reopen, and `chat:updated` after every change of a chat.
// Tags, canned responses, visitor context and history: v21-data.test.mjs and
// v21-canned.test.mjs; read sync and internal typing: v21-live.test.mjs;
// automatic assignment: v21-assignment.test.mjs.

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
  assertMessage,
  assertSummary,
  ms,
} from "./hub.mjs";

const FEATURES = [
  "transfer",
  "reopen",
  "tags",
  "chatUpdated",
  "canned",
  "visitorContext",
  "history",
  "readSync",
  "internalTyping",
  "assignment",
];

let hub;
let a1;
let a2;
before(async () => {
  hub = await startHub();
  a1 = await hub.agent1();
  a2 = await hub.agent2();
});
after(() => hub?.stop());

const post = (path, who, json) => hub.post(path, json, { auth: who });
const accept = (chatId, who) => post(`/v2/chats/${chatId}/accept`, who);
const close = (chatId, who) => post(`/v2/chats/${chatId}/close`, who);
const reopen = (chatId, who) => post(`/v2/chats/${chatId}/reopen`, who);
const transfer = (chatId, toAgentId, who) => post(`/v2/chats/${chatId}/transfer`, who, { toAgentId });
const putTags = (chatId, tags, who) => hub.put(`/v2/chats/${chatId}/tags`, { tags }, { auth: who });

function assertOk(res, what) {
  assert.ok([200, 201].includes(res.status), `${what}: ${res.status} ${res.text}`);
  return res.body;
}

async function join(socket, chatId) {
  const ack = await emitWithAck(socket, "chat:join", { chatId });
  assert.equal(ack?.success, true, `chat:join: ${JSON.stringify(ack)}`);
}

/** What an agent can see of a chat: its summary (agent 1's listing) and its messages. */
async function snapshot(chatId) {
  const summary = await hub.summaryOf(a1, chatId);
  assert.ok(summary, "the chat is listed");
  const h = await hub.history(a1, chatId, { limit: "500" });
  assert.equal(h.status, 200, h.text);
  return { summary, messages: h.body.messages.map((m) => m.messageId) };
}

/** The log position of the first `event` matching `predicate` from `since` on (-1: none). */
function position(socket, event, predicate, since = 0) {
  const i = socket.log.slice(since).findIndex((e) => e.event === event && predicate(e.data));
  return i < 0 ? -1 : since + i;
}

const ofChat = (chatId) => (e) => e?.chatId === chatId;
const isSystem = (chatId) => (m) => m?.chatId === chatId && m.senderType === "system";

describe("capabilities", () => {
  test("GET /v2/capabilities (no auth) is {version: \"2.1\", features: the ten names}", async () => {
    const res = await hub.get("/v2/capabilities");
    assert.equal(res.status, 200, res.text);
    assert.match(res.headers.get("content-type") ?? "", /application\/json/);
    assert.equal(res.body.version, "2.1");
    assert.ok(Array.isArray(res.body.features), "features is an array");
    assert.equal(res.body.features.length, FEATURES.length, `exactly ten, no repeats: ${res.text}`);
    assert.deepEqual([...res.body.features].sort(), [...FEATURES].sort());
    // The same with an agent's token: the answer does not depend on auth.
    const withToken = await hub.get("/v2/capabilities", { auth: a1 });
    assert.equal(withToken.status, 200, withToken.text);
    assert.deepEqual(withToken.body, res.body);
  });
});

describe("transfer", () => {
  test("to an agent: IN_PROGRESS with the target, a system message the visitor gets, chat:status, chat:updated, the target notified", async () => {
    const { visitor, chatId } = await hub.visitorWithChat();
    assertOk(await accept(chatId, a1), "accept");
    const v = await hub.visitorSocket(visitor);
    const s1 = await hub.agentSocket(a1);
    const s2 = await hub.agentSocket(a2); // in `agents`, not in the chat
    await join(v, chatId);
    await join(s1, chatId);
    const [mv, m1, m2] = [v, s1, s2].map(mark);

    const res = await transfer(chatId, a2.id, a1);
    assert.equal(res.status, 200, res.text);
    assertSummary(res.body, { chatId, status: "IN_PROGRESS", assigneeId: a2.id });

    const text = `${a1.agent.name} transferred the chat to ${a2.agent.name}`;
    for (const s of [v, s1]) {
      const sys = await waitFor(s, "message:new", isSystem(chatId), undefined, s === v ? mv : m1);
      assertMessage(sys, {
        chatId,
        senderType: "system",
        senderId: "system",
        content: text,
        isInternal: false,
        isFirstResponse: false,
      });
    }
    for (const [s, from] of [[v, mv], [s1, m1], [s2, m2]]) {
      const ev = await waitFor(s, "chat:status", ofChat(chatId), undefined, from);
      assert.equal(ev.status, "IN_PROGRESS");
      assert.equal(ev.assigneeId, a2.id);
      assert.match(ev.timestamp, ISO_MS);
    }
    for (const [s, from] of [[s1, m1], [s2, m2]]) {
      const up = await waitFor(s, "chat:updated", ofChat(chatId), undefined, from);
      assertSummary(up, { chatId, status: "IN_PROGRESS", assigneeId: a2.id });
      assert.ok(!("myReadMarker" in up), "a broadcast summary has no myReadMarker");
    }
    // The order the decisions fix: the system message, then chat:status, then chat:updated.
    const iMsg = position(s1, "message:new", isSystem(chatId), m1);
    const iStatus = position(s1, "chat:status", ofChat(chatId), m1);
    const iUpdated = position(s1, "chat:updated", ofChat(chatId), m1);
    assert.ok(iMsg < iStatus && iStatus < iUpdated, `message:new ${iMsg} < chat:status ${iStatus} < chat:updated ${iUpdated}`);

    const n = await waitFor(s2, "notification:new", (x) => x?.data?.chatId === chatId, undefined, m2);
    assert.equal(n.type, "info");
    assert.equal(n.title, "Chat transferred to you");
    assert.deepEqual(n.data, { chatId });
    assert.equal(typeof n.id, "string");
    assert.equal(typeof n.message, "string");
    assert.match(n.createdAt, ISO_MS);
    const iN = position(s2, "notification:new", (x) => x?.id === n.id, m2);
    const count = await waitFor(s2, "notification:count", () => true, undefined, iN + 1);
    const listed = await hub.get("/v2/notifications", { auth: a2 });
    assert.equal(listed.status, 200, listed.text);
    assert.equal(count.count, listed.body.unread, "notification:count is the unread count");
    assert.ok(listed.body.notifications.some((x) => x.id === n.id && x.data?.chatId === chatId), "listed for the target");

    for (const s of [v, s1, s2]) await barrier(s);
    assertNotSeen(s1, "notification:new", (x) => x?.data?.chatId === chatId, m1, "the agent who transferred");
    assertNotSeen(v, "chat:updated", () => true, mv, "chat:updated is for agents");
    for (const [s, from] of [[v, mv], [s1, m1], [s2, m2]]) {
      assert.equal(seen(s, "chat:status", ofChat(chatId), from).length, 1, "chat:status once per socket");
    }
    for (const [s, from] of [[s1, m1], [s2, m2]]) {
      assert.equal(seen(s, "chat:updated", ofChat(chatId), from).length, 1, "chat:updated once per socket");
    }
    assert.equal(seen(v, "message:new", isSystem(chatId), mv).length, 1, "one system message");

    const now = await hub.summaryOf(a2, chatId);
    assert.equal(now.status, "IN_PROGRESS");
    assert.equal(now.assigneeId, a2.id);
    const h = await hub.history(visitor, chatId);
    assert.equal(h.body.messages.at(-1).content, text, "the visitor's history holds the system message");
    for (const s of [v, s1, s2]) s.disconnect();
  });

  test("to the queue (toAgentId: null): PENDING with no assignee, a system message, chat:status, chat:updated", async () => {
    const { visitor, chatId } = await hub.visitorWithChat();
    assertOk(await accept(chatId, a1), "accept");
    const v = await hub.visitorSocket(visitor);
    const s2 = await hub.agentSocket(a2);
    await join(v, chatId);
    const [mv, m2] = [v, s2].map(mark);

    const res = await transfer(chatId, null, a1);
    assert.equal(res.status, 200, res.text);
    assertSummary(res.body, { chatId, status: "PENDING" });
    assert.equal(res.body.assigneeId ?? null, null, "no assignee");

    const sys = await waitFor(v, "message:new", isSystem(chatId), undefined, mv);
    assertMessage(sys, {
      senderType: "system",
      senderId: "system",
      content: `${a1.agent.name} returned the chat to the queue`,
      isInternal: false,
    });
    for (const [s, from] of [[v, mv], [s2, m2]]) {
      const ev = await waitFor(s, "chat:status", ofChat(chatId), undefined, from);
      assert.equal(ev.status, "PENDING");
      assert.equal(ev.assigneeId ?? null, null);
    }
    const up = await waitFor(s2, "chat:updated", ofChat(chatId), undefined, m2);
    assertSummary(up, { chatId, status: "PENDING" });
    assert.equal(up.assigneeId ?? null, null);

    const pending = await hub.chats(a2, { status: "PENDING" });
    assert.ok(pending.body.chats.some((c) => c.chatId === chatId && (c.assigneeId ?? null) === null), "back in the queue");
    // From the queue, any agent may take it.
    assertSummary(assertOk(await accept(chatId, a2), "accept from the queue"), { status: "IN_PROGRESS", assigneeId: a2.id });
    v.disconnect();
    s2.disconnect();
  });

  test("any agent may transfer a PENDING chat", async () => {
    const { chatId } = await hub.visitorWithChat();
    const s1 = await hub.agentSocket(a1);
    const from = mark(s1);
    const res = await transfer(chatId, a1.id, a2);
    assert.equal(res.status, 200, res.text);
    assertSummary(res.body, { chatId, status: "IN_PROGRESS", assigneeId: a1.id });
    const n = await waitFor(s1, "notification:new", (x) => x?.data?.chatId === chatId, undefined, from);
    assert.equal(n.title, "Chat transferred to you");
    assert.equal((await hub.summaryOf(a2, chatId)).assigneeId, a1.id);
    const sys = (await hub.history(a1, chatId)).body.messages.filter((m) => m.senderType === "system");
    assert.deepEqual(
      sys.map((m) => m.content),
      [`${a2.agent.name} transferred the chat to ${a1.agent.name}`],
    );
    s1.disconnect();
  });

  test("to the agent who already holds it: 200, the summary as it was, no message, no events", async () => {
    const { chatId } = await hub.visitorWithChat();
    assertOk(await accept(chatId, a1), "accept");
    const s1 = await hub.agentSocket(a1);
    await join(s1, chatId);
    const before = await snapshot(chatId);
    const from = mark(s1);
    const res = await transfer(chatId, a1.id, a1);
    assert.equal(res.status, 200, res.text);
    assertSummary(res.body, { chatId, status: "IN_PROGRESS", assigneeId: a1.id, updatedAt: before.summary.updatedAt });
    await barrier(s1);
    assertNotSeen(s1, "message:new", ofChat(chatId), from);
    assertNotSeen(s1, "chat:status", ofChat(chatId), from);
    assertNotSeen(s1, "chat:updated", ofChat(chatId), from);
    assert.deepEqual(await snapshot(chatId), before, "nothing changed");
    s1.disconnect();
  });

  test("errors: 403 for a non-assignee or a visitor, 404 unknown agent or chat, 400 malformed or missing ids, 401; nothing changes", async () => {
    const { visitor, chatId } = await hub.visitorWithChat();
    assertOk(await accept(chatId, a1), "accept");
    const s1 = await hub.agentSocket(a1);
    const s2 = await hub.agentSocket(a2);
    await join(s1, chatId);
    const before = await snapshot(chatId);
    const [m1, m2] = [s1, s2].map(mark);

    const cases = [
      [403, "a non-assignee transfers to itself", () => transfer(chatId, a2.id, a2)],
      [403, "a non-assignee transfers to the queue", () => transfer(chatId, null, a2)],
      [403, "the chat's visitor", () => transfer(chatId, a2.id, visitor)],
      [404, "an unknown agent", () => transfer(chatId, UNKNOWN_ID, a1)],
      [400, "a malformed agent id", () => transfer(chatId, "not-an-id", a1)],
      [400, "a number as agent id", () => transfer(chatId, 42, a1)],
      [400, "no toAgentId", () => post(`/v2/chats/${chatId}/transfer`, a1, {})],
      [400, "a malformed chat id", () => transfer("not-a-chat", a2.id, a1)],
      [404, "an unknown chat", () => transfer(UNKNOWN_ID, a2.id, a1)],
      [401, "no auth", () => hub.post(`/v2/chats/${chatId}/transfer`, { toAgentId: a2.id })],
    ];
    for (const [status, what, call] of cases) {
      assertError(await call(), status, what);
      assert.deepEqual(await snapshot(chatId), before, `nothing changed after: ${what}`);
    }
    await barrier(s1);
    await barrier(s2);
    for (const [s, from] of [[s1, m1], [s2, m2]]) {
      assertNotSeen(s, "message:new", ofChat(chatId), from, "after refused transfers");
      assertNotSeen(s, "chat:status", ofChat(chatId), from, "after refused transfers");
      assertNotSeen(s, "chat:updated", ofChat(chatId), from, "after refused transfers");
      assertNotSeen(s, "notification:new", (x) => x?.data?.chatId === chatId, from, "after refused transfers");
    }
    s1.disconnect();
    s2.disconnect();
  });

  test("a closed chat is 409, to an agent or to the queue, and stays closed", async () => {
    const { chatId } = await hub.visitorWithChat();
    assertOk(await accept(chatId, a1), "accept");
    assertOk(await close(chatId, a1), "close");
    const before = await snapshot(chatId);
    assertError(await transfer(chatId, a2.id, a1), 409, "transfer a closed chat");
    assert.deepEqual(await snapshot(chatId), before);
    assertError(await transfer(chatId, null, a1), 409, "a closed chat to the queue");
    assert.deepEqual(await snapshot(chatId), before);
    assert.equal(before.summary.status, "CLOSED");
  });
});

describe("reopen", () => {
  test("a CLOSED chat: IN_PROGRESS assigned to the caller, a system message the visitor gets, chat:status, chat:updated", async () => {
    const { visitor, chatId } = await hub.visitorWithChat();
    assertOk(await accept(chatId, a1), "accept");
    assertOk(await close(chatId, a1), "close");
    const v = await hub.visitorSocket(visitor);
    const s1 = await hub.agentSocket(a1);
    const s2 = await hub.agentSocket(a2);
    await join(v, chatId);
    const [mv, m1, m2] = [v, s1, s2].map(mark);

    const res = await reopen(chatId, a2);
    assert.equal(res.status, 200, res.text);
    assertSummary(res.body, { chatId, status: "IN_PROGRESS", assigneeId: a2.id });

    const sys = await waitFor(v, "message:new", isSystem(chatId), undefined, mv);
    assertMessage(sys, {
      chatId,
      senderType: "system",
      senderId: "system",
      content: `${a2.agent.name} reopened the chat`,
      isInternal: false,
      isFirstResponse: false,
    });
    for (const [s, from] of [[v, mv], [s1, m1], [s2, m2]]) {
      const ev = await waitFor(s, "chat:status", ofChat(chatId), undefined, from);
      assert.equal(ev.status, "IN_PROGRESS");
      assert.equal(ev.assigneeId, a2.id);
    }
    for (const [s, from] of [[s1, m1], [s2, m2]]) {
      const up = await waitFor(s, "chat:updated", ofChat(chatId), undefined, from);
      assertSummary(up, { chatId, status: "IN_PROGRESS", assigneeId: a2.id });
      assert.ok(!("myReadMarker" in up));
    }
    await barrier(v);
    assertNotSeen(v, "chat:updated", () => true, mv);
    assert.equal((await hub.summaryOf(a1, chatId)).assigneeId, a2.id);
    // Open again: the visitor may write.
    await hub.say(visitor, chatId, "thanks for reopening");
    for (const s of [v, s1, s2]) s.disconnect();
  });

  test("an open chat is 409 (PENDING or IN_PROGRESS) and stays as it was", async () => {
    const pending = await hub.visitorWithChat();
    const inProgress = await hub.visitorWithChat();
    assertOk(await accept(inProgress.chatId, a1), "accept");
    for (const { chatId } of [pending, inProgress]) {
      const before = await snapshot(chatId);
      assertError(await reopen(chatId, a2), 409, `reopen a ${before.summary.status} chat`);
      assert.deepEqual(await snapshot(chatId), before);
    }
  });

  test("a visitor's cookie is 403, malformed id 400, unknown 404; the chat stays closed", async () => {
    const { visitor, chatId } = await hub.visitorWithChat();
    assertOk(await close(chatId, a1), "close");
    const before = await snapshot(chatId);
    assertError(await reopen(chatId, visitor), 403, "the chat's own visitor");
    assertError(await reopen("not-a-chat", a1), 400, "malformed id");
    assertError(await reopen(UNKNOWN_ID, a1), 404, "unknown chat");
    assertError(await hub.post(`/v2/chats/${chatId}/reopen`), 401, "no auth");
    assert.deepEqual(await snapshot(chatId), before);
    assert.equal(before.summary.status, "CLOSED");
  });
});

describe("chat:updated", () => {
  test("accept, tags, transfer, back to the queue, close and reopen: one chat:updated each to every agent socket, the stored state, no myReadMarker", async () => {
    const { visitor, chatId } = await hub.visitorWithChat();
    const s1 = await hub.agentSocket(a1);
    const s2 = await hub.agentSocket(a2);
    const v = await hub.visitorSocket(visitor);
    await join(s1, chatId); // one socket in the chat, one only in `agents`
    await join(v, chatId);
    const fromV = mark(v);

    const steps = [
      ["accept", () => accept(chatId, a1), { status: "IN_PROGRESS", assigneeId: a1.id }],
      ["tags", () => putTags(chatId, ["billing"], a1), { status: "IN_PROGRESS", assigneeId: a1.id, tags: ["billing"] }],
      ["transfer", () => transfer(chatId, a2.id, a1), { status: "IN_PROGRESS", assigneeId: a2.id, tags: ["billing"] }],
      ["to the queue", () => transfer(chatId, null, a2), { status: "PENDING", assigneeId: null, tags: ["billing"] }],
      ["accept again", () => accept(chatId, a2), { status: "IN_PROGRESS", assigneeId: a2.id }],
      ["close", () => close(chatId, a2), { status: "CLOSED" }],
      ["reopen", () => reopen(chatId, a1), { status: "IN_PROGRESS", assigneeId: a1.id, tags: ["billing"] }],
      ["tags again", () => putTags(chatId, [], a1), { tags: [] }],
    ];
    let last = 0;
    for (const [what, call, expected] of steps) {
      const marks = [s1, s2].map(mark);
      assertOk(await call(), what);
      for (const [i, s] of [s1, s2].entries()) {
        const up = await waitFor(s, "chat:updated", ofChat(chatId), undefined, marks[i]);
        assertSummary(up);
        for (const [k, val] of Object.entries(expected)) {
          assert.deepEqual(up[k] ?? null, val, `chat:updated after ${what}: ${k}`);
        }
        assert.ok(!("myReadMarker" in up), `no myReadMarker after ${what}`);
        assert.ok(ms(up.updatedAt) >= last, `updatedAt does not go back (${what})`);
        // Sent after the change was stored: the listing already shows it, with the shared updatedAt.
        const listed = await hub.summaryOf(a2, chatId);
        for (const k of ["status", "assigneeId", "tags", "updatedAt"]) {
          assert.deepEqual(listed[k] ?? null, up[k] ?? null, `GET /v2/chats agrees with chat:updated after ${what}: ${k}`);
        }
      }
      for (const [i, s] of [s1, s2].entries()) {
        await barrier(s);
        assert.equal(seen(s, "chat:updated", ofChat(chatId), marks[i]).length, 1, `one chat:updated after ${what}`);
      }
      last = ms(seen(s2, "chat:updated", ofChat(chatId), marks[1])[0].updatedAt);
    }
    await barrier(v);
    assertNotSeen(v, "chat:updated", () => true, fromV, "a visitor never gets chat:updated");
    for (const s of [s1, s2, v]) s.disconnect();
  });

  test("none for a new chat (chat:new) or plain messages; one when the first public agent reply moves the chat to IN_PROGRESS", async () => {
    const s1 = await hub.agentSocket(a1);
    const s2 = await hub.agentSocket(a2);
    const from2 = mark(s2);
    const { visitor, chatId } = await hub.visitorWithChat();
    const created = await waitFor(s2, "chat:new", ofChat(chatId), undefined, from2);
    assert.ok(!("myReadMarker" in created), "chat:new has no myReadMarker");
    await join(s1, chatId);
    const from1 = mark(s1);
    const vm = await hub.say(visitor, chatId, "hello?");
    await waitFor(s1, "message:new", (m) => m?.messageId === vm.messageId, undefined, from1);
    const note = await hub.say(a1, chatId, "internal: check the order", { isInternal: true });
    await waitFor(s1, "message:new", (m) => m?.messageId === note.messageId, undefined, from1);
    await barrier(s1);
    await barrier(s2);
    assertNotSeen(s1, "chat:updated", ofChat(chatId), from1, "a visitor message or an internal note");
    assertNotSeen(s2, "chat:updated", ofChat(chatId), from2, "a new chat or plain messages");

    const marks = [s1, s2].map(mark);
    const reply = await hub.say(a1, chatId, "hi, I am here");
    for (const [i, s] of [s1, s2].entries()) {
      const up = await waitFor(s, "chat:updated", ofChat(chatId), undefined, marks[i]);
      assertSummary(up, { chatId, status: "IN_PROGRESS", assigneeId: a1.id });
    }
    const later = mark(s1);
    const second = await hub.say(a1, chatId, "one more thing");
    await waitFor(s1, "message:new", (m) => m?.messageId === second.messageId, undefined, later);
    await barrier(s1);
    await barrier(s2);
    for (const [i, s] of [s1, s2].entries()) {
      assert.equal(seen(s, "chat:updated", ofChat(chatId), marks[i]).length, 1, "only the reply that changed the status");
    }
    assert.ok(reply.isFirstResponse);
    s1.disconnect();
    s2.disconnect();
  });
});
