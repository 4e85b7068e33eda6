// Minting pluv room tokens as HS256 JWTs with Node's crypto only.
//
// caddy-pluv accepts HS256 tokens carrying the claims pluv puts in its own tokens (room, sub,
// user, iat, exp, jti), so any app that can compute an HMAC can let its users into a room.
import { createHmac, randomUUID } from "node:crypto";

/** Lifetime of a token in seconds when none is given (pluv's default). */
export const DEFAULT_MAX_AGE_S = 60_000;

/** Room ids the server accepts: letters and digits, with - and _ only inside. */
export const ROOM_PATTERN = /^[a-z0-9](?:[a-z0-9_-]*[a-z0-9])?$/i;

function base64url(input) {
  return Buffer.from(input).toString("base64url");
}

/**
 * Mints a compact HS256 JWT for one user in one room.
 * @param {string} secret the shared secret configured in the Caddyfile (`auth { secret … }`)
 * @param {{room: string, user: {id: string}, maxAge?: number, now?: number}} claims
 *   maxAge in seconds; now in epoch milliseconds (for tests)
 * @returns {string}
 */
export function mintToken(secret, { room, user, maxAge = DEFAULT_MAX_AGE_S, now = Date.now() }) {
  if (!secret) throw new Error("mint token: empty secret");
  if (typeof user?.id !== "string" || user.id === "") throw new Error("mint token: no user id");
  const iat = Math.floor(now / 1000);
  const claims = {
    room,
    sub: room ? `${room}|${user.id}` : user.id,
    user,
    iat,
    exp: iat + maxAge,
    jti: randomUUID(),
  };
  const head = base64url(JSON.stringify({ alg: "HS256", typ: "JWT" }));
  const body = base64url(JSON.stringify(claims));
  const sig = createHmac("sha256", secret).update(`${head}.${body}`).digest("base64url");
  return `${head}.${body}.${sig}`;
}
