package yjs

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// TestCutStruct checks the one-pass cutter against cutting pieces off one at a time
// with truncateStruct and sliceStruct, on texts with surrogate pairs (cut inside them
// too), any values and deleted content.
func TestCutStruct(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	pieces := []string{"a", "é", "中", "😀", "𝄞", "xy"}
	for trial := range 500 {
		var st Struct
		switch trial % 3 {
		case 0:
			var b strings.Builder
			for range 1 + r.IntN(30) {
				b.WriteString(pieces[r.IntN(len(pieces))])
			}
			st = textAt(1, 5, id(1, 4), b.String())
		case 1:
			var vals []Any
			for k := range 1 + r.IntN(30) {
				vals = append(vals, Any{Kind: AnyString, Str: strings.Repeat("v", k)})
			}
			st = Struct{ID: ID{1, 5}, Length: uint64(len(vals)), Info: RefAny | InfoOrigin,
				Origin: ID{1, 4}, Content: AnyContent(vals...)}
		default:
			n := uint64(1 + r.IntN(30))
			st = Struct{ID: ID{1, 5}, Length: n, Info: RefDeleted | InfoOrigin,
				Origin: ID{1, 4}, Content: DeletedContent(n)}
		}
		if st.Length < 2 {
			continue
		}
		var offs []uint64
		for o := uint64(1); o < st.Length; o++ {
			if r.IntN(3) == 0 {
				offs = append(offs, o)
			}
		}
		got := cutStruct(st, offs)
		var want []Struct
		rest := st
		for _, o := range offs {
			at := st.ID.Clock + o - rest.ID.Clock
			want = append(want, truncateStruct(rest, at))
			rest = sliceStruct(rest, at)
		}
		want = append(want, rest)
		if len(got) != len(want) {
			t.Fatalf("trial %d: %d pieces, want %d", trial, len(got), len(want))
		}
		for i := range got {
			g, w := AppendStruct(nil, &got[i]), AppendStruct(nil, &want[i])
			if !slices.Equal(g, w) || got[i].ID != want[i].ID || got[i].Length != want[i].Length {
				t.Fatalf("trial %d piece %d: %+v, want %+v", trial, i, got[i], want[i])
			}
		}
	}
}
