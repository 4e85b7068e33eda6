package pluvtest

import (
	"encoding/base64"
	"fmt"
	"sync"
)

// Doc is the client's copy of the room's Yjs document: reset from `$storageReceived` and
// updated by every `$storageUpdated` and local edit, as the real client's Y.Doc is.
type Doc struct {
	mu    sync.Mutex // guards store
	store updateStore
}

// updateStore is the part of yjs.Store the client uses.
type updateStore interface {
	Apply(update []byte) ([]byte, error)
	Encode() []byte
	IsEmpty() bool
}

func newDoc() *Doc {
	return &Doc{store: newUpdateStore()}
}

// reset rebuilds the document from `$storageReceived` as the real client does
// (PROTOCOL.md §6.4): "empty" keeps only the cached updates; "initialized" takes the cached
// updates if there are any, else the state; anything else takes the state, then the cached
// updates.
func (d *Doc) reset(kind, state string, cached [][]byte) error {
	d.mu.Lock()
	defer d.mu.Unlock()

	d.store = newUpdateStore()
	useState := kind != "empty" && (kind != "initialized" || len(cached) == 0)
	useCached := kind != "initialized" || len(cached) > 0
	if useState {
		b, err := base64.StdEncoding.DecodeString(state)
		if err != nil {
			return fmt.Errorf("decoding state: %w", err)
		}

		if _, err := d.store.Apply(b); err != nil {
			return fmt.Errorf("applying state: %w", err)
		}
	}

	if useCached {
		for _, u := range cached {
			if _, err := d.store.Apply(u); err != nil {
				return fmt.Errorf("applying cached update: %w", err)
			}
		}
	}

	return nil
}

// merged returns the cached updates as one update, nil when there are none.
func merged(cached [][]byte) ([]byte, error) {
	if len(cached) == 0 {
		return nil, nil
	}

	s := newUpdateStore()
	for _, u := range cached {
		if _, err := s.Apply(u); err != nil {
			return nil, fmt.Errorf("applying cached update: %w", err)
		}
	}

	return s.Encode(), nil
}

// apply merges an update into the document and returns what was new to it.
func (d *Doc) apply(update []byte) ([]byte, error) {
	d.mu.Lock()
	defer d.mu.Unlock()

	return d.store.Apply(update)
}

// encode returns the whole document as one v1 update.
func (d *Doc) encode() []byte {
	d.mu.Lock()
	defer d.mu.Unlock()

	return d.store.Encode()
}

// Doc returns the client's whole document as one Yjs v1 update.
func (c *Client) Doc() []byte { return c.doc.encode() }

// DocEmpty reports whether the client's document is empty in Y.Doc's sense.
func (c *Client) DocEmpty() bool {
	c.doc.mu.Lock()
	defer c.doc.mu.Unlock()

	return c.doc.store.IsEmpty()
}

// SameDoc reports whether two Yjs v1 updates hold the same document content: applying
// either to a store holding the other adds nothing. Byte comparison is too strict, since one
// document can be encoded with its structs split differently.
func SameDoc(a, b []byte) error {
	for _, pair := range [][2][]byte{{a, b}, {b, a}} {
		s := newUpdateStore()
		if _, err := s.Apply(pair[0]); err != nil {
			return fmt.Errorf("applying first document: %w", err)
		}

		delta, err := s.Apply(pair[1])
		if err != nil {
			return fmt.Errorf("applying second document: %w", err)
		}

		if delta != nil {
			return fmt.Errorf("documents differ: %d bytes of one are new to the other",
				len(delta))
		}
	}

	return nil
}

// MergeUpdates merges Yjs v1 updates into one, failing the test on a bad update.
func MergeUpdates(t TB, updates ...[]byte) []byte {
	t.Helper()

	m, err := merged(updates)
	if err != nil {
		t.Fatalf("pluvtest: %v", err)
	}

	return m
}
