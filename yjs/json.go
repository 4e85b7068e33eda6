package yjs

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
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
