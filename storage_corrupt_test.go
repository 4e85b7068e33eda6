package pluv

import (
	"bytes"
	"os"
	"testing"

	"go.uber.org/zap/zaptest/observer"
)

// unreadableLogs returns the "room file unreadable" errors logged so far.
func unreadableLogs(logs *observer.ObservedLogs) []observer.LoggedEntry {
	return logs.FilterMessage("room file unreadable; storage disabled for this room until " +
		"the file is repaired or removed").All()
}

// corruptRoom starts a server whose room "bad" has an undecodable file and joins a to
// it; a gets `$error` and an empty state.
func corruptRoom(t *testing.T, garbage []byte) (*Server, *observer.ObservedLogs, string,
	*testClient,
) {
	t.Helper()
	dir := t.TempDir()
	path := roomPath(t, dir, "bad")
	if err := os.WriteFile(path, garbage, 0o600); err != nil {
		t.Fatal(err)
	}
	srv, logs := storageServer(t, Config{StorageDir: dir}, newDiskWriter())
	_, base := startServerFor(t, srv)
	a := dial(t, base, "bad", "")
	a.register()
	a.send(msgInitializeSession, map[string]any{"update": b64std(textInsert(1, 0, "x"))})
	a.expect(msgError)
	if st := decodeState(t, a.expect(msgStorageReceived).Data, "state"); len(st) != 2 {
		t.Fatalf("state %x, want empty", st)
	}
	a.expect(msgUserJoined)
	return srv, logs, base, a
}

// TestCorruptRoomRechecked: a corrupt room stays refused (one stat per join, logged once
// per read) until its file changes; a file that changed but is still bad is reported
// again; a repaired file is loaded while the room stays alive and its state reaches the
// session that had the empty one.
func TestCorruptRoomRechecked(t *testing.T) {
	garbage := []byte{0xff, 0xff, 0xff}
	srv, logs, base, a := corruptRoom(t, garbage)
	path := roomPath(t, srv.dir, "bad")
	if l := unreadableLogs(logs); len(l) != 1 || l[0].ContextMap()["path"] != path {
		t.Fatalf("unreadable logs: %v", l)
	}

	b := dial(t, base, "bad", "")
	b.register()
	b.send(msgInitializeSession, map[string]any{})
	b.expect(msgError)
	b.expect(msgStorageReceived)
	if n := len(unreadableLogs(logs)); n != 1 {
		t.Fatalf("an unchanged file was reported %d times", n)
	}

	other := []byte{0xff, 0xfe, 0xfd, 0xfc}
	if err := os.WriteFile(path, other, 0o600); err != nil {
		t.Fatal(err)
	}
	c := dial(t, base, "bad", "")
	c.register()
	c.send(msgInitializeSession, map[string]any{})
	c.expect(msgError)
	if l := unreadableLogs(logs); len(l) != 2 || l[1].ContextMap()["path"] != path {
		t.Fatalf("a changed but bad file: logs %v", l)
	}

	repaired := textInsert(9, 0, "repaired")
	if err := os.WriteFile(path, repaired, 0o600); err != nil {
		t.Fatal(err)
	}
	d := dial(t, base, "bad", "")
	d.register()
	d.send(msgInitializeSession, map[string]any{})
	sr := d.expect(msgStorageReceived)
	if st := decodeState(t, sr.Data, "state"); !bytes.Equal(st, repaired) {
		t.Fatalf("state after repair %x, want %x", st, repaired)
	}
	if up := a.skipTo(msgStorageUpdated); !bytes.Equal(decodeState(t, up.Data, "state"),
		repaired) {
		t.Fatalf("a got %s, want the repaired state", up.raw)
	}
	if logs.FilterMessage("room file readable again; storage enabled").Len() != 1 {
		t.Fatal("repair not logged")
	}

	more := textInsert(1, 0, "more")
	a.send(msgUpdateStorage, map[string]any{"update": b64std(more)})
	if up := d.skipTo(msgStorageUpdated); !bytes.Equal(decodeState(t, up.Data, "state"),
		more) {
		t.Fatalf("a's edit after the repair: %s", up.raw)
	}
	fileHolds(t, path, repaired) // nothing is written before the flush
}

// TestCorruptRoomFileRemoved: after the operator removes the file, the next joiner seeds
// the live room and the others get the seed.
func TestCorruptRoomFileRemoved(t *testing.T) {
	srv, _, base, a := corruptRoom(t, []byte{0xff})
	if err := os.Remove(roomPath(t, srv.dir, "bad")); err != nil {
		t.Fatal(err)
	}
	seed := textInsert(2, 0, "fresh")
	b := dial(t, base, "bad", "")
	sr := b.join(nil, seed)
	if !bytes.Contains(sr.Data, []byte(`"changeKind":"initialized"`)) {
		t.Fatalf("$storageReceived = %s", sr.raw)
	}
	if up := a.expect(msgStorageUpdated); !bytes.Equal(decodeState(t, up.Data, "state"),
		seed) {
		t.Fatalf("a got %s, want the seed", up.raw)
	}
	rm, err := srv.GetRoom("bad")
	if err != nil {
		t.Fatal(err)
	}
	if _, dirty := roomState(rm); !dirty {
		t.Fatal("the seeded room is not marked for writing")
	}
}

// skipTo returns the next frame of type typ, passing over the others.
func (c *testClient) skipTo(typ string) frame {
	c.t.Helper()
	for {
		if f := c.next(); f.Type == typ {
			return f
		}
	}
}
