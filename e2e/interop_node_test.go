package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// nodeProject returns the js/ directory and the node binary, or skips the test when Node or
// the pinned packages are missing (run `npm ci --prefix js`). With CI=true it fails instead,
// so a CI run cannot pass by skipping.
func nodeProject(t *testing.T) (dir, node string) {
	t.Helper()

	dir, err := filepath.Abs(filepath.Join("..", "js"))
	if err != nil {
		t.Fatalf("finding js/: %v", err)
	}

	missing := ""
	node, err = exec.LookPath("node")
	if err != nil {
		missing = "node is not on PATH"
	}

	var absent []string
	for _, pkg := range []string{"yjs", "ws"} {
		if _, err := os.Stat(filepath.Join(dir, "node_modules", pkg, "package.json")); err != nil {
			absent = append(absent, pkg)
		}
	}

	if len(absent) > 0 {
		missing = "js/node_modules lacks " + strings.Join(absent, " and ") +
			" (run npm ci --prefix js)"
	}

	if missing == "" {
		return dir, node
	}

	if os.Getenv("CI") == "true" {
		t.Fatalf("interop test needs Node: %s", missing)
	}

	t.Skipf("skipping the Node interop test: %s", missing)

	return "", ""
}

// runNodeScript runs `node <script>` in dir with env added, logs its stderr, fails the test
// unless it exits 0, and decodes the last line of its stdout (one JSON object) into result.
func runNodeScript(
	ctx context.Context,
	t *testing.T,
	node, dir, script string,
	env []string,
	result any,
) {
	t.Helper()

	cmd := exec.CommandContext(ctx, node, script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.WaitDelay = 5 * time.Second

	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr

	started := time.Now()
	err := cmd.Run()
	if stderr.Len() > 0 {
		t.Logf("%s stderr:\n%s", script, stderr.String())
	}

	if err != nil {
		t.Fatalf("%s failed after %v: %v\nstdout:\n%s", script, time.Since(started), err,
			stdout.String())
	}

	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	last := lines[len(lines)-1]
	t.Logf("%s (%v): %s", script, time.Since(started).Round(time.Millisecond), last)

	if err := json.Unmarshal([]byte(last), result); err != nil {
		t.Fatalf("%s: decoding its result %q: %v", script, last, err)
	}
}

// TestInteropJSUnit runs the Node unit tests of js/ (our client against a scripted fake server, the
// token app, the demo's textarea maths), so `go test ./...` covers them too.
func TestInteropJSUnit(t *testing.T) {
	dir, node := nodeProject(t)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	cmd := exec.CommandContext(ctx, node, "--test", "unit/")
	cmd.Dir = dir
	cmd.WaitDelay = 5 * time.Second

	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node --test unit/: %v\n%s", err, out)
	}

	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	t.Logf("node --test unit/: %s", strings.Join(lines[max(0, len(lines)-8):], " | "))
}
