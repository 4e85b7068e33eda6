package yjs

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"math"
	"os"
	"reflect"
	"strconv"
	"testing"
)

// goldenVector is one entry of testdata/golden.json, written by testdata/gen.mjs from
// the real yjs: the update bytes and yjs's own decoding of them.
type goldenVector struct {
	Name    string          `json:"name"`
	Update  []byte          `json:"update"`
	Structs json.RawMessage `json:"structs"`
	DS      json.RawMessage `json:"ds"`
}

func loadGolden(t testing.TB) []goldenVector {
	t.Helper()
	raw, err := os.ReadFile("testdata/golden.json")
	if err != nil {
		t.Fatalf("reading golden vectors: %v", err)
	}
	var vs []goldenVector
	if err := json.Unmarshal(raw, &vs); err != nil {
		t.Fatalf("parsing golden vectors: %v", err)
	}
	return vs
}

func TestGoldenRoundTrip(t *testing.T) {
	for _, v := range loadGolden(t) {
		t.Run(v.Name, func(t *testing.T) {
			u, err := DecodeUpdate(v.Update)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if got := u.Encode(); !bytes.Equal(got, v.Update) {
				t.Fatalf("re-encoding differs:\n got %x\nwant %x", got, v.Update)
			}
			sameJSON(t, "structs", describeStructs(u), v.Structs)
			sameJSON(t, "delete set", describeDeletes(u), v.DS)
		})
	}
}

// sameJSON compares a Go description with the JSON yjs wrote, as generic JSON values.
func sameJSON(t *testing.T, what string, got any, want json.RawMessage) {
	t.Helper()
	gotRaw, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	var g, w any
	if err := json.Unmarshal(gotRaw, &g); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("%s differ:\n got %s\nwant %s", what, gotRaw, want)
	}
}

// describeStructs renders decoded structs in the shape gen.mjs uses.
func describeStructs(u *Update) []any {
	out := []any{}
	for _, run := range u.Structs {
		for i := range run.Structs {
			out = append(out, describeStruct(&run.Structs[i]))
		}
	}
	return out
}

func describeStruct(s *Struct) map[string]any {
	m := map[string]any{"client": s.ID.Client, "clock": s.ID.Clock, "length": s.Length}
	switch s.Ref() {
	case RefGC:
		m["kind"] = "gc"
		return m
	case RefSkip:
		m["kind"] = "skip"
		return m
	}
	m["kind"] = "item"
	m["origin"], m["rightOrigin"], m["parent"], m["parentSub"] = nil, nil, nil, nil
	if s.HasOrigin() {
		m["origin"] = []uint64{s.Origin.Client, s.Origin.Clock}
	}
	if s.HasRightOrigin() {
		m["rightOrigin"] = []uint64{s.RightOrigin.Client, s.RightOrigin.Clock}
	}
	if s.writesParent() {
		if s.ParentIsName {
			m["parent"] = s.ParentName
		} else {
			m["parent"] = []uint64{s.ParentID.Client, s.ParentID.Clock}
		}
		if s.Info&InfoParentSub != 0 {
			m["parentSub"] = s.ParentSub
		}
	}
	m["content"] = describeContent(s.Ref(), &s.Content)
	return m
}

func describeContent(ref uint8, c *Content) map[string]any {
	switch ref {
	case RefDeleted:
		return map[string]any{"type": "deleted", "len": c.Len()}
	case RefJSON:
		return map[string]any{"type": "json", "json": c.JSON()}
	case RefBinary:
		return map[string]any{"type": "binary", "hex": hex.EncodeToString(c.Binary())}
	case RefString:
		return map[string]any{"type": "string", "str": c.Text()}
	case RefEmbed:
		return map[string]any{"type": "embed", "json": c.Value()}
	case RefFormat:
		return map[string]any{"type": "format", "key": c.Key(), "json": c.Value()}
	case RefType:
		m := map[string]any{"type": "type", "typeRef": c.TypeRef()}
		if c.TypeRef() == TypeXMLElement || c.TypeRef() == TypeXMLHook {
			m["name"] = c.Key()
		}
		return m
	case RefAny:
		vals := []any{}
		for _, a := range c.Any() {
			vals = append(vals, describeAny(a))
		}
		return map[string]any{"type": "any", "values": vals}
	case RefDoc:
		return map[string]any{"type": "doc", "guid": c.Key(), "opts": describeAny(c.Opts())}
	}
	return nil
}

func describeAny(a Any) map[string]any {
	switch a.Kind {
	case AnyUndefined:
		return map[string]any{"t": "undefined"}
	case AnyNull:
		return map[string]any{"t": "null"}
	case AnyInt:
		if a.NegZero {
			return map[string]any{"t": "number", "s": "-0"}
		}
		return map[string]any{"t": "number", "v": a.Int}
	case AnyFloat32, AnyFloat64:
		return describeNumber(a.Float())
	case AnyBigInt:
		return map[string]any{"t": "bigint", "s": strconv.FormatInt(a.Int, 10)}
	case AnyTrue, AnyFalse:
		return map[string]any{"t": "bool", "v": a.Kind == AnyTrue}
	case AnyString:
		return map[string]any{"t": "string", "v": a.Str}
	case AnyBytes:
		return map[string]any{"t": "bytes", "hex": hex.EncodeToString(a.Bytes)}
	case AnyArray:
		items := []any{}
		for _, it := range a.Items {
			items = append(items, describeAny(it))
		}
		return map[string]any{"t": "array", "v": items}
	case AnyObject:
		fields := []any{}
		for _, f := range a.Fields {
			fields = append(fields, []any{f.Key, describeAny(f.Value)})
		}
		return map[string]any{"t": "object", "v": fields}
	}
	return nil
}

func describeNumber(f float64) map[string]any {
	switch {
	case f == 0 && math.Signbit(f):
		return map[string]any{"t": "number", "s": "-0"}
	case math.IsNaN(f):
		return map[string]any{"t": "number", "s": "NaN"}
	case math.IsInf(f, 1):
		return map[string]any{"t": "number", "s": "Infinity"}
	case math.IsInf(f, -1):
		return map[string]any{"t": "number", "s": "-Infinity"}
	}
	return map[string]any{"t": "number", "v": f}
}

// describeDeletes renders the delete set as yjs decodes it (clients without ranges are
// dropped by yjs).
func describeDeletes(u *Update) []any {
	out := []any{}
	for _, cd := range u.Deletes {
		if len(cd.Ranges) == 0 {
			continue
		}
		rs := []any{}
		for _, r := range cd.Ranges {
			rs = append(rs, []uint64{r.Clock, r.Len})
		}
		out = append(out, []any{cd.Client, rs})
	}
	return out
}
