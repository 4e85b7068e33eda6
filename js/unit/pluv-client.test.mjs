// Unit tests of js/lib/pluv-client.mjs against a scripted fake server (no Caddy needed).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import WebSocket from "ws";
import * as Y from "yjs";

import { fromBase64, toBase64 } from "../lib/base64.mjs";
import { createRoom } from "../lib/pluv-client.mjs";
import { startFakeServer, until } from "./fake-server.mjs";

let server;
before(async () => {
  server = await startFakeServer();
});
after(() => server.close());

function newRoom(extra = {}) {
  return createRoom("r", {
    wsEndpoint: server.url,
    WebSocket,
    initialPresence: { cursor: null },
    initialStorage: (doc) => ({ text: doc.getText("text") }),
    ...extra,
  });
}

const alice = { id: "alice", name: "Alice" };
const bob = { id: "bob", name: "Bob" };

/** Runs the server side of the handshake for a new room; returns the fake session. */
async function handshake(room, { id = "p_A", user = alice, state = null } = {}) {
  await room.connect();
  const s = await server.accept();
  s.send("$registered", { presence: null, sessionId: id, state, timers: { presence: null } }, {
    connectionId: id,
    user,
  });
  const init = await s.next("$initializeSession");
  const kind = state === null ? "initialized" : "unchanged";
  s.send("$storageReceived", { changeKind: kind, state: state ?? init.data.update }, {
    connectionId: id,
    user,
  });
  const joined = { connectionId: id, user, presence: init.data.presence, timers: {} };
  s.send("$userJoined", joined, { connectionId: id, user });
  await s.next("$getOthers");
  return { s, init, initialized: await s.next("$updateStorage") };
}

test("handshake: initial state, $initialized echo, $getOthers", async () => {
  const room = newRoom();
  const { s, init, initialized } = await handshake(room);
  assert.equal(s.url.searchParams.get("room"), "r");
  assert.deepEqual(init.data.presence, { cursor: null });
  const fresh = new Y.Doc();
  Y.applyUpdate(fresh, fromBase64(init.data.update));
  assert.match(fresh.getText("__$pluv").toString(), /^[0-9a-f-]{36}$/);
  assert.equal(initialized.data.origin, "$initialized");
  assert.equal(room.getConnection().state, "open");
  assert.ok(room.getStorageLoaded());
  assert.deepEqual(room.getStorageJson(), { text: "" });
  assert.equal(room.getMyself().connectionId, "p_A");
  assert.deepEqual(room.violations, []);
  room.disconnect();
  assert.equal(await s.closed, 1005);
});

test("storage: local edits are sent, remote ones applied and not echoed", async () => {
  const room = newRoom();
  const { s } = await handshake(room);
  room.getStorage("text").insert(0, "hello");
  const sent = await s.next("$updateStorage");
  assert.equal(sent.data.origin, null);
  const peer = new Y.Doc();
  Y.applyUpdate(peer, fromBase64(sent.data.update));
  assert.equal(peer.getText("text").toString(), "hello");

  const remote = new Y.Doc();
  Y.applyUpdate(remote, Y.encodeStateAsUpdate(room.doc));
  remote.getText("text").insert(5, " world");
  const delta = Y.encodeStateAsUpdate(remote, Y.encodeStateVector(room.doc));
  s.send("$storageUpdated", { state: toBase64(delta) }, { connectionId: "p_B", user: bob });
  await until(room, "storage", () => room.getStorage("text").toString() === "hello world");
  room.getStorage("text").insert(0, ">");
  const next = await s.next("$updateStorage");
  const echo = new Y.Doc();
  Y.applyUpdate(echo, fromBase64(next.data.update));
  assert.equal(echo.getText("text").toString(), "", "only the local '>' edit was sent");
  assert.equal(s.frames.filter((f) => f.msg.type === "$updateStorage").length, 3);
  room.disconnect();
});

test("others: grouped by user, presence patched, removed on last exit", async () => {
  const room = newRoom();
  const { s } = await handshake(room);
  const other = (id, presence) => ({
    connectionId: id,
    presence,
    room: "r",
    timers: {},
    user: bob,
  });
  s.send("$othersReceived", { others: { p_B1: other("p_B1", { cursor: { x: 1 } }) } }, {
    connectionId: "p_A",
    user: alice,
  });
  await until(room, "others", () => room.getOthers().length === 1);
  const joined = { connectionId: "p_B2", user: bob, presence: { cursor: null }, timers: {} };
  s.send("$userJoined", joined, { connectionId: "p_B2", user: bob });
  const patch = { presence: { cursor: { x: 7 } }, timers: { presence: 1 } };
  s.send("$presenceUpdated", patch, { connectionId: "p_B2", user: bob });
  await until(room, "others", () => room.getOthers()[0]?.presence.cursor?.x === 7);
  assert.equal(room.getOthers().length, 1, "two sessions of bob are one other");
  s.send("$exit", { sessionId: "p_B1" }, { connectionId: "p_B1", user: bob });
  await until(room, "others", () => true);
  assert.equal(room.getOthers().length, 1, "bob still has p_B2");
  s.send("$exit", { sessionId: "p_B2" }, { connectionId: "p_B2", user: bob });
  await until(room, "others", () => room.getOthers().length === 0);
  room.disconnect();
});

test("presence: patch sent, size limit enforced, my other tab merged", async () => {
  const room = newRoom();
  const { s } = await handshake(room);
  room.updateMyPresence({ cursor: { x: 3, y: 4 } });
  const sent = await s.next("$updatePresence");
  assert.deepEqual(sent.data, { presence: { cursor: { x: 3, y: 4 } } });
  assert.throws(() => room.updateMyPresence({ big: "x".repeat(600) }), /over the 512 limit/);
  const tab = { connectionId: "p_A2", user: alice, presence: null, timers: {} };
  s.send("$userJoined", tab, { connectionId: "p_A2", user: alice });
  s.send("$presenceUpdated", { presence: { cursor: { x: 9 } } }, {
    connectionId: "p_A2",
    user: alice,
  });
  await until(room, "my-presence", () => room.getMyPresence().cursor?.x === 9);
  assert.equal(room.getOthers().length, 0, "my own other tab is not an other");
  room.disconnect();
});

test("custom events: sent as {data,type}, received as whole envelopes", async () => {
  const room = newRoom();
  const { s } = await handshake(room);
  const got = new Promise((resolve) => room.event("MESSAGE_RECEIVED", resolve));
  room.broadcast("SEND_MESSAGE", { message: "hi" });
  const frame = s.frames.find((f) => f.msg.type === "SEND_MESSAGE");
  const text = frame?.text ?? (await s.next("SEND_MESSAGE"), s.frames.at(-1).text);
  assert.equal(text, '{"data":{"message":"hi"},"type":"SEND_MESSAGE"}');
  s.send("MESSAGE_RECEIVED", { message: "hi" }, { connectionId: "p_A", user: alice });
  const env = await got;
  assert.deepEqual(env.data, { message: "hi" });
  assert.equal(env.connectionId, "p_A");
  room.disconnect();
});

test("close codes: 1012 reconnects at once, 1000 is final", async () => {
  let fetches = 0;
  const room = newRoom({
    authEndpoint: "http://127.0.0.1:1/auth",
    fetch: async () => new Response(`  tok+en/${++fetches}=\n`, { status: 200 }),
  });
  const { s } = await handshake(room);
  assert.equal(s.url.searchParams.get("token"), encodeURIComponent("tok+en/1="));
  s.ws.close(1012, "restart");
  const s2 = await server.accept();
  assert.equal(s2.url.searchParams.get("token"), encodeURIComponent("tok+en/2="));
  await until(room, "connection", () => room.getConnection().state === "open");
  s2.ws.close(1000, "bye");
  await until(room, "connection", () => room.getConnection().state === "closed");
  assert.equal(fetches, 2);
});

test("auth failure: not 200 ⇒ unavailable and onAuthorizationFail", async () => {
  const failed = [];
  const room = newRoom({
    authEndpoint: () => ({ url: "http://127.0.0.1:1/auth", options: { method: "POST" } }),
    fetch: async (_url, options) => {
      assert.equal(options.method, "POST");
      return new Response("tok", { status: 201 });
    },
    onAuthorizationFail: (err) => failed.push(err.message),
    authRetryMs: 3_600_000,
  });
  await room.connect();
  assert.deepEqual(failed, ["Room is unauthorized"]);
  assert.equal(room.getConnection().state, "unavailable");
  room.disconnect();
});

test("heartbeat: pings answered keep it open; a missed pong is counted", async () => {
  const room = newRoom({ heartbeatMs: 100, pongTimeoutMs: 50 });
  const { s } = await handshake(room);
  const ping = await s.next("$ping");
  assert.deepEqual(ping, { type: "$ping", data: {} });
  assert.equal(s.frames.find((f) => f.msg.type === "$ping").text, '{"type":"$ping","data":{}}');
  s.send("$pong", {});
  const timedOut = new Promise((resolve) => room.subscribe("pong-timeout", resolve));
  assert.equal(await timedOut, 1);
  assert.equal(await s.closed, 1005);
  const s2 = await server.accept(); // it came back
  room.disconnect();
  await s2.closed;
});

test("violations: frames the real client would drop or choke on", async () => {
  const room = newRoom();
  await room.connect();
  const s = await server.accept();
  s.send("$storageUpdated", { state: "AAA=" }, { connectionId: "p_A" });
  s.send("$registered", { presence: null, sessionId: "p_A", state: null, timers: {} });
  s.ws.send(JSON.stringify({ type: "X", data: "text" }));
  s.ws.send(Buffer.from("{}"), { binary: true });
  s.send("$storageUpdated", { state: "" }, { connectionId: "p_A" });
  await until(room, "violation", () => room.violations.length >= 5);
  assert.deepEqual(room.violations.slice(0, 5), [
    "$storageUpdated before $storageReceived",
    "$registered without connectionId",
    'frame dropped: {"type":"X","data":"text"}',
    "binary frame",
    "$storageUpdated before $storageReceived",
  ]);
  await until(room, "violation", () => room.violations.length >= 6);
  assert.match(room.violations[5], /empty state/);
  room.disconnect();
});
