package yjs

import (
	"fmt"
	"sort"
)

// Encode returns the whole state as one v1 update: every client's blocks (integrated and
// pending, gaps written as Skip structs) in descending client order, then every delete
// range. An empty store encodes as 00 00.
func (s *Store) Encode() []byte {
	out := make([]byte, 0, s.Size())
	out = AppendVarUint(out, uint64(s.nStructClients))
	order := s.ordered()
	for i := len(order) - 1; i >= 0; i-- {
		c := order[i]
		if c.nBlocks() == 0 {
			continue
		}
		out = AppendVarUint(out, uint64(c.nBlocks()+c.nGaps))
		out = AppendVarUint(out, c.id)
		out = AppendVarUint(out, c.first().clock)
		out = appendBlocks(out, c.ints, 0)
		prev := c.state
		if len(c.ints) == 0 {
			prev = c.pend[0].clock
		}
		out = appendBlocks(out, c.pend, prev)
	}
	return s.appendDeletes(out)
}

// appendBlocks writes blocks, the first of which follows clock prev, with a Skip struct
// for every gap.
func appendBlocks(out []byte, blocks []block, prev uint64) []byte {
	for i := range blocks {
		if g := blocks[i].clock - prev; g > 0 {
			out = append(out, RefSkip)
			out = AppendVarUint(out, g)
		}
		out = append(out, blocks[i].enc...)
		prev = blocks[i].end()
	}
	return out
}

// appendDeletes writes the store's delete set, clients in descending order.
func (s *Store) appendDeletes(out []byte) []byte {
	out = AppendVarUint(out, uint64(s.nDSClients))
	order := s.ordered()
	for i := len(order) - 1; i >= 0; i-- {
		c := order[i]
		if c.dels.Len() == 0 {
			continue
		}
		out = AppendVarUint(out, c.id)
		out = AppendVarUint(out, uint64(c.dels.Len()))
		for r := range c.dels.all {
			out = AppendVarUint(out, r.Clock)
			out = AppendVarUint(out, r.Len)
		}
	}
	return out
}

// StateVector returns the encoded v1 state vector of the integrated structs.
func (s *Store) StateVector() []byte {
	order := s.ordered()
	n := 0
	for _, c := range order {
		if c.state > 0 {
			n++
		}
	}
	out := AppendVarUint(make([]byte, 0, 1+n*10), uint64(n))
	for i := len(order) - 1; i >= 0; i-- {
		if c := order[i]; c.state > 0 {
			out = appendID(out, ID{c.id, c.state})
		}
	}
	return out
}

// EncodeDiff returns what a peer with the encoded state vector sv lacks: every struct
// (integrated or pending) past the peer's clock, the first one sliced where the peer's
// clock falls inside it, and the whole delete set, as yjs's encodeStateAsUpdate does.
func (s *Store) EncodeDiff(sv []byte) ([]byte, error) {
	peer, err := DecodeStateVector(sv)
	if err != nil {
		return nil, fmt.Errorf("encoding diff: %w", err)
	}
	body := make([]byte, 0, 64)
	n := 0
	order := s.ordered()
	for i := len(order) - 1; i >= 0; i-- {
		c := order[i]
		from := peer[c.id]
		ints, pend := c.ints, c.pend
		k := sort.Search(len(ints), func(k int) bool { return ints[k].end() > from })
		if k < len(ints) {
			ints = ints[k:]
		} else {
			ints = nil
			k := sort.Search(len(pend), func(k int) bool { return pend[k].end() > from })
			pend = pend[k:]
		}
		if len(ints)+len(pend) == 0 {
			continue
		}
		if body, err = appendRunFrom(body, c.id, ints, pend, from); err != nil {
			return nil, fmt.Errorf("encoding diff: %w", err)
		}
		n++
	}
	out := AppendVarUint(make([]byte, 0, len(body)+s.dsBytes+16), uint64(n))
	out = append(out, body...)
	return s.appendDeletes(out), nil
}

// appendRunFrom writes a client's run from clock from on: the blocks ints then pend, the
// first of which ends past from and is sliced if it starts before it.
func appendRunFrom(out []byte, clientID uint64, ints, pend []block, from uint64) ([]byte, error) {
	var first *block
	if len(ints) > 0 {
		first = &ints[0]
	} else {
		first = &pend[0]
	}
	count := len(ints) + len(pend)
	prev := first.clock
	for _, blocks := range [2][]block{ints, pend} {
		for i := range blocks {
			if blocks[i].clock > prev {
				count++
			}
			prev = blocks[i].end()
		}
	}
	out = AppendVarUint(out, uint64(count))
	out = AppendVarUint(out, clientID)
	out = AppendVarUint(out, max(from, first.clock))
	start := first.clock
	if first.clock < from {
		st, err := decodeBlock(clientID, first)
		if err != nil {
			return nil, err
		}
		st = sliceStruct(st, from-first.clock)
		out = AppendStruct(out, &st)
		start = first.end()
		if len(ints) > 0 {
			ints = ints[1:]
		} else {
			pend = pend[1:]
		}
	}
	out = appendBlocks(out, ints, start)
	end := start
	if len(ints) > 0 {
		end = ints[len(ints)-1].end()
	}
	return appendBlocks(out, pend, end), nil
}
