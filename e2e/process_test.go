package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// buildCaddy builds ./cmd/caddy into a temp dir of t and returns the binary's path. With
// -race on the tests, the binary gets it too: the build then reuses the packages compiled
// for the tests, and the process reports its own data races.
func buildCaddy(t *testing.T) string {
	t.Helper()

	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("finding the go command: %v", err)
	}

	out := filepath.Join(t.TempDir(), "caddy")
	args := []string{"build", "-o", out}
	if raceEnabled {
		args = append(args, "-race")
	}

	cmd := exec.Command(goBin, append(args, "./cmd/caddy")...)
	cmd.Dir = ".."
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/caddy: %v\n%s", err, b)
	}

	return out
}

// caddyProc is the plugin's Caddy running as a child process on 127.0.0.1.
type caddyProc struct {
	// WS is the base socket URL, e.g. ws://127.0.0.1:41234.
	WS string
	// LogFile receives Caddy's logs as JSON lines (level INFO).
	LogFile string

	t      testing.TB
	cmd    *exec.Cmd
	out    *lockedBuffer // stdout and stderr
	exited chan struct{} // closed when the process has been waited for
	err    error         // the wait result, set before exited closes
}

// lockedBuffer is a bytes.Buffer safe for the process's output copier and the test.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()

	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()

	return b.buf.String()
}

// runCaddyProc starts bin with a Caddyfile holding site on a free port, without waiting
// for it to listen. The process is killed, by its PID, when the test ends.
func runCaddyProc(t *testing.T, bin, site string) *caddyProc {
	t.Helper()

	port := freePort(t)
	home := t.TempDir()
	logFile := filepath.Join(home, "caddy.log")
	config := filepath.Join(home, "Caddyfile")
	text := caddyfileFor(t, caddyConfig{Site: site, LogFile: logFile}, port)
	if err := os.WriteFile(config, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}

	p := execCaddy(t, bin, config, port, nil)
	p.LogFile = logFile

	return p
}

// execCaddy runs bin with the Caddyfile at config, which must listen on 127.0.0.1:port,
// and env added to the environment. The process is killed, by its PID, when the test
// ends.
func execCaddy(t *testing.T, bin, config string, port int, env []string) *caddyProc {
	t.Helper()

	home := t.TempDir()
	p := &caddyProc{
		WS:     fmt.Sprintf("ws://127.0.0.1:%d", port),
		t:      t,
		out:    &lockedBuffer{},
		exited: make(chan struct{}),
	}
	p.cmd = exec.Command(bin, "run", "--config", config, "--adapter", "caddyfile")
	p.cmd.Env = append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+home,
		"XDG_DATA_HOME="+home)
	p.cmd.Env = append(p.cmd.Env, env...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("starting caddy: %v", err)
	}

	go func() {
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(p.kill)

	return p
}

// startCaddyProc is [runCaddyProc] that waits until Caddy accepts connections.
func startCaddyProc(t *testing.T, bin, site string) *caddyProc {
	t.Helper()

	p := runCaddyProc(t, bin, site)
	p.waitListening()

	return p
}

// waitListening waits until the process accepts connections on its port.
func (p *caddyProc) waitListening() {
	t := p.t
	t.Helper()

	addr := strings.TrimPrefix(p.WS, "ws://")
	deadline := time.Now().Add(20 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()

	for {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			conn.Close()
			return
		}

		select {
		case <-p.exited:
			t.Fatalf("caddy exited before listening (%v):\n%s", p.err, p.out)
		case <-tick.C:
		}

		if time.Now().After(deadline) {
			t.Fatalf("caddy not listening on %s after 20 s:\n%s", addr, p.out)
		}
	}
}

// kill sends SIGKILL to the process (by its PID) and waits for it; it does nothing once
// the process has exited.
func (p *caddyProc) kill() {
	select {
	case <-p.exited:
		return
	default:
	}

	if err := p.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		p.t.Errorf("killing caddy (pid %d): %v", p.cmd.Process.Pid, err)
	}

	<-p.exited
}

// wait waits for the process to exit on its own and returns its output.
func (p *caddyProc) wait(ctx context.Context) (string, error) {
	select {
	case <-p.exited:
		return p.out.String(), p.err
	case <-ctx.Done():
		return p.out.String(), fmt.Errorf("caddy still running: %w", ctx.Err())
	}
}

// logLines returns Caddy's log lines that contain s.
func (p *caddyProc) logLines(s string) []string {
	b, _ := os.ReadFile(p.LogFile)

	var lines []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, s) {
			lines = append(lines, l)
		}
	}

	return lines
}
