package e2e

import (
	"encoding/json"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/caddy-pluv/caddy-pluv/internal/pluvtest"
)

// authBlock is the auth subdirective most tests use: HS256 and JWE tokens with e2eSecret,
// a user schema that keeps id and name.
const authBlock = `auth {
		secret ` + e2eSecret + `
		user {
			name string optional
		}
	}`

// barrierEvent is the relayed event name pluvtest barriers use in these tests.
const barrierEvent = "e2eBarrier"

// sessionIDPattern is the Ref's session id format, `p_` + UUID v4 (PROTOCOL.md §2.4).
var sessionIDPattern = regexp.MustCompile(
	`^p_[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// pluvSite is a site body: the pluv handler with a fresh storage_dir and the given extra
// subdirectives, followed by a responder that proves non-upgrade requests pass through.
func pluvSite(t testing.TB, dir string, extra ...string) string {
	t.Helper()

	if dir == "" {
		dir = t.TempDir()
	}

	return "\tpluv {\n\t\tstorage_dir " + dir + "\n\t\t" + strings.Join(extra, "\n\t\t") +
		"\n\t}\n\trespond \"next handler\" 200\n"
}

// room is a running Caddy plus a room id to dial.
type room struct {
	t  testing.TB
	s  *caddyServer
	id string
}

// startRoom starts Caddy with pluvSite(extra...) and picks a room id from the test name.
func startRoom(t testing.TB, extra ...string) *room {
	t.Helper()

	s := startCaddyConfig(t, caddyConfig{Site: pluvSite(t, "", extra...)})

	return &room{t: t, s: s, id: roomID(t)}
}

// roomID derives a valid room id from the test name.
func roomID(t testing.TB) string {
	id := strings.ToLower(regexp.MustCompile(`[^A-Za-z0-9]+`).ReplaceAllString(t.Name(), "-"))
	id = strings.Trim(id, "-")
	if len(id) > 100 {
		id = id[len(id)-100:]
	}

	return strings.Trim(id, "-")
}

// url is the socket URL of room id on s.
func (r *room) url(id string) string {
	return r.s.WS + "/api/pluv/room?room=" + url.QueryEscape(id)
}

// dial connects a strict client to the room; name labels it in failures. When the test
// ends, it also fails if the client ever got a delta of its own edit back (see
// [ownDeltas]); tests that need the check at a given point call [noOwnDeltas].
func (r *room) dial(name string, o pluvtest.Options) *pluvtest.Client {
	r.t.Helper()

	o.Name = name
	if o.Timeout == 0 {
		o.Timeout = 5 * time.Second
	}

	c := pluvtest.MustDial(r.t, r.url(r.id), o)
	r.t.Cleanup(func() {
		if own := ownDeltas(c); len(own) > 0 {
			r.t.Errorf("%s got %d $storageUpdated for its own edits, first: %s",
				c.Name(), len(own), own[0])
		}
	})

	return c
}

// ownDeltas returns the `$storageUpdated` frames c received for its own edits (connectionId
// = its session id). The server relays a delta to every initialised session except its
// sender, which already has the update (PROTOCOL.md §6.5), so there must be none.
func ownDeltas(c *pluvtest.Client) []pluvtest.Frame {
	id := c.SessionID()
	if id == "" {
		return nil // not registered: no frame names it
	}

	var own []pluvtest.Frame
	for _, f := range c.Frames() {
		if f.Type == pluvtest.TypeStorageUpdated && f.ConnectionID == id {
			own = append(own, f)
		}
	}

	return own
}

// noOwnDeltas fails the test if c received a `$storageUpdated` for its own edits. Call it
// after c's own barrier ([pluvtest.Client.Barrier] sent by c): c's frames are processed in
// order, so a delta of an earlier edit would have reached c before the barrier did.
func noOwnDeltas(t testing.TB, c *pluvtest.Client) {
	t.Helper()

	if own := ownDeltas(c); len(own) > 0 {
		t.Fatalf("%s got %d $storageUpdated for its own edits, first: %s",
			c.Name(), len(own), own[0])
	}
}

// user dials as user id (HS256 token for the room) and completes the handshake.
func (r *room) user(name, id string, presence map[string]any) *pluvtest.Client {
	r.t.Helper()

	c := r.dial(name, pluvtest.Options{
		Token:    hs256(r.t, tokenSpec{room: r.id, user: map[string]any{"id": id}}),
		Presence: presence,
	})
	c.Handshake()

	return c
}

// barrierAll sends a barrier from each client and waits until all of them have it: then
// every frame caused by anything the clients sent before has been delivered.
func barrierAll(cs ...*pluvtest.Client) {
	for i, c := range cs {
		others := append(append([]*pluvtest.Client{}, cs[:i]...), cs[i+1:]...)
		c.Barrier(barrierEvent, others...)
	}
}

// mustEqual fails the test when got != want.
func mustEqual[T comparable](t testing.TB, what string, got, want T) {
	t.Helper()

	if got != want {
		t.Fatalf("%s = %v, want %v", what, got, want)
	}
}

// jsonEqual fails the test unless got and want are the same JSON value.
func jsonEqual(t testing.TB, what string, got json.RawMessage, want string) {
	t.Helper()

	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("%s: %v in %s", what, err, got)
	}

	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("%s: bad want %s: %v", what, want, err)
	}

	if !reflect.DeepEqual(g, w) {
		t.Fatalf("%s = %s, want %s", what, got, want)
	}
}

// decode unmarshals a frame's data, failing the test on error.
func decode[T any](t testing.TB, f pluvtest.Frame) T {
	t.Helper()

	var v T
	if err := f.Decode(&v); err != nil {
		t.Fatalf("%v: %s", err, f)
	}

	return v
}

// userToken is an HS256 token for user id (with name) in room.
func userToken(t testing.TB, room, id, name string) string {
	t.Helper()

	u := map[string]any{"id": id}
	if name != "" {
		u["name"] = name
	}

	return hs256(t, tokenSpec{room: room, user: u})
}

// mustJSON encodes v, failing the test on error.
func mustJSON(t testing.TB, v any) json.RawMessage {
	t.Helper()

	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}

	return b
}
