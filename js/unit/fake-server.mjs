// A scripted stand-in for a pluv server, for unit tests of our client: each socket's frames
// are queued and awaited by type, and the test writes the server's frames by hand.
import { WebSocketServer } from "ws";

/** One accepted socket with a queue of decoded client frames. */
class FakeSession {
  frames = [];
  #waiters = [];

  constructor(ws, url) {
    this.ws = ws;
    this.url = url;
    this.closed = new Promise((resolve) => ws.on("close", (code) => resolve(code)));
    ws.on("message", (data, isBinary) => {
      const frame = { text: data.toString(), isBinary, msg: JSON.parse(data.toString()) };
      this.frames.push(frame);
      this.#waiters = this.#waiters.filter((w) => !w(frame));
    });
  }

  /** Resolves with the next (or an already received, not yet taken) frame of that type. */
  next(type) {
    const i = this.frames.findIndex((f) => f.msg.type === type && !f.taken);
    if (i >= 0) {
      this.frames[i].taken = true;
      return Promise.resolve(this.frames[i].msg);
    }
    return new Promise((resolve) => {
      this.#waiters.push((frame) => {
        if (frame.taken || frame.msg.type !== type) return false;
        frame.taken = true;
        resolve(frame.msg);
        return true;
      });
    });
  }

  /** Sends a server envelope. */
  send(type, data, extra = {}) {
    this.ws.send(JSON.stringify({ type, data, room: "r", user: null, ...extra }));
  }
}

/** Starts a fake server on 127.0.0.1 and a free port; sessions() yields accepted sockets. */
export async function startFakeServer() {
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise((resolve) => wss.on("listening", resolve));
  const pending = [];
  const waiting = [];
  wss.on("connection", (ws, req) => {
    const session = new FakeSession(ws, new URL(req.url, "http://x"));
    const w = waiting.shift();
    if (w) w(session);
    else pending.push(session);
  });
  return {
    url: `ws://127.0.0.1:${wss.address().port}/room?room=r`,
    accept: () =>
      pending.length ? Promise.resolve(pending.shift()) : new Promise((r) => waiting.push(r)),
    close: () =>
      new Promise((resolve) => {
        for (const ws of wss.clients) ws.terminate();
        wss.close(resolve);
      }),
  };
}

/** Resolves when predicate() holds after one of room's subscriptions of kind fires. */
export function until(room, kind, predicate) {
  if (predicate()) return Promise.resolve();
  return new Promise((resolve) => {
    const off = room.subscribe(kind, () => {
      if (!predicate()) return;
      off();
      resolve();
    });
  });
}
