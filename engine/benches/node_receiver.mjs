// The peer of the burst benchmark: the official socket.io-client, merely
// receiving. Joins the chat, says "ready", counts `message:new` until N,
// then prints one JSON line of timings (wall clock, microseconds).
import { createRequire } from "node:module";
import path from "node:path";

const [url, token, chatId, total] = process.argv.slice(2);
const require = createRequire(path.resolve(process.env.SWITCHBOARD_NODE_MODULES_FROM, "package.json"));
const { io } = require("socket.io-client");

const nowUs = () => Math.round((performance.timeOrigin + performance.now()) * 1000);
const socket = io(url, { auth: { token }, transports: ["websocket"], reconnection: false });
const latencies = [];
let count = 0;
socket.on("message:new", (m) => {
  const t = /t=(\d+)/.exec(m.content);
  if (t) latencies.push(nowUs() - Number(t[1]));
  count += 1;
  if (count === Number(total)) {
    const lastUs = nowUs();
    latencies.sort((a, b) => a - b);
    const pick = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
    process.stdout.write(JSON.stringify({
      count, lastUs, p50Us: pick(0.5), p99Us: pick(0.99), rssKb: Math.round(process.memoryUsage().rss / 1024),
    }) + "\n");
    socket.close();
    process.exit(0);
  }
});
socket.on("connect", () => {
  socket.emit("chat:join", { chatId }, (ack) => {
    if (!ack || !ack.success) {
      console.error("join failed", ack);
      process.exit(1);
    }
    process.stdout.write("ready\n");
  });
});
socket.on("connect_error", (e) => {
  console.error("connect_error", e.message);
  process.exit(1);
});
