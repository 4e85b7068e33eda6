package pluvtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// TB is the part of testing.TB a [Client] reports through. Awaiters call Fatalf, so they
// must run on the test's goroutine.
type TB interface {
	Helper()
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
	Cleanup(f func())
}

// Steps selects the handshake steps a [Client] performs by itself (PROTOCOL.md §3).
type Steps uint8

// The automatic steps of the real client.
const (
	// StepInitialize sends `$initializeSession` on `$registered`.
	StepInitialize Steps = 1 << iota
	// StepStorageEcho sends `$updateStorage` with origin `$initialized` on `$storageReceived`.
	StepStorageEcho
	// StepGetOthers sends `$getOthers` on the client's own `$userJoined`.
	StepGetOthers

	// AllSteps is the real client's behaviour.
	AllSteps = StepInitialize | StepStorageEcho | StepGetOthers
)

// TokenEncoding selects how the token goes into the query (PROTOCOL.md §1.3).
type TokenEncoding int

const (
	// TokenAsClient encodes like the real client: encodeURIComponent, then form encoding.
	TokenAsClient TokenEncoding = iota
	// TokenOnce form-encodes the token once, as a plain HTTP client would.
	TokenOnce
)

// Options configures [Dial]. The zero value is a real client without token or presence.
type Options struct {
	// T receives violations and awaiter failures; without it they are only recorded.
	T TB
	// Name labels the client in messages; default "client".
	Name string
	// Token is put in the `token` query parameter when non-empty.
	Token string
	// TokenEncoding selects the encoding of Token; default [TokenAsClient].
	TokenEncoding TokenEncoding
	// Header is sent with the upgrade request.
	Header http.Header
	// Presence is the initial presence; nil leaves it out of `$initializeSession`.
	Presence map[string]any
	// Update is the client's initial document as a Yjs v1 update; nil sends "".
	Update []byte
	// Cached are updates the real client keeps from earlier sockets (its storage store, e.g.
	// edits made while offline); they seed an empty room and are merged into the state of
	// `$storageReceived`, then sent in the `$initialized` echo, as the real client does.
	Cached [][]byte
	// Manual lists the handshake steps the test performs itself; zero means none.
	Manual Steps
	// Timeout bounds every awaiter; default 5 s.
	Timeout time.Duration
	// PingEvery sends `$ping` at this period like the real client's heartbeat; 0 = never.
	PingEvery time.Duration
	// Room is the room id every frame's `room` must equal; default the URL's `room` query.
	Room string
	// ReadBuffer, when positive, sets the socket's kernel receive buffer (SO_RCVBUF) in
	// bytes before connecting, so that a paused client backs the server up after little
	// data.
	ReadBuffer int
}

// CloseInfo describes how the server ended the connection.
type CloseInfo struct {
	// Code is the close status; 1006 when the socket ended without a close frame.
	Code int
	// Text is the close reason.
	Text string
}

// Client is one strict protocol client over a real socket.
type Client struct {
	opts    Options
	conn    *websocket.Conn
	writeMu sync.Mutex // serialises writes to conn

	done chan struct{} // closed when the read loop has ended
	stop chan struct{} // closed by Close to end the heartbeat

	gateMu sync.Mutex    // guards gate
	gate   chan struct{} // non-nil while reading is paused; closed to resume

	mu         sync.Mutex // guards everything below
	frames     []Frame
	changed    chan struct{} // closed and replaced after every change
	closed     *CloseInfo
	violations []string
	reported   int
	st         protoState
	users      users
	doc        *Doc
	cursor     int
	typeCursor map[string]int
}

// Dial opens a socket to url (ws:// or wss://) and starts reading. With opts.T set, the
// client is closed and its violations reported when the test ends.
func Dial(ctx context.Context, rawURL string, opts Options) (*Client, error) {
	if opts.Name == "" {
		opts.Name = "client"
	}

	if opts.Timeout == 0 {
		opts.Timeout = 5 * time.Second
	}

	u, err := dialURL(rawURL, opts.Token, opts.TokenEncoding)
	if err != nil {
		return nil, err
	}

	if opts.Room == "" {
		opts.Room = u.Query().Get("room")
	}

	if _, err := merged(opts.Cached); err != nil {
		return nil, err
	}

	d := websocket.Dialer{HandshakeTimeout: opts.Timeout}
	if opts.ReadBuffer > 0 {
		d.NetDialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			conn, err := (&net.Dialer{}).DialContext(ctx, network, addr)
			if tc, ok := conn.(*net.TCPConn); ok {
				_ = tc.SetReadBuffer(opts.ReadBuffer)
			}

			return conn, err
		}
	}

	conn, resp, err := d.DialContext(ctx, u.String(), opts.Header)
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("dialing %s: status %d: %w", rawURL, resp.StatusCode, err)
		}

		return nil, fmt.Errorf("dialing %s: %w", rawURL, err)
	}

	c := &Client{
		opts:       opts,
		conn:       conn,
		done:       make(chan struct{}),
		stop:       make(chan struct{}),
		changed:    make(chan struct{}),
		users:      newUsers(opts.Presence),
		doc:        newDoc(),
		typeCursor: map[string]int{},
	}
	if opts.Update != nil {
		if _, err := c.doc.apply(opts.Update); err != nil {
			conn.Close()
			return nil, fmt.Errorf("initial update: %w", err)
		}
	}

	go c.readLoop()

	if opts.PingEvery > 0 {
		go c.heartbeat(opts.PingEvery)
	}

	if opts.T != nil {
		opts.T.Cleanup(func() {
			c.Close()
			c.report()
		})
	}

	return c, nil
}

// MustDial is [Dial] that fails the test on error and reports through t.
func MustDial(t TB, rawURL string, opts Options) *Client {
	t.Helper()

	opts.T = t
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	c, err := Dial(ctx, rawURL, opts)
	if err != nil {
		t.Fatalf("pluvtest: %v", err)
	}

	return c
}

// dialURL adds the token to the query of rawURL the way enc says.
func dialURL(rawURL, token string, enc TokenEncoding) (*url.URL, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("parsing url: %w", err)
	}

	if token == "" {
		return u, nil
	}

	q := u.Query()
	if enc == TokenAsClient {
		token = encodeURIComponent(token)
	}

	q.Set("token", token)
	u.RawQuery = q.Encode()

	return u, nil
}

// encodeURIComponent escapes s like JavaScript's function of that name.
func encodeURIComponent(s string) string {
	const keep = "-_.!~*'()"
	var b strings.Builder
	for _, c := range []byte(s) {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			strings.IndexByte(keep, c) >= 0:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}

	return b.String()
}

// readLoop reads frames until the socket ends; it is the only reader of conn.
func (c *Client) readLoop() {
	defer close(c.done)

	for {
		c.gateMu.Lock()
		gate := c.gate
		c.gateMu.Unlock()

		if gate != nil {
			select {
			case <-gate:
			case <-c.stop:
			}
		}

		kind, raw, err := c.conn.ReadMessage()
		if err != nil {
			c.ended(err)
			return
		}

		c.receive(kind, raw, time.Now())
	}
}

// ended records how the socket ended.
func (c *Client) ended(err error) {
	info := CloseInfo{Code: websocket.CloseAbnormalClosure, Text: err.Error()}

	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		info = CloseInfo{Code: ce.Code, Text: ce.Text}
	}

	c.mu.Lock()
	c.closed = &info
	c.notifyLocked()
	c.mu.Unlock()
}

// notifyLocked wakes every awaiter; c.mu must be held.
func (c *Client) notifyLocked() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// violate records a violation of the protocol by the server.
func (c *Client) violate(format string, args ...any) {
	c.mu.Lock()
	c.violateLocked(format, args...)
	c.mu.Unlock()
}

func (c *Client) violateLocked(format string, args ...any) {
	c.violations = append(c.violations, fmt.Sprintf(format, args...))
	c.notifyLocked()
}

// Violations returns every violation recorded so far.
func (c *Client) Violations() []string {
	c.mu.Lock()
	defer c.mu.Unlock()

	return append([]string(nil), c.violations...)
}

// report sends the violations not yet reported to the test.
func (c *Client) report() {
	if c.opts.T == nil {
		return
	}

	c.opts.T.Helper()

	c.mu.Lock()
	news := c.violations[c.reported:]
	c.reported = len(c.violations)
	c.mu.Unlock()

	for _, v := range news {
		c.opts.T.Errorf("pluvtest %s: server violated the protocol: %s", c.opts.Name, v)
	}
}

// Close sends a close frame without status, as the real client does on leave (the server
// sees 1005), waits briefly for the server's answer and closes the socket.
func (c *Client) Close() {
	select {
	case <-c.stop:
	default:
		close(c.stop)
	}

	c.writeMu.Lock()
	_ = c.conn.SetWriteDeadline(time.Now().Add(time.Second))
	_ = c.conn.WriteMessage(websocket.CloseMessage, nil)
	c.writeMu.Unlock()

	select {
	case <-c.done:
	case <-time.After(2 * time.Second):
	}

	c.conn.Close()
	<-c.done
}

// PauseReading stops reading from the socket after the frame being read, as a stalled
// browser tab would; the server's writes then back up. [Client.ResumeReading] ends it.
func (c *Client) PauseReading() {
	c.gateMu.Lock()
	defer c.gateMu.Unlock()

	if c.gate == nil {
		c.gate = make(chan struct{})
	}
}

// ResumeReading ends [Client.PauseReading]. With a small [Options.ReadBuffer] the backlog
// then arrives slowly (TCP probes a window smaller than a segment), so tests that paused
// such a client had better [Client.Drop] it.
func (c *Client) ResumeReading() {
	c.gateMu.Lock()
	defer c.gateMu.Unlock()

	if c.gate != nil {
		close(c.gate)
		c.gate = nil
	}
}

// Drop closes the socket without a close frame (the server sees 1006).
func (c *Client) Drop() {
	select {
	case <-c.stop:
	default:
		close(c.stop)
	}

	c.conn.Close()
	<-c.done
}

// SessionID returns the client's connection id from `$registered`, "" before it.
func (c *Client) SessionID() string {
	c.mu.Lock()
	defer c.mu.Unlock()

	return c.st.sessionID
}

// User returns the raw user of `$registered`, nil before it.
func (c *Client) User() json.RawMessage {
	c.mu.Lock()
	defer c.mu.Unlock()

	return c.st.user
}

// Name returns the client's label.
func (c *Client) Name() string { return c.opts.Name }
