// PROTOCOL.md's rules that every server must keep (the end of "Version
// 2.1", which hold for v2 too): one socket's events are handled in the
// order they arrive; a payload of the wrong shape gets a failed ack and the
// socket stays up; a visitor's cookie on an agent route is 403.

import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import { startHub, emitWithAck, barrier, assertError, UNKNOWN_ID } from "./hub.mjs";

describe("rules", () => {
  let hub;
  let a1;
  before(async () => {
    hub = await startHub();
    a1 = await hub.agent1();
  });
  after(() => hub?.stop());

  test("one socket's events are handled in the order they arrive: 200 presence updates end in the last one", async () => {
    const s = await hub.agentSocket(a1);
    const acks = [];
    let last;
    for (let i = 0; i < 200; i++) {
      last = i % 2 === 0 ? "away" : "online";
      acks.push(s.timeout(10_000).emitWithAck("presence:update", { status: last }));
    }
    // A last one that differs from both, so a stale "online" cannot pass.
    last = "busy";
    acks.push(s.timeout(10_000).emitWithAck("presence:update", { status: last }));
    for (const ack of await Promise.all(acks)) assert.equal(ack.success, true);
    await barrier(s);
    const res = await hub.get("/v2/agents", { auth: a1 });
    const me = res.body.agents.find((a) => a.id === a1.id);
    assert.equal(me.status, last, "the state of the last update, not of one that overtook it");
    s.disconnect();
  });

  test("a chat:join at once followed by a chat:read on the same socket succeeds", async () => {
    for (let round = 0; round < 20; round++) {
      const { visitor, chatId } = await hub.visitorWithChat();
      const m = await hub.say(visitor, chatId, `hola ${round}`);
      const s = await hub.agentSocket(a1);
      const join = s.timeout(10_000).emitWithAck("chat:join", { chatId });
      const read = s.timeout(10_000).emitWithAck("chat:read", { chatId, messageId: m.messageId });
      const [joined, marked] = await Promise.all([join, read]);
      assert.equal(joined.success, true, `join (round ${round})`);
      assert.equal(marked.success, true, `the read after the join (round ${round}): ${JSON.stringify(marked)}`);
      s.disconnect();
    }
  });

  test("a payload of the wrong shape gets a failed ack and the socket stays up", async () => {
    const { chatId } = await hub.visitorWithChat();
    const s = await hub.agentSocket(a1);
    for (const [event, payload] of [
      ["chat:join", [{ chatId }]],
      ["chat:leave", [{ chatId }]],
      ["chat:read", [{ chatId, messageId: UNKNOWN_ID }]],
      ["presence:update", [{ status: "away" }]],
      ["notification:read", [{ notificationId: UNKNOWN_ID }]],
    ]) {
      const ack = await emitWithAck(s, event, payload);
      assert.equal(ack?.success, false, `${event} with an array: ${JSON.stringify(ack)}`);
      assert.equal(typeof ack.message, "string");
      assert.ok(s.connected, `still connected after ${event} with an array`);
    }
    const ok = await emitWithAck(s, "chat:join", { chatId });
    assert.equal(ok.success, true, "the right shape still works");
    s.disconnect();
  });

  test("a visitor's cookie on an agent route is 403", async () => {
    const { visitor, chatId } = await hub.visitorWithChat();
    for (const [method, path] of [
      ["GET", "/v2/chats"],
      ["GET", "/v2/agents"],
      ["GET", "/v2/notifications"],
      ["GET", "/v2/stats"],
      ["POST", `/v2/chats/${chatId}/accept`],
      ["POST", `/v2/chats/${chatId}/close`],
    ]) {
      assertError(await hub.request(method, path, { auth: visitor }), 403, `${method} ${path} with a visitor's cookie`);
    }
    // Still pending: the refused accept changed nothing.
    const res = await hub.get(`/v2/chats?status=PENDING`, { auth: a1 });
    assert.ok(res.body.chats.some((c) => c.chatId === chatId), "the chat still waits");
  });
});
