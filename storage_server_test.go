package pluv

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// roomPath is the file of room id in dir.
func roomPath(t *testing.T, dir, id string) string {
	t.Helper()
	name, err := roomFileName(id)
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, name)
}

func TestPersistenceAcrossTeardown(t *testing.T) {
	dir := t.TempDir()
	srv, base := startServer(t, Config{StorageDir: dir})
	a := dial(t, base, "My_Room", "")
	seed := textInsert(1, 0, "saved")
	a.join(nil, seed)
	a.ws.Close()
	path := roomPath(t, dir, "My_Room")
	eventually(t, "room file", func() bool {
		b, err := os.ReadFile(path)
		return err == nil && bytes.Equal(b, seed)
	})
	eventually(t, "teardown", func() bool {
		srv.roomsMu.Lock()
		defer srv.roomsMu.Unlock()
		return len(srv.rooms) == 0 && len(srv.saving) == 0
	})
	b := dial(t, base, "My_Room", "")
	reg := b.register()
	if st := decodeState(t, reg.Data, "state"); !bytes.Equal(st, seed) {
		t.Fatalf("state after re-creation = %x, want %x", st, seed)
	}
	// A different case is a different room.
	c := dial(t, base, "my_room", "")
	if reg := c.register(); !bytes.Contains(reg.Data, []byte(`"state":null`)) {
		t.Fatalf("my_room shares My_Room's state: %s", reg.raw)
	}
}

func TestCloseSavesRooms(t *testing.T) {
	dir := t.TempDir()
	srv, err := NewServer(Config{StorageDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	_, base := startServerFor(t, srv)
	a := dial(t, base, "r", "")
	seed := textInsert(1, 0, "x")
	a.join(nil, seed)
	if err := srv.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if code := a.closeCode(); code != CloseRestart {
		t.Fatalf("close code %d, want 1012", code)
	}
	if b, err := os.ReadFile(roomPath(t, dir, "r")); err != nil || !bytes.Equal(b, seed) {
		t.Fatalf("saved %x %v", b, err)
	}
	if _, err := srv.GetRoom("r"); !errors.Is(err, errServerClosed) {
		t.Fatalf("GetRoom after Close: %v", err)
	}
	late := dial(t, base, "r", "")
	if code := late.closeCode(); code != CloseRestart {
		t.Fatalf("socket after Close: code %d, want 1012", code)
	}
}

func TestCorruptRoomFile(t *testing.T) {
	dir := t.TempDir()
	path := roomPath(t, dir, "bad")
	garbage := []byte{0xff, 0xff, 0xff}
	if err := os.WriteFile(path, garbage, 0o600); err != nil {
		t.Fatal(err)
	}
	_, base := startServer(t, Config{StorageDir: dir})
	a := dial(t, base, "bad", "")
	if reg := a.register(); !bytes.Contains(reg.Data, []byte(`"state":null`)) {
		t.Fatalf("$registered = %s", reg.raw)
	}
	a.send(msgInitializeSession, map[string]any{"update": b64std(textInsert(1, 0, "x"))})
	a.expect(msgError)
	sr := a.expect(msgStorageReceived)
	if st := decodeState(t, sr.Data, "state"); !bytes.Equal(st, []byte{0, 0}) {
		t.Fatalf("state = %x, want empty", st)
	}
	a.expect(msgUserJoined)
	a.send(msgUpdateStorage, map[string]any{"update": b64std(textInsert(1, 0, "x"))})
	a.expect(msgError)
	a.send(msgUpdatePresence, map[string]any{"presence": map[string]int{"x": 1}})
	a.expect(msgPresenceUpdated) // presence still works
	a.ws.Close()
	b := dial(t, base, "bad", "") // a new room for the same id: the file is read again
	b.register()
	if got, _ := os.ReadFile(path); !bytes.Equal(got, garbage) {
		t.Fatalf("corrupt file was changed to %x", got)
	}
}
