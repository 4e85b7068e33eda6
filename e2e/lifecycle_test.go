package e2e

import (
	"slices"
	"testing"

	"github.com/caddy-pluv/caddy-pluv/internal/pluvtest"
)

// TestLifecycleFirstSession follows PROTOCOL.md §3 for the first session of a room:
// `$registered` first, then `$storageReceived` and the session's own `$userJoined`, then one
// `$othersReceived` without the session itself, and no `$storageUpdated` for the
// `$initialized` echo that adds nothing.
func TestLifecycleFirstSession(t *testing.T) {
	r := startRoom(t, authBlock)
	ann := r.dial("ann", pluvtest.Options{
		Token:    userToken(t, r.id, "ann", "Ann"),
		Presence: map[string]any{"x": 0},
		Update:   textInsert(11, 0, "text", "hello"),
	})
	h := ann.Handshake()
	ann.Barrier(barrierEvent)

	types := ann.Types()
	mustEqual(t, "first frame", types[0], pluvtest.TypeRegistered)
	if !slices.Equal(types[1:3], []string{pluvtest.TypeStorageReceived, pluvtest.TypeUserJoined}) &&
		!slices.Equal(types[1:3], []string{pluvtest.TypeUserJoined, pluvtest.TypeStorageReceived}) {
		t.Fatalf("frames after $registered = %v", types)
	}

	if !slices.Equal(types[3:], []string{pluvtest.TypeOthersReceived}) {
		t.Fatalf("frames after the handshake = %v, want only one $othersReceived", types)
	}

	me := h.Registered.ConnectionID
	if !sessionIDPattern.MatchString(me) {
		t.Errorf("session id %q is not p_ + UUID v4", me)
	}

	reg := decode[pluvtest.Registered](t, h.Registered)
	if reg.Presence != nil || reg.State != nil || reg.Timers.Presence != nil {
		t.Errorf("$registered data = %s, want null presence, state and timer", h.Registered.Data)
	}

	for _, f := range []pluvtest.Frame{h.Registered, h.StorageReceived, h.UserJoined,
		h.OthersReceived} {
		mustEqual(t, f.Type+" connectionId", f.ConnectionID, me)
		mustEqual(t, f.Type+" room", f.Room, r.id)
		jsonEqual(t, f.Type+" user", f.User, `{"id":"ann","name":"Ann"}`)
	}

	sr := decode[pluvtest.StorageReceived](t, h.StorageReceived)
	mustEqual(t, "changeKind", sr.ChangeKind, "initialized")

	joined := decode[pluvtest.UserJoined](t, h.UserJoined)
	jsonEqual(t, "$userJoined user", joined.User, `{"id":"ann","name":"Ann"}`)
	mustEqual(t, "$userJoined presence.x", joined.Presence["x"], any(0.0))
	jsonEqual(t, "$othersReceived", h.OthersReceived.Data, `{"others":{}}`)
}

// TestLifecycleSecondSession checks what a joiner and the present session see of each
// other: the stored initial presence (§15.6), `$userJoined` with the joiner's user and the
// sender's user in the envelope (§15.5), the full state as "unchanged", and `$exit`.
func TestLifecycleSecondSession(t *testing.T) {
	r := startRoom(t, authBlock)
	ann := r.dial("ann", pluvtest.Options{
		Token:    userToken(t, r.id, "ann", "Ann"),
		Presence: map[string]any{"x": 0},
		Update:   textInsert(11, 0, "text", "hello"),
	})
	annState := decode[pluvtest.StorageReceived](t, ann.Handshake().StorageReceived).State

	bob := r.dial("bob", pluvtest.Options{
		Token:    userToken(t, r.id, "bob", "Bob"),
		Presence: map[string]any{"x": 1},
		Update:   textInsert(22, 0, "text", "other"),
	})
	hb := bob.Handshake()
	bobID := hb.Registered.ConnectionID

	reg := decode[pluvtest.Registered](t, hb.Registered)
	if reg.State == nil || *reg.State != annState {
		t.Errorf("bob's $registered.state = %v, want the room's state %s", reg.State, annState)
	}

	sr := decode[pluvtest.StorageReceived](t, hb.StorageReceived)
	mustEqual(t, "bob's changeKind", sr.ChangeKind, "unchanged")
	mustEqual(t, "bob's state", sr.State, annState)

	others := decode[pluvtest.OthersReceived](t, hb.OthersReceived).Others
	annID := ann.SessionID()
	if len(others) != 1 || others[annID].ConnectionID != annID {
		t.Fatalf("bob's others = %s, want only ann %s", hb.OthersReceived.Data, annID)
	}

	jsonEqual(t, "ann's user in others", others[annID].User, `{"id":"ann","name":"Ann"}`)
	mustEqual(t, "ann's stored initial presence", others[annID].Presence["x"], any(0.0))
	mustEqual(t, "others room", others[annID].Room, r.id)

	j := ann.AwaitFunc("bob's $userJoined", func(f pluvtest.Frame) bool {
		return f.Type == pluvtest.TypeUserJoined && f.ConnectionID == bobID
	})
	jsonEqual(t, "envelope user of bob's $userJoined", j.User, `{"id":"bob","name":"Bob"}`)
	uj := decode[pluvtest.UserJoined](t, j)
	mustEqual(t, "bob's $userJoined data.connectionId", uj.ConnectionID, bobID)
	jsonEqual(t, "bob's $userJoined data.user", uj.User, `{"id":"bob","name":"Bob"}`)
	jsonEqual(t, "bob's $userJoined presence", mustJSON(t, uj.Presence), `{"x":1}`)

	if o := ann.Others()["bob"]; o.ConnectionID != bobID || o.Presence["x"] != 1.0 {
		t.Fatalf("ann's view of bob = %+v", o)
	}

	if o := bob.Others()["ann"]; o.ConnectionID != annID || o.Presence["x"] != 0.0 {
		t.Fatalf("bob's view of ann = %+v", o)
	}

	bob.Close()
	exit := ann.Await(pluvtest.TypeExit)
	mustEqual(t, "$exit connectionId", exit.ConnectionID, bobID)
	jsonEqual(t, "$exit data", exit.Data, `{"sessionId":"`+bobID+`"}`)
	jsonEqual(t, "$exit envelope user (the departed one's)", exit.User,
		`{"id":"bob","name":"Bob"}`)
	if len(ann.Others()) != 0 {
		t.Fatalf("ann still sees %v after bob's exit", ann.Others())
	}
}

// TestLifecycleAnonymous runs a room without auth: user null everywhere, others keyed by
// connection id.
func TestLifecycleAnonymous(t *testing.T) {
	r := startRoom(t)
	a := r.dial("a", pluvtest.Options{})
	ha := a.Handshake()
	jsonEqual(t, "anonymous $registered user", ha.Registered.User, `null`)

	b := r.dial("b", pluvtest.Options{})
	b.Handshake()
	a.AwaitFunc("b's $userJoined", func(f pluvtest.Frame) bool {
		return f.Type == pluvtest.TypeUserJoined && f.ConnectionID == b.SessionID()
	})

	if _, ok := a.Others()[b.SessionID()]; !ok || len(a.Others()) != 1 {
		t.Fatalf("a's others = %v, want b keyed by its connection id", a.Others())
	}

	if _, ok := b.Others()[a.SessionID()]; !ok {
		t.Fatalf("b's others = %v", b.Others())
	}
}

// TestLifecycleManualSteps: a session that never sends `$initializeSession` is registered
// but gets no `$storageReceived`, and storage broadcasts that reach an initialised session
// skip it (PROTOCOL.md §6.4).
func TestLifecycleManualSteps(t *testing.T) {
	r := startRoom(t, authBlock)
	lazy := r.dial("lazy", pluvtest.Options{
		Token:  userToken(t, r.id, "lazy", ""),
		Manual: pluvtest.AllSteps,
	})
	lazy.Await(pluvtest.TypeRegistered)

	ann := r.user("ann", "ann", nil)
	bob := r.user("bob", "bob", nil)
	if err := ann.UpdateStorage(textInsert(11, 0, "text", "edit")); err != nil {
		t.Fatal(err)
	}

	bob.Await(pluvtest.TypeStorageUpdated)
	ann.Barrier(barrierEvent, lazy, bob)
	if n := lazy.Count(pluvtest.TypeStorageUpdated); n != 0 {
		t.Fatalf("a session without $storageReceived got %d $storageUpdated", n)
	}

	noOwnDeltas(t, ann)

	if err := lazy.InitializeSession(nil, nil); err != nil {
		t.Fatal(err)
	}

	sr := decode[pluvtest.StorageReceived](t, lazy.Await(pluvtest.TypeStorageReceived))
	mustEqual(t, "late changeKind", sr.ChangeKind, "unchanged")
	lazy.AwaitFunc("own $userJoined", func(f pluvtest.Frame) bool {
		return f.Type == pluvtest.TypeUserJoined && f.ConnectionID == lazy.SessionID()
	})
	if err := lazy.GetOthers(); err != nil {
		t.Fatal(err)
	}

	or := decode[pluvtest.OthersReceived](t, lazy.Await(pluvtest.TypeOthersReceived))
	_, hasAnn := or.Others[ann.SessionID()]
	_, hasBob := or.Others[bob.SessionID()]
	if !hasAnn || !hasBob || len(or.Others) != 2 {
		t.Fatalf("lazy's others = %v, want ann and bob", or.Others)
	}
}
