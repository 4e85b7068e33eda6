package pluv

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/caddy-pluv/caddy-pluv/yjs"
	"github.com/caddyserver/caddy/v2"
)

// flushFast is the flush interval of the disk tests.
const flushFast = caddy.Duration(20 * time.Millisecond)

// holdsAll fails the test unless the state in path contains every update.
func holdsAll(t *testing.T, path string, updates [][]byte) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !containsAll(data, updates) {
		t.Fatalf("%s (%d bytes) lacks some of the %d edits", path, len(data), len(updates))
	}
}

// containsAll reports whether state decodes and already has every update.
func containsAll(state []byte, updates [][]byte) bool {
	st := yjs.NewStore(yjs.Options{})
	if _, err := st.Apply(state); err != nil {
		return false
	}
	for _, u := range updates {
		if delta, err := st.Apply(u); err != nil || delta != nil {
			return false
		}
	}
	return true
}

// typeEdits sends n one-letter edits from c and waits until the room has applied them.
func typeEdits(t *testing.T, c *testClient, client byte, n int) [][]byte {
	t.Helper()
	var sent [][]byte
	for i := range n {
		u := textInsert(client, byte(i), string(rune('a'+i%26)))
		c.send(msgUpdateStorage, map[string]any{"update": b64std(u)})
		sent = append(sent, u)
	}
	marker(t, c)
	return sent
}

// TestFullDiskKeepsEdits simulates a full disk: the room's writes fail with ENOSPC, are
// retried and logged with the path; its state stays in memory through teardown and is
// served to the next joiner; once writes succeed it lands on disk with every edit.
func TestFullDiskKeepsEdits(t *testing.T) {
	w := newDiskWriter()
	w.fail(syscall.ENOSPC)
	srv, logs := storageServer(t, Config{FlushInterval: flushFast}, w)
	_, base := startServerFor(t, srv)
	path := roomPath(t, srv.dir, "r")

	a := dial(t, base, "r", "")
	a.join(nil, nil)
	edits := typeEdits(t, a, 1, 40)
	for range 2 { // a failure and its retry
		if at := w.next(t); !errors.Is(at.err, syscall.ENOSPC) || at.path != path {
			t.Fatalf("write %s: %v, want ENOSPC", at.path, at.err)
		}
	}
	failed := logs.FilterMessage("saving room failed; its state is kept in memory and retried")
	if failed.Len() == 0 || failed.All()[0].ContextMap()["path"] != path ||
		!strings.Contains(failed.All()[0].ContextMap()["error"].(string), "no space left") {
		t.Fatalf("failure logs: %v", failed.All())
	}

	a.ws.Close() // the teardown's write fails too: the server keeps the state
	eventually(t, "unsaved state", func() bool { return unsavedState(srv, "r") != nil })
	b := dial(t, base, "r", "")
	reg := b.register()
	if !containsAll(decodeState(t, reg.Data, "state"), edits) {
		t.Fatal("the next joiner lacks edits made while the disk was full")
	}
	edits = append(edits, typeEdits(t, b, 2, 10)...)
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("room file exists while every write failed: %v", err)
	}

	w.fail(0)
	eventually(t, "the room file", func() bool {
		data, err := os.ReadFile(path)
		return err == nil && containsAll(data, edits)
	})
	b.ws.Close()
	eventually(t, "teardown", func() bool {
		srv.roomsMu.Lock()
		defer srv.roomsMu.Unlock()
		return len(srv.rooms) == 0 && len(srv.saving) == 0 && len(srv.unsaved) == 0
	})
	holdsAll(t, path, edits)
}

// TestRealFullDisk runs a room on a tiny tmpfs filled to the last block: writes fail with
// a real ENOSPC and leave no temp file; after space is freed every edit lands. It needs
// root (to mount), so it skips elsewhere.
func TestRealFullDisk(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs to fill needs root")
	}
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=128k,mode=0700"); err != nil {
		t.Skipf("cannot mount a tmpfs (%v): the full-disk case is only simulated", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, 0); err != nil {
			t.Errorf("unmounting %s: %v", dir, err)
		}
	})
	filler := fillDisk(t, dir)

	core, logs := observer.New(zap.InfoLevel)
	c := Config{StorageDir: dir, FlushInterval: flushFast, Logger: zap.New(core)}
	srv, err := NewServer(c)
	if err != nil {
		t.Fatal(err)
	}
	_, base := startServerFor(t, srv)
	a := dial(t, base, "r", "")
	a.join(nil, nil)
	edits := typeEdits(t, a, 1, 60)
	eventually(t, "a logged ENOSPC", func() bool {
		for _, e := range logs.FilterMessage(
			"saving room failed; its state is kept in memory and retried").All() {
			if strings.Contains(e.ContextMap()["error"].(string), "no space left") {
				return true
			}
		}
		return false
	})
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	path := roomPath(t, dir, "r")
	eventually(t, "the room file", func() bool {
		data, err := os.ReadFile(path)
		return err == nil && containsAll(data, edits)
	})
	a.ws.Close()
	eventually(t, "teardown", func() bool {
		srv.roomsMu.Lock()
		defer srv.roomsMu.Unlock()
		return len(srv.rooms) == 0 && len(srv.saving) == 0
	})
	if temps, _ := filepath.Glob(filepath.Join(dir, tempPrefix+"*")); len(temps) > 0 {
		t.Fatalf("temp files left: %v", temps)
	}
	holdsAll(t, path, edits)
}

// fillDisk writes a file into dir until the file system is full and returns its path.
func fillDisk(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 4096)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("filling %s: %v", dir, err)
			}
			return path
		}
	}
}
