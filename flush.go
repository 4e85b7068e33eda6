package pluv

import (
	"fmt"
	"time"

	"go.uber.org/zap"
)

// maxRetryDelay caps the wait between two attempts to write a room that failed to save.
const maxRetryDelay = time.Minute

// unsavedRoom is the state of a torn-down room whose last write failed. The server keeps
// it, the flusher retries it, and a new room for the same id starts from it.
type unsavedRoom struct {
	path     string
	state    []byte
	failures int       // consecutive failed writes
	retryAt  time.Time // no retry before this
}

// retryDelay is the wait after the n-th consecutive failed write: the flush interval,
// doubled for each further failure, at most [maxRetryDelay].
func retryDelay(n int, interval time.Duration) time.Duration {
	d := max(interval, time.Millisecond)
	for i := 1; i < n && d < maxRetryDelay; i++ {
		d *= 2
	}
	return min(d, maxRetryDelay)
}

// flusher writes the rooms with unsaved changes every flush interval (read anew each
// time, so a reload changes it) until the server stops. Passes start an interval apart
// however long the writes take, so an edit waits at most one interval for its snapshot.
func (srv *Server) flusher() {
	defer close(srv.flusherDone)
	last := time.Now()
	for {
		t := time.NewTimer(time.Until(last.Add(srv.settings().flushInterval)))
		select {
		case <-srv.stop:
			t.Stop()
			return
		case <-t.C:
		}
		last = time.Now()
		srv.flushPass(last)
	}
}

// stopping reports whether shutdown has begun.
func (srv *Server) stopping() bool {
	select {
	case <-srv.stop:
		return true
	default:
		return false
	}
}

// flushPass writes every live room with unsaved changes whose retry time has come, then
// retries the state of torn-down rooms that could not be written.
func (srv *Server) flushPass(now time.Time) {
	for _, rm := range srv.liveRooms() {
		if srv.stopping() {
			return
		}
		state, err := srv.saveRoom(rm, now, false)
		if err != nil {
			rm.logger().Error("saving room failed; its state is kept in memory and retried",
				zap.String("path", rm.path), zap.Int("bytes", len(state)), zap.Error(err))
		}
	}
	srv.retryUnsaved(now)
}

// saveRoom writes rm's state if it changed since the last write. The state is encoded
// under mu and written outside it while writeMu is held, so the file is never written
// twice at once and a newer state is never followed by an older one. Unless final
// (teardown, shutdown), a closed room, and one whose retry time after a failure has not
// come, is skipped. It returns the state it wrote or failed to write (nil: nothing to
// write); after a failure the room stays changed, so the next pass retries.
func (srv *Server) saveRoom(rm *Room, now time.Time, final bool) ([]byte, error) {
	rm.writeMu.Lock()
	defer rm.writeMu.Unlock()
	rm.lock("saveRoom")
	if !rm.dirtyLocked() || !final && (rm.closed || now.Before(rm.retryAt)) {
		rm.release()
		return nil, nil
	}
	state, gen := rm.store.Encode(), rm.gen
	rm.release()

	if err := srv.writeFile(rm.path, state); err != nil {
		rm.failures++
		rm.retryAt = now.Add(retryDelay(rm.failures, srv.settings().flushInterval))
		return state, fmt.Errorf("writing room file (attempt %d): %w", rm.failures, err)
	}
	rm.lock("saveRoom")
	rm.savedGen = gen
	rm.release()
	if rm.failures > 0 {
		rm.logger().Info("room saved after failed writes", zap.String("path", rm.path),
			zap.Int("failures", rm.failures))
	} else if ce := rm.logger().Check(zap.DebugLevel, "room flushed"); ce != nil {
		ce.Write(zap.Int("bytes", len(state)))
	}
	rm.failures, rm.retryAt = 0, time.Time{}
	return state, nil
}

// retryUnsaved writes the unsaved state of torn-down rooms whose retry time has come.
func (srv *Server) retryUnsaved(now time.Time) {
	srv.roomsMu.Lock()
	var due []string
	for id, u := range srv.unsaved {
		if !now.Before(u.retryAt) {
			due = append(due, id)
		}
	}
	srv.roomsMu.Unlock()
	for _, id := range due {
		if srv.stopping() {
			return
		}
		srv.writeUnsaved(id, now, false)
	}
}

// writeUnsaved writes the unsaved state of id and forgets it once written. While it
// writes, the id counts as being saved, so a room created for it meanwhile waits and
// then takes the state over if the write failed; an id with a live room is left to
// that room. Unless final, nothing is started once shutdown has begun. It reports
// whether the state is still unsaved.
func (srv *Server) writeUnsaved(id string, now time.Time, final bool) bool {
	srv.roomsMu.Lock()
	u := srv.unsaved[id]
	if u == nil || srv.rooms[id] != nil || srv.saving[id] != nil || srv.closed && !final {
		srv.roomsMu.Unlock()
		return u != nil
	}
	delete(srv.unsaved, id)
	done := make(chan struct{})
	srv.saving[id] = done
	srv.roomsMu.Unlock()

	err := srv.writeFile(u.path, u.state)
	if err != nil {
		u.failures++
		u.retryAt = now.Add(retryDelay(u.failures, srv.settings().flushInterval))
	}
	srv.roomsMu.Lock()
	if err != nil {
		srv.unsaved[id] = u
	}
	if srv.saving[id] == done {
		delete(srv.saving, id)
	}
	srv.roomsMu.Unlock()
	close(done)

	log := srv.settings().logger.With(zap.String("room", id))
	switch {
	case err != nil && final:
		log.Error("ROOM STATE LOST: the room was closed but its state could not be "+
			"written before shutdown", zap.String("path", u.path),
			zap.Int("bytes", len(u.state)), zap.Int("failures", u.failures), zap.Error(err))
	case err != nil:
		log.Error("saving closed room failed; its state is kept in memory and retried",
			zap.String("path", u.path), zap.Int("bytes", len(u.state)),
			zap.Int("failures", u.failures), zap.Duration("retry_in", u.retryAt.Sub(now)),
			zap.Error(err))
	default:
		log.Info("room saved after failed writes", zap.String("path", u.path),
			zap.Int("failures", u.failures))
	}
	return err != nil
}
