// Writes seed inputs of FuzzModel (yjs/fuzz_model_test.go) into fuzz/FuzzModel/: the
// updates a server receives in a few traces of the differential test (js/yjsdiff), in the
// fuzz target's input form: a byte picking the root hints (1: the traces' own kinds), then
// each update prefixed by its var-uint length, cut after 6 KB. They are real client
// updates of all four root kinds, with nested and XML types, formats, deletes and
// subdocuments, for the fuzzer to mutate.
//
// Run from the repository root after `npm ci --prefix js`:
//   node yjs/testdata/fuzzseeds.mjs
import { writeFileSync } from 'node:fs'
import { Trace } from '../../js/yjsdiff/trace.mjs'

const varUint = (n) => {
  const out = []
  while (n > 0x7f) {
    out.push(0x80 | (n & 0x7f))
    n = Math.floor(n / 128)
  }
  out.push(n)
  return out
}

// goBytes writes bytes as the Go fuzz corpus file format wants them.
const goBytes = (b) => {
  let s = ''
  for (const c of b) {
    if (c >= 0x20 && c < 0x7f && c !== 0x22 && c !== 0x5c) s += String.fromCharCode(c)
    else s += '\\x' + c.toString(16).padStart(2, '0')
  }
  return `go test fuzz v1\n[]byte("${s}")\n`
}

const seeds = [3, 5, 8, 13, 21, 34, 55, 89]
for (const seed of seeds) {
  const t = new Trace(seed)
  t.run(10 + t.int(60))
  const input = [1]
  for (const { u } of t.deliveries()) {
    if (input.length + u.length > 6000) break
    input.push(...varUint(u.length), ...u)
  }
  writeFileSync(new URL(`fuzz/FuzzModel/trace-${seed}`, import.meta.url), goBytes(input))
}
