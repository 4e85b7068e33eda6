package pluv

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
)

func token(t *testing.T, room string, user any, format string) string {
	t.Helper()
	tok, err := CreateToken(testSecret, TokenOptions{Room: room, User: user, Format: format})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func authConfig(required bool) *AuthConfig {
	return &AuthConfig{Secret: testSecret, Required: &required, User: []Field{
		{Name: "name", Type: "string", Optional: true},
	}}
}

func TestAuthRefusals(t *testing.T) {
	_, base := startServer(t, Config{Auth: authConfig(true)})
	expired, err := CreateToken(testSecret, TokenOptions{Room: "r",
		User: map[string]string{"id": "u"}, Now: time.Now().Add(-2 * DefaultTokenMaxAge)})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, room, token string
		message           string
	}{
		{"no token", "r", "", "Not authorized"},
		{"garbage", "r", "garbage", "Not authorized"},
		{"wrong room", "r", token(t, "other", map[string]string{"id": "u"}, ""),
			"Not authorized"},
		{"expired", "r", expired, "Not authorized"},
		{"bad room id", "-bad-", token(t, "-bad-", map[string]string{"id": "u"}, ""),
			"Invalid room id"},
		{"no room", "", "", "Invalid room id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := dial(t, base, tt.room, tt.token)
			e := c.expect(msgError)
			want := `{"type":"$error","data":{"message":"` + tt.message +
				`","stack":null},"connectionId":null,"room":"` + tt.room + `","user":null}`
			if e.raw != want {
				t.Fatalf("got  %s\nwant %s", e.raw, want)
			}
			if code := c.closeCode(); code != CloseUnauthorized {
				t.Fatalf("close code %d, want 3000", code)
			}
		})
	}
}

func TestAuthOptional(t *testing.T) {
	_, base := startServer(t, Config{Auth: authConfig(false)})
	anon := dial(t, base, "r", "")
	if reg := anon.register(); string(reg.User) != "null" {
		t.Fatalf("anonymous user = %s", reg.User)
	}
	bad := dial(t, base, "r", "garbage")
	bad.expect(msgError)
	if code := bad.closeCode(); code != CloseUnauthorized {
		t.Fatalf("invalid token with required false: close %d", code)
	}
}

func TestSharedPresence(t *testing.T) {
	_, base := startServer(t, Config{Auth: authConfig(true)})
	ann := map[string]any{"id": "ann", "name": "Ann", "role": "dropped"}
	a1 := dial(t, base, "r", token(t, "r", ann, FormatJWE))
	a1.join(map[string]int{"x": 1}, nil)
	if a1.id == "" {
		t.Fatal("no id")
	}
	a1.send(msgUpdatePresence, map[string]any{"presence": map[string]int{"x": 2}})
	a1.expect(msgPresenceUpdated)

	a2 := dial(t, base, "r", token(t, "r", ann, FormatJWT))
	reg := a2.register()
	if string(reg.User) != `{"id":"ann","name":"Ann"}` {
		t.Fatalf("user = %s (schema must strip unknown keys)", reg.User)
	}
	if !strings.HasPrefix(string(reg.Data), `{"presence":{"x":2},`) {
		t.Fatalf("second session did not inherit presence: %s", reg.raw)
	}
	a2.send(msgInitializeSession, map[string]any{"presence": map[string]int{"x": 2},
		"update": ""})
	a2.expect(msgStorageReceived)
	a2.expect(msgUserJoined)
	a1.expect(msgUserJoined)

	bob := dial(t, base, "r", token(t, "r", map[string]string{"id": "bob"}, ""))
	bob.join(nil, nil)
	a2.send(msgUpdatePresence, map[string]any{"presence": map[string]int{"y": 5}})
	pu := bob.next()
	for pu.Type == msgUserJoined {
		pu = bob.next()
	}
	if pu.Type != msgPresenceUpdated || string(pu.User) != `{"id":"ann","name":"Ann"}` {
		t.Fatalf("broadcast must carry the sender's user: %s", pu.raw)
	}
	bob.send(msgGetOthers, map[string]any{})
	o := bob.expect(msgOthersReceived)
	var od othersReceivedData
	if err := json.Unmarshal(o.Data, &od); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{a1.id, a2.id} {
		if p := string(od.Others[id].Presence); p != `{"x":2,"y":5}` {
			t.Fatalf("presence of %s = %s, want shared {\"x\":2,\"y\":5}", id, p)
		}
	}
	if len(od.Others) != 2 {
		t.Fatalf("others = %s", o.Data)
	}
}

func TestEvents(t *testing.T) {
	max := 10
	srv, base := startServer(t, Config{StrictEvents: true, Events: []EventConfig{{
		Name:  "SEND_MESSAGE",
		Input: []Field{{Name: "message", Type: "string", MaxLength: &max}},
		Outputs: []OutputConfig{
			{Kind: KindBroadcast, Name: "MESSAGE_RECEIVED", Data: []MappingConfig{
				{Key: "message", From: "input.message"}, {Key: "from", From: "session"},
			}},
			{Kind: KindSelf, Name: "ACK"},
		},
	}}})
	err := srv.Event("DOUBLE", Event{Kind: KindSync, Resolver: func(_ context.Context,
		in EventInput,
	) (map[string]any, error) {
		var v struct{ N int }
		if err := json.Unmarshal(in.Data, &v); err != nil {
			return nil, err
		}
		return map[string]any{"DOUBLED": map[string]int{"n": 2 * v.N}}, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	a := dial(t, base, "r", "")
	a.join(nil, nil)
	b := dial(t, base, "r", "")
	b.join(nil, nil)
	a.expect(msgUserJoined)

	a.send("SEND_MESSAGE", map[string]any{"message": "hi", "junk": 1})
	for _, c := range []*testClient{a, b} {
		f := c.expect("MESSAGE_RECEIVED")
		if string(f.Data) != `{"message":"hi","from":"`+a.id+`"}` || f.conn() != a.id {
			t.Fatalf("MESSAGE_RECEIVED = %s", f.raw)
		}
	}
	if f := a.expect("ACK"); string(f.Data) != `{"message":"hi"}` {
		t.Fatalf("ACK = %s", f.raw)
	}
	a.send("SEND_MESSAGE", map[string]any{"message": strings.Repeat("x", 11)})
	e := a.expect(msgError)
	if !strings.Contains(string(e.Data), `"data.message: longer than 10 characters"`) {
		t.Fatalf("validation $error = %s", e.raw)
	}
	a.send("UNDEFINED", map[string]any{})
	a.expect(msgError) // strict_events
	b.send("DOUBLE", map[string]int{"n": 21})
	if f := b.expect("DOUBLED"); string(f.Data) != `{"n":42}` {
		t.Fatalf("DOUBLED = %s", f.raw)
	}
	// b saw nothing of a's refused events, and a nothing of b's sync event.
	a.send("SEND_MESSAGE", map[string]any{"message": "end"})
	b.expect("MESSAGE_RECEIVED")
	a.expect("MESSAGE_RECEIVED")
	a.expect("ACK")
	if err := srv.Event("DOUBLE", Event{Resolver: func(context.Context, EventInput) (
		map[string]any, error,
	) {
		return nil, nil
	}}); err == nil {
		t.Fatal("event defined twice")
	}
}

func TestStaleCollection(t *testing.T) {
	// The timeout is twenty ping intervals of a: with 300 ms, a loaded machine (race
	// detector, other packages' tests) sometimes held a's pings back long enough for a to
	// be collected too.
	_, base := startServer(t, Config{PingTimeout: caddy.Duration(time.Second)})
	a := dial(t, base, "r", "")
	a.join(nil, nil)
	b := dial(t, base, "r", "")
	b.join(nil, nil)
	a.expect(msgUserJoined)
	// a keeps pinging; b stays silent and must be collected with 1011.
	stop := make(chan struct{})
	pinged := make(chan struct{})
	go func() {
		defer close(pinged)
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if a.ws.WriteMessage(1, []byte(`{"type":"$ping","data":{}}`)) != nil {
					return
				}
			}
		}
	}()
	defer func() { close(stop); <-pinged }()
	if ex := a.expect(msgExit); ex.conn() != b.id {
		t.Fatalf("$exit = %s", ex.raw)
	}
	sync := a.expect(msgSyncStateReceived)
	if sync.conn() != a.id || string(sync.Data) != `{"connectionIds":["`+a.id+`"]}` {
		t.Fatalf("$syncStateReceived = %s", sync.raw)
	}
	if code := b.closeCode(); code != CloseStale {
		t.Fatalf("stale close code %d, want 1011", code)
	}
}

func TestRoomAPI(t *testing.T) {
	srv, base := startServer(t, Config{})
	a := dial(t, base, "r", "")
	a.join(nil, nil)
	b := dial(t, base, "r", "")
	b.join(nil, nil)
	a.expect(msgUserJoined)
	rm, err := srv.GetRoom("r")
	if err != nil {
		t.Fatal(err)
	}
	if rm.ID() != "r" || rm.Size() != 2 {
		t.Fatalf("room %s size %d", rm.ID(), rm.Size())
	}
	if err := rm.Broadcast("NOTICE", map[string]string{"text": "hello"}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*testClient{a, b} {
		f := c.expect("NOTICE")
		if f.ConnectionID != nil || string(f.Data) != `{"text":"hello"}` {
			t.Fatalf("NOTICE = %s", f.raw)
		}
	}
	if rm.Broadcast("$x", nil) == nil || rm.Broadcast("x", "str") == nil {
		t.Fatal("bad broadcast accepted")
	}
	if !rm.Evict(b.id) || rm.Evict(b.id) {
		t.Fatal("Evict reported wrongly")
	}
	if ex := a.expect(msgExit); ex.conn() != b.id {
		t.Fatalf("$exit = %s", ex.raw)
	}
	if code := b.closeCode(); code != CloseEvicted {
		t.Fatalf("evicted close code %d", code)
	}
	rm.EvictAll()
	if code := a.closeCode(); code != CloseEvicted {
		t.Fatalf("EvictAll close code %d", code)
	}
	if _, err := srv.GetRoom("../x"); err == nil {
		t.Fatal("GetRoom accepted a bad id")
	}
}
