// PROTOCOL.md "Version 2.1" (with notes/v21-decisions.md): tags (PUT
// /v2/chats/{id}/tags, GET /v2/tags, GET /v2/chats?tag=), the visitor's
// context (POST /v2/visitors {context}), a visitor's earlier chats (GET
// /v2/visitors/{id}/chats), and that a visitor never sees tags, context or
// read markers.

import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import {
  startHub,
  UNKNOWN_ID,
  waitFor,
  emitWithAck,
  barrier,
  mark,
  assertError,
  assertSummary,
  assertNoKeys,
  pastMillisecond,
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

const putTags = (chatId, tags, who = a1) => hub.put(`/v2/chats/${chatId}/tags`, { tags }, { auth: who });
const putTagsBody = (chatId, body, who = a1) => hub.put(`/v2/chats/${chatId}/tags`, body, { auth: who });
const suffix = () => randomUUID().slice(0, 8);
const HIDDEN = ["tags", "context", "myReadMarker"];

async function tagged(chatId, tags, who = a1) {
  const res = await putTags(chatId, tags, who);
  assert.equal(res.status, 200, `PUT tags ${JSON.stringify(tags)}: ${res.text}`);
  return res.body;
}

async function listTags(who = a1) {
  const res = await hub.get("/v2/tags", { auth: who });
  assert.equal(res.status, 200, res.text);
  assert.ok(Array.isArray(res.body.tags), "tags is an array");
  for (const t of res.body.tags) {
    assert.equal(typeof t.name, "string");
    assert.ok(Number.isInteger(t.count) && t.count > 0, `count of ${t.name}: ${t.count}`);
  }
  return res.body.tags;
}

async function chatsWithTag(tag, extra = {}) {
  const res = await hub.chats(a1, { tag, ...extra });
  assert.equal(res.status, 200, res.text);
  return res.body.chats;
}

describe("tags", () => {
  test("PUT replaces them (trimmed, order kept), GET /v2/chats shows them, [] clears, a closed chat may be tagged", async () => {
    const { chatId } = await hub.visitorWithChat();
    assert.deepEqual((await hub.summaryOf(a1, chatId)).tags, [], "a new chat has no tags");

    const first = await tagged(chatId, [" billing ", "VIP", "Refund\t"]);
    assertSummary(first, { chatId, tags: ["billing", "VIP", "Refund"] });
    for (const who of [a1, a2]) {
      assert.deepEqual((await hub.summaryOf(who, chatId)).tags, ["billing", "VIP", "Refund"], "stored for every agent");
    }
    assert.deepEqual((await tagged(chatId, ["zeta", "alpha"])).tags, ["zeta", "alpha"], "replaced, in the order given");
    assert.deepEqual((await hub.summaryOf(a2, chatId)).tags, ["zeta", "alpha"]);

    const twenty = Array.from({ length: 20 }, (_, i) => `t${i}`);
    assert.deepEqual((await tagged(chatId, twenty)).tags, twenty, "20 tags are allowed");
    const forty = "x".repeat(40);
    assert.deepEqual((await tagged(chatId, [`  ${forty}  `, "a"])).tags, [forty, "a"], "40 characters after trimming");
    assert.deepEqual((await tagged(chatId, [])).tags, [], "[] clears");
    assert.deepEqual((await hub.summaryOf(a1, chatId)).tags, []);

    const closed = await hub.post(`/v2/chats/${chatId}/close`, undefined, { auth: a1 });
    assert.ok([200, 201].includes(closed.status), closed.text);
    assert.deepEqual((await tagged(chatId, ["after-close"])).tags, ["after-close"], "a closed chat may be tagged");
    assert.equal((await hub.summaryOf(a1, chatId)).status, "CLOSED");
  });

  test("invalid requests are 400 (and 403/404/401 as usual); the tags stay as they were", async () => {
    const { visitor, chatId } = await hub.visitorWithChat();
    await tagged(chatId, ["keep", "these"]);
    const before = await hub.summaryOf(a1, chatId);
    const cases = [
      [400, "21 tags", () => putTags(chatId, Array.from({ length: 21 }, (_, i) => `t${i}`))],
      [400, "a 41-character tag", () => putTags(chatId, ["y".repeat(41)])],
      [400, "an empty tag", () => putTags(chatId, ["ok", ""])],
      [400, "a tag of spaces", () => putTags(chatId, ["   "])],
      [400, "VIP and vip", () => putTags(chatId, ["VIP", "vip"])],
      [400, "vip and ' VIP ' (the same after trimming)", () => putTags(chatId, ["vip", " VIP "])],
      [400, "a string instead of an array", () => putTags(chatId, "vip")],
      [400, "an object instead of an array", () => putTags(chatId, { vip: true })],
      [400, "null", () => putTags(chatId, null)],
      [400, "no tags key", () => putTagsBody(chatId, {})],
      [400, "a number in the array", () => putTags(chatId, ["ok", 7])],
      [400, "null in the array", () => putTags(chatId, [null])],
      [400, "a malformed chat id", () => putTags("not-a-chat", ["x"])],
      [404, "an unknown chat", () => putTags(UNKNOWN_ID, ["x"])],
      [403, "the chat's visitor", () => putTags(chatId, ["x"], visitor)],
      [401, "no auth", () => hub.put(`/v2/chats/${chatId}/tags`, { tags: ["x"] })],
    ];
    for (const [status, what, call] of cases) {
      assertError(await call(), status, what);
      assert.deepEqual(await hub.summaryOf(a1, chatId), before, `nothing changed after: ${what}`);
    }
    assert.deepEqual(before.tags, ["keep", "these"]);
  });

  test("GET /v2/tags: counts over all chats, grouped ignoring case, most used first then by name; unused tags leave the list", async () => {
    const x = suffix();
    const names = { alpha: `alpha-${x}`, beta: `beta-${x}`, gamma: `gamma-${x}`, delta: `delta-${x}` };
    const chats = [];
    for (let i = 0; i < 4; i++) chats.push((await hub.visitorWithChat()).chatId);
    await tagged(chats[0], [`Alpha-${x}`, names.beta, names.gamma]);
    await tagged(chats[1], [names.alpha, `BETA-${x}`]);
    await tagged(chats[2], [`ALPHA-${x}`, names.gamma, names.delta]);
    await tagged(chats[3], ["unrelated"]);
    await hub.post(`/v2/chats/${chats[2]}/close`, undefined, { auth: a1 }); // closed chats count too

    const list = await listTags();
    for (let i = 1; i < list.length; i++) {
      assert.ok(list[i - 1].count >= list[i].count, `most used first: ${JSON.stringify(list)}`);
    }
    const lower = list.map((t) => t.name.toLowerCase());
    assert.equal(new Set(lower).size, lower.length, `one entry per tag, ignoring case: ${JSON.stringify(list)}`);
    const entry = (name) => list.find((t) => t.name.toLowerCase() === name);
    assert.equal(entry(names.alpha)?.count, 3, "Alpha/alpha/ALPHA are one tag");
    assert.equal(entry(names.beta)?.count, 2);
    assert.equal(entry(names.gamma)?.count, 2);
    assert.equal(entry(names.delta)?.count, 1);
    const pos = (name) => lower.indexOf(name);
    assert.ok(pos(names.alpha) < pos(names.beta), "3 before 2");
    assert.ok(pos(names.beta) < pos(names.gamma), "a tie goes by name: beta before gamma");
    assert.ok(pos(names.gamma) < pos(names.delta), "2 before 1");
    assert.deepEqual(await listTags(a2), list, "the same for every agent");

    await tagged(chats[2], [`ALPHA-${x}`, names.gamma]); // delta is on no chat now
    const after = await listTags();
    assert.ok(!after.some((t) => t.name.toLowerCase() === names.delta), "a tag on no chat is not listed");
    assert.equal(after.find((t) => t.name.toLowerCase() === names.alpha)?.count, 3);

    const visitor = await hub.visitor();
    assertError(await hub.get("/v2/tags", { auth: visitor }), 403, "GET /v2/tags with a visitor's cookie");
    assertError(await hub.get("/v2/tags"), 401, "GET /v2/tags without auth");
  });

  test("GET /v2/chats?tag= keeps the chats with that tag, ignoring case; it combines with status", async () => {
    const x = suffix();
    const a = (await hub.visitorWithChat()).chatId;
    const b = (await hub.visitorWithChat()).chatId;
    const c = (await hub.visitorWithChat()).chatId;
    const d = (await hub.visitorWithChat()).chatId;
    await tagged(a, [`VIP-${x}`, "other"]);
    await tagged(b, [`vip-${x}`]);
    await tagged(c, [`vip-${x}-not`]);
    void d; // untagged
    for (const q of [`vip-${x}`, `VIP-${x}`, `Vip-${x}`]) {
      const got = await chatsWithTag(q);
      assert.deepEqual(got.map((g) => g.chatId).sort(), [a, b].sort(), `?tag=${q}`);
      for (const g of got) assert.ok(g.tags.some((t) => t.toLowerCase() === `vip-${x}`));
    }
    assert.deepEqual(await chatsWithTag(`none-${x}`), [], "an unknown tag matches nothing");
    const ok = await hub.post(`/v2/chats/${a}/accept`, undefined, { auth: a1 });
    assert.ok([200, 201].includes(ok.status), ok.text);
    assert.deepEqual((await chatsWithTag(`vip-${x}`, { status: "IN_PROGRESS" })).map((g) => g.chatId), [a]);
    assert.deepEqual((await chatsWithTag(`vip-${x}`, { status: "PENDING" })).map((g) => g.chatId), [b]);
  });

  test("a visitor never sees tags, context or read markers: its answers and its socket's events carry none", async () => {
    const context = { page: "https://shop.example/cart", locale: "es-ES" };
    const visitor = await hub.visitor("Private Paula", `paula.${suffix()}@example.com`, { context });
    const opened = await hub.post("/v2/chats", {}, { auth: visitor });
    assert.equal(opened.status, 201, opened.text);
    assertNoKeys(opened.body, HIDDEN, "the visitor's POST /v2/chats answer");
    const chatId = opened.body.chatId;

    const v = await hub.visitorSocket(visitor);
    const s1 = await hub.agentSocket(a1);
    for (const s of [v, s1]) assert.equal((await emitWithAck(s, "chat:join", { chatId })).success, true);
    const fromV = mark(v);
    const vm = await hub.say(visitor, chatId, "hi, a question about my cart");
    assert.equal((await emitWithAck(s1, "chat:read", { chatId, messageId: vm.messageId })).success, true);
    await tagged(chatId, ["vip", "cart"]);
    await hub.post(`/v2/chats/${chatId}/accept`, undefined, { auth: a1 });
    await hub.say(a1, chatId, "Hello Paula");
    await hub.post(`/v2/chats/${chatId}/transfer`, { toAgentId: a2.id }, { auth: a1 });
    await tagged(chatId, ["vip"], a2);
    await hub.say(a2, chatId, "Hi, Sam here");
    // The control: agents do see all three.
    const agentView = await hub.summaryOf(a1, chatId);
    assert.deepEqual(agentView.tags, ["vip"]);
    assert.deepEqual(agentView.visitor.context, context);
    assert.equal(agentView.myReadMarker?.messageId, vm.messageId);

    const own = await hub.send(visitor, { chatId, content: "thanks", type: "text" });
    assert.equal(own.status, 201, own.text);
    assertNoKeys(own.body, HIDDEN, "the visitor's POST /v2/messages answer");
    assertError(await hub.post(`/v2/chats/${chatId}/close`, undefined, { auth: visitor }), 403, "close is an agent route");
    const closed = await hub.post(`/v2/chats/${chatId}/close`, undefined, { auth: a2 });
    assert.ok([200, 201].includes(closed.status), closed.text);
    await waitFor(v, "chat:status", (e) => e.chatId === chatId && e.status === "CLOSED", undefined, fromV);
    await barrier(v);
    assert.ok(v.log.length > fromV, "the visitor did get events");
    assertNoKeys(v.log.map((e) => ({ [e.event]: e.args })), HIDDEN, "the visitor's socket events");
    assert.ok(!v.log.some((e) => e.event === "chat:updated"), "no chat:updated for a visitor");
    const h = await hub.history(visitor, chatId);
    assert.equal(h.status, 200, h.text);
    assertNoKeys(h.body, HIDDEN, "the visitor's history");
    v.disconnect();
    s1.disconnect();
  });
});

describe("visitor context", () => {
  test("POST /v2/visitors {context}: agents see visitor.context in chat:new, GET /v2/chats and accept", async () => {
    const context = {
      page: "https://shop.example/p/".padEnd(2_000, "a"),
      referrer: "https://search.example/?q=shoes",
      userAgent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0",
      locale: "es-ES",
      timezone: "Europe/Madrid",
    };
    assert.equal(context.page.length, 2_000);
    const s2 = await hub.agentSocket(a2);
    const from = mark(s2);
    const visitor = await hub.visitor("Context Carla", undefined, { context });
    const chat = await hub.openChat(visitor);
    const ev = await waitFor(s2, "chat:new", (c) => c.chatId === chat.chatId, undefined, from);
    assert.deepEqual(ev.visitor.context, context, "chat:new");
    for (const who of [a1, a2]) {
      assert.deepEqual((await hub.summaryOf(who, chat.chatId)).visitor.context, context, "GET /v2/chats");
    }
    const accepted = await hub.post(`/v2/chats/${chat.chatId}/accept`, undefined, { auth: a1 });
    assert.deepEqual(accepted.body.visitor.context, context, "the accept answer");
    s2.disconnect();
  });

  test("empty strings are dropped, unknown keys ignored; without context the visitor has none", async () => {
    const v1 = await hub.visitor("Some Context", undefined, { context: { page: "", locale: "fr-FR", shoeSize: "42" } });
    const c1 = await hub.openChat(v1);
    assert.deepEqual((await hub.summaryOf(a1, c1.chatId)).visitor.context, { locale: "fr-FR" });
    const v2 = await hub.visitor("No Context");
    const c2 = await hub.openChat(v2);
    const s = await hub.summaryOf(a1, c2.chatId);
    assert.ok(!("context" in s.visitor), `no context key: ${JSON.stringify(s.visitor)}`);
  });

  test("a value over 2,000 characters, a non-string value or a non-object context is 400 (no visitor, no cookie)", async () => {
    for (const [what, context] of [
      ["a 2,001-character page", { page: "p".repeat(2_001) }],
      ["a 2,001-character referrer", { referrer: "r".repeat(2_001) }],
      ["a 2,001-character timezone", { timezone: "t".repeat(2_001) }],
      ["a number as page", { page: 5 }],
      ["an object as locale", { locale: { lang: "es" } }],
      ["a string as context", "https://shop.example/"],
      ["a number as context", 12],
    ]) {
      const res = await hub.post("/v2/visitors", { name: "Bad Context", context });
      assertError(res, 400, what);
      assert.ok(!res.headers.getSetCookie().some((c) => c.startsWith("visitor_session=")), `no cookie after ${what}`);
    }
  });
});

describe("a visitor's earlier chats", () => {
  test("GET /v2/visitors/{id}/chats: that visitor's chats and those of the same e-mail in any case, newest first by createdAt", async () => {
    const x = suffix();
    const a = await hub.visitor("Ana", `ana.${x}@example.com`);
    const b = await hub.visitor("Ana again", `ANA.${x}@Example.COM`);
    const c = await hub.visitor("Other", `other.${x}@example.com`);
    const a1chat = await hub.openChat(a);
    await pastMillisecond(a1chat.createdAt);
    const b1chat = await hub.openChat(b);
    await pastMillisecond(b1chat.createdAt);
    const a2chat = await hub.openChat(a);
    await pastMillisecond(a2chat.createdAt);
    const c1chat = await hub.openChat(c);
    // Touch the oldest and close one, so updatedAt order differs from createdAt order.
    await hub.say(a, a1chat.chatId, "me again");
    await hub.post(`/v2/chats/${b1chat.chatId}/close`, undefined, { auth: a1 });
    const expected = [a2chat.chatId, b1chat.chatId, a1chat.chatId];

    for (const who of [a, b]) {
      const res = await hub.get(`/v2/visitors/${who.visitorId}/chats`, { auth: a2 });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.body.chats.map((s) => s.chatId), expected, `for ${who.name}`);
      res.body.chats.forEach((s) => assertSummary(s));
      for (let i = 1; i < res.body.chats.length; i++) {
        assert.ok(ms(res.body.chats[i - 1].createdAt) > ms(res.body.chats[i].createdAt), "newest first by createdAt");
      }
      assert.equal(res.body.chats.find((s) => s.chatId === b1chat.chatId).status, "CLOSED", "closed chats too");
    }
    const other = await hub.get(`/v2/visitors/${c.visitorId}/chats`, { auth: a1 });
    assert.equal(other.status, 200, other.text);
    assert.deepEqual(other.body.chats.map((s) => s.chatId), [c1chat.chatId], "a third visitor's chats are its own");
  });

  test("visitors without an e-mail are not grouped together; a visitor with no chat has []", async () => {
    const d = await hub.visitor("No Mail 1");
    const e = await hub.visitor("No Mail 2");
    const dChat = await hub.openChat(d);
    await hub.openChat(e);
    const res = await hub.get(`/v2/visitors/${d.visitorId}/chats`, { auth: a1 });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body.chats.map((s) => s.chatId), [dChat.chatId]);
    const lonely = await hub.visitor("Nobody Yet", `nobody.${suffix()}@example.com`);
    const none = await hub.get(`/v2/visitors/${lonely.visitorId}/chats`, { auth: a1 });
    assert.equal(none.status, 200, none.text);
    assert.deepEqual(none.body.chats, []);
  });

  test("malformed id 400, unknown 404, a visitor's cookie 403 (even for itself), no auth 401", async () => {
    const { visitor } = await hub.visitorWithChat();
    assertError(await hub.get("/v2/visitors/not-an-id/chats", { auth: a1 }), 400, "malformed visitor id");
    assertError(await hub.get(`/v2/visitors/${UNKNOWN_ID}/chats`, { auth: a1 }), 404, "unknown visitor");
    assertError(await hub.get(`/v2/visitors/${visitor.visitorId}/chats`, { auth: visitor }), 403, "the visitor itself");
    assertError(await hub.get(`/v2/visitors/${visitor.visitorId}/chats`), 401, "no auth");
  });
});
