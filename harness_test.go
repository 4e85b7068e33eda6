package pluv

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// waitTimeout bounds every wait in the socket tests.
const waitTimeout = 5 * time.Second

// frame is a server frame as a client sees it.
type frame struct {
	Type         string          `json:"type"`
	Data         json.RawMessage `json:"data"`
	ConnectionID *string         `json:"connectionId"`
	Room         string          `json:"room"`
	User         json.RawMessage `json:"user"`
	raw          string
}

// conn returns the envelope's connectionId, "" for null.
func (f frame) conn() string {
	if f.ConnectionID == nil {
		return ""
	}
	return *f.ConnectionID
}

// testClient is a websocket client that collects frames in a channel.
type testClient struct {
	t      *testing.T
	ws     *websocket.Conn
	id     string
	frames chan frame
	done   chan struct{} // closed when the socket read fails
	err    error         // the read error, set before done closes
}

// startServer runs srv behind an httptest server and returns its ws:// URL.
func startServer(t *testing.T, c Config) (*Server, string) {
	t.Helper()
	srv, err := NewServer(c)
	if err != nil {
		t.Fatal(err)
	}
	return startServerFor(t, srv)
}

// startServerFor serves srv over httptest and closes both at the end of the test.
func startServerFor(t *testing.T, srv *Server) (*Server, string) {
	t.Helper()
	return serveTest(t, srv, httptest.NewServer(srv))
}

// serveTest closes srv and then hs at the end of the test and returns hs's ws:// URL.
func serveTest(t *testing.T, srv *Server, hs *httptest.Server) (*Server, string) {
	t.Helper()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		if err := srv.Close(ctx); err != nil {
			t.Errorf("closing server: %v", err)
		}
		hs.Close()
	})
	return srv, "ws" + strings.TrimPrefix(hs.URL, "http")
}

// dial connects to room with an optional token.
func dial(t *testing.T, base, room, token string) *testClient {
	t.Helper()
	q := url.Values{"room": {room}}
	if token != "" {
		q.Set("token", token)
	}
	ws, _, err := websocket.DefaultDialer.Dial(base+"/?"+q.Encode(), nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &testClient{t: t, ws: ws, frames: make(chan frame, 1024), done: make(chan struct{})}
	go c.read()
	t.Cleanup(func() { ws.Close() })
	return c
}

func (c *testClient) read() {
	defer close(c.done)
	for {
		typ, b, err := c.ws.ReadMessage()
		if err != nil {
			c.err = err
			return
		}
		if typ != websocket.TextMessage {
			c.err = errors.New("binary frame from server")
			return
		}
		var f frame
		if err := json.Unmarshal(b, &f); err != nil {
			c.err = err
			return
		}
		f.raw = string(b)
		c.frames <- f
	}
}

// send writes a client frame.
func (c *testClient) send(typ string, data any) {
	c.t.Helper()
	msg := map[string]any{"type": typ, "data": data}
	if err := c.ws.WriteJSON(msg); err != nil {
		c.t.Fatalf("send %s: %v", typ, err)
	}
}

// sendRaw writes a text frame as is.
func (c *testClient) sendRaw(s string) {
	c.t.Helper()
	if err := c.ws.WriteMessage(websocket.TextMessage, []byte(s)); err != nil {
		c.t.Fatal(err)
	}
}

// next returns the next frame, skipping `$pong`.
func (c *testClient) next() frame {
	c.t.Helper()
	deadline := time.NewTimer(waitTimeout)
	defer deadline.Stop()
	for {
		select {
		case f := <-c.frames:
			if f.Type == msgPong {
				continue
			}
			return f
		case <-c.done:
			// Frames read before the socket ended come first.
			select {
			case f := <-c.frames:
				if f.Type != msgPong {
					return f
				}
				continue
			default:
			}
			c.t.Fatalf("socket ended while waiting for a frame: %v", c.err)
		case <-deadline.C:
			c.t.Fatal("timed out waiting for a frame")
		}
	}
}

// expect returns the next frame and fails unless it has type typ.
func (c *testClient) expect(typ string) frame {
	c.t.Helper()
	f := c.next()
	if f.Type != typ {
		c.t.Fatalf("got %s, want %s: %s", f.Type, typ, f.raw)
	}
	return f
}

// closeCode waits for the socket to end and returns the close code (-1 if none).
func (c *testClient) closeCode() int {
	c.t.Helper()
	select {
	case <-c.done:
	case <-time.After(waitTimeout):
		c.t.Fatal("socket still open")
	}
	var ce *websocket.CloseError
	if errors.As(c.err, &ce) {
		return ce.Code
	}
	return -1
}

// register reads `$registered` and remembers the session id.
func (c *testClient) register() frame {
	c.t.Helper()
	f := c.expect(msgRegistered)
	c.id = f.conn()
	return f
}

// join runs the handshake with an optional initial update; it returns `$storageReceived`.
func (c *testClient) join(presence any, update []byte) frame {
	c.t.Helper()
	c.register()
	data := map[string]any{"update": base64.StdEncoding.EncodeToString(update)}
	if presence != nil {
		data["presence"] = presence
	}
	c.send(msgInitializeSession, data)
	sr := c.expect(msgStorageReceived)
	uj := c.expect(msgUserJoined)
	if uj.conn() != c.id {
		c.t.Fatalf("own $userJoined has connectionId %q, want %q", uj.conn(), c.id)
	}
	return sr
}

// marker broadcasts a relayed event and waits for it on every listed client, proving
// that anything queued before it has been seen.
func marker(t *testing.T, from *testClient, others ...*testClient) {
	t.Helper()
	from.send("marker", map[string]any{})
	for _, c := range append([]*testClient{from}, others...) {
		c.expect("marker")
	}
}

// eventually polls cond until it holds or the wait times out.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(waitTimeout)
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// textInsert is a Yjs v1 update inserting s at the start of root text "t" by client at
// clock (no origin, so any clock order is valid).
func textInsert(client, clock byte, s string) []byte {
	b := []byte{1, 1, client, clock, 4, 1, 1, 't', byte(len(s))}
	b = append(b, s...)
	return append(b, 0) // empty delete set
}

// decodeState decodes a base64 state field.
func decodeState(t *testing.T, data json.RawMessage, field string) []byte {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	var s string
	if err := json.Unmarshal(m[field], &s); err != nil {
		t.Fatalf("%s is not a string: %s", field, m[field])
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
