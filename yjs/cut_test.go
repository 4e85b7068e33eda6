package yjs

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"
)

// TestCutStruct checks the one-pass cutter on texts with surrogate pairs (cut inside
// them too), any values and deleted content, against cuts made by hand.
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
		if len(got) != len(offs)+1 {
			t.Fatalf("trial %d: %d pieces for %d cuts", trial, len(got), len(offs))
		}
		// Each piece checked on its own terms: clocks, origin, and content cut by hand
		// (text as UTF-16 units, where a lone half of a pair reads as U+FFFD).
		units := utf16.Encode([]rune(st.Content.Text()))
		vals := st.Content.Any()
		bounds := append(append([]uint64{0}, offs...), st.Length)
		for i, p := range got {
			from, to := bounds[i], bounds[i+1]
			if p.ID.Clock != st.ID.Clock+from || p.Length != to-from {
				t.Fatalf("trial %d piece %d: clock %d length %d", trial, i, p.ID.Clock, p.Length)
			}
			if want := (ID{1, p.ID.Clock - 1}); p.Origin != want || !p.HasOrigin() {
				t.Fatalf("trial %d piece %d: origin %v, want %v", trial, i, p.Origin, want)
			}
			switch st.Ref() {
			case RefString:
				if want := string(utf16.Decode(units[from:to])); p.Content.Text() != want {
					t.Fatalf("trial %d piece %d: %q, want %q", trial, i, p.Content.Text(), want)
				}
			case RefAny:
				if !slices.EqualFunc(p.Content.Any(), vals[from:to], func(a, b Any) bool {
					return a.Str == b.Str
				}) {
					t.Fatalf("trial %d piece %d: values differ", trial, i)
				}
			default:
				if p.Content.Len() != to-from {
					t.Fatalf("trial %d piece %d: deleted length %d", trial, i, p.Content.Len())
				}
			}
		}
	}
}
