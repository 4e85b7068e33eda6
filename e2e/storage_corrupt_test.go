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

// TestStorageCorruptFile: a room whose file does not decode keeps the file byte for byte,
// logs its path at error, answers storage with an empty state and `$error`, refuses
// storage writes, and still serves presence and events. Once the operator removes the
// file and the room empties, the re-created room stores again.
func TestStorageCorruptFile(t *testing.T) {
	dir := t.TempDir()
	logFile := filepath.Join(t.TempDir(), "caddy.log")
	s := startCaddyConfig(t, caddyConfig{Site: pluvSite(t, dir, authBlock), LogFile: logFile})
	r := &room{t: t, s: s, id: roomID(t)}
	file := filepath.Join(dir, r.id+".yjs")
	garbage := []byte("\x01\x05not a Yjs update\xff\xff")
	if err := os.WriteFile(file, garbage, 0o600); err != nil {
		t.Fatal(err)
	}

	ann := r.dial("ann", pluvtest.Options{
		Token:    userToken(t, r.id, "ann", ""),
		Update:   textInsert(11, 0, "text", "hello"),
		Presence: map[string]any{"x": 0},
	})
	h := ann.Handshake()
	ann.Await(pluvtest.TypeError)
	if !ann.DocEmpty() {
		t.Fatalf("a corrupt room answered with a state: %s", h.StorageReceived)
	}

	bob := r.user("bob", "bob", nil)
	bob.Await(pluvtest.TypeError)

	// Storage writes are refused; presence and events still work.
	ann.Barrier(barrierEvent, bob)
	errs := ann.Count(pluvtest.TypeError)
	if err := ann.UpdateStorage(textInsert(11, 0, "text", "refused")); err != nil {
		t.Fatal(err)
	}

	ann.Await(pluvtest.TypeError)
	if err := ann.UpdatePresence(map[string]any{"x": 1}); err != nil {
		t.Fatal(err)
	}

	bob.AwaitFunc("ann's presence", func(f pluvtest.Frame) bool {
		return f.Type == pluvtest.TypePresenceUpdated && f.ConnectionID == ann.SessionID()
	})
	ann.Barrier(barrierEvent, bob)
	mustEqual(t, "ann's $error frames", ann.Count(pluvtest.TypeError), errs+1)
	mustEqual(t, "bob's $storageUpdated", bob.Count(pluvtest.TypeStorageUpdated), 0)

	eventuallyLogged(t, logFile, `"level":"error"`, "room file unreadable", file)
	ann.Close()
	bob.Close()
	if b, _ := os.ReadFile(file); !bytes.Equal(b, garbage) {
		t.Fatalf("the corrupt file was changed to %q", b)
	}

	// The operator removes the file; the room, empty now, is created again.
	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}

	eventuallyLogged(t, logFile, `"msg":"room closed"`)

	cy := r.dial("cy", pluvtest.Options{
		Token:  userToken(t, r.id, "cy", ""),
		Update: textInsert(33, 0, "text", "fresh"),
	})
	cy.Handshake()
	cy.Barrier(barrierEvent)
	mustEqual(t, "cy's $error frames", cy.Count(pluvtest.TypeError), 0)
	want := storageState(t, cy)
	cy.Close()
	if b, _ := os.ReadFile(waitRoomFile(t, dir)); b64(b) != want {
		t.Fatalf("the new room file holds %q, not the room's state", b)
	}
}

// eventuallyLogged waits until a line of the log file contains every one of parts.
func eventuallyLogged(t *testing.T, logFile string, parts ...string) {
	t.Helper()

	deadline := time.Now().Add(5 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()

	for {
		log, _ := os.ReadFile(logFile)
		for _, l := range strings.Split(string(log), "\n") {
			if containsAll(l, parts) {
				return
			}
		}

		if time.Now().After(deadline) {
			t.Fatalf("no log line with %q after 5 s:\n%s", parts, log)
		}

		<-tick.C
	}
}

// containsAll reports whether s contains every one of parts.
func containsAll(s string, parts []string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}

	return true
}
