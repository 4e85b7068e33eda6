package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// Frames the lean client sends as they are.
var (
	pingFrame      = []byte(`{"type":"$ping","data":{}}`)
	getOthersFrame = []byte(`{"type":"$getOthers","data":{}}`)
)

// writeTimeout bounds every socket write of the generator.
const writeTimeout = 10 * time.Second

// maxKeptBuffer is the largest read buffer a client keeps between frames; a handshake
// with a large document does not pin its buffer for the rest of the run.
const maxKeptBuffer = 64 << 10

// client is one lean protocol client: no document, no model of the others; it answers
// the handshake as @pluv/client does and hands the measured frames to its run.
type client struct {
	idx    int // index among all clients of the run
	room   int // room index
	r      *run
	ws     *websocket.Conn
	wmu    sync.Mutex // serialises writes to ws
	update string     // base64 update of `$initializeSession` ("" for none)
	echo   bool       // send the `$initialized` echo of `$storageReceived`

	storaged chan struct{} // closed at `$storageReceived` (floor: at once)
	joined   chan struct{} // closed at `$othersReceived` (floor: at once)
	done     chan struct{} // closed when the read loop ends
	up       atomic.Bool   // set once ws and the channels are; read them only after
	closing  atomic.Bool   // set before the run closes the socket itself

	session         string // set by the read loop before storaged closes
	registeredBytes int    // decoded `$registered` state, set before storaged closes
	receivedBytes   int    // decoded `$storageReceived` state, set before storaged closes

	sentInWindow atomic.Int64 // measured messages this client sent in the window
	gotInWindow  atomic.Int64 // measured messages sent in the window that reached it
	buf          []byte       // read buffer, owned by the read loop
}

// dialClient opens a socket for c's room with token (empty: none) and starts reading.
func (r *run) dialClient(ctx context.Context, c *client, token string) error {
	u, err := url.Parse(r.cfg.URL)
	if err != nil {
		return err
	}
	q := u.Query()
	q.Set("room", r.roomID(c.room))
	if token != "" {
		q.Set("token", token)
	}
	u.RawQuery = q.Encode()

	d := websocket.Dialer{
		NetDialContext:   dialLoopback,
		HandshakeTimeout: 10 * time.Second,
		ReadBufferSize:   4096,
		WriteBufferSize:  4096,
	}
	ws, resp, err := d.DialContext(ctx, u.String(), nil)
	if err != nil {
		if resp != nil {
			return fmt.Errorf("dialing room %d: status %d: %w", c.room, resp.StatusCode, err)
		}
		return fmt.Errorf("dialing room %d: %w", c.room, err)
	}
	ws.SetReadLimit(-1)
	c.ws = ws
	c.storaged = make(chan struct{})
	c.joined = make(chan struct{})
	c.done = make(chan struct{})
	if r.cfg.Target == TargetFloor {
		close(c.storaged)
		close(c.joined)
	}
	c.up.Store(true)
	go c.readLoop()
	return nil
}

// write sends one text frame.
func (c *client) write(b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.ws.SetWriteDeadline(time.Now().Add(writeTimeout))
	return c.ws.WriteMessage(websocket.TextMessage, b)
}

// close sends a close frame and closes the socket; the read loop then ends.
func (c *client) close() {
	if !c.up.Load() || !c.closing.CompareAndSwap(false, true) {
		return
	}
	c.wmu.Lock()
	_ = c.ws.WriteControl(websocket.CloseMessage,
		websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""),
		time.Now().Add(time.Second))
	c.wmu.Unlock()
	_ = c.ws.Close()
}

// readLoop reads frames until the socket ends; it is the only reader of ws.
func (c *client) readLoop() {
	defer close(c.done)
	for {
		_, rd, err := c.ws.NextReader()
		if err == nil {
			err = c.readFrame(rd)
		}
		if err != nil {
			if !c.closing.Load() {
				c.r.disconnected(c, err)
			}
			return
		}
	}
}

// readFrame reads one frame into c.buf and handles it.
func (c *client) readFrame(rd io.Reader) error {
	c.buf = c.buf[:0]
	for {
		if len(c.buf) == cap(c.buf) {
			c.buf = append(c.buf, 0)[:len(c.buf)]
		}
		n, err := rd.Read(c.buf[len(c.buf):cap(c.buf)])
		c.buf = c.buf[:len(c.buf)+n]
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
	}
	now := c.r.now()
	err := c.handle(c.buf, now)
	if cap(c.buf) > maxKeptBuffer {
		c.buf = nil
	}
	return err
}

// typePrefix starts every server frame: the server writes `type` first.
var typePrefix = []byte(`{"type":"`)

// frameType returns the type of a frame that starts with typePrefix, else "".
func frameType(b []byte) []byte {
	rest, ok := bytes.CutPrefix(b, typePrefix)
	if !ok {
		return nil
	}
	i := bytes.IndexByte(rest, '"')
	if i < 0 {
		return nil
	}
	return rest[:i]
}

// handle acts on one frame received at now (nanoseconds since the run's base).
func (c *client) handle(b []byte, now int64) error {
	c.r.frameReceived(now)
	typ := frameType(b)
	if c.r.measured(typ) {
		c.r.received(c, typ, b, now)
		return nil
	}
	switch string(typ) {
	case "$userJoined":
		return c.onUserJoined(b)
	case "$registered":
		return c.onRegistered(b)
	case "$storageReceived":
		return c.onStorageReceived(b)
	case "$othersReceived":
		closeOnce(c.joined)
		return nil
	case "$error":
		c.r.serverError(b)
		return nil
	}
	return nil
}

// closeOnce closes ch unless it is closed; only the read loop closes the client's
// channels, so there is no race between the check and the close.
func closeOnce(ch chan struct{}) {
	select {
	case <-ch:
	default:
		close(ch)
	}
}

// inbound is the part of a server frame the handshake reads.
type inbound struct {
	Data struct {
		SessionID    string  `json:"sessionId"`
		ConnectionID string  `json:"connectionId"`
		State        *string `json:"state"`
	} `json:"data"`
}

// onRegistered answers `$registered` with `$initializeSession` (PROTOCOL.md §3 step 5).
func (c *client) onRegistered(b []byte) error {
	var in inbound
	if err := json.Unmarshal(b, &in); err != nil {
		return fmt.Errorf("decoding $registered: %w", err)
	}
	c.session = in.Data.SessionID
	if in.Data.State != nil {
		c.registeredBytes = decodedLen(*in.Data.State)
	}
	frame := make([]byte, 0, 64+len(c.update))
	frame = append(frame, `{"type":"$initializeSession","data":{"update":"`...)
	frame = append(frame, c.update...)
	frame = append(frame, `"}}`...)
	c.update = ""
	return c.write(frame)
}

// onStorageReceived echoes the state with origin `$initialized`, as the real client
// sends its whole document (which holds exactly that state) after loading it (§6.4).
func (c *client) onStorageReceived(b []byte) error {
	var in inbound
	if err := json.Unmarshal(b, &in); err != nil {
		return fmt.Errorf("decoding $storageReceived: %w", err)
	}
	state := ""
	if in.Data.State != nil {
		state = *in.Data.State
	}
	c.receivedBytes = decodedLen(state)
	closeOnce(c.storaged)
	if !c.echo || state == "" {
		return nil
	}
	frame := make([]byte, 0, 64+len(state))
	frame = append(frame, `{"type":"$updateStorage","data":{"origin":"$initialized","update":`...)
	frame = strconv.AppendQuote(frame, state)
	frame = append(frame, `}}`...)
	return c.write(frame)
}

// onUserJoined sends `$getOthers` on the client's own `$userJoined` (§3 step 8).
func (c *client) onUserJoined(b []byte) error {
	if c.session == "" {
		return nil
	}
	var in inbound
	if err := json.Unmarshal(b, &in); err != nil {
		return fmt.Errorf("decoding $userJoined: %w", err)
	}
	if in.Data.ConnectionID != c.session {
		return nil
	}
	return c.write(getOthersFrame)
}

// intAfter returns the decimal integer that follows key in b.
func intAfter(b, key []byte) (int64, bool) {
	i := bytes.Index(b, key)
	if i < 0 {
		return 0, false
	}
	var v int64
	j := i + len(key)
	start := j
	for ; j < len(b) && '0' <= b[j] && b[j] <= '9'; j++ {
		v = v*10 + int64(b[j]-'0')
	}
	return v, j > start
}

// decodedLen returns the number of bytes padded standard base64 s decodes to.
func decodedLen(s string) int {
	n := len(s) / 4 * 3
	return n - strings.Count(s[max(0, len(s)-2):], "=")
}
