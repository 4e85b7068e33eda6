// Helpers shared by the interop scripts: rooms on a real server, the demo token app as the
// auth endpoint, bounded waits, a seeded random source and byte counters.
import { createServer } from "node:http";

import WebSocket from "ws";
import * as Y from "yjs";

import { fromBase64 } from "../lib/base64.mjs";
import { createRoom } from "../lib/pluv-client.mjs";
import { handle } from "../tokenapp/server.mjs";

/** Reads the required environment: PLUV_WS (ws://host:port/path) and PLUV_SECRET. */
export function config() {
  const ws = process.env.PLUV_WS;
  const secret = process.env.PLUV_SECRET;
  if (!ws || !secret) throw new Error("PLUV_WS and PLUV_SECRET must be set");
  return { ws, secret };
}

/** Starts the demo token app on 127.0.0.1 and a free port; returns its base URL and close. */
export async function startTokenApp(secret) {
  const server = createServer((req, res) => handle(secret, req, res));
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/**
 * A client in room id under name, with counters: `sent` (bytes of local Yjs updates, i.e.
 * what it sends as $updateStorage), `relayed` / `relayedFrames` / `maxRelayed` (decoded
 * $storageUpdated bytes from other sessions) and `echoed` (those echoing its own updates).
 */
export function newClient({ ws, tokenApp, room, name }) {
  const client = createRoom(room, {
    wsEndpoint: `${ws}?room=${encodeURIComponent(room)}`,
    authEndpoint: `${tokenApp}/token?room=${encodeURIComponent(room)}&name=${name}`,
    WebSocket,
    initialPresence: { name, cursor: null },
    initialStorage: (doc) => ({
      text: doc.getText("text"),
      map: doc.getMap("map"),
      list: doc.getArray("list"),
    }),
    // Pings every 5 s instead of 10 s so a late $pong shows up within a short test; 4 s
    // (not the real 2 s) tolerates a Node event loop stalled by a loaded test machine.
    heartbeatMs: 5_000,
    pongTimeoutMs: 4_000,
  });
  const stats = { name, sent: 0, relayed: 0, relayedFrames: 0, maxRelayed: 0, echoed: 0 };
  const closes = []; // close codes of sockets the server closed (the client reconnects)
  client.subscribe("ws:close", (ev) => closes.push(ev.code));
  client.doc.on("update", (update, origin) => {
    if (origin === null || origin === undefined) stats.sent += update.length;
  });
  client.event("$storageUpdated", (env) => {
    const n = fromBase64(env.data.state).length;
    if (env.connectionId === client.getConnection().id) {
      stats.echoed += n;
      return;
    }
    stats.relayed += n;
    stats.relayedFrames += 1;
    stats.maxRelayed = Math.max(stats.maxRelayed, n);
  });
  client.event("$error", (env) => client.violations.push(`$error: ${env.data?.message}`));
  client.stats = stats;
  client.closes = closes;
  client.resetStats = () =>
    Object.assign(stats, { sent: 0, relayed: 0, relayedFrames: 0, maxRelayed: 0, echoed: 0 });
  return client;
}

/** Resolves once predicate() holds, re-checking whenever one of the rooms fires kind. */
export function until(rooms, kind, predicate, label, timeoutMs = 30_000) {
  return new Promise((resolve, reject) => {
    const offs = [];
    const done = (err) => {
      clearTimeout(timer);
      for (const off of offs) off();
      if (err) reject(err);
      else resolve();
    };
    const timer = setTimeout(() => done(new Error(`timed out waiting for ${label}`)), timeoutMs);
    const check = () => {
      try {
        if (predicate()) done();
      } catch (err) {
        done(err);
      }
    };
    for (const room of rooms) offs.push(room.subscribe(kind, check));
    check();
  });
}

/** Connects a client and waits for its storage to load. */
export async function join(client) {
  await client.connect();
  const label = `${client.stats.name} storage`;
  await until([client], "storage-loaded", () => client.getStorageLoaded(), label);
}

/** Whether two docs hold the same operations and the same JSON. */
export function sameDoc(a, b) {
  const sa = Y.encodeStateVector(a.doc);
  const sb = Y.encodeStateVector(b.doc);
  if (Buffer.compare(Buffer.from(sa), Buffer.from(sb)) !== 0) return false;
  const ta = a.getStorage("text");
  const tb = b.getStorage("text");
  if (ta.length !== tb.length) return false;
  return canonicalJson(a.getStorageJson()) === canonicalJson(b.getStorageJson());
}

/** JSON with object keys sorted: Y.Map key order follows arrival order, which differs. */
export function canonicalJson(value) {
  return JSON.stringify(value, (_key, v) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]]))
      : v,
  );
}

/** Waits until every client's doc equals the first one's. */
export function converged(clients, label, timeoutMs) {
  const [first, ...rest] = clients;
  return until(clients, "storage", () => rest.every((c) => sameDoc(first, c)), label, timeoutMs);
}

/** A small seeded PRNG (mulberry32), so a failing run can be replayed. */
export function random(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n characters of lower-case text. */
export function letters(rand, n) {
  const out = new Array(n);
  for (let i = 0; i < n; i++) out[i] = String.fromCharCode(97 + Math.floor(rand() * 26));
  return out.join("");
}

/** One small random edit: text insert/delete, a map set or a list change. */
export function smallEdit(client, rand) {
  const text = client.getStorage("text");
  const r = rand();
  if (r < 0.5 || text.length === 0) {
    text.insert(Math.floor(rand() * (text.length + 1)), letters(rand, 1 + Math.floor(rand() * 4)));
  } else if (r < 0.7) {
    const at = Math.floor(rand() * text.length);
    text.delete(at, Math.min(3, text.length - at));
  } else if (r < 0.85) {
    client.getStorage("map").set(`k${Math.floor(rand() * 50)}`, Math.floor(rand() * 1000));
  } else {
    const list = client.getStorage("list");
    if (list.length > 0 && rand() < 0.3) list.delete(Math.floor(rand() * list.length), 1);
    else list.insert(Math.floor(rand() * (list.length + 1)), [Math.floor(rand() * 100)]);
  }
}

/** Lets queued socket traffic flow. */
export function tick() {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Fails when a client saw a frame the real client would choke on, missed a pong, or had its
 * socket closed by the server (which would make it reconnect and resync in one big frame).
 */
export function checkHealthy(clients) {
  for (const c of clients) {
    if (c.violations.length) throw new Error(`${c.stats.name}: ${c.violations.join("; ")}`);
    if (c.pongTimeouts) throw new Error(`${c.stats.name}: ${c.pongTimeouts} pong timeouts`);
    if (c.closes?.length) throw new Error(`${c.stats.name}: server closed with ${c.closes}`);
  }
}

/** Runs main, prints its result as one JSON line, and exits 0, or 1 with the error. */
export async function run(main) {
  const started = Date.now();
  try {
    const result = await main();
    console.log(JSON.stringify({ ok: true, ms: Date.now() - started, ...result }));
    process.exit(0);
  } catch (err) {
    console.error(err?.stack ?? String(err));
    console.log(JSON.stringify({ ok: false, ms: Date.now() - started, error: String(err) }));
    process.exit(1);
  }
}
