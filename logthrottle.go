package pluv

import (
	"sync"
	"time"
)

// How often a repeated line may be logged at info (or warn): refusals of one session's
// frames, and one room's lock held too long.
const (
	refusalLogEvery = 10 * time.Second
	slowLockEvery   = 10 * time.Second
)

// logThrottle lets a repeated log line through at most once per interval and counts the
// ones it held back, so one misbehaving client (or one slow room) cannot flood the log
// while the operator still sees that it happens and how often. The zero value is ready.
type logThrottle struct {
	mu         sync.Mutex
	last       time.Time
	suppressed int
}

// allow reports whether a line may be logged at now and how many were held back since
// the last one that was.
func (l *logThrottle) allow(now time.Time, every time.Duration) (ok bool, suppressed int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.last.IsZero() && now.Sub(l.last) < every {
		l.suppressed++
		return false, 0
	}
	l.last = now
	suppressed, l.suppressed = l.suppressed, 0
	return true, suppressed
}
