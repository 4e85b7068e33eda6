package bench

import (
	"context"
	"fmt"
	"net/url"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"
)

// urlEscape escapes a value for a query.
func urlEscape(s string) string { return url.QueryEscape(s) }

// runConnect joins -rooms × -clients sessions, -concurrency at a time, into rooms that
// fill up one after another, and measures each join: token, dial, `$storageReceived`
// (the floor: until the upgrade). Joined sockets stay open until the end.
func (r *run) runConnect(ctx context.Context, res *Result) error {
	r.newClients()
	go r.pinger(ctx)
	cctx, cancel := context.WithTimeout(ctx, r.cfg.Duration)
	defer cancel()

	cpu0 := r.readCPU()
	r.winStart.Store(r.now())
	var joined atomic.Int64
	next := atomic.Int64{}
	g, gctx := errgroup.WithContext(cctx)
	for range r.cfg.Concurrency {
		g.Go(func() error {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(r.clients) || gctx.Err() != nil {
					return nil
				}
				if err := r.joinOne(gctx, r.clients[i]); err != nil {
					if gctx.Err() != nil {
						return nil // the duration ended mid-join
					}
					return err
				}
				joined.Add(1)
			}
		})
	}
	err := g.Wait()
	r.winEnd.Store(r.now())
	cpu1 := r.readCPU()
	if err != nil {
		return err
	}
	window := time.Duration(r.winEnd.Load() - r.winStart.Load())
	n := joined.Load()
	res.WindowS = round(window.Seconds(), 3)
	res.FramesInWindow = r.frames.Load()
	cpuFigures(res, cpu0, cpu1, res.FramesInWindow)
	cf := &ConnectFigures{
		Joins:     n,
		Attempted: int64(len(r.clients)),
		JoinsPerS: round(float64(n)/window.Seconds(), 1),
	}
	j, jt := r.join.merged().Summary(), r.joinToken.merged().Summary()
	cf.Join, cf.JoinWithToken = &j, &jt
	if n > 0 && cpu0.serverOK && cpu1.serverOK {
		cf.CPUPerJoinUs = round(float64(cpu1.server-cpu0.server)/1e3/float64(n), 1)
	}
	res.Connect = cf
	return nil
}

// joinOne fetches c's token, dials and waits for `$storageReceived`, recording the join
// time from the dial and from the token request.
func (r *run) joinOne(ctx context.Context, c *client) error {
	t0 := time.Now()
	tok, err := r.tokenFor(ctx, c)
	if err != nil {
		return err
	}
	t1 := time.Now()
	jctx, cancel := context.WithTimeout(ctx, joinTimeout)
	defer cancel()
	if err := r.dialClient(jctx, c, tok); err != nil {
		return err
	}
	if err := c.await(jctx, c.storaged, "$storageReceived"); err != nil {
		return err
	}
	t2 := time.Now()
	r.join.Record(c.idx, t2.Sub(t1))
	r.joinToken.Record(c.idx, t2.Sub(t0))
	return nil
}

// runIdle holds -rooms × -clients sessions for -duration and reports the server's RSS
// growth per connection: VmRSS before the first dial and at the end of the hold.
func (r *run) runIdle(ctx context.Context, res *Result) error {
	if r.cfg.PID == 0 {
		return fmt.Errorf("idle: -pid is required, for the server's RSS")
	}
	rss0, err := processRSS(r.cfg.PID)
	if err != nil {
		return err
	}
	r.newClients()
	go r.pinger(ctx)
	if err := r.connect(ctx, r.clients); err != nil {
		return setupFailed(err)
	}
	rssJoined, err := processRSS(r.cfg.PID)
	if err != nil {
		return err
	}
	cpu0 := r.readCPU()
	r.winStart.Store(r.now())
	sleepCtx(ctx, r.cfg.Duration)
	r.winEnd.Store(r.now())
	cpu1 := r.readCPU()
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("run cut short: %w", err)
	}
	rss1, err := processRSS(r.cfg.PID)
	if err != nil {
		return err
	}
	window := time.Duration(r.winEnd.Load() - r.winStart.Load())
	res.WindowS = round(window.Seconds(), 3)
	res.FramesInWindow = r.frames.Load()
	cpuFigures(res, cpu0, cpu1, res.FramesInWindow)
	n := int64(len(r.clients))
	res.Idle = &IdleFigures{
		Connections:     n,
		RSSBeforeKB:     rss0 >> 10,
		RSSJoinedKB:     rssJoined >> 10,
		RSSAfterKB:      rss1 >> 10,
		RSSPerConnBytes: (rss1 - rss0) / n,
	}
	return nil
}
