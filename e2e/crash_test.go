package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caddy-pluv/caddy-pluv/internal/pluvtest"
	"github.com/caddy-pluv/caddy-pluv/yjs"
)

// The crash test's timing. Every edit sent longer than crashFlush+crashMargin before the
// kill must be on disk. The flusher snapshots each changed room every crashFlush and then
// writes it, so an edit is on disk at most crashFlush plus one write (encode, write, two
// fsyncs) after the server read it; crashMargin covers that write and the time the server
// takes to read an edit off its socket, on a loaded machine with the race detector.
const (
	crashFlush    = 500 * time.Millisecond
	crashMargin   = time.Second
	crashEditing  = 4 * time.Second // how long the writers edit before the kill
	crashWriters  = 4
	crashAckEvery = 16 // a writer waits for its own relayed event after this many edits
)

// crashWriter is one client typing into the shared text, one letter per edit, its edit k
// at Yjs clock k of its own client id.
type crashWriter struct {
	c      *pluvtest.Client
	client uint64
	ack    string      // the relayed event it paces itself with
	sent   []time.Time // send time of each edit
	err    error       // why it stopped, if not told to
}

// run types until stop closes or the socket fails.
func (w *crashWriter) run(stop <-chan struct{}) {
	for k := 0; ; k++ {
		select {
		case <-stop:
			return
		default:
		}

		u := textAppend(w.client, uint64(k), "b")
		if k == 0 {
			u = textInsert(w.client, 0, "text", "a")
		}

		at := time.Now()
		if w.err = w.c.UpdateStorage(u); w.err != nil {
			return
		}

		w.sent = append(w.sent, at)
		if (k+1)%crashAckEvery != 0 {
			continue
		}

		if w.err = w.c.Send(w.ack, map[string]any{"k": k}); w.err != nil {
			return
		}

		if _, w.err = w.c.AwaitE(w.ack); w.err != nil {
			return
		}
	}
}

// TestCrashKill9 kills Caddy with SIGKILL in the middle of heavy editing and starts it
// again on the same storage_dir: every edit sent more than flush_interval plus a margin
// before the kill is there, the room file decodes, and temp files are never taken for
// room files (they are removed at start). A second Caddy on the directory is refused
// while the first runs.
func TestCrashKill9(t *testing.T) {
	bin := buildCaddy(t)
	began := time.Now()
	dir := t.TempDir()
	// The writers type far faster than people (hundreds of edits a second): lift the
	// per-session rate limit, which would otherwise close them before the kill, and give
	// each a send queue deep enough for the others' edits it reads only between its own
	// bursts (on a loaded machine the default 256 filled and the server closed it, 1013).
	site := pluvSite(t, dir, authBlock, "flush_interval "+crashFlush.String(),
		"rate_limit off", "send_queue 8192")
	first := startCaddyProc(t, bin, site)
	secondRefused(t, bin, site, dir)

	r := &room{t: t, s: &caddyServer{WS: first.WS}, id: "crash"}
	writers := make([]*crashWriter, crashWriters)
	for i := range writers {
		name := fmt.Sprintf("w%d", i)
		c, err := pluvtest.Dial(context.Background(), r.url(r.id), pluvtest.Options{
			Name: name, Token: userToken(t, r.id, name, ""), Timeout: 10 * time.Second,
		})
		if err != nil {
			t.Fatal(err)
		}

		defer c.Close()
		if _, err := c.AwaitE(pluvtest.TypeOthersReceived); err != nil {
			t.Fatal(err)
		}

		writers[i] = &crashWriter{c: c, client: uint64(1000 + i), ack: "ack" + name}
	}

	stop := make(chan struct{})
	var wg sync.WaitGroup
	for _, w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.run(stop)
		}()
	}

	// The writers edit for crashEditing; this timer only decides when to pull the plug.
	<-time.After(crashEditing)
	killedAt := time.Now()
	first.kill()
	close(stop)
	wg.Wait()
	checkCrashedProcess(t, first, writers)

	leftovers, _ := filepath.Glob(filepath.Join(dir, ".tmp-*"))
	file := filepath.Join(dir, "crash.yjs")
	sv := decodeRoomFile(t, file)
	cutoff := killedAt.Add(-crashFlush - crashMargin)
	var sent, lost, required int
	var window time.Duration
	for _, w := range writers {
		have := int(sv[w.client])
		need := countBefore(w.sent, cutoff)
		sent, required, lost = sent+len(w.sent), required+need, lost+len(w.sent)-have
		if have < need {
			t.Errorf("%s: %d edits on disk, but %d were sent before %v (kill - %v)",
				w.c.Name(), have, need, cutoff.Format("15:04:05.000"), crashFlush+crashMargin)
		}

		if have < len(w.sent) {
			window = max(window, killedAt.Sub(w.sent[have]))
		}
	}

	t.Logf("%d edits sent by %d writers in %v, %d of them before the cutoff; %d lost, "+
		"the oldest sent %v before the kill (flush_interval %v, margin %v); "+
		"temp files after the kill: %v",
		sent, crashWriters, crashEditing, required, lost, window.Round(time.Millisecond),
		crashFlush, crashMargin, leftovers)

	if required < 500 {
		t.Fatalf("only %d edits were due before the cutoff: the test proves too little", required)
	}

	restarted(t, bin, site, dir, file)
	t.Logf("test took %v after the build", time.Since(began).Round(time.Millisecond))
}

// secondRefused starts a second Caddy on the same storage_dir and expects it to exit
// with an error naming the directory.
func secondRefused(t *testing.T, bin, site, dir string) {
	t.Helper()

	second := runCaddyProc(t, bin, site)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	out, err := second.wait(ctx)
	if log, rerr := os.ReadFile(second.LogFile); rerr == nil {
		out += string(log) // the error goes to the configured log, or to stderr before it
	}

	if err == nil || !strings.Contains(out, "storage_dir is in use by another server") ||
		!strings.Contains(out, dir) {
		t.Fatalf("second caddy on %s: %v, output:\n%s", dir, err, out)
	}
}

// checkCrashedProcess fails on data races the killed process reported and on protocol
// violations the writers saw before the kill.
func checkCrashedProcess(t *testing.T, p *caddyProc, writers []*crashWriter) {
	t.Helper()

	if out := p.out.String(); strings.Contains(out, "DATA RACE") {
		t.Errorf("caddy reported a data race:\n%s", out)
	}

	for _, w := range writers {
		for _, v := range w.c.Violations() {
			t.Errorf("%s: %s", w.c.Name(), v)
		}
		// A writer closed by the server before the kill stops sending; its edits since
		// were never acknowledged, so the test would prove nothing about them.
		if info := w.c.Closed(); info != nil && w.err != nil && info.Code != 1006 {
			t.Errorf("%s was closed by the server before the kill: %+v (%v)", w.c.Name(),
				*info, w.err)
		}
	}
}

// decodeRoomFile decodes a room file and returns its state vector.
func decodeRoomFile(t *testing.T, path string) yjs.StateVector {
	t.Helper()

	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("room file after the kill: %v", err)
	}

	st := yjs.NewStore(yjs.Options{})
	if _, err := st.Apply(data); err != nil {
		t.Fatalf("room file (%d bytes) does not decode: %v", len(data), err)
	}

	sv, err := yjs.DecodeStateVector(st.StateVector())
	if err != nil {
		t.Fatal(err)
	}

	return sv
}

// countBefore counts the times before cutoff (they are in order).
func countBefore(times []time.Time, cutoff time.Time) int {
	n := 0
	for n < len(times) && times[n].Before(cutoff) {
		n++
	}

	return n
}

// restarted starts Caddy again on dir, with a torn temp file added, and checks that it
// removed the temp files and that a joiner gets exactly the room file's state, without an
// error.
func restarted(t *testing.T, bin, site, dir, file string) {
	t.Helper()

	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}

	// What a write cut short by a crash leaves: a temp file holding part of a state.
	torn := filepath.Join(dir, ".tmp-crash.yjs-123456789")
	if err := os.WriteFile(torn, want[:len(want)/2], 0o600); err != nil {
		t.Fatal(err)
	}

	p := startCaddyProc(t, bin, site)
	if left, _ := filepath.Glob(filepath.Join(dir, ".tmp-*")); len(left) > 0 {
		t.Errorf("temp files after the restart: %v", left)
	}

	r := &room{t: t, s: &caddyServer{WS: p.WS}, id: "crash"}
	reader := r.user("reader", "reader", nil)
	got := unb64(storageState(t, reader))
	if err := pluvtest.SameDoc(got, want); err != nil {
		t.Fatalf("state after the restart is not the file's: %v", err)
	}

	reader.Barrier(barrierEvent)
	mustEqual(t, "reader's $error frames", reader.Count(pluvtest.TypeError), 0)
	if lines := p.logLines(`"level":"error"`); len(lines) > 0 {
		t.Errorf("errors logged after the restart:\n%s", strings.Join(lines, "\n"))
	}
}
