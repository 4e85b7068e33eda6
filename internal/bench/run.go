// Package bench is the load generator behind cmd/pluvbench: lean clients of the pluv
// protocol (or of the bare floor server), the scenarios of issue 4, and their figures.
package bench

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	pluv "github.com/caddy-pluv/caddy-pluv"
)

// Timing of the phases around the measured window.
const (
	pingEvery     = 10 * time.Second // the real client's heartbeat
	drainTimeout  = 3 * time.Second  // wait for messages in flight after the window
	joinTimeout   = 10 * time.Second // one join, dial to `$storageReceived`
	setupBase     = 30 * time.Second // setup time allowed, plus setupPerConn per socket
	setupPerConn  = 2 * time.Millisecond
	tokenTimeout  = 10 * time.Second
	notStarted    = math.MaxInt64 // window bounds before they are set
	editorBase    = 1000          // Yjs client id of the first editor
	fillClient    = 1             // Yjs client id of the document's pre-fill
	fillChunk     = 100           // characters per pre-fill item
	maxLateJoinMs = 60e3
)

// run is the state of one pluvbench run, shared by its clients.
type run struct {
	cfg   Config
	base  time.Time // nanosecond timestamps count from here (monotonic)
	id    string    // makes room ids unique per run
	token func(ctx context.Context, room int, user string) (string, error)

	winStart, winEnd atomic.Int64 // the measured window, ns since base
	measuredType     []byte       // the frame type whose deliveries are measured

	lat, join, joinToken shardedHistogram

	frames       atomic.Int64 // every frame received in the window
	delivered    atomic.Int64 // measured frames received in the window
	relayedBytes atomic.Int64 // storage: decoded delta bytes of edits made in the window
	relayedN     atomic.Int64 // storage: how many such deltas
	disconnects  atomic.Int64
	serverErrs   atomic.Int64
	firstDisc    atomic.Pointer[string]
	firstErr     atomic.Pointer[string]

	clients   []*client
	editTimes [][]atomic.Int64 // storage: send time by editor index, by clock
	editorOf  []int            // storage: client index → editor index, -1 if none
}

// Run performs one benchmark run and returns its result. ctx bounds it; the run also
// bounds itself (setup, warm-up, duration, drain).
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	n := cfg.Rooms * cfg.Clients
	if lim := raiseFileLimit(); lim != 0 && uint64(n)+64 > lim {
		return nil, fmt.Errorf("%d connections need more open files than the limit %d",
			n, lim)
	}
	if cfg.PID != 0 {
		if _, err := processCPU(cfg.PID); err != nil {
			return nil, fmt.Errorf("-pid %d: %w", cfg.PID, err)
		}
	}
	r := &run{cfg: cfg, base: time.Now()}
	r.winStart.Store(notStarted)
	r.winEnd.Store(notStarted)
	var idb [3]byte
	_, _ = rand.Read(idb[:])
	r.id = hex.EncodeToString(idb[:])
	r.token = r.tokenSource()
	switch cfg.Scenario {
	case ScenarioEvent:
		r.measuredType = []byte(cfg.EventOutput)
		if cfg.Target == TargetFloor {
			r.measuredType = []byte(cfg.EventName)
		}
	case ScenarioPresence:
		r.measuredType = []byte("$presenceUpdated")
	case ScenarioStorage:
		r.measuredType = []byte("$storageUpdated")
	}

	total := cfg.Warmup + cfg.Duration + drainTimeout + setupBase +
		time.Duration(n)*setupPerConn
	if cfg.Scenario == ScenarioStorage {
		total += time.Duration(cfg.DocSize/1e6*cfg.Rooms) * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, total)
	defer cancel()
	defer r.closeAll()

	res := &Result{Config: r.summaryConfig()}
	var err error
	switch cfg.Scenario {
	case ScenarioConnect:
		err = r.runConnect(ctx, res)
	case ScenarioIdle:
		err = r.runIdle(ctx, res)
	default:
		err = r.runFanout(ctx, res)
	}
	if err != nil {
		return nil, err
	}
	res.Disconnects = r.disconnects.Load()
	res.ServerErrors = r.serverErrs.Load()
	if p := r.firstDisc.Load(); p != nil {
		res.FirstDisconnect = *p
	}
	if p := r.firstErr.Load(); p != nil {
		res.FirstServerError = *p
	}
	return res, nil
}

// now returns the time since the run's base, in nanoseconds.
func (r *run) now() int64 { return int64(time.Since(r.base)) }

// inWindow reports whether t (ns since base) lies in the measured window.
func (r *run) inWindow(t int64) bool {
	return t >= r.winStart.Load() && t < r.winEnd.Load()
}

// roomID names room k of this run.
func (r *run) roomID(k int) string { return fmt.Sprintf("bench-%s-%d", r.id, k) }

// userID names client i of this run.
func userID(i int) string { return fmt.Sprintf("u%d", i) }

// tokenSource returns how this run gets a client's token: fetched, minted, or none.
func (r *run) tokenSource() func(context.Context, int, string) (string, error) {
	switch {
	case r.cfg.Target == TargetFloor:
		return nil
	case r.cfg.TokenURL != "":
		hc := &http.Client{
			Timeout: tokenTimeout,
			Transport: &http.Transport{
				DialContext:         dialLoopback,
				MaxIdleConnsPerHost: r.cfg.Concurrency,
			},
		}
		return func(ctx context.Context, room int, user string) (string, error) {
			return fetchToken(ctx, hc, r.cfg.TokenURL, r.roomID(room), user)
		}
	case r.cfg.Secret != "":
		return func(_ context.Context, room int, user string) (string, error) {
			return pluv.CreateToken(r.cfg.Secret, pluv.TokenOptions{
				Room: r.roomID(room), User: map[string]string{"id": user},
			})
		}
	}
	return nil
}

// fetchToken gets a token from a pluv_token-style URL: status 200, the body is the token.
func fetchToken(ctx context.Context, hc *http.Client, tmpl, room, user string) (string, error) {
	u := strings.NewReplacer("{room}", urlEscape(room), "{user}", urlEscape(user)).
		Replace(tmpl)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", fmt.Errorf("fetching token: %w", err)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return "", fmt.Errorf("fetching token: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return "", fmt.Errorf("fetching token: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("fetching token: status %d: %s", resp.StatusCode,
			bytes.TrimSpace(body))
	}
	return string(bytes.TrimSpace(body)), nil
}

// tokenFor returns client c's token, "" when the run uses none.
func (r *run) tokenFor(ctx context.Context, c *client) (string, error) {
	if r.token == nil {
		return "", nil
	}
	return r.token(ctx, c.room, userID(c.idx))
}

// newClients makes the clients of every room, in room order.
func (r *run) newClients() {
	r.clients = make([]*client, r.cfg.Rooms*r.cfg.Clients)
	for i := range r.clients {
		r.clients[i] = &client{idx: i, room: i / r.cfg.Clients, r: r}
	}
}

// connect dials the given clients, at most -concurrency at once, and waits for each to
// finish its handshake (`$othersReceived`).
func (r *run) connect(ctx context.Context, cs []*client) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(r.cfg.Concurrency)
	for _, c := range cs {
		g.Go(func() error {
			tok, err := r.tokenFor(ctx, c)
			if err != nil {
				return err
			}
			if err := r.dialClient(ctx, c, tok); err != nil {
				return err
			}
			return c.await(ctx, c.joined, "$othersReceived")
		})
	}
	return g.Wait()
}

// await waits for ch, the end of c's socket, or ctx.
func (c *client) await(ctx context.Context, ch chan struct{}, what string) error {
	select {
	case <-ch:
		return nil
	case <-c.done:
		select {
		case <-ch:
			return nil
		default:
		}
		return fmt.Errorf("client %d (room %d): socket ended before %s", c.idx, c.room, what)
	case <-ctx.Done():
		return fmt.Errorf("client %d (room %d): waiting for %s: %w", c.idx, c.room, what,
			ctx.Err())
	}
}

// closeAll closes every client's socket and waits for their read loops.
func (r *run) closeAll() {
	for _, c := range r.clients {
		c.close()
	}
	for _, c := range r.clients {
		if c.up.Load() {
			select {
			case <-c.done:
			case <-time.After(2 * time.Second):
			}
		}
	}
}

// pinger sends `$ping` to every client each ten seconds, as the real client does,
// spreading the writes over the period; it returns when ctx is done.
func (r *run) pinger(ctx context.Context) {
	if r.cfg.Target != TargetPluv {
		return
	}
	for {
		start := time.Now()
		for i, c := range r.clients {
			if ctx.Err() != nil {
				return
			}
			if c.up.Load() && !c.closing.Load() {
				_ = c.write(pingFrame)
			}
			if len(r.clients) > 100 && i%100 == 99 {
				wait := pingEvery * time.Duration(i+1) / time.Duration(len(r.clients))
				sleepCtx(ctx, time.Until(start.Add(wait)))
			}
		}
		sleepCtx(ctx, time.Until(start.Add(pingEvery)))
		if ctx.Err() != nil {
			return
		}
	}
}

// sleepCtx sleeps for d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// frameReceived counts a frame received at now.
func (r *run) frameReceived(now int64) {
	if r.inWindow(now) {
		r.frames.Add(1)
	}
}

// measured reports whether frames of this type carry a measured message.
func (r *run) measured(typ []byte) bool {
	return r.measuredType != nil && bytes.Equal(typ, r.measuredType)
}

// disconnected records a socket the server (or the network) ended during the run.
func (r *run) disconnected(c *client, err error) {
	r.disconnects.Add(1)
	msg := fmt.Sprintf("client %d (room %d): %v", c.idx, c.room, err)
	r.firstDisc.CompareAndSwap(nil, &msg)
}

// serverError records an `$error` frame.
func (r *run) serverError(b []byte) {
	r.serverErrs.Add(1)
	msg := string(b[:min(len(b), 300)])
	r.firstErr.CompareAndSwap(nil, &msg)
}

// cpuClock reads the server's and the generator's CPU time.
type cpuClock struct {
	pid              int
	server, self     time.Duration
	serverOK, selfOK bool
}

func (r *run) readCPU() cpuClock {
	cc := cpuClock{pid: r.cfg.PID}
	if cc.pid != 0 {
		v, err := processCPU(cc.pid)
		cc.server, cc.serverOK = v, err == nil
	}
	v, err := processCPU(os.Getpid())
	cc.self, cc.selfOK = v, err == nil
	return cc
}

// cpuFigures fills the CPU figures of res from two readings and a frame count.
func cpuFigures(res *Result, a, b cpuClock, frames int64) {
	if a.selfOK && b.selfOK {
		res.GeneratorCPUMs = round(float64(b.self-a.self)/1e6, 1)
	}
	if !a.serverOK || !b.serverOK {
		return
	}
	us := float64(b.server-a.server) / 1e3
	res.ServerCPUMs = round(us/1e3, 1)
	if frames > 0 {
		res.CPUPerFrameUs = round(us/float64(frames), 3)
	}
}

// errSetup wraps failures before the measurement starts.
var errSetup = errors.New("setting up")

// setupFailed wraps err as a setup failure.
func setupFailed(err error) error { return fmt.Errorf("%w: %w", errSetup, err) }
