package e2e

import (
	"os"
	"strings"
	"testing"

	"github.com/caddy-pluv/caddy-pluv/internal/pluvtest"
)

// TestCompactionFile: through a real Caddy, 2,000 characters typed one update at a time
// and 1,900 of them deleted leave a room file about the size of the 100 characters
// left; with keep_history the file keeps all 2,000. A joiner gets the same text from
// either.
func TestCompactionFile(t *testing.T) {
	const typed, kept = 2000, 100
	want := "a" + strings.Repeat("x", kept-1)
	sizes := map[bool]int{}

	for _, keep := range []bool{false, true} {
		// Only the teardown writes the file: a flush could catch the edits half done.
		extra := []string{authBlock, "rate_limit off", "flush_interval 1h"}
		if keep {
			extra = append(extra, "keep_history")
		}

		dir := t.TempDir()
		s := startCaddyConfig(t, caddyConfig{Site: pluvSite(t, dir, extra...)})
		r := &room{t: t, s: s, id: roomID(t)}

		ann := r.dial("ann", pluvtest.Options{
			Token:  userToken(t, r.id, "ann", ""),
			Update: textInsert(11, 0, "text", "a"),
		})
		ann.Handshake()

		for clock := uint64(1); clock < typed; clock++ {
			if err := ann.UpdateStorage(textAppend(11, clock, "x")); err != nil {
				t.Fatal(err)
			}
		}

		for clock := uint64(typed - 1); clock >= kept; clock-- {
			if err := ann.UpdateStorage(textDelete(11, clock, 1)); err != nil {
				t.Fatal(err)
			}
		}

		ann.Barrier(barrierEvent) // the room has applied every edit

		joined, err := pluvtest.StateText(unb64(joinState(t, r, "bob")), "text")
		if err != nil {
			t.Fatal(err)
		}

		mustEqual(t, "text joined", joined, want)
		ann.Close()

		data, err := os.ReadFile(waitRoomFile(t, dir))
		if err != nil {
			t.Fatal(err)
		}

		saved, err := pluvtest.StateText(data, "text")
		if err != nil {
			t.Fatal(err)
		}

		mustEqual(t, "text in the file", saved, want)
		sizes[keep] = len(data)
		s.Stop()
	}

	t.Logf("room file: %d bytes compacted, %d with keep_history", sizes[false], sizes[true])

	if sizes[false] > kept+64 || sizes[true] < typed {
		t.Fatalf("room file %d bytes compacted (want at most %d), %d with keep_history "+
			"(want at least %d)", sizes[false], kept+64, sizes[true], typed)
	}
}
