package yjs

import "testing"

// FuzzUpdateStats checks UpdateStats against DecodeUpdate: the same error text, or the
// same counts.
func FuzzUpdateStats(f *testing.F) {
	for _, u := range goldenUpdates(f) {
		f.Add(u)
	}
	for _, sh := range memShapes {
		f.Add(sh.build(64))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		structs, ranges, err := UpdateStats(b)
		u, derr := DecodeUpdate(b)
		if (err == nil) != (derr == nil) || err != nil && err.Error() != derr.Error() {
			t.Fatalf("UpdateStats error %v, DecodeUpdate error %v", err, derr)
		}
		if err != nil {
			return
		}
		ws, wr := 0, 0
		for _, run := range u.Structs {
			ws += len(run.Structs)
		}
		for _, cd := range u.Deletes {
			wr += len(cd.Ranges)
		}
		if structs != ws || ranges != wr {
			t.Fatalf("UpdateStats %d structs %d ranges, decoded %d and %d",
				structs, ranges, ws, wr)
		}
	})
}

// UpdateStats allocates nothing, whatever the update holds.
func TestUpdateStatsAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items under -race, so the JSON check allocates")
	}
	for _, sh := range memShapes {
		u := sh.build(64 << 10)
		if _, _, err := UpdateStats(u); err != nil {
			t.Fatalf("%s: %v", sh.name, err)
		}
		if n := testing.AllocsPerRun(3, func() { _, _, _ = UpdateStats(u) }); n != 0 {
			t.Errorf("%s: %v allocations, want 0", sh.name, n)
		}
	}
}
