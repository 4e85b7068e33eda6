// Two clients edit one room through the server (random small edits, then values of every
// JSON kind, nested types, deletes, an XML fragment and a root the server is not told
// about), converge, and read the room back from Caddy's admin API while still connected.
// Prints one JSON line with Ann's Y.Doc toJSON, the admin API's storage JSON and its room
// listing, for the caller to compare.
//
// Env: PLUV_WS (e.g. ws://127.0.0.1:PORT/room), PLUV_SECRET, PLUV_ADMIN (the admin
// endpoint's base URL, e.g. http://127.0.0.1:PORT), optional SEED.
import { get } from "node:http";

import * as Y from "yjs";

import {
  checkHealthy,
  config,
  converged,
  join,
  newClient,
  random,
  run,
  smallEdit,
  startTokenApp,
  tick,
} from "./lib.mjs";

/**
 * GETs path from the admin API, as curl would, and returns its JSON, failing on any other
 * status. (Not fetch: it sends Sec-Fetch-Mode, which makes Caddy's admin endpoint demand
 * an allowed Origin, as it does of browsers.)
 */
function adminGet(path) {
  return new Promise((resolve, reject) => {
    const req = get(`${process.env.PLUV_ADMIN}${path}`, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => (body += chunk));
      res.on("end", () => {
        if (res.statusCode !== 200) reject(new Error(`GET ${path}: ${res.statusCode} ${body}`));
        else resolve(JSON.parse(body));
      });
    });
    req.on("error", reject);
  });
}

/** Values of every kind the JSON view gives, with nested shared types and deletes. */
function richEdits(a, b) {
  const map = a.getStorage("map");
  map.set("s", "héllo 😀 <b>&");
  map.set("f", 1.5);
  map.set("big", 2 ** 40);
  map.set("neg", -7);
  map.set("t", true);
  map.set("n", null);
  map.set("obj", { a: [1, "two", { three: 3 }], b: false });
  map.set("gone", "soon deleted");
  const inner = new Y.Map();
  map.set("inner", inner);
  inner.set("x", "y");
  const innerList = new Y.Array();
  inner.set("items", innerList);
  innerList.push(["p", { q: 1 }]);
  map.delete("gone");

  const list = b.getStorage("list");
  const innerText = new Y.Text("nested text");
  list.push([innerText, { k: "v" }, ["x", 2]]);
  innerText.delete(0, 7);

  const text = b.getStorage("text");
  text.insert(0, "🎉 emoji and ");
  text.format(0, 2, { bold: true });
  text.insert(text.length, " — the end");

  const xml = a.doc.getXmlFragment("xml");
  const p = new Y.XmlElement("p");
  p.setAttribute("class", "lead");
  p.insert(0, [new Y.XmlText("para")]);
  xml.insert(0, [p, new Y.XmlText("tail")]);

  a.doc.getMap("extra").set("unhinted", 1);
}

run(async () => {
  const { ws, secret } = config();
  const rand = random(Number(process.env.SEED ?? 1));
  const app = await startTokenApp(secret);
  const room = `admin-${process.pid}`;
  const a = newClient({ ws, tokenApp: app.url, room, name: "Ann" });
  const b = newClient({ ws, tokenApp: app.url, room, name: "Ben" });
  await join(a);
  await join(b);

  for (let i = 0; i < 200; i++) {
    smallEdit(a, rand);
    smallEdit(b, rand);
    if (i % 10 === 9) await tick();
  }
  richEdits(a, b);
  await converged([a, b], "edits");

  const storage = await adminGet(`/pluv/rooms/${room}/storage`);
  const rooms = await adminGet("/pluv/rooms");
  checkHealthy([a, b]);
  // The server reads every root of the document; a Y.Doc only those declared. The pluv
  // client keeps a random id in the root text "__$pluv", which apps do not declare, so
  // Ann declares it here to compare the whole document.
  a.doc.getText("__$pluv");
  const doc = a.doc.toJSON();
  a.disconnect();
  b.disconnect();
  await app.close();
  return { room, doc, storage, rooms };
});
