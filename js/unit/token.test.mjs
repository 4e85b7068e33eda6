// Tests of the demo token app: the tokens it mints and the answers it gives.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { test } from "node:test";

import { handle, userFor } from "../tokenapp/server.mjs";
import { mintToken } from "../tokenapp/token.mjs";

function decode(token) {
  const [head, body, sig] = token.split(".");
  return {
    head: JSON.parse(Buffer.from(head, "base64url")),
    claims: JSON.parse(Buffer.from(body, "base64url")),
    signed: `${head}.${body}`,
    sig,
  };
}

test("mintToken signs pluv's claims with HS256", () => {
  const now = 1_718_000_000_123;
  const token = mintToken("s3cret", { room: "my-room", user: { id: "u1", name: "Ann" }, now });
  const { head, claims, signed, sig } = decode(token);
  assert.deepEqual(head, { alg: "HS256", typ: "JWT" });
  assert.deepEqual(Object.keys(claims), ["room", "sub", "user", "iat", "exp", "jti"]);
  assert.equal(claims.room, "my-room");
  assert.equal(claims.sub, "my-room|u1");
  assert.deepEqual(claims.user, { id: "u1", name: "Ann" });
  assert.equal(claims.iat, 1_718_000_000);
  assert.equal(claims.exp, 1_718_000_000 + 60_000);
  assert.match(claims.jti, /^[0-9a-f-]{36}$/);
  const want = createHmac("sha256", Buffer.from("s3cret")).update(signed).digest("base64url");
  assert.equal(sig, want);
  const other = createHmac("sha256", "other").update(signed).digest("base64url");
  assert.notEqual(sig, other);
});

test("mintToken refuses an empty secret or a user without id", () => {
  assert.throws(() => mintToken("", { room: "r", user: { id: "u" } }), /empty secret/);
  assert.throws(() => mintToken("s", { room: "r", user: { name: "x" } }), /no user id/);
});

test("userFor", async (t) => {
  const cases = [
    ["plain", "Ann", { id: "app:ann", name: "Ann" }],
    ["trimmed and squeezed", "  Ann   Lee ", { id: "app:ann lee", name: "Ann Lee" }],
    ["empty", "   ", null],
    ["control character", "a\u0007b", null],
    ["too long", "x".repeat(41), null],
    ["forty emoji are fine", "😀".repeat(40), { id: `app:${"😀".repeat(40)}`, name: "😀".repeat(40) }],
  ];
  for (const [name, input, want] of cases) {
    await t.test(name, () => assert.deepEqual(userFor(input), want));
  }
});

function call(url, method = "GET") {
  const res = { status: 0, headers: {}, body: "" };
  handle("k", { url, method }, {
    writeHead(status, headers) {
      res.status = status;
      res.headers = headers;
    },
    end(body) {
      res.body = body;
    },
  });
  return res;
}

test("handle", async (t) => {
  const cases = [
    ["token", "/token?room=demo&name=Bob", 200],
    ["bad room", "/token?room=-bad&name=Bob", 400],
    ["no room", "/token?name=Bob", 400],
    ["long room", `/token?room=${"a".repeat(129)}&name=Bob`, 400],
    ["no name", "/token?room=demo", 400],
    ["health", "/healthz", 200],
    ["unknown path", "/nope", 404],
  ];
  for (const [name, url, status] of cases) {
    await t.test(name, () => assert.equal(call(url).status, status));
  }
  await t.test("POST refused", () => assert.equal(call("/token", "POST").status, 405));
  await t.test("body is the bare token", () => {
    const res = call("/token?room=demo&name=Bob");
    assert.equal(res.headers["content-type"], "text/plain; charset=utf-8");
    const { claims } = decode(res.body);
    assert.deepEqual(claims.user, { id: "app:bob", name: "Bob" });
    assert.equal(claims.room, "demo");
  });
});
