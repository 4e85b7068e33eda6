package pluv

import (
	"context"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/semaphore"
)

// firstChunk is the buffer a frame is first read into; the buffer doubles from there.
const firstChunk = 4 << 10

// firstChunks holds the first buffers of frames, so that reading a small frame does not
// allocate (and clear) 4 KiB; [releaseFrame] gives one back once its frame is handled.
var firstChunks = sync.Pool{New: func() any { return new([firstChunk]byte) }}

// releaseFrame gives the buffer of a frame read by readFrame back for another frame.
// Nothing may keep the frame, nor any slice of it, afterwards.
func releaseFrame(b []byte) {
	if cap(b) == firstChunk {
		firstChunks.Put((*[firstChunk]byte)(b[:firstChunk]))
	}
}

// byteBudget is the instance-wide budget of frame bytes in flight (max_bytes_in_flight).
// Readers take the bytes of their buffers before reading into them and may wait;
// queues take bytes without waiting (a room never blocks on a session).
type byteBudget struct {
	size int64
	sem  *semaphore.Weighted
	used atomic.Int64 // bytes taken now, for logs and tests
}

// newByteBudget returns a budget of size bytes.
func newByteBudget(size int64) *byteBudget {
	return &byteBudget{size: size, sem: semaphore.NewWeighted(size)}
}

// tryTake takes n bytes if they are free now.
func (b *byteBudget) tryTake(n int64) bool {
	if !b.sem.TryAcquire(n) {
		return false
	}
	b.used.Add(n)
	return true
}

// take takes n bytes, waiting at most wait (or until ctx is done) for them.
func (b *byteBudget) take(ctx context.Context, n int64, wait time.Duration) error {
	if !b.sem.TryAcquire(n) {
		ctx, cancel := context.WithTimeout(ctx, wait)
		defer cancel()
		if err := b.sem.Acquire(ctx, n); err != nil {
			return fmt.Errorf("waiting for %d bytes of max_bytes_in_flight: %w", n, err)
		}
	}
	b.used.Add(n)
	return nil
}

// release gives back n bytes taken before.
func (b *byteBudget) release(n int64) {
	if n == 0 {
		return
	}
	b.used.Add(-n)
	b.sem.Release(n)
}

// readFrame reads the rest of one message from r into a buffer whose bytes are taken from
// b before anything is read into them, so that many large frames at once wait for budget
// (and their senders' TCP windows fill) instead of filling memory. The buffer doubles up
// to limit. It returns the frame and the bytes taken, which the caller releases once the
// frame has been processed; on error nothing stays taken.
//
// Readers that each hold part of a frame can wait on one another when the budget is spent;
// only the wait limit frees them, so under such pressure sessions are closed with 1013
// after write_timeout rather than served in turn.
func readFrame(ctx context.Context, r io.Reader, b *byteBudget, limit int64,
	wait time.Duration,
) ([]byte, int64, error) {
	var buf []byte
	var held int64
	for {
		if len(buf) == cap(buf) {
			// Double, but not past the limit (the reader fails there); a frame of exactly
			// the limit needs a little more room to read its end.
			grow := int64(max(cap(buf), firstChunk))
			if c := int64(cap(buf)); c < limit {
				grow = min(grow, limit-c)
			} else {
				grow = firstChunk
			}
			if err := b.take(ctx, grow, wait); err != nil {
				b.release(held)
				return nil, 0, err
			}
			held += grow
			if cap(buf) == 0 && grow == firstChunk {
				buf = firstChunks.Get().(*[firstChunk]byte)[:0]
				continue
			}
			next := make([]byte, len(buf), int64(cap(buf))+grow)
			copy(next, buf)
			releaseFrame(buf)
			buf = next
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, held, nil
		}
		if err != nil {
			b.release(held)
			return nil, 0, err
		}
	}
}
