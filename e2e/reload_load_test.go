package e2e

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/caddy-pluv/caddy-pluv/internal/pluvtest"
	"github.com/caddy-pluv/caddy-pluv/yjs"
)

// TestReloadUnderLoad: a config reload while 200 sockets are open and edits are in flight
// keeps every socket and every edit, and the new config applies to the live sessions.
func TestReloadUnderLoad(t *testing.T) {
	const (
		rooms    = 10
		perRoom  = 20
		edits    = 6 // per client; the reload happens after the first third
		reloadAt = edits / 3
	)
	dir := t.TempDir()
	// Every client receives the other 19 writers' 114 edits in one burst, more than the
	// default queue of 1024 frames holds while a -race client reads: a bigger queue keeps
	// this test about reloads, not about slow readers (see slow_test.go for those).
	queue := "send_queue 2048"
	s := startCaddyConfig(t, caddyConfig{Site: pluvSite(t, dir, authBlock, queue)})

	var writers []*reloadWriter
	for ri := 0; ri < rooms; ri++ {
		r := &room{t: t, s: s, id: fmt.Sprintf("%s-%d", roomID(t), ri)}
		for ci := 0; ci < perRoom; ci++ {
			name := fmt.Sprintf("r%dc%d", ri, ci)
			// 200 busy clients under -race on two cores: allow more than 5 s per wait.
			c := r.dial(name, pluvtest.Options{
				Token: userToken(t, r.id, name, ""), Timeout: 30 * time.Second,
			})
			c.Handshake()
			writers = append(writers, &reloadWriter{c: c, room: ri})
		}
	}

	// Each writer types into its own root text with its own Yjs client id, so the final
	// document says exactly which edits arrived.
	var started, wrote sync.WaitGroup
	reloaded := make(chan struct{})
	errs := make(chan error, len(writers))
	for i, w := range writers {
		started.Add(1)
		wrote.Add(1)
		go func() {
			defer wrote.Done()
			client := uint64(5000 + i)
			for k := 0; k < edits; k++ {
				if k == reloadAt {
					started.Done()
					<-reloaded
				}
				u := textAppend(client, uint64(k), "x")
				if k == 0 {
					u = textInsert(client, 0, fmt.Sprintf("t%d", i), "x")
				}
				w.updates = append(w.updates, u)
				if err := w.c.UpdateStorage(u); err != nil {
					errs <- fmt.Errorf("%s: edit %d: %w (closed: %+v; violations: %v)",
						w.c.Name(), k, err, w.c.Closed(), w.c.Violations())
					return
				}
			}
		}()
	}

	// Reload while every writer has edits behind and ahead of it (and some in flight):
	// the new config refuses undefined events, which the sessions must feel.
	started.Wait()
	s.Reload(caddyConfig{Site: pluvSite(t, dir, authBlock, queue, strictBarrier,
		"strict_events")})
	close(reloaded)
	wrote.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	byRoom := make([][]*reloadWriter, rooms)
	for _, w := range writers {
		byRoom[w.room] = append(byRoom[w.room], w)
	}
	for ri, ws := range byRoom {
		cs := make([]*pluvtest.Client, len(ws))
		want := yjs.NewStore(yjs.Options{})
		for i, w := range ws {
			cs[i] = w.c
			for _, u := range w.updates {
				if _, err := want.Apply(u); err != nil {
					t.Fatal(err)
				}
			}
		}
		// A barrier from every writer proves every writer's edits were delivered.
		barrierAll(cs...)
		for _, c := range cs {
			if info := c.Closed(); info != nil {
				t.Fatalf("%s was closed during the reload: %+v", c.Name(), *info)
			}
			if err := pluvtest.SameDoc(c.Doc(), want.Encode()); err != nil {
				t.Fatalf("%s's document lacks edits (%v): %s", c.Name(), err,
					missingEdits(t, c.Doc(), ws))
			}
		}
		r := &room{t: t, s: s, id: fmt.Sprintf("%s-%d", roomID(t), ri)}
		late := r.user("late", "late", nil)
		if err := pluvtest.SameDoc(late.Doc(), want.Encode()); err != nil {
			t.Fatalf("room %d: a joiner after the reload lacks edits (%v): %s", ri, err,
				missingEdits(t, late.Doc(), ws))
		}
	}

	// The new config is the one the old sessions now live under.
	w := writers[0].c
	if err := w.Send("undefinedAfterReload", map[string]any{}); err != nil {
		t.Fatal(err)
	}
	w.Await(pluvtest.TypeError)
}

// reloadWriter is one client of TestReloadUnderLoad and the updates it sent.
type reloadWriter struct {
	c       *pluvtest.Client
	room    int
	updates [][]byte
}

// missingEdits names the writers' edits that doc lacks.
func missingEdits(t *testing.T, doc []byte, ws []*reloadWriter) string {
	t.Helper()
	var missing []string
	for _, w := range ws {
		for k, u := range w.updates {
			st := yjs.NewStore(yjs.Options{})
			if _, err := st.Apply(doc); err != nil {
				t.Fatal(err)
			}
			if d, err := st.Apply(u); err != nil || d != nil {
				missing = append(missing, fmt.Sprintf("%s#%d", w.c.Name(), k))
			}
		}
	}
	return fmt.Sprint("missing: ", missing)
}
