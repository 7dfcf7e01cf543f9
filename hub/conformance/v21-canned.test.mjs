// PROTOCOL.md "Version 2.1" canned responses (with notes/v21-decisions.md):
// GET / POST / PUT / DELETE /v2/canned, team and personal scopes, who may
// see and change what, shortcut rules, limits, templates stored as written.

import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { startHub, ISO_MS, UNKNOWN_ID, assertError, pastMillisecond, ms } from "./hub.mjs";

let hub;
let a1;
let a2;
before(async () => {
  hub = await startHub();
  a1 = await hub.agent1();
  a2 = await hub.agent2();
});
after(() => hub?.stop());

const suffix = () => randomUUID().slice(0, 8);
const create = (who, body) => hub.post("/v2/canned", body, { auth: who });
const update = (who, id, body) => hub.put(`/v2/canned/${id}`, body, { auth: who });
const remove = (who, id) => hub.del(`/v2/canned/${id}`, { auth: who });

function assertEntry(e, expected = {}) {
  assert.equal(typeof e, "object");
  assert.equal(typeof e.id, "string");
  assert.ok(e.id.length > 0);
  assert.match(e.shortcut, /^[a-z0-9_-]{1,32}$/);
  assert.equal(typeof e.title, "string");
  assert.equal(typeof e.content, "string");
  assert.ok(["team", "personal"].includes(e.scope), `scope ${e.scope}`);
  assert.match(e.updatedAt, ISO_MS, "updatedAt is ISO 8601 with milliseconds");
  for (const [k, v] of Object.entries(expected)) assert.deepEqual(e[k], v, `canned.${k}`);
}

/** POST /v2/canned, asserting 201: the entry. */
async function made(who, body) {
  const res = await create(who, body);
  assert.equal(res.status, 201, `POST /v2/canned ${JSON.stringify(body).slice(0, 200)}: ${res.text.slice(0, 300)}`);
  assertEntry(res.body);
  return res.body;
}

async function list(who) {
  const res = await hub.get("/v2/canned", { auth: who });
  assert.equal(res.status, 200, res.text);
  assert.ok(Array.isArray(res.body.canned), "canned is an array");
  res.body.canned.forEach((e) => assertEntry(e));
  return res.body.canned;
}

const byId = (entries, id) => entries.find((e) => e.id === id);

describe("canned responses", () => {
  test("POST: 201 entry, scope personal by default, the template stored exactly as written; GET lists it", async () => {
    const x = suffix();
    const template = "Hola {{visitor.name|there}}, soy {{agent.name}}. Re: {{chat.subject}} ({{visitor.email}})";
    const personal = await made(a1, { shortcut: `greet-${x}`, title: "Greeting", content: template });
    assertEntry(personal, { shortcut: `greet-${x}`, title: "Greeting", content: template, scope: "personal" });
    const team = await made(a1, { shortcut: `bye-${x}`, title: "Goodbye", content: "Bye {{visitor.name|there}}!", scope: "team" });
    assertEntry(team, { scope: "team", content: "Bye {{visitor.name|there}}!" });
    const explicit = await made(a1, { shortcut: `mine-${x}`, title: "Mine", content: "x", scope: "personal" });
    assert.equal(explicit.scope, "personal");
    assert.notEqual(personal.id, team.id);

    const mine = await list(a1);
    assert.deepEqual(byId(mine, personal.id), personal, "GET shows it as POST answered it");
    assert.deepEqual(byId(mine, team.id), team);
    assert.equal(byId(mine, personal.id).content, template, "no placeholder was filled in");
  });

  test("GET: the team ones and only the caller's personal ones, ordered by shortcut", async () => {
    const x = suffix();
    const p1 = await made(a1, { shortcut: `zz-p1-${x}`, title: "P1", content: "agent 1's own" });
    const t1 = await made(a1, { shortcut: `aa-t1-${x}`, title: "T1", content: "for everyone", scope: "team" });
    const p2 = await made(a2, { shortcut: `mm-p2-${x}`, title: "P2", content: "agent 2's own" });
    const l1 = await list(a1);
    const l2 = await list(a2);
    assert.ok(byId(l1, p1.id) && byId(l1, t1.id), "agent 1 sees its own and the team one");
    assert.ok(!byId(l1, p2.id), "agent 1 does not see agent 2's personal one");
    assert.ok(byId(l2, p2.id) && byId(l2, t1.id), "agent 2 sees its own and the team one");
    assert.ok(!byId(l2, p1.id), "agent 2 does not see agent 1's personal one");
    for (const l of [l1, l2]) {
      for (let i = 1; i < l.length; i++) {
        assert.ok(l[i - 1].shortcut <= l[i].shortcut, `ordered by shortcut: ${l[i - 1].shortcut} then ${l[i].shortcut}`);
      }
    }
  });

  test("another agent's personal entry is 404 on PUT and DELETE and stays; a team entry any agent may edit and delete", async () => {
    const x = suffix();
    const p1 = await made(a1, { shortcut: `own-${x}`, title: "Own", content: "mine" });
    const t1 = await made(a1, { shortcut: `shared-${x}`, title: "Shared", content: "ours", scope: "team" });
    assertError(await update(a2, p1.id, { title: "Taken over" }), 404, "agent 2 edits agent 1's personal entry");
    assertError(await remove(a2, p1.id), 404, "agent 2 deletes agent 1's personal entry");
    assert.deepEqual(byId(await list(a1), p1.id), p1, "agent 1's entry is untouched");

    await pastMillisecond(t1.updatedAt);
    const edited = await update(a2, t1.id, { title: "Shared, edited by agent 2" });
    assert.equal(edited.status, 200, edited.text);
    assertEntry(edited.body, { id: t1.id, shortcut: t1.shortcut, title: "Shared, edited by agent 2", content: "ours", scope: "team" });
    assert.ok(ms(edited.body.updatedAt) > ms(t1.updatedAt), "updatedAt moves");
    assert.deepEqual(byId(await list(a1), t1.id), edited.body, "agent 1 sees agent 2's edit");

    const gone = await remove(a2, t1.id);
    assert.equal(gone.status, 204, gone.text);
    assert.ok(!byId(await list(a1), t1.id) && !byId(await list(a2), t1.id), "deleted for everyone");
  });

  test("PUT changes only the fields given; a different scope is 400; invalid fields are 400; nothing changes after a 400", async () => {
    const x = suffix();
    const e = await made(a1, { shortcut: `edit-${x}`, title: "Before", content: "old text" });
    await pastMillisecond(e.updatedAt);
    const c = await update(a1, e.id, { content: "new text {{agent.name}}" });
    assert.equal(c.status, 200, c.text);
    assertEntry(c.body, { id: e.id, shortcut: e.shortcut, title: "Before", content: "new text {{agent.name}}", scope: "personal" });
    assert.ok(ms(c.body.updatedAt) > ms(e.updatedAt));
    const both = await update(a1, e.id, { shortcut: `renamed-${x}`, title: "After" });
    assert.equal(both.status, 200, both.text);
    assertEntry(both.body, { shortcut: `renamed-${x}`, title: "After", content: "new text {{agent.name}}" });
    const same = await update(a1, e.id, { scope: "personal", title: "After, again" });
    assert.equal(same.status, 200, `the same scope is not a change: ${same.text}`);
    const now = same.body;

    for (const [what, body] of [
      ["a different scope", { scope: "team" }],
      ["an unknown scope", { scope: "everyone" }],
      ["an uppercase shortcut", { shortcut: "Renamed" }],
      ["an empty shortcut", { shortcut: "" }],
      ["an empty title", { title: "" }],
      ["a 101-character title", { title: "t".repeat(101) }],
      ["an empty content", { content: "" }],
      ["a 10,001-character content", { content: "c".repeat(10_001) }],
      ["a number as title", { title: 5 }],
    ]) {
      assertError(await update(a1, e.id, body), 400, `PUT with ${what}`);
      assert.deepEqual(byId(await list(a1), e.id), now, `nothing changed after ${what}`);
    }
  });

  test("a duplicate shortcut is 409 in the same scope and owner; a personal entry may share a team one's, two agents may share a personal one", async () => {
    const x = suffix();
    const dup = `dup-${x}`;
    await made(a1, { shortcut: dup, title: "Team", content: "team", scope: "team" });
    assertError(await create(a2, { shortcut: dup, title: "Team again", content: "t", scope: "team" }), 409, "team twice");
    const mine = await made(a1, { shortcut: dup, title: "Mine", content: "personal" });
    assertError(await create(a1, { shortcut: dup, title: "Mine again", content: "p" }), 409, "personal twice, one owner");
    await made(a2, { shortcut: dup, title: "Agent 2's", content: "personal too" });
    const other = await made(a1, { shortcut: `other-${x}`, title: "Other", content: "o" });
    assertError(await update(a1, other.id, { shortcut: dup }), 409, "renamed onto a personal duplicate");
    assert.deepEqual(byId(await list(a1), other.id), other, "the rename did not happen");
    const l1 = (await list(a1)).filter((e) => e.shortcut === dup);
    assert.deepEqual(l1.map((e) => e.scope).sort(), ["personal", "team"], "agent 1 sees its personal and the team one");
    assert.ok(l1.some((e) => e.id === mine.id));
    assert.equal((await list(a2)).filter((e) => e.shortcut === dup).length, 2, "agent 2: the team one and its own");
  });

  test("POST validation: shortcut 1–32 of [a-z0-9_-], title 1–100, content 1–10,000, a known scope; 400s store nothing", async () => {
    const x = suffix();
    const before = await list(a1);
    const base = { shortcut: `ok-${x}`, title: "Title", content: "Content" };
    const cases = [
      ["an uppercase shortcut", { ...base, shortcut: `Hello-${x}` }],
      ["a shortcut with a space", { ...base, shortcut: "two words" }],
      ["a 33-character shortcut", { ...base, shortcut: "s".repeat(33) }],
      ["an empty shortcut", { ...base, shortcut: "" }],
      ["a shortcut with a dot", { ...base, shortcut: "a.b" }],
      ["no shortcut", { title: "Title", content: "Content" }],
      ["a 101-character title", { ...base, title: "t".repeat(101) }],
      ["an empty title", { ...base, title: "" }],
      ["no title", { shortcut: base.shortcut, content: "Content" }],
      ["a 10,001-character content", { ...base, content: "c".repeat(10_001) }],
      ["an empty content", { ...base, content: "" }],
      ["no content", { shortcut: base.shortcut, title: "Title" }],
      ["an unknown scope", { ...base, scope: "everyone" }],
    ];
    for (const [what, body] of cases) assertError(await create(a1, body), 400, `POST with ${what}`);
    assert.deepEqual(await list(a1), before, "nothing was stored");

    const edges = [
      await made(a1, { shortcut: `${x}_-09`.padEnd(32, "z"), title: "t".repeat(100), content: "c".repeat(10_000) }),
      await made(a1, { shortcut: "q", title: "T", content: "C" }),
    ];
    assert.equal(edges[0].shortcut.length, 32);
    assert.equal(edges[0].title.length, 100);
    assert.equal(edges[0].content.length, 10_000);
    const after = await list(a1);
    assert.equal(after.length, before.length + 2);
  });

  test("DELETE answers 204 and the entry is gone (GET leaves it out, PUT and DELETE are 404); malformed id 400, unknown 404", async () => {
    const x = suffix();
    const e = await made(a1, { shortcut: `bye-${x}`, title: "Bye", content: "See you" });
    const res = await remove(a1, e.id);
    assert.equal(res.status, 204, res.text);
    assert.equal(res.text, "", "204 has no body");
    assert.ok(!byId(await list(a1), e.id), "no longer listed");
    assertError(await update(a1, e.id, { title: "Back?" }), 404, "PUT after DELETE");
    assertError(await remove(a1, e.id), 404, "DELETE after DELETE");
    assertError(await update(a1, "not-an-id", { title: "x" }), 400, "PUT malformed id");
    assertError(await remove(a1, "not-an-id"), 400, "DELETE malformed id");
    assertError(await update(a1, UNKNOWN_ID, { title: "x" }), 404, "PUT unknown id");
    assertError(await remove(a1, UNKNOWN_ID), 404, "DELETE unknown id");
  });

  test("a visitor's cookie is 403 on every canned route, no auth 401; the entry stays", async () => {
    const x = suffix();
    const e = await made(a1, { shortcut: `team-${x}`, title: "Team", content: "t", scope: "team" });
    const visitor = await hub.visitor();
    for (const auth of [visitor, undefined]) {
      const status = auth ? 403 : 401;
      assertError(await hub.get("/v2/canned", { auth }), status, "GET");
      assertError(await hub.post("/v2/canned", { shortcut: `v-${x}`, title: "V", content: "v" }, { auth }), status, "POST");
      assertError(await hub.put(`/v2/canned/${e.id}`, { title: "visitor was here" }, { auth }), status, "PUT");
      assertError(await hub.del(`/v2/canned/${e.id}`, { auth }), status, "DELETE");
    }
    assert.deepEqual(byId(await list(a1), e.id), e, "untouched");
    assert.ok(!(await list(a1)).some((c) => c.shortcut === `v-${x}`), "nothing created");
  });
});
