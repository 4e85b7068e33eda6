// A late joiner gets the same document: Ann makes 2,000 small edits (one transaction each)
// while Ben watches, then Cat joins and must hold exactly Ann's document as soon as its
// storage loads; after everyone has left, Dan joins and must still get it. Prints byte counts
// so the caller can check that the 2,000 edits were relayed as deltas, and not back to Ann.
//
// Env: PLUV_WS, PLUV_SECRET, optional SEED.
import {
  canonicalJson,
  checkHealthy,
  config,
  converged,
  join,
  newClient,
  random,
  run,
  sameDoc,
  smallEdit,
  startTokenApp,
  tick,
  until,
} from "./lib.mjs";

const EDITS = 2_000;

run(async () => {
  const { ws, secret } = config();
  const seed = Number(process.env.SEED ?? 2);
  const rand = random(seed);
  const app = await startTokenApp(secret);
  const room = `late-${process.pid}`;
  const client = (name) => newClient({ ws, tokenApp: app.url, room, name });

  const ann = client("Ann");
  const ben = client("Ben");
  await join(ann);
  await join(ben);
  await converged([ann, ben], "initial state");
  ann.resetStats();
  ben.resetStats();

  const started = Date.now();
  for (let i = 0; i < EDITS; i++) {
    smallEdit(ann, rand);
    if (i % 50 === 49) await tick();
  }
  await converged([ann, ben], `${EDITS} edits`);
  const editMs = Date.now() - started;
  const edits = {
    sent: ann.stats.sent,
    relayedToBen: ben.stats.relayed,
    framesToBen: ben.stats.relayedFrames,
    maxFrameToBen: ben.stats.maxRelayed,
    echoedToAnn: ann.stats.echoed,
    ms: editMs,
  };

  const cat = client("Cat");
  let received = 0;
  cat.event("$storageReceived", (env) => (received = env.data.state.length));
  await join(cat);
  if (!sameDoc(ann, cat)) throw new Error("Cat's document differs from Ann's on load");
  await until([cat], "others", () => cat.getOthers().length === 2, "Cat to see Ann and Ben");

  const json = canonicalJson(ann.getStorageJson());
  for (const c of [ann, ben, cat]) c.disconnect();
  checkHealthy([ann, ben, cat]);

  const dan = client("Dan");
  await join(dan);
  if (canonicalJson(dan.getStorageJson()) !== json) {
    throw new Error("Dan's document differs after everyone had left");
  }
  checkHealthy([dan]);
  dan.disconnect();
  await app.close();
  return { room, seed, edits, lateJoinerStateBase64: received, jsonBytes: json.length };
});
