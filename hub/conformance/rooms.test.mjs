// PROTOCOL.md "Rooms", "Client → server events" and the room events of
// "Server → client events": welcome, chat:join / chat:leave and their acks,
// health-check, malformed payloads, typing, chat:read.

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
} from "./hub.mjs";

let hub;
before(async () => {
  hub = await startHub();
});
after(() => hub?.stop());

describe("connect and health-check", () => {
  test("`welcome` {message, clientId, timestamp} arrives on connect, for agents and visitors", async () => {
    for (const s of [await hub.agentSocket(await hub.agent1()), await hub.visitorSocket(await hub.visitor())]) {
      const [w, ...more] = seen(s, "welcome");
      assert.equal(more.length, 0, "exactly one welcome");
      assert.equal(typeof w.message, "string");
      assert.equal(typeof w.clientId, "string");
      assert.ok(w.clientId.length > 0, "clientId is not empty");
      assert.match(w.timestamp, ISO_MS);
      s.disconnect();
    }
  });

  test("`health-check` acks {status: \"ok\", timestamp}", async () => {
    const s = await hub.agentSocket(await hub.agent1());
    const ack = await emitWithAck(s, "health-check");
    assert.deepEqual(Object.keys(ack).sort(), ["status", "timestamp"]);
    assert.equal(ack.status, "ok");
    assert.match(ack.timestamp, ISO_MS);
    const v = await hub.visitorSocket(await hub.visitor());
    assert.equal((await emitWithAck(v, "health-check")).status, "ok", "visitors may health-check too");
    s.disconnect();
    v.disconnect();
  });
});

describe("reconnect flow", () => {
  test("a chat:join emitted right on `connect` is always handled and acked", async () => {
    // PROTOCOL.md "What a client does around a reconnect": re-join every open
    // chat's room after every (re)connect. A client does that in its
    // `connect` handler, so an event sent at that moment must not be lost.
    const { chatId } = await hub.visitorWithChat();
    const a1 = await hub.agent1();
    const ROUNDS = 16;
    const PER_ROUND = 50;
    const failures = [];
    for (let round = 0; round < ROUNDS; round++) {
      const attempts = [];
      for (let i = 0; i < PER_ROUND; i++) {
        const s = hub.rawSocket({ auth: { token: a1.token } });
        attempts.push(
          new Promise((resolve) => {
            s.once("connect", () => {
              s.timeout(2_000)
                .emitWithAck("chat:join", { chatId })
                .then(
                  (ack) => resolve(ack?.success === true ? null : `ack ${JSON.stringify(ack)}`),
                  (err) => resolve(`no ack: ${err.message}`),
                );
            });
            s.once("connect_error", (err) => resolve(`connect_error ${err.message}`));
            s.connect();
          }).then((failure) => {
            if (failure) failures.push(failure);
            s.disconnect();
          }),
        );
      }
      await Promise.all(attempts);
      if (failures.length) break; // one lost event is enough to know
    }
    assert.deepEqual(
      failures,
      [],
      `chat:join sent on connect was lost or failed: ${failures.length} of the last ${PER_ROUND} attempts`,
    );
  });
});

describe("chat:join and chat:leave", () => {
  test("an agent's chat:join acks {success: true, roomName: \"chat:{id}\"} and emits chat:joined", async () => {
    const { chatId } = await hub.visitorWithChat();
    const s = await hub.agentSocket(await hub.agent1());
    const from = mark(s);
    const ack = await emitWithAck(s, "chat:join", { chatId });
    assert.deepEqual(ack, { success: true, roomName: `chat:${chatId}` });
    const joined = await waitFor(s, "chat:joined", (e) => e.chatId === chatId, undefined, from);
    assert.deepEqual(Object.keys(joined).sort(), ["chatId", "roomName", "timestamp"]);
    assert.equal(joined.roomName, `chat:${chatId}`);
    assert.match(joined.timestamp, ISO_MS);
    s.disconnect();
  });

  test("after chat:join an agent gets the chat's messages; an agent who did not join does not", async () => {
    const { visitor, chatId } = await hub.visitorWithChat();
    const joined = await hub.agentSocket(await hub.agent1());
    const outside = await hub.agentSocket(await hub.agent2());
    await emitWithAck(joined, "chat:join", { chatId });
    const from = mark(outside);
    const m = await hub.say(visitor, chatId, "only for the room");
    await waitFor(joined, "message:new", (x) => x.messageId === m.messageId);
    await barrier(outside);
    assertNotSeen(outside, "message:new", (x) => x.chatId === chatId, from, "agent not in the chat's room");
    joined.disconnect();
    outside.disconnect();
  });

  test("chat:leave acks {success: true, roomName}, emits chat:left, and the chat's messages stop", async () => {
    const { visitor, chatId } = await hub.visitorWithChat();
    const s = await hub.agentSocket(await hub.agent1());
    await emitWithAck(s, "chat:join", { chatId });
    const from = mark(s);
    const ack = await emitWithAck(s, "chat:leave", { chatId });
    assert.deepEqual(ack, { success: true, roomName: `chat:${chatId}` });
    const left = await waitFor(s, "chat:left", (e) => e.chatId === chatId, undefined, from);
    assert.deepEqual(Object.keys(left).sort(), ["chatId", "roomName", "timestamp"]);
    assert.equal(left.roomName, `chat:${chatId}`);
    assert.match(left.timestamp, ISO_MS);

    const agent = await hub.agent1();
    await hub.say(visitor, chatId, "after leave: public");
    await hub.say(agent, chatId, "after leave: internal", { isInternal: true });
    await barrier(s);
    assertNotSeen(s, "message:new", (x) => x.chatId === chatId, from, "left the chat and its commercial room");
    s.disconnect();
  });

  test("a visitor joins its own chat; another visitor's chat fails with `forbidden` and stays silent", async () => {
    const a = await hub.visitorWithChat("Visitor A");
    const b = await hub.visitorWithChat("Visitor B");
    const s = await hub.visitorSocket(a.visitor);
    const own = await emitWithAck(s, "chat:join", { chatId: a.chatId });
    assert.deepEqual(own, { success: true, roomName: `chat:${a.chatId}` });
    await waitFor(s, "chat:joined", (e) => e.chatId === a.chatId);

    const from = mark(s);
    const other = await emitWithAck(s, "chat:join", { chatId: b.chatId });
    assert.equal(other.success, false);
    assert.equal(other.message, "forbidden");
    const m = await hub.say(b.visitor, b.chatId, "B's secret");
    await hub.say(a.visitor, a.chatId, "A's own line");
    await waitFor(s, "message:new", (x) => x.content === "A's own line", undefined, from);
    assertNotSeen(s, "message:new", (x) => x.messageId === m.messageId, from, "another visitor's chat");
    assertNotSeen(s, "chat:joined", (e) => e.chatId === b.chatId, from);
    s.disconnect();
  });

  test("joining an unknown or malformed chat id fails with {success: false, message}", async () => {
    const s = await hub.agentSocket(await hub.agent1());
    for (const chatId of [UNKNOWN_ID, "not-a-uuid", ""]) {
      const ack = await emitWithAck(s, "chat:join", { chatId });
      assert.equal(ack.success, false, `chatId ${JSON.stringify(chatId)}`);
      assert.equal(typeof ack.message, "string");
      assert.ok(ack.message.length > 0);
      assert.equal(ack.roomName, undefined);
    }
    s.disconnect();
  });

  test("a visitor is never put in `agents`: no chat:new, stats or presence reach it", async () => {
    const v = await hub.visitorSocket(await hub.visitor());
    const agent = await hub.agentSocket(await hub.agent1());
    const from = mark(v);
    const { chatId } = await hub.visitorWithChat();
    await waitFor(agent, "chat:new", (c) => c.chatId === chatId);
    const other = await hub.agentSocket(await hub.agent2());
    const fromAgent = mark(agent);
    other.emit("presence:update", { status: "busy" });
    await waitFor(agent, "user:presence", (p) => p.status === "busy", undefined, fromAgent);
    await barrier(v);
    for (const ev of ["chat:new", "stats:update", "user:presence", "notification:new", "notification:count"]) {
      assertNotSeen(v, ev, () => true, from, "visitor socket");
    }
    other.emit("presence:update", { status: "online" });
    await waitFor(agent, "user:presence", (p) => p.status === "online", undefined, fromAgent);
    v.disconnect();
    agent.disconnect();
    other.disconnect();
  });
});

describe("malformed payloads", () => {
  test("get {success: false, message} and never close the socket", async () => {
    const s = await hub.agentSocket(await hub.agent1());
    const bad = [
      ["chat:join", "garbage"],
      ["chat:join", 42],
      ["chat:join", null],
      ["chat:join", {}],
      ["chat:join", { chatId: 7 }],
      ["chat:join", []],
      ["chat:leave", "garbage"],
      ["chat:leave", {}],
      ["chat:leave", { chatId: "not-a-uuid" }],
      ["chat:read", {}],
      ["chat:read", { chatId: "x", messageId: "y" }],
      ["chat:read", "garbage"],
      ["notification:read", {}],
      ["notification:read", "garbage"],
    ];
    for (const [event, payload] of bad) {
      const ack = await emitWithAck(s, event, payload);
      assert.equal(ack?.success, false, `${event} ${JSON.stringify(payload)} acks success: false`);
      assert.equal(typeof ack.message, "string", `${event} ${JSON.stringify(payload)} has a message`);
      assert.ok(s.connected, `still connected after ${event} ${JSON.stringify(payload)}`);
    }
    // Events without an ack, and ack-asking events without a payload.
    s.emit("typing:start", "garbage");
    s.emit("typing:stop", { chatId: {} });
    s.emit("presence:update", { status: "sleeping" });
    s.emit("presence:update", 12);
    s.emit("chat:join");
    const noPayload = await emitWithAck(s, "chat:leave");
    assert.equal(noPayload?.success, false, "chat:leave without a payload");
    await barrier(s);
    assert.ok(s.connected, "the socket is still connected");
    s.disconnect();
  });

  test("a visitor's malformed payloads do not close its socket either", async () => {
    const s = await hub.visitorSocket(await hub.visitor());
    for (const payload of ["garbage", {}, { chatId: 1 }]) {
      const ack = await emitWithAck(s, "chat:join", payload);
      assert.equal(ack.success, false);
      assert.equal(typeof ack.message, "string");
    }
    const ack = await emitWithAck(s, "chat:read", { nope: true });
    assert.equal(ack.success, false);
    await barrier(s);
    assert.ok(s.connected);
    s.disconnect();
  });
});

describe("typing", () => {
  test("typing:start / typing:stop reach the other members of the chat room as {userId, chatId}", async () => {
    const { visitor, chatId } = await hub.visitorWithChat();
    const a1 = await hub.agent1();
    const agentA = await hub.agentSocket(a1);
    const agentB = await hub.agentSocket(await hub.agent2());
    const outsider = await hub.agentSocket(a1);
    const v = await hub.visitorSocket(visitor);
    for (const s of [agentA, agentB, v]) {
      assert.equal((await emitWithAck(s, "chat:join", { chatId })).success, true);
    }
    const fromV = mark(v);
    const fromOut = mark(outsider);

    v.emit("typing:start", { chatId });
    const [ta, tb] = await Promise.all([
      waitFor(agentA, "user:typing", (e) => e.chatId === chatId),
      waitFor(agentB, "user:typing", (e) => e.chatId === chatId),
    ]);
    assert.deepEqual(ta, { userId: visitor.visitorId, chatId });
    assert.deepEqual(tb, { userId: visitor.visitorId, chatId });

    v.emit("typing:stop", { chatId });
    const sa = await waitFor(agentA, "user:stop-typing", (e) => e.chatId === chatId);
    assert.deepEqual(sa, { userId: visitor.visitorId, chatId });

    agentA.emit("typing:start", { chatId });
    const tv = await waitFor(v, "user:typing", (e) => e.chatId === chatId, undefined, fromV);
    assert.deepEqual(tv, { userId: a1.id, chatId });
    agentA.emit("typing:stop", { chatId });
    const sv = await waitFor(v, "user:stop-typing", (e) => e.chatId === chatId, undefined, fromV);
    assert.deepEqual(sv, { userId: a1.id, chatId });
    await waitFor(agentB, "user:stop-typing", (e) => e.userId === a1.id);

    await barrier(v);
    await barrier(outsider);
    assertNotSeen(v, "user:typing", (e) => e.userId === visitor.visitorId, fromV, "the typist itself");
    assertNotSeen(v, "user:stop-typing", (e) => e.userId === visitor.visitorId, fromV, "the typist itself");
    assertNotSeen(outsider, "user:typing", (e) => e.chatId === chatId, fromOut, "a socket not in the room");
    assertNotSeen(outsider, "user:stop-typing", (e) => e.chatId === chatId, fromOut, "a socket not in the room");
    // Exactly once per socket (the agents are also in the commercial room and `agents`).
    await barrier(agentB);
    assert.equal(seen(agentB, "user:typing", (e) => e.chatId === chatId && e.userId === visitor.visitorId).length, 1);
    for (const s of [agentA, agentB, outsider, v]) s.disconnect();
  });
});

describe("chat:read", () => {
  test("acks {success: true} and tells the room {chatId, readerId, messageId, readAt}, once per socket", async () => {
    const { visitor, chatId } = await hub.visitorWithChat();
    const a1 = await hub.agent1();
    const agent = await hub.agentSocket(a1);
    const v = await hub.visitorSocket(visitor);
    await emitWithAck(agent, "chat:join", { chatId });
    await emitWithAck(v, "chat:join", { chatId });
    const fromAgent = mark(agent);
    const fromV = mark(v);
    const fromVisitor = await hub.say(visitor, chatId, "question");
    const reply = await hub.say(a1, chatId, "answer");

    const ack = await emitWithAck(v, "chat:read", { chatId, messageId: reply.messageId });
    assert.deepEqual(ack, { success: true });
    const ev = await waitFor(agent, "chat:read", (e) => e.readerId === visitor.visitorId, undefined, fromAgent);
    assert.deepEqual(Object.keys(ev).sort(), ["chatId", "messageId", "readAt", "readerId"]);
    assert.equal(ev.chatId, chatId);
    assert.equal(ev.messageId, reply.messageId);
    assert.match(ev.readAt, ISO_MS);

    assert.deepEqual(await emitWithAck(agent, "chat:read", { chatId, messageId: fromVisitor.messageId }), {
      success: true,
    });
    const evV = await waitFor(v, "chat:read", (e) => e.readerId === a1.id, undefined, fromV);
    assert.deepEqual(
      { chatId: evV.chatId, readerId: evV.readerId, messageId: evV.messageId },
      { chatId, readerId: a1.id, messageId: fromVisitor.messageId },
    );
    assert.match(evV.readAt, ISO_MS);

    await barrier(agent);
    assert.equal(
      seen(agent, "chat:read", (e) => e.readerId === visitor.visitorId, fromAgent).length,
      1,
      "an agent in the chat, commercial and agents rooms gets chat:read once",
    );
    agent.disconnect();
    v.disconnect();
  });

  test("reading a message of another chat, an unknown chat or another visitor's chat fails", async () => {
    const a = await hub.visitorWithChat();
    const b = await hub.visitorWithChat();
    const ma = await hub.say(a.visitor, a.chatId, "in A");
    const mb = await hub.say(b.visitor, b.chatId, "in B");
    const s = await hub.visitorSocket(a.visitor);
    const cases = [
      { chatId: a.chatId, messageId: mb.messageId },
      { chatId: UNKNOWN_ID, messageId: ma.messageId },
      { chatId: b.chatId, messageId: mb.messageId },
      { chatId: a.chatId, messageId: UNKNOWN_ID },
    ];
    for (const payload of cases) {
      const ack = await emitWithAck(s, "chat:read", payload);
      assert.equal(ack.success, false, JSON.stringify(payload));
      assert.equal(typeof ack.message, "string");
    }
    s.disconnect();
  });

  test("a visitor cannot mark an internal note read, and never hears of one being read", async () => {
    const { visitor, chatId } = await hub.visitorWithChat();
    const a1 = await hub.agent1();
    const v = await hub.visitorSocket(visitor);
    const agent = await hub.agentSocket(a1);
    await emitWithAck(v, "chat:join", { chatId });
    await emitWithAck(agent, "chat:join", { chatId });
    const note = await hub.say(a1, chatId, "internal", { isInternal: true });
    const ack = await emitWithAck(v, "chat:read", { chatId, messageId: note.messageId });
    assert.equal(ack.success, false, "a visitor may not see the note, so it cannot read it");

    const from = mark(v);
    assert.deepEqual(await emitWithAck(agent, "chat:read", { chatId, messageId: note.messageId }), {
      success: true,
    });
    await waitFor(agent, "chat:read", (e) => e.messageId === note.messageId);
    await barrier(v);
    assertNotSeen(v, "chat:read", (e) => e.messageId === note.messageId, from, "read marker on an internal note");
    v.disconnect();
    agent.disconnect();
  });
});
