package pluv

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/zap"
)

// closeGrace is how long a server-initiated close waits for the client's close reply.
const closeGrace = 2 * time.Second

// slowGrace is how long the write pump of a session closed as slow may try to send its
// close frame before the socket is closed under it (a stalled client never reads it).
const slowGrace = 500 * time.Millisecond

// session is one websocket in a room. Exactly two goroutines touch the socket: the read
// pump (which also processes frames, in arrival order) and the write pump.
type session struct {
	id     string
	conn   *websocket.Conn
	batch  *batchConn // conn's socket, when it can gather frames; nil otherwise
	srv    *Server
	user   json.RawMessage // nil: anonymous
	userID string
	pong   []byte // this session's `$pong` frame, built once

	// qMu guards the send queue: the room appends under its mu, the write pump takes
	// everything queued at once. Two slices take turns; one grown past keptSpare
	// frames by a burst is let go once written.
	qMu       sync.Mutex
	q         []queued      // frames to write, oldest first; guarded by qMu
	spare     []queued      // an empty slice for the next take; guarded by qMu
	maxFrames int           // frames the queue may hold (send_queue)
	wake      chan struct{} // signalled when q stops being empty
	prio      chan []byte   // `$pong` frames, written before queued ones
	done      chan struct{} // closed to stop the write pump
	ctx       context.Context
	cancelCtx context.CancelFunc // ends ctx when the session closes
	// readDone is closed when the read pump has ended.
	readDone chan struct{}
	// writeDone is closed when the write pump has ended and the socket is closed.
	writeDone chan struct{}

	// Transport limits, fixed when the session starts.
	budget      *byteBudget
	maxQueued   int64 // bytes
	readLimit   int64
	budgetWait  time.Duration
	limiter     *rateLimiter // read pump only; nil: unlimited
	queuedBytes atomic.Int64 // bytes of the frames in queue (and the one being written)
	untaken     atomic.Int64 // bytes of the frames the write pump has not taken yet

	closeOnce   sync.Once
	closeCode   int // written before done is closed; 0 sends no close frame
	closeReason string

	lastPing atomic.Int64 // unix nanoseconds of the last `$ping` (or connect)
	refusals logThrottle  // info lines about this session's refused frames

	// Guarded by the room's mu.
	room          *Room
	joined        bool
	slow          bool            // the queue overflowed; the room drops it on unlock
	presence      json.RawMessage // nil: null
	presenceTimer int64           // epoch ms; 0: null
	storageSent   bool            // `$storageReceived` was queued
	joinState     joinState       // the document as `$registered` carried it
	initialized   bool            // `$initializeSession` was handled
}

// newSession wraps an upgraded socket.
func newSession(srv *Server, conn *websocket.Conn, roomID string, user json.RawMessage,
	userID string, cfg *settings,
) *session {
	s := &session{
		id: newSessionID(), conn: conn, srv: srv, user: user, userID: userID,
		maxFrames:  max(cfg.sendQueue, 1),
		wake:       make(chan struct{}, 1),
		prio:       make(chan []byte, prioQueue),
		done:       make(chan struct{}),
		readDone:   make(chan struct{}),
		writeDone:  make(chan struct{}),
		budget:     cfg.budget,
		maxQueued:  cfg.sendQueueBytes,
		readLimit:  cfg.readLimit(),
		budgetWait: cfg.writeTimeout,
		limiter:    newRateLimiter(cfg.ratePerSecond, cfg.rateBurst),
	}
	s.batch, _ = conn.UnderlyingConn().(*batchConn)
	s.ctx, s.cancelCtx = context.WithCancel(context.Background())
	s.pong = encodeFrame(msgPong, emptyObject, s.id, roomID, user)
	s.lastPing.Store(time.Now().UnixNano())
	conn.SetReadLimit(s.readLimit)
	return s
}

// close stops the session: the write pump sends the close frame (code 0 sends none) and
// closes the socket, which ends the read pump. Only the first call counts.
func (s *session) close(code int, reason string) {
	s.closeOnce.Do(func() {
		s.closeCode, s.closeReason = code, reason
		close(s.done)
		s.cancelCtx()
	})
}

// stale reports whether the session has not pinged within timeout.
func (s *session) stale(now time.Time, timeout time.Duration) bool {
	return now.Sub(time.Unix(0, s.lastPing.Load())) > timeout
}

// readPump reads and processes frames until the socket fails, then leaves the room.
// Each frame's buffer is taken from the budget while the frame is read and processed.
func (s *session) readPump(log *zap.Logger) {
	defer close(s.readDone)
	defer s.close(0, "")
	for {
		typ, r, err := s.conn.NextReader()
		var b []byte
		var held int64
		if err == nil {
			b, held, err = readFrame(s.ctx, r, s.budget, s.readLimit, s.budgetWait)
		}
		if err != nil {
			s.readFailed(log, err)
			break
		}
		s.handleSafely(log, typ, b)
		s.budget.release(held)
		releaseFrame(b) // handling keeps nothing of b
	}
	s.room.leave(s)
}

// readFailed logs why the read pump ends; a frame past the read limit has been answered
// with close 1009 by the websocket library, and a session that waited too long for
// budget is closed with 1013.
func (s *session) readFailed(log *zap.Logger, err error) {
	switch {
	case errors.Is(err, websocket.ErrReadLimit):
		log.Info("frame past the read limit; closed with 1009",
			zap.Int64("limit", s.readLimit))
		lingerAfterClose(s.conn.UnderlyingConn(), closeGrace)
	case errors.Is(err, context.DeadlineExceeded):
		log.Info("no budget for an incoming frame; closed with 1013", zap.Error(err),
			zap.Int64("in_flight", s.budget.used.Load()))
		s.close(CloseSlow, reasonBusy)
	default:
		if ce := log.Check(zap.DebugLevel, "session read ended"); ce != nil {
			ce.Write(zap.Error(err))
		}
	}
}

// lingerAfterClose reads and drops what the client is still sending, until it closes or
// for at most d, so that closing a socket with unread data (the rest of an oversized
// frame) does not reset it: a reset can discard the close frame before the client reads
// it, turning a final 1009 into a retryable 1006.
func lingerAfterClose(conn net.Conn, d time.Duration) {
	_ = conn.SetReadDeadline(time.Now().Add(d))
	_, _ = io.Copy(io.Discard, conn)
}

// handleSafely processes one frame; a panic (say, in an event resolver written in Go)
// is logged with its stack and answered with `$error` instead of ending the process.
func (s *session) handleSafely(log *zap.Logger, typ int, b []byte) {
	defer func() {
		if v := recover(); v != nil {
			log.Error("recovered panic while handling a frame",
				zap.Any("panic", v), zap.Stack("stack"))
			s.room.sendError(s, "", "internal error")
		}
	}()
	s.room.handle(s, typ, b)
}

// refusal is how a socket that may not join is answered: `$error` with message, then
// a final close.
type refusal struct {
	message string
	code    int
	reason  string
}

// The refusals (PROTOCOL.md §8.3, §9.1, §15.8).
var (
	refuseUnauthorized = refusal{"Not authorized", CloseUnauthorized, reasonUnauthorized}
	refuseRoomID       = refusal{"Invalid room id", CloseUnauthorized, reasonUnauthorized}
	refuseRoomFull     = refusal{"Room is full", CloseRoomFull, reasonRoomFull}
	refuseOrigin       = refusal{"Origin not allowed", CloseOriginNotAllowed, reasonOrigin}
)

// refuseToken is the refusal for a token that failed verification: "Not authorized",
// plus what is wrong with its content when that is known.
func refuseToken(err error) refusal {
	rf := refuseUnauthorized
	var te *tokenError
	if errors.As(err, &te) {
		rf.message += ": " + te.msg
	}
	return rf
}

// refuse answers a socket that may not join with rf. It blocks for at most the write
// timeout plus the close grace.
func refuse(conn *websocket.Conn, room string, rf refusal, writeTimeout time.Duration) {
	defer conn.Close()
	frame := encodeFrame(msgError, errorData{Message: rf.message}, "", room, nil)
	deadline := time.Now().Add(writeTimeout)
	_ = conn.SetWriteDeadline(deadline)
	if conn.WriteMessage(websocket.TextMessage, frame) != nil {
		return
	}
	msg := websocket.FormatCloseMessage(rf.code, rf.reason)
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
