// Speed and memory of yjs on the inputs of the comparison with the Go store (YJS_SPEED.md;
// scripts/yjs-speed runs both sides). The Go side, yjs/speed_test.go, runs the same lines
// on the same files.
//
//   node bench.mjs gen DIR [full|tiny]                 write the inputs (inputs.mjs)
//   node --expose-gc bench.mjs run DIR [full|tiny]     memory, then every line's time: one
//                                                      JSON object a line on stdout
//   node bench.mjs check DIR                           check the Go side's documents (check.mjs)
//   node bench.mjs report NODE.jsonl GO.txt            the markdown table (report.mjs)
//
// A line's time is the median of 5 rounds after a warm-up round; a round repeats the line
// until it has timed roundMs of work and gives its ns per operation.
import * as Y from 'yjs'
import { mkdirSync } from 'node:fs'
import { generate, readInputs } from './inputs.mjs'
import { check } from './check.mjs'
import { report } from './report.mjs'

const ROUNDS = 5
const ROUND_MS = { full: 400, tiny: 2 }

// load returns a new Y.Doc holding the update enc. Its root types are not declared, as in
// a server's Y.Doc that only relays.
const load = (enc) => {
  const doc = new Y.Doc()
  Y.applyUpdate(doc, enc)
  return doc
}

// repeat is a chunk of work that runs op n times, timed.
const repeat = (op, n = 1) => () => {
  const t0 = process.hrtime.bigint()
  for (let i = 0; i < n; i++) op()
  return { ns: Number(process.hrtime.bigint() - t0), ops: n }
}

// keystrokes is a chunk of work that loads enc (not timed) and then applies the
// keystroke updates one after another, timed.
const keystrokes = (enc, keys) => () => {
  const doc = load(enc)
  const t0 = process.hrtime.bigint()
  for (const k of keys) Y.applyUpdate(doc, k)
  return { ns: Number(process.hrtime.bigint() - t0), ops: keys.length }
}

// lines are the timed lines; their names match the Go benchmarks' sub-benchmarks.
const lines = (inp) => [
  ['a-typing', repeat(() => {
    const doc = new Y.Doc()
    for (const u of inp.typing) Y.applyUpdate(doc, u)
  })],
  ['b-keystroke-paste', keystrokes(inp.paste[0], inp.pasteKeys)],
  ['b-keystroke-interleaved', keystrokes(inp.interleaved[0], inp.interleavedKeys)],
  ['c-encode-paste', ((doc) => repeat(() => Y.encodeStateAsUpdate(doc), 10))(load(inp.paste[0]))],
  ['c-encode-interleaved', ((doc) => repeat(() => Y.encodeStateAsUpdate(doc), 10))(
    load(inp.interleaved[0]))],
  ['d-merge', repeat(() => Y.mergeUpdates(inp.merge))]
]

// round runs chunks of work until they have timed roundMs and returns ns per op.
const round = (chunk, roundMs) => {
  let ns = 0
  let ops = 0
  while (ns < roundMs * 1e6) {
    const c = chunk()
    ns += c.ns
    ops += c.ops
  }
  return ns / ops
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[s.length >> 1]
}

// heldBy returns the heap and the external memory a Y.Doc holding enc keeps, after
// garbage collection.
const heldBy = (enc) => {
  global.gc()
  global.gc()
  const before = process.memoryUsage()
  const doc = load(enc)
  global.gc()
  global.gc()
  const after = process.memoryUsage()
  if (doc.store.clients.size === 0) throw new Error('empty document')
  return {
    heapBytes: after.heapUsed - before.heapUsed,
    externalBytes: after.external - before.external
  }
}

const run = (dir, scale) => {
  if (typeof global.gc !== 'function') throw new Error('run node with --expose-gc')
  const inp = readInputs(dir)
  for (const name of ['paste', 'interleaved']) { // first: no garbage of other work yet
    const enc = inp[name][0]
    console.log(JSON.stringify({ mem: name, ...heldBy(enc), encodedBytes: enc.length }))
  }
  const textBytes = (enc) => Buffer.byteLength(load(enc).getText('text').toString())
  console.log(JSON.stringify({
    meta: {
      scale,
      typing: inp.typing.length,
      keys: inp.pasteKeys.length,
      merge: inp.merge.length,
      paste: inp.paste[0].length,
      interleaved: inp.interleaved[0].length,
      pasteText: textBytes(inp.paste[0]),
      interleavedText: textBytes(inp.interleaved[0])
    }
  }))
  for (const [name, chunk] of lines(inp)) {
    round(chunk, ROUND_MS[scale]) // warm-up
    const rounds = []
    for (let i = 0; i < ROUNDS; i++) rounds.push(round(chunk, ROUND_MS[scale]))
    console.log(JSON.stringify({ line: name, nsPerOp: median(rounds), rounds }))
  }
}

const [cmd, ...args] = process.argv.slice(2)
switch (cmd) {
  case 'gen':
    mkdirSync(args[0], { recursive: true })
    generate(args[0], args[1] ?? 'full')
    break
  case 'run':
    run(args[0], args[1] ?? 'full')
    break
  case 'check':
    check(args[0])
    break
  case 'report':
    process.stdout.write(report(args[0], args[1]))
    break
  default:
    console.error('usage: node bench.mjs gen|run|check|report ... (see the top of bench.mjs)')
    process.exit(2)
}
