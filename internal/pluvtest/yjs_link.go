package pluvtest

import (
	"errors"
	"fmt"

	"github.com/caddy-pluv/caddy-pluv/yjs"
)

// newUpdateStore makes the store behind a client's document: our yjs engine, uncapped.
func newUpdateStore() updateStore { return yjs.NewStore(yjs.Options{}) }

// validUpdate reports whether b decodes as a Yjs v1 update, by applying it to a fresh store
// (structs waiting for missing history are kept there, not refused).
func validUpdate(b []byte) error {
	if _, err := yjs.NewStore(yjs.Options{}).Apply(b); err != nil {
		return fmt.Errorf("yjs: %w", err)
	}

	return nil
}

// StateText returns the root text called root of a Yjs v1 state, as a Y.Text of that
// name reads it ("" when the state lacks it).
func StateText(state []byte, root string) (string, error) {
	s := yjs.NewStore(yjs.Options{})
	if _, err := s.Apply(state); err != nil {
		return "", fmt.Errorf("yjs: %w", err)
	}

	v, err := s.RootJSON(root, yjs.RootText)
	if err != nil && !errors.Is(err, yjs.ErrNoRoot) {
		return "", err
	}
	text, _ := v.(string)

	return text, nil
}
