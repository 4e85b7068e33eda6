package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/caddy-pluv/caddy-pluv/internal/bench"
)

// benchSecret is the token secret of the smoke runs' Caddy.
const benchSecret = "bench-smoke-secret"

// startBenchCaddy runs the built Caddy with testdata/bench/Caddyfile, the configuration
// pluvbench is documented with, on a free port.
func startBenchCaddy(t *testing.T) *caddyProc {
	t.Helper()

	config, err := filepath.Abs("../testdata/bench/Caddyfile")
	if err != nil {
		t.Fatal(err)
	}

	port := freePort(t)
	p := execCaddy(t, buildCaddy(t), config, port, []string{
		"PLUV_SECRET=" + benchSecret,
		"PLUV_BENCH_DATA=" + t.TempDir(),
		"PLUV_BENCH_PORT=" + strconv.Itoa(port),
	})
	p.waitListening()

	return p
}

// startFloor builds and runs cmd/pluvfloor on a free loopback port and returns its
// socket URL and pid; it is killed, by its pid, when the test ends.
func startFloor(t *testing.T) (string, int) {
	t.Helper()

	bin := filepath.Join(t.TempDir(), "pluvfloor")
	build := exec.Command("go", "build", "-o", bin, "./cmd/pluvfloor")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/pluvfloor: %v\n%s", err, out)
	}

	cmd := exec.Command(bin, "-addr", "127.0.0.1:0", "-lifetime", "5m")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
			t.Errorf("killing pluvfloor (pid %d): %v", cmd.Process.Pid, err)
		}
		_ = cmd.Wait()
	})

	// "pluvfloor listening on ws://127.0.0.1:PORT (pid N)"
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("reading pluvfloor's address: %v", err)
	}
	fields := strings.Fields(line)
	if len(fields) < 4 || !strings.HasPrefix(fields[3], "ws://127.0.0.1:") {
		t.Fatalf("pluvfloor said %q", line)
	}

	return fields[3] + "/", cmd.Process.Pid
}

// smokeRun runs one short benchmark and returns its JSON line, decoded.
func smokeRun(t *testing.T, cfg bench.Config) map[string]any {
	t.Helper()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	res, err := bench.Run(ctx, cfg)
	if err != nil {
		t.Fatalf("%s on %s: %v", cfg.Scenario, cfg.Target, err)
	}

	var line bytes.Buffer
	if err := res.WriteJSON(&line); err != nil {
		t.Fatal(err)
	}

	var summary strings.Builder
	res.WriteSummary(&summary)
	t.Logf("%s%s", line.String(), summary.String())

	var m map[string]any
	if err := json.Unmarshal(line.Bytes(), &m); err != nil {
		t.Fatalf("JSON line %q: %v", line.String(), err)
	}

	if m["disconnects"] != 0.0 || m["server_errors"] != 0.0 {
		t.Errorf("%s on %s: disconnects %v, $error frames %v", cfg.Scenario, cfg.Target,
			m["disconnects"], m["server_errors"])
	}

	return m
}

// smokeConfig is a short run at low rate of scenario against url.
func smokeConfig(scenario, target, url string, pid int) bench.Config {
	return bench.Config{
		Scenario: scenario, Target: target, URL: url, PID: pid,
		Rooms: 2, Clients: 4, Senders: 2, Rate: 20, Payload: 128,
		Duration: 700 * time.Millisecond, Warmup: 150 * time.Millisecond, Concurrency: 8,
		EventName: "bench", EventOutput: "benched",
	}
}

// Checks of one smoke run's JSON line.

// delivered: messages arrived and, at this low rate, none is missing.
func delivered(t *testing.T, m map[string]any) {
	t.Helper()
	if d, _ := m["delivered"].(float64); d <= 0 || m["missing"] != 0.0 {
		t.Errorf("delivered %v, missing %v: want some and none", m["delivered"], m["missing"])
	}
}

// relayedDoc: storage edits were relayed and the late joiner got the whole document.
func relayedDoc(t *testing.T, m map[string]any) {
	t.Helper()
	delivered(t, m)
	s, _ := m["storage"].(map[string]any)
	if late, _ := s["late_join_received_bytes"].(float64); late < 90e3 {
		t.Errorf("late joiner got %v bytes of a 100 KB document", late)
	}
	if r, _ := s["relayed_bytes_per_edit_per_peer"].(float64); r <= 0 {
		t.Errorf("relayed %v bytes per edit", r)
	}
}

// joinedAll: every join of the connect scenario completed.
func joinedAll(t *testing.T, m map[string]any) {
	t.Helper()
	c, _ := m["connect"].(map[string]any)
	if c["joins"] != c["attempted"] || c["joins"] == 0.0 {
		t.Errorf("joins %v of %v", c["joins"], c["attempted"])
	}
}

// idleHeld: the idle scenario held its sockets and read the server's RSS.
func idleHeld(t *testing.T, m map[string]any) {
	t.Helper()
	i, _ := m["idle"].(map[string]any)
	if i["connections"] != 8.0 || i["rss_after_kb"] == 0.0 {
		t.Errorf("idle: %v", i)
	}
}

// TestBenchSmoke runs every pluvbench scenario for about a second against the Caddy of
// testdata/bench and the floor ones against pluvfloor: each run must deliver, at this
// low rate, every message it sent, and report its scenario's figures.
func TestBenchSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs Caddy and pluvfloor")
	}

	caddy := startBenchCaddy(t)
	pluvURL := caddy.WS + "/api/pluv/room"
	tokenURL := "http://" + strings.TrimPrefix(caddy.WS, "ws://") +
		"/api/pluv/bench-token?room={room}&user={user}"
	pid := caddy.cmd.Process.Pid
	floorURL, floorPID := startFloor(t)

	presence := smokeConfig(bench.ScenarioPresence, "pluv", pluvURL, pid)
	presence.Senders, presence.Rate = 0, 5
	storage := smokeConfig(bench.ScenarioStorage, "pluv", pluvURL, pid)
	storage.Clients, storage.DocSize = 3, 100e3
	connect := smokeConfig(bench.ScenarioConnect, "pluv", pluvURL, pid)
	connect.TokenURL, connect.Duration = tokenURL, 10*time.Second
	floorConnect := smokeConfig(bench.ScenarioConnect, "floor", floorURL, floorPID)
	floorConnect.Duration = 10 * time.Second

	cases := []struct {
		name  string
		cfg   bench.Config
		check func(*testing.T, map[string]any)
	}{
		{"pluv fanout-event", smokeConfig(bench.ScenarioEvent, "pluv", pluvURL, pid),
			delivered},
		{"pluv fanout-presence", presence, delivered},
		{"pluv storage", storage, relayedDoc},
		{"pluv connect", connect, joinedAll},
		{"pluv idle", smokeConfig(bench.ScenarioIdle, "pluv", pluvURL, pid), idleHeld},
		{"floor fanout-event", smokeConfig(bench.ScenarioEvent, "floor", floorURL, floorPID),
			delivered},
		{"floor connect", floorConnect, joinedAll},
		{"floor idle", smokeConfig(bench.ScenarioIdle, "floor", floorURL, floorPID),
			idleHeld},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.cfg.Target == "pluv" && tc.cfg.TokenURL == "" {
				tc.cfg.Secret = benchSecret
			}
			tc.check(t, smokeRun(t, tc.cfg))
		})
	}
}
