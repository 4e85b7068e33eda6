package yjs

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// jsDir is the Node project holding the pinned yjs.
const jsDir = "../js"

// requireNode returns the node binary for tests that run the real yjs. Without
// js/node_modules (or node) the test is skipped, unless CI=true, where it fails.
func requireNode(t testing.TB) string {
	t.Helper()
	missing := func(why string) {
		msg := why + "; run `npm ci --prefix js` to enable the tests against the real yjs"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	if _, err := os.Stat(filepath.Join(jsDir, "node_modules", "yjs", "package.json")); err != nil {
		missing("js/node_modules/yjs is missing")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("node is not on PATH")
	}
	return node
}
