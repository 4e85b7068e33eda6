package yjs

import (
	"fmt"
	"slices"
)

var errSVTrailing = malformed("trailing bytes after state vector")

// StateVector maps each client to the next clock a peer expects from it: everything
// below that clock is known.
type StateVector map[uint64]uint64

// DecodeStateVector decodes a v1 state vector. A client listed twice keeps its last
// clock, as yjs does; trailing bytes are an error.
func DecodeStateVector(b []byte) (StateVector, error) {
	d := decoder{buf: b}
	n, err := d.readVarUint()
	if err != nil {
		return nil, fmt.Errorf("reading state vector: %w", err)
	}
	if n > uint64(d.remaining()/2) {
		return nil, fmt.Errorf("reading state vector: %w", errTruncated)
	}
	sv := make(StateVector, n)
	for i := uint64(0); i < n; i++ {
		id, err := d.readID()
		if err != nil {
			return nil, fmt.Errorf("reading state vector: %w", err)
		}
		sv[id.Client] = id.Clock
	}
	if d.remaining() != 0 {
		return nil, errSVTrailing
	}
	return sv, nil
}

// Encode returns the v1 encoding of sv, clients in descending order as yjs writes them.
func (sv StateVector) Encode() []byte {
	clients := make([]uint64, 0, len(sv))
	for c := range sv {
		clients = append(clients, c)
	}
	slices.Sort(clients)
	out := AppendVarUint(nil, uint64(len(clients)))
	for i := len(clients) - 1; i >= 0; i-- {
		out = appendID(out, ID{clients[i], sv[clients[i]]})
	}
	return out
}
