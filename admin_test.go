package pluv

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"
)

// pooled puts srv into the registry pool under key for the rest of the test, as
// Provision does.
func pooled(t *testing.T, key string, srv *Server) {
	t.Helper()
	if _, loaded := servers.LoadOrStore(key, pooledServer{srv}); loaded {
		t.Fatalf("registry %s already pooled", key)
	}
	t.Cleanup(func() { _, _ = servers.Delete(key) })
}

// adminGet runs one admin request through the pluv admin routes and returns the status
// Caddy's admin endpoint would answer and the body (or the error's message).
func adminGet(t *testing.T, method, target string) (int, string) {
	t.Helper()
	r := httptest.NewRequest(method, target, nil)
	w := httptest.NewRecorder()
	var h caddy.AdminHandler
	for _, route := range (adminAPI{}).Routes() {
		p := route.Pattern
		if r.URL.Path == p || strings.HasSuffix(p, "/") && strings.HasPrefix(r.URL.Path, p) {
			h = route.Handler
		}
	}
	if h == nil {
		t.Fatalf("no route for %s", target)
	}
	err := h.ServeHTTP(w, r)
	var ae caddy.APIError
	switch {
	case err == nil:
		if ct := w.Header().Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s: Content-Type %q", target, ct)
		}
		return http.StatusOK, w.Body.String()
	case errors.As(err, &ae):
		return ae.HTTPStatus, ae.Err.Error()
	}
	t.Fatalf("%s: error %v is not a caddy.APIError", target, err)
	return 0, ""
}

// adminRegistry starts a pooled registry keyed key with one session in each room,
// whose storage is the given update.
func adminRegistry(t *testing.T, key string, c Config, rooms map[string][]byte) *Server {
	t.Helper()
	srv, base := startServer(t, c)
	pooled(t, key, srv)
	for id, update := range rooms {
		a := dial(t, base, id, "")
		a.join(nil, update)
	}
	return srv
}

// TestAdminRooms: the listing gives every live room of every registry with its
// sessions and storage size; the storage route gives a room's JSON, and answers 404,
// 400, 405 and 409 as documented, without ever creating a room.
func TestAdminRooms(t *testing.T) {
	roots := map[string]string{"t": "text", "list": "array"}
	a := adminRegistry(t, "pluv:admin-a", Config{StorageRoots: roots}, map[string][]byte{
		"admin-both": textInsert(1, 0, "in a"), "admin-one": textInsert(1, 0, "<b>&"),
	})
	adminRegistry(t, "pluv:admin-b", Config{}, map[string][]byte{
		"admin-both": textInsert(2, 0, "in b"),
	})

	status, body := adminGet(t, http.MethodGet, "/pluv/rooms")
	if status != http.StatusOK {
		t.Fatalf("listing: %d %s", status, body)
	}
	var list []adminRoom
	if err := json.Unmarshal([]byte(body), &list); err != nil {
		t.Fatal(err)
	}
	var ours []adminRoom
	for _, r := range list {
		if strings.HasPrefix(r.Registry, "pluv:admin-") {
			ours = append(ours, r)
		}
	}
	size := len(textInsert(1, 0, "in a")) // each room holds one such update
	want := []adminRoom{
		{ID: "admin-both", Registry: "pluv:admin-a", Sessions: 1, StorageBytes: size},
		{ID: "admin-one", Registry: "pluv:admin-a", Sessions: 1, StorageBytes: size},
		{ID: "admin-both", Registry: "pluv:admin-b", Sessions: 1, StorageBytes: size},
	}
	if !reflect.DeepEqual(ours, want) {
		t.Fatalf("listing %+v, want %+v", ours, want)
	}

	tests := []struct {
		name, method, target string
		status               int
		body                 string // the JSON, or a substring of the error
	}{
		{"one registry", "GET", "/pluv/rooms/admin-one/storage", 200,
			`{"list":[],"t":"<b>&"}` + "\n"},
		{"named registry", "GET", "/pluv/rooms/admin-both/storage?registry=pluv:admin-b",
			200, `{"t":"in b"}` + "\n"},
		{"ambiguous", "GET", "/pluv/rooms/admin-both/storage", 409,
			`"admin-both" is live in registries pluv:admin-a, pluv:admin-b`},
		{"not live", "GET", "/pluv/rooms/admin-none/storage", 404, `no live room "admin-none"`},
		{"unknown registry", "GET", "/pluv/rooms/admin-one/storage?registry=x", 404,
			`no registry "x"`},
		{"invalid id", "GET", "/pluv/rooms/a..b/storage", 400, "invalid room id"},
		{"empty id", "GET", "/pluv/rooms//storage", 400, "invalid room id"},
		{"no storage", "GET", "/pluv/rooms/admin-one", 404, "no such route"},
		{"deeper", "GET", "/pluv/rooms/admin-one/x/storage", 404, "no such route"},
		{"post list", "POST", "/pluv/rooms", 405, "method not allowed"},
		{"delete room", "DELETE", "/pluv/rooms/admin-one/storage", 405, "method not allowed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body := adminGet(t, tc.method, tc.target)
			if status != tc.status || tc.status == 200 && body != tc.body ||
				tc.status != 200 && !strings.Contains(body, tc.body) {
				t.Fatalf("%d %s, want %d %s", status, body, tc.status, tc.body)
			}
		})
	}
	a.roomsMu.Lock()
	_, created := a.rooms["admin-none"]
	a.roomsMu.Unlock()
	if created {
		t.Fatal("asking for a room that is not live created it")
	}
}

// TestAdminUnreadableRoom: a room whose file cannot be read is listed as such, and its
// storage route answers 503 with the reason.
func TestAdminUnreadableRoom(t *testing.T) {
	srv, _ := storageServer(t, Config{}, newDiskWriter())
	pooled(t, srv.dir, srv)
	if err := os.WriteFile(roomPath(t, srv.dir, "admin-bad"), []byte{9}, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.GetRoom("admin-bad"); err != nil {
		t.Fatal(err)
	}
	_, body := adminGet(t, http.MethodGet, "/pluv/rooms")
	if !strings.Contains(body, `{"id":"admin-bad","registry":"`+srv.dir+
		`","sessions":0,"storage_bytes":2,"storage_unreadable":true}`) {
		t.Fatalf("listing %s", body)
	}
	status, body := adminGet(t, http.MethodGet, "/pluv/rooms/admin-bad/storage")
	if status != http.StatusServiceUnavailable || !strings.Contains(body, "could not be read") {
		t.Fatalf("%d %s", status, body)
	}
}
