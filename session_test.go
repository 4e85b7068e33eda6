package pluv

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/gorilla/websocket"
)

// TestSlowSessionDropped checks that a session that stops reading is dropped (its queue
// overflows) without blocking the room: the sender keeps getting its own frames and
// sees the slow session's `$exit`.
func TestSlowSessionDropped(t *testing.T) {
	_, base := startServer(t, Config{SendQueue: 4,
		WriteTimeout: caddy.Duration(200 * time.Millisecond)})
	slow, _, err := websocket.DefaultDialer.Dial(base+"/?room=r", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	var reg frame
	if err := slow.ReadJSON(&reg); err != nil {
		t.Fatal(err)
	}
	// From here on nobody reads slow's socket.
	fast := dial(t, base, "r", "")
	fast.join(nil, nil)
	payload := map[string]string{"blob": strings.Repeat("x", 64<<10)}
	for i := 0; i < 400; i++ {
		fast.send("blob", payload)
		for f := fast.next(); f.Type != "blob"; f = fast.next() {
			if f.Type == msgExit && f.conn() == reg.conn() {
				return
			}
		}
	}
	t.Fatal("slow session was never dropped")
}

// TestRoomWaitsForPendingWrite checks that a room created while its file is still being
// written loads only after the write.
func TestRoomWaitsForPendingWrite(t *testing.T) {
	dir := t.TempDir()
	srv, err := NewServer(Config{StorageDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close(context.Background()) })
	pending := make(chan struct{})
	srv.roomsMu.Lock()
	srv.saving["r"] = pending
	srv.roomsMu.Unlock()

	got := make(chan *Room)
	go func() {
		rm, err := srv.GetRoom("r")
		if err != nil {
			t.Error(err)
		}
		got <- rm
	}()
	var rm *Room
	eventually(t, "room registered", func() bool {
		srv.roomsMu.Lock()
		defer srv.roomsMu.Unlock()
		rm = srv.rooms["r"]
		return rm != nil
	})
	select {
	case <-rm.ready:
		t.Fatal("room loaded before the pending write finished")
	default:
	}
	saved := textInsert(1, 0, "late")
	if err := os.WriteFile(roomPath(t, dir, "r"), saved, 0o600); err != nil {
		t.Fatal(err)
	}
	close(pending)
	if r := <-got; r != rm {
		t.Fatal("GetRoom returned another room")
	}
	rm.mu.Lock()
	defer rm.mu.Unlock()
	if !bytes.Equal(rm.store.Encode(), saved) {
		t.Fatalf("room loaded %x, want the written %x", rm.store.Encode(), saved)
	}
}

// TestInitializeOnce: `$initializeSession` is once per socket (§4.1); a repeat, which
// would encode the whole document and broadcast `$userJoined` again, gets `$error`.
func TestInitializeOnce(t *testing.T) {
	_, base := startServer(t, Config{})
	a := dial(t, base, "r", "")
	a.join(nil, nil)
	b := dial(t, base, "r", "")
	b.join(nil, nil)
	a.expect(msgUserJoined)
	for range 3 {
		b.send(msgInitializeSession, map[string]any{"update": ""})
		if e := b.expect(msgError); !strings.Contains(string(e.Data), "already initialized") {
			t.Fatalf("repeat $initializeSession: %s", e.raw)
		}
	}
	marker(t, b, a) // a saw no second $userJoined
}
