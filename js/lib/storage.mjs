// The client's view of room storage: the app's declared root types on a Y.Doc.
import * as Y from "yjs";

import { toBase64 } from "./base64.mjs";

const PLUV_ID_TEXT = "__$pluv"; // root Y.Text holding a random id, as @pluv/client writes

/**
 * The base64 full state of a fresh doc holding the types initialStorage declares plus, when
 * it declares any, a random id in `__$pluv` (so each client's initial state differs).
 */
export function initialState(initialStorage) {
  const fresh = new Y.Doc();
  const types = initialStorage(fresh);
  if (Object.keys(types).length > 0) fresh.getText(PLUV_ID_TEXT).insert(0, randomId());
  const state = toBase64(Y.encodeStateAsUpdate(fresh));
  fresh.destroy();
  return state;
}

/**
 * The doc's root types named as initialStorage declares them, each of the declared kind;
 * initialStorage runs on a throwaway doc so its initial content is not inserted twice.
 */
export function sharedTypes(doc, initialStorage) {
  const reference = new Y.Doc();
  const types = initialStorage(reference);
  const out = Object.fromEntries(
    Object.entries(types).map(([name, type]) => [name, rootLike(doc, name, type)]),
  );
  reference.destroy();
  return out;
}

/** The doc's root type called name, of the same kind as the reference type. */
function rootLike(doc, name, type) {
  if (type instanceof Y.XmlElement) return doc.get(name, Y.XmlElement);
  if (type instanceof Y.XmlFragment) return doc.getXmlFragment(name);
  if (type instanceof Y.XmlText) return doc.get(name, Y.XmlText);
  if (type instanceof Y.Array) return doc.getArray(name);
  if (type instanceof Y.Map) return doc.getMap(name);
  if (type instanceof Y.Text) return doc.getText(name);
  throw new Error(`initialStorage: ${name} is not a Yjs shared type`);
}

function randomId() {
  return globalThis.crypto?.randomUUID?.() ?? String(Math.random()).slice(2);
}
