package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/caddy-pluv/caddy-pluv/internal/pluvtest"
)

// seedEvents are the events of the seed example (§7.4) plus a self and a sync output.
const seedEvents = `event SEND_MESSAGE {
			input {
				message string max_length 500
			}
			broadcast MESSAGE_RECEIVED {
				message  input.message
				sender   user
				senderId user.id
				room     room
				session  session
				at       time
			}
			self ACK
		}
		event EMIT_EMOJI {
			input {
				emojiCode number
			}
			broadcast EMOJI_RECEIVED
		}
		event WHOAMI {
			input {
				note string optional
			}
			sync WHOAMI_RESULT {
				session session
				user    user
			}
		}`

// strictBarrier defines the barrier event for rooms with strict_events.
const strictBarrier = `event ` + barrierEvent + ` {
			input {
				__pluvtestBarrier string
			}
			broadcast ` + barrierEvent + `
		}`

// TestEventBroadcastAndSelf: a broadcast output reaches every session including the sender
// with the mapped data and the sender's envelope; a self output reaches only the sender with
// the validated input (unknown keys stripped).
func TestEventBroadcastAndSelf(t *testing.T) {
	r := startRoom(t, authBlock, seedEvents)
	ann := r.user("ann", "ann", nil)
	bob := r.user("bob", "bob", nil)

	before := time.Now().UnixMilli()
	if err := ann.Send("SEND_MESSAGE", map[string]any{"message": "hi", "extra": 1}); err != nil {
		t.Fatal(err)
	}

	for _, c := range []*pluvtest.Client{ann, bob} {
		f := c.Await("MESSAGE_RECEIVED")
		after := time.Now().UnixMilli()
		mustEqual(t, c.Name()+": connectionId", f.ConnectionID, ann.SessionID())
		mustEqual(t, c.Name()+": room", f.Room, r.id)
		jsonEqual(t, c.Name()+": envelope user", f.User, `{"id":"ann"}`)

		var d struct {
			Message, SenderID, Room, Session string
			Sender                           map[string]any
			At                               float64
		}
		if err := f.Decode(&d); err != nil {
			t.Fatal(err)
		}

		if d.Message != "hi" || d.SenderID != "ann" || d.Room != r.id ||
			d.Session != ann.SessionID() || d.Sender["id"] != "ann" {
			t.Fatalf("%s: MESSAGE_RECEIVED data = %s", c.Name(), f.Data)
		}

		if int64(d.At) < before || int64(d.At) > after {
			t.Fatalf("%s: time %v not within [%d, %d]", c.Name(), d.At, before, after)
		}
	}

	ack := ann.Await("ACK")
	jsonEqual(t, "ACK data", ack.Data, `{"message":"hi"}`)
	mustEqual(t, "ACK connectionId", ack.ConnectionID, ann.SessionID())

	ann.Barrier(barrierEvent, bob)
	if n := bob.Count("ACK"); n != 0 {
		t.Fatalf("bob got ann's self output ACK")
	}
}

// TestEventInputAsData: a broadcast without a mapping block carries the validated input.
func TestEventInputAsData(t *testing.T) {
	r := startRoom(t, authBlock, seedEvents)
	ann := r.user("ann", "ann", nil)
	bob := r.user("bob", "bob", nil)

	if err := ann.Send("EMIT_EMOJI", map[string]any{"emojiCode": 3, "junk": "x"}); err != nil {
		t.Fatal(err)
	}

	for _, c := range []*pluvtest.Client{ann, bob} {
		jsonEqual(t, c.Name()+": EMOJI_RECEIVED", c.Await("EMOJI_RECEIVED").Data,
			`{"emojiCode":3}`)
	}
}

// TestEventSync: a sync output is a self output on one instance.
func TestEventSync(t *testing.T) {
	r := startRoom(t, authBlock, seedEvents)
	ann := r.user("ann", "ann", nil)
	bob := r.user("bob", "bob", nil)

	if err := ann.Send("WHOAMI", map[string]any{}); err != nil {
		t.Fatal(err)
	}

	f := ann.Await("WHOAMI_RESULT")
	jsonEqual(t, "WHOAMI_RESULT", f.Data, `{"session":"`+ann.SessionID()+`","user":{"id":"ann"}}`)
	ann.Barrier(barrierEvent, bob)
	mustEqual(t, "WHOAMI_RESULT frames to ann", ann.Count("WHOAMI_RESULT"), 1)
	mustEqual(t, "WHOAMI_RESULT frames to bob", bob.Count("WHOAMI_RESULT"), 0)
}

// TestEventInvalidInput: input failing the schema gets `$error` to the sender only and
// nothing else.
func TestEventInvalidInput(t *testing.T) {
	r := startRoom(t, authBlock, seedEvents)
	ann := r.user("ann", "ann", nil)
	bob := r.user("bob", "bob", nil)

	inputs := []any{
		map[string]any{"message": 5},
		map[string]any{"message": strings.Repeat("m", 501)},
		map[string]any{},
		[]any{"message"},
		nil,
	}
	for _, in := range inputs {
		if err := ann.Send("SEND_MESSAGE", in); err != nil {
			t.Fatal(err)
		}

		e := decode[pluvtest.ErrorData](t, ann.Await(pluvtest.TypeError))
		if e.Message == "" {
			t.Fatalf("$error for input %v has no message", in)
		}
	}

	ann.Barrier(barrierEvent, bob)
	for _, c := range []*pluvtest.Client{ann, bob} {
		if n := c.Count("MESSAGE_RECEIVED") + c.Count("ACK"); n != 0 {
			t.Fatalf("%s got %d outputs of invalid input", c.Name(), n)
		}
	}

	mustEqual(t, "errors to bob", bob.Count(pluvtest.TypeError), 0)
	mustEqual(t, "errors to ann", ann.Count(pluvtest.TypeError), len(inputs))
}

// TestEventRelayUndefined: an undefined identifier-like name is relayed to everyone with its
// type and data unchanged and a trusted envelope, whatever envelope fields the sender forged;
// a frame without data is relayed with {}.
func TestEventRelayUndefined(t *testing.T) {
	r := startRoom(t, authBlock, seedEvents)
	ann := r.user("ann", "ann", nil)
	bob := r.user("bob", "bob", nil)

	forged := `{"type":"customThing","data":{"a":[1,{"b":null}]},"connectionId":"p_forged",` +
		`"user":{"id":"mallory"},"room":"elsewhere","options":{"type":"self"}}`
	if err := ann.SendRaw(forged); err != nil {
		t.Fatal(err)
	}

	if err := ann.SendRaw(`{"type":"wave"}`); err != nil {
		t.Fatal(err)
	}

	for _, c := range []*pluvtest.Client{ann, bob} {
		f := c.Await("customThing")
		jsonEqual(t, c.Name()+": relayed data", f.Data, `{"a":[1,{"b":null}]}`)
		mustEqual(t, c.Name()+": connectionId", f.ConnectionID, ann.SessionID())
		mustEqual(t, c.Name()+": room", f.Room, r.id)
		jsonEqual(t, c.Name()+": user", f.User, `{"id":"ann"}`)
		if strings.Contains(string(f.Raw), "options") {
			t.Fatalf("%s: forged field relayed: %s", c.Name(), f.Raw)
		}

		jsonEqual(t, c.Name()+": wave data", c.Await("wave").Data, `{}`)
	}
}

// TestEventRefusedNames: `$` names and names that are not identifiers are refused with
// `$error` to the sender and never relayed.
func TestEventRefusedNames(t *testing.T) {
	r := startRoom(t, authBlock, seedEvents)
	ann := r.user("ann", "ann", nil)
	bob := r.user("bob", "bob", nil)

	frames := []string{
		`{"type":"$exit","data":{"sessionId":"p_x"}}`,
		`{"type":"$storageUpdated","data":{"state":"AAA="}}`,
		`{"type":"$registered","data":{}}`,
		`{"type":"$whatever","data":{}}`,
		`{"type":"has space","data":{}}`,
		`{"type":"","data":{}}`,
		`{"type":"` + strings.Repeat("n", 129) + `","data":{}}`,
	}
	for _, raw := range frames {
		if err := ann.SendRaw(raw); err != nil {
			t.Fatal(err)
		}

		e := ann.Await(pluvtest.TypeError)
		mustEqual(t, "$error connectionId", e.ConnectionID, ann.SessionID())
	}

	ann.Barrier(barrierEvent, bob)
	want := []string{pluvtest.TypeRegistered, pluvtest.TypeStorageReceived,
		pluvtest.TypeUserJoined, pluvtest.TypeOthersReceived}
	if got := bob.Types(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("bob got %v, want only his handshake", got)
	}
}

// TestEventStrict: with strict_events an undefined name is refused with `$error` and not
// relayed; defined events still work.
func TestEventStrict(t *testing.T) {
	r := startRoom(t, authBlock, seedEvents, strictBarrier, "strict_events")
	ann := r.user("ann", "ann", nil)
	bob := r.user("bob", "bob", nil)

	if err := ann.Send("customThing", map[string]any{"a": 1}); err != nil {
		t.Fatal(err)
	}

	ann.Await(pluvtest.TypeError)
	if err := ann.Send("EMIT_EMOJI", map[string]any{"emojiCode": 1}); err != nil {
		t.Fatal(err)
	}

	bob.Await("EMOJI_RECEIVED")
	ann.Barrier(barrierEvent, bob)
	for _, c := range []*pluvtest.Client{ann, bob} {
		mustEqual(t, c.Name()+": relayed customThing", c.Count("customThing"), 0)
	}
}

// TestMalformedFrames: frames a client must not send get `$error` to the sender only; the
// session and the room carry on.
func TestMalformedFrames(t *testing.T) {
	r := startRoom(t, authBlock, seedEvents)
	ann := r.user("ann", "ann", nil)
	bob := r.user("bob", "bob", nil)

	texts := []string{`not json`, `[1]`, `null`, `"s"`, `{"type":5,"data":{}}`,
		`{"type":"x","data":"str"}`, `{"type":"x","data":7}`, `{"data":{}}`}
	for _, raw := range texts {
		if err := ann.SendRaw(raw); err != nil {
			t.Fatal(err)
		}

		ann.Await(pluvtest.TypeError)
	}

	if err := ann.SendBinary([]byte(`{"type":"customThing","data":{}}`)); err != nil {
		t.Fatal(err)
	}

	ann.Await(pluvtest.TypeError)
	if err := ann.Ping(); err != nil {
		t.Fatal(err)
	}

	ann.AwaitPongs()
	ann.Barrier(barrierEvent, bob)
	mustEqual(t, "errors to bob", bob.Count(pluvtest.TypeError), 0)
	mustEqual(t, "frames relayed to bob", bob.Count("x")+bob.Count("customThing"), 0)
}
