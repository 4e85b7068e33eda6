package pluvtest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// barrierKey marks the data of frames sent by [Client.Barrier]; [Client.Next] skips them.
const barrierKey = "__pluvtestBarrier"

// waitE waits until find reports a frame, the socket ends, or the client's timeout passes.
// find runs without c.mu held (so a match function may call the client's accessors); it
// takes the lock itself where it needs it.
func (c *Client) waitE(desc string, find func() (Frame, bool)) (Frame, error) {
	deadline := time.NewTimer(c.opts.Timeout)
	defer deadline.Stop()

	for {
		c.mu.Lock()
		closed, ch := c.closed, c.changed
		c.mu.Unlock()

		if f, ok := find(); ok {
			return f, nil
		}

		if closed != nil {
			return Frame{}, fmt.Errorf("waiting for %s: socket closed (%d %q); frames:\n%s",
				desc, closed.Code, closed.Text, c.transcript())
		}

		select {
		case <-ch:
		case <-deadline.C:
			return Frame{}, fmt.Errorf("timed out after %v waiting for %s; frames:\n%s",
				c.opts.Timeout, desc, c.transcript())
		}
	}
}

// history returns the frames so far; frames are only ever appended, so the returned slice
// stays valid and unchanged.
func (c *Client) history() []Frame {
	c.mu.Lock()
	defer c.mu.Unlock()

	return c.frames[:len(c.frames):len(c.frames)]
}

// must turns an awaiter's error into a test failure, after reporting violations.
func (c *Client) must(f Frame, err error) Frame {
	c.report()
	if err != nil {
		if c.opts.T == nil {
			panic(err)
		}

		c.opts.T.Helper()
		c.opts.T.Fatalf("pluvtest %s: %v", c.opts.Name, err)
	}

	return f
}

// AwaitE returns the next frame of type typ not yet returned by Await for that type.
func (c *Client) AwaitE(typ string) (Frame, error) {
	return c.waitE(typ, func() (Frame, bool) {
		c.mu.Lock()
		defer c.mu.Unlock()

		for i := c.typeCursor[typ]; i < len(c.frames); i++ {
			if c.frames[i].Type == typ {
				c.typeCursor[typ] = i + 1
				return c.frames[i], true
			}
		}

		return Frame{}, false
	})
}

// Await is [Client.AwaitE] that fails the test on timeout or close.
func (c *Client) Await(typ string) Frame {
	if c.opts.T != nil {
		c.opts.T.Helper()
	}

	return c.must(c.AwaitE(typ))
}

// AwaitFunc returns the first frame (from the start of the history) for which match is true.
func (c *Client) AwaitFunc(desc string, match func(Frame) bool) Frame {
	if c.opts.T != nil {
		c.opts.T.Helper()
	}

	return c.must(c.waitE(desc, func() (Frame, bool) {
		for _, f := range c.history() {
			if match(f) {
				return f, true
			}
		}

		return Frame{}, false
	}))
}

// NextE returns the next frame in arrival order, skipping `$pong` and barrier frames.
func (c *Client) NextE() (Frame, error) {
	return c.waitE("the next frame", func() (Frame, bool) {
		c.mu.Lock()
		defer c.mu.Unlock()

		for c.cursor < len(c.frames) {
			f := c.frames[c.cursor]
			c.cursor++
			if f.Type != TypePong && !isBarrier(f) {
				return f, true
			}
		}

		return Frame{}, false
	})
}

// Next is [Client.NextE] that fails the test on timeout or close.
func (c *Client) Next() Frame {
	if c.opts.T != nil {
		c.opts.T.Helper()
	}

	return c.must(c.NextE())
}

// Frames returns every accepted frame so far, `$pong` included.
func (c *Client) Frames() []Frame {
	c.mu.Lock()
	defer c.mu.Unlock()

	return append([]Frame(nil), c.frames...)
}

// Types returns the types of the accepted frames so far, without `$pong` and barriers.
func (c *Client) Types() []string {
	var out []string
	for _, f := range c.Frames() {
		if f.Type != TypePong && !isBarrier(f) {
			out = append(out, f.Type)
		}
	}

	return out
}

// Count returns how many accepted frames have type typ.
func (c *Client) Count(typ string) int {
	n := 0
	for _, f := range c.Frames() {
		if f.Type == typ {
			n++
		}
	}

	return n
}

// AwaitCloseE waits until the server ends the socket.
func (c *Client) AwaitCloseE() (CloseInfo, error) {
	deadline := time.NewTimer(c.opts.Timeout)
	defer deadline.Stop()

	select {
	case <-c.done:
	case <-deadline.C:
		return CloseInfo{}, fmt.Errorf("timed out after %v waiting for the server to close; "+
			"frames:\n%s", c.opts.Timeout, c.transcript())
	}

	c.mu.Lock()
	defer c.mu.Unlock()

	return *c.closed, nil
}

// AwaitClose is [Client.AwaitCloseE] that fails the test on timeout.
func (c *Client) AwaitClose() CloseInfo {
	if c.opts.T != nil {
		c.opts.T.Helper()
	}

	info, err := c.AwaitCloseE()
	c.must(Frame{}, err)

	return info
}

// Closed returns how the socket ended, nil while it is open.
func (c *Client) Closed() *CloseInfo {
	c.mu.Lock()
	defer c.mu.Unlock()

	if c.closed == nil {
		return nil
	}

	info := *c.closed

	return &info
}

// AwaitPongs waits until a `$pong` has arrived after the latest `$ping`, which is what the
// real client needs (it keeps one timer for all its pings).
func (c *Client) AwaitPongs() {
	if c.opts.T != nil {
		c.opts.T.Helper()
	}

	c.must(c.waitE("$pong after the latest $ping", func() (Frame, bool) {
		c.mu.Lock()
		defer c.mu.Unlock()

		return Frame{}, c.st.pings == 0 || c.st.pongSince
	}))
}

// Barrier sends the custom event name carrying a fresh nonce and waits until c and every
// client in also have received it. A server processes a session's frames in order and
// enqueues under the room lock, so any frame caused earlier by c has then been delivered:
// after a barrier, a frame that has not arrived was not sent. The event must be relayed
// (undefined names are, unless strict_events) or defined as a broadcast of its input.
func (c *Client) Barrier(name string, also ...*Client) {
	if c.opts.T != nil {
		c.opts.T.Helper()
	}

	nonce := newNonce()
	if err := c.Send(name, map[string]any{barrierKey: nonce}); err != nil {
		c.must(Frame{}, err)
	}

	for _, x := range append([]*Client{c}, also...) {
		x.must(x.waitE("barrier "+name, func() (Frame, bool) {
			for _, f := range x.history() {
				if f.Type == name && barrierNonce(f) == nonce {
					return f, true
				}
			}

			return Frame{}, false
		}))
	}
}

func isBarrier(f Frame) bool { return barrierNonce(f) != "" }

func barrierNonce(f Frame) string {
	if jsonKind(f.Data) != '{' || !strings.Contains(string(f.Data), barrierKey) {
		return ""
	}

	var m map[string]json.RawMessage
	if json.Unmarshal(f.Data, &m) != nil {
		return ""
	}

	var s string
	_ = json.Unmarshal(m[barrierKey], &s)

	return s
}

func newNonce() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)

	return hex.EncodeToString(b)
}

// transcript renders the frames received so far for failure messages.
func (c *Client) transcript() string {
	c.mu.Lock()
	defer c.mu.Unlock()

	var b strings.Builder
	for _, f := range c.frames {
		fmt.Fprintf(&b, "  %s\n", f)
	}

	if len(c.frames) == 0 {
		b.WriteString("  (none)\n")
	}

	return b.String()
}

// Handshake is what a client saw of the §3 handshake.
type Handshake struct {
	Registered      Frame
	StorageReceived Frame
	UserJoined      Frame
	OthersReceived  Frame
}

// Handshake waits for the whole automatic handshake: `$registered`, `$storageReceived`, the
// client's own `$userJoined` and the `$othersReceived` answering its `$getOthers`. It looks
// at the first frames of those types, whether or not an awaiter already returned them.
func (c *Client) Handshake() Handshake {
	if c.opts.T != nil {
		c.opts.T.Helper()
	}

	first := func(typ string) Frame {
		if c.opts.T != nil {
			c.opts.T.Helper()
		}

		return c.AwaitFunc("the first "+typ, func(f Frame) bool { return f.Type == typ })
	}

	var h Handshake
	h.Registered = first(TypeRegistered)
	h.StorageReceived = first(TypeStorageReceived)
	h.UserJoined = c.AwaitFunc("own $userJoined", func(f Frame) bool {
		return f.Type == TypeUserJoined && f.ConnectionID == h.Registered.ConnectionID
	})
	h.OthersReceived = first(TypeOthersReceived)

	return h
}

// AwaitAs is [Client.Await] that also decodes the frame's data into T (one of the payload
// types of this package, or any type the data fits), failing the test when it does not.
func AwaitAs[T any](c *Client, typ string) (Frame, T) {
	if c.opts.T != nil {
		c.opts.T.Helper()
	}

	f := c.Await(typ)

	var v T
	c.must(f, f.Decode(&v))

	return f, v
}
