package e2e

import (
	"testing"

	"github.com/caddy-pluv/caddy-pluv/internal/pluvtest"
)

// TestReconnectWithOfflineEdits: a client coming back with edits made while disconnected
// sends them in its `$initialized` echo (§6.4); the server merges them and relays only them.
func TestReconnectWithOfflineEdits(t *testing.T) {
	r := startRoom(t, authBlock)
	hello := textInsert(11, 0, "text", "hello")
	ann := r.dial("ann", pluvtest.Options{Token: userToken(t, r.id, "ann", ""), Update: hello})
	ann.Handshake()
	bob := r.user("bob", "bob", nil)

	offline := textAfter(55, 0, 11, 4, " offline")
	carl := r.dial("carl", pluvtest.Options{
		Token:  userToken(t, r.id, "carl", ""),
		Cached: [][]byte{hello, offline},
	})
	h := carl.Handshake()
	mustEqual(t, "carl's changeKind",
		decode[pluvtest.StorageReceived](t, h.StorageReceived).ChangeKind, "unchanged")

	for _, c := range []*pluvtest.Client{ann, bob, carl} {
		f := c.Await(pluvtest.TypeStorageUpdated)
		mustEqual(t, c.Name()+": delta from", f.ConnectionID, carl.SessionID())
		d := unb64(decode[pluvtest.StorageUpdated](t, f).State)
		if err := pluvtest.SameDoc(d, offline); err != nil {
			t.Fatalf("%s: the delta is not the offline edit: %v", c.Name(), err)
		}
	}

	late := r.user("late", "late", nil)
	for _, c := range []*pluvtest.Client{ann, bob, carl} {
		if err := pluvtest.SameDoc(c.Doc(), late.Doc()); err != nil {
			t.Fatalf("%s's document differs from the room's: %v", c.Name(), err)
		}
	}
}

// TestCachedUpdatesSeedEmptyRoom: a client with cached updates joining an empty room seeds
// it with them ("initialized").
func TestCachedUpdatesSeedEmptyRoom(t *testing.T) {
	r := startRoom(t, authBlock)
	cached := [][]byte{textInsert(11, 0, "text", "ab"), textAppend(11, 2, "cd")}
	ann := r.dial("ann", pluvtest.Options{Token: userToken(t, r.id, "ann", ""), Cached: cached})
	h := ann.Handshake()
	mustEqual(t, "changeKind", decode[pluvtest.StorageReceived](t, h.StorageReceived).ChangeKind,
		"initialized")

	bob := r.user("bob", "bob", nil)
	if err := pluvtest.SameDoc(bob.Doc(), ann.Doc()); err != nil {
		t.Fatalf("bob's document: %v", err)
	}

	if bob.DocEmpty() {
		t.Fatal("the room was not seeded")
	}
}

// TestStoragePendingKept: structs waiting for missing history are kept, persisted with the
// room, and integrated when the history arrives; only the missing part is relayed then.
func TestStoragePendingKept(t *testing.T) {
	dir := t.TempDir()
	s := startCaddyConfig(t, caddyConfig{Site: pluvSite(t, dir, authBlock)})
	r := &room{t: t, s: s, id: roomID(t)}

	ann := r.dial("ann", pluvtest.Options{
		Token:  userToken(t, r.id, "ann", ""),
		Update: textInsert(11, 0, "text", "hello"),
	})
	ann.Handshake()
	waiting := textAppend(77, 5, "zz") // after (77,4), which nobody has yet
	if err := ann.UpdateStorage(waiting); err != nil {
		t.Fatal(err)
	}

	ann.Await(pluvtest.TypeStorageUpdated)
	ann.Close()
	waitRoomFile(t, dir)

	bob := r.user("bob", "bob", nil)
	history := textInsert(77, 0, "text", "abcde")
	if err := bob.UpdateStorage(history); err != nil {
		t.Fatal(err)
	}

	d := unb64(decode[pluvtest.StorageUpdated](t, bob.Await(pluvtest.TypeStorageUpdated)).State)
	if err := pluvtest.SameDoc(d, history); err != nil {
		t.Fatalf("relayed delta: %v", err)
	}

	want := [][]byte{textInsert(11, 0, "text", "hello"), history, waiting}
	late := r.user("late", "late", nil)
	full := pluvtest.MergeUpdates(t, want...)
	if err := pluvtest.SameDoc(late.Doc(), full); err != nil {
		t.Fatalf("the room lost the waiting structs: %v", err)
	}
}

// TestStoragePendingOnlyPersisted: a room whose document holds only structs waiting for
// missing history still writes them at teardown.
func TestStoragePendingOnlyPersisted(t *testing.T) {
	dir := t.TempDir()
	s := startCaddyConfig(t, caddyConfig{Site: pluvSite(t, dir, authBlock)})
	r := &room{t: t, s: s, id: roomID(t)}

	ann := r.user("ann", "ann", nil)
	waiting := textAppend(77, 5, "zz")
	if err := ann.UpdateStorage(waiting); err != nil {
		t.Fatal(err)
	}

	ann.Await(pluvtest.TypeStorageUpdated)
	ann.Close()
	waitRoomFile(t, dir)
}

// TestRejoinRightAfterLeave: a session joining while the room is being torn down and
// written gets the whole document, whether it finds the old room or a new one loaded from
// the file.
func TestRejoinRightAfterLeave(t *testing.T) {
	r := startRoom(t, authBlock)
	updates := [][]byte{textInsert(11, 0, "text", "a")}
	first := r.dial("first", pluvtest.Options{
		Token:  userToken(t, r.id, "first", ""),
		Update: updates[0],
	})
	first.Handshake()
	first.Close()

	for i := uint64(1); i <= 20; i++ {
		c := r.user("user", "user", nil)
		if err := pluvtest.SameDoc(c.Doc(), pluvtest.MergeUpdates(t, updates...)); err != nil {
			t.Fatalf("round %d: the joiner's document: %v", i, err)
		}

		u := textAppend(11, i, "b")
		if err := c.UpdateStorage(u); err != nil {
			t.Fatal(err)
		}

		updates = append(updates, u)
		c.Await(pluvtest.TypeStorageUpdated)
		c.Close()
	}
}
