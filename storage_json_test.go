package pluv

import (
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
)

// TestStorageJSON: a room's storage as JSON, with the roots storage_roots names read as
// their kind (and present while the document lacks them), the others inferred.
func TestStorageJSON(t *testing.T) {
	tests := []struct {
		name  string
		roots map[string]string
		want  map[string]any
	}{
		{"hinted", map[string]string{"text": "text", "map": "map", "list": "array"},
			map[string]any{"text": "hell", "map": map[string]any{"k": "v"}, "list": []any{}}},
		{"inferred", nil, map[string]any{"text": "hell", "map": map[string]any{"k": "v"}}},
		{"text read as array", map[string]string{"text": "array"}, map[string]any{
			"text": []any{"h", "e", "l", "l"}, "map": map[string]any{"k": "v"},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, base := startServer(t, Config{StorageRoots: tc.roots})
			a := dial(t, base, "r", "")
			a.join(nil, nil)
			ty := &typist{client: 3}
			for _, u := range [][]byte{
				ty.key('h'), ty.key('e'), ty.key('l'), ty.key('l'), ty.key('o'),
				ty.backspace(), mapSet(4, 0, "k", "v"),
			} {
				a.send(msgUpdateStorage, map[string]any{"update": b64std(u)})
			}
			marker(t, a)
			rm, err := srv.GetRoom("r")
			if err != nil {
				t.Fatal(err)
			}
			got, err := rm.StorageJSON()
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %#v, want %#v", got, tc.want)
			}
		})
	}
}

// TestStorageJSONErrors: a torn-down room and a room whose file cannot be read have no
// JSON view.
func TestStorageJSONErrors(t *testing.T) {
	t.Run("torn down", func(t *testing.T) {
		srv, base := startServer(t, Config{})
		rm, err := srv.GetRoom("r")
		if err != nil {
			t.Fatal(err)
		}
		a := dial(t, base, "r", "")
		a.join(nil, textInsert(1, 0, "x"))
		a.ws.Close()
		eventually(t, "teardown", func() bool {
			_, err := rm.StorageJSON()
			return errors.Is(err, errRoomClosed)
		})
	})
	t.Run("unreadable file", func(t *testing.T) {
		srv, _ := storageServer(t, Config{}, newDiskWriter())
		if err := os.WriteFile(roomPath(t, srv.dir, "r"), []byte{9, 9, 9}, 0o600); err != nil {
			t.Fatal(err)
		}
		rm, err := srv.GetRoom("r")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := rm.StorageJSON(); !errors.Is(err, errStorageUnavailable) {
			t.Fatalf("error %v, want %v", err, errStorageUnavailable)
		}
	})
}

// TestStorageJSONWhileEditing: views taken while a session types are each one state of
// the document (a prefix of the final text, never shrinking), and encoding one after the
// lock is gone races with nothing (go test -race).
func TestStorageJSONWhileEditing(t *testing.T) {
	srv, base := startServer(t, Config{
		StorageRoots: map[string]string{"text": "text"},
		RateLimit:    &RateLimitConfig{PerSecond: -1},
	})
	a := dial(t, base, "r", "")
	a.join(nil, nil)
	rm, err := srv.GetRoom("r")
	if err != nil {
		t.Fatal(err)
	}
	updates, _ := typeAndDelete(2_000, 0)
	var views []string
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			v, err := rm.StorageJSON()
			if err != nil {
				t.Error(err)
				return
			}
			if _, err := json.Marshal(v); err != nil {
				t.Error(err)
				return
			}
			views = append(views, v["text"].(string))
		}
	})
	for _, u := range updates {
		a.send(msgUpdateStorage, map[string]any{"update": b64std(u)})
	}
	marker(t, a)
	close(stop)
	wg.Wait()

	final, err := rm.StorageJSON()
	if err != nil {
		t.Fatal(err)
	}
	text := final["text"].(string)
	if len(text) != 2_000 {
		t.Fatalf("final text has %d characters, want 2000", len(text))
	}
	prev := ""
	for i, v := range views {
		if !strings.HasPrefix(text, v) || len(v) < len(prev) {
			t.Fatalf("view %d (%d characters) is not a later prefix of the text", i, len(v))
		}
		prev = v
	}
	t.Logf("%d views taken while typing", len(views))
}

// droppedStore is a store whose document model was dropped.
type droppedStore struct{ docStore }

func (droppedStore) ModelErr() error { return errors.New("model dropped for the test") }

// TestStorageJSONModelDropped: when a room's store drops its model, the room has no
// JSON view (the reason is given) and the drop is logged once, however many updates
// follow.
func TestStorageJSONModelDropped(t *testing.T) {
	srv, logs := storageServer(t, Config{}, newDiskWriter())
	srv.newStore = func(cfg *settings) docStore { return droppedStore{newDocStore(cfg)} }
	_, base := startServerFor(t, srv)
	a := dial(t, base, "r", "")
	a.join(nil, textInsert(1, 0, "a"))
	a.send(msgUpdateStorage, map[string]any{"update": b64std(textInsert(2, 0, "b"))})
	marker(t, a)
	rm, err := srv.GetRoom("r")
	if err != nil {
		t.Fatal(err)
	}
	_, err = rm.StorageJSON()
	if !errors.Is(err, errNoModel) || !strings.Contains(err.Error(), "for the test") {
		t.Fatalf("error %v, want %v with the reason", err, errNoModel)
	}
	if n := logs.FilterMessageSnippet("room document model dropped").Len(); n != 1 {
		t.Fatalf("logged %d times, want once", n)
	}
}
