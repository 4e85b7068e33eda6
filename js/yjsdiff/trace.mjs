// Random multi-client editing traces for the differential test of the Go Yjs store.
// Everything is driven by one seeded generator, so a seed always gives the same trace.
import * as Y from 'yjs'

// rng returns a seeded generator of floats in [0, 1) (mulberry32).
export const rng = (seed) => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const REMOTE = 'remote'
const PIECES = ['a', 'bc', 'héllo ', '😀', '𝄞x', '👩‍👩‍👧', '中文', ' ', '\n', 'zz🎉z', 'ÿ']
// 'ａ' (U+FF41) and '😀' sort one way by UTF-16 code unit, as yjs's toString sorts XML
// attributes and format tags, and the other way by code point.
const KEYS = ['a', 'b', 'c', 'key with space', '😀', '', '\uff41']
// Attribute values as editors set them (y-prosemirror sets node attributes of any JSON
// kind); XML toString writes each as JavaScript's String() of it.
const ATTRS = ['x', 'y', 2, 1.5, 0.1 + 0.2, 1e21, -0, true, null, [100, 200], { a: 1 }]

// Trace simulates clients editing the roots text, arr, map and xml, exchanging updates
// among themselves, and sending every local update to a server. deliveries is what the
// server receives, in order (reordered, delayed and duplicated).
export class Trace {
  constructor (seed) {
    this.r = rng(seed)
    this.clients = []
    this.outbox = [] // updates sent to the server, in the order made
    const n = 2 + this.int(3)
    const ids = new Set()
    while (ids.size < n) ids.add(this.pick([this.int(50) + 1, this.int(2 ** 32), this.int(2 ** 20)]))
    for (const id of ids) this.clients.push(this.makeClient(id))
  }

  int (n) { return Math.floor(this.r() * n) }
  chance (p) { return this.r() < p }
  pick (xs) { return xs[this.int(xs.length)] }

  makeClient (id) {
    const doc = new Y.Doc({ gc: this.chance(0.5) })
    doc.clientID = id
    const roots = [doc.getText('text'), doc.getArray('arr'), doc.getMap('map'), doc.getXmlFragment('xml')]
    const c = { doc, roots, undo: null, echo: this.chance(0.3) }
    if (this.chance(0.6)) c.undo = new Y.UndoManager(roots, { captureTimeout: 0 })
    doc.on('update', (u, origin) => {
      if (origin !== REMOTE || c.echo) this.outbox.push(u)
    })
    return c
  }

  // run makes about steps random actions.
  run (steps) {
    for (let i = 0; i < steps; i++) {
      const c = this.pick(this.clients)
      const x = this.r()
      if (x < 0.12) this.sync()
      else if (x < 0.16) this.outbox.push(Y.encodeStateAsUpdate(c.doc))
      else if (x < 0.18) this.outbox.push(Y.encodeStateAsUpdate(c.doc, Y.encodeStateVector(this.pick(this.clients).doc)))
      else if (x < 0.26 && c.undo) this.chance(0.7) ? c.undo.undo() : c.undo.redo()
      else if (x < 0.29) this.sameSpot()
      else if (x < 0.31) this.sameKey()
      else if (x < 0.33) this.deleteFilled(c)
      else if (x < 0.345) this.typeAndErase(c)
      else if (x < 0.40) c.doc.transact(() => { for (let k = 1 + this.int(4); k > 0; k--) this.edit(c) })
      else this.edit(c)
    }
  }

  // sameSpot has every client insert at the same place of its own text (the start, or
  // its end) without syncing first: concurrent inserts at one position.
  sameSpot () {
    const atEnd = this.chance(0.5)
    for (const c of this.clients) {
      const t = c.roots[0]
      t.insert(atEnd ? t.length : 0, this.pick(PIECES))
    }
  }

  // sameKey has every client set (or now and then delete) one key of its own root map
  // without syncing first: concurrent writes of one map key.
  sameKey () {
    const key = this.pick(KEYS)
    for (const c of this.clients) {
      const m = c.roots[2]
      if (m.has(key) && this.chance(0.2)) m.delete(key)
      else m.set(key, this.value(false))
    }
  }

  // deleteFilled deletes a nested type that has content of its own, so that a collecting
  // store has children to turn into GC ranges.
  deleteFilled (c) {
    const types = []
    collectTypes(c.roots, types)
    const filled = types.filter(t => t._item !== null && !t._item.deleted &&
      (t._start !== null || t._map.size > 0))
    if (filled.length === 0) return
    const t = this.pick(filled)
    const parent = t.parent
    if (t._item.parentSub !== null) {
      parent instanceof Y.XmlElement ? parent.removeAttribute(t._item.parentSub) : parent.delete(t._item.parentSub)
      return
    }
    const i = parent.toArray().indexOf(t)
    if (i >= 0) parent.delete(i, 1)
  }

  // typeAndErase types a run of characters into a text, one keystroke (one update) at a
  // time as an editor sends them, and mostly erases much of it again: long runs of small
  // items for a collecting store to merge and drop.
  typeAndErase (c) {
    const types = []
    collectTypes(c.roots, types)
    const t = this.pick(types.filter(t => t instanceof Y.Text))
    let pos = this.int(t.length + 1)
    const start = pos
    for (let k = 6 + this.int(30); k > 0; k--) t.insert(pos++, this.pick(['a', 'b', ' ', 'é', '\n']))
    if (this.chance(0.3)) return
    const erase = 1 + this.int(pos - start)
    if (this.chance(0.5)) {
      for (let k = 0; k < erase; k++) t.delete(--pos, 1)
    } else {
      t.delete(pos - erase, erase)
    }
  }

  // sync sends one client's missing state to another, as a relay would.
  sync () {
    const a = this.pick(this.clients)
    const b = this.pick(this.clients)
    if (a === b) return
    Y.applyUpdate(b.doc, Y.encodeStateAsUpdate(a.doc, Y.encodeStateVector(b.doc)), REMOTE)
  }

  // edit makes one random change to a random shared type of client c.
  edit (c) {
    const types = []
    collectTypes(c.roots, types)
    const t = this.pick(types)
    if (t instanceof Y.XmlText || t instanceof Y.Text) this.editText(t)
    else if (t instanceof Y.XmlElement) this.editElement(t)
    else if (t instanceof Y.XmlFragment) this.editList(t)
    else if (t instanceof Y.XmlHook || t instanceof Y.Map) this.editMap(t)
    else if (t instanceof Y.Array) this.editList(t)
  }

  // editText inserts, formats or deletes at random UTF-16 positions. Most positions are
  // moved off the middle of a surrogate pair; the rest split one, which yjs answers with
  // U+FFFD on both sides (see Trace.splitsSurrogates).
  editText (t) {
    const flat = t.toDelta().map(d => typeof d.insert === 'string' ? d.insert : '\0').join('')
    const len = t.length
    const at = (i) => {
      if (this.chance(0.1)) return i
      const c = flat.charCodeAt(i - 1)
      return c >= 0xd800 && c <= 0xdbff ? i + 1 : i
    }
    const pos = at(this.int(len + 1))
    const x = this.r()
    if (x < 0.45) t.insert(pos, this.pick(PIECES))
    else if (x < 0.55) t.insert(pos, this.pick(PIECES), this.formats())
    else if (x < 0.62) t.insertEmbed(pos, { img: this.pick(['a.png', 'b.png']), n: this.int(9) })
    else if (len === 0) t.insert(0, this.pick(PIECES))
    else {
      const from = at(this.int(len))
      const to = Math.min(len, at(from + 1 + this.int(6)))
      if (from >= to) return
      if (x < 0.72) t.format(from, to - from, this.chance(0.5) ? { italic: this.pick([true, null]) } : this.formats())
      else t.delete(from, to - from)
    }
  }

  // formats returns formatting attributes as editors set them: flags, strings and objects
  // (y-prosemirror formats text with each mark's attributes), or null to remove one.
  formats () {
    const f = {}
    f[this.pick(['bold', 'color', 'link', 'em', ...KEYS.slice(4)])] = this.pick([true, 'red',
      { href: this.pick(['a.html', 'b']), title: null }, {}, 3, null])
    if (this.chance(0.4)) f.color = this.pick(['red', null])
    return f
  }

  // splitsSurrogates reports whether some client split a surrogate pair: its text then
  // holds U+FFFD where other peers may still hold the astral character, a divergence of
  // yjs itself that depends on which form of the text a peer got first.
  splitsSurrogates () {
    return this.clients.some(c => snapshot(c.doc).includes('\ufffd'))
  }

  editList (t) {
    const len = t.length
    if (len > 0 && this.chance(0.3)) {
      const i = this.int(len)
      t.delete(i, 1 + this.int(Math.min(len - i, 3)))
      return
    }
    const xml = t instanceof Y.XmlFragment
    const items = []
    for (let k = 1 + this.int(3); k > 0; k--) items.push(xml ? this.xmlNode() : this.value(true))
    t.insert(this.int(len + 1), items)
  }

  editElement (el) {
    const x = this.r()
    const keys = Object.keys(el.getAttributes())
    if (x < 0.1 && keys.length > 0) el.removeAttribute(this.pick(keys))
    else if (x < 0.4) el.setAttribute(this.pick(KEYS), this.pick(ATTRS))
    else this.editList(el)
  }

  editMap (m) {
    const keys = Array.from(m.keys())
    if (keys.length > 0 && this.chance(0.25)) m.delete(this.pick(keys))
    else m.set(this.pick(KEYS), this.value(false))
  }

  xmlNode () {
    const x = this.r()
    if (x < 0.4) {
      const el = new Y.XmlElement(this.pick(['p', 'div', 'span', 'H1', 'Ünï']))
      if (this.chance(0.5)) el.setAttribute('class', 'c' + this.int(3))
      if (this.chance(0.3)) el.setAttribute(this.pick(KEYS), this.pick(ATTRS))
      if (this.chance(0.5)) el.insert(0, [new Y.XmlText(this.pick(PIECES))])
      return el
    }
    if (x < 0.8) return new Y.XmlText(this.pick(PIECES))
    const h = new Y.XmlHook(this.pick(['hook', 'embed']))
    h.set('v', this.int(10))
    return h
  }

  // value returns a random array element or map value: every lib0 any tag, binary,
  // nested shared types and subdocuments.
  value (inList) {
    const x = this.r()
    if (x < 0.05) return new Y.Map()
    if (x < 0.08) return new Y.Map([['k', this.value(false)], ['m', new Y.Map([['n', 1]])]])
    if (x < 0.11) return new Y.Array()
    if (x < 0.14) return Y.Array.from([this.value(true), Y.Array.from(['x', 2])])
    if (x < 0.20) return new Y.Text(this.pick(PIECES))
    if (x < 0.23) return this.pick([new Uint8Array([this.int(256), this.int(256)]), new Uint8Array(0), new Uint8Array(300).fill(this.int(256))])
    if (x < 0.25) return this.subdoc()
    // Plain values, with undefined, bigint and non-finite numbers inside them: yjs refuses
    // undefined and bigint as list elements themselves, not inside an object or array.
    const vals = [null, 0, -1, 2 ** 31 + 3, 0.5, 0.1, -0.25, 1e300, true, false, '', 's😀',
      this.pick(PIECES), { a: 1, b: [null, 'x', { c: 2.5 }] }, [1, [2, []]],
      { bin: new Uint8Array([1, 2]) }, [1, undefined, 10n ** 15n, NaN, -0],
      { u: undefined, n: -Infinity, big: -(2n ** 63n), e: {} }]
    if (!inList) vals.push(undefined, 10n ** 15n, NaN, -0, -Infinity)
    return this.pick(vals)
  }

  // subdoc returns a subdocument, now and then with the options a provider sets.
  subdoc () {
    const guid = 'sub-' + this.int(1000)
    if (this.chance(0.5)) return new Y.Doc({ guid })
    return new Y.Doc({ guid, autoLoad: this.chance(0.5), meta: { title: 't', n: this.int(9) } })
  }

  // deliveries builds the server's view: every outbox update, some held back and
  // delivered later, some delivered twice, some merged together first.
  deliveries () {
    const out = []
    const held = []
    for (const u of this.outbox) {
      if (this.chance(0.15)) held.push(u)
      else if (this.chance(0.05) && held.length > 0) out.push({ u: Y.mergeUpdates([u, held.pop()]) })
      else out.push({ u })
      if (this.chance(0.08) && out.length > 0) out.push({ u: this.pick(out).u, dup: true })
      if (held.length > 0 && this.chance(0.3)) out.push({ u: held.splice(this.int(held.length), 1)[0] })
    }
    while (held.length > 0) out.push({ u: held.splice(this.int(held.length), 1)[0] })
    return out
  }
}

const collectTypes = (types, out) => {
  for (const t of types) {
    out.push(t)
    if (t instanceof Y.Map || t instanceof Y.XmlHook) collectTypes(Array.from(t.values()).filter(v => v instanceof Y.AbstractType), out)
    else if (t instanceof Y.XmlElement || t instanceof Y.XmlFragment || t instanceof Y.Array) collectTypes(t.toArray().filter(v => v instanceof Y.AbstractType), out)
  }
}

// snapshot renders the declared roots of a document as a deterministic JSON string:
// text as deltas (formatting and embeds included), XML with names and attributes,
// nested types recursively, binary, bigint and subdocuments tagged.
export const snapshot = (doc, astralAsPairs = false) => astral(JSON.stringify({
  text: render(doc.getText('text')),
  arr: render(doc.getArray('arr')),
  map: render(doc.getMap('map')),
  xml: render(doc.getXmlFragment('xml'))
}), astralAsPairs)

// snapshotRoots renders the named roots of a document, each read as the kind given
// ('text', 'map', 'array' or 'xml'), as snapshot does.
export const snapshotRoots = (doc, roots) => JSON.stringify(Object.fromEntries(
  Object.keys(roots).sort().map(name => [name, render(getRoot[roots[name]](doc, name))])))

const getRoot = {
  text: (d, n) => d.getText(n),
  map: (d, n) => d.getMap(n),
  array: (d, n) => d.getArray(n),
  xml: (d, n) => d.getXmlFragment(n)
}

// astral, when asked, writes every astral character as two U+FFFD, so that the two
// forms of a text split inside a surrogate pair compare equal.
export const astral = (s, on) => on ? s.replace(/[\u{10000}-\u{10ffff}]/gu, '\ufffd\ufffd') : s

const render = (v) => {
  if (v instanceof Y.XmlText || v instanceof Y.Text) return { text: v.toDelta().map(d => ({ insert: render(d.insert), attrs: d.attributes ? sortObj(d.attributes) : null })) }
  if (v instanceof Y.XmlElement) return { el: v.nodeName, attrs: sortObj(v.getAttributes()), kids: v.toArray().map(render) }
  if (v instanceof Y.XmlHook) return { hook: v.hookName, m: renderMap(v) }
  if (v instanceof Y.XmlFragment) return { frag: v.toArray().map(render) }
  if (v instanceof Y.Map) return { m: renderMap(v) }
  if (v instanceof Y.Array) return { a: v.toArray().map(render) }
  if (v instanceof Y.Doc) return { doc: v.guid }
  if (v instanceof Uint8Array) return { bin: Array.from(v) }
  if (typeof v === 'bigint') return { big: v.toString() }
  if (typeof v === 'number' && !Number.isFinite(v)) return { num: String(v) }
  if (Object.is(v, -0)) return { num: '-0' }
  if (v === undefined) return { undef: true }
  if (Array.isArray(v)) return v.map(render)
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map(k => [k, render(v[k])]))
  return v
}

const renderMap = (m) => Object.fromEntries(Array.from(m.keys()).sort().map(k => [k, render(m.get(k))]))
const sortObj = (o) => Object.fromEntries(Object.keys(o).sort().map(k => [k, render(o[k])]))
