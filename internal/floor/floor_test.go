package floor

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// dial joins group room of the test server.
func dial(t *testing.T, srv *httptest.Server, room string) *websocket.Conn {
	t.Helper()
	u := "ws" + strings.TrimPrefix(srv.URL, "http") + "/?room=" + room
	c, _, err := websocket.DefaultDialer.Dial(u, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func send(t *testing.T, c *websocket.Conn, s string) {
	t.Helper()
	if err := c.WriteMessage(websocket.TextMessage, []byte(s)); err != nil {
		t.Fatal(err)
	}
}

// next returns the next frame c receives.
func next(t *testing.T, c *websocket.Conn) string {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, b, err := c.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestRelay: a frame goes as it is to every other socket of its group, not back to its
// sender and not to other groups. Frames of one sender keep their order, so a marker
// sent afterwards proves what did not arrive.
func TestRelay(t *testing.T) {
	s := New()
	srv := httptest.NewServer(s)
	defer srv.Close()

	a1, a2, a3 := dial(t, srv, "a"), dial(t, srv, "a"), dial(t, srv, "a")
	b1, b2 := dial(t, srv, "b"), dial(t, srv, "b")
	for s.Sockets() < 5 {
		time.Sleep(time.Millisecond) // the upgrade answers before the socket is grouped
	}

	send(t, a1, `{"type":"x","data":{"n":1}}`)
	for _, c := range []*websocket.Conn{a2, a3} {
		if got := next(t, c); got != `{"type":"x","data":{"n":1}}` {
			t.Errorf("group member got %q", got)
		}
	}
	send(t, a2, "marker-a")
	if got := next(t, a1); got != "marker-a" {
		t.Errorf("sender got %q before the next frame of its group", got)
	}
	send(t, b2, "marker-b")
	if got := next(t, b1); got != "marker-b" {
		t.Errorf("other group got %q", got)
	}

	a3.Close()
	for s.Sockets() > 4 {
		time.Sleep(time.Millisecond)
	}
}
