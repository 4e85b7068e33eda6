package pluv

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// benchConfig is the config of the benchmarks: the defaults without a rate limit, which
// would drop the frames a benchmark sends as fast as it can.
var benchConfig = Config{RateLimit: &RateLimitConfig{PerSecond: -1}}

// benchSessions is the room size of the fan-out benchmarks; benchWindow is how many
// frames the sender writes before waiting for every session to read them.
const benchSessions, benchWindow = 10, 64

// BenchmarkBroadcast measures one relayed event fanned out to a room of 10 sessions over
// loopback sockets, from the sender's write to every session's read.
func BenchmarkBroadcast(b *testing.B) {
	srv, err := NewServer(benchConfig)
	if err != nil {
		b.Fatal(err)
	}
	hs, base := benchServer(b, srv)
	defer hs()
	conns := benchRoom(b, base, "bench", benchSessions, false)
	msg := []byte(`{"type":"cursor","data":{"x":123,"y":456,"name":"benchmark"}}`)
	b.ReportAllocs()
	b.ResetTimer()
	benchFanout(b, conns[0], conns, msg)
}

// BenchmarkPresence measures one `$updatePresence` merged and fanned out as
// `$presenceUpdated` to a room of 10 initialised sessions.
func BenchmarkPresence(b *testing.B) {
	srv, err := NewServer(benchConfig)
	if err != nil {
		b.Fatal(err)
	}
	hs, base := benchServer(b, srv)
	defer hs()
	conns := benchRoom(b, base, "bench", benchSessions, true)
	msg := []byte(`{"type":"$updatePresence","data":{"presence":{"x":123,"y":456}}}`)
	b.ReportAllocs()
	b.ResetTimer()
	benchFanout(b, conns[0], conns, msg)
}

// benchFanout writes msg b.N times from sender, in windows, and waits for each window to
// be read by every conn in readers.
func benchFanout(b *testing.B, sender *websocket.Conn, readers []*websocket.Conn,
	msg []byte,
) {
	benchFrames(b, sender, readers, func(int) []byte { return msg })
}

// benchFrames writes frame(i) for i < b.N from sender, in windows, and waits for each
// window to be read by every conn in readers.
func benchFrames(b *testing.B, sender *websocket.Conn, readers []*websocket.Conn,
	frame func(i int) []byte,
) {
	got := make(chan error, len(readers))
	cpu0 := processCPU(b)
	for sent := 0; sent < b.N; sent += benchWindow {
		n := min(benchWindow, b.N-sent)
		for _, ws := range readers {
			go func(ws *websocket.Conn) {
				for range n {
					if _, _, err := ws.ReadMessage(); err != nil {
						got <- err
						return
					}
				}
				got <- nil
			}(ws)
		}
		for i := range n {
			if err := sender.WriteMessage(websocket.TextMessage, frame(sent+i)); err != nil {
				b.Fatal(err)
			}
		}
		for range readers {
			if err := <-got; err != nil {
				b.Fatal(fmt.Errorf("reading: %w", err))
			}
		}
	}
	b.StopTimer() // shutting down waits for close replies nobody sends
	b.ReportMetric(float64(processCPU(b)-cpu0)/float64(b.N), "cpu-ns/op")
}

// processCPU returns the CPU time (user and system) of this process so far: with a busy
// machine it is a steadier figure than the wall time, though it counts the clients too.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchRoom dials n sessions into room and reads their `$registered`. With initialize,
// each then sends `$initializeSession` in turn, and every session reads up to the last
// `$userJoined`, so the room is quiet when it returns.
func benchRoom(b *testing.B, base, room string, n int, initialize bool) []*websocket.Conn {
	b.Helper()
	conns := make([]*websocket.Conn, n)
	for i := range conns {
		ws, _, err := websocket.DefaultDialer.Dial(base+"/?room="+room, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = ws.Close() })
		if _, _, err := ws.ReadMessage(); err != nil { // $registered
			b.Fatal(err)
		}
		conns[i] = ws
	}
	if !initialize {
		return conns
	}
	init := []byte(`{"type":"$initializeSession","data":{"presence":null,"update":null}}`)
	for _, ws := range conns {
		if err := ws.WriteMessage(websocket.TextMessage, init); err != nil {
			b.Fatal(err)
		}
	}
	for _, ws := range conns {
		benchReadUntil(b, ws, "$userJoined", n)
	}
	return conns
}

// benchSend writes one text frame to ws.
func benchSend(b *testing.B, ws *websocket.Conn, msg []byte) {
	b.Helper()
	if err := ws.WriteMessage(websocket.TextMessage, msg); err != nil {
		b.Fatal(err)
	}
}

// benchReadUntil reads frames from ws until it has read count frames of type typ.
func benchReadUntil(b *testing.B, ws *websocket.Conn, typ string, count int) {
	b.Helper()
	prefix := []byte(`{"type":"` + typ + `"`)
	for count > 0 {
		_, msg, err := ws.ReadMessage()
		if err != nil {
			b.Fatal(err)
		}
		if bytes.HasPrefix(msg, prefix) {
			count--
		}
	}
}

// benchServer serves srv on loopback for a benchmark; stop closes both.
func benchServer(b *testing.B, srv *Server) (stop func(), base string) {
	hs := httptest.NewServer(srv)
	return func() {
		_ = srv.Close(context.Background())
		hs.Close()
	}, "ws" + hs.URL[len("http"):]
}
