package e2e

import (
	"slices"
	"testing"
	"time"

	"github.com/caddy-pluv/caddy-pluv/internal/pluvtest"
)

// TestStaleSessionCollected covers §9.3 with a short ping timeout: a session that stops
// pinging has its socket closed with a retryable code, the others get `$exit` for it and a
// `$syncStateReceived` listing exactly the live sessions, while pinging sessions stay.
func TestStaleSessionCollected(t *testing.T) {
	// The live sessions ping 15 times per timeout, so that a machine busy with other work
	// does not make them look stale.
	r := startRoom(t, authBlock, "ping_timeout 1500ms")
	live := pluvtest.Options{PingEvery: 100 * time.Millisecond, Timeout: 10 * time.Second}

	aliveOpts := live
	aliveOpts.Token = userToken(t, r.id, "ann", "")
	ann := r.dial("ann", aliveOpts)
	ann.Handshake()

	bobOpts := live
	bobOpts.Token = userToken(t, r.id, "bob", "")
	bob := r.dial("bob", bobOpts)
	bob.Handshake()

	quiet := r.dial("quiet", pluvtest.Options{
		Token:   userToken(t, r.id, "quiet", ""),
		Timeout: 10 * time.Second,
	})
	quiet.Handshake()
	quietID := quiet.SessionID()

	info := quiet.AwaitClose()
	if info.Code != 1011 && info.Code != 1001 && info.Code != 1012 {
		t.Fatalf("stale socket closed with %d %q, want a code the client retries on",
			info.Code, info.Text)
	}

	for _, c := range []*pluvtest.Client{ann, bob} {
		exit := c.AwaitFunc("quiet's $exit", func(f pluvtest.Frame) bool {
			return f.Type == pluvtest.TypeExit && f.ConnectionID == quietID
		})
		jsonEqual(t, "$exit data", exit.Data, `{"sessionId":"`+quietID+`"}`)

		sync := decode[pluvtest.SyncStateReceived](t, c.Await(pluvtest.TypeSyncStateReceived))
		ids := slices.Sorted(slices.Values(sync.ConnectionIDs))
		want := slices.Sorted(slices.Values([]string{ann.SessionID(), bob.SessionID()}))
		if !slices.Equal(ids, want) {
			t.Fatalf("%s: $syncStateReceived ids = %v, want %v", c.Name(), ids, want)
		}

		if _, ok := c.Others()["quiet"]; ok {
			t.Fatalf("%s still sees the stale session", c.Name())
		}
	}

	if ann.Closed() != nil || bob.Closed() != nil {
		t.Fatalf("a pinging session was closed")
	}

	// The room goes on: a newcomer sees exactly the two live sessions.
	cy := r.user("cy", "cy", nil)
	if o := cy.Others(); len(o) != 2 {
		t.Fatalf("newcomer sees %v", o)
	}
}

// TestPingPong: a burst of `$ping` frames is answered in time (the strict client fails the
// test otherwise), also before `$initializeSession`, and pongs do not disturb the handshake.
// The server may coalesce the pongs of a burst: the real client keeps one timer that any
// `$pong` clears.
func TestPingPong(t *testing.T) {
	r := startRoom(t, authBlock)
	c := r.dial("pinger", pluvtest.Options{
		Token:  userToken(t, r.id, "ann", ""),
		Manual: pluvtest.StepInitialize,
	})
	c.Await(pluvtest.TypeRegistered)
	for i := 0; i < 20; i++ {
		if err := c.Ping(); err != nil {
			t.Fatal(err)
		}
	}

	c.AwaitPongs()
	pong := c.Await(pluvtest.TypePong)
	jsonEqual(t, "$pong data", pong.Data, `{}`)
	if err := c.InitializeSession(nil, nil); err != nil {
		t.Fatal(err)
	}

	c.Await(pluvtest.TypeStorageReceived)
	for i := 0; i < 3; i++ { // spaced pings are each answered
		if err := c.Ping(); err != nil {
			t.Fatal(err)
		}

		c.AwaitPongs()
	}
}
