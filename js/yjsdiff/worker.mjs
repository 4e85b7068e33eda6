// Differential test worker: reads requests (one JSON object a line) from stdin and
// answers each with one line on stdout. Driven by yjs/diff_test.go; the requests and
// answers are described in judge.mjs.
import { createInterface } from 'node:readline'
import { handle } from './judge.mjs'

const rl = createInterface({ input: process.stdin, crlfDelay: Infinity })
rl.on('line', (line) => {
  process.stdout.write(JSON.stringify(handle(JSON.parse(line))) + '\n')
})
