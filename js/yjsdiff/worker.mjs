// Differential test worker: reads requests (one JSON object a line) from stdin and
// answers each with one line on stdout. Driven by yjs/diff_test.go.
//
//   {"op":"gen","seed":S}  → a trace: the updates the server receives and, after each,
//                            what the reference Y.Doc says (emptiness, state vector);
//                            plus the steps to check and the lagging peers' state vectors.
//   {"op":"check","seed":S,"encodes":{step:b64},"deltas":[b64|null],"diffs":[b64]}
//                          → {"ok":true} or {"ok":false,"error":"..."}
//   {"op":"fixed","roots":{name:kind},"updates":[b64],"refused":[bool],"encodes":[b64],
//    "deltas":[b64|null]}
//                          → the same verdict for a fixed case (hostile updates kept in
//                            yjs/testdata/hostile): see fixed below.
import * as Y from 'yjs'
import { createInterface } from 'node:readline'
import { Trace, snapshot, snapshotRoots } from './trace.mjs'

const b64 = (u) => u === null ? null : Buffer.from(u).toString('base64')
const bytes = (s) => new Uint8Array(Buffer.from(s, 'base64'))

// differ describes where two snapshots first differ.
const differ = (got, want) => {
  let i = 0
  while (i < got.length && got[i] === want[i]) i++
  const from = Math.max(0, i - 150)
  return `at character ${i}:\n  got  …${got.slice(from, i + 150)}\n  want …${want.slice(from, i + 150)}`
}

// A Y.Doc that applies a remote update holding formatting runs a clean-up that deletes
// redundant format markers as *local* changes, and what it deletes depends on how the
// updates were batched. The docs that judge the Go store (reference, fresh docs, lagging
// peers) switch that clean-up off so they show the merged CRDT state only; the simulated
// clients keep it, so its deletes are part of the traces.
const callObserver = Y.Text.prototype._callObserver
Y.Text.prototype._callObserver = function (transaction, parentSubs) {
  callObserver.call(this, transaction, parentSubs)
  if (transaction.doc.judge) transaction._needFormattingCleanup = false
}

const judgeDoc = () => {
  const d = new Y.Doc()
  d.judge = true
  return d
}

const copyOf = (doc) => {
  const d = judgeDoc()
  Y.applyUpdate(d, Y.encodeStateAsUpdate(doc))
  return d
}

let current = null // state kept between "gen" and "check" of one seed

const gen = (seed) => {
  const t = new Trace(seed)
  t.run(10 + t.int(60))
  const deliveries = t.deliveries()
  const pairs = t.splitsSurrogates()
  const snap = (doc) => snapshot(doc, pairs)
  const ref = judgeDoc() // never read directly, so share.size is the emptiness verdict
  const steps = []
  const n = deliveries.length
  const checkAt = new Set([n - 1])
  for (let k = 0; k < 3 && n > 1; k++) checkAt.add(t.int(n))
  const snaps = new Map()
  const lagDocs = []
  deliveries.forEach((d, i) => {
    Y.applyUpdate(ref, d.u)
    // The state vector of a copy, not of ref itself: a Y.Doc retries its pending structs
    // only when a client it recorded as missing advances, so it can keep integrable
    // structs pending; a fresh doc fed its whole state integrates them.
    // (Without pending structs the two are the same, and the copy is not made.)
    const pending = ref.store.pendingStructs !== null || ref.store.pendingDs !== null
    steps.push({ empty: ref.share.size === 0, sv: b64(Y.encodeStateVector(pending ? copyOf(ref) : ref)), dup: !!d.dup })
    if (checkAt.has(i)) snaps.set(i, snap(copyOf(ref)))
    if (i < n - 1 && t.chance(0.05)) lagDocs.push({ doc: copyOf(ref), what: `reference after step ${i}` })
  })
  for (const c of t.clients) lagDocs.push({ doc: copyOf(c.doc), what: `client ${c.doc.clientID}` })
  lagDocs.push({ doc: judgeDoc(), what: 'a new peer' })
  // What each lagging peer should look like: itself plus the reference's whole state.
  // (Not simply the reference: a peer may hold its own, equally valid, view of a text
  // split inside a surrogate pair that yjs never reconciles.)
  const full = Y.encodeStateAsUpdate(ref)
  for (const l of lagDocs) {
    const want = copyOf(l.doc)
    Y.applyUpdate(want, full)
    l.want = snap(want)
  }
  current = { seed, snaps, lagDocs, snap }
  return {
    seed,
    updates: deliveries.map(d => b64(d.u)),
    steps,
    checkAt: Array.from(checkAt).sort((a, b) => a - b),
    lagging: lagDocs.map(l => b64(Y.encodeStateVector(l.doc)))
  }
}

const check = (req) => {
  if (!current || current.seed !== req.seed) return { ok: false, error: 'check for a seed that was not generated last' }
  for (const [step, want] of current.snaps) {
    const enc = req.encodes[step]
    if (enc == null) return { ok: false, error: `no Encode() for step ${step}` }
    const d = judgeDoc()
    Y.applyUpdate(d, bytes(enc))
    const got = current.snap(d)
    if (got !== want) return { ok: false, error: `step ${step}: Encode() in a fresh doc differs from the reference ${differ(got, want)}` }
  }
  const d = judgeDoc()
  for (let i = 0; i < req.deltas.length; i++) {
    if (req.deltas[i] !== null) Y.applyUpdate(d, bytes(req.deltas[i]))
    if (current.snaps.has(i)) {
      const got = current.snap(d)
      if (got !== current.snaps.get(i)) return { ok: false, error: `step ${i}: the deltas so far differ from the reference ${differ(got, current.snaps.get(i))}` }
    }
  }
  for (let i = 0; i < current.lagDocs.length; i++) {
    const { doc, what } = current.lagDocs[i]
    Y.applyUpdate(doc, bytes(req.diffs[i]))
    const got = current.snap(doc)
    if (got !== current.lagDocs[i].want) return { ok: false, error: `EncodeDiff for ${what} differs from the peer plus the reference's state ${differ(got, current.lagDocs[i].want)}` }
  }
  current = null
  return { ok: true }
}

// retryPending has a Y.Doc read its pending structs and deletes again until that
// changes nothing. A Y.Doc retries them itself only when a client it recorded as
// missing advances, so it can leave integrable structs pending; the Store integrates
// everything it can at once. Reading them again as an update is what yjs's own retry
// does, so the result is the Y.Doc as it would be had it retried at once.
const retryPending = (doc) => {
  for (;;) {
    const { pendingStructs, pendingDs } = doc.store
    if (!pendingStructs && !pendingDs) return
    const before = Y.encodeStateVector(doc)
    doc.store.pendingStructs = null
    doc.store.pendingDs = null
    if (pendingStructs) Y.applyUpdateV2(doc, pendingStructs.update)
    if (pendingDs) Y.applyUpdateV2(doc, pendingDs)
    if (Buffer.compare(before, Y.encodeStateVector(doc)) === 0) return
  }
}

// fixed judges the Store on a fixed list of updates, step by step, against a Y.Doc that
// applied them itself, retrying its pending structs at once (not a copy of it: when a hostile update puts a second form of a
// known range among the pending structs, yjs's encodeStateAsUpdate may write that form
// instead of the integrated one, so a copy is not the document the Y.Doc holds). Every
// update the Store took must apply without throwing, and those it refused are left out;
// after each step the Store's Encode() in a fresh doc and the Store's deltas so far must
// show the Y.Doc's document.
const fixed = (req) => {
  const snap = (doc) => snapshotRoots(doc, req.roots)
  const ref = judgeDoc()
  const fed = judgeDoc()
  for (let i = 0; i < req.updates.length; i++) {
    if (!req.refused[i]) {
      try {
        Y.applyUpdate(ref, bytes(req.updates[i]))
        retryPending(ref)
      } catch (e) {
        return { ok: false, error: `step ${i}: the Store took an update yjs throws on: ${e}` }
      }
    }
    if (req.deltas[i] !== null) Y.applyUpdate(fed, bytes(req.deltas[i]))
    const want = snap(ref)
    const d = judgeDoc()
    Y.applyUpdate(d, bytes(req.encodes[i]))
    const got = snap(d)
    if (got !== want) return { ok: false, error: `step ${i}: Encode() in a fresh doc differs from yjs ${differ(got, want)}` }
    const gotFed = snap(fed)
    if (gotFed !== want) return { ok: false, error: `step ${i}: the deltas so far differ from yjs ${differ(gotFed, want)}` }
  }
  return { ok: true }
}

const rl = createInterface({ input: process.stdin, crlfDelay: Infinity })
rl.on('line', (line) => {
  const req = JSON.parse(line)
  let res
  try {
    res = req.op === 'gen' ? gen(req.seed) : req.op === 'fixed' ? fixed(req) : check(req)
  } catch (e) {
    res = { ok: false, error: `worker threw: ${e && e.stack ? e.stack : e}` }
  }
  process.stdout.write(JSON.stringify(res) + '\n')
})
