package pluv

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/caddyserver/caddy/v2"
)

// testLoad is one config load as Caddy runs it: handlers provisioned in one context,
// which is cancelled before they are cleaned up.
type testLoad struct {
	cancel   context.CancelFunc
	handlers []*Handler
}

// provisionLoad provisions a handler for each config in a new context. When one fails,
// it is cleaned up at once and then the whole load is unloaded, as Caddy does.
func provisionLoad(t *testing.T, cfgs ...Config) (*testLoad, error) {
	t.Helper()
	ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
	l := &testLoad{cancel: cancel}
	for _, c := range cfgs {
		h := &Handler{Config: c}
		if err := h.Provision(ctx); err != nil {
			if cerr := h.Cleanup(); cerr != nil {
				t.Fatal(cerr)
			}
			l.unload(t)
			return nil, err
		}
		l.handlers = append(l.handlers, h)
	}
	return l, nil
}

// unload ends the load: Caddy does it to a rejected load and to the load a newer one
// replaced.
func (l *testLoad) unload(t *testing.T) {
	t.Helper()
	l.cancel()
	for _, h := range l.handlers {
		if err := h.Cleanup(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestReloadChains: whatever Caddy accepts or rejects, the registry's settings are those
// of the newest accepted load. Configs are told apart by max_presence_size.
func TestReloadChains(t *testing.T) {
	type step struct {
		load    []int // provision a load of these configs (by presence size) ...
		unload  int   // ... or unload the load made at this step
		live    int   // the presence size live after the step
		failing bool  // the load fails to provision
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"B rejected", []step{
			{load: []int{1}, live: 1},
			{load: []int{2}, live: 2},
			{unload: 1, live: 1},
		}},
		{"B accepted", []step{
			{load: []int{1}, live: 1},
			{load: []int{2}, live: 2},
			{unload: 0, live: 2},
		}},
		{"B rejected, C accepted, D rejected", []step{
			{load: []int{1}, live: 1},
			{load: []int{2}, live: 2},
			{unload: 1, live: 1},
			{load: []int{3}, live: 3},
			{unload: 0, live: 3},
			{load: []int{4}, live: 4},
			{unload: 5, live: 3},
		}},
		{"two handlers, rejected", []step{
			{load: []int{1}, live: 1},
			{load: []int{2, 2}, live: 2},
			{unload: 1, live: 1},
		}},
		{"two handlers, accepted, then E rejected", []step{
			{load: []int{1, 1}, live: 1},
			{load: []int{2, 2, 2}, live: 2},
			{unload: 0, live: 2},
			{load: []int{5, 5}, live: 5},
			{unload: 3, live: 2},
		}},
		{"second handler differs", []step{
			{load: []int{1}, live: 1},
			{load: []int{2, 3}, failing: true, live: 1},
			{load: []int{3}, live: 3},
			{unload: 0, live: 3},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := t.Name()
			loads := make([]*testLoad, len(tt.steps))
			t.Cleanup(func() { // after a failure: leave nothing to the next case
				for _, l := range loads {
					if l != nil {
						l.unload(t)
					}
				}
			})
			var srv *Server
			for i, st := range tt.steps {
				if st.load == nil {
					loads[st.unload].unload(t)
					loads[st.unload] = nil
				} else {
					var cfgs []Config
					for _, size := range st.load {
						cfgs = append(cfgs, Config{Name: name, MaxPresenceSize: size})
					}
					l, err := provisionLoad(t, cfgs...)
					if (err != nil) != st.failing {
						t.Fatalf("step %d: provision error %v, want failing %v", i, err,
							st.failing)
					}
					loads[i] = l
					if srv == nil && l != nil {
						srv = l.handlers[0].srv
					}
				}
				if got := srv.settings().maxPresenceSize; got != st.live {
					t.Fatalf("step %d: live max_presence_size %d, want %d", i, got, st.live)
				}
			}
			for i, l := range loads {
				if l != nil {
					l.unload(t)
					loads[i] = nil
				}
			}
			if refs, ok := servers.References("pluv:" + name); ok {
				t.Fatalf("registry still has %d references", refs)
			}
			if handlersLive() {
				t.Fatal("an unloaded handler still counts as live")
			}
		})
	}
}

// TestSharedConfigConflict: two handlers of one load on one registry must have the same
// config; room, name (with a storage_dir) and the spelling of storage_dir may differ.
func TestSharedConfigConflict(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "rooms")
	link := filepath.Join(base, "link")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(dir, link); err != nil {
		t.Fatal(err)
	}
	canonical, err := filepath.EvalSymlinks(dir)
	if err != nil {
		t.Fatal(err)
	}
	auth := func(secret string) *AuthConfig { return &AuthConfig{Secret: secret} }
	tests := []struct {
		name string
		a, b Config
		want []string // in the error; none: the handlers share
	}{
		{"one dir, different auth",
			Config{StorageDir: dir, Auth: auth("secret-a-123")},
			Config{StorageDir: link, Auth: auth("secret-b-456")},
			[]string{"storage_dir " + canonical, "different auth;", "own storage_dir"}},
		{"default name, different auth and limit",
			Config{Auth: auth("secret-a-123")},
			Config{Auth: auth("secret-b-456"), SendQueue: 9},
			[]string{`name "" (no storage_dir)`, "auth, send_queue", "own name"}},
		{"one name, one without auth",
			Config{Name: "n", Auth: auth("secret-a-123")},
			Config{Name: "n"},
			[]string{`name "n"`, "different auth"}},
		{"same config, other room and name",
			Config{StorageDir: dir, Name: "x", Room: "{http.request.uri.path.1}",
				StrictEvents: true},
			Config{StorageDir: link, Name: "y", StrictEvents: true}, nil},
		{"different names without storage_dir",
			Config{Name: "one", StrictEvents: true}, Config{Name: "two"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := provisionLoad(t, tt.a, tt.b)
			if tt.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				defer l.unload(t)
				same := l.handlers[0].srv == l.handlers[1].srv
				if want := tt.a.Name == tt.b.Name || tt.a.StorageDir != ""; same != want {
					t.Fatalf("handlers share a registry: %v, want %v", same, want)
				}
				return
			}
			if !errors.Is(err, errSharedConfig) {
				t.Fatalf("error %v, want errSharedConfig", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "secret-") {
				t.Errorf("error %q shows a secret", err)
			}
		})
	}
}

// TestSharedConfigAcrossLoads: a new load may give a registry another config while the
// old load still holds it (last provision wins).
func TestSharedConfigAcrossLoads(t *testing.T) {
	old, err := provisionLoad(t, Config{Name: t.Name(), Auth: &AuthConfig{Secret: "a"}})
	if err != nil {
		t.Fatal(err)
	}
	l, err := provisionLoad(t, Config{Name: t.Name()}, Config{Name: t.Name()})
	if err != nil {
		t.Fatal(err)
	}
	old.unload(t)
	if l.handlers[0].srv.settings().auth != nil {
		t.Fatal("the newer load's config (no auth) is not the live one")
	}
	l.unload(t)
}

// TestRequestAfterCleanup: Caddy cleans up a replaced config's handlers before its server
// has finished the requests in flight; an upgrade served by a cleaned-up handler whose
// registry is gone is closed with 1012 (the client comes back), not a panic.
func TestRequestAfterCleanup(t *testing.T) {
	l, err := provisionLoad(t, Config{Name: t.Name(), Room: "late"})
	if err != nil {
		t.Fatal(err)
	}
	h := l.handlers[0]
	l.unload(t)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := context.WithValue(r.Context(), caddy.ReplacerCtxKey, caddy.NewReplacer())
		_ = h.ServeHTTP(w, r.WithContext(ctx), nil)
	}))
	defer ts.Close()

	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(ts.URL, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	_, _, err = ws.ReadMessage()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != CloseRestart {
		t.Fatalf("socket ended with %v, want close %d", err, CloseRestart)
	}
}
