// The inputs of the speed comparison between yjs and the Go store (see bench.mjs), made
// by yjs itself so that they are real client updates, from one seeded generator.
import * as Y from 'yjs'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { rng } from '../yjsdiff/trace.mjs'

// SCALES are the input sizes: full for the report, tiny for the smoke test.
export const SCALES = {
  full: { typing: 10000, docBytes: 1 << 20, keys: 10000, merge: 1000 },
  tiny: { typing: 300, docBytes: 16 << 10, keys: 30, merge: 60 }
}

// FILES names each input file; each holds a list of updates (see writeFrames).
export const FILES = {
  typing: 'typing.bin', // line a: one update per keystroke of one user
  paste: 'paste.bin', // the document pasted in one piece, as one update
  interleaved: 'interleaved.bin', // the document built by three clients, as one update
  pasteKeys: 'paste-keys.bin', // line b: keystrokes at random places of paste
  interleavedKeys: 'interleaved-keys.bin', // the same for interleaved
  merge: 'merge.bin' // line d: the first updates the three clients sent
}

const SEED = 20240605
const LETTERS = 'eeeeettttaaaooooiiinnnsssshhhrrrdddllcuumwfgypbvk ,.é\n'
const WORDS = ['the', 'room', 'document', 'storage', 'update', 'of', 'and', 'client',
  'merge', 'a', 'to', 'keystroke', 'is', 'in', 'server', 'text', 'café', 'with']

// writeFrames writes updates as 4-byte big-endian lengths, each followed by its bytes.
export const writeFrames = (path, updates) => {
  const parts = []
  for (const u of updates) {
    const len = Buffer.alloc(4)
    len.writeUInt32BE(u.length)
    parts.push(len, u)
  }
  writeFileSync(path, Buffer.concat(parts))
}

// readFrames reads what writeFrames wrote.
export const readFrames = (path) => {
  const buf = readFileSync(path)
  const out = []
  for (let at = 0; at < buf.length;) {
    const n = buf.readUInt32BE(at)
    out.push(new Uint8Array(buf.buffer, buf.byteOffset + at + 4, n))
    at += 4 + n
  }
  return out
}

// readInputs returns every input of dir by its FILES key.
export const readInputs = (dir) =>
  Object.fromEntries(Object.entries(FILES).map(([k, f]) => [k, readFrames(join(dir, f))]))

const int = (r, n) => Math.floor(r() * n)

// recorder returns a Y.Doc of the given client and the list its updates go to.
const recorder = (clientID) => {
  const doc = new Y.Doc()
  doc.clientID = clientID
  const updates = []
  doc.on('update', (u) => updates.push(u))
  return { doc, text: doc.getText('text'), updates }
}

// typing is one user typing n keystrokes into an empty text: mostly inserts at the
// cursor, some cursor moves (no update) and some backspaces.
const typing = (r, n) => {
  const { text, updates } = recorder(1)
  let cursor = 0
  while (updates.length < n) {
    const x = r()
    if (x < 0.02) cursor = int(r, text.length + 1)
    else if (x < 0.06 && cursor > 0) text.delete(--cursor, 1)
    else text.insert(cursor++, LETTERS[int(r, LETTERS.length)])
  }
  return updates
}

// prose returns at least n bytes of UTF-8 text made of words.
const prose = (r, n) => {
  const words = []
  let bytes = 0
  while (bytes < n) {
    const w = WORDS[int(r, WORDS.length)] + (int(r, 12) === 0 ? '.\n' : ' ')
    words.push(w)
    bytes += Buffer.byteLength(w)
  }
  return words.join('')
}

// paste is a document whose whole text one client pasted in one insert.
const paste = (r, bytes) => {
  const { doc, text } = recorder(2)
  text.insert(0, prose(r, bytes))
  return Y.encodeStateAsUpdate(doc)
}

// interleaved is a document of at least the given bytes of text written by three
// clients that insert phrases (mostly where they last typed), delete now and then, and
// see each other's updates late. It returns the document and every update sent.
const interleaved = (r, bytes) => {
  const cs = [3, 4, 5].map((id) => ({ ...recorder(id), inbox: [], at: 0 }))
  const log = []
  for (let size = 0; size < bytes;) {
    const c = cs[int(r, cs.length)]
    if (r() < 0.3) {
      for (const u of c.inbox) Y.applyUpdate(c.doc, u)
      c.inbox = []
      c.updates.length = 0 // what it received is not what it sends
    }
    const len = c.text.length
    if (r() < 0.4) c.at = int(r, len + 1)
    c.at = Math.min(c.at, len)
    if (r() < 0.05 && len > 0) {
      const from = int(r, len)
      const n = Math.min(len - from, 1 + int(r, 20))
      c.text.delete(from, n)
      c.at = from
      size -= n // about: a unit can be two bytes, and a concurrent delete counts twice
    } else {
      const s = prose(r, 1 + int(r, 40))
      c.text.insert(c.at, s)
      c.at += s.length
      size += Buffer.byteLength(s)
    }
    for (const u of c.updates.splice(0)) {
      log.push(u)
      for (const o of cs) if (o !== c) o.inbox.push(u)
    }
  }
  const doc = new Y.Doc()
  for (const u of log) Y.applyUpdate(doc, u)
  return { enc: Y.encodeStateAsUpdate(doc), log }
}

// keystrokes loads enc into a new client and types n characters, each at a random place
// and sent as its own update.
const keystrokes = (r, enc, n) => {
  const { doc, text, updates } = recorder(9)
  Y.applyUpdate(doc, enc)
  updates.length = 0
  while (updates.length < n) text.insert(int(r, text.length + 1), LETTERS[int(r, 26)])
  return updates
}

// generate writes every input of the given scale into dir.
export const generate = (dir, scale) => {
  const sz = SCALES[scale]
  const r = rng(SEED)
  const p = paste(r, sz.docBytes)
  const il = interleaved(r, sz.docBytes)
  const out = {
    typing: typing(r, sz.typing),
    paste: [p],
    interleaved: [il.enc],
    pasteKeys: keystrokes(r, p, sz.keys),
    interleavedKeys: keystrokes(r, il.enc, sz.keys),
    merge: il.log.slice(0, sz.merge)
  }
  for (const [k, f] of Object.entries(FILES)) writeFrames(join(dir, f), out[k])
  return out
}
