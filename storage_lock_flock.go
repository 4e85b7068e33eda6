//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package pluv

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// tryLock takes an exclusive flock on f without blocking. A flock belongs to the open
// file description, so a second open of the same file fails here even in this process,
// and the kernel drops it when the process dies (kill -9 included).
func tryLock(f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, syscall.EINTR):
			continue
		case errors.Is(err, syscall.EWOULDBLOCK):
			return errDirLocked
		default:
			return fmt.Errorf("flock: %w", err)
		}
	}
}
