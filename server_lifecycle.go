package pluv

import (
	"context"
	"fmt"
	"time"

	"go.uber.org/zap"
)

// janitor collects stale sessions and empty rooms until the server stops.
func (srv *Server) janitor() {
	defer close(srv.janitorDone)
	for {
		interval := min(max(srv.settings().pingTimeout/4, 10*time.Millisecond), 5*time.Second)
		t := time.NewTimer(interval)
		select {
		case <-srv.stop:
			t.Stop()
			return
		case <-t.C:
		}
		srv.collect()
	}
}

// collect runs one janitor pass over every room.
func (srv *Server) collect() {
	now, timeout := time.Now(), srv.settings().pingTimeout
	for _, rm := range srv.liveRooms() {
		if rm.collectStale(now, timeout) {
			srv.teardown(rm)
		}
	}
}

// Close shuts the server down: sockets are closed with 1012 (the clients reconnect,
// e.g. to the next process) and every room is written to its file. It waits for the
// sockets until ctx is done.
func (srv *Server) Close(ctx context.Context) error {
	return srv.shutdown(ctx, CloseRestart, reasonRestart)
}

// shutdown closes every session with code, saves every room (and retries, once, the
// state of closed rooms that could not be written), stops the janitor and the flusher
// and releases the storage directory.
func (srv *Server) shutdown(ctx context.Context, code int, reason string) error {
	srv.stopOnce.Do(func() { close(srv.stop) })
	srv.roomsMu.Lock()
	srv.closed = true
	rooms := srv.rooms
	srv.rooms = map[string]*Room{}
	var pending []chan struct{}
	for _, ch := range srv.saving {
		pending = append(pending, ch)
	}
	srv.roomsMu.Unlock()

	var sessions []*session
	for _, rm := range rooms {
		<-rm.ready
		rm.lock("shutdown")
		rm.closed = true
		for _, s := range rm.sessions {
			s.close(code, reason)
			sessions = append(sessions, s)
		}
		rm.release()
		srv.finalSave(rm)
	}
	var err error
	for _, s := range sessions {
		select {
		case <-s.writeDone:
		case <-ctx.Done():
			err = fmt.Errorf("closing sessions: %w", ctx.Err())
		}
	}
	pending = append(pending, srv.janitorDone, srv.flusherDone)
	for _, ch := range pending {
		select {
		case <-ch:
		case <-ctx.Done():
			err = fmt.Errorf("waiting for room files: %w", ctx.Err())
		}
	}
	srv.retryUnsavedFinal()
	srv.unlockOnce.Do(func() {
		if uerr := srv.lock.unlock(); uerr != nil && err == nil {
			err = uerr
		}
	})
	return err
}

// finalSave writes a room at shutdown; what cannot be written is lost, loudly.
func (srv *Server) finalSave(rm *Room) {
	state, err := srv.saveRoom(rm, time.Now(), true)
	if err == nil {
		if state != nil {
			rm.logger().Info("room saved", zap.Int("bytes", len(state)))
		}
		return
	}
	rm.logger().Error("ROOM STATE LOST: saving the room at shutdown failed",
		zap.String("path", rm.path), zap.Int("bytes", len(state)), zap.Error(err))
}

// retryUnsavedFinal tries once more to write each closed room that could not be saved.
func (srv *Server) retryUnsavedFinal() {
	srv.roomsMu.Lock()
	ids := make([]string, 0, len(srv.unsaved))
	for id := range srv.unsaved {
		ids = append(ids, id)
	}
	srv.roomsMu.Unlock()
	now := time.Now()
	for _, id := range ids {
		srv.writeUnsaved(id, now, true)
	}
}
