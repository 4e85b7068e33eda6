package pluv

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"
)

// lockSupported says whether this system locks the storage directory.
func lockSupported() bool {
	switch runtime.GOOS {
	case "darwin", "dragonfly", "freebsd", "linux", "netbsd", "openbsd":
		return true
	}
	return false
}

// TestStorageDirLocked: a second server on a storage dir fails with an error naming the
// dir until the first one is closed; the dir is created (0700) when missing.
func TestStorageDirLocked(t *testing.T) {
	if !lockSupported() {
		t.Skip("the storage directory is not locked on " + runtime.GOOS)
	}
	dir := filepath.Join(t.TempDir(), "rooms", "nested")
	first, err := NewServer(Config{StorageDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(dir)
	if err != nil || info.Mode().Perm() != 0o700 {
		t.Fatalf("storage dir: %v %v, want mode 0700", info, err)
	}
	_, err = NewServer(Config{StorageDir: dir})
	if !errors.Is(err, errDirLocked) || !strings.Contains(err.Error(), dir) {
		t.Fatalf("second server: %v, want errDirLocked naming %s", err, dir)
	}
	if err := first.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	third, err := NewServer(Config{StorageDir: dir})
	if err != nil {
		t.Fatalf("server after the first closed: %v", err)
	}
	if err := third.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestProvisionRefusesLockedDir: a handler whose storage_dir another server holds (as
// another Caddy process would) fails to provision, naming the dir.
func TestProvisionRefusesLockedDir(t *testing.T) {
	if !lockSupported() {
		t.Skip("the storage directory is not locked on " + runtime.GOOS)
	}
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	holder, err := NewServer(Config{StorageDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = holder.Close(context.Background()) })
	ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
	defer cancel()
	h := &Handler{Config: Config{StorageDir: dir, Auth: &AuthConfig{Secret: testSecret}}}
	err = h.Provision(ctx)
	if err == nil {
		_ = h.Cleanup()
		t.Fatal("provisioned on a locked storage_dir")
	}
	if !errors.Is(err, errDirLocked) || !strings.Contains(err.Error(), dir) {
		t.Fatalf("provision error %q does not name the locked dir %s", err, dir)
	}
}

func TestIsTempFileName(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{".tmp-r.yjs-12345", true},
		{".tmp-_my___room.yjs-9", true},
		{"r.yjs", false},
		{".tmp-r.yjs-", false},
		{".tmp-r.yjs-12a", false},
		{".tmp-notes", false},
		{".tmp-R.yjs-1", false},
		{".lock", false},
		{"tmp-r.yjs-1", false},
		{".r.yjs.123.tmp", false},
	}
	for _, tt := range tests {
		if got := isTempFileName(tt.name); got != tt.want {
			t.Errorf("isTempFileName(%q) = %v, want %v", tt.name, got, tt.want)
		}
		if _, ok := roomIDFromFileName(tt.name); ok && tt.want {
			t.Errorf("temp name %q reads as a room file", tt.name)
		}
	}
}

// TestStartRemovesTempFiles: temp files a crash left are removed when a server starts
// on the dir; room files and files that are not ours stay, and rooms load their file.
func TestStartRemovesTempFiles(t *testing.T) {
	dir := t.TempDir()
	saved := textInsert(1, 0, "saved")
	files := map[string][]byte{
		"r.yjs":            saved,
		".tmp-r.yjs-1234":  saved[:4], // a write cut short
		".tmp-q.yjs-99":    nil,
		".tmp-notes":       []byte("someone else's"),
		"readme.txt":       []byte("kept"),
		".tmp-r.yjs-1234x": []byte("not ours"),
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	srv, logs := storageServer(t, Config{StorageDir: dir}, newDiskWriter())
	var left []string
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		left = append(left, e.Name())
	}
	want := []string{".lock", ".tmp-notes", ".tmp-r.yjs-1234x", "r.yjs", "readme.txt"}
	if !slices.Equal(left, want) {
		t.Fatalf("dir holds %v, want %v", left, want)
	}
	if n := logs.FilterMessage("removed temp file left by an interrupted write").Len(); n != 2 {
		t.Fatalf("%d removals logged, want 2", n)
	}
	rm, err := srv.GetRoom("r")
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := roomState(rm); string(st) != string(saved) {
		t.Fatalf("room loaded %x, want %x", st, saved)
	}
}
