package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"

	"github.com/caddy-pluv/caddy-pluv/internal/pluvtest"
)

// loadCaddyfile adapts a whole Caddyfile and loads it into the running Caddy, returning
// Caddy's error: a reload Caddy rejects leaves the old config running.
func (s *caddyServer) loadCaddyfile(caddyfile string) error {
	s.t.Helper()

	cfgJSON, _, err := caddyconfig.GetAdapter("caddyfile").Adapt([]byte(caddyfile),
		map[string]any{"filename": "Caddyfile"})
	if err != nil {
		s.t.Fatalf("adapting Caddyfile:\n%s\n: %v", caddyfile, err)
	}

	return caddy.Load(cfgJSON, true)
}

// dialAfterReload is [pluvtest.MustDial] that dials again when the connection is dropped
// before the handshake: just after a reload Linux may have queued it on the old config's
// listening socket (Caddy binds each config's own with SO_REUSEPORT and closes the old
// one in the background), which resets it. The real client reconnects then too.
func dialAfterReload(t *testing.T, url string, o pluvtest.Options) *pluvtest.Client {
	t.Helper()

	o.T = t
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		var c *pluvtest.Client
		c, err = pluvtest.Dial(ctx, url, o)
		cancel()
		if err == nil {
			return c
		}
		if !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, syscall.ECONNRESET) {
			break
		}
		t.Logf("dialing again after a reset: %v", err)
	}
	t.Fatalf("pluvtest: %v", err)

	return nil
}

// userAfterReload is [room.user] through [dialAfterReload].
func (r *room) userAfterReload(t *testing.T, name, id string) *pluvtest.Client {
	t.Helper()

	c := dialAfterReload(t, r.url(r.id), pluvtest.Options{
		Name: name, Token: userToken(t, r.id, id, ""),
	})
	c.Handshake()

	return c
}

// uncreatableDir is a storage_dir that cannot be created: its parent is a file.
func uncreatableDir(t *testing.T) string {
	t.Helper()

	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}

	return filepath.Join(file, "rooms")
}

// TestRejectedReloadChangesNothing (attack report F1): a reload Caddy rejects, after the
// pluv handler of the new config was provisioned with auth dropped, strict_events off and
// no presence cap, leaves the running config's auth, events and limits in force, with no
// need to load the old config again.
func TestRejectedReloadChangesNothing(t *testing.T) {
	// The new config's pluv handler comes first in a route, so it is provisioned (and
	// hands its settings over) before the load fails.
	noAuth := func(dir string) string {
		return "\troute {\n\t\tpluv {\n\t\t\tstorage_dir " + dir +
			"\n\t\t\tmax_presence_size off\n\t\t}\n"
	}
	cases := []struct {
		name string
		// caddyfile is the rejected config for s, its original storage_dir dir.
		caddyfile func(t *testing.T, s *caddyServer, dir string) string
		want      string // in Caddy's error
	}{
		{"a second pluv whose storage_dir cannot be created",
			func(t *testing.T, s *caddyServer, dir string) string {
				site := noAuth(dir) + "\t\tpluv /zz {\n\t\t\tstorage_dir " +
					uncreatableDir(t) + "\n\t\t}\n\t}\n"
				return caddyfileFor(t, caddyConfig{Site: site}, s.Port)
			}, "creating storage_dir"},
		{"a second site on a port in use", func(t *testing.T, s *caddyServer, dir string) string {
			busy, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { busy.Close() })
			port := busy.Addr().(*net.TCPAddr).Port
			return caddyfileFor(t, caddyConfig{Site: noAuth(dir) + "\t}\n"}, s.Port) +
				fmt.Sprintf("\nhttp://127.0.0.1:%d {\n\trespond busy\n}\n", port)
		}, "address already in use"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s := startCaddyConfig(t, caddyConfig{Site: pluvSite(t, dir, authBlock,
				strictBarrier, "strict_events")})
			r := &room{t: t, s: s, id: roomID(t)}
			ann := r.user("ann", "ann", nil)
			bob := r.user("bob", "bob", nil)

			err := s.loadCaddyfile(tc.caddyfile(t, s, dir))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("reload error %v, want one with %q", err, tc.want)
			}

			// Auth: a socket without a token is still refused.
			expectRefused(t, dialAfterReload(t, r.url(r.id), pluvtest.Options{Name: "anon"}), "")

			// Events: undefined names are still refused, defined ones still work.
			if err := ann.Send("customThing", map[string]any{}); err != nil {
				t.Fatal(err)
			}
			ann.Await(pluvtest.TypeError)

			// Limits: a presence over the default 512 bytes is still refused.
			big := map[string]any{"big": strings.Repeat("a", 600)}
			if err := bob.UpdatePresence(big); err != nil {
				t.Fatal(err)
			}
			bob.Await(pluvtest.TypeError)
			ann.Barrier(barrierEvent, bob)
			mustEqual(t, "relayed customThing", bob.Count("customThing"), 0)
			mustEqual(t, "ann's $presenceUpdated", ann.Count(pluvtest.TypePresenceUpdated), 0)
			for _, c := range []*pluvtest.Client{ann, bob} {
				if info := c.Closed(); info != nil {
					t.Fatalf("%s was closed by the rejected reload: %+v", c.Name(), *info)
				}
			}
		})
	}
}

// TestReloadReplacedHandler (attack report F9): a reload that changes storage_dir
// replaces the handler's registry; its sessions are closed with 1012 so that the client
// comes back, to the new one.
func TestReloadReplacedHandler(t *testing.T) {
	s := startCaddyConfig(t, caddyConfig{Site: pluvSite(t, t.TempDir(), authBlock)})
	r := &room{t: t, s: s, id: roomID(t)}
	ann := r.user("ann", "ann", nil)

	s.Reload(caddyConfig{Site: pluvSite(t, t.TempDir(), authBlock)})

	info := ann.AwaitClose()
	mustEqual(t, "close code", info.Code, 1012)
	mustEqual(t, "close reason", info.Text, "Handler replaced.")
	again := r.userAfterReload(t, "ann again", "ann")
	if info := again.Closed(); info != nil {
		t.Fatalf("the new handler closed the returning client: %+v", *info)
	}
}

// sharedSites is a Caddyfile for s with two pluv handlers, /a/ and /b/, each with its own
// extra subdirectives, on storage_dir dir (empty: none); with port, /b/ is in a second
// site on that port.
func sharedSites(t *testing.T, s *caddyServer, dir, a, b string, port int) string {
	t.Helper()

	block := func(path, extra string) string {
		sd := ""
		if dir != "" {
			sd = "storage_dir " + dir
		}
		return fmt.Sprintf("\thandle_path /%s/* {\n\t\tpluv {\n\t\t\t%s\n\t\t\t%s\n\t\t}\n\t}\n",
			path, sd, extra)
	}

	if port == 0 {
		return caddyfileFor(t, caddyConfig{Site: block("a", a) + block("b", b)}, s.Port)
	}
	return caddyfileFor(t, caddyConfig{Site: block("a", a)}, s.Port) +
		fmt.Sprintf("\nhttp://127.0.0.1:%d {\n%s}\n", port, block("b", b))
}

// TestSharedRegistryConfig (attack report F2): two pluv handlers of one config that share
// a room registry (one storage_dir, or one name without) must have the same config: with
// different ones the load fails, naming the registry and the option that differs, and the
// running config stays; with identical ones both serve the same rooms.
func TestSharedRegistryConfig(t *testing.T) {
	dir := t.TempDir()
	s := startCaddyConfig(t, caddyConfig{Site: pluvSite(t, dir, authBlock)})
	r := &room{t: t, s: s, id: roomID(t)}
	ann := r.user("ann", "ann", nil)
	other := "auth {\n\t\t\t\tsecret another-secret-456\n\t\t\t}"

	cases := []struct {
		name string
		dir  string
		port int // of a second site holding /b/; 0: one site
		want []string
	}{
		{"one storage_dir", dir, 0, []string{"storage_dir " + dir, "auth", "own storage_dir"}},
		{"two sites without storage_dir or name", "", freePort(t),
			[]string{`name ""`, "auth", "own name"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := s.loadCaddyfile(sharedSites(t, s, tc.dir, authBlock, other, tc.port))
			if err == nil {
				t.Fatal("a config with two configs on one registry was loaded")
			}
			t.Logf("caddy says: %v", err)
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "another-secret-456") {
				t.Errorf("error %q shows a secret", err)
			}
		})
	}
	expectRefused(t, dialAfterReload(t, r.url(r.id), pluvtest.Options{Name: "anon"}), "")

	// Identical configs share the registry: a client of /b/ meets ann, who joined before
	// the reload, and one of /a/.
	if err := s.loadCaddyfile(sharedSites(t, s, dir, authBlock, authBlock, 0)); err != nil {
		t.Fatal(err)
	}
	if info := ann.Closed(); info != nil {
		t.Fatalf("ann was closed by the reload: %+v", *info)
	}
	for _, path := range []string{"a", "b"} {
		u := s.WS + "/" + path + "/?room=" + r.id
		c := dialAfterReload(t, u, pluvtest.Options{
			Name: path, Token: userToken(t, r.id, "user-"+path, ""),
		})
		c.Handshake()
		if _, ok := c.Others()["ann"]; !ok {
			t.Fatalf("a client of /%s/ sees %v, not ann", path, c.Others())
		}
	}
}
