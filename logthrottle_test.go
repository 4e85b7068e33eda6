package pluv

import (
	"testing"
	"time"

	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

func TestLogThrottle(t *testing.T) {
	var l logThrottle
	t0 := time.Unix(1000, 0)
	steps := []struct {
		at         time.Duration
		ok         bool
		suppressed int
	}{
		{0, true, 0},
		{time.Second, false, 0},
		{9 * time.Second, false, 0},
		{10 * time.Second, true, 2},
		{11 * time.Second, false, 0},
		{30 * time.Second, true, 1},
		{41 * time.Second, true, 0},
	}
	for i, st := range steps {
		ok, n := l.allow(t0.Add(st.at), 10*time.Second)
		if ok != st.ok || n != st.suppressed {
			t.Fatalf("step %d (at %v): got (%v, %d), want (%v, %d)",
				i, st.at, ok, n, st.ok, st.suppressed)
		}
	}
}

// TestRefusalsLogThrottled: a session's first refused frame is logged at info, the ones
// that follow within refusalLogEvery only at debug, while each still gets its `$error`.
func TestRefusalsLogThrottled(t *testing.T) {
	log, logs := observed()
	_, base := startServer(t, Config{Logger: log})
	c := dial(t, base, "r", "")
	c.join(nil, nil)
	const bad = 5
	for i := 0; i < bad; i++ {
		c.sendRaw(`{"type":"$updatePresence","data":{"presence":5}}`)
	}
	for i := 0; i < bad; i++ {
		c.expect(msgError)
	}
	eventually(t, "every refusal logged", func() bool {
		return countRefusals(logs, c.id, -1) == bad
	})
	if info := countRefusals(logs, c.id, zapcore.InfoLevel); info != 1 {
		t.Fatalf("%d refusals at info, want 1 of %d", info, bad)
	}
}

// countRefusals counts "frame refused" lines about session at level (-1: any level).
func countRefusals(logs *observer.ObservedLogs, session string, level zapcore.Level) int {
	n := 0
	for _, e := range logs.FilterMessage("frame refused").All() {
		if e.ContextMap()["session"] == session && (level == -1 || e.Level == level) {
			n++
		}
	}
	return n
}

// TestSlowLockWarned: holding a room's lock past slowLockAfter logs a warning naming the
// operation, once per slowLockEvery however often it happens; a short hold logs nothing.
func TestSlowLockWarned(t *testing.T) {
	log, logs := observed()
	srv, _ := startServer(t, Config{Logger: log})
	rm, err := srv.GetRoom("r")
	if err != nil {
		t.Fatal(err)
	}
	const msg = "room lock held long; the room's sessions waited"
	rm.lock("short hold")
	rm.release()
	if n := logs.FilterMessage(msg).Len(); n != 0 {
		t.Fatalf("%d warnings after a short hold", n)
	}
	for i := 0; i < 2; i++ {
		rm.lock("long hold")
		time.Sleep(slowLockAfter + 10*time.Millisecond)
		rm.release()
	}
	warns := logs.FilterMessage(msg).All()
	if len(warns) != 1 {
		t.Fatalf("%d warnings after two long holds, want 1", len(warns))
	}
	if w := warns[0]; w.Level != zapcore.WarnLevel || w.ContextMap()["operation"] != "long hold" ||
		w.ContextMap()["room"] != "r" {
		t.Fatalf("warning %v %v", w.Level, w.ContextMap())
	}
}
