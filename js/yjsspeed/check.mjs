// check: the Go side's documents (yjs/speed_test.go writes go-*.bin beside the inputs)
// must be, applied to a new Y.Doc, the document yjs gets from the same inputs: the same
// text, the same state vector and nothing left pending.
import * as Y from 'yjs'
import { join } from 'node:path'
import { readFrames, readInputs } from './inputs.mjs'

// docOf returns a new Y.Doc that applied the updates one by one.
const docOf = (updates) => {
  const doc = new Y.Doc()
  for (const u of updates) Y.applyUpdate(doc, u)
  return doc
}

// wants are yjs's documents for each Go output file.
const wants = (inp) => ({
  'go-typing.bin': () => docOf(inp.typing),
  'go-paste-keys.bin': () => docOf([...inp.paste, ...inp.pasteKeys]),
  'go-interleaved-keys.bin': () => docOf([...inp.interleaved, ...inp.interleavedKeys]),
  'go-paste-encode.bin': () => docOf(inp.paste),
  'go-interleaved-encode.bin': () => docOf(inp.interleaved),
  'go-merge.bin': () => docOf([Y.mergeUpdates(inp.merge)])
})

// describe is what check compares of a document.
const describe = (doc) => ({
  text: doc.getText('text').toString(),
  sv: Buffer.from(Y.encodeStateVector(doc)).toString('hex'),
  pending: doc.store.pendingStructs !== null || doc.store.pendingDs !== null
})

export const check = (dir) => {
  const inp = readInputs(dir)
  let failed = false
  for (const [file, want] of Object.entries(wants(inp))) {
    const got = describe(docOf(readFrames(join(dir, file))))
    const exp = describe(want())
    const bad = Object.keys(exp).filter((k) => got[k] !== exp[k])
    if (exp.text.length === 0) bad.push('empty text')
    if (bad.length > 0) {
      failed = true
      console.log(`${file}: differs from yjs in ${bad.join(', ')}`)
    } else {
      console.log(`${file}: ok, ${exp.text.length} characters`)
    }
  }
  if (failed) process.exit(1)
}
