package yjs

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestStoreEmpty(t *testing.T) {
	s := NewStore(Options{})
	same(t, s.Encode(), []byte{0, 0})
	same(t, s.StateVector(), []byte{0})
	if s.Size() != 2 || !s.IsEmpty() || s.PendingSize() != 0 {
		t.Fatalf("size %d empty %v pending %d", s.Size(), s.IsEmpty(), s.PendingSize())
	}
	d, err := s.EncodeDiff([]byte{0})
	if err != nil {
		t.Fatal(err)
	}
	same(t, d, []byte{0, 0})
	if d, err := s.Apply([]byte{0, 0}); err != nil || d != nil {
		t.Fatalf("Apply(00 00) = %x, %v", d, err)
	}
}

// step is one Apply of a store scenario and what must hold after it.
type step struct {
	update  []byte
	delta   []byte // nil: no delta
	sv      StateVector
	pending bool // whether anything waits
	check   func(t *testing.T, s *Store)
}

func TestStoreScenarios(t *testing.T) {
	one := func(st ...Struct) []byte { return upd(runs(run(st...))) }
	hello := textAt(1, 0, nil, "hello")
	abc := textAt(1, 5, id(1, 4), "abc")
	child := Struct{ID: ID{2, 0}, Length: 1, Info: RefString, ParentID: ID{1, 0},
		Content: StringContent("x")}
	rightOf := Struct{ID: ID{3, 0}, Length: 1, Info: InfoRightOrigin | RefString,
		RightOrigin: ID{2, 0}, Content: StringContent("y")}
	parent := Struct{ID: ID{1, 0}, Length: 1, Info: RefType, ParentIsName: true,
		ParentName: "m", Content: TypeContent(TypeText, "")}
	blocked := Struct{ID: ID{1, 0}, Length: 1, Info: RefString, ParentID: ID{9, 5},
		Content: StringContent("p")}
	qr := textAt(1, 1, id(1, 0), "qr")
	ab, ef := textAt(1, 0, nil, "ab"), textAt(1, 4, id(1, 3), "ef")
	tests := []struct {
		name  string
		steps []step
	}{
		{name: "first update, then a duplicate", steps: []step{
			{update: one(hello), delta: one(hello), sv: StateVector{1: 5}},
			{update: one(hello), sv: StateVector{1: 5}},
		}},
		{name: "a partly known struct is sliced", steps: []step{
			{update: one(hello), delta: one(hello), sv: StateVector{1: 5}},
			{update: one(textAt(1, 0, nil, "hello wo")), delta: one(textAt(1, 5, id(1, 4), " wo")),
				sv: StateVector{1: 8}},
		}},
		{name: "a gap waits and is filled", steps: []step{
			{update: one(abc), delta: one(abc), sv: StateVector{}, pending: true},
			{update: one(hello), delta: one(hello), sv: StateVector{1: 8}},
		}},
		{name: "origin in another client waits", steps: []step{
			{update: one(textAt(2, 0, id(1, 3), "b")), delta: one(textAt(2, 0, id(1, 3), "b")),
				sv: StateVector{}, pending: true},
			{update: one(textAt(1, 0, nil, "abc")), delta: one(textAt(1, 0, nil, "abc")),
				sv: StateVector{1: 3}, pending: true},
			{update: one(textAt(1, 3, id(1, 2), "d")), delta: one(textAt(1, 3, id(1, 2), "d")),
				sv: StateVector{1: 4, 2: 1}},
		}},
		{name: "parent item and right origin wait", steps: []step{
			{update: one(child), delta: one(child), sv: StateVector{}, pending: true},
			{update: one(rightOf), delta: one(rightOf), sv: StateVector{}, pending: true},
			{update: one(parent), delta: one(parent), sv: StateVector{1: 1, 2: 1, 3: 1}},
		}},
		{name: "gaps are written as skips", steps: []step{
			{update: one(ab, ef), delta: one(ab, ef), sv: StateVector{1: 2}, pending: true,
				check: func(t *testing.T, s *Store) { same(t, s.Encode(), one(ab, ef)) }},
			// yjs integrates the update's form of a pending range when the update
			// reaches it, so the delta carries ef again.
			{update: one(textAt(1, 0, nil, "abcdefgh")),
				delta: one(textAt(1, 2, id(1, 1), "cd"), textAt(1, 4, id(1, 3), "efgh")),
				sv:    StateVector{1: 8}},
		}},
		{name: "deletes unite and only new parts are relayed", steps: []step{
			{update: upd(nil, dels(1, Range{0, 2}, Range{5, 2})),
				delta: upd(nil, dels(1, Range{0, 2}, Range{5, 2})), sv: StateVector{},
				pending: true},
			{update: upd(nil, dels(1, Range{1, 5})), delta: upd(nil, dels(1, Range{2, 3})),
				sv: StateVector{}, pending: true, check: func(t *testing.T, s *Store) {
					same(t, s.Encode(), upd(nil, dels(1, Range{0, 7})))
				}},
			{update: upd(nil, dels(1, Range{3, 1}), dels(2, Range{0, 0})), sv: StateVector{},
				pending: true},
			{update: one(textAt(1, 0, nil, "abcdefg")), delta: one(textAt(1, 0, nil, "abcdefg")),
				sv: StateVector{1: 7}},
		}},
		{name: "a new form takes over a blocked range", steps: []step{
			{update: one(blocked, qr), delta: one(blocked, qr), sv: StateVector{}, pending: true},
			{update: one(gcAt(1, 0, 1)), delta: one(gcAt(1, 0, 1), qr), sv: StateVector{1: 3}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewStore(Options{})
			for i, st := range tt.steps {
				d := mustApply(t, s, st.update)
				if !bytes.Equal(d, st.delta) {
					t.Fatalf("step %d: delta\n %x\nwant\n %x", i, d, st.delta)
				}
				same(t, s.StateVector(), st.sv.Encode())
				if (s.PendingSize() > 0) != st.pending {
					t.Fatalf("step %d: pending %d bytes", i, s.PendingSize())
				}
				if st.check != nil {
					st.check(t, s)
				}
			}
		})
	}
}

func TestStoreMergesKeystrokes(t *testing.T) {
	s := NewStore(Options{})
	mustApply(t, s, upd(runs(run(textAt(7, 0, nil, "a")))))
	for i := uint64(1); i < 300; i++ {
		mustApply(t, s, upd(runs(run(textAt(7, i, id(7, i-1), "b")))))
	}
	if c := s.lookup(7); c.nBlocks() != 1 {
		t.Fatalf("%d blocks, want 1 merged block", c.nBlocks())
	}
	same(t, s.Encode(), upd(runs(run(textAt(7, 0, nil, "a"+strings.Repeat("b", 299))))))
	d, err := s.EncodeDiff(StateVector{7: 298}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	same(t, d, upd(runs(run(textAt(7, 298, id(7, 297), "bb")))))
	// A keystroke elsewhere (another right origin) starts a new block.
	k := textAt(7, 300, id(7, 5), "c")
	k.Info |= InfoRightOrigin
	k.RightOrigin = ID{7, 6}
	mustApply(t, s, upd(runs(run(k))))
	if c := s.lookup(7); c.nBlocks() != 2 {
		t.Fatalf("%d blocks, want 2", c.nBlocks())
	}
}

func TestStoreMergeGrowsCount(t *testing.T) {
	// The string's byte length crosses 127 and 16383: its var-uint grows a byte.
	s := NewStore(Options{})
	mustApply(t, s, upd(runs(run(textAt(7, 0, nil, strings.Repeat("a", 120))))))
	mustApply(t, s, upd(runs(run(textAt(7, 120, id(7, 119), strings.Repeat("é", 10))))))
	mustApply(t, s, upd(runs(run(textAt(7, 130, id(7, 129), strings.Repeat("z", 16300))))))
	want := strings.Repeat("a", 120) + strings.Repeat("é", 10) + strings.Repeat("z", 16300)
	same(t, s.Encode(), upd(runs(run(textAt(7, 0, nil, want)))))
}

func TestStoreEncodeDiff(t *testing.T) {
	s := NewStore(Options{})
	mustApply(t, s, upd(runs(run(textAt(1, 0, nil, "a😀bc")), run(textAt(2, 3, id(2, 2), "zz"))),
		dels(1, Range{1, 1})))
	tests := []struct {
		name string
		sv   StateVector
		want []byte
	}{
		{name: "from nothing", sv: StateVector{}, want: s.Encode()},
		{name: "inside a surrogate pair", sv: StateVector{1: 2, 2: 9},
			want: upd(runs(run(textAt(1, 2, id(1, 1), "\uFFFDbc"))), dels(1, Range{1, 1}))},
		{name: "pending structs past the peer", sv: StateVector{1: 5, 2: 4},
			want: upd(runs(run(textAt(2, 4, id(2, 3), "z"))), dels(1, Range{1, 1}))},
		{name: "peer ahead", sv: StateVector{1: 50, 2: 50}, want: upd(nil, dels(1, Range{1, 1}))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := s.EncodeDiff(tt.sv.Encode())
			if err != nil {
				t.Fatal(err)
			}
			same(t, d, tt.want)
		})
	}
	if _, err := s.EncodeDiff([]byte{1, 5}); !errors.Is(err, ErrMalformed) {
		t.Fatalf("bad state vector: %v", err)
	}
}

func TestStoreIsEmpty(t *testing.T) {
	withOrigin := textAt(1, 3, id(1, 2), "x")
	byParentID := Struct{ID: ID{1, 0}, Length: 1, Info: RefString, ParentID: ID{2, 0},
		Content: StringContent("x")}
	rootButPending := textAt(1, 9, nil, "x")
	tests := []struct {
		name    string
		updates [][]byte
		empty   bool
	}{
		{name: "00 00", updates: [][]byte{{0, 0}}, empty: true},
		{name: "gc only", updates: [][]byte{upd(runs(run(gcAt(1, 0, 4))))}, empty: true},
		{name: "skip only", updates: [][]byte{upd(runs(ClientStructs{Client: 1, Structs: []Struct{
			{ID: ID{1, 0}, Length: 3, Info: RefSkip}}}))}, empty: true},
		{name: "deletes only", updates: [][]byte{upd(nil, dels(1, Range{0, 3}))}, empty: true},
		{name: "items with origins only", updates: [][]byte{upd(runs(run(withOrigin)))},
			empty: true},
		{name: "parent given by item id", updates: [][]byte{upd(runs(run(byParentID)))},
			empty: true},
		{name: "root item", updates: [][]byte{upd(runs(run(textAt(1, 0, nil, "x"))))}},
		{name: "root item that stays pending", updates: [][]byte{upd(runs(run(rootButPending)))}},
		{name: "root item already known", updates: [][]byte{
			upd(runs(run(gcAt(1, 0, 1)))), upd(runs(run(textAt(1, 0, nil, "x")))),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewStore(Options{})
			for _, u := range tt.updates {
				mustApply(t, s, u)
			}
			if s.IsEmpty() != tt.empty {
				t.Fatalf("IsEmpty() = %v", s.IsEmpty())
			}
		})
	}
	// A root item in an update that fails leaves the store empty.
	s := NewStore(Options{MaxSize: 4})
	_, err := s.Apply(upd(runs(run(textAt(1, 0, nil, "too long")))))
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v", err)
	}
	if !s.IsEmpty() {
		t.Fatal("failed Apply made the store non-empty")
	}
}

func TestStoreCaps(t *testing.T) {
	base := upd(runs(run(textAt(1, 0, nil, "hello"))))
	grow := upd(runs(run(textAt(1, 5, id(1, 4), " world"), textAt(1, 30, id(1, 29), "!"))),
		dels(1, Range{0, 2}), dels(8, Range{4, 4}))
	t.Run("size", func(t *testing.T) {
		s := NewStore(Options{MaxSize: len(base) + 4})
		mustApply(t, s, base)
		before := stateOf(s)
		_, err := s.Apply(grow)
		if !errors.Is(err, ErrTooLarge) {
			t.Fatalf("err = %v", err)
		}
		if !stateOf(s).equal(before) {
			t.Fatal("store changed by a failed Apply")
		}
		if err := verifyStore(s); err != nil {
			t.Fatal(err)
		}
		mustApply(t, s, upd(nil, dels(1, Range{0, 1}))) // still fits
	})
	t.Run("pending", func(t *testing.T) {
		s := NewStore(Options{MaxPending: 30})
		mustApply(t, s, base)
		mustApply(t, s, upd(nil, dels(9, Range{0, 1}))) // 2 bytes + 16 overhead pending
		before := stateOf(s)
		if _, err := s.Apply(grow); !errors.Is(err, ErrPendingFull) {
			t.Fatalf("err = %v", err)
		}
		if !stateOf(s).equal(before) {
			t.Fatal("store changed by a failed Apply")
		}
		if err := verifyStore(s); err != nil {
			t.Fatal(err)
		}
		// Filling the gap shrinks the pending part again.
		mustApply(t, s, upd(runs(run(textAt(9, 0, nil, "x")))))
		if s.PendingSize() != 0 {
			t.Fatalf("pending %d", s.PendingSize())
		}
	})
}

// TestStoreRollback makes an Apply fail at the cap check after it has merged, inserted,
// taken over, integrated waiting clients and united deletes, and checks that nothing
// of it remains.
func TestStoreRollback(t *testing.T) {
	setup := [][]byte{
		upd(runs(run(textAt(1, 0, nil, "abc")))),
		upd(runs(run(textAt(1, 3, id(1, 2), "d")))), // merged: the block now has spare room
		upd(runs(run(Struct{ID: ID{2, 0}, Length: 1, Info: RefString, ParentID: ID{9, 5},
			Content: StringContent("p")}, textAt(2, 1, id(2, 0), "qr")))),
		upd(runs(run(textAt(3, 0, id(1, 4), "w")))),
		upd(nil, dels(1, Range{0, 1}, Range{5, 1})),
	}
	big := upd(runs(
		run(textAt(1, 4, id(1, 3), "e"), textAt(1, 8, id(1, 7), strings.Repeat("x", 200))),
		run(gcAt(2, 0, 1)),
	), dels(1, Range{0, 9}), dels(4, Range{0, 1}))
	s := NewStore(Options{MaxSize: 80})
	for _, u := range setup {
		mustApply(t, s, u)
	}
	before := stateOf(s)
	if _, err := s.Apply(big); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v", err)
	}
	if !stateOf(s).equal(before) {
		t.Fatal("store changed by a failed Apply")
	}
	if err := verifyStore(s); err != nil {
		t.Fatal(err)
	}
	// The same store still takes the update once the cap allows it.
	s.opts.MaxSize = 0
	mustApply(t, s, big)
	same(t, s.StateVector(), StateVector{1: 5, 2: 3, 3: 1}.Encode())
}

func TestStoreRefusesBadInput(t *testing.T) {
	s := NewStore(Options{})
	mustApply(t, s, upd(runs(run(textAt(1, 0, nil, "abc")))))
	before := stateOf(s)
	selfAhead := textAt(1, 3, id(1, 3), "x")
	for name, u := range map[string][]byte{
		"truncated":                    upd(runs(run(textAt(1, 3, id(1, 2), "d"))))[:6],
		"origin at its own clock":      upd(runs(run(selfAhead))),
		"invalid utf-8":                {1, 1, 1, 3, 0x84, 1, 2, 1, 0xff, 0},
		"empty input":                  {},
		"trailing garbage after valid": append(upd(nil), 0),
	} {
		if _, err := s.Apply(u); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err = %v", name, err)
		}
		if !stateOf(s).equal(before) {
			t.Fatalf("%s changed the store", name)
		}
	}
}

func TestStoreDoesNotKeepInput(t *testing.T) {
	s := NewStore(Options{})
	u := upd(runs(run(textAt(1, 0, nil, "abc"))))
	mustApply(t, s, u)
	want := s.Encode()
	for i := range u {
		u[i] = 0xee
	}
	same(t, s.Encode(), want)
}

// An update that resends an integrated item with references the store lacks is
// refused whole (yjs would keep it and the client's later structs pending); with the
// named unit in the same update it is taken.
func TestStoreRefusesStaleItemNamingMissing(t *testing.T) {
	hello := textAt(1, 0, nil, "hello")
	stale := textAt(1, 0, id(9, 0), "H") // 1:0 again, now after 9:0
	more := textAt(1, 5, id(1, 4), "!")
	nine := textAt(9, 0, nil, "n")
	tests := []struct {
		name   string
		update []byte
		ok     bool
	}{
		{"names a missing client", upd(runs(run(stale, more))), false},
		{"names a unit of the update", upd(runs(run(nine), run(stale, more))), true},
		{"partly known, names a missing client",
			upd(runs(run(textAt(1, 4, id(9, 0), "o!")))), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewStore(Options{})
			mustApply(t, s, upd(runs(run(hello))))
			before := s.Encode()
			_, err := s.Apply(tt.update)
			if tt.ok {
				if err != nil {
					t.Fatalf("Apply: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("Apply: %v, want ErrMalformed", err)
			}
			same(t, s.Encode(), before)
		})
	}
}
