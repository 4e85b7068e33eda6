package e2e

import (
	"testing"

	"github.com/caddy-pluv/caddy-pluv/internal/pluvtest"
)

// TestReconnectWithOfflineEdits: a client coming back with edits made while disconnected
// sends them in its `$initialized` echo (§6.4); the server merges them and relays only them,
// to the others (the client that made them gets no delta back).
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

	for _, c := range []*pluvtest.Client{ann, bob} {
		f := c.Await(pluvtest.TypeStorageUpdated)
		mustEqual(t, c.Name()+": delta from", f.ConnectionID, carl.SessionID())
		d := unb64(decode[pluvtest.StorageUpdated](t, f).State)
		if err := pluvtest.SameDoc(d, offline); err != nil {
			t.Fatalf("%s: the delta is not the offline edit: %v", c.Name(), err)
		}
	}

	barrierAll(ann, bob, carl)
	for c, n := range map[*pluvtest.Client]int{ann: 1, bob: 1, carl: 0} {
		mustEqual(t, c.Name()+"'s $storageUpdated frames", c.Count(pluvtest.TypeStorageUpdated), n)
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

	ann.Barrier(barrierEvent) // the room has taken the edit once ann's barrier is back
	noOwnDeltas(t, ann)
	ann.Close()
	waitRoomFile(t, dir)

	bob := r.user("bob", "bob", nil)
	cat := r.user("cat", "cat", nil)
	history := textInsert(77, 0, "text", "abcde")
	if err := bob.UpdateStorage(history); err != nil {
		t.Fatal(err)
	}

	f := cat.Await(pluvtest.TypeStorageUpdated)
	mustEqual(t, "delta from", f.ConnectionID, bob.SessionID())
	if err := pluvtest.SameDoc(unb64(decode[pluvtest.StorageUpdated](t, f).State),
		history); err != nil {
		t.Fatalf("relayed delta: %v", err)
	}

	bob.Barrier(barrierEvent, cat)
	mustEqual(t, "cat's $storageUpdated frames", cat.Count(pluvtest.TypeStorageUpdated), 1)
	noOwnDeltas(t, bob)

	want := [][]byte{textInsert(11, 0, "text", "hello"), history, waiting}
	late := r.user("late", "late", nil)
	full := pluvtest.MergeUpdates(t, want...)
	for _, c := range []*pluvtest.Client{late, bob, cat} {
		if err := pluvtest.SameDoc(c.Doc(), full); err != nil {
			t.Fatalf("%s: the room lost the waiting structs: %v", c.Name(), err)
		}
	}
}

// TestStoragePendingOnlyPersisted: a room whose document holds only structs waiting for
// missing history still writes them at teardown, and the room re-created from the file
// has them.
func TestStoragePendingOnlyPersisted(t *testing.T) {
	dir := t.TempDir()
	s := startCaddyConfig(t, caddyConfig{Site: pluvSite(t, dir, authBlock)})
	r := &room{t: t, s: s, id: roomID(t)}

	ann := r.user("ann", "ann", nil)
	waiting := textAppend(77, 5, "zz")
	if err := ann.UpdateStorage(waiting); err != nil {
		t.Fatal(err)
	}

	ann.Barrier(barrierEvent) // the room has taken the edit once ann's barrier is back
	noOwnDeltas(t, ann)
	ann.Close()
	waitRoomFile(t, dir)

	history := textInsert(77, 0, "text", "abcde")
	bob := r.user("bob", "bob", nil)
	if err := bob.UpdateStorage(history); err != nil {
		t.Fatal(err)
	}

	bob.Barrier(barrierEvent)
	late := r.user("late", "late", nil)
	if err := pluvtest.SameDoc(late.Doc(), pluvtest.MergeUpdates(t, history, waiting)); err != nil {
		t.Fatalf("the re-created room lost the waiting structs: %v", err)
	}
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
		c.Barrier(barrierEvent) // the room has taken the edit once c's barrier is back
		noOwnDeltas(t, c)
		c.Close()
	}
}
