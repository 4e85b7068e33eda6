package pluv

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/caddyserver/caddy/v2"
)

// writeAttempt is one call of a [diskWriter].
type writeAttempt struct {
	path string
	data []byte
	err  error
}

// diskWriter writes room files like the server does, except that it fails with errno
// while one is set, as a full disk (ENOSPC) or a read-only directory (EACCES) would.
// Every attempt is reported on attempts.
type diskWriter struct {
	mu     sync.Mutex
	errno  syscall.Errno // 0: write for real
	during func()        // run once inside the next write, before it lands

	attempts chan writeAttempt
}

func newDiskWriter() *diskWriter {
	return &diskWriter{attempts: make(chan writeAttempt, 1024)}
}

// fail makes the following writes fail with errno (0: succeed again).
func (d *diskWriter) fail(errno syscall.Errno) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.errno = errno
}

// duringNext runs f inside the next write, before it lands.
func (d *diskWriter) duringNext(f func()) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.during = f
}

func (d *diskWriter) write(path string, data []byte) error {
	d.mu.Lock()
	errno, during := d.errno, d.during
	d.during = nil
	d.mu.Unlock()
	if during != nil {
		during()
	}
	var err error
	if errno != 0 {
		err = &fs.PathError{Op: "write", Path: path, Err: errno}
	} else {
		err = writeRoomFile(path, data)
	}
	d.attempts <- writeAttempt{path: path, data: data, err: err}
	return err
}

// next returns the next attempt, failing the test if none comes in time.
func (d *diskWriter) next(t *testing.T) writeAttempt {
	t.Helper()
	select {
	case a := <-d.attempts:
		return a
	case <-time.After(waitTimeout):
		t.Fatal("timed out waiting for a room write")
		return writeAttempt{}
	}
}

// none fails the test if a write was attempted since the last look.
func (d *diskWriter) none(t *testing.T, when string) {
	t.Helper()
	select {
	case a := <-d.attempts:
		t.Fatalf("%s: unexpected write of %s (err %v)", when, a.path, a.err)
	default:
	}
}

// storageServer starts a server on a fresh storage dir with w in front of the disk and
// an observed logger; the flusher waits an hour unless c says otherwise. It is closed
// at the end of the test.
func storageServer(t *testing.T, c Config, w *diskWriter) (*Server, *observer.ObservedLogs) {
	t.Helper()
	core, logs := observer.New(zap.DebugLevel)
	c.Logger = zap.New(core)
	if c.StorageDir == "" {
		c.StorageDir = t.TempDir()
	}
	if c.FlushInterval == 0 {
		c.FlushInterval = caddy.Duration(time.Hour)
	}
	s, err := c.compile()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := newServer(c.StorageDir, s, w.write)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close(context.Background()) })
	return srv, logs
}

// edit applies update to rm as a `$updateStorage` would.
func edit(t *testing.T, rm *Room, update []byte) {
	t.Helper()
	rm.mu.Lock()
	defer rm.mu.Unlock()
	delta, err := rm.store.Apply(update)
	if err != nil {
		t.Fatal(err)
	}
	if delta != nil {
		rm.changedLocked()
	}
}

// roomState is rm's whole state and whether it has changes its file does not hold.
func roomState(rm *Room) ([]byte, bool) {
	rm.mu.Lock()
	defer rm.mu.Unlock()
	return rm.store.Encode(), rm.dirtyLocked()
}

// fileHolds fails the test unless path holds want.
func fileHolds(t *testing.T, path string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("%s holds %x (%v), want %x", filepath.Base(path), got, err, want)
	}
}

func TestFlushIntervalConfig(t *testing.T) {
	s, err := Config{}.compile()
	if err != nil || s.flushInterval != DefaultFlushInterval {
		t.Fatalf("default flush interval %v (%v), want %v", s.flushInterval, err,
			DefaultFlushInterval)
	}
	if _, err := (Config{FlushInterval: -1}).compile(); err == nil {
		t.Fatal("a negative flush interval compiled")
	}
}

func TestRetryDelay(t *testing.T) {
	tests := []struct {
		n        int
		interval time.Duration
		want     time.Duration
	}{
		{1, 2 * time.Second, 2 * time.Second},
		{2, 2 * time.Second, 4 * time.Second},
		{5, 2 * time.Second, 32 * time.Second},
		{6, 2 * time.Second, time.Minute},
		{1000, 2 * time.Second, time.Minute},
		{1, 0, time.Millisecond},
		{3, 10 * time.Minute, time.Minute},
	}
	for _, tt := range tests {
		if got := retryDelay(tt.n, tt.interval); got != tt.want {
			t.Errorf("retryDelay(%d, %v) = %v, want %v", tt.n, tt.interval, got, tt.want)
		}
	}
}

// TestFlushPassWritesChangedRoomsOnly: a pass writes each changed room once and leaves
// unchanged ones (loaded from their file, or already written) alone.
func TestFlushPassWritesChangedRoomsOnly(t *testing.T) {
	w := newDiskWriter()
	dir := t.TempDir()
	loaded := textInsert(2, 0, "on disk")
	if err := os.WriteFile(roomPath(t, dir, "clean"), loaded, 0o600); err != nil {
		t.Fatal(err)
	}
	srv, _ := storageServer(t, Config{StorageDir: dir}, w)
	changed, err := srv.GetRoom("changed")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := srv.GetRoom("clean"); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	srv.flushPass(now)
	w.none(t, "no room changed yet")

	edit(t, changed, textInsert(1, 0, "a"))
	srv.flushPass(now)
	a := w.next(t)
	state, dirty := roomState(changed)
	if a.err != nil || a.path != changed.path || !bytes.Equal(a.data, state) || dirty {
		t.Fatalf("pass wrote %s (%v), dirty %v", a.path, a.err, dirty)
	}
	fileHolds(t, changed.path, state)
	srv.flushPass(now)
	w.none(t, "second pass without changes")

	edit(t, changed, textInsert(1, 1, "b"))
	srv.flushPass(now)
	if a := w.next(t); a.err != nil || a.path != changed.path {
		t.Fatalf("second change: wrote %s (%v)", a.path, a.err)
	}
	state, _ = roomState(changed)
	fileHolds(t, changed.path, state)
	fileHolds(t, roomPath(t, dir, "clean"), loaded)
}

// TestFlushGenerations: a failed write leaves the room changed and is retried after the
// backoff; a change made while a write is under way is written by the next pass.
func TestFlushGenerations(t *testing.T) {
	w := newDiskWriter()
	const interval = 2 * time.Second
	srv, logs := storageServer(t, Config{}, w)
	// The flusher sleeps for an hour; the backoff follows the interval of the current
	// config, as after a reload, so only the passes below write.
	cfg := *srv.settings()
	cfg.flushInterval = interval
	srv.cfg.Store(&cfg)
	rm, err := srv.GetRoom("r")
	if err != nil {
		t.Fatal(err)
	}
	edit(t, rm, textInsert(1, 0, "a"))
	w.fail(syscall.ENOSPC)
	t0 := time.Now()
	steps := []struct {
		after   time.Duration
		attempt bool
	}{
		{0, true},                // fails: next try after 2s
		{interval - 1, false},    // too early
		{interval, true},         // fails again: next try after 4s more
		{3*interval - 1, false},  // too early
		{3 * interval, true},     // fails: next after 8s more
		{7*interval - 1, false},  // too early
		{7 * interval, true},     // fails: next after 16s more
		{15*interval - 1, false}, // too early
		{15*interval + time.Hour/2, true},
	}
	for i, st := range steps {
		srv.flushPass(t0.Add(st.after))
		if !st.attempt {
			w.none(t, "step "+itoa(i))
			continue
		}
		if a := w.next(t); !errors.Is(a.err, syscall.ENOSPC) {
			t.Fatalf("step %d: write error %v, want ENOSPC", i, a.err)
		}
		if _, dirty := roomState(rm); !dirty {
			t.Fatalf("step %d: a failed write cleared the change", i)
		}
	}
	failed := logs.FilterMessage("saving room failed; its state is kept in memory and retried")
	if failed.Len() != 5 || failed.All()[0].ContextMap()["path"] != rm.path {
		t.Fatalf("failure logs: %v", failed.All())
	}

	// The disk has room again. An edit lands while the write is under way: the file gets
	// the state from before it, and the room stays changed until the next pass.
	w.fail(0)
	before, _ := roomState(rm)
	w.duringNext(func() { edit(t, rm, textInsert(1, 1, "b")) })
	now := t0.Add(time.Hour)
	srv.flushPass(now)
	if a := w.next(t); a.err != nil || !bytes.Equal(a.data, before) {
		t.Fatalf("write during an edit: %v, wrote %x, want %x", a.err, a.data, before)
	}
	if _, dirty := roomState(rm); !dirty {
		t.Fatal("an edit made during a write was marked saved")
	}
	if logs.FilterMessage("room saved after failed writes").Len() != 1 {
		t.Fatal("recovery not logged")
	}
	srv.flushPass(now) // the backoff is over: this pass writes at once
	after, dirty := roomState(rm)
	if a := w.next(t); a.err != nil || !bytes.Equal(a.data, after) || dirty {
		t.Fatalf("next pass: %v, dirty %v", a.err, dirty)
	}
	fileHolds(t, rm.path, after)
}

// TestFlusherWritesWithinInterval: the flusher goroutine writes a room edited over a
// socket while the room stays open, within about one flush interval.
func TestFlusherWritesWithinInterval(t *testing.T) {
	w := newDiskWriter()
	const interval = 50 * time.Millisecond
	srv, _ := storageServer(t, Config{FlushInterval: caddy.Duration(interval)}, w)
	_, base := startServerFor(t, srv)
	a := dial(t, base, "r", "")
	a.join(nil, nil)
	seed := textInsert(1, 0, "typed")
	a.send(msgUpdateStorage, map[string]any{"update": b64std(seed)})
	marker(t, a) // the edit has been applied
	start := time.Now()
	got := w.next(t)
	elapsed := time.Since(start)
	if got.err != nil || !bytes.Equal(got.data, seed) {
		t.Fatalf("flusher wrote %x (%v), want %x", got.data, got.err, seed)
	}
	// One interval at most, plus room for a loaded machine.
	if elapsed > interval+time.Second {
		t.Fatalf("written %v after the edit, flush interval %v", elapsed, interval)
	}
	t.Logf("written %v after the edit (flush interval %v)", elapsed, interval)
	fileHolds(t, roomPath(t, srv.dir, "r"), seed)
}

// TestTeardownWaitsForFlush: a teardown that starts while the flusher is writing an older
// state waits for that write and then writes its own, so the newest state is the one
// left on disk.
func TestTeardownWaitsForFlush(t *testing.T) {
	w := newDiskWriter()
	srv, _ := storageServer(t, Config{}, w)
	rm, err := srv.GetRoom("r")
	if err != nil {
		t.Fatal(err)
	}
	edit(t, rm, textInsert(1, 0, "old"))
	entered, release := make(chan struct{}), make(chan struct{})
	w.duringNext(func() {
		close(entered)
		<-release
	})
	passDone := make(chan struct{})
	go func() {
		defer close(passDone)
		srv.flushPass(time.Now())
	}()
	<-entered // the flusher holds the older state and the room's write lock
	edit(t, rm, textInsert(1, 3, "new"))
	newest, _ := roomState(rm)
	torn := make(chan struct{})
	go func() {
		defer close(torn)
		srv.teardown(rm)
	}()
	eventually(t, "teardown under way", func() bool {
		srv.roomsMu.Lock()
		defer srv.roomsMu.Unlock()
		return srv.saving["r"] != nil
	})
	close(release)
	<-passDone
	<-torn
	fileHolds(t, rm.path, newest)
}
