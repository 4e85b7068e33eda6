package e2e

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/caddy-pluv/caddy-pluv/internal/pluvtest"
)

// TestStorageDeltas: `$storageUpdated` carries only what was new to the room (§15.4), goes to
// every other initialised session but never back to its sender, which has the update already
// (§6.5), and nothing is relayed for an update the room already has.
func TestStorageDeltas(t *testing.T) {
	r := startRoom(t, authBlock)
	ann := r.dial("ann", pluvtest.Options{
		Token:  userToken(t, r.id, "ann", ""),
		Update: textInsert(11, 0, "text", "hello"),
	})
	ann.Handshake()
	bob := r.user("bob", "bob", nil)
	cat := r.user("cat", "cat", nil)

	// awaitDelta checks the next delta of each client: want, from the session from.
	awaitDelta := func(what string, want []byte, from *pluvtest.Client, cs ...*pluvtest.Client) {
		t.Helper()
		for _, c := range cs {
			f := c.Await(pluvtest.TypeStorageUpdated)
			mustEqual(t, c.Name()+": "+what+" from", f.ConnectionID, from.SessionID())
			d := unb64(decode[pluvtest.StorageUpdated](t, f).State)
			if err := pluvtest.SameDoc(d, want); err != nil {
				t.Fatalf("%s: %s: the delta is not the new part: %v", c.Name(), what, err)
			}
		}
	}

	// counts checks how many deltas each client has had, after a barrier of every sender.
	counts := func(what string, want map[*pluvtest.Client]int) {
		t.Helper()
		barrierAll(ann, bob, cat)
		for c, n := range want {
			mustEqual(t, what+": "+c.Name()+"'s $storageUpdated frames",
				c.Count(pluvtest.TypeStorageUpdated), n)
			noOwnDeltas(t, c)
		}
	}

	world := textAppend(11, 5, " world")
	if err := ann.UpdateStorage(world); err != nil {
		t.Fatal(err)
	}

	awaitDelta("ann's edit", world, ann, bob, cat)
	counts("after ann's edit", map[*pluvtest.Client]int{ann: 0, bob: 1, cat: 1})

	// The same update again, and one the room has as a whole, relay nothing.
	if err := ann.UpdateStorage(world); err != nil {
		t.Fatal(err)
	}

	if err := bob.UpdateStorage(textRun(11, 0, "text", "hello", " world")); err != nil {
		t.Fatal(err)
	}

	counts("after known updates", map[*pluvtest.Client]int{ann: 0, bob: 1, cat: 1})

	// An update that is partly known relays only its new part.
	full := textRun(11, 0, "text", "hello", " world", "!")
	if err := bob.UpdateStorage(full); err != nil {
		t.Fatal(err)
	}

	awaitDelta("bob's partly known update", textAppend(11, 11, "!"), bob, ann, cat)

	// A delete is new once.
	del := textDelete(11, 0, 1)
	for i := 0; i < 2; i++ {
		if err := ann.UpdateStorage(del); err != nil {
			t.Fatal(err)
		}
	}

	for _, c := range []*pluvtest.Client{bob, cat} {
		c.AwaitFunc("the delete", func(f pluvtest.Frame) bool {
			return f.Type == pluvtest.TypeStorageUpdated &&
				bytes.Equal(unb64(decode[pluvtest.StorageUpdated](t, f).State), del)
		})
	}

	counts("at the end", map[*pluvtest.Client]int{ann: 1, bob: 2, cat: 3})

	// A late joiner's full state is what everyone's document holds.
	cy := r.user("cy", "cy", nil)
	for _, c := range []*pluvtest.Client{ann, bob, cat} {
		if err := pluvtest.SameDoc(c.Doc(), cy.Doc()); err != nil {
			t.Fatalf("%s's document differs from the room's full state: %v", c.Name(), err)
		}
	}
}

// TestStorageOversize: an update that would make the state exceed max_storage_size is
// refused with `$error` to the sender and changes nothing; an oversize initial update still
// gets its `$storageReceived` and `$userJoined` (§6.3).
func TestStorageOversize(t *testing.T) {
	r := startRoom(t, authBlock, "max_storage_size 200")
	big := textInsert(33, 0, "text", strings.Repeat("x", 300))

	first := r.dial("first", pluvtest.Options{Token: userToken(t, r.id, "first", ""), Update: big})
	h := first.Handshake()
	first.Await(pluvtest.TypeError)
	if !first.DocEmpty() {
		t.Fatalf("oversize initial update was taken: %s", h.StorageReceived.Data)
	}

	ann := r.dial("ann", pluvtest.Options{
		Token:  userToken(t, r.id, "ann", ""),
		Update: textInsert(11, 0, "text", "hi"),
	})
	ann.Handshake()
	bob := r.user("bob", "bob", nil)
	before := storageState(t, bob)

	// first was in the room when ann's initial update seeded it, so it may have had a
	// $storageUpdated for that; count from here on.
	ann.Barrier(barrierEvent, bob, first)
	base := map[*pluvtest.Client]int{}
	for _, c := range []*pluvtest.Client{ann, bob, first} {
		base[c] = c.Count(pluvtest.TypeStorageUpdated)
	}

	if err := ann.SendRaw(`{"type":"$updateStorage","data":{"origin":null,"update":"` +
		b64(textAppend(11, 2, strings.Repeat("y", 300))) + `"}}`); err != nil {
		t.Fatal(err)
	}

	e := ann.Await(pluvtest.TypeError)
	mustEqual(t, "$error connectionId", e.ConnectionID, ann.SessionID())
	ann.Barrier(barrierEvent, bob, first)
	for _, c := range []*pluvtest.Client{ann, bob, first} {
		mustEqual(t, c.Name()+": $storageUpdated", c.Count(pluvtest.TypeStorageUpdated), base[c])
	}

	mustEqual(t, "bob's $error frames", bob.Count(pluvtest.TypeError), 0)
	cy := r.user("cy", "cy", nil)
	after := storageState(t, cy)
	mustEqual(t, "state after the refused update", after, before)
}

// TestStorageBadUpdates: undecodable updates get `$error` and change nothing; an empty
// update string is a no-op.
func TestStorageBadUpdates(t *testing.T) {
	r := startRoom(t, authBlock)
	ann := r.user("ann", "ann", nil)
	bob := r.user("bob", "bob", nil)

	for _, u := range []string{"!!!not base64", b64([]byte{0xff, 0xff, 0xff}), `AQ`} {
		if err := ann.Send(pluvtest.TypeUpdateStorage,
			map[string]any{"origin": nil, "update": u}); err != nil {
			t.Fatal(err)
		}

		ann.Await(pluvtest.TypeError)
	}

	if err := ann.Send(pluvtest.TypeUpdateStorage,
		map[string]any{"origin": nil, "update": ""}); err != nil {
		t.Fatal(err)
	}

	ann.Barrier(barrierEvent, bob)
	mustEqual(t, "ann's $error frames", ann.Count(pluvtest.TypeError), 3)
	mustEqual(t, "bob's $storageUpdated", bob.Count(pluvtest.TypeStorageUpdated), 0)
}

// TestStoragePersistence: a room torn down when its last session leaves is re-created from
// its file with the same document, also by a new Caddy on the same storage_dir.
func TestStoragePersistence(t *testing.T) {
	dir := t.TempDir()
	s := startCaddyConfig(t, caddyConfig{Site: pluvSite(t, dir, authBlock)})
	r := &room{t: t, s: s, id: roomID(t)}

	ann := r.dial("ann", pluvtest.Options{
		Token:  userToken(t, r.id, "ann", ""),
		Update: textInsert(11, 0, "text", "hello"),
	})
	ann.Handshake()
	if err := ann.UpdateStorage(textAppend(11, 5, " world")); err != nil {
		t.Fatal(err)
	}

	// ann's barrier follows its edit, so the room has the edit once the barrier is back.
	ann.Barrier(barrierEvent)
	noOwnDeltas(t, ann)
	want := joinState(t, r, "witness")
	ann.Close()

	// The room is torn down and written; the next joiner loads it from the file.
	file := waitRoomFile(t, dir)
	if b, _ := os.ReadFile(file); b64(b) != want {
		t.Fatalf("file %s holds %d bytes that are not the room's state", file, len(b))
	}

	mustEqual(t, "state after re-creation", joinState(t, r, "again"), want)

	s.Stop()
	s2 := startCaddyConfig(t, caddyConfig{Site: pluvSite(t, dir, authBlock)})
	r2 := &room{t: t, s: s2, id: r.id}
	mustEqual(t, "state in a new Caddy", joinState(t, r2, "restarted"), want)
}

// TestStoragePersistedOnStop: stopping Caddy with a session connected closes the socket and
// persists the room.
func TestStoragePersistedOnStop(t *testing.T) {
	dir := t.TempDir()
	s := startCaddyConfig(t, caddyConfig{Site: pluvSite(t, dir, authBlock)})
	r := &room{t: t, s: s, id: roomID(t)}
	ann := r.dial("ann", pluvtest.Options{
		Token:  userToken(t, r.id, "ann", ""),
		Update: textInsert(11, 0, "text", "kept"),
	})
	ann.Handshake()
	want := joinState(t, r, "witness")

	s.Stop()
	info := ann.AwaitClose()
	if info.Code != 1012 && info.Code != 1001 && (info.Code < 4000 || info.Code > 4999) {
		t.Fatalf("socket closed with %d %q on stop, want 1001, 1012 or 4xxx", info.Code, info.Text)
	}

	s2 := startCaddyConfig(t, caddyConfig{Site: pluvSite(t, dir, authBlock)})
	mustEqual(t, "state after stop", joinState(t, &room{t: t, s: s2, id: r.id}, "after"), want)
}

// joinState joins the room as a fresh user, returns the `$storageReceived` state, and leaves.
func joinState(t *testing.T, r *room, name string) string {
	t.Helper()

	c := r.user(name, name, nil)
	defer c.Close()

	return storageState(t, c)
}

// storageState returns the state of the client's first `$storageReceived`.
func storageState(t *testing.T, c *pluvtest.Client) string {
	t.Helper()

	f := c.AwaitFunc("$storageReceived", func(f pluvtest.Frame) bool {
		return f.Type == pluvtest.TypeStorageReceived
	})

	return decode[pluvtest.StorageReceived](t, f).State
}

// waitRoomFile waits until dir holds exactly one room file and returns its path. The file
// is written by the room's teardown, which runs after the last socket's close.
func waitRoomFile(t *testing.T, dir string) string {
	t.Helper()

	deadline := time.Now().Add(5 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()

	for {
		files, _ := filepath.Glob(filepath.Join(dir, "*.yjs"))
		if len(files) == 1 {
			return files[0]
		}

		if time.Now().After(deadline) {
			t.Fatalf("storage_dir holds %v after 5 s, want one .yjs file", files)
		}

		<-tick.C
	}
}
