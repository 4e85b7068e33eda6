package pluvtest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// fakeServer is a scripted server: the test writes frames and reads what the client sent.
type fakeServer struct {
	conns chan *fakeConn
	url   string
}

type fakeConn struct {
	ws   *websocket.Conn
	recv chan map[string]any
}

func newFakeServer(t *testing.T) *fakeServer {
	t.Helper()

	fs := &fakeServer{conns: make(chan *fakeConn, 4)}
	up := websocket.Upgrader{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}

		fc := &fakeConn{ws: ws, recv: make(chan map[string]any, 64)}
		fs.conns <- fc
		go func() {
			defer close(fc.recv)
			for {
				_, raw, err := ws.ReadMessage()
				if err != nil {
					return
				}

				var m map[string]any
				if json.Unmarshal(raw, &m) == nil {
					fc.recv <- m
				}
			}
		}()
	}))
	t.Cleanup(srv.Close)
	fs.url = "ws" + strings.TrimPrefix(srv.URL, "http") + "/?room=r"

	return fs
}

func (fs *fakeServer) accept(t *testing.T) *fakeConn {
	t.Helper()

	select {
	case fc := <-fs.conns:
		t.Cleanup(func() { fc.ws.Close() })
		return fc
	case <-time.After(5 * time.Second):
		t.Fatal("no connection")
		return nil
	}
}

func (fc *fakeConn) send(t *testing.T, raw string) {
	t.Helper()

	if err := fc.ws.WriteMessage(websocket.TextMessage, []byte(raw)); err != nil {
		t.Fatal(err)
	}
}

// expect waits for the next client frame and checks its type.
func (fc *fakeConn) expect(t *testing.T, typ string) map[string]any {
	t.Helper()

	select {
	case m, ok := <-fc.recv:
		if !ok {
			t.Fatalf("client closed while expecting %s", typ)
		}

		if m["type"] != typ {
			t.Fatalf("client sent %v, want %s", m, typ)
		}

		return m
	case <-time.After(5 * time.Second):
		t.Fatalf("client sent no %s", typ)
		return nil
	}
}

const (
	envA = `,"connectionId":"p_a","room":"r","user":{"id":"ann"}}`
	regA = `{"type":"$registered","data":{"presence":null,"sessionId":"p_a","state":null,` +
		`"timers":{"presence":null}}` + envA
	recvA = `{"type":"$storageReceived","data":{"changeKind":"empty","state":"AAA="}` + envA
	joinA = `{"type":"$userJoined","data":{"connectionId":"p_a","user":{"id":"ann"},` +
		`"presence":{"x":1},"timers":{"presence":null}}` + envA
	othersA = `{"type":"$othersReceived","data":{"others":{}}` + envA
)

func TestClientHandshakeAutomatic(t *testing.T) {
	fs := newFakeServer(t)
	c := MustDial(t, fs.url, Options{Presence: map[string]any{"x": 1.0}})
	fc := fs.accept(t)

	fc.send(t, regA)
	init := fc.expect(t, TypeInitializeSession)
	data := init["data"].(map[string]any)
	if data["update"] != "" || fmt.Sprint(data["presence"]) != "map[x:1]" {
		t.Fatalf("$initializeSession data = %v", data)
	}

	fc.send(t, recvA)
	echo := fc.expect(t, TypeUpdateStorage)
	if d := echo["data"].(map[string]any); d["origin"] != "$initialized" || d["update"] != "AAA=" {
		t.Fatalf("$updateStorage data = %v", d)
	}

	fc.send(t, joinA)
	fc.expect(t, TypeGetOthers)
	fc.send(t, othersA)

	if _, d := AwaitAs[OthersReceived](c, TypeOthersReceived); d.Others == nil {
		t.Fatalf("typed $othersReceived without others")
	}

	h := c.Handshake()
	if h.Registered.ConnectionID != "p_a" || c.SessionID() != "p_a" {
		t.Fatalf("session id = %q", c.SessionID())
	}

	if got := c.Violations(); len(got) != 0 {
		t.Fatalf("violations: %v", got)
	}
}

// awaitViolation waits until the client has recorded a violation containing want.
func awaitViolation(t *testing.T, c *Client, want string) {
	t.Helper()

	_, err := c.waitE("violation "+want, func() (Frame, bool) {
		for _, v := range c.Violations() {
			if strings.Contains(v, want) {
				return Frame{}, true
			}
		}

		return Frame{}, false
	})
	if err != nil {
		t.Fatalf("%v; violations: %v", err, c.Violations())
	}
}

func TestClientViolations(t *testing.T) {
	tests := []struct {
		name   string
		manual Steps
		script []string // frames sent after the client's $initializeSession
		binary bool
		want   string
	}{
		{name: "storageUpdated before storageReceived",
			script: []string{`{"type":"$storageUpdated","data":{"state":"AAA="}` + envA},
			want:   "before $storageReceived"},
		{name: "othersReceived unasked", manual: StepGetOthers,
			script: []string{recvA, joinA, othersA}, want: "without a $getOthers"},
		{name: "second registered", script: []string{regA}, want: "second $registered"},
		{name: "storageReceived twice", manual: StepStorageEcho,
			script: []string{recvA, recvA}, want: "without a $initializeSession"},
		{name: "empty state", script: []string{
			`{"type":"$storageReceived","data":{"changeKind":"empty","state":""}` + envA},
			want: `state is ""`},
		{name: "url-safe base64", script: []string{
			`{"type":"$storageReceived","data":{"changeKind":"empty","state":"AA-_"}` + envA},
			want: "not standard base64"},
		{name: "wrong room", script: []string{
			`{"type":"chat","data":{},"connectionId":"p_a","room":"other"}`},
			want: `room "other"`},
		{name: "pong unasked", script: []string{`{"type":"$pong","data":{}}`},
			want: "$pong without a $ping"},
		{name: "binary frame", binary: true, want: "binary frame"},
		{name: "dollar relay", script: []string{`{"type":"$evil","data":{}` + envA},
			want: "not a message a server sends"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fs := newFakeServer(t)
			c, err := Dial(t.Context(), fs.url, Options{Manual: tc.manual})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()

			fc := fs.accept(t)
			fc.send(t, regA)
			fc.expect(t, TypeInitializeSession)
			for _, s := range tc.script {
				fc.send(t, s)
			}

			if tc.binary {
				_ = fc.ws.WriteMessage(websocket.BinaryMessage, []byte(`{"type":"x","data":{}}`))
			}

			awaitViolation(t, c, tc.want)
		})
	}
}

func TestClientBroadcastBeforeRegistered(t *testing.T) {
	fs := newFakeServer(t)
	c, err := Dial(t.Context(), fs.url, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	fc := fs.accept(t)
	fc.send(t, `{"type":"chat","data":{},"connectionId":"p_b","room":"r"}`)
	awaitViolation(t, c, "before $registered")
}

func TestClientPongTimeout(t *testing.T) {
	old := pongTimeout
	pongTimeout = 20 * time.Millisecond
	t.Cleanup(func() { pongTimeout = old })

	fs := newFakeServer(t)
	c, err := Dial(t.Context(), fs.url, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	fc := fs.accept(t)
	if err := c.Ping(); err != nil {
		t.Fatal(err)
	}

	fc.expect(t, TypePing)
	awaitViolation(t, c, "no $pong within")
	fc.send(t, `{"type":"$pong","data":{}}`)
	awaitViolation(t, c, "$pong came")
}

func TestClientPongInTime(t *testing.T) {
	fs := newFakeServer(t)
	c := MustDial(t, fs.url, Options{})
	fc := fs.accept(t)
	if err := c.Ping(); err != nil {
		t.Fatal(err)
	}

	fc.expect(t, TypePing)
	fc.send(t, `{"type":"$pong","data":{}}`)
	c.AwaitPongs()
}

func TestClientErrorThenClose(t *testing.T) {
	fs := newFakeServer(t)
	c := MustDial(t, fs.url, Options{})
	fc := fs.accept(t)
	fc.send(t, `{"type":"$error","data":{"message":"Not authorized","stack":null},`+
		`"connectionId":null,"room":"r","user":null}`)
	_ = fc.ws.WriteMessage(websocket.CloseMessage,
		websocket.FormatCloseMessage(3000, "WebSocket unauthorized."))

	info := c.AwaitClose()
	if info.Code != 3000 || info.Text != "WebSocket unauthorized." {
		t.Fatalf("close = %+v", info)
	}

	if got := c.Types(); len(got) != 1 || got[0] != TypeError {
		t.Fatalf("frames = %v", got)
	}
}

// TestClientPongCoalesced: like the real client, one `$pong` after a burst of pings is
// enough.
func TestClientPongCoalesced(t *testing.T) {
	fs := newFakeServer(t)
	c := MustDial(t, fs.url, Options{})
	fc := fs.accept(t)
	for i := 0; i < 3; i++ {
		if err := c.Ping(); err != nil {
			t.Fatal(err)
		}

		fc.expect(t, TypePing)
	}

	fc.send(t, `{"type":"$pong","data":{}}`)
	c.AwaitPongs()
	fc.send(t, `{"type":"$pong","data":{}}`) // answers an earlier ping: allowed
	if err := c.Ping(); err != nil {
		t.Fatal(err)
	}

	fc.expect(t, TypePing)
	fc.send(t, `{"type":"$pong","data":{}}`)
	c.AwaitPongs()
}

// TestClientDocument: the client's document follows `$storageReceived` and `$storageUpdated`
// with the real Yjs engine, and a state that is not a Yjs update is a violation.
func TestClientDocument(t *testing.T) {
	hello := []byte{1, 1, 7, 0, 4, 1, 1, 't', 5, 'h', 'e', 'l', 'l', 'o', 0}
	bang := []byte{1, 1, 7, 5, 0x84, 7, 4, 1, '!', 0}
	fs := newFakeServer(t)
	c := MustDial(t, fs.url, Options{})
	fc := fs.accept(t)
	fc.send(t, regA)
	fc.expect(t, TypeInitializeSession)
	fc.send(t, `{"type":"$storageReceived","data":{"changeKind":"unchanged","state":"`+
		base64.StdEncoding.EncodeToString(hello)+`"}`+envA)
	echo := fc.expect(t, TypeUpdateStorage)["data"].(map[string]any)
	if err := SameDoc(mustB64(t, echo["update"]), hello); err != nil {
		t.Fatalf("$initialized echo: %v", err)
	}

	fc.send(t, `{"type":"$storageUpdated","data":{"state":"`+
		base64.StdEncoding.EncodeToString(bang)+`"}`+envA)
	c.Await(TypeStorageUpdated)
	if c.DocEmpty() {
		t.Fatal("document is empty")
	}

	want := []byte{1, 2, 7, 0, 4, 1, 1, 't', 5, 'h', 'e', 'l', 'l', 'o', 0x84, 7, 4, 1, '!', 0}
	if err := SameDoc(c.Doc(), want); err != nil {
		t.Fatalf("document: %v", err)
	}

	if err := SameDoc(c.Doc(), hello); err == nil {
		t.Fatal("SameDoc does not tell documents apart")
	}
}

func TestClientBadYjsState(t *testing.T) {
	fs := newFakeServer(t)
	c, err := Dial(t.Context(), fs.url, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	fc := fs.accept(t)
	fc.send(t, regA)
	fc.expect(t, TypeInitializeSession)
	fc.send(t, `{"type":"$storageReceived","data":{"changeKind":"unchanged","state":"//8="}`+envA)
	awaitViolation(t, c, "not a Yjs v1 update")
}

func mustB64(t *testing.T, v any) []byte {
	t.Helper()

	s, _ := v.(string)
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatalf("base64 %q: %v", s, err)
	}

	return b
}
