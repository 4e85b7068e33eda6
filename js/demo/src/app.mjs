// The caddy-pluv demo page: live cursors (presence), a chat and emoji (custom events), and a
// shared text (Yjs storage), all through Caddy. Plain DOM, no framework.
import { createRoom } from "../../lib/pluv-client.mjs";
import { bindTextarea } from "./textarea.mjs";

const $ = (sel) => document.querySelector(sel);
const EMOJI = ["👍", "❤️", "🎉", "😂", "🔥", "👀"];

let room = null;
let unbindText = null;

/** A stable colour per user (or session when anonymous). */
function colourOf(key) {
  let h = 0;
  for (const ch of String(key)) h = (h * 31 + ch.codePointAt(0)) >>> 0;
  return `hsl(${h % 360} 70% 45%)`;
}

function nameOf(user, fallback = "anonymous") {
  return user?.name ?? user?.id ?? fallback;
}

function utf8Base64(text) {
  let bin = "";
  for (const b of new TextEncoder().encode(text)) bin += String.fromCharCode(b);
  return btoa(bin);
}

/**
 * Every other tab opened in this browser starts as bob, so that two windows are two
 * people without editing the form (the count lives in localStorage, shared by tabs).
 */
function suggestDemoUser(form) {
  try {
    const n = Number(localStorage.getItem("pluv-demo-tabs") ?? 0);
    localStorage.setItem("pluv-demo-tabs", String(n + 1));
    if (n % 2 === 1) {
      form.username.value = "bob";
      form.password.value = "bob-demo";
      form.name.value = "Dave";
    }
  } catch {
    // No storage (a private window, say): every tab starts as alice.
  }
}

/** The auth endpoint for the token path picked in the form. */
function authEndpoint(form) {
  if (form.path.value === "tokenapp") {
    const name = form.name.value;
    return ({ room: id }) =>
      `/tokenapp/token?room=${encodeURIComponent(id)}&name=${encodeURIComponent(name)}`;
  }
  const basic = utf8Base64(`${form.username.value}:${form.password.value}`);
  return ({ room: id }) => ({
    url: `/api/pluv/authorize?room=${encodeURIComponent(id)}`,
    // "omit" keeps the browser from popping up its own login box on a wrong password.
    options: { credentials: "omit", headers: { Authorization: `Basic ${basic}` } },
  });
}

function join(form) {
  const id = form.room.value.trim() || "demo";
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  room = createRoom(id, {
    wsEndpoint: `${scheme}://${location.host}/api/pluv/room?room=${encodeURIComponent(id)}`,
    authEndpoint: authEndpoint(form),
    initialPresence: { cursor: null },
    initialStorage: (doc) => ({ text: doc.getText("text") }),
    onAuthorizationFail: (err) => showState(`token refused: ${err.message}`, "bad"),
  });
  room.subscribe("connection", (c) => showState(c.state, c.state === "open" ? "ok" : "wait"));
  room.subscribe("others", renderPeople);
  room.subscribe("myself", renderPeople);
  room.subscribe("storage-loaded", onStorageLoaded);
  room.subscribe("ws:close", (ev) => ev.code >= 3000 && note(`closed: ${ev.code} ${ev.reason}`));
  room.event("MESSAGE_RECEIVED", onMessage);
  room.event("EMOJI_RECEIVED", onEmoji);
  room.event("$error", (env) => note(`server: ${env.data?.message}`));
  $("#room-name").textContent = id;
  document.body.classList.add("joined");
  room.connect();
}

function leave() {
  unbindText?.();
  unbindText = null;
  room?.disconnect();
  room = null;
  document.body.classList.remove("joined");
  $("#cursors").replaceChildren();
  showState("left", "wait");
}

function showState(text, kind) {
  const el = $("#state");
  el.textContent = text;
  el.dataset.kind = kind;
}

function onStorageLoaded() {
  const box = $("#text");
  unbindText?.();
  unbindText = bindTextarea(room.getStorage("text"), box);
  box.disabled = false;
}

function renderPeople() {
  if (!room) return;
  const items = [];
  const me = room.getMyself();
  if (me) items.push(person(me, true));
  for (const other of room.getOthers()) items.push(person(other, false));
  $("#people").replaceChildren(...items);
  renderCursors();
}

function person(info, isMe) {
  const li = document.createElement("li");
  li.dataset.user = info.user?.id ?? info.connectionId;
  li.style.setProperty("--colour", colourOf(li.dataset.user));
  li.textContent = nameOf(info.user) + (isMe ? " (you)" : "");
  return li;
}

function renderCursors() {
  const layer = $("#cursors");
  const items = room.getOthers().filter((o) => o.presence?.cursor);
  layer.replaceChildren(
    ...items.map((o) => {
      const el = document.createElement("div");
      el.className = "cursor";
      el.dataset.user = o.user?.id ?? o.connectionId;
      el.style.setProperty("--colour", colourOf(el.dataset.user));
      el.style.transform = `translate(${o.presence.cursor.x}px, ${o.presence.cursor.y}px)`;
      el.textContent = nameOf(o.user);
      return el;
    }),
  );
}

function onMessage(env) {
  const who = nameOf(env.data?.sender ?? env.user);
  const at = typeof env.data?.at === "number" ? new Date(env.data.at) : new Date();
  addLine(who, String(env.data?.message ?? ""), at, env.user?.id ?? env.connectionId);
}

function onEmoji(env) {
  const code = Number(env.data?.emojiCode);
  if (!Number.isInteger(code) || code < 0 || code > 0x10ffff) return;
  const emoji = String.fromCodePoint(code);
  addLine(nameOf(env.user), emoji, new Date(), env.user?.id ?? env.connectionId, "emoji");
  const stage = $("#stage").getBoundingClientRect();
  const other = room.getOthers().find((o) => o.connectionId === env.connectionId);
  const at = other?.presence?.cursor ?? { x: Math.random() * stage.width, y: stage.height / 2 };
  const el = document.createElement("div");
  el.className = "emoji-float";
  el.textContent = emoji;
  el.style.left = `${at.x}px`;
  el.style.top = `${at.y}px`;
  el.addEventListener("animationend", () => el.remove());
  $("#cursors").after(el);
}

function addLine(who, text, at, key, kind = "message") {
  const li = document.createElement("li");
  li.className = kind;
  const name = document.createElement("b");
  name.textContent = who;
  name.style.color = colourOf(key);
  const time = document.createElement("time");
  time.textContent = at.toLocaleTimeString();
  li.append(name, " ", document.createTextNode(text), " ", time);
  $("#chat").append(li);
  li.scrollIntoView({ block: "nearest" });
}

function note(text) {
  addLine("system", text, new Date(), "system", "note");
}

function trackCursor() {
  const stage = $("#stage");
  let pending = null;
  stage.addEventListener("pointermove", (ev) => {
    const box = stage.getBoundingClientRect();
    const first = pending === null;
    pending = { x: Math.round(ev.clientX - box.left), y: Math.round(ev.clientY - box.top) };
    if (!first) return;
    requestAnimationFrame(() => {
      room?.updateMyPresence({ cursor: pending });
      pending = null;
    });
  });
  stage.addEventListener("pointerleave", () => room?.updateMyPresence({ cursor: null }));
}

function setup() {
  const form = $("#join");
  suggestDemoUser(form);
  const sync = () => (form.dataset.path = form.path.value);
  form.addEventListener("change", sync);
  sync();
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    join(form);
  });
  $("#leave").addEventListener("click", leave);
  $("#send").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const input = ev.target.message;
    if (!room || input.value.trim() === "") return;
    room.broadcast("SEND_MESSAGE", { message: input.value });
    input.value = "";
  });
  $("#emoji").replaceChildren(
    ...EMOJI.map((e) => {
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = e;
      const emojiCode = e.codePointAt(0);
      b.addEventListener("click", () => room?.broadcast("EMIT_EMOJI", { emojiCode }));
      return b;
    }),
  );
  trackCursor();
  showState("not connected", "wait");
  const params = new URLSearchParams(location.search);
  if (params.has("room")) form.room.value = params.get("room");
}

setup();
