package pluv

import (
	"time"

	"golang.org/x/time/rate"
)

// Flooding: a session that sends more than floodFactor times its rate limit in each of
// floodWindows windows of floodWindow in a row is closed with 1008 (final).
const (
	floodFactor  = 10
	floodWindows = 3
	floodWindow  = time.Second
)

// othersPerToken is how many sessions of a room one `$getOthers` answer may list per
// token of the rate limit it takes beyond its own: the answer's cost grows with the room.
const othersPerToken = 100

// rateLimiter is one session's message limit; only its read pump uses it.
type rateLimiter struct {
	bucket   *rate.Limiter
	limit    float64   // messages per second
	lastErr  time.Time // when the sender was last told it was limited
	winStart time.Time // start of the current flood window
	winCount int       // messages in the current window
	hot      int       // flooded windows in a row before the current one
}

// newRateLimiter returns a limiter of perSecond with burst, or nil (no limit) for 0.
func newRateLimiter(perSecond float64, burst int) *rateLimiter {
	if perSecond <= 0 {
		return nil
	}
	return &rateLimiter{bucket: rate.NewLimiter(rate.Limit(perSecond), max(burst, 1)),
		limit: perSecond}
}

// admit counts one message at now, taking cost tokens (at most the burst) for it. ok
// says whether to process it; notify whether to tell the sender it was dropped (at most
// once a second); flood whether the session has flooded long enough to be closed. The
// flood rule counts messages, whatever their cost.
func (l *rateLimiter) admit(now time.Time, cost int) (ok, notify, flood bool) {
	if l == nil {
		return true, false, false
	}
	if el := now.Sub(l.winStart); el >= floodWindow {
		switch {
		case float64(l.winCount) <= floodFactor*l.limit, el >= 2*floodWindow:
			l.hot = 0 // the last window was calm, or a calm one followed it
		default:
			l.hot++
		}
		l.winStart, l.winCount = now, 0
	}
	l.winCount++
	if l.hot >= floodWindows-1 && float64(l.winCount) > floodFactor*l.limit {
		return false, false, true
	}
	if l.bucket.AllowN(now, min(cost, l.bucket.Burst())) {
		return true, false, false
	}
	if now.Sub(l.lastErr) >= time.Second {
		l.lastErr = now
		return false, true, false
	}
	return false, false, false
}
