// PROTOCOL.md "The visitor side" and internal notes: a visitor never
// receives an internal message (socket, HTTP history, ChatSummary), a
// visitor's isInternal POST is 403, visitors see only their own chats.

import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import {
  startHub,
  waitFor,
  emitWithAck,
  barrier,
  mark,
  seen,
  assertNotSeen,
  assertError,
  assertSummary,
} from "./hub.mjs";

let hub;
before(async () => {
  hub = await startHub();
});
after(() => hub?.stop());

describe("internal notes", () => {
  test("go to agents in the chat, never to the visitor's socket", async () => {
    const { visitor, chatId } = await hub.visitorWithChat();
    const a1 = await hub.agent1();
    const agent = await hub.agentSocket(a1);
    const v = await hub.visitorSocket(visitor);
    await emitWithAck(agent, "chat:join", { chatId });
    await emitWithAck(v, "chat:join", { chatId });
    const from = mark(v);

    const note = await hub.say(a1, chatId, "internal: refund approved", { isInternal: true });
    assert.equal(note.isInternal, true);
    const got = await waitFor(agent, "message:new", (m) => m.messageId === note.messageId);
    assert.deepEqual(got, note, "agents in the chat get the note");
    // A later public message is the marker: it reaches the visitor after
    // anything sent to it before, so the note's absence is meaningful.
    const pub = await hub.say(a1, chatId, "public: your refund is on its way");
    await waitFor(v, "message:new", (m) => m.messageId === pub.messageId, undefined, from);
    await barrier(v);
    assertNotSeen(v, "message:new", (m) => m.messageId === note.messageId || m.isInternal, from, "internal note");
    agent.disconnect();
    v.disconnect();
  });

  test("are left out of the visitor's history and kept in the agent's", async () => {
    const { visitor, chatId } = await hub.visitorWithChat();
    const a1 = await hub.agent1();
    const q = await hub.say(visitor, chatId, "question");
    const note = await hub.say(a1, chatId, "internal: check the order", { isInternal: true });
    const answer = await hub.say(a1, chatId, "answer");
    const note2 = await hub.say(a1, chatId, "internal: done", { isInternal: true });

    const asVisitor = await hub.history(visitor, chatId);
    assert.equal(asVisitor.status, 200, asVisitor.text);
    assert.deepEqual(
      asVisitor.body.messages.map((m) => m.messageId),
      [q.messageId, answer.messageId],
      "the visitor's history has no internal notes",
    );
    assert.equal(asVisitor.body.hasMore, false);

    // Paging must not leak them either (limit counts visible messages only).
    const newestOne = await hub.history(visitor, chatId, { limit: "1" });
    assert.deepEqual(newestOne.body.messages.map((m) => m.messageId), [answer.messageId]);
    const fromStart = await hub.history(visitor, chatId, { dateFrom: q.sentAt, limit: "10" });
    assert.ok(fromStart.body.messages.every((m) => !m.isInternal));
    const fromNote = await hub.history(visitor, chatId, { dateFrom: note.sentAt });
    assert.deepEqual(fromNote.body.messages.map((m) => m.messageId), [answer.messageId]);

    const asAgent = await hub.history(a1, chatId);
    assert.deepEqual(
      asAgent.body.messages.map((m) => m.messageId),
      [q.messageId, note.messageId, answer.messageId, note2.messageId],
      "agents see every message",
    );
  });

  test("never show as a visitor's ChatSummary lastMessage", async () => {
    const { visitor, chatId } = await hub.visitorWithChat();
    const a1 = await hub.agent1();
    const answer = await hub.say(a1, chatId, "public answer");
    await hub.say(a1, chatId, "internal: newest of all", { isInternal: true });

    const res = await hub.chats(visitor);
    if (res.status === 200) {
      const mine = res.body.chats.find((c) => c.chatId === chatId);
      assert.ok(mine, "the visitor's own chat is listed");
      assertSummary(mine);
      assert.equal(mine.lastMessage?.messageId, answer.messageId, "the newest message the visitor may see");
      for (const c of res.body.chats) {
        assert.equal(c.visitor.id, visitor.visitorId, "a visitor lists only its own chats");
        assert.notEqual(c.lastMessage?.isInternal, true);
      }
    } else {
      // A backend may keep GET /v2/chats for agents; then it must refuse cleanly.
      assert.ok([401, 403].includes(res.status), `GET /v2/chats as a visitor: ${res.status}`);
      assertError(res, res.status);
    }
    // Close is an agent route: a visitor's cookie is refused (rules.test.mjs).
    assertError(await hub.post(`/v2/chats/${chatId}/close`, undefined, { auth: visitor }), 403, "a visitor's close");
  });

  test("a visitor's POST with isInternal: true is 403 and writes nothing", async () => {
    const { visitor, chatId } = await hub.visitorWithChat();
    const a1 = await hub.agent1();
    const agent = await hub.agentSocket(a1);
    await emitWithAck(agent, "chat:join", { chatId });
    const from = mark(agent);
    const res = await hub.send(visitor, { chatId, content: "let me in", type: "text", isInternal: true });
    assertError(res, 403, "visitor isInternal");
    await barrier(agent);
    assertNotSeen(agent, "message:new", (m) => m.chatId === chatId, from, "refused message");
    const hist = await hub.history(a1, chatId);
    assert.deepEqual(hist.body.messages, []);

    const explicitFalse = await hub.send(visitor, { chatId, content: "public", type: "text", isInternal: false });
    assert.equal(explicitFalse.status, 201, "isInternal: false is fine");
    assert.equal(explicitFalse.body.isInternal, false);
    agent.disconnect();
  });
});

describe("visitors see only their own chats", () => {
  test("another visitor's chat is 403 for history, sending, closing and uploading", async () => {
    const a = await hub.visitorWithChat("Owner");
    const b = await hub.visitor("Intruder");
    await hub.say(a.visitor, a.chatId, "private");
    assertError(await hub.history(b, a.chatId), 403, "history");
    assertError(await hub.send(b, { chatId: a.chatId, content: "hi", type: "text" }), 403, "send");
    assertError(await hub.post(`/v2/chats/${a.chatId}/close`, undefined, { auth: b }), 403, "close");
    assertError(await hub.upload(b, a.chatId, new Uint8Array([1, 2, 3]), "x.bin"), 403, "upload");
    const still = await hub.history(a.visitor, a.chatId);
    assert.equal(still.body.messages.length, 1, "nothing changed in the chat");
  });

  test("a visitor's message is a 201 Message with senderType visitor", async () => {
    const { visitor, chatId } = await hub.visitorWithChat();
    const res = await hub.send(visitor, { chatId, content: "hello", type: "text" });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.body.senderType, "visitor");
    assert.equal(res.body.senderId, visitor.visitorId);
  });

  test("a visitor's chat:new reaches every connected agent with the ChatSummary", async () => {
    const s1 = await hub.agentSocket(await hub.agent1());
    const s2 = await hub.agentSocket(await hub.agent2());
    const visitor = await hub.visitor("Queue Quinn", "quinn@example.com");
    const chat = await hub.openChat(visitor, "Billing question");
    assertSummary(chat, { status: "PENDING" });
    assert.deepEqual(chat.visitor, { id: visitor.visitorId, name: "Queue Quinn", email: "quinn@example.com" });
    assert.equal(chat.assigneeId ?? null, null, "no assignee yet");
    assert.equal(chat.lastMessage ?? null, null, "no messages yet");
    for (const s of [s1, s2]) {
      const ev = await waitFor(s, "chat:new", (c) => c.chatId === chat.chatId);
      // Agents also see v2.1's agent-only fields (tags); the rest is the same.
      const { tags, ...shared } = ev;
      assert.deepEqual(tags, [], "agents see the (empty) tags");
      assert.equal(chat.tags, undefined, "the visitor does not");
      assert.deepEqual(shared, chat, "chat:new carries the same ChatSummary");
    }
    await barrier(s1);
    assert.equal(seen(s1, "chat:new", (c) => c.chatId === chat.chatId).length, 1, "once per socket");
    s1.disconnect();
    s2.disconnect();
  });
});
