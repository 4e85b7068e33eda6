//go:build !(darwin || dragonfly || freebsd || linux || netbsd || openbsd)

package pluv

import "os"

// tryLock does nothing on this system: the storage directory is not locked here, so two
// Caddy processes started on the same storage_dir would overwrite each other's files.
func tryLock(*os.File) error { return nil }
