package yjs

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
)

// traceHints are the kinds the traces of js/yjsdiff declare their roots with.
var traceHints = map[string]RootKind{
	"text": RootText,
	"arr":  RootArray,
	"map":  RootMap,
	"xml":  RootXMLFragment,
}

// jsonAnswer is a Store's ToJSON after one step, with the trace's hints and without, in
// the normal form of js/yjsdiff/json.mjs.
type jsonAnswer struct {
	Hinted   any `json:"hinted"`
	Inferred any `json:"inferred"`
}

func storeJSON(s *Store) jsonAnswer {
	return jsonAnswer{
		Hinted:   normalJSON(docJSON(s, traceHints)),
		Inferred: normalJSON(docJSON(s, nil)),
	}
}

// normalJSON writes a ToJSON value in the normal form of js/yjsdiff/json.mjs, which JSON
// carries one to one: []byte as {"$bytes": base64}, int64 as {"$bigint": decimal}. A
// value ToJSON must not give (a float64 that is not finite, which JSON cannot carry, or
// another type) becomes {"$num": name} or {"$go": type}, which equal nothing yjs gives.
func normalJSON(v any) any {
	switch v := v.(type) {
	case nil, bool, string:
		return v
	case float64:
		switch {
		case math.IsNaN(v):
			return tagged("$num", "NaN")
		case math.IsInf(v, 1):
			return tagged("$num", "Infinity")
		case math.IsInf(v, -1):
			return tagged("$num", "-Infinity")
		}
		return v
	case int64:
		return tagged("$bigint", strconv.FormatInt(v, 10))
	case []byte:
		return tagged("$bytes", base64.StdEncoding.EncodeToString(v))
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = normalJSON(x)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[k] = normalJSON(x)
		}
		return out
	}
	return tagged("$go", fmt.Sprintf("%T", v))
}

func tagged(tag, v string) map[string]any { return map[string]any{tag: v} }

// canonJSON is a ToJSON value as JSON with sorted keys: equal values give equal bytes.
func canonJSON(v any) []byte {
	b, err := json.Marshal(normalJSON(v))
	if err != nil { // the normal form holds no value encoding/json refuses
		panic(err)
	}
	return b
}

// storesAgree reports where two stores' ToJSON differ, with the given hints; nil if
// nowhere.
func storesAgree(got, want *Store, hints map[string]RootKind) error {
	return jsonAgree(docJSON(got, hints), docJSON(want, hints), hints)
}

func jsonAgree(got, want map[string]any, hints map[string]RootKind) error {
	g, w := canonJSON(got), canonJSON(want)
	if bytes.Equal(g, w) {
		return nil
	}
	i := 0
	for i < len(g) && i < len(w) && g[i] == w[i] {
		i++
	}
	from := max(0, i-80)
	return fmt.Errorf("ToJSON(%v) differs at byte %d:\n  got  …%s\n  want …%s",
		hints, i, g[from:min(len(g), i+80)], w[from:min(len(w), i+80)])
}

// jsonSurvivesEncode checks that a fresh store of each kind fed s.Encode() gives the
// same ToJSON as s, with the hints and without.
func jsonSurvivesEncode(s *Store, hints map[string]RootKind) error {
	enc := s.Encode()
	for _, opts := range []Options{{}, {KeepHistory: true}} {
		fresh := NewStore(opts)
		if _, err := fresh.Apply(enc); err != nil {
			return fmt.Errorf("a fresh store (%+v) refuses Encode(): %w", opts, err)
		}
		for _, h := range []map[string]RootKind{hints, nil} {
			if err := storesAgree(fresh, s, h); err != nil {
				return fmt.Errorf("fresh store (%+v) fed Encode(): %w", opts, err)
			}
		}
	}
	return nil
}
