// A small client of the pluv.io wire protocol, for the browser and for Node.
//
// It behaves like @pluv/client 5 (PluvRoom) on the wire: the auth endpoint is fetched before
// every socket, the token goes into the socket URL, the handshake is client-driven
// ($registered → $initializeSession → $storageReceived → $updateStorage "$initialized"), others
// are grouped by user id, presence is shallow-merged, storage is a real Y.Doc kept in sync with
// base64 Yjs v1 updates, and it pings every 10 s. Pass the WebSocket constructor (the browser's,
// or `ws` in Node). Differences from the real client are marked "Unlike @pluv/client".
//
// Not handled: client-side event procedures (routers), publicKey, undo/redo and local update
// caching are absent, so apps needing them must use @pluv/client; and the browser's
// offline/online and tab-visibility events do not trigger a reconnect, so after a network
// drop the page waits for the socket's own close event before it comes back.
import * as Y from "yjs";

import { fetchToken } from "./auth.mjs";
import { fromBase64, toBase64 } from "./base64.mjs";
import { initialState, sharedTypes } from "./storage.mjs";
import { Users } from "./users.mjs";

const HEARTBEAT_MS = 10_000;
const PONG_TIMEOUT_MS = 2_000;
const AUTH_RETRY_MS = 60_000; // the real client's effective delay after a failed token fetch
const PRESENCE_MAX_BYTES = 512;
const RETRY_CLOSE_CODES = new Set([1001, 1006, 1011, 1012, 1013, 1014]);
const ORIGIN_INITIALIZED = "$initialized";
const ORIGIN_REMOTE = "$storageUpdated";
const PING = '{"type":"$ping","data":{}}';
const WS_OPEN = 1;

// Built-in messages the real client drops when the envelope has no connectionId.
const NEEDS_SESSION = new Set([
  "$registered",
  "$storageReceived",
  "$storageUpdated",
  "$userJoined",
  "$othersReceived",
  "$presenceUpdated",
  "$exit",
  "$syncStateReceived",
]);

/**
 * One room of a pluv server.
 *
 * Options: `wsEndpoint` (absolute ws:// URL, or `({room}) => url`; it must name the room),
 * `authEndpoint` (absent, `true`, a URL, or `({room}) => url | {url, options}`), `WebSocket`,
 * `fetch`, `initialPresence`, `initialStorage` (`(doc) => ({name: doc.getText(name), …})`),
 * `presenceMaxSize` (bytes, default 512, 0 = none), `onAuthorizationFail(error)`, and for tests
 * `heartbeatMs`, `pongTimeoutMs`, `authRetryMs`.
 */
export class PluvRoom {
  /** The room's Y.Doc; read shared types through getStorage once storage has loaded. */
  doc = new Y.Doc();
  /** Frames the real client would drop or choke on, as short sentences (for tests). */
  violations = [];
  /** How many times a $pong did not arrive in time. */
  pongTimeouts = 0;

  #opts;
  #users;
  #listeners = new Map(); // "kind:name" → Set of callbacks
  #ws = null;
  #conn = { state: "untouched", id: null, attempts: 0 };
  #storageState = "unavailable";
  #storage = null; // name → shared type, once initialised
  #sessionHasStorage = false; // this socket got $storageReceived
  #heartbeat = null;
  #pongTimer = null;
  #retryTimer = null;

  constructor(id, options) {
    this.id = id;
    this.#opts = {
      WebSocket: globalThis.WebSocket,
      fetch: globalThis.fetch?.bind(globalThis),
      initialStorage: () => ({}),
      presenceMaxSize: PRESENCE_MAX_BYTES,
      heartbeatMs: HEARTBEAT_MS,
      pongTimeoutMs: PONG_TIMEOUT_MS,
      authRetryMs: AUTH_RETRY_MS,
      ...options,
    };
    this.#users = new Users(this.#opts.initialPresence, this.#opts.presenceMaxSize);
    this.doc.on("update", (update, origin) => this.#onDocUpdate(update, origin));
  }

  /** Opens a socket unless one is open or opening. Resolves once the socket is created. */
  async connect() {
    if (!["closed", "unavailable", "untouched"].includes(this.#conn.state)) return;
    clearTimeout(this.#retryTimer);
    this.#setConnection({ state: "connecting" });
    let ws;
    try {
      const url = new URL(this.#endpoint(this.#opts.wsEndpoint));
      const token = await fetchToken(this.#opts.authEndpoint, this.id, this.#opts.fetch);
      if (token) url.searchParams.set("token", encodeURIComponent(token));
      if (this.#conn.state !== "connecting") return; // disconnect() was called meanwhile
      ws = new this.#opts.WebSocket(url.toString());
    } catch (err) {
      this.#conn.attempts += 1;
      this.#retryTimer = setTimeout(() => this.#reconnect(), this.#opts.authRetryMs);
      this.#storageState = "unavailable";
      this.#setConnection({ state: "unavailable" });
      this.#opts.onAuthorizationFail?.(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    this.#ws = ws;
    this.#storageState = "loading";
    this.#setConnection({ attempts: 0 });
    ws.addEventListener("open", (ev) => this.#onOpen(ws, ev));
    ws.addEventListener("message", (ev) => this.#onMessage(ws, ev));
    ws.addEventListener("close", (ev) => this.#onClose(ws, ev));
    ws.addEventListener("error", (ev) => this.#ws === ws && this.#emit("ws:error", ev));
  }

  /**
   * Closes the socket for good (no reconnect). The doc and my presence are kept. Unlike
   * @pluv/client it also cancels a pending retry after a failed token fetch.
   */
  disconnect() {
    clearTimeout(this.#retryTimer);
    if (this.#conn.state === "closed" || this.#conn.state === "untouched") return;
    this.#dropSocket();
    this.#storageState = this.#storageState === "synced" ? "offline" : "unavailable";
    this.#setConnection({ state: "closed" });
  }

  /** Sends a custom event {type, data}; dropped unless the socket is open, like the real one. */
  broadcast(type, data) {
    if (this.#conn.state !== "open") return;
    this.#send({ data, type });
  }

  /** Listens to every frame of one type (custom or built-in); gets the whole envelope. */
  event(type, callback) {
    return this.#on(`event:${type}`, callback);
  }

  /**
   * Subscribes to "connection", "myself", "my-presence", "others", "storage-loaded",
   * "storage" (every doc change, with its origin), or raw socket "ws:open", "ws:message",
   * "ws:close", "ws:error". Returns the unsubscribe function.
   */
  subscribe(kind, callback) {
    return this.#on(kind, callback);
  }

  /** Merges a patch into my presence and sends the patch. Throws over the size limit. */
  updateMyPresence(patch) {
    const next = typeof patch === "function" ? patch(this.getMyPresence()) : patch;
    const presence = this.#users.updateMine(next);
    this.#emit("my-presence", presence);
    if (this.#users.myself) this.#emit("myself", this.#users.myself);
    this.broadcast("$updatePresence", { presence: next });
  }

  getConnection() {
    return { ...this.#conn };
  }

  getMyPresence() {
    return this.#users.myPresence;
  }

  getMyself() {
    return this.#users.myself;
  }

  getOthers() {
    return this.#users.others();
  }

  /** A root shared type declared by initialStorage, or null before storage has loaded. */
  getStorage(name) {
    return this.#storage?.[name] ?? null;
  }

  /** The JSON of every declared shared type, or null before storage has loaded. */
  getStorageJson() {
    if (!this.#storage) return null;
    return Object.fromEntries(Object.entries(this.#storage).map(([k, t]) => [k, t.toJSON()]));
  }

  getStorageLoaded() {
    return this.#storageState === "synced" || this.#storageState === "offline";
  }

  // --- socket events ---

  #onOpen(ws, ev) {
    if (this.#ws !== ws) return;
    this.#emit("ws:open", ev);
    if (this.#conn.state !== "connecting") return;
    this.#setConnection({ state: "open" });
    clearInterval(this.#heartbeat);
    this.#heartbeat = setInterval(() => this.#ping(), this.#opts.heartbeatMs);
  }

  #onClose(ws, ev) {
    if (this.#ws !== ws) return;
    this.#emit("ws:close", ev);
    const retry = RETRY_CLOSE_CODES.has(ev.code);
    this.#dropSocket();
    this.#storageState = this.#storageState === "synced" ? "offline" : "unavailable";
    this.#setConnection({ state: retry ? "unavailable" : "closed" });
    if (retry) this.#reconnect();
  }

  #onMessage(ws, ev) {
    if (this.#ws !== ws) return;
    this.#emit("ws:message", ev);
    const msg = this.#parse(ev.data);
    if (!msg) return;
    if (NEEDS_SESSION.has(msg.type) && !msg.connectionId) {
      this.#violation(`${msg.type} without connectionId`);
      return;
    }
    try {
      this.#handle(msg);
    } catch (err) {
      this.#violation(`${msg.type}: ${err.message}`);
    }
    this.#emit(`event:${msg.type}`, msg);
  }

  #parse(data) {
    if (typeof data !== "string") {
      this.#violation("binary frame");
      return null;
    }
    let msg;
    try {
      msg = JSON.parse(data);
    } catch {
      this.#violation("frame is not JSON");
      return null;
    }
    const ok = msg && typeof msg === "object" && typeof msg.type === "string";
    if (!ok || typeof msg.data !== "object") {
      this.#violation(`frame dropped: ${data.slice(0, 80)}`);
      return null;
    }
    return msg;
  }

  #handle(msg) {
    switch (msg.type) {
      case "$pong":
        return clearTimeout(this.#pongTimer);
      case "$registered":
        return this.#onRegistered(msg);
      case "$storageReceived":
        return this.#onStorageReceived(msg.data);
      case "$storageUpdated":
        return this.#onStorageUpdated(msg.data);
      case "$userJoined":
        return this.#onUserJoined(msg);
      case "$othersReceived":
        return this.#onOthersReceived(msg.data);
      case "$presenceUpdated":
        return this.#onPresenceUpdated(msg);
      case "$exit":
        this.#users.remove(msg.connectionId);
        return this.#emit("others", this.getOthers());
      case "$syncStateReceived":
        return this.#onSyncState(msg.data);
      default:
    }
  }

  // --- handshake and storage ---

  #onRegistered(msg) {
    this.#setConnection({ id: msg.connectionId });
    this.#users.setMyself(msg.connectionId, msg.user ?? null, msg.data.presence);
    const presence = this.#users.myPresence;
    this.#emit("my-presence", presence);
    this.#emit("myself", this.#users.myself);
    this.#send({ type: "$initializeSession", data: { presence, update: initialState(this.#opts.initialStorage) } });
  }

  #onStorageReceived(data) {
    if (!["empty", "initialized", "unchanged"].includes(data.changeKind)) {
      this.#violation(`$storageReceived with changeKind ${JSON.stringify(data.changeKind)}`);
    }
    // Unlike @pluv/client, "empty" keeps the doc (that client swaps in a new empty one);
    // either way storage stays uninitialised.
    if (data.changeKind !== "empty") this.#loadState(data.state);
    this.#sessionHasStorage = true;
    this.#storageState = "synced";
    this.#emit("storage-loaded", true);
    const update = toBase64(Y.encodeStateAsUpdate(this.doc));
    this.#send({ type: "$updateStorage", data: { origin: ORIGIN_INITIALIZED, update } });
  }

  #loadState(state) {
    if (typeof state !== "string" || state === "") {
      this.#violation("$storageReceived without a state");
      return;
    }
    const bytes = fromBase64(state);
    if (this.#storage) {
      Y.applyUpdate(this.doc, bytes, ORIGIN_INITIALIZED);
      return;
    }
    if (this.doc.share.size > 0) {
      // The real client refuses to initialise over content and storage stays unusable.
      this.#violation("storage not initialised: the doc already had content");
      return;
    }
    Y.applyUpdate(this.doc, bytes, ORIGIN_INITIALIZED);
    this.#storage = sharedTypes(this.doc, this.#opts.initialStorage);
  }

  #onStorageUpdated(data) {
    if (!this.#sessionHasStorage) this.#violation("$storageUpdated before $storageReceived");
    if (typeof data.state !== "string" || data.state === "") {
      throw new Error("empty state (the real client's decoder throws)");
    }
    Y.applyUpdate(this.doc, fromBase64(data.state), ORIGIN_REMOTE);
  }

  #onDocUpdate(update, origin) {
    this.#emit("storage", { origin: origin ?? null });
    if (origin === ORIGIN_INITIALIZED || origin === ORIGIN_REMOTE) return;
    if (!this.#sessionHasStorage || !this.#conn.id) return;
    const data = { origin: origin ? String(origin) : null, update: toBase64(update) };
    this.#send({ type: "$updateStorage", data });
  }

  // --- people ---

  #onUserJoined(msg) {
    const me = this.#users.myself;
    if (!me) return;
    if (msg.connectionId === me.connectionId) {
      this.#send({ type: "$getOthers", data: {} });
      return;
    }
    this.#users.add(msg.connectionId, msg.data.user ?? null, msg.data.presence);
    this.#emit("others", this.getOthers());
  }

  #onOthersReceived(data) {
    if (!data?.others || typeof data.others !== "object") {
      throw new Error("others is not an object (the real client throws)");
    }
    for (const [id, other] of Object.entries(data.others)) {
      this.#users.add(id, other.user ?? null, other.presence);
      if (other.presence) this.#users.patch(id, other.presence);
    }
    this.#emit("others", this.getOthers());
  }

  #onPresenceUpdated(msg) {
    const me = this.#users.myself;
    if (me?.connectionId === msg.connectionId) return; // my own echo
    const clientId = this.#users.clientId(msg.connectionId);
    if (clientId === null) this.#users.add(msg.connectionId, msg.user ?? null, msg.data.presence);
    else this.#users.patch(msg.connectionId, msg.data.presence);
    if (me && clientId !== null && clientId === this.#users.clientId(me.connectionId)) {
      this.#emit("my-presence", this.#users.myPresence); // my other tab changed it
      return;
    }
    this.#emit("others", this.getOthers());
  }

  #onSyncState(data) {
    if (!this.#users.myself) return;
    const live = new Set(data?.connectionIds ?? []);
    for (const id of this.#users.sessionIds()) if (!live.has(id)) this.#users.remove(id);
    this.#emit("others", this.getOthers());
  }

  // --- connection plumbing ---

  #endpoint(ep) {
    return typeof ep === "function" ? ep({ room: this.id, metadata: {} }) : ep;
  }

  #ping() {
    clearTimeout(this.#pongTimer);
    this.#pongTimer = setTimeout(() => this.#onPongTimeout(), this.#opts.pongTimeoutMs);
    this.#send(PING);
  }

  // Unlike @pluv/client, which closes the socket and then stays "open" with no socket, this
  // client counts the miss and reconnects.
  #onPongTimeout() {
    this.pongTimeouts += 1;
    this.#emit("pong-timeout", this.pongTimeouts);
    this.#dropSocket();
    this.#setConnection({ state: "unavailable" });
    this.#reconnect();
  }

  #reconnect() {
    if (this.#conn.state === "closed") return;
    this.#dropSocket();
    this.connect();
  }

  /** Forgets the socket and everything tied to it (people, heartbeat, storage sync). */
  #dropSocket() {
    clearInterval(this.#heartbeat);
    clearTimeout(this.#pongTimer);
    const ws = this.#ws;
    this.#ws = null;
    this.#sessionHasStorage = false;
    this.#users.clear();
    this.#conn.id = null;
    this.#emit("myself", null);
    this.#emit("others", []);
    if (ws && ws.readyState <= WS_OPEN) ws.close();
  }

  #send(message) {
    const ws = this.#ws;
    if (!ws || ws.readyState !== WS_OPEN) return;
    ws.send(typeof message === "string" ? message : JSON.stringify(message));
  }

  #setConnection(patch) {
    Object.assign(this.#conn, patch);
    this.#emit("connection", this.getConnection());
  }

  #violation(text) {
    this.violations.push(text);
    this.#emit("violation", text);
  }

  #on(key, callback) {
    const set = this.#listeners.get(key) ?? new Set();
    set.add(callback);
    this.#listeners.set(key, set);
    return () => set.delete(callback);
  }

  #emit(key, value) {
    for (const callback of this.#listeners.get(key) ?? []) callback(value);
  }
}

/** Creates a room; see {@link PluvRoom} for the options. */
export function createRoom(id, options) {
  return new PluvRoom(id, options);
}
