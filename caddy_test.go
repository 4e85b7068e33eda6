package pluv

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
	_ "github.com/caddyserver/caddy/v2/modules/standard"
)

// freePort returns a loopback port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// loadCaddyfile adapts and loads a Caddyfile into the in-process Caddy.
func loadCaddyfile(t *testing.T, src string) {
	t.Helper()
	cfg, _, err := caddyconfig.GetAdapter("caddyfile").Adapt([]byte(src), nil)
	if err != nil {
		t.Fatalf("adapting: %v", err)
	}
	if err := caddy.Load(cfg, true); err != nil {
		t.Fatalf("loading: %v", err)
	}
}

// caddyConfig is a test Caddyfile serving pluv under /room/<id> behind encode, header
// and intercept (each wraps the response writer), with a token endpoint at /auth; extra
// goes into the pluv block.
func caddyConfig(dir string, port int, withPluv bool, extra string) string {
	pluv := ""
	if withPluv {
		pluv = fmt.Sprintf(`pluv /room/* {
		room {http.request.uri.path.1}
		storage_dir %s/rooms
		auth {
			secret s3cret
		}
		%s
	}`, dir, extra)
	}
	return fmt.Sprintf(`{
	admin off
	persist_config off
	auto_https off
	storage file_system %s/caddy
}
http://127.0.0.1:%d {
	encode gzip
	header X-Wrapped yes
	intercept {
		@missing status 404
		handle_response @missing {
			respond "intercepted" 404
		}
	}
	pluv_token /auth {
		secret s3cret
		user_id {http.request.header.X-User}
		user name {http.request.header.X-Name}
	}
	%s
	respond "fallthrough"
}
`, dir, port, pluv)
}

// TestCaddyEndToEnd runs the plugin inside Caddy: pass-through, the token endpoint, a
// websocket through `encode`, `header` and `intercept`, a reload that keeps the socket
// and a removal that ends it.
// It uses a fixed port and the process-wide Caddy instance, so it is not parallel.
func TestCaddyEndToEnd(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", dir)
	t.Setenv("XDG_DATA_HOME", dir)
	port := freePort(t)
	base := fmt.Sprintf("127.0.0.1:%d", port)
	loadCaddyfile(t, caddyConfig(dir, port, true, ""))
	t.Cleanup(func() { _ = caddy.Stop() })

	if body := httpGet(t, "http://"+base+"/room/abc", nil, http.StatusOK); body != "fallthrough" {
		t.Fatalf("plain request got %q, want the next handler", body)
	}
	httpGet(t, "http://"+base+"/auth?room=abc", nil, http.StatusUnauthorized)
	httpGet(t, "http://"+base+"/auth?room=-bad", map[string]string{"X-User": "ann"},
		http.StatusBadRequest)
	tok := httpGet(t, "http://"+base+"/auth?room=abc",
		map[string]string{"X-User": "ann", "X-Name": "Ann"}, http.StatusOK)

	hdr := http.Header{"Accept-Encoding": {"gzip"}}
	ws, resp, err := websocket.DefaultDialer.Dial("ws://"+base+"/room/abc?token="+tok, hdr)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Header.Get("X-Wrapped") != "yes" {
		t.Fatalf("upgrade response headers %v: the header handler did not run", resp.Header)
	}
	c := &testClient{t: t, ws: ws, frames: make(chan frame, 64), done: make(chan struct{})}
	go c.read()
	t.Cleanup(func() { ws.Close() })
	reg := c.register()
	if reg.Room != "abc" || string(reg.User) != `{"id":"ann","name":"Ann"}` {
		t.Fatalf("$registered = %s", reg.raw)
	}
	refs, _ := servers.References(dir + "/rooms")
	if refs != 1 {
		t.Fatalf("registry references = %d, want 1", refs)
	}

	// A reload keeps the registry and the socket, and the new config applies.
	loadCaddyfile(t, caddyConfig(dir, port, true, "strict_events"))
	c.send("UNDEFINED", map[string]any{})
	c.expect(msgError)
	c.send(msgPing, map[string]any{})
	eventuallyPong(t, c)

	// Removing the handler closes the socket with a final code.
	loadCaddyfile(t, caddyConfig(dir, port, false, ""))
	if code := c.closeCode(); code != CloseHandlerRemoved {
		t.Fatalf("close code %d, want %d", code, CloseHandlerRemoved)
	}
}

// httpGet fetches url with headers and checks the status; it returns the body.
func httpGet(t *testing.T, url string, headers map[string]string, status int) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != status {
		t.Fatalf("GET %s: status %d, want %d: %s", url, resp.StatusCode, status, b)
	}
	if status == http.StatusOK && strings.Contains(url, "/auth") &&
		!strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("token content type %q", resp.Header.Get("Content-Type"))
	}
	return string(b)
}
