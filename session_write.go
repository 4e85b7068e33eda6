package pluv

import (
	"time"

	"github.com/gorilla/websocket"
)

// prioQueue is the size of the priority lane (`$pong` frames).
const prioQueue = 4

// keptSpare is the largest queue slice (in frames) a session keeps for the next batch;
// a larger one, grown by a burst, is let go so an idle session holds little.
const keptSpare = 16

// queued is one frame in a session's queue.
type queued struct {
	b []byte
	n int64 // bytes taken from the budget for it; 0 when it went to an empty queue
}

// enqueue queues a frame without blocking. Callers hold the room's mu. A queue that is
// full (in frames or bytes), or a backlog whose next frame does not fit the instance
// budget, marks the session slow: it is closed at once, and the room takes it out and
// tells the others when it releases its lock. A frame to an empty queue always goes in,
// uncounted by the budget, so a session that keeps up is never closed for another's
// backlog.
func (s *session) enqueue(b []byte) {
	if s.slow {
		return
	}
	size := int64(len(b))
	backlog := s.queuedBytes.Load()
	if backlog > 0 && backlog+size > s.maxQueued {
		s.overflow("send_queue_bytes")
		return
	}
	// A frame behind others the write pump has not taken yet counts against the
	// budget; one it can take at once does not. (Counting the batch being written
	// would charge a session that keeps up, in the moment between its client reading
	// a frame and the pump noting it written, and with the budget spent by a slow
	// session that would close it too.)
	var taken int64
	if s.untaken.Load() > 0 {
		if !s.budget.tryTake(size) {
			s.overflow("max_bytes_in_flight")
			return
		}
		taken = size
	}
	s.qMu.Lock()
	if len(s.q) >= s.maxFrames {
		s.qMu.Unlock()
		s.budget.release(taken)
		s.overflow("send_queue")
		return
	}
	s.queuedBytes.Add(size)
	s.untaken.Add(size)
	s.q = append(s.q, queued{b: b, n: taken})
	first := len(s.q) == 1
	s.qMu.Unlock()
	if first {
		select {
		case s.wake <- struct{}{}:
		default: // already signalled
		}
	}
}

// take hands the write pump every queued frame, in order, and leaves the queue empty,
// on the slice of the batch before (so a busy session does not allocate per batch).
func (s *session) take() []queued {
	s.qMu.Lock()
	defer s.qMu.Unlock()
	batch := s.q
	s.q, s.spare = s.spare, nil
	var size int64
	for _, q := range batch {
		size += int64(len(q.b))
	}
	s.untaken.Add(-size)
	return batch
}

// written releases the bytes of a batch the write pump has written (or given up on) and
// keeps its slice for the next take when it is small.
func (s *session) written(batch []queued) {
	var size int64
	for i, q := range batch {
		size += int64(len(q.b))
		s.budget.release(q.n)
		batch[i] = queued{} // the frames are not kept alive by the slice
	}
	s.queuedBytes.Add(-size)
	if cap(batch) == 0 || cap(batch) > keptSpare {
		return
	}
	s.qMu.Lock()
	s.spare = batch[:0]
	s.qMu.Unlock()
}

// overflow closes a slow session with 1013 and hands it to its room for removal; the
// socket is closed under the write pump after slowGrace in case it is stuck in a write.
// Callers hold the room's mu.
func (s *session) overflow(limit string) {
	s.slow = true
	s.room.slow = append(s.room.slow, slowSession{s: s, limit: limit,
		queued: s.queuedBytes.Load()})
	s.close(CloseSlow, reasonSlow)
	time.AfterFunc(slowGrace, func() { _ = s.conn.Close() })
}

// drain releases the budget of frames left in the queue. Call it only once the session
// has left its room (nothing enqueues any more) and the write pump has ended.
func (s *session) drain() {
	s.written(s.take())
}

// sendPong queues `$pong` on the priority lane; a full lane means pongs are already on
// their way, so this one is dropped.
func (s *session) sendPong() {
	select {
	case s.prio <- s.pong:
	default:
	}
}

// writePump writes queued frames, `$pong` first, each with a deadline, until the session
// is closed; then it sends the close frame and closes the socket. It takes every frame
// queued at once and writes them in order; frames not yet written when the session
// closes are dropped.
func (s *session) writePump(writeTimeout time.Duration) {
	defer close(s.writeDone)
	defer s.conn.Close()
	for {
		select {
		case <-s.done:
			s.sendClose(writeTimeout)
			return
		default:
		}
		var err error
		select {
		case <-s.done:
			s.sendClose(writeTimeout)
			return
		case b := <-s.prio:
			err = s.write(b, writeTimeout)
		case <-s.wake:
			batch := s.take()
			err = s.writeBatch(batch, writeTimeout)
			s.written(batch) // after the flush: the bytes were in flight until then
		}
		if err != nil {
			s.close(0, "")
			return
		}
	}
}

// writeBatch writes the frames of batch in order, a waiting `$pong` before each; it
// stops early, without an error, when the session is closed. The frames go to the
// socket in one write (or one per maxBatch bytes) when the session's conn can gather
// them.
func (s *session) writeBatch(batch []queued, writeTimeout time.Duration) error {
	if s.batch == nil {
		return s.writeFrames(batch, writeTimeout)
	}
	s.batch.hold()
	err := s.writeFrames(batch, writeTimeout)
	// Also after an error or a close: control frames the read pump wrote (a close
	// reply, say) may be among the gathered bytes.
	if ferr := s.batch.flush(time.Now().Add(writeTimeout)); err == nil {
		err = ferr
	}
	return err
}

// writeFrames writes the frames of batch one by one, as writeBatch says.
func (s *session) writeFrames(batch []queued, writeTimeout time.Duration) error {
	for _, q := range batch {
		select {
		case <-s.done:
			return nil // the pump sends the close frame next
		case b := <-s.prio:
			if err := s.write(b, writeTimeout); err != nil {
				return err
			}
		default:
		}
		if err := s.write(q.b, writeTimeout); err != nil {
			return err
		}
	}
	return nil
}

// write writes one text frame with a deadline.
func (s *session) write(b []byte, writeTimeout time.Duration) error {
	_ = s.conn.SetWriteDeadline(time.Now().Add(writeTimeout))
	return s.conn.WriteMessage(websocket.TextMessage, b)
}

// sendClose writes the close frame, if any, and waits a bounded time for the reply.
func (s *session) sendClose(writeTimeout time.Duration) {
	if s.closeCode == 0 {
		return
	}
	msg := websocket.FormatCloseMessage(s.closeCode, s.closeReason)
	if err := s.conn.WriteControl(websocket.CloseMessage, msg,
		time.Now().Add(writeTimeout)); err != nil {
		return
	}
	t := time.NewTimer(closeGrace)
	defer t.Stop()
	select {
	case <-s.readDone:
	case <-t.C:
	}
}
