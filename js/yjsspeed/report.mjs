// report: the markdown tables of YJS_SPEED.md from bench.mjs's output (JSON lines) and
// the Go side's benchmark output (`go test -bench '^BenchmarkVsYjs$'`, any -count): the
// median of each figure.
import { readFileSync } from 'node:fs'

const n = (x) => Math.round(x).toLocaleString('en-US')
const mb = (bytes) => bytes >= 1e6
  ? `${(bytes / (1 << 20)).toFixed(1)} MiB`
  : `${n(bytes / 1024)} KiB`
const times = (x) => `${x.toFixed(x < 10 ? 2 : 1)}×`

// LINES describe each line from the inputs' sizes (the meta line of bench.mjs run) and
// give its target: how many times faster than yjs the Go store must be.
const LINES = [
  ['a-typing', 3, (m) =>
    `a. ${n(m.typing)} keystroke updates applied one by one to an empty doc (op: all of them)`],
  ['b-keystroke-paste', 3, (m) =>
    `b. one keystroke into a ${mb(m.pasteText)} pasted text (op: one of ${n(m.keys)}, ` +
    'at random places)'],
  ['b-keystroke-interleaved', 3, (m) =>
    `b. the same into a ${mb(m.interleavedText)} text of interleaved edits by 3 clients`],
  ['c-encode-paste', 1, (m) =>
    `c. encoding the pasted document (${n(m.paste)} bytes encoded)`],
  ['c-encode-interleaved', 1, (m) =>
    `c. encoding the interleaved document (${n(m.interleaved)} bytes encoded)`],
  ['d-merge', 1, (m) => `d. merging ${n(m.merge)} updates at once (the 3 clients' first ones)`]
]

// MEMORY are the documents whose memory is reported, with the target for Go's heap as a
// ratio to the encoded size (null: reported only).
const MEMORY = [['paste', 3], ['interleaved', null]]

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[s.length >> 1]
}

// goFigures reads benchmark output: for each sub-benchmark of BenchmarkVsYjs, every
// value of every unit (ns/op, heap-bytes, ...), one a -count.
const goFigures = (text) => {
  const out = {}
  for (const line of text.split('\n')) {
    const m = /^BenchmarkVsYjs\/(\S+?)(?:-\d+)?\s+\d+\s+(.*)$/.exec(line)
    if (!m) continue
    const f = (out[m[1]] ??= {})
    const parts = m[2].trim().split(/\s+/)
    for (let i = 0; i + 1 < parts.length; i += 2) {
      (f[parts[i + 1]] ??= []).push(Number(parts[i]))
    }
  }
  return out
}

const row = (cells) => `| ${cells.join(' | ')} |`

export const report = (nodePath, goPath) => {
  const js = readFileSync(nodePath, 'utf8').trim().split('\n').map((l) => JSON.parse(l))
  const meta = js.find((r) => r.meta).meta
  const go = goFigures(readFileSync(goPath, 'utf8'))
  const goMedian = (name, unit) => {
    const xs = go[name]?.[unit]
    if (!xs) throw new Error(`no ${unit} for ${name} in ${goPath}`)
    return median(xs)
  }
  const rows = [
    row(['line', 'yjs ns/op', 'Go ns/op', 'ratio yjs/Go (×faster)', 'target', 'met?']),
    '|---|---:|---:|---:|---|---|'
  ]
  for (const [name, target, describe] of LINES) {
    const y = js.find((r) => r.line === name).nsPerOp
    const g = goMedian(name, 'ns/op')
    rows.push(row([describe(meta), n(y), n(g), times(y / g), `≥${target}×`,
      y / g >= target ? 'yes' : 'no']))
  }
  rows.push('', row(['memory: document held', 'encoded bytes', 'Go heap (HeapAlloc)',
    'Go / encoded', 'Go HeapInuse / encoded', 'yjs heapUsed', 'yjs / encoded', 'target',
    'met?']), '|---|---:|---:|---:|---:|---:|---:|---|---|')
  for (const [doc, target] of MEMORY) {
    const enc = goMedian(`mem-${doc}`, 'encoded-bytes')
    const heap = goMedian(`mem-${doc}`, 'heap-bytes')
    const inuse = goMedian(`mem-${doc}`, 'inuse-bytes')
    const y = js.find((r) => r.mem === doc)
    const met = target === null ? 'reported only' : heap / enc <= target ? 'yes' : 'no'
    rows.push(row([doc, n(enc), n(heap), times(heap / enc), times(inuse / enc),
      n(y.heapBytes), times(y.heapBytes / y.encodedBytes), target === null ? '—' : `≤${target}×`,
      met]))
  }
  return rows.join('\n') + '\n'
}
