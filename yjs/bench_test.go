package yjs

import (
	"bytes"
	"maps"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
)

// Benchmarks: go test ./yjs -run '^$' -bench . -benchmem

// keystrokes returns n one-character updates of client typing after clock from, the first
// placed after origin (nil: at the start of the root text "t").
func keystrokes(client, from uint64, origin *ID, n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		o := origin
		if i > 0 {
			o = id(client, from+uint64(i)-1)
		}
		out[i] = upd(runs(run(textAt(client, from+uint64(i), o, string(rune('a'+i%26))))))
	}
	return out
}

var (
	bigOnce    sync.Once
	bigUpdates [][]byte          // the edits that build the 1 MB store
	bigNext    map[uint64]uint64 // next clock per client after them
)

// megabyteStore builds a store holding about 1 MB of text typed by four clients in
// bursts at random places, with some deletes, one update per edit as a client sends.
// The edits are made once; each call applies them to a new store.
func megabyteStore(tb testing.TB) (*Store, map[uint64]uint64) {
	bigOnce.Do(func() {
		r := rand.New(rand.NewPCG(1, 2))
		s := NewStore(Options{})
		next := map[uint64]uint64{}
		known := []ID{{1, 4}} // integrated IDs to anchor edits to
		add := func(u []byte) {
			mustApplyB(tb, s, u)
			bigUpdates = append(bigUpdates, u)
		}
		add(upd(runs(run(textAt(1, 0, nil, "start")))))
		next[1] = 5
		for s.Size() < 1<<20 {
			c := uint64(1 + r.IntN(4))
			at := known[r.IntN(len(known))]
			var right *ID
			if r.IntN(2) == 0 {
				right = &known[r.IntN(len(known))]
			}
			for range 1 + r.IntN(40) {
				st := textAt(c, next[c], &at, strings.Repeat("é", 1+r.IntN(3)))
				if right != nil {
					st.Info |= InfoRightOrigin
					st.RightOrigin = *right
				}
				var ds []ClientDeletes
				if r.IntN(50) == 0 {
					ds = append(ds, dels(at.Client, Range{at.Clock, 1}))
				}
				add(upd(runs(run(st)), ds...))
				next[c] = st.End()
				at = ID{c, st.End() - 1}
			}
			known = append(known, at)
		}
		bigNext = next
	})
	s := NewStore(Options{})
	for _, u := range bigUpdates {
		mustApplyB(tb, s, u)
	}
	return s, maps.Clone(bigNext)
}

func mustApplyB(tb testing.TB, s *Store, u []byte) {
	if _, err := s.Apply(u); err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkApplyKeystroke applies one typed character per operation, continuing the
// same client's text, to a store that starts empty.
func BenchmarkApplyKeystroke(b *testing.B) {
	s := NewStore(Options{})
	keys := keystrokes(9, 0, nil, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.Apply(keys[i]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkApplyKeystroke1MB does the same on a store holding about 1 MB of text built
// from many edits.
func BenchmarkApplyKeystroke1MB(b *testing.B) {
	s, next := megabyteStore(b)
	keys := keystrokes(9, next[9], &ID{1, 2}, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.Apply(keys[i]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncode1MB encodes the whole 1 MB store.
func BenchmarkEncode1MB(b *testing.B) {
	s, _ := megabyteStore(b)
	b.SetBytes(int64(s.Size()))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if len(s.Encode()) != s.Size() {
			b.Fatal("size mismatch")
		}
	}
}

// TestMegabyteStore checks the benchmark's store, so the benchmark measures a valid one.
func TestMegabyteStore(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 1 MB store")
	}
	s, _ := megabyteStore(t)
	if err := verifyStore(s); err != nil {
		t.Fatal(err)
	}
	blocks := 0
	for _, c := range s.order {
		blocks += c.nBlocks()
	}
	t.Logf("%d bytes in %d blocks over %d clients, %d pending bytes", s.Size(), blocks,
		len(s.order), s.PendingSize())
}

// BenchmarkApplyFillGaps fills, with one update, every gap of a client whose 10,000
// pending blocks all wait behind gaps: the pieces are inserted in one pass.
func BenchmarkApplyFillGaps(b *testing.B) {
	const n = 10000
	var odd, even []Struct
	for i := uint64(0); i < 2*n; i += 2 {
		even = append(even, textAt(3, i, id(3, i-1), "e"))
		odd = append(odd, textAt(3, i+1, id(3, i), "o"))
	}
	even[0] = textAt(3, 0, nil, "e")
	pending, fill := upd(runs(run(odd...))), upd(runs(run(even...)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		s := NewStore(Options{MaxPending: 1 << 30})
		mustApplyB(b, s, pending)
		b.StartTimer()
		mustApplyB(b, s, fill)
		if !bytes.Equal(s.StateVector(), StateVector{3: 2 * n}.Encode()) {
			b.Fatal("gaps not filled")
		}
	}
}
