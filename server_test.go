package pluv

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/caddy-pluv/caddy-pluv/yjs"
)

func TestHandshake(t *testing.T) {
	_, base := startServer(t, Config{})
	a := dial(t, base, "my-room", "")
	reg := a.register()
	if !strings.HasPrefix(a.id, "p_") || len(a.id) != 38 {
		t.Fatalf("session id %q is not p_ + UUID", a.id)
	}
	want := `{"presence":null,"sessionId":"` + a.id + `","state":null,"timers":{"presence":null}}`
	if string(reg.Data) != want || reg.Room != "my-room" || string(reg.User) != "null" {
		t.Fatalf("$registered = %s", reg.raw)
	}
	seed := textInsert(1, 0, "hi")
	a.send(msgInitializeSession, map[string]any{"presence": map[string]int{"x": 0},
		"update": b64std(seed)})
	sr := a.expect(msgStorageReceived)
	if !strings.Contains(string(sr.Data), `"changeKind":"initialized"`) {
		t.Fatalf("$storageReceived = %s", sr.raw)
	}
	if st := decodeState(t, sr.Data, "state"); !bytes.Equal(st, seed) {
		t.Fatalf("state = %x, want %x", st, seed)
	}
	uj := a.expect(msgUserJoined)
	wantJoin := `{"connectionId":"` + a.id + `","user":null,"presence":{"x":0},"timers":`
	if !strings.HasPrefix(string(uj.Data), wantJoin) {
		t.Fatalf("$userJoined = %s", uj.raw)
	}

	b := dial(t, base, "my-room", "")
	reg = b.register()
	if st := decodeState(t, reg.Data, "state"); !bytes.Equal(st, seed) {
		t.Fatalf("second $registered state = %x", st)
	}
	b.send(msgInitializeSession, map[string]any{"update": b64std(textInsert(2, 0, "yo"))})
	sr = b.expect(msgStorageReceived)
	if !strings.Contains(string(sr.Data), `"changeKind":"unchanged"`) {
		t.Fatalf("second $storageReceived = %s", sr.raw)
	}
	b.expect(msgUserJoined)
	if uj := a.expect(msgUserJoined); uj.conn() != b.id {
		t.Fatalf("a saw $userJoined of %q, want %q", uj.conn(), b.id)
	}
	b.send(msgGetOthers, map[string]any{})
	others := b.expect(msgOthersReceived)
	var od othersReceivedData
	if err := json.Unmarshal(others.Data, &od); err != nil {
		t.Fatal(err)
	}
	if len(od.Others) != 1 || string(od.Others[a.id].Presence) != `{"x":0}` {
		t.Fatalf("$othersReceived = %s (initial presence must be stored)", others.raw)
	}
	// Answered once: the next frame is the marker, not a second $othersReceived.
	marker(t, b, a)

	b.send(msgPing, map[string]any{})
	eventuallyPong(t, b)
	b.ws.Close()
	if ex := a.expect(msgExit); ex.conn() != b.id ||
		string(ex.Data) != `{"sessionId":"`+b.id+`"}` {
		t.Fatalf("$exit = %s", ex.raw)
	}
}

func b64std(b []byte) string {
	return base64.StdEncoding.EncodeToString(b)
}

// eventuallyPong waits for a `$pong` for c, skipping other frames.
func eventuallyPong(t *testing.T, c *testClient) {
	t.Helper()
	deadline := time.NewTimer(waitTimeout)
	defer deadline.Stop()
	for {
		var f frame
		select {
		case <-deadline.C:
			t.Fatal("timed out waiting for $pong")
		case f = <-c.frames:
		case <-c.done:
			select {
			case f = <-c.frames: // frames read before the socket ended come first
			default:
				t.Fatalf("socket ended: %v", c.err)
			}
		}
		if f.Type == msgPong {
			if f.conn() != c.id || string(f.Data) != "{}" {
				t.Fatalf("$pong = %s", f.raw)
			}
			return
		}
	}
}

func TestStorageDeltas(t *testing.T) {
	_, base := startServer(t, Config{})
	a := dial(t, base, "r", "")
	seed := textInsert(1, 0, "a")
	a.join(nil, seed)
	a.send(msgUpdateStorage, map[string]any{"origin": "$initialized", "update": b64std(seed)})
	// b has registered but not initialised: it must get no $storageUpdated.
	b := dial(t, base, "r", "")
	b.register()
	edit := textInsert(1, 1, "b")
	a.send(msgUpdateStorage, map[string]any{"origin": nil, "update": b64url(edit)})
	// The next frame of each is the marker: the sender gets no echo of its own edit, and b
	// no $storageUpdated before its $storageReceived.
	marker(t, a, b)

	// The same update again adds nothing, so nothing is relayed.
	a.send(msgUpdateStorage, map[string]any{"origin": nil, "update": b64std(edit)})
	a.send(msgUpdateStorage, map[string]any{"origin": nil, "update": ""})
	a.send(msgUpdateStorage, map[string]any{"origin": nil, "update": nil})
	marker(t, a, b)

	b.send(msgInitializeSession, map[string]any{"update": ""})
	sr := b.expect(msgStorageReceived)
	store := yjs.NewStore(yjs.Options{})
	if _, err := store.Apply(decodeState(t, sr.Data, "state")); err != nil {
		t.Fatal(err)
	}
	for _, u := range [][]byte{seed, edit} {
		if d, _ := store.Apply(u); d != nil {
			t.Fatalf("state sent to b lacks %x", u)
		}
	}
	b.expect(msgUserJoined)
	a.expect(msgUserJoined)

	// Now b's edits reach a as deltas from b; b itself gets no echo.
	edit2 := textInsert(2, 0, "c")
	b.send(msgUpdateStorage, map[string]any{"origin": nil, "update": b64std(edit2)})
	su := a.expect(msgStorageUpdated)
	if d := decodeState(t, su.Data, "state"); !bytes.Equal(d, edit2) || su.conn() != b.id {
		t.Fatalf("delta to a = %x from %q, want %x from b", d, su.conn(), edit2)
	}
	marker(t, b, a)
	// A broken update is refused with $error to the sender only.
	b.send(msgUpdateStorage, map[string]any{"origin": nil, "update": b64std([]byte{1, 9})})
	if e := b.expect(msgError); e.conn() != b.id {
		t.Fatalf("$error = %s", e.raw)
	}
	b.send(msgUpdateStorage, map[string]any{"origin": nil, "update": "!!!"})
	b.expect(msgError)
	marker(t, b, a)
}

func TestStorageSizeCap(t *testing.T) {
	_, base := startServer(t, Config{MaxStorageSize: 40})
	a := dial(t, base, "r", "")
	big := textInsert(1, 0, strings.Repeat("x", 40))
	a.register()
	a.send(msgInitializeSession, map[string]any{"update": b64std(big)})
	if e := a.expect(msgError); !strings.Contains(string(e.Data), "too large") {
		t.Fatalf("$error = %s", e.raw)
	}
	// Still answered (§6.3), with the unchanged empty state.
	sr := a.expect(msgStorageReceived)
	if st := decodeState(t, sr.Data, "state"); !bytes.Equal(st, []byte{0, 0}) {
		t.Fatalf("state after refused seed = %x", st)
	}
	a.expect(msgUserJoined)
	small := textInsert(1, 0, "ok")
	a.send(msgUpdateStorage, map[string]any{"update": b64std(small)})
	marker(t, a) // accepted: no $error before the marker
	a.send(msgUpdateStorage, map[string]any{"update": b64std(textInsert(2, 0,
		strings.Repeat("y", 30)))})
	a.expect(msgError)
	marker(t, a)
}

func TestPresence(t *testing.T) {
	_, base := startServer(t, Config{MaxPresenceSize: 64})
	a := dial(t, base, "r", "")
	a.join(map[string]any{"x": 1, "y": 2}, nil)
	b := dial(t, base, "r", "")
	b.join(nil, nil)
	a.expect(msgUserJoined)
	a.send(msgUpdatePresence, map[string]any{"presence": map[string]any{"y": 3, "z": nil}})
	for _, c := range []*testClient{a, b} {
		pu := c.expect(msgPresenceUpdated)
		if !strings.HasPrefix(string(pu.Data), `{"presence":{"x":1,"y":3,"z":null},"timers":`) ||
			pu.conn() != a.id {
			t.Fatalf("$presenceUpdated = %s", pu.raw)
		}
	}
	a.send(msgUpdatePresence, map[string]any{"presence": map[string]any{
		"big": strings.Repeat("x", 64)}})
	if e := a.expect(msgError); e.conn() != a.id {
		t.Fatalf("$error = %s", e.raw)
	}
	a.send(msgUpdatePresence, map[string]any{"presence": []int{1}})
	a.expect(msgError)
	marker(t, a, b) // b saw neither refused patch
	b.send(msgGetOthers, map[string]any{})
	if o := b.expect(msgOthersReceived); !strings.Contains(string(o.Data),
		`"presence":{"x":1,"y":3,"z":null}`) {
		t.Fatalf("stored presence changed by refused patches: %s", o.raw)
	}
}

func TestBadFrames(t *testing.T) {
	_, base := startServer(t, Config{})
	a := dial(t, base, "r", "")
	a.join(nil, nil)
	b := dial(t, base, "r", "")
	b.join(nil, nil)
	a.expect(msgUserJoined)
	for _, raw := range []string{`nope`, `[]`, `{"type":1}`, `{"type":"x","data":"s"}`,
		`{"type":"$exit","data":{}}`, `{"type":"$registered","data":{}}`,
		`{"type":"bad-name","data":{}}`} {
		a.sendRaw(raw)
		if e := a.expect(msgError); e.conn() != a.id || e.Room != "r" {
			t.Fatalf("$error for %s = %s", raw, e.raw)
		}
	}
	if err := a.ws.WriteMessage(2, []byte(`{"type":"x","data":{}}`)); err != nil {
		t.Fatal(err)
	}
	a.expect(msgError)
	marker(t, a, b) // b saw nothing of it
}

func TestRelay(t *testing.T) {
	_, base := startServer(t, Config{})
	a := dial(t, base, "r", "")
	a.join(nil, nil)
	b := dial(t, base, "r", "")
	b.join(nil, nil)
	a.expect(msgUserJoined)
	a.sendRaw(`{"type":"wave","data":{"n":1},"connectionId":"p_forged","user":{"id":"x"}}`)
	for _, c := range []*testClient{a, b} {
		f := c.expect("wave")
		want := `{"type":"wave","data":{"n":1},"connectionId":"` + a.id +
			`","room":"r","user":null}`
		if f.raw != want {
			t.Fatalf("relayed %s\nwant    %s", f.raw, want)
		}
	}
	a.sendRaw(`{"type":"wave"}`)
	if f := b.expect("wave"); string(f.Data) != "{}" {
		t.Fatalf("missing data relayed as %s", f.Data)
	}
}

func b64url(b []byte) string {
	return strings.TrimRight(strings.NewReplacer("+", "-", "/", "_").Replace(b64std(b)), "=")
}
