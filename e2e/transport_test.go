package e2e

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caddy-pluv/caddy-pluv/internal/pluvtest"
)

// latencies summarises round trips.
type latencies []time.Duration

func (l latencies) String() string {
	s := slices.Clone(l)
	slices.Sort(s)

	return fmt.Sprintf("n=%d p50=%v p99=%v max=%v", len(s), s[len(s)/2],
		s[len(s)*99/100], s[len(s)-1])
}

func (l latencies) max() time.Duration { return slices.Max(l) }

// probe sends one event from a and returns how long it took to reach b.
func probe(t *testing.T, a, b *pluvtest.Client, i int) time.Duration {
	t.Helper()

	sent := time.Now()
	tag := fmt.Sprintf("probe-%d", i)
	if err := a.Send("probe", map[string]any{"tag": tag}); err != nil {
		t.Fatal(err)
	}

	f := b.AwaitFunc(tag, func(f pluvtest.Frame) bool {
		return f.Type == "probe" && strings.Contains(string(f.Data), tag)
	})

	return f.At.Sub(sent)
}

// TestSlowReaderDoesNotDelayOthers: while one session never reads, the others' events
// keep arriving at once, and the stalled session is taken out of the room as soon as its
// queue overflows, long before its blocked write could time out (20 s here).
func TestSlowReaderDoesNotDelayOthers(t *testing.T) {
	r := startRoom(t, authBlock, "send_queue 4", "write_timeout 20s")
	ann := r.user("ann", "ann", nil)
	bob := r.user("bob", "bob", nil)
	slow := r.dial("slow", pluvtest.Options{
		Token: userToken(t, r.id, "slow", ""), ReadBuffer: 4096,
	})
	slow.Handshake()
	slowID := slow.SessionID()
	slow.PauseReading()

	payload := strings.Repeat("p", 128<<10)
	start := time.Now()
	var lat latencies
	var goneAfter time.Duration
	for i := 0; i < 400 && (goneAfter == 0 || len(lat) < 20); i++ {
		sent := time.Now()
		if err := ann.Send("bulk", map[string]any{"i": i, "p": payload}); err != nil {
			t.Fatal(err)
		}

		f := bob.AwaitFunc(fmt.Sprint("bulk ", i), func(f pluvtest.Frame) bool {
			return f.Type == "bulk" && strings.HasPrefix(string(f.Data), fmt.Sprintf(`{"i":%d,`, i))
		})
		lat = append(lat, f.At.Sub(sent))
		if goneAfter == 0 && gone(ann, slowID) {
			goneAfter = time.Since(start)
		}
	}

	t.Logf("bob's latency for 128 KiB events while a session stalls: %v", lat)
	if goneAfter == 0 {
		t.Fatal("the stalled session never left the room")
	}

	t.Logf("the stalled session left %v after the flood began", goneAfter)
	if goneAfter > 15*time.Second {
		t.Fatalf("the stalled session left only after %v", goneAfter)
	}

	if lat.max() > time.Second {
		t.Fatalf("others were delayed: %v", lat)
	}

	slow.Drop()
}

// TestMessageStorm: one session sends 10,000 messages as fast as it can; the rate limit
// (default 100/s, burst 200) lets few through and tells it so, and the others' round trips
// stay fast meanwhile.
func TestMessageStorm(t *testing.T) {
	r := startRoom(t, authBlock)
	ann := r.user("ann", "ann", nil)
	bob := r.user("bob", "bob", nil)
	storm := r.user("storm", "storm", nil)
	stormID := storm.SessionID()

	const total = 10000
	start := time.Now()
	var wg sync.WaitGroup
	var stormTook time.Duration
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer func() { stormTook = time.Since(start) }()
		for i := 0; i < total; i++ {
			if storm.SendRaw(`{"type":"storm","data":{}}`) != nil {
				return // closed for flooding
			}
		}
	}()

	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()

	// Probes run while the storm is written and for a while after, when the server may
	// still be reading its backlog.
	var lat latencies
	for i := 0; ; i++ {
		lat = append(lat, probe(t, ann, bob, i))
		select {
		case <-done:
		default:
			continue
		}

		if len(lat) >= 20 {
			break
		}
	}

	ann.Barrier(barrierEvent, bob)
	elapsed := time.Since(start)
	relayed := 0
	for _, f := range bob.Frames() {
		if f.Type == "storm" && f.ConnectionID == stormID {
			relayed++
		}
	}

	t.Logf("storm of %d sent in %v; %d relayed; storm got %d $error, closed: %v; "+
		"probe latency: %v", total, stormTook, relayed, storm.Count(pluvtest.TypeError),
		storm.Closed(), lat)
	if most := 200 + int(elapsed.Seconds()*100) + 10; relayed > most {
		t.Fatalf("%d of %d relayed in %v, want at most %d", relayed, total, elapsed, most)
	}

	if info := storm.Closed(); info != nil && info.Code != 1008 {
		t.Fatalf("storm closed with %d", info.Code)
	}

	if storm.Closed() == nil && storm.Count(pluvtest.TypeError) == 0 {
		t.Fatal("the storm was never told it was limited")
	}

	if lat.max() > time.Second {
		t.Fatalf("others were delayed by the storm: %v", lat)
	}

	for _, c := range []*pluvtest.Client{ann, bob} {
		if c.Closed() != nil {
			t.Fatalf("%s was closed: %+v", c.Name(), *c.Closed())
		}
	}
}
