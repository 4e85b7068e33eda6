package pluv

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/zap"
)

// Change kinds of `$storageReceived` (§6.3).
const (
	changeUnchanged   = "unchanged"
	changeInitialized = "initialized"
	changeEmpty       = "empty"
)

// errStorageUnavailable is sent when the room's file could not be read.
var errStorageUnavailable = errors.New("storage unavailable: the room's saved state " +
	"could not be read")

// errInitialized refuses a second `$initializeSession`: it comes once per socket (§4.1),
// and each would encode the whole document and broadcast `$userJoined`.
var errInitialized = errors.New("session already initialized: $initializeSession " +
	"comes once per socket")

// errBinaryFrame refuses binary frames: pluv speaks JSON text only (§1.4).
var errBinaryFrame = errors.New("binary frames are not supported")

// handle processes one frame of s, in the read pump: `$ping` at once, anything else
// within the session's rate limit. b is reused once handle returns, so nothing may keep
// it or a slice of it (decoding copies what it keeps).
func (rm *Room) handle(s *session, typ int, b []byte) {
	var f clientFrame
	err := errBinaryFrame
	if typ == websocket.TextMessage {
		f, err = decodeFrame(b)
	}
	if err == nil && f.Type == msgPing {
		s.lastPing.Store(time.Now().UnixNano())
		s.sendPong()
		return
	}
	if !rm.admit(s, f.Type) {
		return
	}
	if err != nil {
		rm.sendError(s, f.Type, fmt.Sprintf("%v (%d bytes)", err, len(b)))
		return
	}
	if ce := rm.srv.settings().logger.Check(zap.DebugLevel, "frame"); ce != nil {
		ce.Write(zap.String("room", rm.id), zap.String("session", s.id),
			zap.String("event", shortName(f.Type)), zap.Int("bytes", len(b)))
	}
	switch f.Type {
	case msgInitializeSession:
		rm.initialize(s, f.Data)
	case msgGetOthers:
		rm.sendOthers(s)
	case msgUpdatePresence:
		rm.updatePresence(s, f.Data)
	case msgUpdateStorage:
		rm.updateStorage(s, f.Data)
	default:
		rm.event(s, f)
	}
}

// admit applies the rate limit of s to one frame of type typ. A dropped frame is answered
// with `$error` at most once a second; a flood takes s out of the room and closes it with
// 1008. A `$updateStorage` is never dropped: that would leave the sender's document ahead
// of the room's for good (its later updates would wait for the lost one), so one over the
// limit closes the session with 1013 instead, and the reconnecting client's `$initialized`
// echo brings the room up to date. Frames of a closed session are dropped.
func (rm *Room) admit(s *session, typ string) bool {
	select {
	case <-s.done:
		return false
	default:
	}
	cost := 1
	if typ == msgGetOthers {
		// The answer lists the whole room: in a large room one request costs the server
		// as much as many messages, and is charged so.
		cost += int(rm.size.Load()) / othersPerToken
	}
	ok, notify, flood := s.limiter.admit(time.Now(), cost)
	switch {
	case !ok && !flood && typ == msgUpdateStorage:
		rm.logger().Info("storage update over the rate limit; closed with 1013 to resync",
			zap.String("session", s.id), zap.Float64("per_second", s.limiter.limit))
		rm.expel(s, "admit", CloseSlow, reasonRateResync)
	case flood:
		rm.logger().Info("session flooding; closed with 1008", zap.String("session", s.id),
			zap.Float64("per_second", s.limiter.limit))
		// The read pump's leave tears the room down if it is now empty.
		rm.expel(s, "admit", CloseFlood, reasonFlood)
	case notify:
		msg := fmt.Sprintf("rate limit exceeded (%g messages per second): frames dropped",
			s.limiter.limit)
		rm.logger().Info("rate limit exceeded", zap.String("session", s.id),
			zap.Float64("per_second", s.limiter.limit))
		rm.sendError(s, "", msg)
	}
	return ok
}

// sendError queues `$error` to s alone (connectionId = s) and logs the refusal.
func (rm *Room) sendError(s *session, event, message string) {
	frame := encodeFrame(msgError, errorData{Message: message}, s.id, rm.id, s.user)
	rm.lock("sendError")
	if s.joined {
		s.enqueue(frame)
	}
	rm.unlock()
	rm.logRefused(s, event, message)
}

// logRefused logs a frame refused with `$error`, never its payload. The first refusal of
// a session, and then at most one every refusalLogEvery, is logged at info with the
// number held back since; the others at debug, so a client sending nothing but bad
// frames costs the log one line per interval.
func (rm *Room) logRefused(s *session, event, message string) {
	log := rm.srv.settings().logger
	level := zap.DebugLevel
	ok, held := s.refusals.allow(time.Now(), refusalLogEvery)
	if ok {
		level = zap.InfoLevel
	}
	if ce := log.Check(level, "frame refused"); ce != nil {
		fields := []zap.Field{zap.String("room", rm.id), zap.String("session", s.id),
			zap.String("event", shortName(event)), zap.String("error", message)}
		if held > 0 {
			fields = append(fields, zap.Int("refused_since_last_line", held))
		}
		ce.Write(fields...)
	}
}

// shortName cuts a client-chosen name for logs and error messages.
func shortName(name string) string {
	const limit = 64
	if len(name) <= limit {
		return name
	}
	return strings.ToValidUTF8(name[:limit], "") + "…"
}

// decodeUpdate decodes a storage payload: standard or URL-safe base64, padded or not.
func decodeUpdate(s string) ([]byte, error) {
	s = strings.TrimRight(s, "=")
	s = strings.NewReplacer("-", "+", "_", "/").Replace(s)
	b, err := base64.RawStdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("decoding update: %w", err)
	}
	return b, nil
}

// initialize answers `$initializeSession` (§6.3): stores the initial presence (§15.6),
// replies `$storageReceived` to s and broadcasts `$userJoined` (sender included).
func (rm *Room) initialize(s *session, data json.RawMessage) {
	var in struct {
		Presence json.RawMessage `json:"presence"`
		Update   *string         `json:"update"`
	}
	if err := decodeData(data, &in); err != nil {
		rm.sendError(s, msgInitializeSession, "invalid $initializeSession: "+err.Error())
		return
	}
	var update []byte
	var errs []string
	if in.Update != nil && *in.Update != "" {
		var err error
		if update, err = decodeUpdate(*in.Update); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if len(update) > 0 {
		held, err := s.applyBudget(update)
		if err != nil {
			rm.applyRefused(s, msgInitializeSession, err)
			return
		}
		defer s.budget.release(held)
	}
	maxPresence := rm.srv.settings().maxPresenceSize
	now := time.Now().UnixMilli()
	rm.recheckCorrupt(s)

	defer func() {
		for _, e := range errs { // after the unlock below
			rm.logRefused(s, msgInitializeSession, e)
		}
	}()
	rm.lock("initialize")
	defer rm.unlock()
	if !s.joined {
		return
	}
	if s.initialized {
		errs = append(errs[:0], errInitialized.Error())
		s.enqueue(encodeFrame(msgError, errorData{Message: errs[0]}, s.id, rm.id, s.user))
		return
	}
	s.initialized = true
	if !isJSONNull(in.Presence) {
		p, err := mergePresence(nil, in.Presence, maxPresence)
		if err != nil {
			errs = append(errs, err.Error())
		} else {
			s.presence, s.presenceTimer = p, now
		}
	}
	kind, err := rm.initialStorage(s, update)
	if err != nil {
		errs = append(errs, err.Error())
	}
	for _, e := range errs {
		s.enqueue(encodeFrame(msgError, errorData{Message: e}, s.id, rm.id, s.user))
	}
	state := rm.encodeState(s)
	s.enqueue(encodeFrame(msgStorageReceived, storageReceivedData{
		ChangeKind: kind, State: state,
	}, s.id, rm.id, s.user))
	s.storageSent = true
	rm.broadcastLocked(encodeFrame(msgUserJoined, userJoinedData{
		ConnectionID: s.id, User: s.user, Presence: s.presence,
		Timers: timers{Presence: timerValue(s.presenceTimer)},
	}, s.id, rm.id, s.user))
}

// initialStorage picks the change kind for a joining session and, when the room is
// empty, seeds it with the session's state. Callers hold mu.
func (rm *Room) initialStorage(s *session, update []byte) (string, error) {
	switch {
	case rm.corrupt:
		return changeInitialized, errStorageUnavailable
	case !rm.store.IsEmpty():
		return changeUnchanged, nil
	case len(update) == 0:
		return changeEmpty, nil
	}
	delta, err := rm.store.Apply(update)
	if err != nil {
		return changeInitialized, fmt.Errorf("storage refused: %w", err)
	}
	rm.noteModelLocked()
	if delta != nil {
		rm.changedLocked()
	}
	// Sessions that already received an empty state get the seed as an update.
	rm.sendDeltaLocked(s, delta, s)
	return changeInitialized, nil
}

// sendDeltaLocked broadcasts `$storageUpdated` with delta from sender to every session
// that has been sent `$storageReceived`, except skip. Callers hold mu.
func (rm *Room) sendDeltaLocked(sender *session, delta []byte, skip *session) {
	if delta == nil {
		return
	}
	frame := encodeFrame(msgStorageUpdated, storageUpdatedData{
		State: base64.StdEncoding.EncodeToString(delta),
	}, sender.id, rm.id, sender.user)
	for _, o := range rm.sessions {
		if o.storageSent && o != skip {
			o.enqueue(frame)
		}
	}
}

// updateStorage applies `$updateStorage` (§6.5) and relays only what was new (§15.4).
func (rm *Room) updateStorage(s *session, data json.RawMessage) {
	var in struct {
		Update *string `json:"update"`
	}
	if err := decodeData(data, &in); err != nil {
		rm.sendError(s, msgUpdateStorage, "invalid $updateStorage: "+err.Error())
		return
	}
	if in.Update == nil || *in.Update == "" {
		return
	}
	update, err := decodeUpdate(*in.Update)
	if err != nil {
		rm.sendError(s, msgUpdateStorage, err.Error())
		return
	}
	held, err := s.applyBudget(update)
	if err != nil {
		rm.applyRefused(s, msgUpdateStorage, err)
		return
	}
	defer s.budget.release(held)

	var refused string
	defer func() {
		if refused != "" { // after the unlock below
			rm.logRefused(s, msgUpdateStorage, refused)
		}
	}()
	rm.lock("updateStorage")
	defer rm.unlock()
	if !s.joined {
		return
	}
	if rm.corrupt {
		refused = errStorageUnavailable.Error()
		s.enqueue(encodeFrame(msgError, errorData{Message: refused}, s.id, rm.id, s.user))
		return
	}
	delta, err := rm.store.Apply(update)
	if err != nil {
		refused = "storage refused: " + err.Error()
		s.enqueue(encodeFrame(msgError, errorData{Message: refused}, s.id, rm.id, s.user))
		return
	}
	rm.noteModelLocked()
	if delta != nil {
		rm.changedLocked()
	}
	// The sender has its own update already: the delta goes to everyone else.
	rm.sendDeltaLocked(s, delta, s)
}

// applyRefused answers a storage update that could not get its apply budget. One past
// the whole budget gets `$error` (a bigger max_bytes_in_flight would take it); one that
// waited too long for it closes the session with 1013, since dropping it would leave
// the sender's document ahead of the room's: the reconnecting client resends its state.
func (rm *Room) applyRefused(s *session, event string, err error) {
	if errors.Is(err, errUpdateTooComplex) {
		rm.sendError(s, event, "storage refused: "+err.Error())
		return
	}
	rm.logger().Info("no budget to apply a storage update; closed with 1013 to resync",
		zap.String("session", s.id), zap.String("event", event), zap.Error(err))
	rm.expel(s, "applyRefused", CloseSlow, reasonBudgetResync)
}

// updatePresence merges `$updatePresence` into the sender's presence, shares it with the
// user's other sessions and broadcasts the merged value (§5).
func (rm *Room) updatePresence(s *session, data json.RawMessage) {
	var in struct {
		Presence json.RawMessage `json:"presence"`
	}
	if err := decodeData(data, &in); err != nil {
		rm.sendError(s, msgUpdatePresence, "invalid $updatePresence: "+err.Error())
		return
	}
	maxPresence := rm.srv.settings().maxPresenceSize
	now := time.Now().UnixMilli()

	var refused error
	defer func() {
		if refused != nil { // after the unlock below
			rm.logRefused(s, msgUpdatePresence, refused.Error())
		}
	}()
	rm.lock("updatePresence")
	defer rm.unlock()
	if !s.joined {
		return
	}
	merged, err := mergePresence(s.presence, in.Presence, maxPresence)
	if err != nil {
		refused = err
		s.enqueue(encodeFrame(msgError, errorData{Message: err.Error()}, s.id, rm.id, s.user))
		return
	}
	s.presence, s.presenceTimer = merged, now
	if s.userID != "" {
		for _, o := range rm.users[s.userID] {
			o.presence, o.presenceTimer = merged, now
		}
	}
	rm.broadcastLocked(encodeFrame(msgPresenceUpdated, presenceUpdatedData{
		Presence: merged, Timers: timers{Presence: timerValue(now)},
	}, s.id, rm.id, s.user))
}

// sendOthers answers `$getOthers` once with every live session but the sender.
func (rm *Room) sendOthers(s *session) {
	rm.lock("sendOthers")
	defer rm.unlock()
	if !s.joined {
		return
	}
	now := time.Now()
	others := make(map[string]otherData, len(rm.sessions))
	for id, o := range rm.sessions {
		if o == s || !rm.live(o, now) {
			continue
		}
		others[id] = otherData{
			ConnectionID: id, Presence: o.presence, Room: rm.id,
			Timers: timers{Presence: timerValue(o.presenceTimer)}, User: o.user,
		}
	}
	s.enqueue(encodeFrame(msgOthersReceived, othersReceivedData{Others: others},
		s.id, rm.id, s.user))
}

// event handles every other name: a defined event, a relay, or an error (§7.2, §15.9).
func (rm *Room) event(s *session, f clientFrame) {
	cfg := rm.srv.settings()
	if strings.HasPrefix(f.Type, "$") {
		rm.sendError(s, f.Type, fmt.Sprintf("unknown message type %q", shortName(f.Type)))
		return
	}
	ev := cfg.events[f.Type]
	if ev == nil {
		ev = rm.srv.goEvent(f.Type)
	}
	if ev == nil {
		switch {
		case cfg.strictEvents:
			rm.sendError(s, f.Type, fmt.Sprintf("unknown event %q", shortName(f.Type)))
		case !validEventName(f.Type):
			rm.sendError(s, f.Type, fmt.Sprintf("invalid event name %q", shortName(f.Type)))
		default:
			rm.emit(s, []emission{{kind: KindBroadcast, name: f.Type, data: f.Data}})
		}
		return
	}
	out, err := ev.run(context.Background(), eventContext{
		room: rm.id, session: s.id, user: s.user, nowMs: time.Now().UnixMilli(),
	}, f.Data)
	if err != nil {
		rm.sendError(s, f.Type, err.Error())
		return
	}
	rm.emit(s, out)
}

// emit delivers an event's frames: broadcast to all, self and sync to the sender. Each
// frame is encoded once with the sender's id and user.
func (rm *Room) emit(s *session, out []emission) {
	frames := make([][]byte, len(out))
	for i, e := range out {
		frames[i] = encodeFrame(e.name, e.data, s.id, rm.id, s.user)
	}
	rm.lock("emit")
	defer rm.unlock()
	if !s.joined {
		return
	}
	for i, e := range out {
		if e.kind == KindBroadcast {
			rm.broadcastLocked(frames[i])
		} else {
			s.enqueue(frames[i])
		}
	}
}
