package pluv

import (
	"encoding/json"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/zap"
)

// closeGrace is how long a server-initiated close waits for the client's close reply.
const closeGrace = 2 * time.Second

// prioQueue is the size of the priority lane (`$pong` frames).
const prioQueue = 4

// session is one websocket in a room. Exactly two goroutines touch the socket: the read
// pump (which also processes frames, in arrival order) and the write pump.
type session struct {
	id     string
	conn   *websocket.Conn
	srv    *Server
	user   json.RawMessage // nil: anonymous
	userID string
	pong   []byte // this session's `$pong` frame, built once

	queue chan []byte   // room frames, bounded
	prio  chan []byte   // `$pong` frames, written before queued ones
	done  chan struct{} // closed to stop the write pump
	// readDone is closed when the read pump has ended.
	readDone chan struct{}
	// writeDone is closed when the write pump has ended and the socket is closed.
	writeDone chan struct{}

	closeOnce   sync.Once
	closeCode   int // written before done is closed; 0 sends no close frame
	closeReason string

	lastPing atomic.Int64 // unix nanoseconds of the last `$ping` (or connect)

	// Guarded by the room's mu.
	room          *Room
	joined        bool
	presence      json.RawMessage // nil: null
	presenceTimer int64           // epoch ms; 0: null
	storageSent   bool            // `$storageReceived` was queued
}

// newSession wraps an upgraded socket.
func newSession(srv *Server, conn *websocket.Conn, roomID string, user json.RawMessage,
	userID string, cfg *settings,
) *session {
	s := &session{
		id: newSessionID(), conn: conn, srv: srv, user: user, userID: userID,
		queue:     make(chan []byte, max(cfg.sendQueue, 1)),
		prio:      make(chan []byte, prioQueue),
		done:      make(chan struct{}),
		readDone:  make(chan struct{}),
		writeDone: make(chan struct{}),
	}
	s.pong = encodeFrame(msgPong, emptyObject, s.id, roomID, user)
	s.lastPing.Store(time.Now().UnixNano())
	conn.SetReadLimit(cfg.readLimit())
	return s
}

// enqueue queues a frame without blocking; a full queue closes the session as slow.
func (s *session) enqueue(b []byte) {
	select {
	case s.queue <- b:
	default:
		s.close(CloseSlow, reasonSlow)
	}
}

// sendPong queues `$pong` on the priority lane; a full lane means pongs are already on
// their way, so this one is dropped.
func (s *session) sendPong() {
	select {
	case s.prio <- s.pong:
	default:
	}
}

// close stops the session: the write pump sends the close frame (code 0 sends none) and
// closes the socket, which ends the read pump. Only the first call counts.
func (s *session) close(code int, reason string) {
	s.closeOnce.Do(func() {
		s.closeCode, s.closeReason = code, reason
		close(s.done)
	})
}

// stale reports whether the session has not pinged within timeout.
func (s *session) stale(now time.Time, timeout time.Duration) bool {
	return now.Sub(time.Unix(0, s.lastPing.Load())) > timeout
}

// readPump reads and processes frames until the socket fails, then leaves the room.
func (s *session) readPump(log *zap.Logger) {
	defer close(s.readDone)
	defer s.close(0, "")
	for {
		typ, b, err := s.conn.ReadMessage()
		if err != nil {
			if ce := log.Check(zap.DebugLevel, "session read ended"); ce != nil {
				ce.Write(zap.Error(err))
			}
			break
		}
		s.handleSafely(log, typ, b)
	}
	s.room.leave(s)
}

// handleSafely processes one frame; a panic (say, in an event resolver written in Go)
// is logged with its stack and answered with `$error` instead of ending the process.
func (s *session) handleSafely(log *zap.Logger, typ int, b []byte) {
	defer func() {
		if v := recover(); v != nil {
			log.Error("recovered panic while handling a frame",
				zap.Any("panic", v), zap.Stack("stack"))
			s.room.sendError(s, "internal error")
		}
	}()
	s.room.handle(s, typ, b)
}

// writePump writes queued frames, `$pong` first, each with a deadline, until the session
// is closed; then it sends the close frame and closes the socket.
func (s *session) writePump(writeTimeout time.Duration) {
	defer close(s.writeDone)
	defer s.conn.Close()
	for {
		var b []byte
		select {
		case b = <-s.prio:
		default:
			select {
			case b = <-s.prio:
			case b = <-s.queue:
			case <-s.done:
				s.sendClose(writeTimeout)
				return
			}
		}
		_ = s.conn.SetWriteDeadline(time.Now().Add(writeTimeout))
		if err := s.conn.WriteMessage(websocket.TextMessage, b); err != nil {
			s.close(0, "")
			return
		}
	}
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

// refuse answers a socket that may not join: `$error` with message, then close 3000.
// It blocks for at most the write timeout plus the close grace.
func refuse(conn *websocket.Conn, room, message string, writeTimeout time.Duration) {
	defer conn.Close()
	frame := encodeFrame(msgError, errorData{Message: message}, "", room, nil)
	deadline := time.Now().Add(writeTimeout)
	_ = conn.SetWriteDeadline(deadline)
	if conn.WriteMessage(websocket.TextMessage, frame) != nil {
		return
	}
	msg := websocket.FormatCloseMessage(CloseUnauthorized, reasonUnauthorized)
	if conn.WriteControl(websocket.CloseMessage, msg, deadline) != nil {
		return
	}
	// Read until the client's close reply (or the grace period) so the close frame is
	// not lost to a reset.
	conn.SetReadLimit(4096)
	_ = conn.SetReadDeadline(time.Now().Add(closeGrace))
	for {
		if _, _, err := conn.ReadMessage(); err != nil {
			return
		}
	}
}
