// Standard base64 for Yjs updates, in the browser and in Node.
//
// pluv sends every Yjs update as standard base64 (`+/`, `=` padded); the real client also
// accepts the URL-safe alphabet and missing padding, so decoding does too.

const CHUNK = 0x8000;

/**
 * Encodes bytes as standard, padded base64.
 * @param {Uint8Array} bytes
 * @returns {string}
 */
export function toBase64(bytes) {
  if (typeof Buffer !== "undefined") {
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
  }
  let binary = "";
  for (let i = 0; i < bytes.length; i += CHUNK) {
    binary += String.fromCharCode.apply(null, bytes.subarray(i, i + CHUNK));
  }
  return btoa(binary);
}

/**
 * Decodes standard or URL-safe base64, padded or not. Throws on characters outside both
 * alphabets, so a corrupt frame is noticed instead of being silently shortened.
 * @param {string} text
 * @returns {Uint8Array}
 */
export function fromBase64(text) {
  let normal = text.replace(/-/g, "+").replace(/_/g, "/");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(normal)) throw new Error("invalid base64");
  normal = normal.replace(/=+$/, "");
  if (normal.length % 4 === 1) throw new Error("invalid base64 length");
  normal += "=".repeat((4 - (normal.length % 4)) % 4);
  if (typeof Buffer !== "undefined") return new Uint8Array(Buffer.from(normal, "base64"));
  const binary = atob(normal);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}
