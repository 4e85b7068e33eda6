package pluv

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
)

// unsavedState returns the state the server keeps for a torn-down room id, nil if none.
func unsavedState(srv *Server, id string) []byte {
	srv.roomsMu.Lock()
	defer srv.roomsMu.Unlock()
	if u := srv.unsaved[id]; u != nil {
		return u.state
	}
	return nil
}

// TestUnsavedStateTakenOver: a room whose final write fails keeps its state in the
// server; a new room for the id starts from it, not from the stale file, and the
// flusher writes it once the disk works.
func TestUnsavedStateTakenOver(t *testing.T) {
	w := newDiskWriter()
	dir := t.TempDir()
	stale := textInsert(1, 0, "old")
	path := roomPath(t, dir, "r")
	if err := os.WriteFile(path, stale, 0o600); err != nil {
		t.Fatal(err)
	}
	srv, logs := storageServer(t, Config{StorageDir: dir}, w)
	_, base := startServerFor(t, srv)

	a := dial(t, base, "r", "")
	a.join(nil, nil)
	a.send(msgUpdateStorage, map[string]any{"update": b64std(textInsert(1, 3, "new"))})
	marker(t, a)
	w.fail(syscall.EACCES)
	a.ws.Close()
	if at := w.next(t); !errors.Is(at.err, syscall.EACCES) || at.path != path {
		t.Fatalf("teardown write: %s %v", at.path, at.err)
	}
	const failedMsg = "saving room failed; its state is kept in memory and retried"
	eventually(t, "unsaved state, logged", func() bool {
		return unsavedState(srv, "r") != nil && logs.FilterMessage(failedMsg).Len() > 0
	})
	kept := unsavedState(srv, "r")
	fileHolds(t, path, stale)
	failed := logs.FilterMessage(failedMsg)
	if failed.Len() != 1 || failed.All()[0].ContextMap()["path"] != path ||
		!strings.Contains(failed.All()[0].ContextMap()["error"].(string), "permission denied") {
		t.Fatalf("failure log: %v", failed.All())
	}

	b := dial(t, base, "r", "")
	reg := b.register()
	if st := decodeState(t, reg.Data, "state"); !bytes.Equal(st, kept) {
		t.Fatalf("new room starts from %x, want the unsaved %x", st, kept)
	}
	if unsavedState(srv, "r") != nil {
		t.Fatal("the new room did not take the unsaved state over")
	}
	w.fail(0)
	srv.flushPass(time.Now())
	if at := w.next(t); at.err != nil || !bytes.Equal(at.data, kept) {
		t.Fatalf("flush of the taken-over state: %v", at.err)
	}
	fileHolds(t, path, kept)
}

// TestUnsavedStateRetried: the flusher retries the state of a closed room after the
// backoff until the write succeeds, then forgets it.
func TestUnsavedStateRetried(t *testing.T) {
	w := newDiskWriter()
	srv, logs := storageServer(t, Config{}, w)
	rm, err := srv.GetRoom("r")
	if err != nil {
		t.Fatal(err)
	}
	edit(t, rm, textInsert(1, 0, "kept"))
	want, _ := roomState(rm)
	w.fail(syscall.ENOSPC)
	srv.teardown(rm)
	w.next(t)
	now := time.Now()
	srv.flushPass(now)
	w.none(t, "retry before the backoff")
	later := now.Add(maxRetryDelay)
	srv.flushPass(later)
	if at := w.next(t); !errors.Is(at.err, syscall.ENOSPC) || !bytes.Equal(at.data, want) {
		t.Fatalf("retry: %v", at.err)
	}
	if unsavedState(srv, "r") == nil {
		t.Fatal("a failed retry dropped the state")
	}
	w.fail(0)
	srv.flushPass(later.Add(maxRetryDelay))
	if at := w.next(t); at.err != nil {
		t.Fatalf("retry: %v", at.err)
	}
	if unsavedState(srv, "r") != nil {
		t.Fatal("written state still kept")
	}
	fileHolds(t, rm.path, want)
	if logs.FilterMessage("room saved after failed writes").Len() != 1 {
		t.Fatal("recovery not logged")
	}
}

// TestShutdownReportsLostState: at shutdown each live room and each kept state is tried
// once more, and what cannot be written is logged loudly with its path.
func TestShutdownReportsLostState(t *testing.T) {
	w := newDiskWriter()
	srv, logs := storageServer(t, Config{}, w)
	closed, err := srv.GetRoom("closed")
	if err != nil {
		t.Fatal(err)
	}
	edit(t, closed, textInsert(1, 0, "x"))
	w.fail(syscall.ENOSPC)
	srv.teardown(closed)
	w.next(t)
	live, err := srv.GetRoom("live")
	if err != nil {
		t.Fatal(err)
	}
	edit(t, live, textInsert(2, 0, "y"))

	if err := srv.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	tried := map[string]bool{}
	for range 2 {
		at := w.next(t)
		tried[at.path] = true
	}
	w.none(t, "after the last tries")
	if !tried[closed.path] || !tried[live.path] {
		t.Fatalf("shutdown tried %v", tried)
	}
	lost := map[any]bool{}
	for _, e := range logs.All() {
		if strings.HasPrefix(e.Message, "ROOM STATE LOST") {
			lost[e.ContextMap()["path"]] = true
		}
	}
	if !lost[closed.path] || !lost[live.path] {
		t.Fatalf("lost state logged for %v", lost)
	}
}

// TestShutdownWritesChangedRooms: Close writes what the flusher has not yet written.
func TestShutdownWritesChangedRooms(t *testing.T) {
	w := newDiskWriter()
	srv, _ := storageServer(t, Config{FlushInterval: caddy.Duration(time.Hour)}, w)
	rm, err := srv.GetRoom("r")
	if err != nil {
		t.Fatal(err)
	}
	edit(t, rm, textInsert(1, 0, "late"))
	want, _ := roomState(rm)
	if err := srv.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	fileHolds(t, rm.path, want)
}

// TestUnsavedStateTooLarge: unsaved state that no longer fits the store (its cap shrank
// in a reload) is written to the file for the operator, or, when that fails too, kept
// by the server while the room refuses storage.
func TestUnsavedStateTooLarge(t *testing.T) {
	big := textInsert(1, 0, strings.Repeat("x", 60))
	tests := []struct {
		name   string
		errno  syscall.Errno
		onDisk bool
	}{
		{"written to the file", 0, true},
		{"kept when the write fails", syscall.ENOSPC, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newDiskWriter()
			srv, logs := storageServer(t, Config{MaxStorageSize: 40}, w)
			path := roomPath(t, srv.dir, "r")
			srv.roomsMu.Lock()
			srv.unsaved["r"] = &unsavedRoom{path: path, state: big}
			srv.roomsMu.Unlock()
			w.fail(tt.errno)

			rm, err := srv.GetRoom("r")
			if err != nil {
				t.Fatal(err)
			}
			w.next(t)
			rm.mu.Lock()
			corrupt, held := rm.corrupt, rm.held
			rm.mu.Unlock()
			if !corrupt || held == tt.onDisk {
				t.Fatalf("corrupt %v, held %v", corrupt, held)
			}
			if tt.onDisk {
				fileHolds(t, path, big)
				if len(unreadableLogs(logs)) != 1 {
					t.Fatal("the oversize file was not reported")
				}
				return
			}
			if !bytes.Equal(unsavedState(srv, "r"), big) {
				t.Fatal("the state was dropped")
			}
		})
	}
}
