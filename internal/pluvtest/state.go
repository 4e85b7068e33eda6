package pluvtest

import (
	"encoding/base64"
	"errors"
	"fmt"
)

var errEmptyState = errors.New("state is \"\" (a Yjs client throws on it)")

// decodeState decodes a storage state as the server must send it: standard padded base64
// (PROTOCOL.md §6.1) of a non-empty Yjs v1 update that our yjs package can apply.
func decodeState(s string) ([]byte, error) {
	if s == "" {
		return nil, errEmptyState
	}

	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("state is not standard base64: %w", err)
	}

	if err := validUpdate(b); err != nil {
		return nil, fmt.Errorf("state is not a Yjs v1 update: %w", err)
	}

	return b, nil
}

// checkState is decodeState for callers that only need the verdict.
func checkState(s string) error {
	_, err := decodeState(s)
	return err
}
