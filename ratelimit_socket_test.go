package pluv

import (
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// TestRateLimited: frames past the limit are dropped with one `$error` a second, `$ping`
// is still answered, and the session stays.
func TestRateLimited(t *testing.T) {
	log, logs := observed()
	_, base := startServer(t, Config{Logger: log,
		RateLimit: &RateLimitConfig{PerSecond: 10, Burst: 5}})
	c := dial(t, base, "r", "")
	c.join(nil, nil) // the handshake costs one token: four left
	start := time.Now()
	for i := 0; i < 40; i++ {
		c.send("ev", map[string]any{"i": i})
	}
	c.send(msgPing, map[string]any{})
	frames := barrierThroughLimit(t, c)
	elapsed := time.Since(start)
	echoes, errs, pongs := 0, 0, 0
	for _, f := range frames {
		switch f.Type {
		case msgPong:
			pongs++
		case "ev":
			echoes++
		case msgError:
			errs++
			if !strings.Contains(f.raw, "rate limit exceeded") {
				t.Fatalf("error %s", f.raw)
			}
		}
	}
	if pongs != 1 {
		t.Fatalf("%d $pong for one $ping", pongs)
	}
	if most := 4 + int(elapsed.Seconds()*10) + 1; echoes < 4 || echoes > most {
		t.Fatalf("%d of 40 frames passed in %v, want 4 to %d", echoes, elapsed, most)
	}
	if errs < 1 || errs > int(elapsed.Seconds())+1 {
		t.Fatalf("%d rate limit errors in %v", errs, elapsed)
	}
	awaitLog(t, logs, "rate limit exceeded", c.id)
}

// TestStorageOverRateLimit: a storage update over the limit is not dropped (the sender's
// document would stay ahead of the room's): the session is closed with 1013, so the client
// reconnects and resyncs.
func TestStorageOverRateLimit(t *testing.T) {
	log, logs := observed()
	_, base := startServer(t, Config{Logger: log,
		RateLimit: &RateLimitConfig{PerSecond: 0.01, Burst: 1}})
	other := dial(t, base, "r", "")
	other.join(nil, nil)
	c := dial(t, base, "r", "")
	c.join(nil, nil) // the only token
	c.send(msgUpdateStorage, map[string]any{"update": b64std(textInsert(9, 0, "x"))})
	if code := c.closeCode(); code != CloseSlow {
		t.Fatalf("close code %d, want %d", code, CloseSlow)
	}
	if f := skipTo(t, other, msgExit); f.conn() != c.id {
		t.Fatalf("$exit of %s, want %s", f.conn(), c.id)
	}
	awaitLog(t, logs, "storage update over the rate limit; closed with 1013 to resync", c.id)
}

// TestFloodClosed: a session that keeps sending ten times past its limit is closed with
// 1008 and leaves the room.
func TestFloodClosed(t *testing.T) {
	log, logs := observed()
	_, base := startServer(t, Config{Logger: log,
		RateLimit: &RateLimitConfig{PerSecond: 10, Burst: 10}})
	other := dial(t, base, "r", "")
	other.join(nil, nil)
	flood := dial(t, base, "r", "")
	flood.join(nil, nil)
	deadline := time.Now().Add(8 * time.Second)
	for time.Now().Before(deadline) {
		if flood.ws.WriteMessage(websocket.TextMessage, []byte(`{"type":"ev","data":{}}`)) != nil {
			break
		}
		select {
		case <-flood.done:
		default:
			continue
		}
		break
	}
	if code := flood.closeCode(); code != CloseFlood {
		t.Fatalf("close code %d, want %d", code, CloseFlood)
	}
	for f := other.next(); f.Type != msgExit || f.conn() != flood.id; f = other.next() {
	}
	awaitLog(t, logs, "session flooding; closed with 1008", flood.id)
}

// barrierThroughLimit sends `$getOthers` until one passes the rate limit and returns the
// frames that came before its answer.
func barrierThroughLimit(t *testing.T, c *testClient) []frame {
	t.Helper()
	var got []frame
	deadline := time.After(waitTimeout)
	for {
		c.send(msgGetOthers, map[string]any{})
		retry := time.NewTimer(150 * time.Millisecond) // a token comes every 100 ms
		for waiting := true; waiting; {
			select {
			case f := <-c.frames:
				if f.Type == msgOthersReceived {
					retry.Stop()
					return got
				}
				got = append(got, f)
			case <-retry.C:
				waiting = false
			case <-deadline:
				t.Fatal("no $getOthers passed the rate limit")
			}
		}
	}
}

// TestGetOthersCostsRoomSize: in a large room a `$getOthers` takes a token of the rate
// limit per othersPerToken sessions beyond its own, so asking for the whole list again
// and again is limited sooner than cheap messages are.
func TestGetOthersCostsRoomSize(t *testing.T) {
	srv, base := startServer(t, Config{RateLimit: &RateLimitConfig{PerSecond: 0.01, Burst: 20}})
	c := dial(t, base, "r", "")
	c.join(nil, nil) // a couple of tokens at most: 18 or more left
	rm, err := srv.GetRoom("r")
	if err != nil {
		t.Fatal(err)
	}
	rm.size.Store(1000) // as if 999 others were there: a $getOthers costs 11 tokens
	c.send(msgGetOthers, map[string]any{})
	c.expect(msgOthersReceived)
	c.send(msgGetOthers, map[string]any{})
	if f := c.expect(msgError); !strings.Contains(f.raw, "rate limit exceeded") {
		t.Fatalf("second $getOthers: %s", f.raw)
	}
	c.send("ev", map[string]any{"cheap": true}) // one token: still within the limit
	c.expect("ev")
}
