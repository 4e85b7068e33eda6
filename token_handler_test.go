package pluv

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.uber.org/zap"

	"github.com/caddyserver/caddy/v2"
)

// serveToken runs th for one request whose {room} and {uid} placeholders are room and uid.
func serveToken(t *testing.T, th *TokenHandler, room, uid string) *httptest.ResponseRecorder {
	t.Helper()
	repl := caddy.NewReplacer()
	repl.Set("room", room)
	repl.Set("uid", uid)
	r := httptest.NewRequest(http.MethodGet, "/authorize", nil)
	r = r.WithContext(context.WithValue(r.Context(), caddy.ReplacerCtxKey, repl))
	w := httptest.NewRecorder()
	if err := th.ServeHTTP(w, r, nil); err != nil {
		t.Fatalf("ServeHTTP: %v", err)
	}
	return w
}

// TestTokenHandlerRoomIDs: pluv_token applies the room id rule of pluv (§9.1 and
// max_room_id_length) and answers a hostile id with 400 and a body saying why.
func TestTokenHandlerRoomIDs(t *testing.T) {
	th := &TokenHandler{Secret: "s3cret", Room: "{room}", UserID: "{uid}"}
	th.logger = zap.NewNop()
	th.secret = th.Secret
	if err := th.Validate(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		room string
		ok   bool
	}{
		{"plain", "my-room", true},
		{"longest", strings.Repeat("a", DefaultMaxRoomIDLength), true},
		{"one too long", strings.Repeat("a", DefaultMaxRoomIDLength+1), false},
		{"10 KB", strings.Repeat("a", 10000), false},
		{"empty", "", false},
		{"dot dot", "..", false},
		{"slash", "a/b", false},
		{"traversal", "../../etc/passwd", false},
		{"NUL", "a\x00b", false},
		{"Kelvin sign", "\u212a", false},
		{"zero width space", "a\u200bb", false},
		{"fullwidth", "ａｂ", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := serveToken(t, th, tt.room, "ann")
			if tt.ok {
				if w.Code != http.StatusOK || strings.Count(w.Body.String(), ".") != 2 {
					t.Fatalf("status %d, body %q", w.Code, w.Body.String())
				}
				return
			}
			if w.Code != http.StatusBadRequest ||
				!strings.Contains(w.Body.String(), "invalid room id") {
				t.Fatalf("status %d, body %q; want 400 naming the room id", w.Code,
					w.Body.String())
			}
		})
	}
}
