package yjs

import (
	"bytes"
	"errors"
	"testing"
)

// fuzzHints are the root kinds FuzzModel reads documents with, picked by its first byte:
// none, those of the differential traces, and each root read as a kind it does not hold.
var fuzzHints = []map[string]RootKind{
	nil,
	traceHints,
	{"t": RootXMLFragment, "text": RootMap, "arr": RootText, "map": RootArray, "xml": RootText},
}

// FuzzModel applies a sequence of updates (read as FuzzStoreApply reads them; the first
// byte picks the root hints) to a collecting store and to one that keeps history, and
// checks after each: both take or refuse it alike, with a delta or without; their ToJSON
// agree, with the hints and without; RootJSON gives ToJSON's roots; and
// a fresh store of either kind fed Encode() gives the same ToJSON. Nothing may panic.
// Seeds: the golden updates and the traces in testdata/fuzz/FuzzModel (written by
// testdata/fuzzseeds.mjs).
func FuzzModel(f *testing.F) {
	gold := goldenUpdates(f)
	for i := range gold {
		f.Add(fuzzInput(byte(i), gold[i]))
		f.Add(fuzzInput(byte(i+1), gold[(i+1)%len(gold)], gold[i], gold[(i+5)%len(gold)]))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		pick, updates := fuzzUpdates(data)
		hints := fuzzHints[int(pick)%len(fuzzHints)]
		col, hist := NewStore(Options{}), NewStore(Options{KeepHistory: true})
		for _, u := range updates {
			dc, errC := col.Apply(u)
			dh, errH := hist.Apply(u)
			// The deltas may split the same structs differently (TestDifferential reads
			// both back); they must agree on whether the update added anything.
			if (errC == nil) != (errH == nil) || (dc == nil) != (dh == nil) {
				t.Fatalf("collected: %x, %v; history: %x, %v", dc, errC, dh, errH)
			}
			if errC != nil {
				continue
			}
			if modelDropped(t, col) || modelDropped(t, hist) {
				return // the two may drop it at different updates: their items differ
			}
			checkModel(t, col, hints)
			checkModel(t, hist, hints)
			for _, h := range []map[string]RootKind{hints, nil} {
				if err := storesAgree(col, hist, h); err != nil {
					t.Fatalf("collected against history: %v", err)
				}
			}
		}
	})
}

// modelDropped reports whether the store dropped its model (an update's concurrent
// inserts took too long to order), and checks that it then gives no JSON.
func modelDropped(t *testing.T, s *Store) bool {
	t.Helper()
	if s.ModelErr() == nil {
		return false
	}
	if len(docJSON(s, nil)) != 0 {
		t.Fatalf("the model was dropped (%v) but ToJSON gives %s",
			s.ModelErr(), canonJSON(docJSON(s, nil)))
	}
	return true
}

// checkModel checks one store's JSON view: RootJSON gives, for each root of the document
// (those ToJSON(nil) lists), what ToJSON gives, and finds no other root; and ToJSON
// survives Encode() into a fresh store.
func checkModel(t *testing.T, s *Store, hints map[string]RootKind) {
	t.Helper()
	roots := docJSON(s, nil)
	for _, h := range []map[string]RootKind{hints, nil} {
		all := docJSON(s, h)
		for name := range roots {
			got, err := s.RootJSON(name, h[name])
			if want := all[name]; err != nil || !bytes.Equal(canonJSON(got), canonJSON(want)) {
				t.Fatalf("RootJSON(%q, %v) = %s, %v; ToJSON(%v) gives %s",
					name, h[name], canonJSON(got), err, h, canonJSON(want))
			}
		}
	}
	for name, kind := range hints {
		if _, in := roots[name]; !in {
			if _, err := s.RootJSON(name, kind); !errors.Is(err, ErrNoRoot) {
				t.Fatalf("RootJSON(%q) finds a root ToJSON(nil) leaves out", name)
			}
		}
	}
	if err := jsonSurvivesEncode(s, hints); err != nil {
		t.Fatal(err)
	}
}
