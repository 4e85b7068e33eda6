package pluv

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gorilla/websocket"
)

// TestRoomRegister embeds the server behind the caller's own upgrader and joins sockets
// with [Room.Register].
func TestRoomRegister(t *testing.T) {
	srv, err := NewServer(Config{Auth: &AuthConfig{Secret: testSecret}})
	if err != nil {
		t.Fatal(err)
	}
	regErr := make(chan error, 4)
	var up websocket.Upgrader
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		rm, err := srv.GetRoom("embedded")
		if err != nil {
			t.Error(err)
			return
		}
		regErr <- rm.Register(conn, r.URL.Query().Get("token"))
	}))
	startServerFor(t, srv) // closes srv at the end
	defer hs.Close()
	wsBase := "ws" + strings.TrimPrefix(hs.URL, "http")

	good := dial(t, wsBase, "ignored", token(t, "embedded", map[string]string{"id": "u"}, ""))
	if err := <-regErr; err != nil {
		t.Fatal(err)
	}
	if reg := good.register(); reg.Room != "embedded" || string(reg.User) != `{"id":"u"}` {
		t.Fatalf("$registered = %s", reg.raw)
	}
	bad := dial(t, wsBase, "ignored", "garbage")
	if err := <-regErr; !errors.Is(err, errUnauthorized) {
		t.Fatalf("Register error %v, want errUnauthorized", err)
	}
	bad.expect(msgError)
	if code := bad.closeCode(); code != CloseUnauthorized {
		t.Fatalf("close %d", code)
	}
}

func TestServeHTTPPlainRequest(t *testing.T) {
	srv, err := NewServer(Config{})
	if err != nil {
		t.Fatal(err)
	}
	_, base := startServerFor(t, srv)
	resp, err := http.Get("http" + strings.TrimPrefix(base, "ws") + "/?room=r")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUpgradeRequired {
		t.Fatalf("status %d, want 426", resp.StatusCode)
	}
}

func TestResolverPanicIsContained(t *testing.T) {
	srv, base := startServer(t, Config{})
	err := srv.Event("BOOM", Event{Resolver: func(context.Context, EventInput) (
		map[string]any, error,
	) {
		panic("resolver bug")
	}})
	if err != nil {
		t.Fatal(err)
	}
	a := dial(t, base, "r", "")
	a.join(nil, nil)
	a.send("BOOM", map[string]any{})
	if e := a.expect(msgError); !strings.Contains(string(e.Data), "internal error") {
		t.Fatalf("$error = %s", e.raw)
	}
	marker(t, a) // the session still works
}

// countingStore counts the encodings of a room's document.
type countingStore struct {
	docStore
	encodes *atomic.Int64
}

func (cs *countingStore) Encode() []byte {
	cs.encodes.Add(1)
	return cs.docStore.Encode()
}

// TestJoinEncodesOnce: a joiner's `$registered` and `$storageReceived` both carry the
// document (§3); it is encoded once for both, unless it changed in between, when
// `$storageReceived` carries the new state.
func TestJoinEncodesOnce(t *testing.T) {
	tests := []struct {
		name        string
		editBetween bool
		encodes     int64
	}{
		{"unchanged", false, 1},
		{"changed between", true, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, err := NewServer(Config{})
			if err != nil {
				t.Fatal(err)
			}
			var encodes atomic.Int64
			srv.newStore = func(cfg *settings) docStore {
				return &countingStore{docStore: newDocStore(cfg),
					encodes: &encodes}
			}
			_, base := startServerFor(t, srv)
			a := dial(t, base, "r", "")
			a.join(nil, textInsert(1, 0, "hello"))
			encodes.Store(0)
			b := dial(t, base, "r", "")
			reg := b.register()
			if tc.editBetween {
				a.send(msgUpdateStorage, map[string]any{
					"update": base64.StdEncoding.EncodeToString(textInsert(2, 0, "x")),
				})
				marker(t, a, b) // a's edit is in the room
			}
			b.send(msgInitializeSession, map[string]any{"update": ""})
			got := decodeState(t, b.expect(msgStorageReceived).Data, "state")
			rm, _ := srv.GetRoom("r")
			rm.mu.Lock()
			want := rm.store.(*countingStore).docStore.Encode()
			rm.mu.Unlock()
			if !bytes.Equal(got, want) {
				t.Errorf("$storageReceived state %x, want the room's %x", got, want)
			}
			if registered := decodeState(t, reg.Data, "state"); tc.editBetween ==
				bytes.Equal(registered, got) {
				t.Errorf("$registered state %x next to $storageReceived %x", registered, got)
			}
			if n := encodes.Load(); n != tc.encodes {
				t.Errorf("document encoded %d times for the join, want %d", n, tc.encodes)
			}
		})
	}
}
