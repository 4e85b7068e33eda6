package pluv

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"

	"github.com/gorilla/websocket"
)

// BenchmarkBroadcast measures one relayed event fanned out to a room of 10 sessions over
// loopback sockets, from the sender's write to every session's read.
func BenchmarkBroadcast(b *testing.B) {
	srv, err := NewServer(Config{})
	if err != nil {
		b.Fatal(err)
	}
	hs, base := benchServer(b, srv)
	defer hs()
	const sessions, window = 10, 64
	conns := make([]*websocket.Conn, sessions)
	for i := range conns {
		ws, _, err := websocket.DefaultDialer.Dial(base+"/?room=bench", nil)
		if err != nil {
			b.Fatal(err)
		}
		defer ws.Close()
		if _, _, err := ws.ReadMessage(); err != nil { // $registered
			b.Fatal(err)
		}
		conns[i] = ws
	}
	msg := []byte(`{"type":"cursor","data":{"x":123,"y":456,"name":"benchmark"}}`)
	got := make(chan error, sessions)
	b.ResetTimer()
	for sent := 0; sent < b.N; sent += window {
		n := min(window, b.N-sent)
		for _, ws := range conns {
			go func(ws *websocket.Conn) {
				for i := 0; i < n; i++ {
					if _, _, err := ws.ReadMessage(); err != nil {
						got <- err
						return
					}
				}
				got <- nil
			}(ws)
		}
		for i := 0; i < n; i++ {
			if err := conns[0].WriteMessage(websocket.TextMessage, msg); err != nil {
				b.Fatal(err)
			}
		}
		for range conns {
			if err := <-got; err != nil {
				b.Fatal(fmt.Errorf("reading: %w", err))
			}
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
