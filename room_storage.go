package pluv

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"go.uber.org/zap"
)

// load fills a new room's store: from u, the unsaved state of a torn-down room of the
// same id when there is one (newer than the file), else from the room's file. An
// unreadable or undecodable file marks the room corrupt: it is never overwritten, and
// the room refuses storage until the file is repaired or removed.
func (srv *Server) load(rm *Room, u *unsavedRoom) {
	cfg := srv.settings()
	log := cfg.logger.With(zap.String("room", rm.id))
	rm.store = srv.newStore(cfg)
	if rm.path == "" {
		log.Info("room created")
		return
	}
	if u != nil && !srv.takeUnsaved(rm, u, log) {
		return
	}
	if u == nil {
		store, info, n, err := srv.readRoom(rm.path)
		if err != nil {
			rm.corrupt, rm.stamp = true, info
			log.Error("room file unreadable; storage disabled for this room until the "+
				"file is repaired or removed", zap.String("path", rm.path), zap.Error(err))
			return
		}
		rm.store = store
		if n > 0 {
			log.Info("storage loaded", zap.String("path", rm.path), zap.Int("bytes", n))
		}
		rm.compactedOnLoad(n)
	}
	log.Info("room created")
}

// compactedOnLoad marks a room just loaded from a file of n bytes as changed when its
// store holds the state in fewer bytes (a file written before garbage collection, or
// with keep_history), so the flusher writes it back compacted. Callers hold mu, or the
// room is not ready yet.
func (rm *Room) compactedOnLoad(n int) {
	rm.noteModelLocked()
	if size := rm.store.Size(); size < n {
		rm.changedLocked()
		rm.logger().Info("room file compacted on load; it is written back at the next "+
			"flush", zap.String("path", rm.path), zap.Int("bytes", n),
			zap.Int("compacted_bytes", size))
	}
}

// takeUnsaved starts rm from u and marks it changed, so the flusher writes it. State
// that no longer fits the store (the size caps shrank in a reload) is written to the
// file instead, where an operator can reach it: the room then loads the file as usual
// (and reports it too large). It returns false when the room is left corrupt.
func (srv *Server) takeUnsaved(rm *Room, u *unsavedRoom, log *zap.Logger) bool {
	if _, err := rm.store.Apply(u.state); err == nil {
		rm.gen = 1
		log.Warn("room restored from state not yet written to its file",
			zap.String("path", rm.path), zap.Int("bytes", len(u.state)))
		return true
	}
	if err := srv.writeFile(u.path, u.state); err != nil {
		srv.roomsMu.Lock()
		srv.unsaved[rm.id] = u
		srv.roomsMu.Unlock()
		rm.corrupt, rm.held = true, true
		log.Error("room state not yet written does not fit the store and cannot be "+
			"written; storage disabled for this room until it empties",
			zap.String("path", rm.path), zap.Int("bytes", len(u.state)), zap.Error(err))
		return false
	}
	srv.load(rm, nil)
	return false
}

// readRoom reads and decodes the file at path into a new store; n is the file's size.
// info describes the file as it was when read (nil if it could not be seen), for
// [Room.recheckCorrupt].
func (srv *Server) readRoom(path string) (store docStore, info os.FileInfo, n int,
	err error,
) {
	info, _ = os.Stat(path)
	data, err := loadRoomFile(path)
	if err != nil {
		return nil, info, 0, err
	}
	cfg := srv.settings()
	store = srv.newStore(cfg)
	if data != nil {
		if _, err := store.Apply(data); err != nil {
			return nil, info, len(data), fmt.Errorf("decoding room file: %w", err)
		}
	}
	return store, info, len(data), nil
}

// recheckCorrupt reads a corrupt room's file again when it changed since it was last
// read, so a room that stays alive notices an operator's repair or removal; otherwise
// it costs one stat. A repaired state reaches the sessions that were given the empty one
// as a `$storageUpdated` from s. Callers do not hold mu.
func (rm *Room) recheckCorrupt(s *session) {
	rm.recheckMu.Lock()
	defer rm.recheckMu.Unlock()
	rm.lock("recheckCorrupt")
	corrupt, held, stamp := rm.corrupt, rm.held, rm.stamp
	rm.release()
	if !corrupt || held {
		return
	}
	info, err := os.Stat(rm.path)
	if sameFile(stamp, info, err) {
		return
	}

	store, info, n, err := rm.srv.readRoom(rm.path)
	rm.lock("recheckCorrupt")
	if err != nil {
		rm.stamp = info
	} else {
		rm.store, rm.corrupt, rm.stamp, rm.modelLost = store, false, nil, false
		rm.compactedOnLoad(n)
		if !store.IsEmpty() {
			rm.sendDeltaLocked(s, store.Encode(), nil)
		}
	}
	rm.unlock()

	log := rm.logger()
	if err != nil {
		log.Error("room file unreadable; storage disabled for this room until the file "+
			"is repaired or removed", zap.String("path", rm.path), zap.Error(err))
		return
	}
	log.Info("room file readable again; storage enabled", zap.String("path", rm.path),
		zap.Int("bytes", n))
}

// sameFile reports whether a stat of a file (now, err) shows it as it was when old was
// taken (nil: it could not be seen then). A removed file is a change.
func sameFile(old, now os.FileInfo, err error) bool {
	if err != nil {
		return old == nil && !errors.Is(err, fs.ErrNotExist)
	}
	return old != nil && os.SameFile(old, now) && old.Size() == now.Size() &&
		old.ModTime().Equal(now.ModTime()) && old.Mode() == now.Mode()
}

// teardown removes rm once it has no session and writes its state to its file. A state
// that cannot be written is kept by the server and retried by the flusher; a new room
// for the same id starts from it.
func (srv *Server) teardown(rm *Room) {
	srv.roomsMu.Lock()
	rm.lock("teardown")
	// After shutdown has begun, it saves the rooms it took over itself.
	if len(rm.sessions) > 0 || rm.closed || srv.closed {
		rm.release()
		srv.roomsMu.Unlock()
		return
	}
	rm.closed = true
	dirty := rm.dirtyLocked()
	rm.release()
	if srv.rooms[rm.id] == rm {
		delete(srv.rooms, rm.id)
	}
	var done chan struct{}
	if dirty {
		// A room created for the id meanwhile loads after this write (or takes over
		// the state it could not write).
		done = make(chan struct{})
		srv.saving[rm.id] = done
	}
	srv.roomsMu.Unlock()

	log := rm.logger()
	log.Info("room closed")
	if !dirty {
		return
	}
	state, err := srv.saveRoom(rm, time.Now(), true)
	srv.roomsMu.Lock()
	if err != nil {
		srv.unsaved[rm.id] = &unsavedRoom{
			path: rm.path, state: state, failures: 1,
			retryAt: time.Now().Add(retryDelay(1, srv.settings().flushInterval)),
		}
	}
	if srv.saving[rm.id] == done {
		delete(srv.saving, rm.id)
	}
	srv.roomsMu.Unlock()
	close(done)
	if err != nil {
		log.Error("saving room failed; its state is kept in memory and retried",
			zap.String("path", rm.path), zap.Int("bytes", len(state)), zap.Error(err))
		return
	}
	if state != nil {
		log.Info("room saved", zap.Int("bytes", len(state)))
	}
}
