package yjs

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf16"
)

// TestTextIndexSplits types into a long pasted text of mixed scripts at random places,
// so that its item is split again and again through the index, and checks the text
// against the same inserts made on UTF-16 units.
func TestTextIndexSplits(t *testing.T) {
	var b strings.Builder
	pieces := []string{"a", "é", "中", "😀", "bc ", "𝄞"}
	r := rand.New(rand.NewPCG(7, 8))
	for b.Len() < 20000 {
		b.WriteString(pieces[r.IntN(len(pieces))])
	}
	paste := b.String()
	s := NewStore(Options{})
	mustApply(t, s, upd(runs(run(textAt(1, 0, nil, paste)))))
	want := utf16.Encode([]rune(paste))
	ids := make([]ID, len(want)) // the item unit at each place of the text
	for i := range ids {
		ids[i] = ID{1, uint64(i)}
	}
	for k := range 300 {
		at := 1 + r.IntN(len(want)-1)
		for at < len(want) && want[at] >= 0xdc00 && want[at] <= 0xdfff {
			at++ // not inside a surrogate pair
		}
		if at == len(want) {
			continue
		}
		st := textAt(2, uint64(k), &ids[at-1], "x")
		st.Info |= InfoRightOrigin
		st.RightOrigin = ids[at]
		mustApply(t, s, upd(runs(run(st))))
		want = append(want[:at], append([]uint16{'x'}, want[at:]...)...)
		ids = append(ids[:at], append([]ID{{2, uint64(k)}}, ids[at:]...)...)
	}
	if got := docJSON(s, nil)["t"]; got != string(utf16.Decode(want)) {
		t.Fatalf("text differs after indexed splits")
	}
	indexed := 0
	for _, ch := range s.m.structs[1].chunks {
		for _, it := range ch {
			if it.idx != nil {
				indexed++
			}
		}
	}
	if indexed == 0 {
		t.Fatal("no text index was made")
	}
}
