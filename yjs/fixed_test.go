package yjs

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// fixedCase is a file of testdata/hostile: updates (base64) that once made the Store
// differ from yjs, and the roots to compare, each with its kind (text, map, array, xml).
type fixedCase struct {
	Roots   map[string]string `json:"roots"`
	Updates []string          `json:"updates"`
}

// fixedHints maps the root kinds of a fixed case's file to RootKinds.
var fixedHints = map[string]RootKind{
	"text": RootText, "map": RootMap, "array": RootArray, "xml": RootXMLFragment,
}

// TestDifferentialFixed replays each case of testdata/hostile through a collecting Store
// and one that keeps history, and has the node worker check every step against a Y.Doc
// that applied the same updates: the Store's Encode() and its chain of deltas must both
// show yjs's document, and its ToJSON of the case's roots yjs's toJSON().
//
// f3-divergence.json is the smallest prefix of attack report 2's mutated updates
// (made by yjs-fuzz.mjs, cut by yjs-replay.mjs) after which the server differed from
// yjs: its last update resends ranges the store held pending in another form, and yjs
// integrates the form that comes with the update.
func TestDifferentialFixed(t *testing.T) {
	node := requireNode(t)
	files, err := filepath.Glob(filepath.Join("testdata", "hostile", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixed cases: %v", err)
	}
	w, err := startDiffWorker(node)
	if err != nil {
		t.Fatalf("starting node worker: %v", err)
	}
	defer w.close()
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var fc fixedCase
		if err := json.Unmarshal(raw, &fc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, opts := range []Options{{}, {KeepHistory: true}} {
			name := filepath.Base(f) + "/collected"
			if opts.KeepHistory {
				name = filepath.Base(f) + "/history"
			}
			t.Run(name, func(t *testing.T) { checkFixed(t, w, &fc, opts) })
		}
	}
}

// checkFixed replays one fixed case through a Store and has the worker judge it.
func checkFixed(t *testing.T, w *diffWorker, fc *fixedCase, opts Options) {
	req, err := replayFixed(fc, opts)
	if err != nil {
		t.Fatal(err)
	}
	var verdict struct {
		OK    bool   `json:"ok"`
		Error string `json:"error"`
	}
	if err := w.call(req, &verdict); err != nil {
		t.Fatal(err)
	}
	if !verdict.OK {
		t.Fatal(verdict.Error)
	}
}

// replayFixed applies a fixed case to a Store and builds the worker's request: Encode(),
// ToJSON and the delta after each step.
func replayFixed(fc *fixedCase, opts Options) (map[string]any, error) {
	s := NewStore(opts)
	shadow := NewStore(opts) // fed only the deltas
	hints := map[string]RootKind{}
	for name, kind := range fc.Roots {
		hints[name] = fixedHints[kind]
	}
	var jsons []any
	enc := base64.StdEncoding
	encodes := make([]string, 0, len(fc.Updates))
	deltas := make([]*string, 0, len(fc.Updates))
	refused := make([]bool, 0, len(fc.Updates))
	for i, u64 := range fc.Updates {
		u, err := enc.DecodeString(u64)
		if err != nil {
			return nil, err
		}
		delta, err := s.Apply(u)
		refused = append(refused, err != nil)
		if err != nil && !errors.Is(err, ErrMalformed) {
			return nil, fmt.Errorf("step %d: Apply: %w", i, err)
		}
		if err := verifyStore(s); err != nil {
			return nil, fmt.Errorf("step %d: %w", i, err)
		}
		encodes = append(encodes, enc.EncodeToString(s.Encode()))
		jsons = append(jsons, normalJSON(docJSON(s, hints)))
		if delta == nil {
			deltas = append(deltas, nil)
			continue
		}
		if _, err := shadow.Apply(delta); err != nil {
			return nil, fmt.Errorf("step %d: delta into a second store: %w", i, err)
		}
		d := enc.EncodeToString(delta)
		deltas = append(deltas, &d)
	}
	return map[string]any{
		"op": "fixed", "roots": fc.Roots, "updates": fc.Updates, "refused": refused,
		"encodes": encodes, "deltas": deltas, "json": jsons,
	}, nil
}
