package e2e

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/caddy-pluv/caddy-pluv/internal/pluvtest"
)

// badCase is one hostile input. A case with a token or room refuses the offender at
// connect; otherwise the offender joins with a valid token and then sends attack.
type badCase struct {
	name   string
	token  func(t testing.TB, room string) string // nil: a valid token
	room   string                                 // "": the test's room
	manual pluvtest.Steps                         // handshake steps the attack does itself
	attack func(c *pluvtest.Client) error
	want   string // a substring of the offender's `$error`; "" when none may come
	close  int    // the offender's close code; 0 when it stays
	log    string // the message of the log line the input causes
	check  func(t *testing.T, b *badRoom, c *pluvtest.Client)
}

// badRoom is the room under attack: two well-behaved clients and the server's log.
type badRoom struct {
	r        *room
	log      *caddyLog
	ann, bob *pluvtest.Client
	n        int      // health checks done
	tokens   []string // every token used, none of which may be logged
}

// raw sends one text frame as is.
func raw(s string) func(*pluvtest.Client) error {
	return func(c *pluvtest.Client) error { return c.SendRaw(s) }
}

// send sends {"type": typ, "data": data}.
func send(typ string, data any) func(*pluvtest.Client) error {
	return func(c *pluvtest.Client) error { return c.Send(typ, data) }
}

// TestBadInput: every kind of hostile input gets its clear `$error` (or its documented
// close) and a log line, no token is ever logged, nothing panics, and after each one the
// two well-behaved sessions in the room still exchange presence, events and storage and
// end with the same document.
func TestBadInput(t *testing.T) {
	logPath := filepath.Join(t.TempDir(), "caddy.log")
	site := pluvSite(t, "", authBlock, "max_storage_size 65536", "rate_limit 2000 4000",
		`event SEND {
			input {
				message string max_length 20
			}
			broadcast SENT
		}`)
	s := startCaddyConfig(t, caddyConfig{Site: site, LogFile: logPath, LogLevel: "DEBUG"})
	r := &room{t: t, s: s, id: roomID(t)}
	b := &badRoom{r: r, log: &caddyLog{path: logPath}}
	b.ann = r.dial("ann", pluvtest.Options{
		Token:  userToken(t, r.id, "ann", ""),
		Update: textInsert(77, 0, "text", "a"),
	})
	b.ann.Handshake()
	b.bob = r.user("bob", "bob", nil)

	cases := append(append(tokenCases(), frameCases()...), fieldCases()...)
	if len(cases) < 40 {
		t.Fatalf("only %d cases", len(cases))
	}

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { b.run(t, tc) })
	}

	b.log.noneContains(t, "token", b.tokens)
	for _, e := range b.log.entries(t, true) {
		if strings.Contains(e.str("msg"), "panic") || e.str("level") == "error" {
			t.Errorf("log: %v", e)
		}
	}
}

// run plays one case and then checks the room's health.
func (b *badRoom) run(t *testing.T, tc badCase) {
	b.log.mark(t)

	token := userToken(t, b.r.id, "mallory", "")
	if tc.token != nil {
		token = tc.token(t, b.r.id)
	}

	b.tokens = append(b.tokens, token)
	id := b.r.id
	if tc.room != "" {
		id = tc.room
	}

	c := pluvtest.MustDial(t, b.r.url(id), pluvtest.Options{
		Name: "offender", Token: token, Manual: tc.manual, Timeout: 5 * time.Second,
	})
	if tc.attack == nil {
		expectRefused(t, c, tc.want)
		b.log.await(t, tc.log, "")
		b.healthy(t)

		return
	}

	if tc.manual&pluvtest.StepInitialize != 0 {
		c.Await(pluvtest.TypeRegistered)
	} else {
		c.Handshake()
	}

	errsBefore := c.Count(pluvtest.TypeError)
	// A case that ends in a close may see its own write fail: the server can close (and
	// the client answer the close) before the last fragment of an oversized frame is out.
	// The close code checked below is what the case is about.
	if err := tc.attack(c); err != nil && tc.close == 0 {
		t.Fatalf("attack: %v", err)
	}

	switch {
	case tc.want != "":
		f := c.AwaitFunc("$error about "+tc.want, func(f pluvtest.Frame) bool {
			var e pluvtest.ErrorData
			return f.Type == pluvtest.TypeError && f.Decode(&e) == nil &&
				strings.Contains(e.Message, tc.want)
		})
		mustEqual(t, "$error connectionId", f.ConnectionID, c.SessionID())
	case tc.close == 0:
		c.Barrier(barrierEvent, b.ann, b.bob)
		mustEqual(t, "$error frames", c.Count(pluvtest.TypeError), errsBefore)
	}

	if tc.close != 0 {
		mustEqual(t, "close code", c.AwaitClose().Code, tc.close)
	}

	b.log.await(t, tc.log, c.SessionID())
	if tc.check != nil {
		tc.check(t, b, c)
	}

	b.healthy(t)
	c.Close()
}

// healthy checks that ann and bob still exchange presence, events and storage, and that
// their documents agree.
func (b *badRoom) healthy(t *testing.T) {
	t.Helper()

	b.n++
	annID := b.ann.SessionID()
	if err := b.ann.UpdatePresence(map[string]any{"n": b.n}); err != nil {
		t.Fatal(err)
	}

	b.bob.AwaitFunc("ann's presence", func(f pluvtest.Frame) bool {
		var d pluvtest.PresenceUpdated
		return f.Type == pluvtest.TypePresenceUpdated && f.ConnectionID == annID &&
			f.Decode(&d) == nil && d.Presence["n"] == float64(b.n)
	})

	msg := fmt.Sprintf("hello %d", b.n)
	if err := b.ann.Send("SEND", map[string]any{"message": msg}); err != nil {
		t.Fatal(err)
	}

	b.bob.AwaitFunc("ann's SENT", func(f pluvtest.Frame) bool {
		return f.Type == "SENT" && strings.Contains(string(f.Data), msg)
	})

	if err := b.ann.UpdateStorage(textAppend(77, uint64(b.n), "x")); err != nil {
		t.Fatal(err)
	}

	if err := b.bob.UpdateStorage(textInsert(88, uint64(b.n-1), "text", "y")); err != nil {
		t.Fatal(err)
	}

	barrierAll(b.ann, b.bob)
	if err := pluvtest.SameDoc(b.ann.Doc(), b.bob.Doc()); err != nil {
		t.Fatalf("ann's and bob's documents differ: %v", err)
	}

	for _, c := range []*pluvtest.Client{b.ann, b.bob} {
		if info := c.Closed(); info != nil {
			t.Fatalf("%s was closed: %+v", c.Name(), *info)
		}
	}
}
