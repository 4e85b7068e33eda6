package e2e

import (
	"strings"
	"testing"

	"github.com/caddy-pluv/caddy-pluv/internal/pluvtest"
)

// TestPresenceUpdate: `$updatePresence` is shallow-merged and broadcast whole to everyone,
// sender included, with the sender's connection id and user (§5.1, §15.5).
func TestPresenceUpdate(t *testing.T) {
	r := startRoom(t, authBlock)
	ann := r.user("ann", "ann", map[string]any{"x": 0, "nested": map[string]any{"a": 1}})
	bob := r.user("bob", "bob", nil)

	patch := map[string]any{"y": 2, "nested": map[string]any{"b": 3}, "gone": nil}
	if err := ann.UpdatePresence(patch); err != nil {
		t.Fatal(err)
	}

	want := `{"x":0,"nested":{"b":3},"y":2,"gone":null}`
	for _, c := range []*pluvtest.Client{ann, bob} {
		f := c.Await(pluvtest.TypePresenceUpdated)
		mustEqual(t, c.Name()+": connectionId", f.ConnectionID, ann.SessionID())
		jsonEqual(t, c.Name()+": envelope user", f.User, `{"id":"ann"}`)
		p := decode[pluvtest.PresenceUpdated](t, f)
		jsonEqual(t, c.Name()+": merged presence", mustJSON(t, p.Presence), want)
	}

	if got := bob.Others()["ann"].Presence; got["y"] != 2.0 || got["x"] != 0.0 {
		t.Fatalf("bob's view of ann's presence = %v", got)
	}

	// A later joiner sees the merged presence in $othersReceived.
	cy := r.user("cy", "cy", nil)
	if got := cy.Others()["ann"].Presence; got["y"] != 2.0 || got["x"] != 0.0 {
		t.Fatalf("cy's view of ann's presence = %v", got)
	}
}

// TestPresenceTooLarge: a merged presence over 512 bytes is refused with `$error` to the
// sender only and changes nothing (§5.1, §15.10).
func TestPresenceTooLarge(t *testing.T) {
	r := startRoom(t, authBlock)
	ann := r.user("ann", "ann", map[string]any{"x": 0})
	bob := r.user("bob", "bob", nil)

	if err := ann.UpdatePresence(map[string]any{"big": strings.Repeat("a", 600)}); err != nil {
		t.Fatal(err)
	}

	ann.Await(pluvtest.TypeError)
	ann.Barrier(barrierEvent, bob)
	for _, c := range []*pluvtest.Client{ann, bob} {
		if n := c.Count(pluvtest.TypePresenceUpdated); n != 0 {
			t.Fatalf("%s got %d $presenceUpdated for a refused presence", c.Name(), n)
		}
	}

	if n := bob.Count(pluvtest.TypeError); n != 0 {
		t.Fatalf("bob got ann's $error")
	}

	cy := r.user("cy", "cy", nil)
	if got := cy.Others()["ann"].Presence; got["big"] != nil || got["x"] != 0.0 {
		t.Fatalf("the refused presence was stored: %v", got)
	}
}

// TestPresenceSharedAcrossSessions covers §5.3: a second session of a user copies the
// presence on join, updates from either session reach both, and others see one user.
func TestPresenceSharedAcrossSessions(t *testing.T) {
	r := startRoom(t, authBlock)
	tab1 := r.user("ann-tab1", "ann", map[string]any{"x": 0})
	if err := tab1.UpdatePresence(map[string]any{"x": 5}); err != nil {
		t.Fatal(err)
	}

	tab1.Await(pluvtest.TypePresenceUpdated)
	bob := r.user("bob", "bob", nil)

	tab2 := r.dial("ann-tab2", pluvtest.Options{
		Token:    userToken(t, r.id, "ann", ""),
		Presence: map[string]any{"x": 0},
	})
	h2 := tab2.Handshake()
	reg := decode[pluvtest.Registered](t, h2.Registered)
	if reg.Presence["x"] != 5.0 || reg.Timers.Presence == nil {
		t.Fatalf("tab2 $registered = %s, want the copied presence x=5 and its timer",
			h2.Registered.Data)
	}

	if got := tab2.MyPresence(); got["x"] != 5.0 {
		t.Fatalf("tab2 adopted presence %v", got)
	}

	// Bob sees one user with two connections.
	bob.AwaitFunc("tab2's $userJoined", func(f pluvtest.Frame) bool {
		return f.Type == pluvtest.TypeUserJoined && f.ConnectionID == tab2.SessionID()
	})
	if o := bob.Others(); len(o) != 1 || len(o["ann"].ConnectionIDs) != 2 {
		t.Fatalf("bob's others = %+v, want ann once with two connections", o)
	}

	// An update from tab2 applies to both sessions of ann.
	if err := tab2.UpdatePresence(map[string]any{"y": 1}); err != nil {
		t.Fatal(err)
	}

	for _, c := range []*pluvtest.Client{tab1, tab2, bob} {
		f := c.AwaitFunc("tab2's $presenceUpdated", func(f pluvtest.Frame) bool {
			return f.Type == pluvtest.TypePresenceUpdated && f.ConnectionID == tab2.SessionID()
		})
		p := decode[pluvtest.PresenceUpdated](t, f)
		if p.Presence["x"] != 5.0 || p.Presence["y"] != 1.0 {
			t.Fatalf("%s: merged presence %v, want x=5 y=1", c.Name(), p.Presence)
		}
	}

	if got := tab1.MyPresence(); got["y"] != 1.0 {
		t.Fatalf("tab1's own presence %v did not take tab2's update", got)
	}

	// A late joiner's $othersReceived lists both sessions with the shared presence.
	cy := r.user("cy", "cy", nil)
	ann := cy.Others()["ann"]
	if len(ann.ConnectionIDs) != 2 || ann.Presence["x"] != 5.0 || ann.Presence["y"] != 1.0 {
		t.Fatalf("cy's view of ann = %+v", ann)
	}

	// The user stays while one session remains and goes with the last.
	tab1.Close()
	bob.AwaitFunc("tab1's $exit", func(f pluvtest.Frame) bool {
		return f.Type == pluvtest.TypeExit && f.ConnectionID == tab1.SessionID()
	})
	if o := bob.Others()["ann"]; len(o.ConnectionIDs) != 1 {
		t.Fatalf("after tab1 left, bob sees ann as %+v", o)
	}

	tab2.Close()
	bob.AwaitFunc("tab2's $exit", func(f pluvtest.Frame) bool {
		return f.Type == pluvtest.TypeExit && f.ConnectionID == tab2.SessionID()
	})
	if _, ok := bob.Others()["ann"]; ok {
		t.Fatalf("ann is still there after her last session left")
	}
}
