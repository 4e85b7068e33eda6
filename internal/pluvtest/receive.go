package pluvtest

import (
	"encoding/base64"
	"encoding/json"
	"time"
)

// pongTimeout is how long the real client waits for `$pong` before it closes its socket for
// good (PROTOCOL.md §1.6). A variable so that tests of this package can shorten it.
var pongTimeout = 2 * time.Second

// protoState is what the client knows about its place in the handshake.
type protoState struct {
	sessionID       string
	user            json.RawMessage
	registered      bool
	refused         bool // an `$error` came before `$registered`
	initSent        int  // `$initializeSession` frames sent
	storageReceived int  // `$storageReceived` frames received
	getOthersSent   int
	othersReceived  int
	ownJoined       int // own `$userJoined` frames received

	// The heartbeat as the real client keeps it: one timer, restarted by every `$ping` and
	// cleared by any `$pong`, so a `$pong` answers every ping sent before it.
	pings     int         // `$ping` frames sent
	pongs     int         // `$pong` frames received
	pingAt    time.Time   // when the latest `$ping` was sent
	pongSince bool        // a `$pong` arrived after the latest `$ping`
	pingTimer *time.Timer // fires pongTimeout after the latest `$ping`
}

// receive checks one frame and, if the real client would accept it, records it, updates the
// model and performs the automatic handshake steps.
func (c *Client) receive(kind int, raw []byte, at time.Time) {
	f, err := parseFrame(kind, raw)
	if err != nil {
		c.violate("%v: %s", err, shortRaw(raw))
		return
	}

	f.At = at
	if err := checkShape(f, checkState); err != nil {
		c.violate("%s: %v: %s", f.Type, err, shortRaw(raw))
		return
	}

	c.mu.Lock()
	send := c.acceptLocked(f)
	f.Seq = len(c.frames)
	c.frames = append(c.frames, f)
	c.notifyLocked()
	c.mu.Unlock()

	for _, m := range send {
		_ = c.sendJSON(m)
	}
}

// acceptLocked applies the ordering rules and the model; it returns the frames to send
// automatically. c.mu must be held.
func (c *Client) acceptLocked(f Frame) []map[string]any {
	st := &c.st
	if c.opts.Room != "" && f.Room != "" && f.Room != c.opts.Room {
		c.violateLocked("%s: room %q, want %q", f.Type, f.Room, c.opts.Room)
	}

	if !st.registered && f.Type != TypeRegistered && f.Type != TypePong {
		if f.Type != TypeError {
			c.violateLocked("%s arrived before $registered: %s", f.Type, f)
		} else {
			st.refused = true
		}
	}

	switch f.Type {
	case TypeRegistered:
		return c.onRegistered(f)
	case TypeStorageReceived:
		return c.onStorageReceived(f)
	case TypeStorageUpdated:
		c.onStorageUpdated(f)
	case TypeUserJoined:
		return c.onUserJoined(f)
	case TypeOthersReceived:
		c.onOthersReceived(f)
	case TypePresenceUpdated:
		var d PresenceUpdated
		_ = f.Decode(&d)
		c.users.presenceUpdated(f.ConnectionID, f.User, d.Presence)
	case TypeExit:
		c.users.exit(f.ConnectionID)
	case TypeSyncStateReceived:
		var d SyncStateReceived
		_ = f.Decode(&d)
		c.users.syncState(d.ConnectionIDs)
	case TypePong:
		c.onPong(f.At)
	}

	return nil
}

func (c *Client) onRegistered(f Frame) []map[string]any {
	st := &c.st
	if st.registered {
		c.violateLocked("second $registered: %s", f)
		return nil
	}

	var d Registered
	_ = f.Decode(&d)
	st.registered = true
	st.sessionID = f.ConnectionID
	st.user = f.User
	c.users.setMyself(f.ConnectionID, f.User, d.Presence)

	if c.opts.Manual&StepInitialize != 0 {
		return nil
	}

	st.initSent++
	data := map[string]any{"update": c.initialUpdateLocked(d.State != nil && *d.State != "")}
	if p := c.users.myPresence; p != nil {
		data["presence"] = p
	}

	return []map[string]any{{"type": TypeInitializeSession, "data": data}}
}

// initialUpdateLocked is what the real client sends as `$initializeSession.update`: when
// the room has no state, its cached updates if any; else its initial document, or "" when
// it has none.
func (c *Client) initialUpdateLocked(roomHasState bool) string {
	if !roomHasState {
		if m, err := merged(c.opts.Cached); err == nil && m != nil {
			return base64.StdEncoding.EncodeToString(m)
		}
	}

	if c.opts.Update == nil {
		return ""
	}

	return base64.StdEncoding.EncodeToString(c.opts.Update)
}

func (c *Client) onStorageReceived(f Frame) []map[string]any {
	st := &c.st
	st.storageReceived++
	if st.storageReceived > st.initSent {
		c.violateLocked("$storageReceived without a $initializeSession to answer: %s", f)
	}

	var d StorageReceived
	_ = f.Decode(&d)
	if err := c.doc.reset(d.ChangeKind, d.State, c.opts.Cached); err != nil {
		c.violateLocked("$storageReceived: %v", err)
	}

	if c.opts.Manual&StepStorageEcho != 0 {
		return nil
	}

	return []map[string]any{{
		"type": TypeUpdateStorage,
		"data": map[string]any{
			"origin": "$initialized",
			"update": base64.StdEncoding.EncodeToString(c.doc.encode()),
		},
	}}
}

func (c *Client) onStorageUpdated(f Frame) {
	if c.st.storageReceived == 0 {
		c.violateLocked("$storageUpdated before $storageReceived (the client's storage "+
			"breaks for good): %s", f)
	}

	var d StorageUpdated
	_ = f.Decode(&d)
	b, _ := decodeState(d.State)
	if _, err := c.doc.apply(b); err != nil {
		c.violateLocked("$storageUpdated: applying state: %v", err)
	}
}

func (c *Client) onUserJoined(f Frame) []map[string]any {
	if !c.st.registered {
		return nil
	}

	if f.ConnectionID != c.st.sessionID {
		var d UserJoined
		_ = f.Decode(&d)
		c.users.add(f.ConnectionID, d.User, d.Presence)

		return nil
	}

	c.st.ownJoined++
	if c.opts.Manual&StepGetOthers != 0 {
		return nil
	}

	c.st.getOthersSent++

	return []map[string]any{{"type": TypeGetOthers, "data": map[string]any{}}}
}

func (c *Client) onOthersReceived(f Frame) {
	st := &c.st
	st.othersReceived++
	if st.othersReceived > st.getOthersSent {
		c.violateLocked("$othersReceived without a $getOthers to answer: %s", f)
	}

	var d OthersReceived
	_ = f.Decode(&d)
	for id, e := range d.Others {
		c.users.add(id, e.User, e.Presence)
		if e.Presence != nil {
			c.users.patch(id, e.Presence)
		}
	}
}

// onPong clears the heartbeat timer like the real client; a `$pong` with no `$ping` before
// it, or one that comes after the client would have given up, is a violation.
func (c *Client) onPong(at time.Time) {
	st := &c.st
	st.pongs++
	if st.pongs > st.pings {
		c.violateLocked("$pong without a $ping")
		return
	}

	if st.pongSince {
		return
	}

	st.pongSince = true
	st.pingTimer.Stop()
	if d := at.Sub(st.pingAt); d > pongTimeout {
		c.violateLocked("$pong came %v after the $ping (the client gives up after %v)",
			d, pongTimeout)
	}
}

// shortRaw renders a raw frame for messages.
func shortRaw(raw []byte) string {
	return short(json.RawMessage(raw))
}
