package pluvtest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"time"

	"github.com/gorilla/websocket"
)

// pingText is the exact heartbeat frame of the real client (PROTOCOL.md §1.6).
const pingText = `{"type":"$ping","data":{}}`

// writeWait bounds every write.
const writeWait = 5 * time.Second

// SendRaw writes one text frame as is.
func (c *Client) SendRaw(text string) error {
	return c.write(websocket.TextMessage, []byte(text))
}

// SendBinary writes one binary frame.
func (c *Client) SendBinary(b []byte) error {
	return c.write(websocket.BinaryMessage, b)
}

// Send writes `{"type": typ, "data": data}` like the real client.
func (c *Client) Send(typ string, data any) error {
	return c.sendJSON(map[string]any{"type": typ, "data": data})
}

// sendJSON writes v as compact JSON the way JSON.stringify does: without Go's HTML escaping
// of < > &, so sizes the server measures match the real client's.
func (c *Client) sendJSON(v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("encoding frame: %w", err)
	}

	return c.write(websocket.TextMessage, bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
}

func (c *Client) write(kind int, b []byte) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()

	_ = c.conn.SetWriteDeadline(time.Now().Add(writeWait))
	if err := c.conn.WriteMessage(kind, b); err != nil {
		return fmt.Errorf("writing frame: %w", err)
	}

	return nil
}

// Ping sends the heartbeat frame. As in the real client, a `$pong` must arrive within 2 s
// of the latest `$ping` (any `$pong` counts), or a violation is recorded.
func (c *Client) Ping() error {
	return c.PingText(pingText)
}

// PingText is [Client.Ping] with another spelling of the `$ping` frame.
func (c *Client) PingText(text string) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()

	c.mu.Lock()
	st := &c.st
	if st.pingTimer != nil {
		st.pingTimer.Stop()
	}

	st.pings++
	seq, at := st.pings, time.Now()
	st.pingAt, st.pongSince = at, false
	st.pingTimer = time.AfterFunc(pongTimeout, func() { c.pongMissed(seq, at) })
	c.mu.Unlock()

	_ = c.conn.SetWriteDeadline(time.Now().Add(writeWait))
	if err := c.conn.WriteMessage(websocket.TextMessage, []byte(text)); err != nil {
		return fmt.Errorf("writing ping: %w", err)
	}

	return nil
}

// pongMissed runs 2 s after ping number seq; if that ping is still the latest and no `$pong`
// came, the real client would now close its socket for good.
func (c *Client) pongMissed(seq int, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()

	if c.st.pings == seq && !c.st.pongSince && c.closed == nil {
		c.violateLocked("no $pong within %v of the $ping sent at %s (the client closes "+
			"its socket and never reconnects)", pongTimeout, at.Format("15:04:05.000"))
	}
}

// heartbeat pings at the given period until the client is closed.
func (c *Client) heartbeat(every time.Duration) {
	tk := time.NewTicker(every)
	defer tk.Stop()

	for {
		select {
		case <-c.stop:
			return
		case <-c.done:
			return
		case <-tk.C:
			if c.Ping() != nil {
				return
			}
		}
	}
}

// InitializeSession sends `$initializeSession` by hand (with [StepInitialize] manual).
// A nil presence is left out, as the real client does without initial presence.
func (c *Client) InitializeSession(presence map[string]any, update []byte) error {
	data := map[string]any{"update": base64.StdEncoding.EncodeToString(update)}
	if presence != nil {
		data["presence"] = presence
	}

	c.mu.Lock()
	c.st.initSent++
	c.mu.Unlock()

	return c.Send(TypeInitializeSession, data)
}

// GetOthers sends `$getOthers`; one `$othersReceived` may answer it.
func (c *Client) GetOthers() error {
	c.mu.Lock()
	c.st.getOthersSent++
	c.mu.Unlock()

	return c.Send(TypeGetOthers, map[string]any{})
}

// UpdatePresence sends a presence patch and merges it into the client's own presence.
func (c *Client) UpdatePresence(patch map[string]any) error {
	c.mu.Lock()
	c.users.myPresence = merge(c.users.myPresence, patch)
	c.mu.Unlock()

	return c.Send(TypeUpdatePresence, map[string]any{"presence": maps.Clone(patch)})
}

// UpdateStorage applies a local edit (a Yjs v1 update) to the client's document and sends it
// with origin null, as the real client does for every local transaction.
func (c *Client) UpdateStorage(update []byte) error {
	if _, err := c.doc.apply(update); err != nil {
		return fmt.Errorf("applying local update: %w", err)
	}

	return c.Send(TypeUpdateStorage, map[string]any{
		"origin": nil,
		"update": base64.StdEncoding.EncodeToString(update),
	})
}

// NoteGetOthers records a `$getOthers` the test sends by hand (with [Client.SendRaw]), so
// that its `$othersReceived` is expected. Call it before sending.
func (c *Client) NoteGetOthers() {
	c.mu.Lock()
	c.st.getOthersSent++
	c.mu.Unlock()
}

// NoteInitializeSession is [Client.NoteGetOthers] for a hand-made `$initializeSession`.
func (c *Client) NoteInitializeSession() {
	c.mu.Lock()
	c.st.initSent++
	c.mu.Unlock()
}
