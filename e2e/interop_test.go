package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	_ "github.com/caddy-pluv/caddy-pluv"
)

// interopSecret is the token secret shared by the in-process Caddy and the Node scripts,
// which mint their tokens with the demo token app's code (js/tokenapp).
const interopSecret = "interop-test-secret"

// interopSite is the site block: an authenticated pluv endpoint storing rooms in dir. The send
// queue is raised from 1024 frames because the scripts make 2,000 edits in about a second, and
// on a loaded machine the Node reader falls that far behind and gets dropped as slow (1013).
// The rate limit is raised for the same reason: the default (100 a second, bursts of 200)
// is far below a script's edits.
func interopSite(dir string) string {
	return fmt.Sprintf(`pluv {
	storage_dir %s
	send_queue 8192
	rate_limit 100000 100000
	auth {
		secret %s
		user {
			name string max_length 64
		}
	}
}`, dir, interopSecret)
}

// deltaSlack is what a relayed total may exceed the edits' own size by: Yjs may encode a
// delta a little differently from the update that produced it, plus fixed overhead.
const deltaSlack = 16 << 10

// relayedLikeDeltas reports whether a client received no more $storageUpdated bytes than the
// edits of the step were worth, as a relay of whole documents would far exceed it.
func relayedLikeDeltas(relayed, sent int) bool {
	return relayed <= sent+sent/4+deltaSlack
}

type convergeStep struct {
	Name       string         `json:"name"`
	Ms         int            `json:"ms"`
	Sent       map[string]int `json:"sent"`
	Relayed    map[string]int `json:"relayed"`
	Frames     map[string]int `json:"frames"`
	Echoed     map[string]int `json:"echoed"`
	TextLength int            `json:"textLength"`
}

type convergeResult struct {
	OK    bool           `json:"ok"`
	Steps []convergeStep `json:"steps"`
}

type lateJoinerResult struct {
	OK    bool `json:"ok"`
	Edits struct {
		Sent          int `json:"sent"`
		RelayedToBen  int `json:"relayedToBen"`
		FramesToBen   int `json:"framesToBen"`
		MaxFrameToBen int `json:"maxFrameToBen"`
		EchoedToAnn   int `json:"echoedToAnn"`
	} `json:"edits"`
	LateJoinerState int `json:"lateJoinerStateBase64"`
}

// TestInteropNode runs our JS client (js/lib/pluv-client.mjs, on ws and the real yjs) against
// a real Caddy with the plugin: two clients converge through small concurrent edits and 1 MB
// of text (one piece and chunks), a late joiner after 2,000 edits gets the same document, and
// the server relays deltas rather than whole documents, never back to the client that made
// the edit. The scripts also fail on any frame the real @pluv/client would drop or choke on,
// and on a late $pong. A delta of a client's own edit is counted only if it arrives before
// the step's documents converge, so that check can miss a late one but never flags wrongly.
func TestInteropNode(t *testing.T) {
	dir, node := nodeProject(t)

	ctx, cancel := context.WithTimeout(context.Background(), 110*time.Second)
	defer cancel()

	s := startCaddyConfig(t, caddyConfig{Site: interopSite(t.TempDir())})
	env := []string{"PLUV_WS=" + s.WS + "/room", "PLUV_SECRET=" + interopSecret}

	t.Run("two clients converge", func(t *testing.T) {
		var res convergeResult
		runNodeScript(ctx, t, node, dir, "interop/converge.mjs", env, &res)

		if len(res.Steps) != 3 {
			t.Fatalf("got %d steps, want 3", len(res.Steps))
		}

		for _, st := range res.Steps {
			if st.Echoed == nil {
				t.Fatalf("%s: the script reported no echoed counts", st.Name)
			}

			for who, n := range st.Echoed {
				if n != 0 {
					t.Errorf("%s: %s got %d bytes of $storageUpdated for its own edits",
						st.Name, who, n)
				}
			}

			total := st.Sent["Ann"] + st.Sent["Ben"]
			for who, n := range st.Relayed {
				if others := total - st.Sent[who]; !relayedLikeDeltas(n, others) {
					t.Errorf("%s: %s received %d bytes of $storageUpdated for %d bytes of "+
						"the other's edits", st.Name, who, n, others)
				}
			}
		}

		if got := res.Steps[2].TextLength; got < 2<<20 {
			t.Errorf("final text is %d characters, want at least 2 MiB", got)
		}
	})

	t.Run("late joiner after 2000 edits", func(t *testing.T) {
		var res lateJoinerResult
		runNodeScript(ctx, t, node, dir, "interop/late-joiner.mjs", env, &res)

		e := res.Edits
		if e.EchoedToAnn != 0 {
			t.Errorf("Ann got %d bytes of $storageUpdated for her own edits", e.EchoedToAnn)
		}

		if !relayedLikeDeltas(e.RelayedToBen, e.Sent) {
			t.Errorf("Ben received %d bytes of $storageUpdated for %d bytes of edits",
				e.RelayedToBen, e.Sent)
		}

		if e.FramesToBen == 0 || e.MaxFrameToBen*4 > res.LateJoinerState {
			t.Errorf("largest of %d frames to Ben is %d bytes; the document is %d base64 chars",
				e.FramesToBen, e.MaxFrameToBen, res.LateJoinerState)
		}
	})
}
