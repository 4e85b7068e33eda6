package pluv

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/zap"

	"github.com/caddy-pluv/caddy-pluv/yjs"
)

// docStore is the room's Yjs document; yjs.Store implements it.
type docStore interface {
	// Apply merges a Yjs v1 update and returns what was new (nil when nothing was);
	// a failed Apply leaves the store unchanged.
	Apply(update []byte) ([]byte, error)
	// Encode returns the whole state as one Yjs v1 update.
	Encode() []byte
	// IsEmpty reports whether a Y.Doc of this state has no content.
	IsEmpty() bool
	// Size returns the length of Encode's result.
	Size() int
	// ToJSON returns the document as a Y.Doc's toJSON gives it, roots read as hinted,
	// or an error when its types nest too deeply to read.
	ToJSON(hints map[string]yjs.RootKind) (map[string]any, error)
	// ModelErr says why the document model was dropped (nil while it is kept): the
	// store still merges and relays updates but no longer collects or reads them.
	ModelErr() error
}

// Room is one live room: its sessions, their presence and the room's Yjs document, all
// behind one mutex that is held only for map and document changes and non-blocking
// enqueues.
type Room struct {
	id    string
	srv   *Server
	path  string        // room file; empty without storage_dir
	ready chan struct{} // closed once the state is loaded

	// writeMu serialises writes of the room's file; it is taken before mu, never after.
	writeMu  sync.Mutex
	failures int       // consecutive failed writes; guarded by writeMu
	retryAt  time.Time // no flush before this after a failure; guarded by writeMu

	// recheckMu serialises re-reads of a corrupt room's file; taken before mu.
	recheckMu sync.Mutex

	mu       sync.Mutex
	lockedAt time.Time                      // when mu was taken; guarded by mu
	lockedBy string                         // what took it; guarded by mu
	slowLock logThrottle                    // warnings about mu held past slowLockAfter
	sessions map[string]*session            // guarded by mu
	size     atomic.Int32                   // len(sessions), for readers without mu
	users    map[string]map[string]*session // user id → sessions; guarded by mu
	store    docStore                       // guarded by mu; set before ready closes
	gen      uint64                         // store changes so far; guarded by mu
	savedGen uint64                         // gen of the state last written; guarded by mu
	closed   bool                           // torn down; guarded by mu (and roomsMu)
	corrupt  bool                           // the file could not be read; storage refused
	slow     []slowSession                  // overflowed under mu; guarded by mu
	// stamp identifies the corrupt file as last read (nil: none could be seen), so a
	// re-check sees a repair or removal; held means the room holds unsaved state it
	// could not load, which only an empty room can hand back. Guarded by mu.
	stamp os.FileInfo
	held  bool
	// modelLost means the store dropped its document model and that was logged; guarded
	// by mu.
	modelLost bool
}

// slowSession is a session whose queue overflowed while the room's lock was held.
type slowSession struct {
	s      *session
	limit  string // the limit it hit
	queued int64  // bytes it had queued
}

// ID returns the room id.
func (rm *Room) ID() string { return rm.id }

// errRoomClosed is returned by room operations after teardown.
var errRoomClosed = errors.New("room closed")

// errRoomFull is returned when a session would pass max_sessions_per_room.
var errRoomFull = errors.New("room full")

// slowLockAfter is how long the room's lock may be held before a warning is logged: every
// frame to the room waits for it, so a long hold (encoding a large document, say) is
// latency for all of its sessions.
const slowLockAfter = 100 * time.Millisecond

// lock takes mu for op (a short name for the log if it is held too long).
func (rm *Room) lock(op string) {
	rm.mu.Lock()
	rm.lockedAt = time.Now()
	rm.lockedBy = op
}

// release lets mu go and warns, at most once per slowLockEvery, when it was held past
// slowLockAfter. unlock (which also drops slow sessions) is the usual way out.
func (rm *Room) release() {
	held, op := time.Since(rm.lockedAt), rm.lockedBy
	rm.mu.Unlock()
	if held < slowLockAfter {
		return
	}
	if ok, n := rm.slowLock.allow(time.Now(), slowLockEvery); ok {
		rm.logger().Warn("room lock held long; the room's sessions waited",
			zap.String("operation", op), zap.Duration("held", held),
			zap.Int("slow_holds_since_last_line", n))
	}
}

// unlock releases mu after taking out the sessions found slow while it was held: each
// leaves the room at once (`$exit` to the rest, which may find more slow sessions), so a
// room never keeps, nor waits for, a session that cannot keep up. Its socket is already
// being closed; its read pump ends and tears the room down if it is empty.
func (rm *Room) unlock() {
	var gone []slowSession
	for len(rm.slow) > 0 {
		sl := rm.slow[0]
		rm.slow = rm.slow[1:]
		rm.remove(sl.s)
		gone = append(gone, sl)
	}
	rm.slow = nil
	rm.release()
	if len(gone) == 0 {
		return
	}
	log := rm.logger()
	for _, sl := range gone {
		log.Info("slow session closed with 1013", zap.String("session", sl.s.id),
			zap.String("limit", sl.limit), zap.Int64("queued_bytes", sl.queued))
	}
}

// add registers s and queues `$registered` first (§3): broadcasts are only queued under
// mu, so none can precede it. It fails with errRoomClosed when the room was torn down
// meanwhile and with errRoomFull at max_sessions_per_room.
func (rm *Room) add(s *session) error {
	rm.lock("add")
	defer rm.unlock()
	if rm.closed {
		return errRoomClosed
	}
	if limit := rm.srv.settings().maxSessionsPerRoom; limit > 0 && len(rm.sessions) >= limit {
		return errRoomFull
	}
	if s.userID != "" {
		rm.inheritPresence(s)
		if rm.users[s.userID] == nil {
			rm.users[s.userID] = map[string]*session{}
		}
		rm.users[s.userID][s.id] = s
	}
	rm.sessions[s.id] = s
	rm.size.Store(int32(len(rm.sessions)))
	s.room, s.joined = rm, true
	var state *string
	if !rm.store.IsEmpty() {
		st := rm.encodeState(s)
		state = &st
	}
	s.enqueue(encodeFrame(msgRegistered, registeredData{
		Presence: s.presence, SessionID: s.id, State: state,
		Timers: timers{Presence: timerValue(s.presenceTimer)},
	}, s.id, rm.id, s.user))
	return nil
}

// encodeState returns the document in base64 for s, which joins: `$registered` and
// `$storageReceived` both carry it (§3), and the second reuses what the first encoded
// unless the document changed in between. Callers hold mu.
func (rm *Room) encodeState(s *session) string {
	j := s.joinState
	s.joinState = joinState{} // used at most twice
	if j.state != "" && j.store == rm.store && j.gen == rm.gen {
		return j.state
	}
	st := base64.StdEncoding.EncodeToString(rm.store.Encode())
	if !s.initialized {
		s.joinState = joinState{state: st, store: rm.store, gen: rm.gen}
	}
	return st
}

// joinState is the document as encoded for a joining session, with what it was encoded
// from.
type joinState struct {
	state string
	store docStore
	gen   uint64
}

// inheritPresence copies presence from the user's session with the latest timer (§5.3).
func (rm *Room) inheritPresence(s *session) {
	var from *session
	for _, o := range rm.users[s.userID] {
		if from == nil || o.presenceTimer >= from.presenceTimer {
			from = o
		}
	}
	if from != nil {
		s.presence, s.presenceTimer = from.presence, from.presenceTimer
	}
}

// expel takes s out of the room and closes its socket with code and reason (op names
// the lock's holder for the slow-lock warning).
func (rm *Room) expel(s *session, op string, code int, reason string) {
	rm.lock(op)
	rm.expelLocked(s, code, reason)
	rm.unlock()
}

// expelLocked is expel for callers that hold mu.
func (rm *Room) expelLocked(s *session, code int, reason string) {
	rm.remove(s)
	s.close(code, reason)
}

// remove takes s out of the maps and tells the rest (`$exit`). Callers hold mu.
func (rm *Room) remove(s *session) {
	if !s.joined {
		return
	}
	s.joined = false
	delete(rm.sessions, s.id)
	rm.size.Store(int32(len(rm.sessions)))
	if s.userID != "" {
		delete(rm.users[s.userID], s.id)
		if len(rm.users[s.userID]) == 0 {
			delete(rm.users, s.userID)
		}
	}
	rm.broadcastLocked(encodeFrame(msgExit, exitData{SessionID: s.id}, s.id, rm.id, s.user))
}

// leave removes a session whose socket ended and tears the room down when it empties.
func (rm *Room) leave(s *session) {
	rm.lock("leave")
	rm.remove(s)
	empty := len(rm.sessions) == 0
	rm.unlock()
	if empty {
		rm.srv.teardown(rm)
	}
}

// broadcastLocked queues one encoded frame to every session. Callers hold mu.
func (rm *Room) broadcastLocked(frame []byte) {
	for _, o := range rm.sessions {
		o.enqueue(frame)
	}
}

// live reports whether s counts as present (§9.3).
func (rm *Room) live(s *session, now time.Time) bool {
	return s.joined && !s.stale(now, rm.srv.settings().pingTimeout)
}

// Size returns the number of live sessions: joined and pinged within the ping timeout.
func (rm *Room) Size() int {
	rm.lock("Size")
	defer rm.release()
	now := time.Now()
	n := 0
	for _, s := range rm.sessions {
		if rm.live(s, now) {
			n++
		}
	}
	return n
}

// Broadcast sends a custom event to every session of the room, with a null connectionId
// and user. event must be identifier-like; data must encode to a JSON object, array or
// null.
func (rm *Room) Broadcast(event string, data any) error {
	if !validEventName(event) {
		return fmt.Errorf("broadcasting: invalid event name %q", event)
	}
	raw, err := marshalCompact(data)
	if err != nil {
		return fmt.Errorf("broadcasting %s: %w", event, err)
	}
	if raw[0] != '{' && raw[0] != '[' && string(raw) != "null" {
		return fmt.Errorf("broadcasting %s: data is not an object or array", event)
	}
	frame := encodeFrame(event, json.RawMessage(raw), "", rm.id, nil)
	rm.lock("Broadcast")
	defer rm.unlock()
	if rm.closed {
		return fmt.Errorf("broadcasting %s: %w", event, errRoomClosed)
	}
	rm.broadcastLocked(frame)
	return nil
}

// Evict removes a session and closes its socket with 4000 (a kick: the client stays
// away). It reports whether the session was in the room.
func (rm *Room) Evict(sessionID string) bool {
	rm.lock("Evict")
	s, ok := rm.sessions[sessionID]
	if ok {
		rm.expelLocked(s, CloseEvicted, reasonEvicted)
	}
	empty := len(rm.sessions) == 0
	rm.unlock()
	if ok && empty {
		rm.srv.teardown(rm)
	}
	return ok
}

// EvictAll evicts every session of the room.
func (rm *Room) EvictAll() {
	rm.lock("EvictAll")
	for _, s := range rm.sessions {
		rm.expelLocked(s, CloseEvicted, reasonEvicted)
	}
	rm.unlock()
	rm.srv.teardown(rm)
}

// Register joins an upgraded socket to the room, verifying token as the server's auth
// config says; allowed_origins is not checked (the caller upgraded the request itself).
// On an auth failure the socket gets `$error` and close 3000 and the error is returned;
// otherwise the session runs in its own goroutines and Register returns.
func (rm *Room) Register(conn *websocket.Conn, token string) error {
	cfg := rm.srv.settings()
	user, userID, err := rm.srv.authorize(cfg, token, rm.id)
	if err != nil {
		go refuse(conn, rm.id, refuseToken(err), cfg.writeTimeout)
		return err
	}
	go rm.srv.run(conn, rm.id, user, userID, cfg)
	return nil
}

// collectStale removes sessions that stopped pinging, closes them with 1011 and sends
// the rest `$syncStateReceived` with the live ids (§9.3). It reports whether the room is
// now empty.
func (rm *Room) collectStale(now time.Time, timeout time.Duration) bool {
	rm.lock("collectStale")
	defer rm.unlock()
	var gone int
	for _, s := range rm.sessions {
		if s.stale(now, timeout) {
			rm.expelLocked(s, CloseStale, reasonStale)
			gone++
		}
	}
	if gone > 0 && len(rm.sessions) > 0 {
		ids := make([]string, 0, len(rm.sessions))
		for id := range rm.sessions {
			ids = append(ids, id)
		}
		data, _ := marshalCompact(syncStateData{ConnectionIDs: ids})
		// The client ignores this frame without a connectionId but reads nothing else from
		// it, so any live id serves and the frame is encoded once for everybody.
		frame := encodeFrame(msgSyncStateReceived, json.RawMessage(data), ids[0], rm.id, nil)
		rm.broadcastLocked(frame)
	}
	return len(rm.sessions) == 0
}

// changedLocked records that the store changed and needs writing. Callers hold mu.
func (rm *Room) changedLocked() { rm.gen++ }

// dirtyLocked reports whether the room has changes its file does not hold yet. Callers
// hold mu.
func (rm *Room) dirtyLocked() bool {
	return rm.path != "" && !rm.corrupt && rm.gen != rm.savedGen
}

// logger returns the current config's logger with the room field.
func (rm *Room) logger() *zap.Logger {
	return rm.srv.settings().logger.With(zap.String("room", rm.id))
}

// timerValue turns a stored timer into its JSON value (0 is null).
func timerValue(t int64) *int64 {
	if t == 0 {
		return nil
	}
	return &t
}

// Payloads of server frames (PROTOCOL.md §4.2).
type (
	timers struct {
		Presence *int64 `json:"presence"`
	}
	registeredData struct {
		Presence  json.RawMessage `json:"presence"`
		SessionID string          `json:"sessionId"`
		State     *string         `json:"state"`
		Timers    timers          `json:"timers"`
	}
	storageReceivedData struct {
		ChangeKind string `json:"changeKind"`
		State      string `json:"state"`
	}
	storageUpdatedData struct {
		State string `json:"state"`
	}
	userJoinedData struct {
		ConnectionID string          `json:"connectionId"`
		User         json.RawMessage `json:"user"`
		Presence     json.RawMessage `json:"presence"`
		Timers       timers          `json:"timers"`
	}
	otherData struct {
		ConnectionID string          `json:"connectionId"`
		Presence     json.RawMessage `json:"presence"`
		Room         string          `json:"room"`
		Timers       timers          `json:"timers"`
		User         json.RawMessage `json:"user"`
	}
	othersReceivedData struct {
		Others map[string]otherData `json:"others"`
	}
	presenceUpdatedData struct {
		Presence json.RawMessage `json:"presence"`
		Timers   timers          `json:"timers"`
	}
	exitData struct {
		SessionID string `json:"sessionId"`
	}
	syncStateData struct {
		ConnectionIDs []string `json:"connectionIds"`
	}
)
