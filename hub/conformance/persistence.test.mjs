// A hub keeps its state on disk: stop it (SIGTERM) and start it again on the
// same SQLite file, and chats, messages, files, sessions and tokens are all
// still there.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startHub, emitWithAck, waitFor, ms } from "./hub.mjs";

let hub;
before(async () => {
  hub = await startHub();
});
after(() => hub?.stop());

test("messages, chats, files, the visitor's session and the agent's token survive a restart", async () => {
  const a1 = await hub.agent1();
  const { visitor, chatId } = await hub.visitorWithChat("Persistent Pat");
  const q = await hub.say(visitor, chatId, "is anyone there?");
  const note = await hub.say(a1, chatId, "internal: returning customer", { isInternal: true });
  const answer = await hub.say(a1, chatId, "yes, hello!", { clientMessageId: "persist-1" });
  const png = Buffer.from("89504e470d0a1a0a", "hex");
  const up = await hub.upload(visitor, chatId, png, "tiny.png", "image/png");
  assert.ok([200, 201].includes(up.status), up.text);
  const agentHistory = (await hub.history(a1, chatId)).body;
  const visitorHistory = (await hub.history(visitor, chatId)).body;
  const summary = (await hub.chats(a1)).body.chats.find((c) => c.chatId === chatId);
  const oldUrl = hub.url;

  await hub.restart();
  assert.deepEqual(hub.exitStatus, { code: 0, signal: null }, "the first process stopped cleanly on SIGTERM");
  assert.notEqual(hub.url, oldUrl, "a new process on a new port");

  // The old token still works (same secret from the database).
  const me = await hub.get("/v2/auth/me", { auth: { token: a1.token } });
  assert.equal(me.status, 200, me.text);
  assert.equal(me.body.id, a1.id);
  const s = await hub.agentSocket(a1.token);
  assert.ok(s.connected, "the old token opens a socket");

  // History, as each side sees it, is unchanged.
  assert.deepEqual((await hub.history(a1, chatId)).body, agentHistory);
  assert.deepEqual((await hub.history(visitor, chatId)).body, visitorHistory);
  assert.deepEqual(
    agentHistory.messages.map((m) => m.messageId),
    [q.messageId, note.messageId, answer.messageId],
  );
  const after = (await hub.chats(a1)).body.chats.find((c) => c.chatId === chatId);
  assert.deepEqual(after, summary, "the ChatSummary is unchanged");
  assert.equal(after.status, "IN_PROGRESS");

  // The file is still there.
  const file = await fetch(new URL(up.body.url, hub.url));
  assert.equal(file.status, 200);
  assert.deepEqual(Buffer.from(await file.arrayBuffer()), png);

  // The visitor's cookie still works, on HTTP and on a socket.
  const vs = await hub.visitorSocket(visitor);
  assert.equal((await emitWithAck(vs, "chat:join", { chatId })).success, true);
  await emitWithAck(s, "chat:join", { chatId });

  // Idempotency survives too: the same clientMessageId is still a repeat.
  const again = await hub.send(a1, { chatId, content: "yes, hello!", type: "text", clientMessageId: "persist-1" });
  assert.equal(again.status, 200, again.text);
  assert.deepEqual(again.body, answer);

  // New messages keep sentAt increasing and flow to the sockets.
  const next = await hub.say(visitor, chatId, "after the restart");
  assert.ok(ms(next.sentAt) > ms(answer.sentAt));
  await waitFor(s, "message:new", (m) => m.messageId === next.messageId);
  await waitFor(vs, "message:new", (m) => m.messageId === next.messageId);
  assert.equal(next.isFirstResponse, false);
  const reply = await hub.say(a1, chatId, "still here");
  assert.equal(reply.isFirstResponse, false, "the first response was before the restart");
});

test("SIGTERM with sockets open: the hub closes them and exits with code 0", async () => {
  const s = await hub.agentSocket(await hub.login());
  const closed = new Promise((resolve) => s.once("disconnect", resolve));
  const { code, signal } = await hub.stop({ closeSockets: false });
  hub = null;
  assert.equal(signal, null, "it exited by itself, not by the signal's default action");
  assert.equal(code, 0);
  await closed;
  assert.equal(s.connected, false);
});
