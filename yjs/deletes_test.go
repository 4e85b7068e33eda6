package yjs

import (
	"errors"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

// TestStoreDeletesAgainstBitmap applies random delete sets (unsorted, overlapping,
// touching, one client split over several entries) and compares the store's ranges and
// each delta with a bitmap of deleted clocks.
func TestStoreDeletesAgainstBitmap(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	for trial := range 200 {
		s := NewStore(Options{})
		var deleted [2][64]bool
		for range 8 {
			var ds []ClientDeletes
			var fresh [2][64]bool
			for range 1 + r.IntN(4) {
				c := uint64(r.IntN(2))
				var rs []Range
				for range r.IntN(5) {
					clock := uint64(r.IntN(60))
					n := uint64(r.IntN(5))
					rs = append(rs, Range{clock, n})
					for k := clock; k < clock+n; k++ {
						fresh[c][k] = fresh[c][k] || !deleted[c][k]
					}
				}
				ds = append(ds, ClientDeletes{Client: c, Ranges: rs})
			}
			delta := mustApply(t, s, upd(nil, ds...))
			var got [2][64]bool
			if delta != nil {
				u, err := DecodeUpdate(delta)
				if err != nil {
					t.Fatal(err)
				}
				for _, cd := range u.Deletes {
					for _, rg := range cd.Ranges {
						for k := rg.Clock; k < rg.End(); k++ {
							if got[cd.Client][k] {
								t.Fatalf("trial %d: delta lists clock %d twice", trial, k)
							}
							got[cd.Client][k] = true
						}
					}
				}
			}
			if got != fresh {
				t.Fatalf("trial %d: delta %v, want %v", trial, got, fresh)
			}
			for c := range 2 {
				for k := range 64 {
					deleted[c][k] = deleted[c][k] || fresh[c][k]
				}
				if cl := s.lookup(uint64(c)); cl != nil || hasAny(deleted[c]) {
					if got := slices.Collect(cl.dels.all); !reflect.DeepEqual(got,
						rangesOf(deleted[c][:])) {
						t.Fatalf("trial %d client %d: %v, want %v", trial, c, got,
							rangesOf(deleted[c][:]))
					}
				}
			}
		}
	}
}

func hasAny(bits [64]bool) bool {
	for _, b := range bits {
		if b {
			return true
		}
	}
	return false
}

// rangesOf turns a bitmap into sorted, maximal ranges.
func rangesOf(bits []bool) []Range {
	var out []Range
	for k := 0; k < len(bits); k++ {
		if !bits[k] {
			continue
		}
		start := k
		for k < len(bits) && bits[k] {
			k++
		}
		out = append(out, Range{uint64(start), uint64(k - start)})
	}
	return out
}

// TestDeleteSetChunks adds random delete ranges to a client until its delete set spans
// many chunks and a size cap makes Applies fail, and checks the set against a bitmap and
// that a failed Apply changes nothing.
func TestDeleteSetChunks(t *testing.T) {
	const clocks = 60000
	r := rand.New(rand.NewPCG(5, 6))
	s := NewStore(Options{MaxSize: 8000})
	deleted := make([]bool, clocks)
	failed := 0
	for i := range 3000 {
		var rs []Range
		for range 1 + r.IntN(3) {
			n := uint64(1 + r.IntN(8))
			if r.IntN(100) == 0 {
				n = uint64(r.IntN(500))
			}
			rs = append(rs, Range{uint64(r.IntN(clocks - 500)), n})
		}
		before := stateOf(s)
		if _, err := s.Apply(upd(nil, dels(7, rs...))); err != nil {
			if !errors.Is(err, ErrTooLarge) {
				t.Fatalf("apply %d: %v", i, err)
			}
			if !stateOf(s).equal(before) {
				t.Fatalf("apply %d: a failed Apply changed the store", i)
			}
			failed++
			continue
		}
		for _, rg := range rs {
			for k := rg.Clock; k < rg.End(); k++ {
				deleted[k] = true
			}
		}
		if i%20 != 0 {
			continue
		}
		if err := verifyStore(s); err != nil {
			t.Fatalf("apply %d: %v", i, err)
		}
		if got := slices.Collect(s.lookup(7).dels.all); !reflect.DeepEqual(got,
			rangesOf(deleted)) {
			t.Fatalf("apply %d: delete set %v, want %v", i, got, rangesOf(deleted))
		}
	}
	if c := s.lookup(7); len(c.dels.chunks) < 8 || failed < 100 {
		t.Fatalf("%d chunks, %d failed Applies: the test no longer covers chunk splits"+
			" and rollbacks", len(c.dels.chunks), failed)
	}
}
