package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/caddy-pluv/caddy-pluv/internal/pluvtest"
)

// expectRefused checks §8.3 / §15.8: the socket gets exactly one `$error` {message:
// "Not authorized"} with null connectionId and user, then close 3000.
func expectRefused(t *testing.T, c *pluvtest.Client, message string) {
	t.Helper()

	info := c.AwaitClose()
	mustEqual(t, "close code", info.Code, 3000)
	types := c.Types()
	if len(types) != 1 || types[0] != pluvtest.TypeError {
		t.Fatalf("frames before the close = %v, want one $error", types)
	}

	f := c.Frames()[0]
	mustEqual(t, "$error connectionId", f.ConnectionID, "")
	jsonEqual(t, "$error user", f.User, "null")
	e := decode[pluvtest.ErrorData](t, f)
	if message != "" {
		mustEqual(t, "$error message", e.Message, message)
		mustEqual(t, "close reason", info.Text, "WebSocket unauthorized.")
	}
}

// TestAuthRefused: every kind of bad token ends in `$error` + close 3000 and nothing else,
// with the token in the query encoded both ways of §1.3.
func TestAuthRefused(t *testing.T) {
	r := startRoom(t, authBlock)
	ann := map[string]any{"id": "ann"}
	cases := []struct {
		name  string
		token func() string
	}{
		{"missing", func() string { return "" }},
		{"garbage", func() string { return "not-a-token" }},
		{"garbage with reserved characters", func() string { return "a+b/c=d%e f" }},
		{"expired HS256", func() string {
			return hs256(t, tokenSpec{room: r.id, user: ann, age: time.Hour, life: time.Minute})
		}},
		{"expired JWE", func() string {
			return pluvJWE(t, tokenSpec{room: r.id, user: ann, age: time.Hour, life: time.Minute})
		}},
		{"wrong room", func() string { return hs256(t, tokenSpec{room: "other", user: ann}) }},
		{"wrong room JWE", func() string { return pluvJWE(t, tokenSpec{room: "other", user: ann}) }},
		{"wrong secret", func() string {
			return hs256(t, tokenSpec{room: r.id, user: ann, secret: "wrong-secret-123"})
		}},
		{"wrong secret JWE", func() string {
			return pluvJWE(t, tokenSpec{room: r.id, user: ann, secret: "wrong-secret-123"})
		}},
		{"alg none", func() string { return algNone(t, tokenSpec{room: r.id, user: ann}) }},
		{"user without id", func() string {
			return hs256(t, tokenSpec{room: r.id, user: map[string]any{"name": "x"}})
		}},
		{"user not an object", func() string { return hs256(t, tokenSpec{room: r.id, user: "ann"}) }},
		{"not yet valid", func() string {
			return hs256(t, tokenSpec{room: r.id, user: ann, nbf: time.Hour})
		}},
		{"issued before max_age", func() string {
			return hs256(t, tokenSpec{room: r.id, user: ann, age: 70000 * time.Second,
				life: 80000 * time.Second})
		}},
		{"tampered signature", func() string {
			tok := hs256(t, tokenSpec{room: r.id, user: ann})
			return tok[:len(tok)-4] + "AAAA"
		}},
	}
	for _, tc := range cases {
		for _, enc := range []pluvtest.TokenEncoding{pluvtest.TokenAsClient, pluvtest.TokenOnce} {
			name := tc.name
			if enc == pluvtest.TokenOnce {
				name += " once-encoded"
			}

			t.Run(name, func(t *testing.T) {
				c := r.dial("refused", pluvtest.Options{Token: tc.token(), TokenEncoding: enc})
				expectRefused(t, c, "Not authorized")
			})
		}
	}
}

// TestAuthAccepted: HS256 and pluv's JWE tokens both admit, with both encodings, and the
// session user is the token's user reduced to the schema's properties.
func TestAuthAccepted(t *testing.T) {
	r := startRoom(t, authBlock)
	user := map[string]any{"id": "ann", "name": "Ann", "role": "admin"}
	cases := []struct {
		name  string
		token string
		enc   pluvtest.TokenEncoding
	}{
		{"HS256", hs256(t, tokenSpec{room: r.id, user: user}), pluvtest.TokenAsClient},
		{"HS256 once-encoded", hs256(t, tokenSpec{room: r.id, user: user}), pluvtest.TokenOnce},
		{"JWE", pluvJWE(t, tokenSpec{room: r.id, user: user}), pluvtest.TokenAsClient},
		{"JWE once-encoded", pluvJWE(t, tokenSpec{room: r.id, user: user}), pluvtest.TokenOnce},
		{"HS256 within leeway", hs256(t, tokenSpec{room: r.id, user: user,
			age: time.Minute + 5*time.Second, life: time.Minute}), pluvtest.TokenAsClient},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := r.dial("ann", pluvtest.Options{Token: tc.token, TokenEncoding: tc.enc})
			h := c.Handshake()
			jsonEqual(t, "session user", h.Registered.User, `{"id":"ann","name":"Ann"}`)
			c.Close()
		})
	}
}

// TestAuthOptional: with `required false` a socket without a token joins anonymously, and a
// present but bad token is still refused (§15.2).
func TestAuthOptional(t *testing.T) {
	r := startRoom(t, "auth {\n\t\t\tsecret "+e2eSecret+"\n\t\t\trequired false\n\t\t}")
	anon := r.dial("anon", pluvtest.Options{})
	jsonEqual(t, "anonymous user", anon.Handshake().Registered.User, "null")

	ann := r.dial("ann", pluvtest.Options{Token: userToken(t, r.id, "ann", "")})
	jsonEqual(t, "ann's user", ann.Handshake().Registered.User, `{"id":"ann"}`)

	bad := r.dial("bad", pluvtest.Options{Token: "garbage"})
	expectRefused(t, bad, "Not authorized")
}

// TestBadRoomIDs: a missing or invalid room id is refused after the upgrade with `$error`
// and close 3000, never by refusing the upgrade (§9.1, §15.8).
func TestBadRoomIDs(t *testing.T) {
	r := startRoom(t)
	ids := []string{"", "-lead", "trail-", "has space", "sl/ash", "dot.dot", "..",
		strings.Repeat("a", 101), "ünï", "\u212a", "a\x00b", "a\u200bb"}
	for _, id := range ids {
		t.Run(id, func(t *testing.T) {
			c := pluvtest.MustDial(t, r.url(id), pluvtest.Options{Name: "bad-room"})
			expectRefused(t, c, "")
		})
	}

	t.Run("no room parameter", func(t *testing.T) {
		c := pluvtest.MustDial(t, r.s.WS+"/api/pluv/room", pluvtest.Options{Name: "no-room"})
		expectRefused(t, c, "")
	})

	t.Run("longest valid", func(t *testing.T) {
		c := pluvtest.MustDial(t, r.url(strings.Repeat("a", 100)), pluvtest.Options{})
		c.Handshake()
	})
}
