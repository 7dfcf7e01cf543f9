// PROTOCOL.md files: POST /v2/files/upload (multipart `file` + `chatId`),
// GET /v2/files/{id} without auth, 413 over the cap, image/file messages.

import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import {
  startHub,
  UNKNOWN_ID,
  waitFor,
  emitWithAck,
  assertError,
  assertMessage,
} from "./hub.mjs";

/** A tiny valid PNG (1×1, transparent). */
const PNG = Buffer.from(
  "89504e470d0a1a0a0000000d4948445200000001000000010806000000" +
    "1f15c4890000000d49444154789c6300010000050001" +
    "0d0a2db40000000049454e44ae426082",
  "hex",
);

function assertAttachment(body, { fileName, fileSize, mimeType }) {
  assert.equal(typeof body.url, "string");
  assert.ok(body.url.length > 0);
  assert.equal(body.fileName, fileName);
  assert.equal(body.fileSize, fileSize);
  assert.equal(body.mimeType, mimeType);
}

describe("uploads and downloads", () => {
  let hub;
  before(async () => {
    hub = await startHub();
  });
  after(() => hub?.stop());

  async function download(url, init) {
    // `url` may be relative to the server.
    const res = await fetch(new URL(url, hub.url), init);
    return { res, bytes: Buffer.from(await res.arrayBuffer()) };
  }

  test("a visitor uploads an image: 201/200 {url, fileName, fileSize, mimeType}; GET returns the bytes without auth", async () => {
    const { visitor, chatId } = await hub.visitorWithChat();
    const up = await hub.upload(visitor, chatId, PNG, "pixel.png", "image/png");
    assert.ok([200, 201].includes(up.status), `${up.status} ${up.text}`);
    assertAttachment(up.body, { fileName: "pixel.png", fileSize: PNG.length, mimeType: "image/png" });
    const { res, bytes } = await download(up.body.url);
    assert.equal(res.status, 200);
    assert.deepEqual(bytes, PNG, "the same bytes");
    assert.match(res.headers.get("content-type") ?? "", /^image\/png/);
  });

  test("an agent uploads binary data; it comes back byte for byte", async () => {
    const { chatId } = await hub.visitorWithChat();
    const a1 = await hub.agent1();
    const data = randomBytes(200_000);
    const up = await hub.upload(a1, chatId, data, "report.pdf", "application/pdf");
    assert.ok([200, 201].includes(up.status), `${up.status} ${up.text}`);
    assertAttachment(up.body, { fileName: "report.pdf", fileSize: data.length, mimeType: "application/pdf" });
    const { res, bytes } = await download(up.body.url);
    assert.equal(res.status, 200);
    assert.ok(bytes.equals(data), "the same bytes");
  });

  test("non-image files are served as a download (hub's choice: attachment, octet-stream)", async () => {
    const { visitor, chatId } = await hub.visitorWithChat();
    const html = Buffer.from("<script>alert(1)</script>");
    const up = await hub.upload(visitor, chatId, html, "page.html", "text/html");
    assert.ok([200, 201].includes(up.status), up.text);
    assert.equal(up.body.mimeType, "text/html", "the upload answer keeps the declared type");
    const { res, bytes } = await download(up.body.url);
    assert.equal(res.status, 200);
    assert.deepEqual(bytes, html);
    assert.equal(res.headers.get("content-type"), "application/octet-stream");
    assert.match(res.headers.get("content-disposition") ?? "", /^attachment/);
  });

  test("an image or file message with an attachment may have empty content", async () => {
    const { visitor, chatId } = await hub.visitorWithChat();
    const a1 = await hub.agent1();
    const agent = await hub.agentSocket(a1);
    await emitWithAck(agent, "chat:join", { chatId });
    const up = await hub.upload(visitor, chatId, PNG, "pixel.png", "image/png");
    const res = await hub.send(visitor, { chatId, content: "", type: "image", attachment: up.body });
    assert.equal(res.status, 201, res.text);
    assertMessage(res.body, { type: "image", content: "", attachment: up.body });
    const ev = await waitFor(agent, "message:new", (m) => m.messageId === res.body.messageId);
    assert.deepEqual(ev.attachment, up.body, "message:new carries the attachment");
    const hist = await hub.history(a1, chatId);
    assert.deepEqual(hist.body.messages.at(-1).attachment, up.body, "history carries the attachment");

    const doc = await hub.upload(a1, chatId, Buffer.from("hello"), "notes.txt", "text/plain");
    const file = await hub.send(a1, { chatId, content: "", type: "file", attachment: doc.body });
    assert.equal(file.status, 201, file.text);
    assertMessage(file.body, { type: "file", attachment: doc.body });
    const captioned = await hub.send(a1, { chatId, content: "see attached", type: "file", attachment: doc.body });
    assert.equal(captioned.status, 201, captioned.text);
    agent.disconnect();
  });

  test("an image or file message without an attachment and without content is 400", async () => {
    const { visitor, chatId } = await hub.visitorWithChat();
    assertError(await hub.send(visitor, { chatId, content: "", type: "image" }), 400, "empty image");
    assertError(await hub.send(visitor, { chatId, content: "", type: "file" }), 400, "empty file");
    assertError(await hub.send(visitor, { chatId, content: "", type: "text" }), 400, "empty text");
    assertError(await hub.send(visitor, { chatId, type: "text" }), 400, "no content");
  });

  test("upload errors: missing fields 400, bad ids 400/404, another visitor's chat 403, no auth 401", async () => {
    const a = await hub.visitorWithChat();
    const b = await hub.visitor();
    const bytes = Buffer.from("abc");
    assertError(await hub.upload(a.visitor, undefined, bytes, "a.txt", "text/plain"), 400, "no chatId");
    assertError(await hub.upload(a.visitor, a.chatId, undefined), 400, "no file");
    assertError(await hub.upload(a.visitor, "not-a-uuid", bytes, "a.txt", "text/plain"), 400, "malformed chatId");
    assertError(await hub.upload(a.visitor, UNKNOWN_ID, bytes, "a.txt", "text/plain"), 404, "unknown chat");
    assertError(await hub.upload(b, a.chatId, bytes, "a.txt", "text/plain"), 403, "another visitor's chat");
    assertError(await hub.upload(undefined, a.chatId, bytes, "a.txt", "text/plain"), 401, "no auth");
  });

  test("downloads: unknown file id 404, malformed 400", async () => {
    assertError(await hub.get(`/v2/files/${UNKNOWN_ID}`), 404, "unknown file");
    assertError(await hub.get("/v2/files/not-a-uuid"), 400, "malformed file id");
  });

  test("the default cap is 10 MiB: one byte more is 413", async () => {
    const { visitor, chatId } = await hub.visitorWithChat();
    const big = Buffer.alloc(10 * 1024 * 1024 + 1, 7);
    assertError(await hub.upload(visitor, chatId, big, "big.bin"), 413, "10 MiB + 1");
  });
});

describe("upload cap is configurable (--max-upload-bytes)", () => {
  let hub;
  before(async () => {
    hub = await startHub(["--max-upload-bytes", "1024"]);
  });
  after(() => hub?.stop());

  test("a file of exactly the cap is accepted; one byte more is 413", async () => {
    const { visitor, chatId } = await hub.visitorWithChat();
    const ok = await hub.upload(visitor, chatId, Buffer.alloc(1024, 1), "exact.bin");
    assert.ok([200, 201].includes(ok.status), `${ok.status} ${ok.text}`);
    assert.equal(ok.body.fileSize, 1024);
    assertError(await hub.upload(visitor, chatId, Buffer.alloc(1025, 1), "over.bin"), 413, "cap + 1");
    assertError(await hub.upload(visitor, chatId, Buffer.alloc(8 * 1024, 1), "far-over.bin"), 413, "8 × cap");
  });
});
