// What the differential test checks with the real yjs, driven by yjs/diff_test.go through
// worker.mjs (one JSON request a line, one JSON answer a line):
//
//   {"op":"gen","seed":S}  → a trace: the updates the server receives and, after each,
//                            what the reference Y.Doc says (emptiness, state vector);
//                            the steps to check, the length of the reference's own
//                            encodeStateAsUpdate at each (it collects garbage) and the
//                            lagging peers' state vectors.
//   {"op":"check","seed":S,"stores":{NAME:{"collected":bool,"deltas":[b64|null],
//    "encodes":{step:b64},"diffs":[b64],"json":{step:{"hinted":J,"inferred":J}}}}}
//                          → {"ok":true,"ratios":[...]} or {"ok":false,"error":"...",
//                            "ratios":[...]}.
//                            One entry of stores per Go Store that replayed the trace; J is
//                            its ToJSON in the normal form of json.mjs; ratios are the
//                            collected stores' Encode() lengths over yjs's.
//   {"op":"fixed","roots":{name:kind},"updates":[b64],"refused":[bool],"encodes":[b64],
//    "deltas":[b64|null],"json":[J]}
//                          → the same verdict for a fixed case (hostile updates kept in
//                            yjs/testdata/hostile): see fixed below.
import * as Y from 'yjs'
import { Trace, astral, snapshot, snapshotRoots } from './trace.mjs'
import { canon, declare, inferKind, jsonDiff, kinds, liveRoots, normalise } from './json.mjs'

const b64 = (u) => u === null ? null : Buffer.from(u).toString('base64')
const bytes = (s) => new Uint8Array(Buffer.from(s, 'base64'))

// maxRatio bounds a collected Store's Encode() by yjs's encodeStateAsUpdate of a Y.Doc
// with gc on fed the same updates (issue 5: no more than 5 % larger).
export const maxRatio = 1.05

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

export const judgeDoc = (gc = true) => {
  const d = new Y.Doc({ gc })
  d.judge = true
  return d
}

export const copyOf = (doc) => {
  const d = judgeDoc()
  Y.applyUpdate(d, Y.encodeStateAsUpdate(doc))
  return d
}

// jsonOf is what ToJSON must give for doc (a fresh copy of the reference, no root read
// yet): declared, every root of the trace read with its kind, each in normal form; live,
// the roots ToJSON(nil) must list; inferable, those among them whose inferred JSON must
// equal the declared one (see inferKind).
export const jsonOf = (doc) => {
  const live = liveRoots(doc)
  const inferable = live.filter(name => kinds[name] !== undefined &&
    inferKind(doc.share.get(name)) === kinds[name])
  const declared = {}
  for (const name of Object.keys(kinds)) declared[name] = normalise(declare(doc, name, kinds[name]).toJSON())
  return { declared, live, inferable }
}

let current = null // state kept between "gen" and "check" of one seed

export const gen = (seed) => {
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
  const jsons = new Map()
  const gcLens = {}
  const lagDocs = []
  deliveries.forEach((d, i) => {
    Y.applyUpdate(ref, d.u)
    // The state vector of a copy, not of ref itself: a Y.Doc retries its pending structs
    // only when a client it recorded as missing advances, so it can keep integrable
    // structs pending; a fresh doc fed its whole state integrates them.
    // (Without pending structs the two are the same, and the copy is not made.)
    const pending = ref.store.pendingStructs !== null || ref.store.pendingDs !== null
    steps.push({ empty: ref.share.size === 0, sv: b64(Y.encodeStateVector(pending ? copyOf(ref) : ref)), dup: !!d.dup })
    if (checkAt.has(i)) {
      snaps.set(i, snap(copyOf(ref)))
      jsons.set(i, jsonOf(copyOf(ref)))
      gcLens[i] = Y.encodeStateAsUpdate(ref).length
    }
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
  current = { seed, snaps, jsons, gcLens, lagDocs, snap, pairs, made: new Map() }
  return {
    seed,
    updates: deliveries.map(d => b64(d.u)),
    steps,
    checkAt: Array.from(checkAt).sort((a, b) => a - b),
    gcLens,
    lagging: lagDocs.map(l => b64(Y.encodeStateVector(l.doc)))
  }
}

// checkJSON compares a Store's ToJSON(hints) and ToJSON(nil) after one step with yjs's.
const checkJSON = (got, want, pairs) => {
  if (got == null) return 'no ToJSON'
  const same = (g, w) => astral(canon(g), pairs) === astral(canon(w), pairs)
  if (!same(got.hinted, want.declared)) {
    return `ToJSON(hints) differs from yjs's toJSON():\n  ${jsonDiff(got.hinted, want.declared).join('\n  ')}`
  }
  const roots = Object.keys(got.inferred ?? {}).sort()
  if (roots.join('\0') !== want.live.join('\0')) {
    return `ToJSON(nil) has the roots ${JSON.stringify(roots)}, the document ${JSON.stringify(want.live)}`
  }
  for (const name of want.inferable) {
    if (!same(got.inferred[name], want.declared[name])) {
      return `ToJSON(nil) infers root ${JSON.stringify(name)} unlike yjs's toJSON() of a ${kinds[name]}:\n  ` +
        jsonDiff(got.inferred[name], want.declared[name]).join('\n  ')
    }
  }
  return null
}

// checkChain judges a Store's chain of deltas: fed to a fresh doc one after another, they
// must show the reference's document after each checked step.
const checkChain = (name, deltas) => {
  const fed = judgeDoc()
  for (let i = 0; i < deltas.length; i++) {
    if (deltas[i] !== null) Y.applyUpdate(fed, bytes(deltas[i]))
    const want = current.snaps.get(i)
    if (want !== undefined && current.snap(fed) !== want) {
      return `store ${name}, step ${i}: the deltas so far differ from the reference ${differ(current.snap(fed), want)}`
    }
  }
  return null
}

// once returns what make gives for key, made only the first time key is asked for in the
// check of one trace: two Stores often send the same Encode() or EncodeDiff.
const once = (key, make) => {
  if (!current.made.has(key)) current.made.set(key, make())
  return current.made.get(key)
}

// checkStore judges one Store's other answers: its Encode() in a fresh doc, its ToJSON
// and, for a collected store, Encode()'s length against yjs's; then its EncodeDiff for
// each lagging peer. It returns an error message or null, and adds the length ratios.
const checkStore = (name, st, ratios) => {
  for (const [step, want] of current.snaps) {
    const enc = st.encodes?.[step]
    if (enc == null) return `store ${name}: no Encode() for step ${step}`
    const u = bytes(enc)
    const got = once(enc, () => {
      const d = judgeDoc()
      Y.applyUpdate(d, u)
      return current.snap(d)
    })
    if (got !== want) return `store ${name}, step ${step}: Encode() in a fresh doc differs from the reference ${differ(got, want)}`
    const bad = checkJSON(st.json?.[step], current.jsons.get(step), current.pairs)
    if (bad) return `store ${name}, step ${step}: ${bad}`
    if (st.collected) {
      const ratio = u.length / current.gcLens[step]
      ratios.push(ratio)
      if (ratio > maxRatio) {
        return `store ${name}, step ${step}: Encode() is ${u.length} bytes, yjs's encodeStateAsUpdate ` +
          `of a Y.Doc with gc on ${current.gcLens[step]} (ratio ${ratio.toFixed(3)} > ${maxRatio})`
      }
    }
  }
  for (let i = 0; i < current.lagDocs.length; i++) {
    const { doc, what, want } = current.lagDocs[i]
    const got = once(`${i}:${st.diffs[i]}`, () => {
      const peer = copyOf(doc)
      Y.applyUpdate(peer, bytes(st.diffs[i]))
      return current.snap(peer)
    })
    if (got !== want) return `store ${name}: EncodeDiff for ${what} differs from the peer plus the reference's state ${differ(got, want)}`
  }
  return null
}

export const check = (req) => {
  if (!current || current.seed !== req.seed) return { ok: false, error: 'check for a seed that was not generated last' }
  const names = Object.keys(req.stores ?? {})
  if (names.length === 0) return { ok: false, error: 'no store answered' }
  const ratios = []
  const chains = new Set() // chains of deltas judged already (the stores mostly agree)
  for (const name of names) {
    const chain = req.stores[name].deltas.join(',')
    const bad = (chains.has(chain) ? null : checkChain(name, req.stores[name].deltas)) ??
      checkStore(name, req.stores[name], ratios)
    chains.add(chain)
    if (bad) return { ok: false, error: bad, ratios }
  }
  current = null
  return { ok: true, ratios }
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

// fixedKinds maps the root kinds of a fixed case's file to RootKind names.
const fixedKinds = { text: 'RootText', map: 'RootMap', array: 'RootArray', xml: 'RootXMLFragment' }

// fixed judges the Store on a fixed list of updates, step by step, against a Y.Doc that
// applied them itself, retrying its pending structs at once (not a copy of it: when a
// hostile update puts a second form of a known range among the pending structs, yjs's
// encodeStateAsUpdate may write that form instead of the integrated one, so a copy is not
// the document the Y.Doc holds). Every update the Store took must apply without throwing,
// and those it refused are left out; after each step the Store's Encode() in a fresh doc
// and the Store's deltas so far must show the Y.Doc's document, and the Store's ToJSON of
// the case's roots must be the Y.Doc's toJSON().
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
    const bad = fixedJSON(req.json[i], copyOf(ref), req.roots)
    if (bad) return { ok: false, error: `step ${i}: ${bad}` }
  }
  return { ok: true }
}

// fixedJSON compares a Store's ToJSON, hinted with a fixed case's roots, with yjs's
// toJSON() of those roots in doc.
const fixedJSON = (got, doc, roots) => {
  if (got == null) return 'no ToJSON'
  const want = {}
  const have = {}
  for (const [name, kind] of Object.entries(roots)) {
    want[name] = normalise(declare(doc, name, fixedKinds[kind]).toJSON())
    have[name] = got[name]
  }
  if (canon(have) === canon(want)) return null
  return `ToJSON differs from yjs's toJSON():\n  ${jsonDiff(have, want).join('\n  ')}`
}

// handle answers one request.
export const handle = (req) => {
  try {
    return req.op === 'gen' ? gen(req.seed) : req.op === 'fixed' ? fixed(req) : check(req)
  } catch (e) {
    return { ok: false, error: `worker threw: ${e && e.stack ? e.stack : e}` }
  }
}
