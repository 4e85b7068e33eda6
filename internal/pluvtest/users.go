package pluvtest

import (
	"encoding/json"
	"maps"
	"sort"
)

// Other is one other user as the real client shows it: all its connections in the room
// grouped under one client id (the user id, or the connection id without auth).
type Other struct {
	// ClientID is the user id, or the connection id when the user has none.
	ClientID string
	// ConnectionID is the connection the entry was created from.
	ConnectionID string
	// ConnectionIDs are every live connection of this user, sorted.
	ConnectionIDs []string
	// User is the raw user object, or null.
	User json.RawMessage
	// Presence is the merged presence.
	Presence map[string]any
}

// users mirrors the real client's UsersManager: myself, the others keyed by client id, and
// the connection → client id index.
type users struct {
	initial    map[string]any
	myPresence map[string]any
	myConn     string
	myUser     json.RawMessage
	hasMyself  bool
	others     map[string]*Other
	byConn     map[string]string
}

func newUsers(initial map[string]any) users {
	return users{
		initial:    initial,
		myPresence: initial,
		others:     map[string]*Other{},
		byConn:     map[string]string{},
	}
}

// clientIDOf is the real client's getClientId for a user info: the user id, else the
// connection id.
func clientIDOf(conn string, user json.RawMessage) string {
	if id := userID(user); id != "" {
		return id
	}

	return conn
}

// clientID returns the client id of a connection, "" when unknown.
func (u *users) clientID(conn string) string {
	if u.hasMyself && conn == u.myConn {
		return clientIDOf(u.myConn, u.myUser)
	}

	return u.byConn[conn]
}

func (u *users) myClientID() string {
	if !u.hasMyself {
		return ""
	}

	return clientIDOf(u.myConn, u.myUser)
}

// setMyself records the client's own connection; presence nil means its initial presence.
func (u *users) setMyself(conn string, user json.RawMessage, presence map[string]any) {
	if presence == nil {
		presence = u.initial
	}

	u.hasMyself = true
	u.myConn, u.myUser, u.myPresence = conn, user, presence
	u.byConn[conn] = clientIDOf(conn, user)
}

// merge returns the shallow merge of the maps in order, like JavaScript's spread.
func merge(ms ...map[string]any) map[string]any {
	out := map[string]any{}
	for _, m := range ms {
		maps.Copy(out, m)
	}

	return out
}

// add is addConnection: the first connection of a client id creates the entry; later ones
// only join it.
func (u *users) add(conn string, user json.RawMessage, presence map[string]any) {
	id := clientIDOf(conn, user)
	u.byConn[conn] = id
	if id == u.myClientID() {
		return
	}

	if o, ok := u.others[id]; ok {
		o.ConnectionIDs = appendSorted(o.ConnectionIDs, conn)
		return
	}

	u.others[id] = &Other{
		ClientID:      id,
		ConnectionID:  conn,
		ConnectionIDs: []string{conn},
		User:          user,
		Presence:      merge(u.initial, presence),
	}
}

// patch is patchPresence: a patch for one of my connections updates my presence.
func (u *users) patch(conn string, p map[string]any) bool {
	id := u.clientID(conn)
	if id == "" {
		return false
	}

	if id == u.myClientID() {
		u.myPresence = merge(u.myPresence, p)
		return true
	}

	o, ok := u.others[id]
	if !ok {
		return false
	}

	o.Presence = merge(u.initial, o.Presence, p)

	return true
}

// presenceUpdated handles `$presenceUpdated` from conn.
func (u *users) presenceUpdated(conn string, user json.RawMessage, p map[string]any) {
	if u.hasMyself && conn == u.myConn {
		return
	}

	if !u.patch(conn, p) {
		u.add(conn, user, p)
	}
}

// exit handles `$exit`: the user goes when its last connection does.
func (u *users) exit(conn string) {
	id := u.clientID(conn)
	delete(u.byConn, conn)
	o, ok := u.others[id]
	if id == "" || !ok {
		return
	}

	o.ConnectionIDs = remove(o.ConnectionIDs, conn)
	if len(o.ConnectionIDs) == 0 {
		delete(u.others, id)
	}
}

// syncState handles `$syncStateReceived`: others whose entry connection is not listed go.
func (u *users) syncState(active []string) {
	if !u.hasMyself {
		return
	}

	live := map[string]bool{}
	for _, id := range active {
		live[id] = true
	}

	for _, o := range u.others {
		if !live[o.ConnectionID] {
			u.exit(o.ConnectionID)
		}
	}
}

// snapshot copies the others for a caller outside the lock.
func (u *users) snapshot() map[string]Other {
	out := make(map[string]Other, len(u.others))
	for id, o := range u.others {
		cp := *o
		cp.ConnectionIDs = append([]string(nil), o.ConnectionIDs...)
		cp.Presence = maps.Clone(o.Presence)
		out[id] = cp
	}

	return out
}

func appendSorted(s []string, v string) []string {
	for _, x := range s {
		if x == v {
			return s
		}
	}

	s = append(s, v)
	sort.Strings(s)

	return s
}

func remove(s []string, v string) []string {
	out := s[:0]
	for _, x := range s {
		if x != v {
			out = append(out, x)
		}
	}

	return out
}

// Others returns the client's view of the other users, keyed by client id.
func (c *Client) Others() map[string]Other {
	c.mu.Lock()
	defer c.mu.Unlock()

	return c.users.snapshot()
}

// MyPresence returns the client's own presence as the real client holds it.
func (c *Client) MyPresence() map[string]any {
	c.mu.Lock()
	defer c.mu.Unlock()

	return maps.Clone(c.users.myPresence)
}
