package pluv

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// lockFileName is the file in storage_dir that a server holds locked while it runs.
const lockFileName = ".lock"

// errDirLocked is returned when another server (in this process or another) holds the
// storage directory.
var errDirLocked = errors.New("storage_dir is in use by another server")

// dirLock is a held lock on a storage directory; the zero value holds nothing.
type dirLock struct {
	f *os.File
}

// lockDir creates dir (0700) if missing and takes an exclusive lock on its lock file
// without waiting, so a second Caddy on the same directory fails to start instead of
// overwriting the first one's files.
func lockDir(dir string) (dirLock, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return dirLock{}, fmt.Errorf("creating storage_dir: %w", err)
	}
	path := filepath.Join(dir, lockFileName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return dirLock{}, fmt.Errorf("opening lock file: %w", err)
	}
	if err := tryLock(f); err != nil {
		_ = f.Close()
		return dirLock{}, fmt.Errorf("locking %s: %w", dir, err)
	}
	return dirLock{f: f}, nil
}

// unlock releases the lock; closing the file is what releases it.
func (l dirLock) unlock() error {
	if l.f == nil {
		return nil
	}
	if err := l.f.Close(); err != nil {
		return fmt.Errorf("closing lock file: %w", err)
	}
	return nil
}
