package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"
)

// logEntry is one JSON line of Caddy's log.
type logEntry map[string]any

// str returns field k as a string ("" when absent).
func (e logEntry) str(k string) string {
	s, _ := e[k].(string)
	return s
}

// caddyLog reads the JSON log file a Caddy started with LogFile writes.
type caddyLog struct {
	path string
	from int64 // byte offset of the first line [caddyLog.await] looks at
}

// mark makes later awaits look only at lines written from now on.
func (l *caddyLog) mark(t testing.TB) {
	t.Helper()

	fi, err := os.Stat(l.path)
	if err != nil {
		t.Fatalf("log file: %v", err)
	}

	l.from = fi.Size()
}

// entries returns the entries written since the mark.
func (l *caddyLog) entries(t testing.TB, all bool) []logEntry {
	t.Helper()

	b, err := os.ReadFile(l.path)
	if err != nil {
		t.Fatalf("reading log: %v", err)
	}

	if !all {
		b = b[min(l.from, int64(len(b))):]
	}

	var out []logEntry
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var e logEntry
		if json.Unmarshal(sc.Bytes(), &e) == nil {
			out = append(out, e)
		}
	}

	return out
}

// await waits until a line since the mark has message msg and, when session is set, that
// session field; it returns the entry.
func (l *caddyLog) await(t testing.TB, msg, session string) logEntry {
	t.Helper()

	deadline := time.Now().Add(5 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()

	for {
		for _, e := range l.entries(t, false) {
			if e.str("msg") == msg && (session == "" || e.str("session") == session) {
				return e
			}
		}

		if time.Now().After(deadline) {
			t.Fatalf("no log line %q for session %q since the mark", msg, session)
		}

		<-tick.C
	}
}

// noneContains fails if any line of the whole log contains one of secrets.
func (l *caddyLog) noneContains(t testing.TB, what string, secrets []string) {
	t.Helper()

	b, err := os.ReadFile(l.path)
	if err != nil {
		t.Fatalf("reading log: %v", err)
	}

	for _, s := range secrets {
		if s != "" && strings.Contains(string(b), s) {
			t.Errorf("the log contains a %s: %.40s…", what, s)
		}
	}
}
