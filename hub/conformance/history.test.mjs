// PROTOCOL.md GET /v2/messages/chat/{chatId} and "Paging": limit (default
// 50, max 500), newest page without dateFrom, `before` exclusive, `dateFrom`
// inclusive returning the oldest page, hasMore; sentAt order.

import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import { startHub, ISO_MS, ms, shiftIso } from "./hub.mjs";

const TOTAL = 507;

let hub;
let agent;
let chatId;
/** Every message of the chat, in sentAt order, as the senders were answered. */
let all;

before(async () => {
  // No rate limit: this file writes a long chat as fast as it can.
  hub = await startHub(["--rate-limit", "0"]);
  agent = await hub.agent1();
  const v = await hub.visitorWithChat("Long Talker");
  chatId = v.chatId;
  all = [];
  // Small concurrent batches: many messages land in the same millisecond,
  // which is exactly what sentAt's strict order must survive.
  for (let i = 0; i < TOTAL; i += 8) {
    const batch = [];
    for (let j = i; j < Math.min(TOTAL, i + 8); j++) {
      batch.push(hub.say(j % 3 === 0 ? agent : v.visitor, chatId, `line ${j}`));
    }
    all.push(...(await Promise.all(batch)));
  }
  all.sort((a, b) => ms(a.sentAt) - ms(b.sentAt));
});
after(() => hub?.stop());

const ids = (messages) => messages.map((m) => m.messageId);

async function page(query) {
  const res = await hub.history(agent, chatId, query);
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(Object.keys(res.body).sort(), ["hasMore", "messages"]);
  assert.equal(typeof res.body.hasMore, "boolean");
  return res.body;
}

describe("sentAt", () => {
  test("is ISO 8601 with milliseconds and strictly increasing, even for messages sent at once", async () => {
    const seenAt = new Set();
    for (let i = 0; i < all.length; i++) {
      assert.match(all[i].sentAt, ISO_MS);
      assert.ok(!seenAt.has(all[i].sentAt), `two messages share sentAt ${all[i].sentAt}`);
      seenAt.add(all[i].sentAt);
    }
    assert.equal(new Set(ids(all)).size, TOTAL, "messageIds are unique");
  });
});

describe("paging", () => {
  test("without limit or dateFrom: the newest 50, oldest first, hasMore", async () => {
    const p = await page({});
    assert.equal(p.messages.length, 50);
    assert.deepEqual(ids(p.messages), ids(all.slice(-50)));
    assert.equal(p.hasMore, true);
  });

  test("the history answer holds the same Messages the senders got", async () => {
    const p = await page({ limit: "5" });
    assert.deepEqual(p.messages, all.slice(-5));
  });

  test("limit is honoured, and capped at 500", async () => {
    const p7 = await page({ limit: "7" });
    assert.deepEqual(ids(p7.messages), ids(all.slice(-7)));
    assert.equal(p7.hasMore, true);
    for (const limit of ["500", "501", "1000", "100000"]) {
      const p = await page({ limit });
      assert.equal(p.messages.length, 500, `limit=${limit}`);
      assert.deepEqual(ids(p.messages), ids(all.slice(-500)), `limit=${limit}: the newest 500, oldest first`);
      assert.equal(p.hasMore, true, `limit=${limit}: ${TOTAL} > 500`);
    }
  });

  test("`before` is exclusive and pages back to the start; hasMore turns false on the last page", async () => {
    const collected = [];
    let before;
    let pages = 0;
    for (;;) {
      const p = await page(before ? { limit: "100", before } : { limit: "100" });
      pages++;
      if (before) {
        for (const m of p.messages) assert.ok(ms(m.sentAt) < ms(before), `${m.sentAt} < before ${before}`);
      }
      collected.unshift(...p.messages);
      if (!p.hasMore) break;
      assert.equal(p.messages.length, 100, "a page with more behind it is full");
      before = p.messages[0].sentAt;
      assert.ok(pages < 20, "paging ends");
    }
    assert.equal(pages, Math.ceil(TOTAL / 100));
    assert.deepEqual(ids(collected), ids(all), "paging back loses and repeats nothing");
  });

  test("`before` equal to a message's sentAt leaves that message out", async () => {
    const k = 200;
    const p = await page({ limit: "3", before: all[k].sentAt });
    assert.deepEqual(ids(p.messages), ids(all.slice(k - 3, k)));
    assert.equal(p.hasMore, true);
    const start = await page({ limit: "10", before: all[2].sentAt });
    assert.deepEqual(ids(start.messages), ids(all.slice(0, 2)));
    assert.equal(start.hasMore, false, "only two messages are older");
  });

  test("`dateFrom` is inclusive and returns the oldest `limit` messages from that point", async () => {
    const k = 123;
    const p = await page({ dateFrom: all[k].sentAt, limit: "10" });
    assert.deepEqual(ids(p.messages), ids(all.slice(k, k + 10)), "from message k on, oldest first");
    assert.equal(p.hasMore, true);

    const fromStart = await page({ dateFrom: all[0].sentAt });
    assert.deepEqual(ids(fromStart.messages), ids(all.slice(0, 50)), "default limit 50, the oldest page");
    assert.equal(fromStart.hasMore, true);

    const capped = await page({ dateFrom: all[0].sentAt, limit: "100000" });
    assert.deepEqual(ids(capped.messages), ids(all.slice(0, 500)), "capped at 500 from dateFrom");
    assert.equal(capped.hasMore, true);
  });

  test("a catch-up from the newest sentAt held returns that message (inclusive) and hasMore false", async () => {
    const newest = all[all.length - 1];
    const p = await page({ dateFrom: newest.sentAt });
    assert.deepEqual(ids(p.messages), [newest.messageId]);
    assert.equal(p.hasMore, false);

    const tail = await page({ dateFrom: all[TOTAL - 5].sentAt, limit: "5" });
    assert.deepEqual(ids(tail.messages), ids(all.slice(-5)));
    assert.equal(tail.hasMore, false, "exactly `limit` matched, so no more");

    const later = await page({ dateFrom: shiftIso(newest.sentAt, 1) });
    assert.deepEqual(later.messages, []);
    assert.equal(later.hasMore, false);
  });

  test("a chat with no messages answers {messages: [], hasMore: false}", async () => {
    const { chatId: empty } = await hub.visitorWithChat();
    const res = await hub.history(agent, empty);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body, { messages: [], hasMore: false });
  });

  test("a visitor pages its own chat the same way", async () => {
    const v = await hub.visitorWithChat();
    const a = await hub.say(v.visitor, v.chatId, "one");
    const b = await hub.say(agent, v.chatId, "two");
    const c = await hub.say(v.visitor, v.chatId, "three");
    const res = await hub.history(v.visitor, v.chatId, { limit: "2" });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(ids(res.body.messages), [b.messageId, c.messageId]);
    assert.equal(res.body.hasMore, true);
    const back = await hub.history(v.visitor, v.chatId, { limit: "2", before: b.sentAt });
    assert.deepEqual(ids(back.body.messages), [a.messageId]);
    assert.equal(back.body.hasMore, false);
  });
});
