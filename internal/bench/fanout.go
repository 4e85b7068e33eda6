package bench

import (
	"context"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync/atomic"
	"time"
)

// runFanout runs fanout-event, fanout-presence and storage: senders send at the rate,
// every receiver measures what reaches it.
func (r *run) runFanout(ctx context.Context, res *Result) error {
	r.newClients()
	senders := r.senders()
	if err := r.setupFanout(ctx, senders); err != nil {
		return setupFailed(err)
	}
	go r.pinger(ctx)

	// Senders start at once; the warm-up is load that is not measured.
	start := time.Now()
	stop := make(chan struct{})
	done := make(chan struct{}, len(senders))
	for _, c := range senders {
		go func() {
			defer func() { done <- struct{}{} }()
			r.sendLoop(ctx, c, stop)
		}()
	}
	sleepCtx(ctx, time.Until(start.Add(r.cfg.Warmup)))
	cpu0 := r.readCPU()
	r.winStart.Store(r.now())
	sleepCtx(ctx, time.Until(start.Add(r.cfg.Warmup+r.cfg.Duration)))
	r.winEnd.Store(r.now())
	cpu1 := r.readCPU()
	close(stop)
	for range senders {
		<-done
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("run cut short: %w", err)
	}
	window := time.Duration(r.winEnd.Load() - r.winStart.Load())

	// Drain: wait for what was sent in the window, or give up and count it missing.
	deadline := time.Now().Add(drainTimeout)
	for r.missing() > 0 && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}

	r.fanoutFigures(res, senders, window)
	cpuFigures(res, cpu0, cpu1, r.frames.Load())
	if r.cfg.Scenario == ScenarioStorage {
		if res.Sent > 0 && cpu0.serverOK && cpu1.serverOK {
			res.Storage.CPUPerEditUs = round(float64(cpu1.server-cpu0.server)/1e3/
				float64(res.Sent), 1)
		}
		if err := r.lateJoin(ctx, res.Storage); err != nil {
			return err
		}
	}
	return nil
}

// senders returns the clients that send: the first -senders of each room (every client
// of the room in fanout-presence with -senders 0).
func (r *run) senders() []*client {
	per := r.cfg.Senders
	if per == 0 {
		per = r.cfg.Clients
	}
	var out []*client
	for _, c := range r.clients {
		if c.idx%r.cfg.Clients < per {
			out = append(out, c)
		}
	}
	if r.cfg.Scenario == ScenarioStorage {
		r.editorOf = make([]int, len(r.clients))
		for i := range r.editorOf {
			r.editorOf[i] = -1
		}
		capacity := int(r.cfg.Rate*(r.cfg.Warmup+r.cfg.Duration).Seconds()*1.1) + 16
		r.editTimes = make([][]atomic.Int64, len(out))
		for k, c := range out {
			r.editorOf[c.idx] = k
			r.editTimes[k] = make([]atomic.Int64, capacity)
		}
	}
	return out
}

// setupFanout connects every client. In storage, the first client of each room carries
// the pre-filled document in its `$initializeSession` and joins before the others.
func (r *run) setupFanout(ctx context.Context, senders []*client) error {
	if r.cfg.Scenario != ScenarioStorage {
		return r.connect(ctx, r.clients)
	}
	var firsts []*client
	for _, c := range r.clients {
		c.echo = true
		if c.idx%r.cfg.Clients == 0 {
			firsts = append(firsts, c)
			if r.cfg.DocSize > 0 {
				c.update = base64.StdEncoding.EncodeToString(fillDocument(r.cfg.DocSize))
			}
		}
	}
	if err := r.connect(ctx, firsts); err != nil {
		return err
	}
	var rest []*client
	for _, c := range r.clients {
		if c.idx%r.cfg.Clients != 0 {
			rest = append(rest, c)
		}
	}
	return r.connect(ctx, rest)
}

// sendLoop sends c's messages at the rate until stop closes: open loop, so a late send
// is made at once and the schedule kept; a random phase spreads the senders.
func (r *run) sendLoop(ctx context.Context, c *client, stop chan struct{}) {
	interval := time.Duration(float64(time.Second) / r.cfg.Rate)
	next := time.Now().Add(time.Duration(rand.Int64N(int64(interval) + 1)))
	timer := time.NewTimer(0)
	defer timer.Stop()
	<-timer.C
	ed := newEditor(r, c)
	for n := 0; ; n++ {
		if d := time.Until(next); d > 0 {
			timer.Reset(d)
			select {
			case <-timer.C:
			case <-stop:
				return
			case <-ctx.Done():
				return
			}
		}
		select {
		case <-stop:
			return
		default:
		}
		t := r.now()
		var frame []byte
		if ed != nil {
			if frame = ed.keystroke(t); frame == nil {
				return // the edit log is full: the run is longer than it was sized for
			}
		} else {
			frame = r.message(c, n, t)
		}
		if err := c.write(frame); err != nil {
			return // the read loop records the disconnect
		}
		if r.inWindow(t) {
			c.sentInWindow.Add(1)
		}
		next = next.Add(interval)
	}
}

// message builds fanout message n of c, sent at t: a data object of exactly -payload
// bytes, {"t":T,"s":S,"n":N,"p":"xxx…"}, in an event or a presence update.
func (r *run) message(c *client, n int, t int64) []byte {
	var head, tail string
	if r.cfg.Scenario == ScenarioPresence {
		head, tail = `{"type":"$updatePresence","data":{"presence":`, `}}`
	} else {
		head, tail = `{"type":"`+r.cfg.EventName+`","data":`, `}`
	}
	b := make([]byte, 0, len(head)+r.cfg.Payload+len(tail))
	b = append(b, head...)
	start := len(b)
	b = append(b, `{"t":`...)
	b = strconv.AppendInt(b, t, 10)
	b = append(b, `,"s":`...)
	b = strconv.AppendInt(b, int64(c.idx), 10)
	b = append(b, `,"n":`...)
	b = strconv.AppendInt(b, int64(n), 10)
	b = append(b, `,"p":"`...)
	for len(b)-start < r.cfg.Payload-2 {
		b = append(b, 'x')
	}
	b = append(b, `"}`...)
	return append(b, tail...)
}

// tKey and sKey are the keys of the send time and the sender in a measured message.
var tKey, sKey = []byte(`"t":`), []byte(`"s":`)

// received accounts for one measured frame that reached c at now.
func (r *run) received(c *client, _ []byte, b []byte, now int64) {
	var t int64
	var ok bool
	if r.cfg.Scenario == ScenarioStorage {
		var n int
		t, n, ok = r.editSent(b)
		if ok && r.inWindow(t) {
			r.relayedBytes.Add(int64(n))
			r.relayedN.Add(1)
		}
	} else {
		t, ok = intAfter(b, tKey)
	}
	if !ok {
		return
	}
	if r.inWindow(now) {
		r.delivered.Add(1)
	}
	if r.inWindow(t) {
		c.gotInWindow.Add(1)
		r.lat.Record(c.idx, time.Duration(now-t))
	}
}

// expected returns how many measured messages sent in the window c should get: every
// sender of its room, itself included on pluv (a broadcast includes the sender), except
// storage deltas, which the server sends to the peers only.
func (r *run) expected(c *client, sentInRoom []int64) int64 {
	n := sentInRoom[c.room]
	if r.cfg.Target == TargetFloor || r.cfg.Scenario == ScenarioStorage {
		n -= c.sentInWindow.Load()
	}
	return n
}

// sentByRoom sums the measured messages each room's senders sent in the window.
func (r *run) sentByRoom() []int64 {
	s := make([]int64, r.cfg.Rooms)
	for _, c := range r.clients {
		s[c.room] += c.sentInWindow.Load()
	}
	return s
}

// missing counts the measured messages sent in the window that have not arrived.
func (r *run) missing() int64 {
	byRoom := r.sentByRoom()
	var m int64
	for _, c := range r.clients {
		if d := r.expected(c, byRoom) - c.gotInWindow.Load(); d > 0 {
			m += d
		}
	}
	return m
}

// fanoutFigures fills res with the message counts, rates and latency.
func (r *run) fanoutFigures(res *Result, senders []*client, window time.Duration) {
	byRoom := r.sentByRoom()
	var sent, expected int64
	for _, n := range byRoom {
		sent += n
	}
	for _, c := range r.clients {
		expected += r.expected(c, byRoom)
	}
	secs := window.Seconds()
	res.WindowS = round(secs, 3)
	res.Sent = sent
	res.SentPerS = round(float64(sent)/secs, 1)
	res.OfferedPerS = round(float64(expected)/secs, 1)
	res.Delivered = r.delivered.Load()
	res.DeliveredPerS = round(float64(res.Delivered)/secs, 1)
	res.Expected = expected
	res.Missing = r.missing()
	res.FramesInWindow = r.frames.Load()
	lat := r.lat.merged().Summary()
	res.Latency = &lat
	if r.cfg.Scenario == ScenarioStorage {
		res.Storage = &StorageFigures{DocBytes: r.cfg.DocSize}
		if len(senders) > 0 {
			res.Storage.UpdateBytes = len(newEditor(r, senders[0]).update(1))
		}
		if n := r.relayedN.Load(); n > 0 {
			res.Storage.RelayedBytesPerEditPerPeer = round(
				float64(r.relayedBytes.Load())/float64(n), 1)
		}
	}
}
