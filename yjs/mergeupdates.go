package yjs

import (
	"fmt"
	"math"
)

// MergeUpdates returns one v1 update holding everything the given v1 updates hold, as
// yjs's Y.mergeUpdates does: every struct once (overlapping parts kept once, gaps written
// as Skip structs, structs that wait for missing history kept) and the union of the
// delete sets. Nothing is garbage-collected: deleted content stays, so the result,
// applied to a Y.Doc, gives the document applying every input would give.
//
// It keeps no document model (see newMergeStore), so it costs what merging costs.
// Unlike Y.mergeUpdates it merges adjacent structs as a Y.Doc does, so the result can be
// smaller, and it refuses, with an error wrapping [ErrMalformed], input that a [Store]
// refuses (see the package documentation). Memory is not bounded: the caller bounds the
// inputs.
func MergeUpdates(updates [][]byte) ([]byte, error) {
	s := newMergeStore(Options{MaxPending: math.MaxInt})
	for i, u := range updates {
		if _, err := s.Apply(u); err != nil {
			return nil, fmt.Errorf("merging update %d: %w", i, err)
		}
	}
	return s.Encode(), nil
}
