package pluv

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// roomFileExt is the extension of room files; their content is a raw Yjs v1 update.
const roomFileExt = ".yjs"

// maxFileNameLength is the longest file name common file systems accept.
const maxFileNameLength = 255

// maxStoredRoomIDLength is the longest room id whose file name always fits: a valid id
// takes at most two bytes per character (`_` and capitals are escaped) plus the extension.
const maxStoredRoomIDLength = (maxFileNameLength - len(roomFileExt)) / 2

// errNameTooLong is returned when a room id's file name would not fit a directory entry.
var errNameTooLong = errors.New("room file name too long")

// roomFileName encodes a room id as a file name that keeps case apart on case-insensitive
// file systems and cannot leave its directory: [a-z0-9-] stay, `_` becomes `__`, an
// uppercase letter X becomes `_x`, and any other byte becomes `_-` and two hex digits.
func roomFileName(id string) (string, error) {
	if id == "" {
		return "", errors.New("empty room id")
	}
	var b strings.Builder
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-':
			b.WriteByte(c)
		case c == '_':
			b.WriteString("__")
		case c >= 'A' && c <= 'Z':
			b.WriteByte('_')
			b.WriteByte(c + ('a' - 'A'))
		default:
			fmt.Fprintf(&b, "_-%02x", c)
		}
	}
	b.WriteString(roomFileExt)
	if b.Len() > maxFileNameLength {
		return "", fmt.Errorf("%w: %d bytes", errNameTooLong, b.Len())
	}
	return b.String(), nil
}

// roomIDFromFileName reverses [roomFileName]; ok is false for names it never produces.
func roomIDFromFileName(name string) (id string, ok bool) {
	name, ok = strings.CutSuffix(name, roomFileExt)
	if !ok {
		return "", false
	}
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-':
			b.WriteByte(c)
		case c != '_' || i+1 >= len(name):
			return "", false
		case name[i+1] == '_':
			b.WriteByte('_')
			i++
		case name[i+1] >= 'a' && name[i+1] <= 'z':
			b.WriteByte(name[i+1] - ('a' - 'A'))
			i++
		case name[i+1] == '-' && i+3 < len(name):
			v, good := hexByte(name[i+2], name[i+3])
			if !good {
				return "", false
			}
			b.WriteByte(v)
			i += 3
		default:
			return "", false
		}
	}
	return b.String(), true
}

// hexByte decodes two lower-case hex digits.
func hexByte(hi, lo byte) (byte, bool) {
	h, ok1 := hexDigit(hi)
	l, ok2 := hexDigit(lo)
	return h<<4 | l, ok1 && ok2
}

func hexDigit(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// loadRoomFile reads a room's saved state; a missing file is not an error (nil data).
func loadRoomFile(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading room file: %w", err)
	}
	return data, nil
}

// tempPrefix starts the name of every temp file a room write makes; room file names
// never start with a dot, so a temp file can never be read as a room file.
const tempPrefix = ".tmp-"

// fileWriter replaces a room file with data; the server's is [writeRoomFile], and tests
// put one in front of it to simulate a full disk or a permission error.
type fileWriter func(path string, data []byte) error

// writeRoomFile replaces path with data atomically: a temp file in the same directory is
// written, synced, closed and renamed over path, then the directory is synced. A crash
// at any point leaves the old file or the new one, and at worst a temp file.
func writeRoomFile(path string, data []byte) (err error) {
	dir, base := filepath.Split(path)
	tmp, err := os.CreateTemp(dir, tempPrefix+base+"-*")
	if err != nil {
		return fmt.Errorf("creating temp file: %w", err)
	}
	defer func() {
		if err != nil {
			_ = os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(data); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("writing temp file: %w", err)
	}
	if err = tmp.Sync(); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("syncing temp file: %w", err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("closing temp file: %w", err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("renaming temp file: %w", err)
	}
	return syncDir(dir)
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	if dir == "" {
		dir = "."
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("opening directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("syncing directory: %w", err)
	}
	return nil
}

// isTempFileName reports whether name is a temp file of [writeRoomFile]: the prefix, a
// room file name, a dash and the random digits os.CreateTemp adds.
func isTempFileName(name string) bool {
	rest, ok := strings.CutPrefix(name, tempPrefix)
	if !ok {
		return false
	}
	i := strings.LastIndexByte(rest, '-')
	if i < 0 || i == len(rest)-1 {
		return false
	}
	for _, c := range rest[i+1:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	_, ok = roomIDFromFileName(rest[:i])
	return ok
}

// removeTempFiles deletes the temp files a crash left in dir and returns their names.
// Only names [isTempFileName] accepts are touched, never a room file.
func removeTempFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("listing storage_dir: %w", err)
	}
	var removed []string
	for _, e := range entries {
		if !e.Type().IsRegular() || !isTempFileName(e.Name()) {
			continue
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
			return removed, fmt.Errorf("removing temp file: %w", err)
		}
		removed = append(removed, e.Name())
	}
	return removed, nil
}
