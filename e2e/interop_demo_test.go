package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
)

// startTokenApp starts the demo token app (node js/tokenapp/server.mjs) on a free port and
// returns that port; it is stopped when the test ends.
func startTokenApp(ctx context.Context, t *testing.T, node, dir, secret string) int {
	t.Helper()

	cmd := exec.CommandContext(ctx, node, "tokenapp/server.mjs")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PLUV_SECRET="+secret, "TOKENAPP_PORT=0")
	cmd.Stderr = os.Stderr
	cmd.WaitDelay = 5 * time.Second

	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatalf("token app stdout: %v", err)
	}

	if err := cmd.Start(); err != nil {
		t.Fatalf("starting the token app: %v", err)
	}

	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
	})

	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("reading the token app's first line: %v", err)
	}

	var port int
	m := regexp.MustCompile(`127\.0\.0\.1:(\d+)`).FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("token app said %q, want its address", line)
	}

	fmt.Sscan(m[1], &port)

	return port
}

// loadDemoCaddyfile adapts testdata/Caddyfile with env and runs it in this process, with the
// admin endpoint off and Caddy's own storage in a temp dir. The cwd must be the repo root.
func loadDemoCaddyfile(t *testing.T) {
	t.Helper()

	src, err := os.ReadFile(filepath.Join("testdata", "Caddyfile"))
	if err != nil {
		t.Fatalf("reading the demo Caddyfile: %v", err)
	}

	adapter := caddyconfig.GetAdapter("caddyfile")
	cfgJSON, _, err := adapter.Adapt(src, map[string]any{"filename": "testdata/Caddyfile"})
	if err != nil {
		t.Fatalf("adapting testdata/Caddyfile: %v", err)
	}

	var cfg map[string]any
	if err := json.Unmarshal(cfgJSON, &cfg); err != nil {
		t.Fatalf("decoding the adapted config: %v", err)
	}

	cfg["admin"] = map[string]any{"disabled": true, "config": map[string]any{"persist": false}}
	cfg["storage"] = map[string]any{"module": "file_system", "root": t.TempDir()}
	if os.Getenv("PLUV_E2E_DEBUG") == "" {
		cfg["logging"] = map[string]any{"logs": map[string]any{"default": map[string]any{
			"level": "ERROR",
		}}}
	}

	cfgJSON, err = json.Marshal(cfg)
	if err != nil {
		t.Fatalf("encoding the config: %v", err)
	}

	caddyMu.Lock()
	if err := caddy.Load(cfgJSON, true); err != nil {
		_ = caddy.Stop()
		caddyMu.Unlock()
		t.Fatalf("loading the demo config: %v", err)
	}

	t.Cleanup(func() {
		defer caddyMu.Unlock()
		if err := caddy.Stop(); err != nil {
			t.Errorf("stopping caddy: %v", err)
		}
	})
}

// TestInteropDemoSite runs the demo's own testdata/Caddyfile in this process, with the demo
// token app behind reverse_proxy, and drives it with our JS client through both token paths
// (basic_auth + pluv_token, and the token app): users, presence, the seed's events with
// their validation, strict_events, storage, the page and the plain-GET answer.
func TestInteropDemoSite(t *testing.T) {
	dir, node := nodeProject(t)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	const secret = "demo-site-test-secret"
	t.Chdir("..")
	t.Setenv("PLUV_SECRET", secret)
	t.Setenv("PLUV_PORT", fmt.Sprint(freePort(t)))
	t.Setenv("PLUV_DATA", t.TempDir())
	t.Setenv("TOKENAPP_PORT", fmt.Sprint(startTokenApp(ctx, t, node, dir, secret)))
	loadDemoCaddyfile(t)

	var res struct {
		OK bool `json:"ok"`
	}

	env := []string{"DEMO_URL=http://localhost:" + os.Getenv("PLUV_PORT")}
	runNodeScript(ctx, t, node, dir, "interop/demo-site.mjs", env, &res)
}
