// Package e2e holds end-to-end tests: a real Caddy with the pluv plugin, started in this
// process on 127.0.0.1, driven over real sockets by strict pluvtest clients and Node scripts.
package e2e

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
	_ "github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	_ "github.com/caddyserver/caddy/v2/modules/standard"

	_ "github.com/caddy-pluv/caddy-pluv" // the pluv and pluv_token handlers
)

// caddyMu makes sure only one in-process Caddy runs at a time: Caddy's config is global to
// the process, so tests that start one must not call t.Parallel.
var caddyMu sync.Mutex

// caddyConfig is one Caddy to start.
type caddyConfig struct {
	// Site is the body of the one site block (directives), served at http://127.0.0.1:PORT.
	Site string
	// Global is extra global options, added inside the global block.
	Global string
	// Port is the port to listen on; 0 picks a free one.
	Port int
	// LogFile, when set, receives Caddy's logs (JSON lines, level INFO) instead of stderr.
	LogFile string
	// LogLevel, when set with LogFile, replaces its level (e.g. DEBUG).
	LogLevel string
	// Admin, when set, is the admin endpoint's address (a loopback host:port); by
	// default the admin endpoint is off.
	Admin string
}

// caddyServer is a running in-process Caddy.
type caddyServer struct {
	// HTTP is the base URL, e.g. http://127.0.0.1:41234 (no trailing slash).
	HTTP string
	// WS is the same base with the ws scheme, e.g. ws://127.0.0.1:41234.
	WS string
	// Port is the port Caddy listens on.
	Port int

	t       testing.TB
	stopped bool
}

// startCaddy starts Caddy with one site on 127.0.0.1 and a free port whose block holds the
// given directives, and returns its base http and ws URLs (no trailing slash). Caddy stops
// when the test ends. Do not call t.Parallel in tests that use it.
//
//	httpURL, wsURL := startCaddy(t, `pluv { storage_dir `+t.TempDir()+` }`)
func startCaddy(t testing.TB, site string) (httpURL, wsURL string) {
	t.Helper()

	s := startCaddyConfig(t, caddyConfig{Site: site})

	return s.HTTP, s.WS
}

// startCaddyConfig starts Caddy from cfg; see [startCaddy].
func startCaddyConfig(t testing.TB, cfg caddyConfig) *caddyServer {
	t.Helper()

	caddyMu.Lock()

	var err error
	for attempt := 0; attempt < 3; attempt++ {
		port := cfg.Port
		if port == 0 {
			port = freePort(t)
		}

		var s *caddyServer
		s, err = loadCaddy(t, cfg, port)
		if err == nil {
			t.Cleanup(s.Stop)
			return s
		}

		if cfg.Port != 0 || !errors.Is(err, syscall.EADDRINUSE) {
			break
		}
	}

	caddyMu.Unlock()
	t.Fatalf("starting caddy: %v", err)

	return nil
}

// loadCaddy adapts the Caddyfile for cfg on port and loads it into this process.
func loadCaddy(t testing.TB, cfg caddyConfig, port int) (*caddyServer, error) {
	t.Helper()

	caddyfile := caddyfileFor(t, cfg, port)
	adapter := caddyconfig.GetAdapter("caddyfile")
	cfgJSON, warns, err := adapter.Adapt([]byte(caddyfile), map[string]any{"filename": "Caddyfile"})
	if err != nil {
		return nil, fmt.Errorf("adapting Caddyfile:\n%s\n: %w", caddyfile, err)
	}

	for _, w := range warns {
		if strings.Contains(w.Message, "not formatted") {
			continue // the tests' Caddyfiles are indented for Go, not for caddy fmt
		}

		t.Logf("caddyfile warning: %s:%d: %s", w.File, w.Line, w.Message)
	}

	if err := caddy.Load(cfgJSON, true); err != nil {
		_ = caddy.Stop()
		return nil, fmt.Errorf("loading config: %w", err)
	}

	base := fmt.Sprintf("127.0.0.1:%d", port)

	return &caddyServer{HTTP: "http://" + base, WS: "ws://" + base, Port: port, t: t}, nil
}

// caddyfileFor renders the whole Caddyfile: quiet global options (no admin endpoint
// unless cfg.Admin, no autosave, no HTTPS, storage in a temp dir) and the site block.
func caddyfileFor(t testing.TB, cfg caddyConfig, port int) string {
	t.Helper()

	level, output := "ERROR", "stderr"
	if os.Getenv("PLUV_E2E_DEBUG") != "" {
		level = "DEBUG"
	}

	if cfg.LogFile != "" {
		level, output = "INFO", "file "+cfg.LogFile
		if cfg.LogLevel != "" {
			level = cfg.LogLevel
		}
	}

	var b strings.Builder
	admin := "off"
	if cfg.Admin != "" {
		admin = cfg.Admin
	}

	fmt.Fprintf(&b, "{\n\tadmin %s\n\tpersist_config off\n\tauto_https off\n", admin)
	fmt.Fprintf(&b, "\tskip_install_trust\n\tgrace_period 2s\n")
	fmt.Fprintf(&b, "\tstorage file_system %s\n", t.TempDir())
	fmt.Fprintf(&b, "\tlog {\n\t\toutput %s\n\t\tlevel %s\n\t}\n", output, level)
	if cfg.Global != "" {
		fmt.Fprintf(&b, "%s\n", cfg.Global)
	}

	fmt.Fprintf(&b, "}\n\nhttp://127.0.0.1:%d {\n%s\n}\n", port, cfg.Site)

	return b.String()
}

// Reload loads cfg into the running Caddy on the same port, as `caddy reload` does: the new
// handlers are provisioned before the old ones are cleaned up.
func (s *caddyServer) Reload(cfg caddyConfig) {
	s.t.Helper()

	caddyfile := caddyfileFor(s.t, cfg, s.Port)
	cfgJSON, _, err := caddyconfig.GetAdapter("caddyfile").Adapt([]byte(caddyfile),
		map[string]any{"filename": "Caddyfile"})
	if err != nil {
		s.t.Fatalf("adapting Caddyfile:\n%s\n: %v", caddyfile, err)
	}

	if err := caddy.Load(cfgJSON, true); err != nil {
		s.t.Fatalf("reloading caddy: %v", err)
	}
}

// Stop stops Caddy (idempotent); another Caddy may be started after it.
func (s *caddyServer) Stop() {
	if s.stopped {
		return
	}

	s.stopped = true
	if err := caddy.Stop(); err != nil {
		s.t.Errorf("stopping caddy: %v", err)
	}

	caddyMu.Unlock()
}

// freePort returns a port on 127.0.0.1 that was free a moment ago.
func freePort(t testing.TB) int {
	t.Helper()

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("finding a free port: %v", err)
	}
	defer l.Close()

	return l.Addr().(*net.TCPAddr).Port
}
