// PROTOCOL.md "Version 2.1" automatic assignment (with
// notes/v21-decisions.md): PUT /v2/agents/me {maxChats}, maxChats and
// openChats in GET /v2/agents, who gets a new chat (online, room left,
// fewest open chats, then the oldest last assignment, then the smaller id),
// and the queue draining when an agent gains room. The hub has exactly two
// agents, so every test starts a hub of its own: assignment state (maxChats,
// last assignments, the queue) never leaks from one test into the next.

import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { startHub, waitFor, barrier, mark, assertError, assertSummary, until } from "./hub.mjs";

/** A fresh hub with both agents logged in; stopped when the test ends. */
async function fresh(t) {
  const hub = await startHub();
  t.after(() => hub.stop());
  return { hub, a1: await hub.agent1(), a2: await hub.agent2() };
}

const putMax = (hub, who, maxChats) => hub.put("/v2/agents/me", { maxChats }, { auth: who });

async function setMax(hub, who, maxChats) {
  const res = await putMax(hub, who, maxChats);
  assert.equal(res.status, 200, `PUT /v2/agents/me ${maxChats}: ${res.text}`);
  return res.body;
}

async function agents(hub, who) {
  const res = await hub.get("/v2/agents", { auth: who });
  assert.equal(res.status, 200, res.text);
  return res.body.agents;
}

async function entryOf(hub, who, agentId) {
  const e = (await agents(hub, who)).find((a) => a.id === agentId);
  assert.ok(e, `agent ${agentId} is listed`);
  return e;
}

/** The chat as agent `who` lists it. */
async function stateOf(hub, who, chatId) {
  const s = await hub.summaryOf(who, chatId);
  assert.ok(s, "listed");
  return { status: s.status, assigneeId: s.assigneeId ?? null };
}

/** Waits on `socket` (an agent's, so in `agents`) for the chat:status that gives `chatId` to `agentId`. */
function assignedTo(socket, chatId, agentId, since) {
  return waitFor(
    socket,
    "chat:status",
    (e) => e.chatId === chatId && e.status === "IN_PROGRESS" && e.assigneeId === agentId,
    undefined,
    since,
  );
}

/** Sets a presence on an agent's socket and waits until GET /v2/agents shows it. */
async function presence(hub, socket, who, status) {
  socket.emit("presence:update", { status });
  await barrier(socket);
  await until(async () => (await entryOf(hub, who, who.id)).status === status, { what: `presence ${status}` });
}

const accept = async (hub, chatId, who) => {
  const res = await hub.post(`/v2/chats/${chatId}/accept`, undefined, { auth: who });
  assert.ok([200, 201].includes(res.status), `accept: ${res.text}`);
};
const close = async (hub, chatId, who) => {
  const res = await hub.post(`/v2/chats/${chatId}/close`, undefined, { auth: who });
  assert.ok([200, 201].includes(res.status), `close: ${res.text}`);
};

function assertPending(chat, what) {
  assert.equal(chat.status, "PENDING", `${what}: ${JSON.stringify(chat)}`);
  assert.equal(chat.assigneeId ?? null, null, `${what}: no assignee`);
}

function assertAssigned(chat, agentId, what) {
  assertSummary(chat);
  assert.equal(chat.status, "IN_PROGRESS", `${what}: ${JSON.stringify(chat)}`);
  assert.equal(chat.assigneeId, agentId, `${what}: assignee`);
}

describe("assignment settings", () => {
  test("GET /v2/agents lists both agents, never connected ones as offline, with maxChats 0 and openChats 0", async (t) => {
    const { hub, a1, a2 } = await fresh(t);
    const list = await agents(hub, a1);
    assert.deepEqual(list.map((a) => a.id).sort(), [a1.id, a2.id].sort());
    for (const a of list) {
      assert.equal(a.status, "offline", "nobody has connected");
      assert.equal(a.maxChats, 0, "maxChats starts at 0");
      assert.equal(a.openChats, 0);
      assert.equal(typeof a.name, "string");
    }
  });

  test("PUT /v2/agents/me {maxChats}: 200 {id, name, status, maxChats, openChats}; 0–100 only, integers only; errors change nothing", async (t) => {
    const { hub, a1, a2 } = await fresh(t);
    const me = await setMax(hub, a1, 3);
    assert.deepEqual(
      { id: me.id, name: me.name, status: me.status, maxChats: me.maxChats, openChats: me.openChats },
      { id: a1.id, name: a1.agent.name, status: "offline", maxChats: 3, openChats: 0 },
    );
    assert.equal((await entryOf(hub, a2, a1.id)).maxChats, 3, "others see it");
    assert.equal((await entryOf(hub, a2, a2.id)).maxChats, 0, "only the caller's changed");
    assert.equal((await setMax(hub, a1, 100)).maxChats, 100);
    assert.equal((await setMax(hub, a1, 0)).maxChats, 0);
    assert.equal((await setMax(hub, a1, 3)).maxChats, 3);

    for (const [what, body] of [
      ["101", { maxChats: 101 }],
      ["-1", { maxChats: -1 }],
      ["1.5", { maxChats: 1.5 }],
      ['"3"', { maxChats: "3" }],
      ["null", { maxChats: null }],
      ["true", { maxChats: true }],
      ["no maxChats", {}],
    ]) {
      assertError(await hub.put("/v2/agents/me", body, { auth: a1 }), 400, `maxChats ${what}`);
      assert.equal((await entryOf(hub, a1, a1.id)).maxChats, 3, `unchanged after ${what}`);
    }
    const visitor = await hub.visitor();
    assertError(await putMax(hub, visitor, 2), 403, "a visitor's cookie");
    assertError(await hub.put("/v2/agents/me", { maxChats: 2 }), 401, "no auth");
    assert.equal((await entryOf(hub, a1, a1.id)).maxChats, 3);
  });

  test("openChats counts the IN_PROGRESS chats an agent holds", async (t) => {
    const { hub, a1, a2 } = await fresh(t);
    const c1 = await hub.visitorWithChat();
    const c2 = await hub.visitorWithChat();
    await hub.visitorWithChat(); // stays PENDING
    await accept(hub, c1.chatId, a1);
    await accept(hub, c2.chatId, a1);
    assert.equal((await entryOf(hub, a2, a1.id)).openChats, 2);
    await close(hub, c1.chatId, a1);
    assert.equal((await entryOf(hub, a2, a1.id)).openChats, 1, "a closed chat is not open");
    assert.equal((await setMax(hub, a1, 0)).openChats, 1, "in the PUT answer too");
    assert.equal((await entryOf(hub, a1, a2.id)).openChats, 0);
  });
});

describe("automatic assignment", () => {
  test("an online agent with room gets a new chat at once (IN_PROGRESS in the POST answer and chat:new); a full one gets none; the queue drains on a close, a higher maxChats, a transfer away", async (t) => {
    const { hub, a1, a2 } = await fresh(t);
    const s1 = await hub.agentSocket(a1);
    const s2 = await hub.agentSocket(a2); // online, maxChats 0: never a candidate
    assert.equal((await setMax(hub, a1, 2)).status, "online");

    const from2 = mark(s2);
    const c1 = await hub.visitorWithChat();
    assertAssigned(c1.chat, a1.id, "the visitor's POST /v2/chats answer");
    const announced = await waitFor(s2, "chat:new", (c) => c.chatId === c1.chatId, undefined, from2);
    assertAssigned(announced, a1.id, "chat:new");
    const sys = (await hub.history(a1, c1.chatId)).body.messages.filter((m) => m.senderType === "system");
    assert.deepEqual(sys.map((m) => m.content), [`${a1.agent.name} joined the chat`], "as if agent 1 accepted it");
    assert.equal((await entryOf(hub, a1, a1.id)).openChats, 1);

    const c2 = await hub.visitorWithChat();
    assertAssigned(c2.chat, a1.id, "the second chat");
    const c3 = await hub.visitorWithChat();
    assertPending(c3.chat, "agent 1 is full (2 of 2)");
    assert.deepEqual(await stateOf(hub, a2, c3.chatId), { status: "PENDING", assigneeId: null });

    // A close frees a place: the waiting chat goes to agent 1.
    let from = mark(s2);
    await close(hub, c1.chatId, a1);
    await assignedTo(s2, c3.chatId, a1.id, from);
    const up = await waitFor(s2, "chat:updated", (c) => c.chatId === c3.chatId && c.assigneeId === a1.id, undefined, from);
    assert.equal(up.status, "IN_PROGRESS");
    assert.deepEqual(await stateOf(hub, a2, c3.chatId), { status: "IN_PROGRESS", assigneeId: a1.id });

    // Full again; a higher maxChats drains the queue.
    const c4 = await hub.visitorWithChat();
    assertPending(c4.chat, "full again (c2, c3)");
    from = mark(s2);
    await setMax(hub, a1, 3);
    await assignedTo(s2, c4.chatId, a1.id, from);

    // Full again; a transfer away drains it.
    const c5 = await hub.visitorWithChat();
    assertPending(c5.chat, "full again (c2, c3, c4)");
    from = mark(s2);
    const moved = await hub.post(`/v2/chats/${c2.chatId}/transfer`, { toAgentId: a2.id }, { auth: a1 });
    assert.equal(moved.status, 200, moved.text);
    await assignedTo(s2, c5.chatId, a1.id, from);

    assert.equal((await entryOf(hub, a2, a1.id)).openChats, 3, "c3, c4, c5");
    assert.equal((await entryOf(hub, a1, a2.id)).openChats, 1, "c2, by transfer only");
  });

  test("fewer open chats wins over a longer wait; a tie goes to the agent whose last assignment is oldest", async (t) => {
    const { hub, a1, a2 } = await fresh(t);
    await hub.agentSocket(a1);
    await hub.agentSocket(a2);
    const [x1, x2, x3] = [await hub.visitorWithChat(), await hub.visitorWithChat(), await hub.visitorWithChat()];
    await accept(hub, x1.chatId, a1); // agent 1: 1 open, last assigned first
    await accept(hub, x2.chatId, a2);
    await accept(hub, x3.chatId, a2); // agent 2: last assigned later
    await close(hub, x2.chatId, a2);
    await close(hub, x3.chatId, a2); // agent 2: 0 open
    await setMax(hub, a1, 5);
    await setMax(hub, a2, 5);

    const y = await hub.visitorWithChat();
    assertAssigned(y.chat, a2.id, "0 open chats beats 1, though agent 1 waited longer");
    const z = await hub.visitorWithChat();
    assertAssigned(z.chat, a1.id, "1–1: agent 1's last assignment (x1) is older than agent 2's (y)");
    const w = await hub.visitorWithChat();
    assertAssigned(w.chat, a2.id, "2–2: agent 2's last assignment (y) is older than agent 1's (z)");
    const list = await agents(hub, a1);
    assert.deepEqual(list.map((a) => [a.id, a.openChats]).sort(), [[a1.id, 2], [a2.id, 2]].sort());
  });

  test("between two agents never assigned, the smaller id; then fewest open; then the oldest assignment", async (t) => {
    const { hub, a1, a2 } = await fresh(t);
    const [small, big] = [a1, a2].sort((p, q) => (p.id < q.id ? -1 : 1));
    await hub.agentSocket(a1);
    await hub.agentSocket(a2);
    await setMax(hub, a1, 5);
    await setMax(hub, a2, 5);
    assertAssigned((await hub.visitorWithChat()).chat, small.id, "never assigned, both: the smaller id");
    assertAssigned((await hub.visitorWithChat()).chat, big.id, "fewer open chats");
    assertAssigned((await hub.visitorWithChat()).chat, small.id, "1–1: the smaller-id agent's assignment is older");
  });

  test("an agent never assigned counts as the oldest, before a smaller id that was assigned once", async (t) => {
    const { hub, a1, a2 } = await fresh(t);
    const [small, big] = [a1, a2].sort((p, q) => (p.id < q.id ? -1 : 1));
    await hub.agentSocket(a1);
    await hub.agentSocket(a2);
    const first = await hub.visitorWithChat();
    await accept(hub, first.chatId, small);
    await close(hub, first.chatId, small); // 0 open, but assigned once
    await setMax(hub, a1, 5);
    await setMax(hub, a2, 5);
    assertAssigned((await hub.visitorWithChat()).chat, big.id, "never assigned beats the smaller id");
  });

  test("away, busy and offline agents get none; the queue drains, oldest first, when an agent connects or comes back online", async (t) => {
    const { hub, a1, a2 } = await fresh(t);
    const s1 = await hub.agentSocket(a1);
    await presence(hub, s1, a1, "away");
    await setMax(hub, a1, 1);
    await setMax(hub, a2, 1); // offline: no socket
    const p1 = await hub.visitorWithChat();
    assertPending(p1.chat, "agent 1 away, agent 2 offline");
    await presence(hub, s1, a1, "busy");
    const p2 = await hub.visitorWithChat();
    assertPending(p2.chat, "agent 1 busy, agent 2 offline");
    assert.deepEqual(await stateOf(hub, a1, p1.chatId), { status: "PENDING", assigneeId: null });

    // Agent 2 connects: it has room for one, and gets the oldest.
    let from = mark(s1);
    const s2 = await hub.agentSocket(a2);
    await assignedTo(s1, p1.chatId, a2.id, from);
    await barrier(s1);
    assert.deepEqual(await stateOf(hub, a1, p2.chatId), { status: "PENDING", assigneeId: null }, "agent 2 is full, agent 1 busy");

    // Agent 1 comes back online: it gets the other one.
    from = mark(s1);
    s1.emit("presence:update", { status: "online" });
    await assignedTo(s1, p2.chatId, a1.id, from);
    assert.deepEqual(await stateOf(hub, a2, p2.chatId), { status: "IN_PROGRESS", assigneeId: a1.id });
    s2.disconnect();
  });

  test("a chat an agent sent back to the queue is never handed back to that agent", async (t) => {
    const { hub, a1, a2 } = await fresh(t);
    const s1 = await hub.agentSocket(a1);
    await setMax(hub, a1, 5);
    const c = await hub.visitorWithChat();
    assertAssigned(c.chat, a1.id, "assigned at once");
    const back = await hub.post(`/v2/chats/${c.chatId}/transfer`, { toAgentId: null }, { auth: a1 });
    assert.equal(back.status, 200, back.text);
    assertPending(back.body, "the transfer answer");
    await setMax(hub, a1, 6); // gains room again: a drain that must skip this chat
    assert.deepEqual(await stateOf(hub, a1, c.chatId), { status: "PENDING", assigneeId: null });
    const d = await hub.visitorWithChat();
    assertAssigned(d.chat, a1.id, "agent 1 still takes other chats");
    assert.deepEqual(await stateOf(hub, a1, c.chatId), { status: "PENDING", assigneeId: null }, "but not that one");

    // Another agent with room takes it.
    await setMax(hub, a2, 5);
    const from = mark(s1);
    await hub.agentSocket(a2);
    await assignedTo(s1, c.chatId, a2.id, from);
  });
});
