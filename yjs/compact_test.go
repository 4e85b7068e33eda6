package yjs

import (
	"errors"
	"strings"
	"testing"
)

// typed is one client typing text one character at a time at the end of root "t".
func typed(client uint64, text string) [][]byte {
	var us [][]byte
	for i, r := range text {
		var origin *ID
		if i > 0 {
			origin = id(client, uint64(i-1))
		}
		us = append(us, upd(runs(run(textAt(client, uint64(i), origin, string(r))))))
	}
	return us
}

// TestCompactTypedThenDeleted: text typed and then mostly deleted keeps only a deleted
// length where it was, and reads back the same; with KeepHistory the content stays.
func TestCompactTypedThenDeleted(t *testing.T) {
	text := strings.Repeat("abcdefghij", 100)
	gc, kept := NewStore(Options{}), NewStore(Options{KeepHistory: true})
	for _, s := range []*Store{gc, kept} {
		for _, u := range typed(1, text) {
			mustApply(t, s, u)
		}
		mustApply(t, s, upd(nil, dels(1, Range{10, 980})))
	}
	hint := map[string]RootKind{"t": RootText}
	want := text[:10] + text[990:]
	for name, s := range map[string]*Store{"gc": gc, "kept": kept} {
		if got := docJSON(s, hint)["t"]; got != want {
			t.Fatalf("%s: text %q, want %q", name, got, want)
		}
		back := NewStore(Options{})
		mustApply(t, back, s.Encode())
		if got := docJSON(back, hint)["t"]; got != want {
			t.Fatalf("%s: read back %q, want %q", name, got, want)
		}
	}
	if gc.Size() > 60 || kept.Size() < 1000 {
		t.Fatalf("sizes: collected %d bytes, kept %d", gc.Size(), kept.Size())
	}
	u, err := DecodeUpdate(gc.Encode())
	if err != nil {
		t.Fatal(err)
	}
	var refs []uint8
	for _, st := range u.Structs[0].Structs {
		refs = append(refs, st.Ref())
	}
	if len(refs) != 3 || refs[1] != RefDeleted {
		t.Fatalf("collected structs %v, want string, deleted, string", refs)
	}
}

// TestCompactDeletedTypeChildren: the items of a deleted type become one GC range.
func TestCompactDeletedTypeChildren(t *testing.T) {
	s := NewStore(Options{})
	arr := Struct{ID: ID{1, 0}, Length: 1, Info: RefType, ParentIsName: true,
		ParentName: "a", Content: TypeContent(TypeArray, "")}
	var items []Struct
	for i := range 5 {
		st := Struct{ID: ID{1, uint64(1 + i)}, Length: 1, Info: RefAny,
			Content: AnyContent(Any{Kind: AnyString, Str: "x"})}
		if i == 0 {
			st.ParentID = ID{1, 0}
		} else {
			st.Info |= InfoOrigin
			st.Origin = ID{1, uint64(i)}
		}
		items = append(items, st)
	}
	mustApply(t, s, upd(runs(run(append([]Struct{arr}, items...)...))))
	if got := docJSON(s, nil)["a"]; len(got.([]any)) != 1 {
		t.Fatalf("before: %v", got)
	}
	mustApply(t, s, upd(nil, dels(1, Range{0, 1})))
	u, err := DecodeUpdate(s.Encode())
	if err != nil {
		t.Fatal(err)
	}
	sts := u.Structs[0].Structs
	if len(sts) != 2 || sts[0].Ref() != RefDeleted || sts[1].Ref() != RefGC || sts[1].Length != 5 {
		t.Fatalf("collected: %+v", sts)
	}
	if got := docJSON(s, nil)["a"]; len(got.([]any)) != 0 {
		t.Fatalf("after: %v", got)
	}
}

// TestModelDroppedOnConcurrentFlood: inserts between two items that each walk past all
// the earlier ones (same origin, another right origin) cost n²/2 steps to order; past
// the step budget the model is dropped and the store goes on as a merge-only store.
func TestModelDroppedOnConcurrentFlood(t *testing.T) {
	flood := func(n int) []byte {
		rs := []ClientStructs{run(textAt(1, 0, nil, "A"), textAt(1, 1, id(1, 0), "B"))}
		for c := range n { // integrated from the highest client down
			st := textAt(uint64(n+10-c), 0, id(1, 0), "x")
			if c < n/2 {
				st.Info |= InfoRightOrigin
				st.RightOrigin = ID{1, 1}
			}
			rs = append(rs, run(st))
		}
		return upd(rs)
	}
	s := NewStore(Options{})
	mustApply(t, s, flood(40000))
	if s.ModelErr() == nil {
		t.Fatal("the model was kept")
	}
	if len(docJSON(s, nil)) != 0 {
		t.Fatal("a dropped model still gives JSON")
	}
	mustApply(t, s, upd(runs(run(textAt(90000, 0, nil, "y")))))
	if _, err := newMergeStore(Options{}).Apply(s.Encode()); err != nil {
		t.Fatalf("the store's encoding no longer reads: %v", err)
	}
	small := NewStore(Options{})
	mustApply(t, small, flood(200))
	if small.ModelErr() != nil {
		t.Fatalf("200 concurrent inserts dropped the model: %v", small.ModelErr())
	}
	got := docJSON(small, nil)["t"].(string)
	if strings.Count(got, "x") != 200 || !strings.HasPrefix(got, "A") || len(got) != 202 {
		t.Fatalf("text %q", got)
	}
}

// nested is one update of n arrays, each inside the one before, the first a root entry.
func nested(n int) []byte {
	var sts []Struct
	for i := range n {
		st := Struct{ID: ID{1, uint64(i)}, Length: 1, Info: RefType,
			Content: TypeContent(TypeArray, "")}
		if i == 0 {
			st.ParentIsName, st.ParentName = true, "a"
		} else {
			st.ParentID = ID{1, uint64(i - 1)}
		}
		sts = append(sts, st)
	}
	return upd(runs(run(sts...)))
}

// TestJSONDepth: ToJSON reads types nested MaxJSONDepth deep and refuses deeper ones
// with ErrTooDeep instead of recursing until the stack runs out; deleting the outer one
// of 50,000 nested types collects them all in one pass.
func TestJSONDepth(t *testing.T) {
	ok := NewStore(Options{})
	mustApply(t, ok, nested(MaxJSONDepth))
	if _, err := ok.ToJSON(nil); err != nil {
		t.Fatalf("%d deep: %v", MaxJSONDepth, err)
	}
	deep := NewStore(Options{})
	mustApply(t, deep, nested(50000))
	if _, err := deep.ToJSON(nil); !errors.Is(err, ErrTooDeep) {
		t.Fatalf("50,000 deep: %v, want ErrTooDeep", err)
	}
	if _, err := deep.RootJSON("a", RootArray); !errors.Is(err, ErrTooDeep) {
		t.Fatalf("RootJSON 50,000 deep: %v, want ErrTooDeep", err)
	}
	mustApply(t, deep, upd(nil, dels(1, Range{0, 1})))
	if v, err := deep.ToJSON(nil); err != nil || len(v["a"].([]any)) != 0 {
		t.Fatalf("after deleting the outer type: %v, %v", v, err)
	}
	if deep.Size() > 40 {
		t.Fatalf("50,000 collected types take %d bytes", deep.Size())
	}
}
