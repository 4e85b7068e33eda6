// Tests of the differential test's judge (js/yjsdiff): with yjs itself standing in for the
// Go Store it must accept every trace, and it must refuse each kind of wrong answer.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import * as Y from 'yjs'

import { check, copyOf, gen, judgeDoc, maxRatio } from '../yjsdiff/judge.mjs'
import { canon, declare, inferKind, jsonDiff, kinds, liveRoots, normalise } from '../yjsdiff/json.mjs'

const b64 = (u) => Buffer.from(u).toString('base64')
const bytes = (s) => new Uint8Array(Buffer.from(s, 'base64'))

// storeJSON is what a Store's ToJSON gives, read from a doc and sent as JSON text, as
// yjs/diff_test.go sends it: hinted, the trace's roots read with their kinds; inferred,
// each root that holds an item read with the kind the inference rule gives it.
const storeJSON = (doc) => {
  const declared = copyOf(doc)
  const hinted = {}
  for (const [name, kind] of Object.entries(kinds)) hinted[name] = normalise(declare(declared, name, kind).toJSON())
  const undeclared = copyOf(doc)
  const inferred = {}
  for (const name of liveRoots(undeclared)) {
    const kind = inferKind(undeclared.share.get(name))
    inferred[name] = normalise(declare(copyOf(doc), name, kind).toJSON())
  }
  return JSON.parse(JSON.stringify({ hinted, inferred }))
}

// yjsAnswer replays a trace in Y.Docs as yjs/diff_test.go replays it in Stores and answers
// as the Stores would: a doc with gc on stands for the collected store, one with gc off
// for the store that keeps history. historyAs names the store the gc-off doc answers for.
const yjsAnswer = (tr, historyAs = 'history') => {
  const docs = { collected: judgeDoc(true), [historyAs]: judgeDoc(false) }
  const stores = {}
  for (const name of Object.keys(docs)) {
    stores[name] = { collected: name === 'collected', deltas: tr.updates, encodes: {}, json: {}, diffs: [] }
  }
  const checkAt = new Set(tr.checkAt)
  tr.updates.forEach((u, i) => {
    for (const [name, doc] of Object.entries(docs)) {
      Y.applyUpdate(doc, bytes(u))
      if (!checkAt.has(i)) continue
      stores[name].encodes[i] = b64(Y.encodeStateAsUpdate(doc))
      stores[name].json[i] = storeJSON(doc)
    }
  })
  for (const [name, doc] of Object.entries(docs)) {
    stores[name].diffs = tr.lagging.map(sv => b64(Y.encodeStateAsUpdate(doc, bytes(sv))))
  }
  return { op: 'check', seed: tr.seed, stores }
}

// findTrace returns the first seed's trace and answer for which want holds.
const findTrace = (want, historyAs) => {
  for (let seed = 1; seed <= 400; seed++) {
    const tr = gen(seed)
    const req = yjsAnswer(tr, historyAs)
    if (want(req, tr)) return { tr, req }
  }
  throw new Error('no trace in seeds 1..400 has what the test needs')
}

// firstKeyed finds the first object in a normal form that has the given key.
const firstKeyed = (v, key) => {
  if (v === null || typeof v !== 'object') return null
  if (!Array.isArray(v) && key in v) return v
  for (const x of Object.values(v)) {
    const found = firstKeyed(x, key)
    if (found) return found
  }
  return null
}

const last = (tr) => tr.checkAt[tr.checkAt.length - 1]
const clone = (x) => JSON.parse(JSON.stringify(x))

// firstTagged finds the first tagged value of the given tag in a normal form and returns
// its holder and key, or null.
const firstTagged = (v, tag) => {
  if (v === null || typeof v !== 'object') return null
  for (const k of Object.keys(v)) {
    const x = v[k]
    if (x !== null && typeof x === 'object' && tag in x) return { holder: v, key: k }
    const deeper = firstTagged(x, tag)
    if (deeper) return deeper
  }
  return null
}

test('normal form: the JSON.stringify rules and the tags', () => {
  assert.deepEqual(normalise([1, undefined, null]), [1, null, null])
  assert.deepEqual(normalise({ a: undefined, b: 1 }), { b: 1 })
  assert.deepEqual(normalise(new Uint8Array([1, 2, 255])), { $bytes: 'AQL/' })
  assert.deepEqual(normalise(-(2n ** 63n)), { $bigint: '-9223372036854775808' })
  assert.deepEqual(normalise([NaN, Infinity, -Infinity, -0, 0.5]), [null, null, null, 0, 0.5])
  assert.ok(Object.is(normalise(-0), 0))
  assert.deepEqual(normalise({ d: new Y.Doc() }), { d: {} })
  assert.equal(canon({ b: [1, { d: 2, c: 3 }], a: 'x' }), '{"a":"x","b":[1,{"c":3,"d":2}]}')
  // Values JSON.stringify would confuse stay apart.
  for (const [a, b] of [[1n, 1], [new Uint8Array([1]), 'AQ=='], [null, undefined + ''], [0.1, 0.1 + 1e-17 * 2]]) {
    assert.notEqual(canon(normalise(a)), canon(normalise(b)))
  }
  assert.match(jsonDiff({ a: [1, 2], b: 'x' }, { a: [1, 3], c: 'x' }).join('\n'),
    /\$\["a"\]\[1\]: got 2, want 3\n\$\["b"\]: got "x", want no such key\n\$\["c"\]: missing/)
})

test('inference: the kind a root shows, and where it cannot be told', () => {
  const src = new Y.Doc()
  src.getText('t').insert(0, 'x')
  src.getText('embed').insertEmbed(0, { img: 'a.png' })
  src.getArray('strings').insert(0, ['only', 'strings'])
  src.getArray('emptied').insert(0, [1])
  src.getArray('emptied').delete(0, 1)
  src.getMap('m').set('k', 1)
  src.getMap('mEmptied').set('k', 1)
  src.getMap('mEmptied').delete('k')
  src.getXmlFragment('x').insert(0, [new Y.XmlText('a')])
  const d = copyOf(src)
  const got = Object.fromEntries(liveRoots(d).map(n => [n, inferKind(d.share.get(n))]))
  assert.deepEqual(got, {
    t: 'RootText',
    embed: 'RootText',
    strings: 'RootArray',
    emptied: 'RootArray',
    m: 'RootMap',
    mEmptied: 'RootArray', // no visible key: not held to {}
    x: 'RootXMLFragment'
  })
})

test('yjs answering as the Store passes every trace', () => {
  for (let seed = 1; seed <= 30; seed++) {
    const verdict = check(yjsAnswer(gen(seed)))
    assert.equal(verdict.error, undefined, `seed ${seed}`)
    assert.ok(verdict.ok)
    assert.ok(verdict.ratios.length > 0 && verdict.ratios.every(r => r <= 1), `seed ${seed}: ${verdict.ratios}`)
  }
})

test('wrong answers are refused', async (t) => {
  const cases = [
    {
      name: 'a text root one character off',
      want: () => true,
      spoil: (req, tr) => { req.stores.history.json[last(tr)].hinted.text += 'x' },
      error: /store history, step \d+: ToJSON\(hints\) differs from yjs's toJSON\(\):\n {2}\$\["text"\]: got/
    },
    {
      name: 'a bigint given as a number',
      want: (req, tr) => firstTagged(req.stores.collected.json[last(tr)].hinted, '$bigint'),
      spoil: (req, tr) => {
        const { holder, key } = firstTagged(req.stores.collected.json[last(tr)].hinted, '$bigint')
        holder[key] = Number(holder[key].$bigint)
      },
      error: /ToJSON\(hints\) differs[^]*want \{"\$bigint"/
    },
    {
      name: 'other bytes',
      want: (req, tr) => firstTagged(req.stores.collected.json[last(tr)].hinted, '$bytes'),
      spoil: (req, tr) => {
        const { holder, key } = firstTagged(req.stores.collected.json[last(tr)].hinted, '$bytes')
        holder[key] = { $bytes: holder[key].$bytes + 'AA==' }
      },
      error: /ToJSON\(hints\) differs[^]*\$bytes/
    },
    {
      name: 'an undefined map value given as null',
      want: (req, tr) => firstKeyed(req.stores.collected.json[last(tr)].hinted, 'big'),
      spoil: (req, tr) => { firstKeyed(req.stores.collected.json[last(tr)].hinted, 'big').u = null },
      error: /ToJSON\(hints\) differs[^]*\["u"\]: got null, want no such key/
    },
    {
      name: 'a root left out of ToJSON(nil)',
      want: (req, tr) => Object.keys(req.stores.collected.json[last(tr)].inferred).length > 0,
      spoil: (req, tr) => {
        const inferred = req.stores.collected.json[last(tr)].inferred
        delete inferred[Object.keys(inferred)[0]]
      },
      error: /ToJSON\(nil\) has the roots/
    },
    {
      name: 'a map root inferred as an array',
      want: (req, tr) => Object.keys(req.stores.collected.json[last(tr)].hinted.map).length > 0,
      spoil: (req, tr) => {
        const inferred = req.stores.collected.json[last(tr)].inferred
        inferred.map = Object.values(inferred.map)
      },
      error: /ToJSON\(nil\) infers root "map" unlike yjs's toJSON\(\) of a RootMap/
    },
    {
      name: 'history sent as the collected store\'s Encode()',
      historyAs: 'collectedToo',
      want: (req, tr) => {
        const step = last(tr)
        return bytes(req.stores.collectedToo.encodes[step]).length > maxRatio * tr.gcLens[step]
      },
      spoil: (req) => { req.stores.collectedToo.collected = true },
      error: /store collectedToo, step \d+: Encode\(\) is \d+ bytes, yjs's encodeStateAsUpdate of a Y.Doc with gc on \d+ \(ratio/
    },
    {
      name: 'an earlier state as Encode()',
      want: (req, tr) => req.stores.collected.encodes[tr.checkAt[0]] !== req.stores.collected.encodes[last(tr)],
      spoil: (req, tr) => {
        const st = req.stores.collected
        st.encodes[last(tr)] = st.encodes[tr.checkAt[0]]
      },
      error: /store collected, step \d+: Encode\(\) in a fresh doc differs from the reference/
    },
    {
      name: 'nothing sent to a new peer',
      want: (req) => req.stores.history.diffs.at(-1).length > 4,
      spoil: (req) => { req.stores.history.diffs[req.stores.history.diffs.length - 1] = 'AAA=' },
      error: /store history: EncodeDiff for a new peer differs/
    },
    {
      name: 'a delta left out',
      want: (req, tr) => tr.updates.length > 1 && tr.checkAt.length > 1,
      spoil: (req) => { req.stores.history.deltas = req.stores.history.deltas.map(() => null) },
      error: /store history, step \d+: the deltas so far differ from the reference/
    }
  ]
  for (const c of cases) {
    await t.test(c.name, () => {
      const { tr, req } = findTrace(c.want, c.historyAs)
      const spoilt = clone(req)
      c.spoil(spoilt, tr)
      const verdict = check(spoilt)
      assert.equal(verdict.ok, false, `seed ${tr.seed}: the spoilt answer passed`)
      assert.match(verdict.error, c.error)
      assert.ok(check(req).ok, `seed ${tr.seed}: the answer before spoiling fails`)
    })
  }
})
