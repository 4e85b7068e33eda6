// Checks yjs.MergeUpdates (yjs/mergeupdates_test.go) against Y.mergeUpdates on the random
// multi-client traces of the differential test (../yjsdiff/trace.mjs): what the server
// receives there, reordered, delayed and duplicated.
//
//   node mergecheck.mjs gen FROM TO   → {"seed": [update (base64), ...], ...} for seeds FROM..TO
//   node mergecheck.mjs check         ← {"seed": merged (base64), ...} on stdin
//                                     → one line a seed that differs; exit status 1 if any
//
// check applies Y.mergeUpdates of the seed's updates to a new Y.Doc and the Go result to
// another, and compares their documents (every root, as the differential test renders
// them), state vectors and encoded states.
import * as Y from 'yjs'
import { readFileSync } from 'node:fs'
import { Trace, snapshot } from '../yjsdiff/trace.mjs'

const b64 = (u) => Buffer.from(u).toString('base64')
const bytes = (s) => new Uint8Array(Buffer.from(s, 'base64'))

const trace = (seed) => {
  const t = new Trace(seed)
  t.run(10 + t.int(60))
  return { updates: t.deliveries().map((d) => d.u), pairs: t.splitsSurrogates() }
}

const docOf = (u) => {
  const doc = new Y.Doc()
  Y.applyUpdate(doc, u)
  return doc
}

const describe = (doc, pairs) => ({
  doc: snapshot(doc, pairs),
  sv: b64(Y.encodeStateVector(doc)),
  state: b64(Y.encodeStateAsUpdate(doc))
})

const [cmd, from, to] = process.argv.slice(2)
if (cmd === 'gen') {
  const out = {}
  for (let s = Number(from); s <= Number(to); s++) out[s] = trace(s).updates.map(b64)
  process.stdout.write(JSON.stringify(out))
} else if (cmd === 'check') {
  const merged = JSON.parse(readFileSync(0, 'utf8'))
  let failed = 0
  for (const [seed, m] of Object.entries(merged)) {
    const { updates, pairs } = trace(Number(seed))
    const want = describe(docOf(Y.mergeUpdates(updates)), pairs)
    const got = describe(docOf(bytes(m)), pairs)
    const bad = Object.keys(want).filter((k) => got[k] !== want[k])
    if (bad.length > 0 && ++failed <= 10) {
      console.log(`seed ${seed}: the Go merge differs from Y.mergeUpdates in ${bad.join(', ')}`)
    }
  }
  console.log(`${Object.keys(merged).length} traces checked, ${failed} differ`)
  if (failed > 0) process.exit(1)
} else {
  console.error('usage: node mergecheck.mjs gen FROM TO | check')
  process.exit(2)
}
