// PROTOCOL.md "Version 2.1" (with notes/v21-decisions.md): read sync (an
// agent's own `myReadMarker`, and its effect on that agent's `updatedAt` and
// `updatedSince`) and internal typing (`typing:start` / `typing:stop` with
// `internal: true`, to the commercial room only).

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
  assertSummary,
  pastMillisecond,
  shiftIso,
  ms,
} from "./hub.mjs";

let hub;
let a1;
let a2;
before(async () => {
  hub = await startHub();
  a1 = await hub.agent1();
  a2 = await hub.agent2();
});
after(() => hub?.stop());

async function join(socket, chatId) {
  const ack = await emitWithAck(socket, "chat:join", { chatId });
  assert.equal(ack?.success, true, `chat:join: ${JSON.stringify(ack)}`);
}

/** `chat:read` on `socket`; resolves with the room's `chat:read` event for that reader (the server's readAt). */
async function read(socket, reader, chatId, messageId) {
  const from = mark(socket);
  const ack = await emitWithAck(socket, "chat:read", { chatId, messageId });
  assert.equal(ack?.success, true, `chat:read: ${JSON.stringify(ack)}`);
  return waitFor(
    socket,
    "chat:read",
    (e) => e.chatId === chatId && e.readerId === reader.id && e.messageId === messageId,
    undefined,
    from,
  );
}

async function chatIds(who, query) {
  const res = await hub.chats(who, query);
  assert.equal(res.status, 200, res.text);
  return res.body.chats.map((c) => c.chatId);
}

function assertOk(res, what) {
  assert.ok([200, 201].includes(res.status), `${what}: ${res.status} ${res.text}`);
  return res.body;
}

describe("read sync", () => {
  test("a read moves only the reader's myReadMarker and its own updatedAt: updatedSince finds the chat for agent 1, not agent 2", async () => {
    const x = await hub.visitorWithChat("Read Rita");
    const vm = await hub.say(x.visitor, x.chatId, "is my order on its way?");
    const y = await hub.visitorWithChat("Later Luis"); // a newer chat
    const shared = (await hub.summaryOf(a2, x.chatId)).updatedAt; // the chat's last change
    const mine = await hub.summaryOf(a1, x.chatId);
    assert.equal(mine.myReadMarker ?? null, null, "no marker before a read");
    assert.equal(mine.updatedAt, shared);
    const yUpdated = (await hub.summaryOf(a1, y.chatId)).updatedAt;
    assert.ok(ms(yUpdated) >= ms(shared));
    await pastMillisecond(yUpdated); // so the read comes later than every change so far

    const s1 = await hub.agentSocket(a1);
    await join(s1, x.chatId);
    const ev = await read(s1, a1, x.chatId, vm.messageId);
    assert.ok(ms(ev.readAt) > ms(yUpdated), "the server read after the last change");

    const after1 = await hub.summaryOf(a1, x.chatId);
    assertSummary(after1);
    assert.deepEqual(after1.myReadMarker, { messageId: vm.messageId, readAt: ev.readAt }, "agent 1's own marker");
    assert.equal(after1.updatedAt, ev.readAt, "agent 1's updatedAt is the later of the chat's and its marker's");
    const after2 = await hub.summaryOf(a2, x.chatId);
    assert.equal(after2.myReadMarker ?? null, null, "agent 2 has no marker");
    assert.equal(after2.updatedAt, shared, "agent 2 sees no change");

    const since = shiftIso(shared, 1); // after the chat's last change, not after the read
    assert.ok(ms(since) <= ms(ev.readAt));
    assert.ok((await chatIds(a1, { updatedSince: since })).includes(x.chatId), "agent 1's updatedSince finds it");
    assert.ok(!(await chatIds(a2, { updatedSince: since })).includes(x.chatId), "agent 2's does not");
    assert.ok((await chatIds(a1, { updatedSince: ev.readAt })).includes(x.chatId), "inclusive at readAt");
    assert.ok(!(await chatIds(a1, { updatedSince: shiftIso(ev.readAt, 1) })).includes(x.chatId));

    const list1 = await chatIds(a1);
    const list2 = await chatIds(a2);
    assert.ok(list1.indexOf(x.chatId) < list1.indexOf(y.chatId), "agent 1's order uses its own updatedAt");
    assert.ok(list2.indexOf(y.chatId) < list2.indexOf(x.chatId), "agent 2's order does not move");

    // Agent 2 reads too: its own marker; agent 1's stays its own.
    const s2 = await hub.agentSocket(a2);
    await join(s2, x.chatId);
    await pastMillisecond(ev.readAt);
    const ev2 = await read(s2, a2, x.chatId, vm.messageId);
    assert.deepEqual((await hub.summaryOf(a2, x.chatId)).myReadMarker, { messageId: vm.messageId, readAt: ev2.readAt });
    assert.deepEqual((await hub.summaryOf(a1, x.chatId)).myReadMarker, { messageId: vm.messageId, readAt: ev.readAt });

    // A later message, read later: the marker moves again.
    const vm2 = await hub.say(x.visitor, x.chatId, "hello?");
    await pastMillisecond(vm2.sentAt);
    const ev3 = await read(s1, a1, x.chatId, vm2.messageId);
    const moved = await hub.summaryOf(a1, x.chatId);
    assert.deepEqual(moved.myReadMarker, { messageId: vm2.messageId, readAt: ev3.readAt });
    assert.equal(moved.updatedAt, ev3.readAt);
    assert.ok((await chatIds(a1, { updatedSince: shiftIso(ev.readAt, 1) })).includes(x.chatId));
    s1.disconnect();
    s2.disconnect();
  });

  test("answers to one agent (accept, tags, transfer, close, reopen) carry that agent's marker; chat:new and chat:updated carry none", async () => {
    const s1 = await hub.agentSocket(a1);
    const s2 = await hub.agentSocket(a2);
    const [m1, m2] = [s1, s2].map(mark);
    const { visitor, chatId } = await hub.visitorWithChat();
    for (const [s, from] of [[s1, m1], [s2, m2]]) {
      const created = await waitFor(s, "chat:new", (c) => c.chatId === chatId, undefined, from);
      assert.ok(!("myReadMarker" in created), "chat:new");
    }
    const vm = await hub.say(visitor, chatId, "hi");
    await join(s1, chatId);
    const ev = await read(s1, a1, chatId, vm.messageId);
    const marker = { messageId: vm.messageId, readAt: ev.readAt };

    const mine = (what, body) => assert.deepEqual(body.myReadMarker, marker, `agent 1's ${what} answer`);
    const none = (what, body) => assert.equal(body.myReadMarker ?? null, null, `agent 2's ${what} answer`);
    mine("accept", assertOk(await hub.post(`/v2/chats/${chatId}/accept`, undefined, { auth: a1 }), "accept"));
    mine("tags", assertOk(await hub.put(`/v2/chats/${chatId}/tags`, { tags: ["a"] }, { auth: a1 }), "tags"));
    none("tags", assertOk(await hub.put(`/v2/chats/${chatId}/tags`, { tags: ["b"] }, { auth: a2 }), "tags"));
    mine("transfer", assertOk(await hub.post(`/v2/chats/${chatId}/transfer`, { toAgentId: a2.id }, { auth: a1 }), "transfer"));
    none("close", assertOk(await hub.post(`/v2/chats/${chatId}/close`, undefined, { auth: a2 }), "close"));
    mine("reopen", assertOk(await hub.post(`/v2/chats/${chatId}/reopen`, undefined, { auth: a1 }), "reopen"));
    mine("close", assertOk(await hub.post(`/v2/chats/${chatId}/close`, undefined, { auth: a1 }), "close"));

    for (const [s, from] of [[s1, m1], [s2, m2]]) {
      await waitFor(s, "chat:updated", (c) => c.chatId === chatId && c.status === "CLOSED" && c.assigneeId === a1.id, undefined, from);
      await barrier(s);
      const updates = seen(s, "chat:updated", (c) => c.chatId === chatId, from);
      assert.ok(updates.length >= 7, `one per change: ${updates.length}`);
      for (const u of updates) assert.ok(!("myReadMarker" in u), `chat:updated carries no myReadMarker: ${JSON.stringify(u)}`);
      assert.equal(updates.at(-1).updatedAt, (await hub.summaryOf(a2, chatId)).updatedAt, "the shared updatedAt");
    }
    s1.disconnect();
    s2.disconnect();
  });
});

describe("internal typing", () => {
  async function room() {
    const { visitor, chatId } = await hub.visitorWithChat();
    const v = await hub.visitorSocket(visitor);
    const s1 = await hub.agentSocket(a1);
    const s2 = await hub.agentSocket(a2);
    const outside = await hub.agentSocket(a2); // in `agents`, not in the chat
    for (const s of [v, s1, s2]) await join(s, chatId);
    return { visitor, chatId, v, s1, s2, outside };
  }

  test("{chatId, internal: true} reaches the joined agents as user:typing / user:stop-typing with internal: true, never the visitor", async () => {
    const { chatId, v, s1, s2, outside } = await room();
    const [mv, m1, m2, mo] = [v, s1, s2, outside].map(mark);

    s1.emit("typing:start", { chatId, internal: true });
    const t = await waitFor(s2, "user:typing", (e) => e.chatId === chatId, undefined, m2);
    assert.deepEqual(t, { userId: a1.id, chatId, internal: true });
    // A plain typing after it: it reaches the visitor, which proves the internal one did not.
    s1.emit("typing:start", { chatId });
    const plain = await waitFor(v, "user:typing", (e) => e.chatId === chatId, undefined, mv);
    assert.deepEqual(plain, { userId: a1.id, chatId }, "plain typing is unchanged");
    assert.deepEqual(seen(v, "user:typing", () => true, mv), [plain], "the visitor got the plain one only");
    await waitFor(s2, "user:typing", (e) => e.chatId === chatId && !e.internal, undefined, m2);
    assert.deepEqual(
      seen(s2, "user:typing", (e) => e.chatId === chatId, m2),
      [{ userId: a1.id, chatId, internal: true }, { userId: a1.id, chatId }],
      "agent 2 got both, in order",
    );

    s1.emit("typing:stop", { chatId, internal: true });
    const st = await waitFor(s2, "user:stop-typing", (e) => e.chatId === chatId, undefined, m2);
    assert.deepEqual(st, { userId: a1.id, chatId, internal: true });
    s1.emit("typing:stop", { chatId });
    const plainStop = await waitFor(v, "user:stop-typing", (e) => e.chatId === chatId, undefined, mv);
    assert.deepEqual(plainStop, { userId: a1.id, chatId });
    assert.deepEqual(seen(v, "user:stop-typing", () => true, mv), [plainStop], "the visitor got the plain stop only");
    await waitFor(s2, "user:stop-typing", (e) => e.chatId === chatId && !e.internal, undefined, m2);

    await barrier(s1);
    await barrier(outside);
    assertNotSeen(s1, "user:typing", () => true, m1, "the typist itself");
    assertNotSeen(s1, "user:stop-typing", () => true, m1, "the typist itself");
    assertNotSeen(outside, "user:typing", () => true, mo, "a socket not in the chat");
    assertNotSeen(outside, "user:stop-typing", () => true, mo, "a socket not in the chat");
    for (const s of [v, s1, s2, outside]) s.disconnect();
  });

  test("a visitor's internal: true reaches nobody", async () => {
    const { visitor, chatId, v, s1, s2, outside } = await room();
    const [m1, m2] = [s1, s2].map(mark);
    v.emit("typing:start", { chatId, internal: true });
    v.emit("typing:stop", { chatId, internal: true });
    v.emit("typing:start", { chatId }); // the later event that does arrive
    for (const [s, from] of [[s1, m1], [s2, m2]]) {
      const plain = await waitFor(s, "user:typing", (e) => e.chatId === chatId, undefined, from);
      assert.deepEqual(plain, { userId: visitor.visitorId, chatId });
      assert.deepEqual(seen(s, "user:typing", () => true, from), [plain], "only the plain typing");
      assertNotSeen(s, "user:stop-typing", () => true, from, "the internal stop was dropped");
    }
    for (const s of [v, s1, s2, outside]) s.disconnect();
  });

  test("an agent socket that has not joined the chat sends nothing with internal: true", async () => {
    const { chatId, v, s1, s2, outside } = await room();
    const m1 = mark(s1);
    outside.emit("typing:start", { chatId, internal: true });
    await join(outside, chatId);
    outside.emit("typing:start", { chatId }); // joined now: this one arrives
    const plain = await waitFor(s1, "user:typing", (e) => e.chatId === chatId, undefined, m1);
    assert.deepEqual(plain, { userId: a2.id, chatId });
    assert.deepEqual(seen(s1, "user:typing", () => true, m1), [plain], "the internal one before the join was dropped");
    for (const s of [v, s1, s2, outside]) s.disconnect();
  });
});
