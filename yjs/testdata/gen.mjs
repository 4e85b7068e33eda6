// Generates the golden vectors in this directory from the real yjs and lib0 (pinned in
// js/package.json):
//   golden.json  v1 updates with a description of every struct and delete range as yjs
//                itself decodes them; the Go tests decode each update, compare the fields
//                and check that encoding gives back the exact bytes.
//   lib0.json    var-uints, var-ints, var-strings and any values as lib0 writes them.
//
// Run from the repository root after `npm ci --prefix js`:
//   node yjs/testdata/gen.mjs
import { createRequire } from 'node:module'
import { writeFileSync } from 'node:fs'

const require = createRequire(new URL('../../js/package.json', import.meta.url))
const Y = require('yjs')
const encoding = require('lib0/encoding')

const vectors = []
const add = (name, update) => vectors.push({ name, update: Buffer.from(update).toString('base64'), ...describe(update) })

// describeAny tags a decoded lib0 any value so that Go can compare it exactly.
const describeAny = (v) => {
  if (v === undefined) return { t: 'undefined' }
  if (v === null) return { t: 'null' }
  switch (typeof v) {
    case 'number':
      if (Object.is(v, -0)) return { t: 'number', s: '-0' }
      if (!Number.isFinite(v)) return { t: 'number', s: String(v) }
      return { t: 'number', v }
    case 'bigint': return { t: 'bigint', s: v.toString() }
    case 'boolean': return { t: 'bool', v }
    case 'string': return { t: 'string', v }
  }
  if (v instanceof Uint8Array) return { t: 'bytes', hex: Buffer.from(v).toString('hex') }
  if (Array.isArray(v)) return { t: 'array', v: v.map(describeAny) }
  return { t: 'object', v: Object.keys(v).map(k => [k, describeAny(v[k])]) }
}

const typeRef = (t) => {
  if (t instanceof Y.XmlElement) return { typeRef: 3, name: t.nodeName }
  if (t instanceof Y.XmlHook) return { typeRef: 5, name: t.hookName }
  if (t instanceof Y.XmlText) return { typeRef: 6 }
  if (t instanceof Y.XmlFragment) return { typeRef: 4 }
  if (t instanceof Y.Text) return { typeRef: 2 }
  if (t instanceof Y.Map) return { typeRef: 1 }
  if (t instanceof Y.Array) return { typeRef: 0 }
  throw new Error('unknown type')
}

const describeContent = (c) => {
  switch (c.constructor) {
    case Y.ContentDeleted: return { type: 'deleted', len: c.len }
    case Y.ContentJSON: return { type: 'json', json: c.arr.map(v => v === undefined ? 'undefined' : JSON.stringify(v)) }
    case Y.ContentBinary: return { type: 'binary', hex: Buffer.from(c.content).toString('hex') }
    case Y.ContentString: return { type: 'string', str: c.str }
    case Y.ContentEmbed: return { type: 'embed', json: JSON.stringify(c.embed) }
    case Y.ContentFormat: return { type: 'format', key: c.key, json: JSON.stringify(c.value) }
    case Y.ContentType: return { type: 'type', ...typeRef(c.type) }
    case Y.ContentAny: return { type: 'any', values: c.arr.map(describeAny) }
    case Y.ContentDoc: return { type: 'doc', guid: c.doc.guid, opts: describeAny(c.opts) }
  }
  throw new Error('unknown content')
}

const id = (x) => x === null ? null : [x.client, x.clock]

const describe = (update) => {
  const { structs, ds } = Y.decodeUpdate(update)
  const out = structs.map(s => {
    const base = { client: s.id.client, clock: s.id.clock, length: s.length }
    if (s instanceof Y.GC) return { kind: 'gc', ...base }
    if (s instanceof Y.Skip) return { kind: 'skip', ...base }
    return {
      kind: 'item',
      ...base,
      origin: id(s.origin),
      rightOrigin: id(s.rightOrigin),
      parent: s.parent === null ? null : typeof s.parent === 'string' ? s.parent : id(s.parent),
      parentSub: s.parentSub,
      content: describeContent(s.content)
    }
  })
  const dels = []
  ds.clients.forEach((items, client) => dels.push([client, items.map(d => [d.clock, d.len])]))
  return { structs: out, ds: dels }
}

const doc = (clientID, gc = true) => {
  const d = new Y.Doc({ gc })
  d.clientID = clientID
  return d
}

const captured = (d) => {
  const updates = []
  d.on('update', u => updates.push(u))
  return updates
}

// handBuilt writes one client's run of items made directly, for content kinds current
// yjs no longer creates (ContentJSON) and for odd values.
const handBuilt = (client, clock, items, dels = []) => {
  const enc = new Y.UpdateEncoderV1()
  encoding.writeVarUint(enc.restEncoder, 1)
  encoding.writeVarUint(enc.restEncoder, items.length)
  enc.writeClient(client)
  encoding.writeVarUint(enc.restEncoder, clock)
  items.forEach(it => it.write(enc, 0))
  encoding.writeVarUint(enc.restEncoder, dels.length)
  dels.forEach(([c, ranges]) => {
    encoding.writeVarUint(enc.restEncoder, c)
    encoding.writeVarUint(enc.restEncoder, ranges.length)
    ranges.forEach(([k, n]) => { encoding.writeVarUint(enc.restEncoder, k); encoding.writeVarUint(enc.restEncoder, n) })
  })
  return enc.toUint8Array()
}

// 1. The empty document.
add('empty-doc', Y.encodeStateAsUpdate(new Y.Doc()))

// 2. Text with astral characters, emoji sequences, formatting and embeds.
{
  const d = doc(1001, false)
  const t = d.getText('text')
  t.insert(0, 'héllo wörld 𝄞 😀 👩‍👩‍👧 中文')
  t.format(0, 5, { bold: true })
  t.insertEmbed(3, { image: 'x.png', size: [1, 2] })
  t.format(6, 4, { italic: { deep: null } })
  t.delete(8, 3)
  t.insert(t.length, '🎉', { color: '#f00' })
  add('text-gc-off', Y.encodeStateAsUpdate(d))
}

// 3. Every lib0 any tag, in a root map (parentSub written) and overwritten keys (an
// origin is present, so the parentSub flag stays set but the key is not written).
{
  const d = doc(2002)
  const m = d.getMap('map')
  m.set('undefined', undefined)
  m.set('null', null)
  m.set('int', 42)
  m.set('negint', -123456)
  m.set('negzero', -0)
  m.set('int31', 2 ** 31 - 1)
  m.set('bigish', 2 ** 31 + 1)
  m.set('f32', 0.5)
  m.set('f64', 0.1)
  m.set('nan', NaN)
  m.set('inf', -Infinity)
  m.set('bigint', -(2n ** 62n))
  m.set('false', false)
  m.set('true', true)
  m.set('string', 'a 😀 b')
  m.set('emoji', '👍🏽 astral 𝔸')
  m.set('object', { a: 1, nested: { b: [1, 'two', null, { c: new Uint8Array([1, 2, 3]) }] }, '': 'empty key' })
  m.set('array', [1, [2, [3, []]], {}])
  m.set('bytes-in-any', [new Uint8Array([0, 255])])
  m.set('binary', new Uint8Array([9, 8, 7]))
  m.set('int', 43)
  m.set('string', 'overwritten')
  add('map-any-tags', Y.encodeStateAsUpdate(d))
}

// 4. Nested types, subdocuments and deletes, with GC on so deleted types become GC
// structs.
{
  const d = doc(3003, true)
  const a = d.getArray('arr')
  const inner = new Y.Map()
  const list = new Y.Array()
  const text = new Y.Text()
  a.insert(0, [1, 'x', inner, list, text, new Uint8Array([5])])
  inner.set('k', 'v')
  list.insert(0, [1, 2, 3])
  text.insert(0, 'inner text')
  const sub = new Y.Doc({ guid: 'sub-guid', autoLoad: true, meta: { owner: 'me' }, gc: false })
  a.push([sub])
  a.delete(3, 1) // the nested array: its items become GC
  add('nested-gc-on', Y.encodeStateAsUpdate(d))
}

// 5. XML: fragment, elements with attributes, text with formatting, hooks.
{
  const d = doc(4004, false)
  const f = d.getXmlFragment('xml')
  const p = new Y.XmlElement('p')
  const hook = new Y.XmlHook('my-hook')
  const xt = new Y.XmlText()
  f.insert(0, [p, hook])
  p.setAttribute('class', 'lead')
  p.insert(0, [xt])
  xt.insert(0, 'xml text', { b: true })
  hook.set('data', { x: 1 })
  const el = d.getXmlElement('el')
  el.insert(0, [new Y.XmlText('plain')])
  add('xml', Y.encodeStateAsUpdate(d))
}

// 6. Incremental updates as the 'update' event delivers them: one keystroke, a delete.
{
  const d = doc(5005)
  const ups = captured(d)
  const t = d.getText('text')
  t.insert(0, 'ab')
  t.insert(2, 'c')
  t.insert(1, '😀')
  t.delete(0, 1)
  ups.forEach((u, i) => add(`event-${i}`, u))
}

// 7. A state with pending structs and a gap: encodeStateAsUpdate writes a Skip.
{
  const a = doc(6006)
  const ups = captured(a)
  const t = a.getText('t')
  t.insert(0, 'one')
  t.insert(3, 'two')
  t.insert(6, 'three')
  const b = doc(7007)
  Y.applyUpdate(b, ups[0])
  Y.applyUpdate(b, ups[2])
  add('pending-with-skip', Y.encodeStateAsUpdate(b))
  add('merged-updates', Y.mergeUpdates([ups[2], ups[0]]))
  // A diff from a state vector in the middle of an item: the first item is sliced.
  add('diff-sliced', Y.diffUpdate(Y.encodeStateAsUpdate(a), encodeSV(new Map([[6006, 2]]))))
}

// 8. Several clients, large client ids and clocks, deletes across clients.
{
  const a = doc(4294967295)
  const b = doc(123456789)
  const ta = a.getText('t')
  ta.insert(0, 'x'.repeat(300))
  Y.applyUpdate(b, Y.encodeStateAsUpdate(a))
  const tb = b.getText('t')
  tb.insert(150, 'from b')
  tb.delete(10, 20)
  tb.delete(200, 5)
  add('two-clients', Y.encodeStateAsUpdate(b))
}

// 9. Hand-built items: ContentJSON (legacy), ContentDeleted, parent given by item ID,
// format with a null value, embeds, all XML type refs.
{
  const c = 9009
  const items = [
    new Y.Item(Y.createID(c, 0), null, null, null, null, 'legacy', null, new Y.ContentJSON([1, 'a', { b: null }, undefined])),
    new Y.Item(Y.createID(c, 4), null, Y.createID(c, 3), null, null, null, null, new Y.ContentDeleted(3)),
    new Y.Item(Y.createID(c, 7), null, null, null, null, Y.createID(c, 0), 'key', new Y.ContentFormat('bold', null)),
    new Y.Item(Y.createID(c, 8), null, null, null, Y.createID(c, 7), null, null, new Y.ContentEmbed({ formula: 'e=mc²' })),
    new Y.Item(Y.createID(c, 9), null, null, null, null, 'frag', null, new Y.ContentType(new Y.XmlFragment())),
    new Y.Item(Y.createID(c, 10), null, Y.createID(c, 9), null, null, null, null, new Y.ContentType(new Y.XmlElement('div'))),
    new Y.Item(Y.createID(c, 11), null, Y.createID(c, 10), null, null, null, null, new Y.ContentType(new Y.XmlHook('h'))),
    new Y.Item(Y.createID(c, 12), null, Y.createID(c, 11), null, null, null, null, new Y.ContentType(new Y.XmlText())),
    new Y.Item(Y.createID(c, 13), null, Y.createID(c, 12), null, null, null, null, new Y.ContentType(new Y.Text())),
    new Y.Item(Y.createID(c, 14), null, Y.createID(c, 13), null, null, null, null, new Y.ContentType(new Y.Map())),
    new Y.Item(Y.createID(c, 15), null, Y.createID(c, 14), null, null, null, null, new Y.ContentType(new Y.Array())),
    new Y.Item(Y.createID(c, 16), null, null, null, null, '', 'sub with 😀', new Y.ContentAny([[], {}, ''])),
    new Y.Item(Y.createID(c, 19), null, null, null, null, Y.createID(77, 5), null, new Y.ContentString('by parent id'))
  ]
  add('hand-built', handBuilt(c, 0, items, [[c, [[4, 3], [20, 2]]], [77, [[0, 1]]]]))
}

function encodeSV (map) {
  const enc = encoding.createEncoder()
  encoding.writeVarUint(enc, map.size)
  map.forEach((clock, client) => { encoding.writeVarUint(enc, client); encoding.writeVarUint(enc, clock) })
  return encoding.toUint8Array(enc)
}

const out = (name, v) => writeFileSync(new URL(name, import.meta.url), JSON.stringify(v, null, 1) + '\n')
out('golden.json', vectors)

// lib0 primitives: each value with the bytes lib0 writes for it.
const bytesOf = (write) => {
  const enc = encoding.createEncoder()
  write(enc)
  return Buffer.from(encoding.toUint8Array(enc)).toString('hex')
}
const lib0 = []
for (const v of [0, 1, 127, 128, 300, 16383, 16384, 2 ** 21, 2 ** 32 - 1, 2 ** 32, 2 ** 49, Number.MAX_SAFE_INTEGER]) {
  lib0.push({ kind: 'varuint', value: String(v), hex: bytesOf(e => encoding.writeVarUint(e, v)) })
}
for (const v of [0, -0, 1, -1, 63, -63, 64, -64, 8191, 8192, -8193, 2 ** 31 - 1, -(2 ** 31), 2 ** 40, -(2 ** 52), Number.MAX_SAFE_INTEGER]) {
  lib0.push({ kind: 'varint', value: Object.is(v, -0) ? '-0' : String(v), hex: bytesOf(e => encoding.writeVarInt(e, v)) })
}
for (const v of ['', 'a', 'héllo', '中文', '😀 𝄞 👩‍👩‍👧', 'x'.repeat(200)]) {
  lib0.push({ kind: 'varstring', value: v, hex: bytesOf(e => encoding.writeVarString(e, v)) })
}
const anys = [undefined, null, 0, -0, 1, -1, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, 0.5, -1.5e-7, 0.1, 1e300, NaN,
  Infinity, -Infinity, 2n ** 63n - 1n, -(2n ** 63n), false, true, '', 's😀', new Uint8Array([0, 1, 255]),
  [], {}, [1, 'a', [null, [undefined]]], { a: 1, b: { c: [true, false] }, '': new Uint8Array(0), '😀': 0.25 }]
for (const v of anys) lib0.push({ kind: 'any', value: describeAny(v), hex: bytesOf(e => encoding.writeAny(e, v)) })
out('lib0.json', lib0)
