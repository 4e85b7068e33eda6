// Two clients edit real Y.Docs through the server and must converge to the same JSON: many
// small concurrent edits, 1 MB of text inserted in one piece, then 1 MB in 64 KiB chunks.
// Prints one JSON line with byte counts per step (what each client sent, what it received
// from the other, and what it got back of its own edits), so the caller can check that the
// server relayed deltas, not documents, and only to the other client.
//
// Env: PLUV_WS (e.g. ws://127.0.0.1:PORT/), PLUV_SECRET, optional SEED.
import {
  canonicalJson,
  checkHealthy,
  config,
  converged,
  join,
  letters,
  newClient,
  random,
  run,
  smallEdit,
  startTokenApp,
  tick,
  until,
} from "./lib.mjs";

const MB = 1 << 20;
const CHUNK = 64 << 10;

run(async () => {
  const { ws, secret } = config();
  const seed = Number(process.env.SEED ?? 1);
  const rand = random(seed);
  const app = await startTokenApp(secret);
  const room = `converge-${process.pid}`;
  const a = newClient({ ws, tokenApp: app.url, room, name: "Ann" });
  const b = newClient({ ws, tokenApp: app.url, room, name: "Ben" });
  await join(a);
  await join(b);
  await converged([a, b], "initial state");
  await until([b], "others", () => b.getOthers().length === 1, "Ben to see Ann");

  const steps = [];
  const step = async (name, edit, timeoutMs) => {
    a.resetStats();
    b.resetStats();
    const started = Date.now();
    await edit();
    await converged([a, b], name, timeoutMs);
    steps.push({
      name,
      ms: Date.now() - started,
      sent: { Ann: a.stats.sent, Ben: b.stats.sent },
      relayed: { Ann: a.stats.relayed, Ben: b.stats.relayed },
      frames: { Ann: a.stats.relayedFrames, Ben: b.stats.relayedFrames },
      echoed: { Ann: a.stats.echoed, Ben: b.stats.echoed },
      textLength: a.getStorage("text").length,
    });
  };

  await step("300 concurrent small edits each", async () => {
    for (let i = 0; i < 300; i++) {
      smallEdit(a, rand);
      smallEdit(b, rand);
      if (i % 10 === 9) await tick();
    }
  });
  await step("1 MB inserted in one piece", async () => {
    const text = a.getStorage("text");
    text.insert(Math.floor(text.length / 2), letters(rand, MB));
  }, 60_000);
  await step("1 MB inserted in 64 KiB chunks", async () => {
    for (let i = 0; i < MB / CHUNK; i++) {
      const text = b.getStorage("text");
      text.insert(Math.floor(rand() * (text.length + 1)), letters(rand, CHUNK));
      await tick();
    }
  }, 60_000);

  const json = canonicalJson(a.getStorageJson());
  if (json !== canonicalJson(b.getStorageJson())) throw new Error("JSON differs at the end");
  checkHealthy([a, b]);
  a.disconnect();
  b.disconnect();
  await app.close();
  return { room, seed, steps, jsonBytes: json.length };
});
