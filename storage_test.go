package pluv

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRoomFileName(t *testing.T) {
	tests := []struct {
		id, want string
	}{
		{"my-room", "my-room.yjs"},
		{"My_Room", "_my___room.yjs"},
		{"ABC", "_a_b_c.yjs"},
		{"..", "_-2e_-2e.yjs"},
		{"../etc/passwd", "_-2e_-2e_-2fetc_-2fpasswd.yjs"},
		{"a\\b", "a_-5cb.yjs"},
		{"a\x00b", "a_-00b.yjs"},
		{"é", "_-c3_-a9.yjs"},
		{"a.yjs", "a_-2eyjs.yjs"},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			got, err := roomFileName(tt.id)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("roomFileName(%q) = %q, want %q", tt.id, got, tt.want)
			}
			if strings.ContainsAny(got, "/\\\x00") || filepath.Base(got) != got ||
				strings.HasPrefix(got, ".") {
				t.Fatalf("name %q can leave its directory or hide", got)
			}
			back, ok := roomIDFromFileName(got)
			if !ok || back != tt.id {
				t.Fatalf("round trip of %q gave %q %v", tt.id, back, ok)
			}
		})
	}
}

func TestRoomFileNameCaseDistinct(t *testing.T) {
	ids := []string{"ab", "Ab", "aB", "AB", "a_b", "a__b", "A_b"}
	seen := map[string]string{}
	for _, id := range ids {
		name, err := roomFileName(id)
		if err != nil {
			t.Fatal(err)
		}
		// Names must differ even on a case-insensitive file system.
		low := strings.ToLower(name)
		if prev, dup := seen[low]; dup {
			t.Fatalf("%q and %q map to the same file %q", prev, id, name)
		}
		seen[low] = id
	}
}

func TestRoomFileNameTooLong(t *testing.T) {
	if _, err := roomFileName(strings.Repeat("a", 251)); err != nil {
		t.Fatalf("251 lower-case letters: %v", err)
	}
	_, err := roomFileName(strings.Repeat("A", 128))
	if !errors.Is(err, errNameTooLong) {
		t.Fatalf("128 capitals: err = %v, want errNameTooLong", err)
	}
}

func TestRoomIDFromFileNameRejects(t *testing.T) {
	for _, name := range []string{"a.txt", "A.yjs", "_.yjs", "_-2.yjs", "_-zz.yjs", "a b.yjs",
		"_1.yjs"} {
		if id, ok := roomIDFromFileName(name); ok {
			t.Errorf("roomIDFromFileName(%q) = %q, want rejection", name, id)
		}
	}
}

func FuzzRoomFileName(f *testing.F) {
	for _, s := range []string{"a", "My_Room", "../x", "é", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		name, err := roomFileName(id)
		if err != nil {
			return
		}
		if strings.ContainsAny(name, "/\\\x00") || strings.HasPrefix(name, ".") {
			t.Fatalf("unsafe name %q for %q", name, id)
		}
		back, ok := roomIDFromFileName(name)
		if !ok || back != id {
			t.Fatalf("round trip of %q: %q %v", id, back, ok)
		}
	})
}

func TestWriteAndLoadRoomFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "r.yjs")
	data, err := loadRoomFile(path)
	if err != nil || data != nil {
		t.Fatalf("missing file: %v %v", data, err)
	}
	for _, content := range [][]byte{{0, 0}, bytes.Repeat([]byte{1, 2, 3}, 1000)} {
		if err := writeRoomFile(path, content); err != nil {
			t.Fatal(err)
		}
		got, err := loadRoomFile(path)
		if err != nil || !bytes.Equal(got, content) {
			t.Fatalf("loaded %d bytes (%v), want %d", len(got), err, len(content))
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("temp files left behind: %v", entries)
	}
	if err := writeRoomFile(filepath.Join(dir, "missing", "r.yjs"), []byte{0}); err == nil {
		t.Fatal("write into a missing directory succeeded")
	}
}
