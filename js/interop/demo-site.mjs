// Drives the demo site (testdata/Caddyfile) the way the demo page does, with both token
// paths: alice through basic_auth + pluv_token, Zed through the token app behind
// reverse_proxy. Checks users, presence, the seed's two events and their validation,
// strict_events, storage, and the plain HTTP routes. Prints one JSON line.
//
// Env: DEMO_URL (e.g. http://localhost:PORT).
import WebSocket from "ws";

import { createRoom } from "../lib/pluv-client.mjs";
import { checkHealthy, run, until } from "./lib.mjs";

const basic = (user, pass) => `Basic ${Buffer.from(`${user}:${pass}`).toString("base64")}`;

function client(base, room, name, authEndpoint) {
  const c = createRoom(room, {
    wsEndpoint: `${base.replace(/^http/, "ws")}/api/pluv/room?room=${room}`,
    authEndpoint,
    WebSocket,
    initialPresence: { cursor: null },
    initialStorage: (doc) => ({ text: doc.getText("text") }),
  });
  c.stats = { name };
  return c;
}

/** Resolves with the next frame of type that room receives. */
function next(room, type) {
  return new Promise((resolve) => {
    const off = room.event(type, (env) => {
      off();
      resolve(env);
    });
  });
}

function expect(cond, what) {
  if (!cond) throw new Error(`expected ${what}`);
}

run(async () => {
  const base = process.env.DEMO_URL;
  if (!base) throw new Error("DEMO_URL must be set");
  const room = `site-${process.pid}`;
  const authorize = `${base}/api/pluv/authorize?room=${room}`;

  const page = await fetch(`${base}/`);
  expect(page.status === 200 && (await page.text()).includes("caddy-pluv demo"), "the page");
  const plain = await fetch(`${base}/api/pluv/room?room=${room}`);
  expect(plain.status === 426, `426 for a plain GET of the room endpoint, got ${plain.status}`);
  const refused = await fetch(authorize, { headers: { Authorization: basic("alice", "nope") } });
  expect(refused.status === 401, `401 for a wrong password, got ${refused.status}`);

  const alice = client(base, room, "alice", () => ({
    url: authorize,
    options: { headers: { Authorization: basic("alice", "alice-demo") } },
  }));
  const zed = client(base, room, "Zed", `${base}/tokenapp/token?room=${room}&name=Zed`);
  for (const c of [alice, zed]) {
    await c.connect();
    await until([c], "storage-loaded", () => c.getStorageLoaded(), `${c.stats.name} storage`);
  }
  await until([alice, zed], "others", () => alice.getOthers().length === 1 &&
    zed.getOthers().length === 1, "each to see the other");
  const users = { alice: zed.getOthers()[0].user, zed: alice.getOthers()[0].user };
  expect(JSON.stringify(users.alice) === '{"id":"alice","name":"alice"}', "alice's user");
  expect(JSON.stringify(users.zed) === '{"id":"app:zed","name":"Zed"}', "Zed's user");

  alice.updateMyPresence({ cursor: { x: 12, y: 34 } });
  await until([zed], "others", () => zed.getOthers()[0]?.presence.cursor?.x === 12, "cursor");

  let got = next(zed, "MESSAGE_RECEIVED");
  alice.broadcast("SEND_MESSAGE", { message: "hello", extra: "dropped" });
  const msg = await got;
  expect(msg.data.message === "hello" && msg.data.extra === undefined, "the message");
  expect(msg.data.sender?.id === "alice" && typeof msg.data.at === "number", "sender and time");
  expect(msg.user?.id === "alice", "the sender's user on the envelope");

  const emoji = next(alice, "EMOJI_RECEIVED");
  zed.broadcast("EMIT_EMOJI", { emojiCode: 0x1f389 });
  expect((await emoji).data.emojiCode === 0x1f389, "the emoji");

  const tooLong = next(alice, "$error");
  got = next(zed, "MESSAGE_RECEIVED");
  alice.broadcast("SEND_MESSAGE", { message: "x".repeat(501) });
  await tooLong;
  const undefinedEvent = next(alice, "$error");
  alice.broadcast("NOT_DEFINED", {});
  await undefinedEvent;
  alice.broadcast("SEND_MESSAGE", { message: "after" });
  expect((await got).data.message === "after", "the refused message not to be relayed");

  alice.getStorage("text").insert(0, "shared");
  await until([zed], "storage", () => zed.getStorage("text").toString() === "shared", "text");

  checkHealthy([alice, zed]);
  alice.disconnect();
  zed.disconnect();
  return { room, users };
});
