package pluv

import (
	"net"
	"sync"
	"time"
)

// maxBatch is the most bytes a [batchConn] gathers before it writes them; a larger
// write goes to the socket on its own.
const maxBatch = 64 << 10

// batchPool holds the buffers of batches being gathered, so an idle session keeps none.
var batchPool = sync.Pool{New: func() any {
	b := make([]byte, 0, maxBatch)
	return &b
}}

// batchConn is a session's socket as the websocket library sees it. While the write
// pump holds it, the frames written are gathered in a pooled buffer and reach the socket
// in one write when the pump flushes (frames that queued up cost one syscall, not one
// each); otherwise every write goes straight to the socket. Close is the socket's own,
// so a write pump stuck in a flush can be closed under it. A batch being gathered is a
// copy per session whose bytes max_bytes_in_flight does not count: each session can hold
// up to maxBatch more than the budget says, until its write deadline drops it.
type batchConn struct {
	net.Conn

	mu       sync.Mutex
	buf      *[]byte   // gathered bytes, nil when none; guarded by mu
	holding  bool      // guarded by mu
	deadline time.Time // the write deadline last set, for the flush; guarded by mu
	err      error     // the first failed write; guarded by mu
}

// Write gathers p while the conn is held, else writes it (after anything gathered).
func (c *batchConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return 0, c.err
	}
	if c.holding && len(p) <= maxBatch {
		if c.buf != nil && len(*c.buf)+len(p) > maxBatch {
			if err := c.flushLocked(); err != nil {
				return 0, err
			}
		}
		if c.buf == nil {
			c.buf = batchPool.Get().(*[]byte)
		}
		*c.buf = append(*c.buf, p...)
		return len(p), nil
	}
	if err := c.flushLocked(); err != nil {
		return 0, err
	}
	if c.holding {
		// SetWriteDeadline only stored the deadline while the conn was held: apply it
		// to this write, which does not wait for the flush.
		if err := c.Conn.SetWriteDeadline(c.deadline); err != nil {
			c.err = err
			return 0, err
		}
	}
	n, err := c.Conn.Write(p)
	c.err = err
	return n, err
}

// SetWriteDeadline sets the deadline of the next write to the socket: at once when the
// conn is not held, else at the flush.
func (c *batchConn) SetWriteDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.deadline = t
	if c.holding {
		return nil
	}
	return c.Conn.SetWriteDeadline(t)
}

// hold starts gathering writes until the next flush.
func (c *batchConn) hold() {
	c.mu.Lock()
	c.holding = true
	c.mu.Unlock()
}

// flush writes what was gathered, with deadline, and stops gathering.
func (c *batchConn) flush(deadline time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.holding = false
	c.deadline = deadline
	if c.err != nil {
		return c.err
	}
	return c.flushLocked()
}

// flushLocked writes the gathered bytes, if any, and gives the buffer back.
func (c *batchConn) flushLocked() error {
	if c.buf == nil {
		return nil
	}
	b := c.buf
	c.buf = nil
	err := c.Conn.SetWriteDeadline(c.deadline)
	if err == nil {
		_, err = c.Conn.Write(*b)
	}
	*b = (*b)[:0]
	batchPool.Put(b)
	c.err = err
	return err
}
