package pluv

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/caddyserver/caddy/v2"
)

// observed returns a debug logger and what it records.
func observed() (*zap.Logger, *observer.ObservedLogs) {
	core, logs := observer.New(zap.DebugLevel)
	return zap.New(core), logs
}

// awaitLog waits until logs hold an entry with message msg and, when set, session id.
func awaitLog(t *testing.T, logs *observer.ObservedLogs, msg, session string) observer.LoggedEntry {
	t.Helper()
	var found observer.LoggedEntry
	eventually(t, "log entry "+msg, func() bool {
		for _, e := range logs.FilterMessage(msg).All() {
			if session == "" || e.ContextMap()["session"] == session {
				found = e
				return true
			}
		}
		return false
	})
	return found
}

// dialHeader is dial with request headers.
func dialHeader(t *testing.T, base, room string, h http.Header) *testClient {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial(base+"/?"+url.Values{"room": {room}}.Encode(), h)
	if err != nil {
		t.Fatal(err)
	}
	c := &testClient{t: t, ws: ws, frames: make(chan frame, 1024), done: make(chan struct{})}
	go c.read()
	t.Cleanup(func() { ws.Close() })
	return c
}

// startSmallBuffers is startServer with a small kernel send buffer on every accepted
// socket, so that a client that stops reading backs the server up after little data.
func startSmallBuffers(t *testing.T, c Config) (*Server, string) {
	t.Helper()
	return startBuffers(t, c, 4096)
}

// startBuffers is startServer with a kernel send buffer of size on every accepted socket.
func startBuffers(t *testing.T, c Config, size int) (*Server, string) {
	t.Helper()
	srv, err := NewServer(c)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewUnstartedServer(srv)
	hs.Listener = smallBufListener{hs.Listener, size}
	hs.Start()
	return serveTest(t, srv, hs)
}

// smallBufListener sets a small send buffer on the sockets it accepts.
type smallBufListener struct {
	net.Listener
	size int
}

func (l smallBufListener) Accept() (net.Conn, error) {
	conn, err := l.Listener.Accept()
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetWriteBuffer(l.size)
	}
	return conn, err
}

// stall opens a session that reads its `$registered` and then nothing.
func stall(t *testing.T, base, room string) (*websocket.Conn, string) {
	t.Helper()
	return stallBuffer(t, base, room, 4096)
}

// stallBuffer is stall with a kernel receive buffer of size.
func stallBuffer(t *testing.T, base, room string, size int) (*websocket.Conn, string) {
	t.Helper()
	// A small kernel receive buffer backs the server up after little data.
	d := websocket.Dialer{ReadBufferSize: 1024,
		NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			conn, err := (&net.Dialer{}).DialContext(ctx, network, addr)
			if tc, ok := conn.(*net.TCPConn); ok {
				_ = tc.SetReadBuffer(size)
			}
			return conn, err
		}}
	ws, _, err := d.Dial(base+"/?room="+room, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	var reg frame
	if err := ws.ReadJSON(&reg); err != nil {
		t.Fatal(err)
	}
	return ws, reg.conn()
}

// floodUntilExit sends 64 KiB events from fast until it sees the `$exit` of id.
func floodUntilExit(t *testing.T, fast *testClient, id string) {
	t.Helper()
	payload := map[string]string{"blob": strings.Repeat("x", 64<<10)}
	gone := false
	for i := 0; i < 2000 && !gone; i++ {
		fast.send("blob", payload)
		// Up to the echo, so that no blob is left to reach a later joiner.
		for f := fast.next(); f.Type != "blob"; f = fast.next() {
			gone = gone || (f.Type == msgExit && f.conn() == id)
		}
	}
	if !gone {
		t.Fatal("the stalled session was never dropped")
	}
}

// TestSlowSessionLimits: a session that stops reading leaves the room as soon as it hits
// a limit, without waiting for its blocked write (write_timeout is a minute here), and
// the limit it hit is logged. The budget is all given back once it has gone.
func TestSlowSessionLimits(t *testing.T) {
	cases := []struct {
		name  string
		cfg   Config
		limit string
	}{
		{"frames", Config{SendQueue: 8}, "send_queue"},
		{"bytes", Config{SendQueueBytes: 300 << 10}, "send_queue_bytes"},
		{"budget", Config{MaxStorageSize: 64 << 10, MaxBytesInFlight: 400 << 10},
			"max_bytes_in_flight"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			log, logs := observed()
			tc.cfg.Logger, tc.cfg.WriteTimeout = log, caddy.Duration(time.Minute)
			srv, base := startSmallBuffers(t, tc.cfg)
			_, slowID := stall(t, base, "r")
			fast := dial(t, base, "r", "")
			fast.join(nil, nil)
			floodUntilExit(t, fast, slowID)
			e := awaitLog(t, logs, "slow session closed with 1013", slowID)
			if got := e.ContextMap()["limit"]; got != tc.limit {
				t.Fatalf("limit %v, want %s", got, tc.limit)
			}
			fast.send("marker", map[string]any{})
			skipTo(t, fast, "marker")
			fast.ws.Close()
			eventually(t, "the budget to be given back", func() bool {
				return srv.settings().budget.used.Load() == 0
			})
		})
	}
}

// TestFrameTooLarge: a frame past the read limit closes its socket with 1009 and is
// logged; the room goes on.
func TestFrameTooLarge(t *testing.T) {
	log, logs := observed()
	srv, base := startServer(t, Config{MaxStorageSize: 1024, Logger: log})
	ok := dial(t, base, "r", "")
	ok.join(nil, nil)
	big := dial(t, base, "r", "")
	big.join(nil, nil)
	limit := srv.settings().readLimit()
	big.sendRaw(`{"type":"x","data":{"p":"` + strings.Repeat("a", int(limit)) + `"}}`)
	if code := big.closeCode(); code != CloseTooLarge {
		t.Fatalf("close code %d, want %d", code, CloseTooLarge)
	}
	awaitLog(t, logs, "frame past the read limit; closed with 1009", big.id)
	// A frame of exactly the limit goes through.
	pad := int(limit) - len(`{"type":"x","data":{"p":""}}`)
	ok.sendRaw(`{"type":"x","data":{"p":"` + strings.Repeat("a", pad) + `"}}`)
	for f := ok.next(); f.Type != "x"; f = ok.next() {
	}
}

// TestRoomFull: past max_sessions_per_room a session gets `$error` and 4002 without ever
// joining; once someone leaves, the next one joins.
func TestRoomFull(t *testing.T) {
	log, logs := observed()
	_, base := startServer(t, Config{MaxSessionsPerRoom: 2, Logger: log})
	a := dial(t, base, "r", "")
	a.join(nil, nil)
	b := dial(t, base, "r", "")
	b.join(nil, nil)
	c := dial(t, base, "r", "")
	if f := c.expect(msgError); !strings.Contains(f.raw, "Room is full") || f.conn() != "" {
		t.Fatalf("refusal %s", f.raw)
	}
	if code := c.closeCode(); code != CloseRoomFull {
		t.Fatalf("close code %d, want %d", code, CloseRoomFull)
	}
	awaitLog(t, logs, "room full; closed with 4002", "")
	b.ws.Close()
	if f := skipTo(t, a, msgExit); f.conn() != b.id {
		t.Fatalf("$exit of %s, want b %s (c never joined)", f.conn(), b.id)
	}
	d := dial(t, base, "r", "")
	d.join(nil, nil)
}

// TestOriginRefused: with allowed_origins, a browser from another origin is accepted,
// sent `$error` and closed with 4003; a listed origin and a client without Origin join.
func TestOriginRefused(t *testing.T) {
	log, logs := observed()
	_, base := startServer(t, Config{Logger: log,
		AllowedOrigins: []string{"https://app.example.com", "https://*.example.org"}})
	for _, origin := range []string{"https://app.example.com", "https://a.example.org", ""} {
		h := http.Header{}
		if origin != "" {
			h.Set("Origin", origin)
		}
		dialHeader(t, base, "r", h).join(nil, nil)
	}
	bad := dialHeader(t, base, "r", http.Header{"Origin": {"https://evil.example.com"}})
	if f := bad.expect(msgError); !strings.Contains(f.raw, "Origin not allowed") {
		t.Fatalf("refusal %s", f.raw)
	}
	if code := bad.closeCode(); code != CloseOriginNotAllowed {
		t.Fatalf("close code %d, want %d", code, CloseOriginNotAllowed)
	}
	e := awaitLog(t, logs, "origin not allowed; closed with 4003", "")
	if e.ContextMap()["origin"] != "https://evil.example.com" {
		t.Fatalf("logged %v", e.ContextMap())
	}
}

// TestGoroutinesReturn: after sessions of every kind end (normal, slow, refused,
// oversize), the goroutine count returns to where it was and the budget is empty.
func TestGoroutinesReturn(t *testing.T) {
	srv, base := startSmallBuffers(t, Config{SendQueue: 8, MaxSessionsPerRoom: 3,
		MaxStorageSize: 1024, WriteTimeout: caddy.Duration(time.Minute)})
	before := runtime.NumGoroutine()

	a := dial(t, base, "r", "")
	a.join(nil, nil)
	ws, slowID := stall(t, base, "r")
	floodUntilExit(t, a, slowID)
	b := dial(t, base, "r", "")
	b.join(nil, nil)
	big := dial(t, base, "r", "")
	big.join(nil, nil)
	full := dial(t, base, "r", "")
	full.closeCode()
	big.sendRaw(strings.Repeat(" ", int(srv.settings().readLimit())+1))
	big.closeCode()
	for _, c := range []*testClient{a, b} {
		c.ws.Close()
		<-c.done
	}
	ws.Close()

	eventually(t, "goroutines back to the baseline and the budget empty", func() bool {
		return runtime.NumGoroutine() <= before && srv.settings().budget.used.Load() == 0
	})
}

// skipTo returns the next frame of type typ, skipping others.
func skipTo(t *testing.T, c *testClient, typ string) frame {
	t.Helper()
	for {
		if f := c.next(); f.Type == typ {
			return f
		}
	}
}

// TestPongBeforeLargeFrames: `$pong` goes out on its own lane. With large storage frames
// queued to a client that does not read, its `$pong` is written right after the frame
// being written, ahead of the rest (the client drops its connection after 2 s without).
func TestPongBeforeLargeFrames(t *testing.T) {
	// Buffers of 64 KiB hold only a little of the backlog, without the crawl of a window
	// smaller than a segment.
	_, base := startBuffers(t, Config{WriteTimeout: caddy.Duration(time.Minute)}, 64<<10)
	bob := dial(t, base, "r", "")
	bob.join(nil, nil)
	ann, annID := stallBuffer(t, base, "r", 64<<10)
	if err := ann.WriteJSON(map[string]any{"type": msgInitializeSession,
		"data": map[string]any{"update": ""}}); err != nil {
		t.Fatal(err)
	}

	// Wait until ann is initialised (its `$userJoined` reached bob): from then on bob's
	// edits are relayed to it.
	for f := bob.next(); f.Type != msgUserJoined || f.conn() != annID; f = bob.next() {
	}
	const frames = 6
	start := time.Now()
	for i := 0; i < frames; i++ {
		u := bigInsert(byte(100+i), 128<<10)
		bob.send(msgUpdateStorage, map[string]any{"update": b64std(u)})
	}
	marker(t, bob) // bob's edits are applied: ann's frames are queued
	if err := ann.WriteJSON(map[string]any{"type": msgPing, "data": map[string]any{}}); err != nil {
		t.Fatal(err)
	}
	// ann's frames are processed in order: once bob has this, the ping has been too.
	after := map[string]any{"type": "afterPing", "data": map[string]any{}}
	if err := ann.WriteJSON(after); err != nil {
		t.Fatal(err)
	}
	skipTo(t, bob, "afterPing")

	var order []string
	for len(order) < frames+1 {
		_, b, err := ann.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		var f frame
		if err := json.Unmarshal(b, &f); err != nil {
			t.Fatal(err)
		}
		if f.Type == msgPong || f.Type == msgStorageUpdated {
			order = append(order, f.Type)
		}
	}
	at := slices.Index(order, msgPong)
	t.Logf("$pong after %d of %d queued storage frames of 128 KiB (%v)", at, frames,
		time.Since(start))
	// The frame being written and what the socket buffers hold come first; without the
	// lane the `$pong` would come last.
	if at < 0 || at > frames/2 {
		t.Fatalf("frames in order %v: the $pong waited behind the queue", order)
	}
}

// bigInsert is a Yjs v1 update inserting n characters at the start of root text "t" by
// client at clock 0.
func bigInsert(client byte, n int) []byte {
	b := []byte{1, 1, client, 0, 4, 1, 1, 't'}
	b = binary.AppendUvarint(b, uint64(n))
	b = append(b, strings.Repeat("s", n)...)
	return append(b, 0) // empty delete set
}
