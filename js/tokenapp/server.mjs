// The demo token app: a tiny HTTP service that lets a person into a room under a name they
// type, by minting an HS256 token for it. Caddy reverse_proxies /tokenapp/* here; it shows
// that any app behind reverse_proxy, in any language, can issue room tokens.
//
// Run: PLUV_SECRET=… node js/tokenapp/server.mjs   (TOKENAPP_PORT, default 8081)
// GET /token?room=<room>&name=<name>  → 200 text/plain <token>
// GET /healthz                        → 200 ok
import { createServer } from "node:http";
import { fileURLToPath } from "node:url";

import { mintToken, ROOM_PATTERN } from "./token.mjs";

const MAX_NAME = 40;

/** Turns a typed name into a stable user id, so the same name is the same user. */
export function userFor(name) {
  const clean = name.normalize("NFC").trim().replace(/\s+/g, " ");
  if (clean === "" || [...clean].length > MAX_NAME || /[\u0000-\u001f\u007f]/.test(clean)) {
    return null;
  }
  return { id: `app:${clean.toLowerCase()}`, name: clean };
}

/** Handles one request; exported so tests can drive it without a socket. */
export function handle(secret, req, res) {
  const url = new URL(req.url, "http://tokenapp.invalid");
  if (req.method !== "GET") return reply(res, 405, "method not allowed\n");
  if (url.pathname === "/healthz") return reply(res, 200, "ok\n");
  if (url.pathname !== "/token") return reply(res, 404, "not found\n");
  const room = url.searchParams.get("room") ?? "";
  if (room.length > 128 || !ROOM_PATTERN.test(room)) return reply(res, 400, "bad room\n");
  const user = userFor(url.searchParams.get("name") ?? "");
  if (!user) return reply(res, 400, `name must be 1-${MAX_NAME} printable characters\n`);
  return reply(res, 200, mintToken(secret, { room, user }));
}

function reply(res, status, body) {
  res.writeHead(status, {
    "content-type": "text/plain; charset=utf-8",
    "cache-control": "no-store",
  });
  res.end(body);
}

function main() {
  const secret = process.env.PLUV_SECRET ?? "";
  if (secret === "") {
    console.error("tokenapp: PLUV_SECRET is empty; refusing to mint tokens with no secret");
    process.exit(2);
  }
  const port = Number(process.env.TOKENAPP_PORT ?? 8081);
  const server = createServer((req, res) => handle(secret, req, res));
  server.listen(port, "127.0.0.1", () => {
    console.log(`tokenapp: listening on http://127.0.0.1:${server.address().port}`);
  });
  const stop = () => server.close(() => process.exit(0));
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

if (fileURLToPath(import.meta.url) === process.argv[1]) main();
