// The JSON view of a document, as the differential test compares it with the Go Store's
// ToJSON. yjs's toJSON() returns JavaScript values that JSON cannot carry one to one, so
// both sides are brought to one normal form before they are compared:
//
//   Uint8Array (Go []byte)   → {"$bytes": base64}
//   bigint (Go int64)        → {"$bigint": "decimal"}
//   numbers (Go float64)     → JSON numbers (both sides write the shortest form that reads
//                              back as the same double); as JSON.stringify writes them,
//                              NaN and ±Infinity → null and -0 → 0
//   undefined as a map value → the key is left out (as JSON.stringify does)
//   undefined in an array    → null (as JSON.stringify does)
//   a subdocument (Y.Doc)    → {} (as JSON.stringify writes it: the roots of a subdocument
//                              that is not loaded; its content is opaque to the Store)
//
// These are the rules the Store's ToJSON documents. The Go side writes its values with the
// same tags (yjs/diffjson_test.go), and a float64 JSON cannot carry (NaN, ±Inf) as
// {"$num": name}, which equals nothing here. A map whose own keys are "$bytes", "$bigint"
// or "$num" would read as a tagged value; the traces make none.
import * as Y from 'yjs'

// normalise returns the normal form of a value taken from yjs's toJSON().
export const normalise = (v) => {
  if (v === undefined || v === null) return null
  if (v instanceof Uint8Array) return { $bytes: Buffer.from(v).toString('base64') }
  if (typeof v === 'bigint') return { $bigint: v.toString() }
  if (typeof v === 'number') return Number.isFinite(v) ? v + 0 : null
  if (v instanceof Y.Doc) return {}
  if (v instanceof Y.AbstractType) return normalise(v.toJSON())
  if (Array.isArray(v)) return v.map(normalise)
  if (typeof v === 'object') {
    const out = {}
    for (const k of Object.keys(v)) {
      if (v[k] !== undefined) out[k] = normalise(v[k])
    }
    return out
  }
  return v
}

// canon writes a normal form as JSON with sorted keys, so equal values give equal strings.
export const canon = (v) => {
  if (Array.isArray(v)) return '[' + v.map(canon).join(',') + ']'
  if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v).sort()
    return '{' + keys.map(k => JSON.stringify(k) + ':' + canon(v[k])).join(',') + '}'
  }
  return JSON.stringify(v)
}

// jsonDiff lists, as readable lines, up to max places where two normal forms differ.
export const jsonDiff = (got, want, max = 5) => {
  const out = []
  const walk = (g, w, path) => {
    if (out.length >= max || canon(g) === canon(w)) return
    const kind = (x) => Array.isArray(x) ? 'array' : x === null ? 'null' : typeof x
    if (kind(g) !== kind(w) || kind(g) !== 'array' && kind(g) !== 'object' || isTagged(g) || isTagged(w)) {
      out.push(`${path}: got ${short(g)}, want ${short(w)}`)
      return
    }
    if (Array.isArray(g)) {
      if (g.length !== w.length) out.push(`${path}: got ${g.length} elements, want ${w.length}`)
      for (let i = 0; i < Math.min(g.length, w.length); i++) walk(g[i], w[i], `${path}[${i}]`)
      return
    }
    for (const k of new Set([...Object.keys(g), ...Object.keys(w)])) {
      const p = `${path}[${JSON.stringify(k)}]`
      if (!(k in g)) out.push(`${p}: missing, want ${short(w[k])}`)
      else if (!(k in w)) out.push(`${p}: got ${short(g[k])}, want no such key`)
      else walk(g[k], w[k], p)
      if (out.length >= max) return
    }
  }
  walk(got, want, '$')
  return out
}

const isTagged = (x) => x !== null && typeof x === 'object' && !Array.isArray(x) &&
  Object.keys(x).length === 1 && ['$bytes', '$bigint', '$num'].includes(Object.keys(x)[0])

// short renders a value for a diff line; long strings are shown around their first
// difference by the caller's context, so here they are only cut.
const short = (v) => {
  const s = canon(v)
  return s.length > 200 ? s.slice(0, 200) + '…' : s
}

// Root kinds, named as the Go RootKind constants are.
export const kinds = {
  text: 'RootText', arr: 'RootArray', map: 'RootMap', xml: 'RootXMLFragment'
}

// declare returns a root of doc read as the given kind.
export const declare = (doc, name, kind) => {
  switch (kind) {
    case 'RootText': return doc.getText(name)
    case 'RootMap': return doc.getMap(name)
    case 'RootXMLFragment': return doc.getXmlFragment(name)
    default: return doc.getArray(name)
  }
}

// inferKind applies the Go Store's inference rule (api: map keys → map; strings, formats
// and embeds → text; XML children → fragment; otherwise array) to what a root visibly holds.
// Where it gives another kind than the root was declared with, the inferred JSON is not
// compared: these are the roots with no visible content other than arrays (an emptied text,
// map or fragment reads as "", {} or "" in yjs; the rule, which sees no content, says
// array; and a deleted item's kind is lost once it is collected, so the rule is read on
// visible content only). An array that holds only strings still infers array: its strings
// are any content, not string content. type is a root of a doc that has not declared it.
export const inferKind = (type) => {
  for (const item of type._map.values()) {
    if (!item.deleted) return 'RootMap'
  }
  let xml = false
  for (let n = type._start; n !== null; n = n.right) {
    if (n.deleted) continue
    const c = n.content
    if (c instanceof Y.ContentString || c instanceof Y.ContentFormat || c instanceof Y.ContentEmbed) return 'RootText'
    if (c instanceof Y.ContentType && isXml(c.type)) xml = true
  }
  return xml ? 'RootXMLFragment' : 'RootArray'
}

const isXml = (t) => t instanceof Y.XmlElement || t instanceof Y.XmlText || t instanceof Y.XmlHook

// liveRoots lists the roots of a doc (fed updates, no root declared) that hold an
// integrated item, deleted or not. yjs also creates a root for a struct that is still
// pending (it reads the parent's name when it decodes the struct); such a root is not part
// of the integrated document the Store describes.
export const liveRoots = (doc) => Array.from(doc.share.entries())
  .filter(([, t]) => t._start !== null || t._map.size > 0)
  .map(([name]) => name)
  .sort()
