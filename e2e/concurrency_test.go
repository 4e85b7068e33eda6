package e2e

import (
	"fmt"
	"sync"
	"testing"

	"github.com/caddy-pluv/caddy-pluv/internal/pluvtest"
)

// TestJoinDuringBroadcasts: sessions joining while the room is busy broadcasting still get
// `$registered` before any broadcast (the strict client flags anything else), then the
// whole handshake. The burst stays below the send queue (1024 frames): a sender of a longer
// burst of echoed events may be closed as slow (1013), by design. The rate limit is raised
// above the burst (the default, 100/s with a burst of 200, would drop some of it).
func TestJoinDuringBroadcasts(t *testing.T) {
	r := startRoom(t, authBlock, "rate_limit 1000 1000")
	ann := r.user("ann", "ann", nil)

	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 200; i++ {
			if ann.Send("tick", map[string]any{"i": i}) != nil {
				return
			}
		}
	}()

	joiners := make([]*pluvtest.Client, 6)
	for i := range joiners {
		joiners[i] = r.user(fmt.Sprintf("joiner%d", i), fmt.Sprintf("j%d", i), nil)
	}

	wg.Wait()
	ann.Barrier(barrierEvent, joiners...)
	for _, c := range append(joiners, ann) {
		if info := c.Closed(); info != nil {
			t.Fatalf("%s was closed: %d %q", c.Name(), info.Code, info.Text)
		}

		mustEqual(t, c.Name()+": first frame", c.Types()[0], pluvtest.TypeRegistered)
	}
}

// TestJoinDuringEdits: sessions joining while another types get a `$storageReceived`
// snapshot and then every later delta, never a `$storageUpdated` before the snapshot, and
// end with the same document as the typist and as a late joiner. A session there from the
// start gets one delta per keystroke; the typist gets none of its own. The keystrokes go
// out as fast as the socket takes them, so the rate limit is raised above their number.
func TestJoinDuringEdits(t *testing.T) {
	r := startRoom(t, authBlock, "rate_limit 1000 1000")
	ann := r.dial("ann", pluvtest.Options{
		Token:  userToken(t, r.id, "ann", ""),
		Update: textInsert(11, 0, "text", "a"),
	})
	ann.Handshake()
	watch := r.user("watch", "watch", nil)

	const keystrokes = 400
	var wg sync.WaitGroup
	wg.Add(1)
	errs := make(chan error, 1)
	go func() {
		defer wg.Done()
		for clock := uint64(1); clock <= keystrokes; clock++ {
			if err := ann.UpdateStorage(textAppend(11, clock, "x")); err != nil {
				errs <- err
				return
			}
		}
	}()

	joiners := make([]*pluvtest.Client, 6)
	for i := range joiners {
		joiners[i] = r.user(fmt.Sprintf("joiner%d", i), fmt.Sprintf("j%d", i), nil)
	}

	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		t.Fatal(err)
	}

	ann.Barrier(barrierEvent, append(joiners, watch)...)
	late := r.user("late", "late", nil)
	want := late.Doc()
	for _, c := range append(joiners, ann, watch) {
		if err := pluvtest.SameDoc(c.Doc(), want); err != nil {
			t.Fatalf("%s's document differs from the room's: %v", c.Name(), err)
		}
	}

	mustEqual(t, "watch's $storageUpdated frames", watch.Count(pluvtest.TypeStorageUpdated),
		keystrokes)
	mustEqual(t, "ann's $storageUpdated frames", ann.Count(pluvtest.TypeStorageUpdated), 0)
}
