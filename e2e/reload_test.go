package e2e

import (
	"testing"

	"github.com/caddy-pluv/caddy-pluv/internal/pluvtest"
)

// TestReloadKeepsSessions: a config reload with the same storage_dir keeps the rooms and
// their sockets, and the new settings apply to them (the newest accepted config wins).
func TestReloadKeepsSessions(t *testing.T) {
	dir := t.TempDir()
	s := startCaddyConfig(t, caddyConfig{Site: pluvSite(t, dir, authBlock)})
	r := &room{t: t, s: s, id: roomID(t)}
	ann := r.dial("ann", pluvtest.Options{
		Token:  userToken(t, r.id, "ann", ""),
		Update: textInsert(11, 0, "text", "before"),
	})
	ann.Handshake()
	bob := r.user("bob", "bob", nil)

	s.Reload(caddyConfig{Site: pluvSite(t, dir, authBlock, strictBarrier, "strict_events")})

	if err := ann.Send("customThing", map[string]any{}); err != nil {
		t.Fatal(err)
	}

	ann.Await(pluvtest.TypeError)
	if err := ann.UpdateStorage(textAppend(11, 6, " after")); err != nil {
		t.Fatal(err)
	}

	bob.Await(pluvtest.TypeStorageUpdated)
	ann.Barrier(barrierEvent, bob)
	mustEqual(t, "relayed customThing", bob.Count("customThing"), 0)
	for _, c := range []*pluvtest.Client{ann, bob} {
		if info := c.Closed(); info != nil {
			t.Fatalf("%s was closed by the reload: %+v", c.Name(), *info)
		}
	}

	cy := r.userAfterReload(t, "cy", "cy")
	if o := cy.Others(); len(o) != 2 {
		t.Fatalf("after the reload a newcomer sees %v, want ann and bob", o)
	}
}

// TestReloadWithoutHandler: a config without any pluv handler closes the sockets with the
// final 4001 (§15.8), not 1012, after writing the rooms.
func TestReloadWithoutHandler(t *testing.T) {
	dir := t.TempDir()
	s := startCaddyConfig(t, caddyConfig{Site: pluvSite(t, dir, authBlock)})
	r := &room{t: t, s: s, id: roomID(t)}
	ann := r.dial("ann", pluvtest.Options{
		Token:  userToken(t, r.id, "ann", ""),
		Update: textInsert(11, 0, "text", "kept"),
	})
	ann.Handshake()

	s.Reload(caddyConfig{Site: `respond "no pluv here"`})
	info := ann.AwaitClose()
	if info.Code != 4001 {
		t.Fatalf("closed with %d %q, want the final 4001", info.Code, info.Text)
	}

	waitRoomFile(t, dir)
}
