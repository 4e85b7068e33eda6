package yjs

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf16"
)

// RootKind tells ToJSON how to read a root type: v1 updates do not record what kind of
// shared type a root is, only what its items hold.
type RootKind uint8

const (
	// RootInfer reads a root by what it holds: map keys (deleted or not) make a map;
	// undeleted strings, format markers and embeds make a text; undeleted XML children
	// make an XML fragment; anything else, and nothing, an array. An emptied text
	// therefore reads as an empty array: hint the kind where that matters.
	RootInfer RootKind = iota
	RootArray
	RootMap
	RootText
	RootXMLFragment
)

// ToJSON returns every root of the document as yjs's Y.Doc.toJSON() gives it for a doc
// whose roots are declared with the kinds hinted (the others inferred, see RootInfer).
// Hinted roots the document lacks are there, empty, as declared roots are in a Y.Doc.
//
// Values are map[string]any, []any, string, float64 (numbers), int64 (bigints), bool,
// nil and []byte (a Uint8Array). As JSON.stringify does, an undefined map value leaves
// its key out, an undefined array element and a number that is not finite become nil,
// and a subdocument becomes an empty map. Texts and XML types give the strings yjs's
// toString gives. A store made for merging only, or one whose model was dropped (see
// ModelErr), has no document and gives an empty map. Shared types nested more than
// MaxJSONDepth deep give ErrTooDeep.
func (s *Store) ToJSON(hints map[string]RootKind) (map[string]any, error) {
	out := make(map[string]any)
	if s.m == nil {
		return out, nil
	}
	r := &jsonReader{}
	for name, t := range s.m.roots {
		out[name] = r.rootJSON(t, hints[name])
	}
	for name, k := range hints {
		if _, ok := out[name]; !ok && k != RootInfer {
			out[name] = r.rootJSON(&ytype{ref: typeRoot}, k)
		}
	}
	if r.err != nil {
		return nil, r.err
	}
	return out, nil
}

// RootJSON returns one root of the document as ToJSON does, or ErrNoRoot when the
// document has no root of that name.
func (s *Store) RootJSON(name string, hint RootKind) (any, error) {
	if s.m == nil || s.m.roots[name] == nil {
		return nil, fmt.Errorf("reading root %q: %w", name, ErrNoRoot)
	}
	r := &jsonReader{}
	v := r.rootJSON(s.m.roots[name], hint)
	return v, r.err
}

// MaxJSONDepth is how deeply ToJSON follows shared types nested in shared types. Reading
// is recursive, and a document can nest types a million deep in a few megabytes.
const MaxJSONDepth = 1000

var (
	// ErrNoRoot means the document has no root of the name asked for.
	ErrNoRoot = errors.New("no such root")
	// ErrTooDeep means shared types are nested more than MaxJSONDepth deep.
	ErrTooDeep = fmt.Errorf("shared types nested more than %d deep", MaxJSONDepth)
)

// jsonReader reads the model as JSON, counting how deep it is in nested types.
type jsonReader struct {
	depth int
	err   error
}

// enter goes one type deeper and reports whether that is allowed; leave comes back.
func (r *jsonReader) enter() bool {
	r.depth++
	if r.depth > MaxJSONDepth && r.err == nil {
		r.err = ErrTooDeep
	}
	return r.err == nil
}

func (r *jsonReader) leave() { r.depth-- }

// rootJSON reads a root as the kind given, or the kind it looks like.
func (r *jsonReader) rootJSON(t *ytype, k RootKind) any {
	if k == RootInfer {
		k = inferKind(t)
	}
	switch k {
	case RootMap:
		return r.mapJSON(t)
	case RootText:
		return textString(t)
	case RootXMLFragment:
		return r.fragmentString(t)
	}
	return r.arrayJSON(t)
}

// inferKind applies RootInfer's rules to a root.
func inferKind(t *ytype) RootKind {
	if len(t.keys) > 0 {
		return RootMap
	}
	for it := t.start; it != nil; it = it.right {
		if it.deleted() {
			continue // so that a store that keeps history infers what a collecting one does
		}
		switch it.ref {
		case RefString, RefFormat, RefEmbed:
			return RootText
		case RefType:
			switch it.n {
			case TypeXMLElement, TypeXMLText, TypeXMLHook:
				return RootXMLFragment
			}
		}
	}
	return RootArray
}

// undefined stands for JavaScript's undefined until a map or array decides what it
// becomes.
type undefined struct{}

func isUndefined(v any) bool {
	_, ok := v.(undefined)
	return ok
}

// typeJSON is the toJSON of a nested shared type.
func (r *jsonReader) typeJSON(t *ytype) any {
	defer r.leave()
	if !r.enter() {
		return nil
	}
	if t.ref == TypeMap || t.ref == TypeXMLHook {
		return r.mapJSON(t)
	}
	if s, ok := r.markup(t); ok {
		return s
	}
	return r.arrayJSON(t)
}

// visible calls f with every undeleted item of t's list that takes room in it.
func visible(t *ytype, f func(*item)) {
	for it := t.start; it != nil; it = it.right {
		if !it.deleted() && it.countable() {
			f(it)
		}
	}
}

func (r *jsonReader) arrayJSON(t *ytype) any {
	out := make([]any, 0, t.length)
	visible(t, func(it *item) {
		for _, v := range r.values(it) {
			if isUndefined(v) {
				v = nil
			}
			out = append(out, v)
		}
	})
	return out
}

func (r *jsonReader) mapJSON(t *ytype) any {
	out := make(map[string]any, len(t.keys))
	for k, it := range t.keys {
		if it.deleted() {
			continue
		}
		if v := r.lastValue(it); !isUndefined(v) {
			out[k] = v
		}
	}
	return out
}

// lastValue is the value a map entry holds: the last element of its item.
func (r *jsonReader) lastValue(it *item) any {
	vs := r.values(it)
	if len(vs) == 0 {
		return undefined{}
	}
	return vs[len(vs)-1]
}

// values returns the elements of an item's content as toJSON sees them.
func (r *jsonReader) values(it *item) []any {
	switch it.ref {
	case RefAny:
		d := decoder{buf: it.data}
		out := make([]any, 0, it.n)
		for range it.n {
			a, err := d.readAny(0)
			if err != nil {
				break
			}
			out = append(out, anyJSON(a))
		}
		return out
	case RefJSON:
		d := decoder{buf: it.data}
		out := make([]any, 0, it.n)
		for range it.n {
			s, err := d.readVarString()
			if err != nil {
				break
			}
			out = append(out, parseJSON(s))
		}
		return out
	case RefString:
		units := utf16.Encode([]rune(it.text()))
		out := make([]any, len(units))
		for i, u := range units {
			out[i] = string(utf16.Decode([]uint16{u})) // a lone surrogate becomes U+FFFD
		}
		return out
	case RefBinary:
		return []any{append([]byte(nil), it.data...)}
	case RefEmbed:
		return []any{parseJSON(it.text())}
	case RefType:
		if it.typ == nil {
			return nil
		}
		return []any{r.typeJSON(it.typ)}
	case RefDoc:
		return []any{map[string]any{}}
	}
	return nil
}

// parseJSON reads a JSON text as JSON.parse does; yjs writes undefined as "undefined".
func parseJSON(s string) any {
	if s == "undefined" {
		return undefined{}
	}
	var v any
	if json.Unmarshal([]byte(s), &v) != nil {
		return nil
	}
	return v
}

// anyJSON turns a lib0 any value into a JSON value.
func anyJSON(a Any) any {
	switch a.Kind {
	case AnyUndefined:
		return undefined{}
	case AnyInt:
		return float64(a.Int)
	case AnyFloat32, AnyFloat64:
		f := a.Float()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil
		}
		return f
	case AnyBigInt:
		return a.Int
	case AnyFalse:
		return false
	case AnyTrue:
		return true
	case AnyString:
		return a.Str
	case AnyBytes:
		return append([]byte(nil), a.Bytes...)
	case AnyArray:
		out := make([]any, len(a.Items))
		for i, x := range a.Items {
			if v := anyJSON(x); !isUndefined(v) {
				out[i] = v
			}
		}
		return out
	case AnyObject:
		out := make(map[string]any, len(a.Fields))
		for _, f := range a.Fields {
			if v := anyJSON(f.Value); !isUndefined(v) {
				out[f.Key] = v
			} else {
				delete(out, f.Key)
			}
		}
		return out
	}
	return nil
}

// typeString is a shared type's toString: the text of a text, the markup of XML types,
// and what JavaScript makes of any other object.
func (r *jsonReader) typeString(t *ytype) string {
	var b strings.Builder
	r.writeType(&b, t)
	return b.String()
}

// markup is the toString of a text or an XML type (their toJSON too); ok is false for
// the other types.
func (r *jsonReader) markup(t *ytype) (s string, ok bool) {
	var b strings.Builder
	ok = r.writeMarkup(&b, t)
	return b.String(), ok
}

// The markup of nested XML is written into one builder from the top: each level
// building its own string would copy its children's again, a cost of the depth times
// the size.

// writeType writes a nested shared type's toString.
func (r *jsonReader) writeType(b *strings.Builder, t *ytype) {
	defer r.leave()
	if !r.enter() {
		return
	}
	if !r.writeMarkup(b, t) {
		b.WriteString("[object Object]")
	}
}

// writeMarkup writes the toString of a text or an XML type, and reports whether t is one.
func (r *jsonReader) writeMarkup(b *strings.Builder, t *ytype) bool {
	switch t.ref {
	case TypeText:
		writeText(b, t)
	case TypeXMLText:
		r.writeXMLText(b, t)
	case TypeXMLFragment:
		r.writeFragment(b, t)
	case TypeXMLElement:
		r.writeElement(b, t)
	default:
		return false
	}
	return true
}

// textString is the text of a Y.Text: its strings, without formats or embeds.
func textString(t *ytype) string {
	var b strings.Builder
	writeText(&b, t)
	return b.String()
}

func writeText(b *strings.Builder, t *ytype) {
	for it := t.start; it != nil; it = it.right {
		if !it.deleted() && it.ref == RefString {
			b.Write(it.data)
		}
	}
}

// fragmentString is an XML fragment's toString: its children's, joined.
func (r *jsonReader) fragmentString(t *ytype) string {
	var b strings.Builder
	r.writeFragment(&b, t)
	return b.String()
}

func (r *jsonReader) writeFragment(b *strings.Builder, t *ytype) {
	visible(t, func(it *item) { r.writeChild(b, it) })
}

// writeChild writes what toString makes of each element of an XML type's child item.
func (r *jsonReader) writeChild(b *strings.Builder, it *item) {
	if it.ref == RefType && it.typ != nil {
		r.writeType(b, it.typ)
		return
	}
	for _, v := range r.values(it) {
		b.WriteString(jsString(v))
	}
}

// writeElement writes an XML element's toString: its attributes sorted by name.
func (r *jsonReader) writeElement(b *strings.Builder, t *ytype) {
	name := strings.ToLower(t.item.key)
	keys := make([]string, 0, len(t.keys))
	attrs := make(map[string]string, len(t.keys))
	for k, it := range t.keys {
		if !it.deleted() {
			keys = append(keys, k)
			attrs[k] = r.attrString(it)
		}
	}
	sortUTF16(keys)
	b.WriteString("<" + name)
	for _, k := range keys {
		b.WriteString(" " + k + `="` + attrs[k] + `"`)
	}
	b.WriteString(">")
	r.writeFragment(b, t)
	b.WriteString("</" + name + ">")
}

// attrString is an attribute value as JavaScript turns it into a string.
func (r *jsonReader) attrString(it *item) string {
	if it.ref == RefType && it.typ != nil {
		return r.typeString(it.typ)
	}
	return jsString(r.lastValue(it))
}

// writeXMLText writes a Y.XmlText's toString: each run of its delta wrapped in one tag
// per format attribute, nested in name order, each tag carrying the attribute's value's
// properties (as JavaScript's for-in lists them) sorted by name.
func (r *jsonReader) writeXMLText(b *strings.Builder, t *ytype) {
	attrs := map[string]any{}
	var run strings.Builder
	wrap := func(insert func()) {
		names := make([]string, 0, len(attrs))
		for n := range attrs {
			names = append(names, n)
		}
		sortUTF16(names)
		for _, n := range names {
			b.WriteString("<" + n)
			props := forIn(attrs[n])
			keys := make([]string, 0, len(props))
			for k := range props {
				keys = append(keys, k)
			}
			sortUTF16(keys)
			for _, k := range keys {
				b.WriteString(" " + k + `="` + props[k] + `"`)
			}
			b.WriteString(">")
		}
		insert()
		for i := len(names) - 1; i >= 0; i-- {
			b.WriteString("</" + names[i] + ">")
		}
	}
	pack := func() {
		if run.Len() > 0 {
			wrap(func() { b.WriteString(run.String()) })
			run.Reset()
		}
	}
	for it := t.start; it != nil; it = it.right {
		if it.deleted() {
			continue
		}
		switch it.ref {
		case RefString:
			run.Write(it.data)
		case RefType, RefEmbed:
			pack()
			wrap(func() { r.writeChild(b, it) })
		case RefFormat:
			pack()
			if v := parseJSON(it.text()); v == nil {
				delete(attrs, it.key)
			} else {
				attrs[it.key] = v
			}
		}
	}
	pack()
}

// forIn lists the enumerable properties JavaScript's for-in finds on a JSON value, with
// their values as strings: a string's UTF-16 units, an array's elements, an object's
// entries; other values have none.
func forIn(v any) map[string]string {
	out := map[string]string{}
	switch v := v.(type) {
	case string:
		for i, u := range utf16.Encode([]rune(v)) {
			out[strconv.Itoa(i)] = string(utf16.Decode([]uint16{u}))
		}
	case []any:
		for i, x := range v {
			out[strconv.Itoa(i)] = jsString(x)
		}
	case map[string]any:
		for k, x := range v {
			out[k] = jsString(x)
		}
	}
	return out
}

// jsString is JavaScript's String(v) for a JSON value.
func jsString(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case undefined:
		return "undefined"
	case string:
		return v
	case bool:
		return strconv.FormatBool(v)
	case float64:
		return jsNumber(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case []byte:
		parts := make([]string, len(v))
		for i, x := range v {
			parts[i] = strconv.Itoa(int(x))
		}
		return strings.Join(parts, ",")
	case []any:
		parts := make([]string, len(v))
		for i, x := range v {
			if x != nil {
				parts[i] = jsString(x)
			}
		}
		return strings.Join(parts, ",")
	}
	return "[object Object]"
}

// jsNumber formats a number as JavaScript's Number.prototype.toString does.
func jsNumber(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		return "0"
	}
	e := strconv.FormatFloat(f, 'e', -1, 64) // d.ddddde±x, shortest round-trip digits
	mant, exp, _ := strings.Cut(e, "e")
	n, _ := strconv.Atoi(exp)
	sign := ""
	if mant[0] == '-' {
		sign, mant = "-", mant[1:]
	}
	digits := strings.Replace(mant, ".", "", 1)
	k := len(digits)
	switch {
	case n >= 0 && n < 21:
		if k <= n+1 {
			return sign + digits + strings.Repeat("0", n+1-k)
		}
		return sign + digits[:n+1] + "." + digits[n+1:]
	case n < 0 && n >= -6:
		return sign + "0." + strings.Repeat("0", -n-1) + digits
	}
	out := digits[:1]
	if k > 1 {
		out += "." + digits[1:]
	}
	if n > 0 {
		return sign + out + "e+" + strconv.Itoa(n)
	}
	return sign + out + "e" + strconv.Itoa(n)
}

// sortUTF16 sorts strings as JavaScript compares them: by UTF-16 code units.
func sortUTF16(s []string) {
	sort.Slice(s, func(i, j int) bool { return lessUTF16(s[i], s[j]) })
}

func lessUTF16(a, b string) bool {
	ua, ub := utf16.Encode([]rune(a)), utf16.Encode([]rune(b))
	for i := 0; i < len(ua) && i < len(ub); i++ {
		if ua[i] != ub[i] {
			return ua[i] < ub[i]
		}
	}
	return len(ua) < len(ub)
}
