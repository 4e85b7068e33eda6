package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/caddy-pluv/caddy-pluv/internal/pluvtest"
)

// TestSlowSessionClosed: a session that stops reading is dropped once its send queue is
// full (closed with 1013, which the client retries; a socket that cannot even take the
// close frame just ends), and the room never waits for it: the sender gets every echo of
// its events in time meanwhile, the others get `$exit`, and the room carries on.
func TestSlowSessionClosed(t *testing.T) {
	// A short queue keeps the flood small; the paused session never pings, so the flood
	// must end well within the 30 s ping timeout (that would also drop it).
	r := startRoom(t, authBlock, "write_timeout 2s", "send_queue 16")
	ann := r.user("ann", "ann", nil)
	slow := r.dial("slow", pluvtest.Options{
		Token:      userToken(t, r.id, "slow", ""),
		ReadBuffer: 4096,
	})
	slow.Handshake()
	slowID := slow.SessionID()
	slow.PauseReading()

	// 64 KiB events, one at a time: the socket buffers fill first, then the queue of
	// 16 frames; ann's own queue never holds more than one.
	payload := strings.Repeat("p", 64<<10)
	start := time.Now()
	rounds := 0
	for ; rounds < 600 && !gone(ann, slowID); rounds++ {
		if err := ann.Send("bulk", map[string]any{"i": rounds, "p": payload}); err != nil {
			t.Fatalf("round %d: %v; ann closed: %+v", rounds, err, ann.Closed())
		}

		ann.Await("bulk")
	}

	// The session leaves the room (and `$exit` goes out) as soon as its queue overflows,
	// without waiting for its write pump, which is blocked on the full socket; the loop
	// may end before ann has read the `$exit`, so wait for it here.
	ann.AwaitFunc("the stalled session's $exit", func(f pluvtest.Frame) bool {
		return f.Type == pluvtest.TypeExit && f.ConnectionID == slowID
	})
	t.Logf("the stalled session was dropped %v after the flood began (%d frames of 64 KiB)",
		time.Since(start).Round(time.Millisecond), rounds)

	slow.Drop()
	if err := ann.UpdatePresence(map[string]any{"still": "here"}); err != nil {
		t.Fatal(err)
	}

	ann.Await(pluvtest.TypePresenceUpdated)
	if ann.Closed() != nil {
		t.Fatalf("ann was closed: %+v", *ann.Closed())
	}
}

// gone reports whether c has received `$exit` for session id.
func gone(c *pluvtest.Client, id string) bool {
	for _, f := range c.Frames() {
		if f.Type == pluvtest.TypeExit && f.ConnectionID == id {
			return true
		}
	}

	return false
}
