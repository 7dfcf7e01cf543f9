// PROTOCOL.md errors and limits: the NestJS error shape for every status,
// ids (400 malformed / 404 unknown / 403 not yours), content length, empty
// content, unknown type, the rate limit with Retry-After, and that each
// limit is configurable.

import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import { startHub, UNKNOWN_ID, assertError, emitWithAck, until } from "./hub.mjs";

describe("errors and validation", () => {
  let hub;
  before(async () => {
    hub = await startHub();
  });
  after(() => hub?.stop());

  test("unknown routes are 404 in the NestJS shape", async () => {
    assertError(await hub.get("/v2/nothing-here"), 404, "unknown route");
  });

  test("malformed ids are 400, unknown ones 404, on every chat route", async () => {
    const a1 = await hub.agent1();
    const malformed = ["not-a-uuid", "1234", "zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz"];
    for (const id of malformed) {
      assertError(await hub.history(a1, id), 400, `history ${id}`);
      assertError(await hub.post(`/v2/chats/${id}/accept`, undefined, { auth: a1 }), 400, `accept ${id}`);
      assertError(await hub.post(`/v2/chats/${id}/close`, undefined, { auth: a1 }), 400, `close ${id}`);
      assertError(await hub.send(a1, { chatId: id, content: "x", type: "text" }), 400, `send ${id}`);
      assertError(await hub.upload(a1, id, Buffer.from("x"), "x.txt", "text/plain"), 400, `upload ${id}`);
      assertError(await hub.get(`/v2/files/${id}`), 400, `download ${id}`);
    }
    assertError(await hub.history(a1, UNKNOWN_ID), 404, "history unknown");
    assertError(await hub.post(`/v2/chats/${UNKNOWN_ID}/accept`, undefined, { auth: a1 }), 404, "accept unknown");
    assertError(await hub.post(`/v2/chats/${UNKNOWN_ID}/close`, undefined, { auth: a1 }), 404, "close unknown");
    assertError(await hub.send(a1, { chatId: UNKNOWN_ID, content: "x", type: "text" }), 404, "send unknown");
    assertError(await hub.upload(a1, UNKNOWN_ID, Buffer.from("x"), "x.txt", "text/plain"), 404, "upload unknown");
    assertError(await hub.get(`/v2/files/${UNKNOWN_ID}`), 404, "download unknown");
    const v = await hub.visitor();
    assertError(await hub.history(v, UNKNOWN_ID), 404, "visitor history unknown");
    assertError(await hub.send(v, { chatId: UNKNOWN_ID, content: "x", type: "text" }), 404, "visitor send unknown");
  });

  test("another visitor's chat is 403 (and a socket join is `forbidden`)", async () => {
    const owner = await hub.visitorWithChat();
    const other = await hub.visitor();
    assertError(await hub.history(other, owner.chatId), 403, "history");
    assertError(await hub.send(other, { chatId: owner.chatId, content: "x", type: "text" }), 403, "send");
    assertError(await hub.post(`/v2/chats/${owner.chatId}/close`, undefined, { auth: other }), 403, "close");
    const s = await hub.visitorSocket(other);
    assert.deepEqual(await emitWithAck(s, "chat:join", { chatId: owner.chatId }), {
      success: false,
      message: "forbidden",
    });
    s.disconnect();
  });

  test("content over 10,000 characters is 400; exactly 10,000 is fine (characters, not bytes)", async () => {
    const { visitor, chatId } = await hub.visitorWithChat();
    const ok = await hub.send(visitor, { chatId, content: "x".repeat(10_000), type: "text" });
    assert.equal(ok.status, 201, ok.text);
    assert.equal(ok.body.content.length, 10_000);
    const wide = await hub.send(visitor, { chatId, content: "ñ".repeat(10_000), type: "text" });
    assert.equal(wide.status, 201, `10,000 two-byte characters: ${wide.text.slice(0, 200)}`);
    assertError(await hub.send(visitor, { chatId, content: "x".repeat(10_001), type: "text" }), 400, "10,001");
    const a1 = await hub.agent1();
    assertError(
      await hub.send(a1, { chatId, content: "y".repeat(10_001), type: "text", isInternal: true }),
      400,
      "internal note of 10,001",
    );
    const hist = await hub.history(a1, chatId);
    assert.equal(hist.body.messages.length, 2, "the rejected ones were not stored");
  });

  test("empty text content is 400; an unknown type is 400; a body that is not JSON is 400", async () => {
    const { visitor, chatId } = await hub.visitorWithChat();
    assertError(await hub.send(visitor, { chatId, content: "", type: "text" }), 400, "empty");
    assertError(await hub.send(visitor, { chatId, type: "text" }), 400, "no content");
    assertError(await hub.send(visitor, { chatId, content: "hi", type: "video" }), 400, "unknown type");
    assertError(await hub.send(visitor, { content: "hi", type: "text" }), 400, "no chatId");
    const notJson = await hub.request("POST", "/v2/messages", {
      auth: visitor,
      body: "{not json",
      headers: { "content-type": "application/json" },
    });
    assertError(notJson, 400, "not JSON");
    const hist = await hub.history(visitor, chatId);
    assert.deepEqual(hist.body.messages, [], "nothing was stored");
  });

  test("409 and 403 carry the NestJS shape too", async () => {
    const { visitor, chatId } = await hub.visitorWithChat();
    const a1 = await hub.agent1();
    await hub.post(`/v2/chats/${chatId}/close`, undefined, { auth: a1 });
    assertError(await hub.post(`/v2/chats/${chatId}/accept`, undefined, { auth: a1 }), 409, "accept closed");
    assertError(await hub.send(visitor, { chatId, content: "x", type: "text", isInternal: true }), 403, "visitor note");
  });
});

describe("content limit is configurable (--max-content-chars)", () => {
  let hub;
  before(async () => {
    hub = await startHub(["--max-content-chars", "20"]);
  });
  after(() => hub?.stop());

  test("20 characters pass, 21 are 400", async () => {
    const { visitor, chatId } = await hub.visitorWithChat();
    const ok = await hub.send(visitor, { chatId, content: "a".repeat(20), type: "text" });
    assert.equal(ok.status, 201, ok.text);
    assertError(await hub.send(visitor, { chatId, content: "a".repeat(21), type: "text" }), 400, "21 characters");
  });
});

describe("rate limit (--rate-limit 5)", () => {
  let hub;
  before(async () => {
    hub = await startHub(["--rate-limit", "5"]);
  });
  after(() => hub?.stop());

  test("the 6th message within a second from one sender is 429 with Retry-After; others are unaffected", async () => {
    const { visitor, chatId } = await hub.visitorWithChat();
    const a1 = await hub.agent1();
    // Sent at once so that all six land in the same one-second window.
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, i) => hub.send(visitor, { chatId, content: `m${i}`, type: "text" })),
    );
    const statuses = answers.map((r) => r.status).sort();
    assert.deepEqual(statuses, [201, 201, 201, 201, 201, 429], `statuses ${statuses}`);
    const limited = answers.find((r) => r.status === 429);
    assertError(limited, 429, "rate limited");
    const retryAfter = limited.headers.get("retry-after");
    assert.match(retryAfter ?? "", /^\d+$/, "Retry-After is a whole number of seconds");
    assert.ok(Number(retryAfter) >= 1 && Number(retryAfter) <= 2, `Retry-After ${retryAfter}`);

    // Another sender in the same chat is not limited.
    const other = await hub.send(a1, { chatId, content: "agent is fine", type: "text" });
    assert.equal(other.status, 201, other.text);
    const hist = await hub.history(a1, chatId);
    assert.equal(hist.body.messages.filter((m) => m.senderType === "visitor").length, 5, "the 6th was not stored");

    // After Retry-After the sender may write again.
    const start = Date.now();
    const res = await until(
      async () => {
        const r = await hub.send(visitor, { chatId, content: "later", type: "text" });
        return r.status === 201 ? r : null;
      },
      { timeoutMs: Number(retryAfter) * 1000 + 2_000, everyMs: 250, what: "the rate limit to lift" },
    );
    assert.equal(res.status, 201);
    assert.ok(Date.now() - start <= Number(retryAfter) * 1000 + 1_000, "lifted within Retry-After");
  });

  test("a repeated clientMessageId still answers 200 while the sender is not limited", async () => {
    // Idempotent retries are how an outbox recovers; make sure the happy path works under a limit.
    const { visitor, chatId } = await hub.visitorWithChat();
    const body = { chatId, content: "once", type: "text", clientMessageId: "rl-1" };
    const first = await hub.send(visitor, body);
    assert.equal(first.status, 201, first.text);
    const again = await hub.send(visitor, body);
    assert.equal(again.status, 200, again.text);
    assert.equal(again.body.messageId, first.body.messageId);
  });
});
