package pluv

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/caddy-pluv/caddy-pluv/internal/pluvtest"
	"github.com/caddy-pluv/caddy-pluv/yjs"
)

// typeAndDelete types n characters as single keystrokes from client 7, then deletes the
// last del of them with backspaces, and returns the updates in order with the text left.
func typeAndDelete(n, del int) (updates [][]byte, text string) {
	ty := &typist{client: 7}
	var typed strings.Builder
	for i := range n {
		c := byte('a' + i%26)
		updates = append(updates, ty.key(c))
		typed.WriteByte(c)
	}
	for range del {
		updates = append(updates, ty.backspace())
	}
	return updates, typed.String()[:n-del]
}

// roomFileAfter plays updates into room "r" of a server on a fresh storage_dir (with
// keep_history as given), lets the room empty and returns the file it wrote.
func roomFileAfter(t *testing.T, keepHistory bool, updates [][]byte) []byte {
	t.Helper()
	w := newDiskWriter()
	srv, _ := storageServer(t, Config{
		KeepHistory: keepHistory, RateLimit: &RateLimitConfig{PerSecond: -1},
	}, w)
	_, base := startServerFor(t, srv)
	a := dial(t, base, "r", "")
	a.join(nil, nil)
	for i, u := range updates {
		a.send(msgUpdateStorage, map[string]any{"update": b64std(u)})
		if i%500 == 499 { // each wait covers a bounded amount of work
			marker(t, a)
		}
	}
	marker(t, a)
	a.ws.Close()
	at := w.next(t)
	if at.err != nil || at.path != roomPath(t, srv.dir, "r") {
		t.Fatalf("write of %s: %v", at.path, at.err)
	}
	return at.data
}

// textOf returns the root text "text" of a state.
func textOf(t *testing.T, state []byte) string {
	t.Helper()
	s, err := pluvtest.StateText(state, "text")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestCompactedRoomFile: after 10,000 keystrokes and 9,000 backspaces, each its own
// update, the room's file holds the 1,000 characters left and little else; with
// keep_history it keeps the deleted ones too. Both read back as the same text.
func TestCompactedRoomFile(t *testing.T) {
	updates, want := typeAndDelete(10_000, 9_000)
	logged := 0
	for _, u := range updates {
		logged += len(u)
	}
	compact := roomFileAfter(t, false, updates)
	history := roomFileAfter(t, true, updates)
	t.Logf("updates %d bytes; file %d bytes compacted, %d with keep_history", logged,
		len(compact), len(history))

	if len(compact) > 1_000+64 {
		t.Errorf("compacted file is %d bytes for 1,000 characters left", len(compact))
	}
	if len(history) < 10_000 {
		t.Errorf("keep_history file is %d bytes, less than the 10,000 characters typed",
			len(history))
	}
	for name, state := range map[string][]byte{"compacted": compact, "history": history} {
		if got := textOf(t, state); got != want {
			t.Errorf("%s file reads back as %d characters, want the %d left", name,
				len(got), len(want))
		}
	}
	if !containsAll(history, updates) {
		t.Error("keep_history file lacks some of the updates")
	}
}

// TestOldFileCompactedOnLoad: a file written without garbage collection (before it
// existed, or with keep_history) is read into a compacting room, which marks it
// changed, and the flusher writes it back compacted; a keep_history room leaves it be.
func TestOldFileCompactedOnLoad(t *testing.T) {
	updates, want := typeAndDelete(2_000, 1_500)
	old := yjs.NewStore(yjs.Options{KeepHistory: true})
	for _, u := range updates {
		if _, err := old.Apply(u); err != nil {
			t.Fatal(err)
		}
	}
	oldFile := old.Encode()

	t.Run("compacted", func(t *testing.T) {
		w := newDiskWriter()
		srv, logs := storageServer(t, Config{FlushInterval: flushFast}, w)
		path := roomPath(t, srv.dir, "r")
		if err := os.WriteFile(path, oldFile, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := srv.GetRoom("r"); err != nil {
			t.Fatal(err)
		}
		at := w.next(t)
		if at.err != nil || at.path != path {
			t.Fatalf("write of %s: %v", at.path, at.err)
		}
		t.Logf("old file %d bytes, written back as %d", len(oldFile), len(at.data))
		if len(at.data) > len(want)+64 || len(at.data) >= len(oldFile) {
			t.Errorf("written back as %d bytes from %d, for %d characters left",
				len(at.data), len(oldFile), len(want))
		}
		if got := textOf(t, at.data); got != want {
			t.Errorf("written back as %q, want %q", got, want)
		}
		if logs.FilterMessageSnippet("room file compacted on load").Len() != 1 {
			t.Error("the compaction on load was not logged")
		}
		disk, _ := os.ReadFile(path)
		if !bytes.Equal(disk, at.data) {
			t.Error("the file on disk is not the state written back")
		}
	})

	t.Run("keep_history", func(t *testing.T) {
		w := newDiskWriter()
		srv, _ := storageServer(t, Config{KeepHistory: true}, w)
		path := roomPath(t, srv.dir, "r")
		if err := os.WriteFile(path, oldFile, 0o600); err != nil {
			t.Fatal(err)
		}
		rm, err := srv.GetRoom("r")
		if err != nil {
			t.Fatal(err)
		}
		rm.lock("test")
		dirty, size := rm.dirtyLocked(), rm.store.Size()
		rm.release()
		if dirty || size != len(oldFile) {
			t.Fatalf("keep_history room loaded %d bytes as %d, changed %v", len(oldFile),
				size, dirty)
		}
	})
}
