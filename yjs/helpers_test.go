package yjs

import (
	"bytes"
	"testing"
)

// Builders for hand-made updates in tests.

// textAt is a string item of client at clock with the given origin (nil: a root item of
// type name "t").
func textAt(client, clock uint64, origin *ID, text string) Struct {
	s := Struct{ID: ID{client, clock}, Length: utf16Len(text), Info: RefString,
		Content: StringContent(text)}
	if origin == nil {
		s.ParentIsName, s.ParentName = true, "t"
	} else {
		s.Info |= InfoOrigin
		s.Origin = *origin
	}
	return s
}

func id(client, clock uint64) *ID { return &ID{client, clock} }

func gcAt(client, clock, n uint64) Struct {
	return Struct{ID: ID{client, clock}, Length: n, Info: RefGC}
}

// run puts structs of one client (consecutive, in order) into a run; gaps get Skips.
func run(structs ...Struct) ClientStructs {
	r := ClientStructs{Client: structs[0].ID.Client, Clock: structs[0].ID.Clock}
	for i, s := range structs {
		if i > 0 && s.ID.Clock > structs[i-1].End() {
			prev := structs[i-1].End()
			r.Structs = append(r.Structs, Struct{ID: ID{r.Client, prev},
				Length: s.ID.Clock - prev, Info: RefSkip})
		}
		r.Structs = append(r.Structs, s)
	}
	return r
}

func dels(client uint64, ranges ...Range) ClientDeletes {
	return ClientDeletes{Client: client, Ranges: ranges}
}

func upd(runs []ClientStructs, ds ...ClientDeletes) []byte {
	return (&Update{Structs: runs, Deletes: ds}).Encode()
}

func runs(r ...ClientStructs) []ClientStructs { return r }

// mustApply applies u, checks the store's invariants and returns the delta.
func mustApply(t *testing.T, s *Store, u []byte) []byte {
	t.Helper()
	d, err := s.Apply(u)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if err := verifyStore(s); err != nil {
		t.Fatalf("after Apply: %v", err)
	}
	return d
}

// storeState captures everything observable about a store.
type storeState struct {
	enc, sv       []byte
	size, pending int
	empty         bool
}

func stateOf(s *Store) storeState {
	return storeState{s.Encode(), s.StateVector(), s.Size(), s.PendingSize(), s.IsEmpty()}
}

func (a storeState) equal(b storeState) bool {
	return bytes.Equal(a.enc, b.enc) && bytes.Equal(a.sv, b.sv) && a.size == b.size &&
		a.pending == b.pending && a.empty == b.empty
}

// docJSON is s.ToJSON(hints) for comparisons: an error comes back as the only entry,
// under "$error", so that it differs from any document.
func docJSON(s *Store, hints map[string]RootKind) map[string]any {
	v, err := s.ToJSON(hints)
	if err != nil {
		return map[string]any{"$error": err.Error()}
	}
	return v
}
