// PROTOCOL.md chats: POST /v2/chats, GET /v2/chats (status, updatedSince,
// limit, order), accept and close with their chat:status events and 409s.

import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import {
  startHub,
  ISO_MS,
  waitFor,
  emitWithAck,
  barrier,
  mark,
  seen,
  assertNotSeen,
  assertError,
  assertSummary,
  ms,
  shiftIso,
  until,
} from "./hub.mjs";

let hub;
before(async () => {
  hub = await startHub();
});
after(() => hub?.stop());

const post = (path, who) => hub.post(path, undefined, { auth: who });
const accept = (chatId, who) => post(`/v2/chats/${chatId}/accept`, who);
const close = (chatId, who) => post(`/v2/chats/${chatId}/close`, who);

/** Waits until the clock has passed `iso`, so the next change gets a later timestamp. */
const pastMillisecond = (iso) => until(() => Date.now() > ms(iso), { everyMs: 1, what: `the clock to pass ${iso}` });

function assertOk(res, what) {
  assert.ok([200, 201].includes(res.status), `${what}: ${res.status} ${res.text}`);
  return res.body;
}

describe("opening and listing chats", () => {
  test("POST /v2/chats answers 201 ChatSummary, PENDING, with the visitor", async () => {
    const visitor = await hub.visitor("Sofía", "sofia@example.com");
    const before = Date.now();
    const chat = await hub.openChat(visitor, "Where is my order?");
    assertSummary(chat, { status: "PENDING" });
    assert.equal(chat.visitor.id, visitor.visitorId);
    assert.equal(chat.visitor.name, "Sofía");
    assert.equal(chat.visitor.email, "sofia@example.com");
    assert.ok(Math.abs(ms(chat.createdAt) - before) < 60_000);
    assert.ok(ms(chat.updatedAt) >= ms(chat.createdAt));

    const noEmail = await hub.openChat(await hub.visitor("Anon"));
    assert.equal(noEmail.visitor.email ?? null, null, "email is optional");
  });

  test("GET /v2/chats lists every chat for any agent, most recently updated first", async () => {
    const c1 = await hub.visitorWithChat("First");
    await pastMillisecond(c1.chat.updatedAt);
    const c2 = await hub.visitorWithChat("Second");
    await pastMillisecond(c2.chat.updatedAt);
    const c3 = await hub.visitorWithChat("Third");
    await pastMillisecond(c3.chat.updatedAt);
    await hub.say(c1.visitor, c1.chatId, "bump the first chat");

    for (const agent of [await hub.agent1(), await hub.agent2()]) {
      const res = await hub.chats(agent);
      assert.equal(res.status, 200, res.text);
      const list = res.body.chats;
      list.forEach((c) => assertSummary(c));
      for (let i = 1; i < list.length; i++) {
        assert.ok(ms(list[i - 1].updatedAt) >= ms(list[i].updatedAt), "ordered by updatedAt, newest first");
      }
      const pos = (c) => list.findIndex((x) => x.chatId === c.chatId);
      assert.ok(pos(c1) >= 0 && pos(c2) >= 0 && pos(c3) >= 0, "every chat is listed");
      assert.ok(pos(c1) < pos(c3) && pos(c3) < pos(c2), "c1 (bumped) before c3 before c2");
      assert.equal(list[pos(c1)].lastMessage?.content, "bump the first chat");
    }
  });

  test("`limit` bounds the list to the most recently updated chats", async () => {
    const a1 = await hub.agent1();
    await hub.visitorWithChat();
    const all = (await hub.chats(a1)).body.chats;
    assert.ok(all.length >= 2);
    const one = await hub.chats(a1, { limit: "1" });
    assert.equal(one.status, 200, one.text);
    assert.equal(one.body.chats.length, 1);
    assert.equal(one.body.chats[0].chatId, all[0].chatId);
  });

  test("`status` filters by status", async () => {
    const a1 = await hub.agent1();
    const pending = await hub.visitorWithChat();
    const inProgress = await hub.visitorWithChat();
    const closed = await hub.visitorWithChat();
    assertOk(await accept(inProgress.chatId, a1), "accept");
    assertOk(await close(closed.chatId, a1), "close");
    const expect = { PENDING: pending, IN_PROGRESS: inProgress, CLOSED: closed };
    for (const [status, mine] of Object.entries(expect)) {
      const res = await hub.chats(a1, { status });
      assert.equal(res.status, 200, res.text);
      assert.ok(res.body.chats.length >= 1);
      assert.ok(res.body.chats.every((c) => c.status === status), `only ${status}`);
      assert.ok(res.body.chats.some((c) => c.chatId === mine.chatId), `the ${status} chat is listed`);
      for (const other of Object.values(expect).filter((o) => o !== mine)) {
        assert.ok(!res.body.chats.some((c) => c.chatId === other.chatId), `not in ${status}`);
      }
    }
  });

  test("`updatedSince` is inclusive", async () => {
    const a1 = await hub.agent1();
    const before = (await hub.chats(a1)).body.chats;
    const newest = before[0];
    await pastMillisecond(newest.updatedAt);
    const c = await hub.visitorWithChat();
    const m = await hub.say(c.visitor, c.chatId, "touch");
    const updatedAt = (await hub.chats(a1)).body.chats.find((x) => x.chatId === c.chatId).updatedAt;
    assert.match(updatedAt, ISO_MS);
    assert.ok(ms(updatedAt) >= ms(m.sentAt), "a message updates the chat");

    const same = await hub.chats(a1, { updatedSince: updatedAt });
    assert.equal(same.status, 200, same.text);
    assert.ok(same.body.chats.some((x) => x.chatId === c.chatId), "updatedAt == updatedSince is included");
    assert.ok(same.body.chats.every((x) => ms(x.updatedAt) >= ms(updatedAt)));
    assert.ok(!same.body.chats.some((x) => x.chatId === newest.chatId), "older chats are left out");

    const after = await hub.chats(a1, { updatedSince: shiftIso(updatedAt, 1) });
    assert.ok(!after.body.chats.some((x) => x.chatId === c.chatId), "a millisecond later, it is left out");

    const combined = await hub.chats(a1, { updatedSince: updatedAt, status: "PENDING" });
    assert.ok(combined.body.chats.some((x) => x.chatId === c.chatId), "filters combine");
  });
});

describe("accept", () => {
  test("makes the chat IN_PROGRESS with the caller as assignee, tells room and agents", async () => {
    const { visitor, chatId } = await hub.visitorWithChat();
    const a1 = await hub.agent1();
    const a2 = await hub.agent2();
    const v = await hub.visitorSocket(visitor);
    const other = await hub.agentSocket(a2); // in `agents`, not in the chat
    const mine = await hub.agentSocket(a1);
    await emitWithAck(v, "chat:join", { chatId });
    await emitWithAck(mine, "chat:join", { chatId });
    const marks = [v, other, mine].map(mark);

    const summary = assertOk(await accept(chatId, a1), "accept");
    assertSummary(summary, { chatId, status: "IN_PROGRESS", assigneeId: a1.id });
    for (const s of [v, other, mine]) {
      const ev = await waitFor(s, "chat:status", (e) => e.chatId === chatId);
      assert.deepEqual(
        { chatId: ev.chatId, status: ev.status, assigneeId: ev.assigneeId },
        { chatId, status: "IN_PROGRESS", assigneeId: a1.id },
      );
      assert.match(ev.timestamp, ISO_MS);
    }
    // The hub's choice: accepting writes a `system` message into the chat.
    const sys = await waitFor(v, "message:new", (m) => m.chatId === chatId && m.senderType === "system");
    assert.equal(sys.isInternal, false);
    assert.equal(sys.isFirstResponse, false, "a system message is not an agent's response");

    for (const s of [v, other, mine]) await barrier(s);
    [v, other, mine].forEach((s, i) =>
      assert.equal(seen(s, "chat:status", (e) => e.chatId === chatId, marks[i]).length, 1, "chat:status once per socket"),
    );

    const first = await hub.say(a1, chatId, "hello, I am on it");
    assert.equal(first.isFirstResponse, true, "after an accept, the first public agent message is still the first response");
    const listed = (await hub.chats(a1, { status: "IN_PROGRESS" })).body.chats.find((c) => c.chatId === chatId);
    assert.equal(listed?.assigneeId, a1.id);
    for (const s of [v, other, mine]) s.disconnect();
  });

  test("a chat another agent holds is 409", async () => {
    const { chatId } = await hub.visitorWithChat();
    const a1 = await hub.agent1();
    const a2 = await hub.agent2();
    assertOk(await accept(chatId, a1), "first accept");
    assertError(await accept(chatId, a2), 409, "accept by another agent");
    const listed = (await hub.chats(a1)).body.chats.find((c) => c.chatId === chatId);
    assert.equal(listed.assigneeId, a1.id, "still held by the first agent");
  });

  test("a chat answered by another agent (IN_PROGRESS through a reply) is 409 too", async () => {
    const { chatId } = await hub.visitorWithChat();
    const a1 = await hub.agent1();
    const a2 = await hub.agent2();
    await hub.say(a1, chatId, "I answered first");
    assertError(await accept(chatId, a2), 409, "accept a chat agent 1 answered");
  });

  test("a closed chat is 409", async () => {
    const { chatId } = await hub.visitorWithChat();
    const a1 = await hub.agent1();
    assertOk(await close(chatId, a1), "close");
    assertError(await accept(chatId, a1), 409, "accept a closed chat");
    const listed = (await hub.chats(a1, { status: "CLOSED" })).body.chats.find((c) => c.chatId === chatId);
    assert.ok(listed, "still closed");
  });

  test("visitors cannot accept (hub's choice: 403)", async () => {
    const { visitor, chatId } = await hub.visitorWithChat();
    assertError(await accept(chatId, visitor), 403, "visitor accept");
  });
});

describe("close", () => {
  test("an agent closes: CLOSED summary, chat:status to room and agents, a system message", async () => {
    const { visitor, chatId } = await hub.visitorWithChat();
    const a1 = await hub.agent1();
    await hub.say(a1, chatId, "anything else?");
    const v = await hub.visitorSocket(visitor);
    const watcher = await hub.agentSocket(await hub.agent2());
    await emitWithAck(v, "chat:join", { chatId });
    const summary = assertOk(await close(chatId, a1), "close");
    assertSummary(summary, { chatId, status: "CLOSED" });
    for (const s of [v, watcher]) {
      const ev = await waitFor(s, "chat:status", (e) => e.chatId === chatId && e.status === "CLOSED");
      assert.match(ev.timestamp, ISO_MS);
    }
    const sys = await waitFor(v, "message:new", (m) => m.chatId === chatId && m.senderType === "system");
    assert.equal(sys.isInternal, false);
    v.disconnect();
    watcher.disconnect();
  });

  test("closing a closed chat answers it as it is (200), with no new events", async () => {
    const { chatId } = await hub.visitorWithChat();
    const a1 = await hub.agent1();
    const first = assertOk(await close(chatId, a1), "close");
    const s = await hub.agentSocket(a1);
    await emitWithAck(s, "chat:join", { chatId });
    const from = mark(s);
    const again = await close(chatId, a1);
    assert.equal(again.status, 200, again.text);
    assert.deepEqual(again.body, first, "unchanged");
    await barrier(s);
    assertNotSeen(s, "chat:status", (e) => e.chatId === chatId, from);
    assertNotSeen(s, "message:new", (m) => m.chatId === chatId, from);
    s.disconnect();
  });

  test("posting to a closed chat is 409 (hub's choice)", async () => {
    const { visitor, chatId } = await hub.visitorWithChat();
    const a1 = await hub.agent1();
    assertOk(await close(chatId, a1), "close");
    assertError(await hub.send(visitor, { chatId, content: "hello?", type: "text" }), 409, "visitor to closed chat");
    assertError(await hub.send(a1, { chatId, content: "late", type: "text" }), 409, "agent to closed chat");
  });

  test("close is an agent route: a visitor's cookie is 403 and the chat stays open", async () => {
    const { visitor, chatId } = await hub.visitorWithChat();
    const a1 = await hub.agent1();
    assertError(await close(chatId, visitor), 403, "visitor close");
    const list = (await hub.chats(a1)).body.chats;
    assert.equal(list.find((c) => c.chatId === chatId)?.status, "PENDING", "still waiting");
  });

  test("closing moves the chat to the top of the inbox (updatedAt)", async () => {
    const a1 = await hub.agent1();
    const { chat, chatId } = await hub.visitorWithChat();
    const other = await hub.visitorWithChat();
    await pastMillisecond(other.chat.updatedAt);
    const closed = assertOk(await close(chatId, a1), "close");
    assert.ok(ms(closed.updatedAt) > ms(chat.updatedAt), "a status change updates updatedAt");
    const list = (await hub.chats(a1)).body.chats;
    assert.equal(list[0].chatId, chatId);
  });
});
