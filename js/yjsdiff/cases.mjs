// Fixed document-model cases for yjs/model_test.go: each case builds documents with the
// real yjs and prints, as one JSON line, the updates a server would receive, the JSON the
// document gives (roots declared) and the length of a gc:true Y.Doc's encoding.
import * as Y from 'yjs'

const b64 = (u) => Buffer.from(u).toString('base64')

// peers makes n docs with fixed client ids whose updates are all recorded.
const peers = (n, gc = false) => {
  const updates = []
  const docs = []
  for (let i = 0; i < n; i++) {
    const d = new Y.Doc({ gc })
    d.clientID = 10 + i
    d.on('update', (u, origin) => { if (origin !== 'sync') updates.push(u) })
    docs.push(d)
  }
  const sync = () => {
    for (const a of docs) {
      for (const b of docs) {
        if (a !== b) Y.applyUpdate(b, Y.encodeStateAsUpdate(a, Y.encodeStateVector(b)), 'sync')
      }
    }
  }
  return { docs, updates, sync }
}

const kinds = { text: 'text', arr: 'array', map: 'map', xml: 'xml' }
const declare = (d) => {
  d.getText('text'); d.getArray('arr'); d.getMap('map'); d.getXmlFragment('xml')
}

const cases = {
  // Concurrent inserts at one spot from three clients, then interleaved typing.
  yata (p) {
    const [a, b, c] = p.docs
    a.getText('text').insert(0, 'base')
    p.sync()
    a.getText('text').insert(2, 'AA'); b.getText('text').insert(2, 'BB'); c.getText('text').insert(2, 'CC')
    b.getText('text').insert(0, 'b0'); c.getText('text').insert(6, 'c6')
    p.sync()
    a.getText('text').insert(3, 'x'); c.getText('text').insert(3, 'y')
  },
  // Concurrent writes of one map key; a nested map overwritten by a value.
  mapWinner (p) {
    const [a, b, c] = p.docs
    a.getMap('map').set('k', 'a'); b.getMap('map').set('k', 'b'); c.getMap('map').set('k', 'c')
    const inner = new Y.Map(); a.getMap('map').set('nested', inner); inner.set('x', 1)
    p.sync()
    b.getMap('map').set('nested', 'flat'); a.getMap('map').get('nested').set('y', 2)
    c.getMap('map').delete('k')
  },
  // A type with children is deleted: its children become GC ranges.
  deletedType (p) {
    const [a, b] = p.docs
    const arr = a.getArray('arr')
    const m = new Y.Map(); const t = new Y.Text(); const inner = new Y.Array()
    arr.insert(0, [m, t, inner, 'keep'])
    m.set('a', 'x'); m.set('b', new Y.Array()); t.insert(0, 'text inside'); inner.push([1, 2, 3])
    p.sync()
    b.getArray('arr').get(1).insert(4, 'concurrent')
    arr.delete(0, 3)
    p.sync()
  },
  // Typing and deleting: the deleted runs keep only their length.
  typing (p) {
    const [a, b] = p.docs
    const t = a.getText('text')
    for (let i = 0; i < 300; i++) t.insert(t.length, 'abcdefghij'[i % 10])
    p.sync()
    const u = b.getText('text')
    for (let i = 0; i < 100; i++) u.insert(150 + i, 'Z')
    t.delete(10, 200); u.delete(0, 5)
    p.sync()
  },
  // XML: elements with attributes, formatted XML text, hooks, nesting.
  xml (p) {
    const [a, b] = p.docs
    const x = a.getXmlFragment('xml')
    const el = new Y.XmlElement('Div'); const xt = new Y.XmlText(); const hook = new Y.XmlHook('h')
    x.insert(0, [el, new Y.XmlText('tail'), hook])
    el.setAttribute('z', 'last'); el.setAttribute('a', 'first'); el.insert(0, [xt, new Y.XmlElement('br')])
    xt.insert(0, 'bold', { bold: true }); xt.insert(4, ' red', { color: 'red', bold: null }); xt.insert(8, ' plain', {})
    xt.insertEmbed(2, { img: 'a.png' }, { italic: true })
    hook.set('k', 'v')
    p.sync()
    b.getXmlFragment('xml').get(0).setAttribute('a', 'changed')
    b.getXmlFragment('xml').get(0).get(0).format(0, 2, { italic: true })
  },
  // Formats and embeds in a text, and a text attribute (map keys on a text).
  richText (p) {
    const [a] = p.docs
    const t = a.getText('text')
    t.insert(0, 'hello world', { bold: true }); t.format(2, 3, { bold: null, size: 12 })
    t.insertEmbed(5, { video: 'v.mp4' }); t.delete(0, 1)
  },
  // Values of every kind in an array and a map, a subdocument, binary, undefined.
  values (p) {
    const [a] = p.docs
    const arr = a.getArray('arr')
    arr.insert(0, [0, -1.5, 2 ** 40, 'str', true, false, null, [1, [2]], { o: { p: 'q' } }, new Uint8Array([0, 255])])
    arr.push([new Y.Doc({ guid: 'sub-1' })])
    const m = a.getMap('map')
    m.set('bin', new Uint8Array([7])); m.set('u', undefined); m.set('n', null); m.set('big', 1e21); m.set('doc', new Y.Doc({ guid: 'sub-2' }))
    arr.delete(1, 2)
  },
  // Surrogate pairs kept whole, and many clients deleting each other's text.
  unicode (p) {
    const [a, b, c] = p.docs
    a.getText('text').insert(0, '😀 中文 👩‍👩‍👧 𝄞')
    p.sync()
    b.getText('text').insert(2, 'é'); c.getText('text').delete(0, 2); a.getText('text').insert(a.getText('text').length, '🎉')
    p.sync()
  },
  // Undo and redo across clients: items come back as new items.
  undo (p) {
    const [a, b] = p.docs
    const t = a.getText('text'); const um = new Y.UndoManager([t, a.getArray('arr')], { captureTimeout: 0 })
    t.insert(0, 'one'); t.insert(3, ' two'); a.getArray('arr').push([new Y.Map()])
    um.undo(); um.undo(); um.redo()
    p.sync()
    b.getText('text').insert(0, '>')
    um.undo()
  }
}

for (const [name, run] of Object.entries(cases)) {
  for (const gc of [false, true]) {
    const p = peers(3, gc)
    p.docs.forEach(declare)
    run(p)
    p.sync()
    const ref = new Y.Doc({ gc: true })
    declare(ref)
    for (const u of p.updates) Y.applyUpdate(ref, u)
    const kept = new Y.Doc({ gc: false })
    for (const u of p.updates) Y.applyUpdate(kept, u)
    console.log(JSON.stringify({
      name: `${name}/${gc ? 'gc' : 'nogc'}`,
      updates: p.updates.map(b64),
      kinds,
      json: JSON.stringify(ref.toJSON(), (k, v) => v instanceof Uint8Array ? b64(v) : v),
      gcSize: Y.encodeStateAsUpdate(ref).length,
      keptSize: Y.encodeStateAsUpdate(kept).length
    }))
  }
}
