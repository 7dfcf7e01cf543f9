// PROTOCOL.md "Message", POST /v2/messages, `message:new`, isFirstResponse,
// the PENDING → IN_PROGRESS move, and clientMessageId idempotency.

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
  assertMessage,
  assertError,
  ms,
} from "./hub.mjs";

let hub;
before(async () => {
  hub = await startHub();
});
after(() => hub?.stop());

/** A chat with its visitor socket and agent-1 socket both joined. */
async function joinedChat() {
  const { visitor, chatId } = await hub.visitorWithChat();
  const a1 = await hub.agent1();
  const agent = await hub.agentSocket(a1);
  const v = await hub.visitorSocket(visitor);
  assert.equal((await emitWithAck(agent, "chat:join", { chatId })).success, true);
  assert.equal((await emitWithAck(v, "chat:join", { chatId })).success, true);
  return { visitor, chatId, a1, agent, v, close: () => [agent, v].forEach((s) => s.disconnect()) };
}

describe("message:new", () => {
  test("a visitor's POST answers 201 Message, and the room gets the same Message", async () => {
    const { visitor, chatId, agent, v, close } = await joinedChat();
    const clientMessageId = "cm-visitor-1";
    const before = Date.now();
    const res = await hub.send(visitor, { chatId, content: "Hola, ¿hay alguien?", type: "text", clientMessageId });
    assert.equal(res.status, 201, res.text);
    const m = res.body;
    assertMessage(m, {
      chatId,
      senderId: visitor.visitorId,
      senderType: "visitor",
      content: "Hola, ¿hay alguien?",
      type: "text",
      isInternal: false,
      isFirstResponse: false,
      clientMessageId,
    });
    assert.ok(Math.abs(ms(m.sentAt) - before) < 60_000, "sentAt is the server's clock, now");
    const [toAgent, toVisitor] = await Promise.all([
      waitFor(agent, "message:new", (x) => x.messageId === m.messageId),
      waitFor(v, "message:new", (x) => x.messageId === m.messageId),
    ]);
    assert.deepEqual(toAgent, m, "message:new to an agent is the POST answer");
    assert.deepEqual(toVisitor, m, "message:new to the visitor is the POST answer");
    close();
  });

  test("without clientMessageId none is echoed", async () => {
    const { visitor, chatId } = await hub.visitorWithChat();
    const res = await hub.send(visitor, { chatId, content: "no client id", type: "text" });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.body.clientMessageId ?? null, null);
    assert.equal(res.body.type, "text");
  });

  test("message:new reaches every socket in the room exactly once", async () => {
    const { visitor, chatId, a1, agent, v, close } = await joinedChat();
    const second = await hub.agentSocket(a1);
    await emitWithAck(second, "chat:join", { chatId });
    const m = await hub.say(visitor, chatId, "count me");
    const n = await hub.say(a1, chatId, "count me too", { isInternal: true });
    for (const s of [agent, second, v]) await barrier(s);
    for (const s of [agent, second]) {
      assert.equal(seen(s, "message:new", (x) => x.messageId === m.messageId).length, 1);
      assert.equal(seen(s, "message:new", (x) => x.messageId === n.messageId).length, 1, "internal note once");
    }
    assert.equal(seen(v, "message:new", (x) => x.messageId === m.messageId).length, 1);
    second.disconnect();
    close();
  });

  test("messageIds are unique and sentAt is strictly increasing within a chat", async () => {
    const { visitor, chatId } = await hub.visitorWithChat();
    const a1 = await hub.agent1();
    const sent = [];
    for (let i = 0; i < 20; i++) {
      sent.push(await hub.say(i % 2 ? a1 : visitor, chatId, `burst ${i}`, i % 4 === 3 ? { isInternal: true } : {}));
    }
    assert.equal(new Set(sent.map((m) => m.messageId)).size, sent.length, "unique messageIds");
    for (let i = 1; i < sent.length; i++) {
      assert.match(sent[i].sentAt, ISO_MS);
      assert.ok(ms(sent[i].sentAt) > ms(sent[i - 1].sentAt), `sentAt ${sent[i].sentAt} > ${sent[i - 1].sentAt}`);
    }
  });
});

describe("isFirstResponse and PENDING → IN_PROGRESS", () => {
  test("the first public agent message has isFirstResponse and moves the chat to IN_PROGRESS", async () => {
    const { visitor, chatId, a1, agent, v, close } = await joinedChat();
    const a2 = await hub.agent2();
    const bystander = await hub.agentSocket(a2); // in `agents` only
    const fromAgent = mark(agent);
    const fromV = mark(v);
    const fromB = mark(bystander);

    const q = await hub.say(visitor, chatId, "first visitor line");
    assert.equal(q.isFirstResponse, false);
    const first = await hub.say(a1, chatId, "first answer");
    assertMessage(first, { senderType: "agent", senderId: a1.id, isFirstResponse: true, isInternal: false });

    const expected = { chatId, status: "IN_PROGRESS", assigneeId: a1.id };
    for (const s of [agent, v, bystander]) {
      const ev = await waitFor(s, "chat:status", (e) => e.chatId === chatId);
      assert.deepEqual({ chatId: ev.chatId, status: ev.status, assigneeId: ev.assigneeId }, expected);
      assert.match(ev.timestamp, ISO_MS);
    }
    const second = await hub.say(a1, chatId, "second answer");
    assert.equal(second.isFirstResponse, false);
    const other = await hub.say(a2, chatId, "another agent chimes in");
    assert.equal(other.isFirstResponse, false, "only the chat's first agent message");

    for (const s of [agent, v, bystander]) await barrier(s);
    assert.equal(seen(agent, "chat:status", (e) => e.chatId === chatId, fromAgent).length, 1, "agent in room+agents");
    assert.equal(seen(v, "chat:status", (e) => e.chatId === chatId, fromV).length, 1, "visitor in the room");
    assert.equal(seen(bystander, "chat:status", (e) => e.chatId === chatId, fromB).length, 1, "agent in agents");

    const list = await hub.chats(a1, { status: "IN_PROGRESS" });
    const chat = list.body.chats.find((c) => c.chatId === chatId);
    assert.ok(chat, "the chat is listed as IN_PROGRESS");
    assert.equal(chat.assigneeId, a1.id);
    bystander.disconnect();
    close();
  });

  test("an internal note sets neither isFirstResponse nor IN_PROGRESS", async () => {
    const { chatId, a1, agent, v, close } = await joinedChat();
    const fromAgent = mark(agent);
    const fromV = mark(v);
    const note = await hub.say(a1, chatId, "internal: VIP customer", { isInternal: true });
    assertMessage(note, { isInternal: true, isFirstResponse: false, senderType: "agent" });
    await waitFor(agent, "message:new", (x) => x.messageId === note.messageId);
    await barrier(agent);
    await barrier(v);
    assertNotSeen(agent, "chat:status", (e) => e.chatId === chatId, fromAgent, "after an internal note");
    assertNotSeen(v, "chat:status", (e) => e.chatId === chatId, fromV, "after an internal note");
    const pending = await hub.chats(a1, { status: "PENDING" });
    assert.ok(pending.body.chats.some((c) => c.chatId === chatId), "still PENDING after an internal note");

    const pub = await hub.say(a1, chatId, "now the public answer");
    assert.equal(pub.isFirstResponse, true, "the first public agent message, after an internal note");
    const ev = await waitFor(v, "chat:status", (e) => e.chatId === chatId, undefined, fromV);
    assert.equal(ev.status, "IN_PROGRESS");
    close();
  });

  test("a visitor's messages never set isFirstResponse or change the status", async () => {
    const { visitor, chatId, a1, agent, close } = await joinedChat();
    const from = mark(agent);
    for (let i = 0; i < 3; i++) {
      assert.equal((await hub.say(visitor, chatId, `visitor ${i}`)).isFirstResponse, false);
    }
    await barrier(agent);
    assertNotSeen(agent, "chat:status", (e) => e.chatId === chatId, from);
    const pending = await hub.chats(a1, { status: "PENDING" });
    assert.ok(pending.body.chats.some((c) => c.chatId === chatId));
    close();
  });
});

describe("clientMessageId idempotency", () => {
  test("a repeated POST returns the first message with 200 and broadcasts nothing", async () => {
    const { chatId, a1, agent, v, close } = await joinedChat();
    const body = { chatId, content: "retry me", type: "text", clientMessageId: "outbox-42" };
    const first = await hub.send(a1, body);
    assert.equal(first.status, 201, first.text);
    await waitFor(v, "message:new", (x) => x.messageId === first.body.messageId);
    const again = await hub.send(a1, body);
    assert.equal(again.status, 200, again.text);
    assert.deepEqual(again.body, first.body, "the very same message");
    const changed = await hub.send(a1, { ...body, content: "different text, same id" });
    assert.equal(changed.status, 200, changed.text);
    assert.deepEqual(changed.body, first.body, "the first message wins even if the retry differs");

    for (const s of [agent, v]) await barrier(s);
    for (const s of [agent, v]) {
      assert.equal(seen(s, "message:new", (x) => x.clientMessageId === "outbox-42").length, 1, "broadcast once");
    }
    const hist = await hub.history(a1, chatId);
    assert.equal(hist.body.messages.filter((m) => m.clientMessageId === "outbox-42").length, 1, "stored once");
    close();
  });

  test("idempotency is per sender, across all chats", async () => {
    const a = await hub.visitorWithChat();
    const b = await hub.visitorWithChat();
    const a1 = await hub.agent1();
    const a2 = await hub.agent2();
    const cmid = "shared-client-id";
    const first = await hub.send(a1, { chatId: a.chatId, content: "in chat A", type: "text", clientMessageId: cmid });
    assert.equal(first.status, 201, first.text);

    const otherChat = await hub.send(a1, { chatId: b.chatId, content: "in chat B", type: "text", clientMessageId: cmid });
    assert.equal(otherChat.status, 200, "same sender, another chat: a repeat");
    assert.deepEqual(otherChat.body, first.body);
    const histB = await hub.history(a1, b.chatId);
    assert.equal(histB.body.messages.length, 0, "nothing was written in chat B");

    const otherAgent = await hub.send(a2, { chatId: a.chatId, content: "agent 2", type: "text", clientMessageId: cmid });
    assert.equal(otherAgent.status, 201, "another sender with the same id is a new message");
    assert.notEqual(otherAgent.body.messageId, first.body.messageId);
    const visitor = await hub.send(a.visitor, { chatId: a.chatId, content: "visitor", type: "text", clientMessageId: cmid });
    assert.equal(visitor.status, 201, "the visitor is another sender");
    assert.equal(visitor.body.clientMessageId, cmid);
  });

  test("clientMessageId is any string up to 100 characters", async () => {
    const { visitor, chatId } = await hub.visitorWithChat();
    const long = "k".repeat(100);
    const ok = await hub.send(visitor, { chatId, content: "x", type: "text", clientMessageId: long });
    assert.equal(ok.status, 201, ok.text);
    assert.equal(ok.body.clientMessageId, long);
    const odd = await hub.send(visitor, { chatId, content: "x", type: "text", clientMessageId: "not a uuid / ñ 🙂" });
    assert.equal(odd.status, 201, odd.text);
    assert.equal(odd.body.clientMessageId, "not a uuid / ñ 🙂");
    const tooLong = await hub.send(visitor, { chatId, content: "x", type: "text", clientMessageId: "k".repeat(101) });
    assertError(tooLong, 400, "clientMessageId of 101 characters");
  });
});
