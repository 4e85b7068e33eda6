// Package floor is the bare fan-out server pluvbench measures pluv against: gorilla
// websocket, no rooms beyond a group key, no envelopes. Each frame a socket sends is
// written as it is to every other socket of its group. It is written as a careful minimal
// server would be (the shape of gorilla's chat example): a read pump and a write pump per
// socket, a bounded send queue, write deadlines, pooled write buffers.
package floor

import (
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// Settings of the floor; the same order of magnitude as pluv's defaults.
const (
	sendQueue    = 1024             // frames queued per socket; a full queue drops it
	writeTimeout = 10 * time.Second // bounds each write
	readLimit    = 1 << 20          // largest frame read
)

// Server relays frames within groups, keyed by the `room` query parameter.
type Server struct {
	upgrader websocket.Upgrader

	mu     sync.RWMutex // guards groups
	groups map[string]map[*peer]struct{}
}

// peer is one socket of a group.
type peer struct {
	conn  *websocket.Conn
	group string
	send  chan []byte   // frames to write; closed by leave
	gone  chan struct{} // closed by leave
	once  sync.Once
}

// New returns a floor server.
func New() *Server {
	return &Server{
		upgrader: websocket.Upgrader{
			ReadBufferSize:  4096,
			WriteBufferPool: &sync.Pool{},
			CheckOrigin:     func(*http.Request) bool { return true },
		},
		groups: map[string]map[*peer]struct{}{},
	}
}

// ServeHTTP upgrades the request, starts the socket's pumps and returns.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	conn, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader has answered
	}
	conn.SetReadLimit(readLimit)
	p := &peer{
		conn: conn, group: r.URL.Query().Get("room"),
		send: make(chan []byte, sendQueue), gone: make(chan struct{}),
	}
	s.mu.Lock()
	g := s.groups[p.group]
	if g == nil {
		g = map[*peer]struct{}{}
		s.groups[p.group] = g
	}
	g[p] = struct{}{}
	s.mu.Unlock()
	go s.writePump(p)
	go s.readPump(p)
}

// Sockets returns the number of sockets held.
func (s *Server) Sockets() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	n := 0
	for _, g := range s.groups {
		n += len(g)
	}
	return n
}

// readPump reads frames and relays each to the rest of the group until the socket ends.
func (s *Server) readPump(p *peer) {
	defer s.leave(p)
	for {
		kind, b, err := p.conn.ReadMessage()
		if err != nil {
			return
		}
		if kind != websocket.TextMessage && kind != websocket.BinaryMessage {
			continue
		}
		s.mu.RLock()
		for q := range s.groups[p.group] {
			if q == p {
				continue
			}
			select {
			case q.send <- b:
			default:
				go s.leave(q) // too slow: drop it rather than block the group
			}
		}
		s.mu.RUnlock()
	}
}

// writePump writes queued frames until the queue closes or a write fails.
// Limitation: one write call per frame, as gorilla's API makes natural; frames that
// queue up are not coalesced into one syscall, so the floor is a careful server's, not
// the lowest possible.
func (s *Server) writePump(p *peer) {
	defer p.conn.Close()
	for {
		select {
		case b := <-p.send:
			_ = p.conn.SetWriteDeadline(time.Now().Add(writeTimeout))
			if err := p.conn.WriteMessage(websocket.TextMessage, b); err != nil {
				s.leave(p)
				return
			}
		case <-p.gone:
			_ = p.conn.WriteControl(websocket.CloseMessage,
				websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""),
				time.Now().Add(time.Second))
			return
		}
	}
}

// leave takes p out of its group and ends its write pump; it may be called many times.
func (s *Server) leave(p *peer) {
	p.once.Do(func() {
		s.mu.Lock()
		if g := s.groups[p.group]; g != nil {
			delete(g, p)
			if len(g) == 0 {
				delete(s.groups, p.group)
			}
		}
		s.mu.Unlock()
		close(p.gone)
		_ = p.conn.SetReadDeadline(time.Now()) // ends the read pump
	})
}
