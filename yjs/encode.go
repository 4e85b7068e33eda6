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
	order := s.ordered()
	n, size := 0, 2*maxVarLen+s.dsBytes
	for _, c := range order { // size the output once: a pass over what it will hold
		if ints, pend := c.blocksFrom(peer[c.id]); len(ints)+len(pend) > 0 {
			_, bytes := runFrom(ints, pend)
			n, size = n+1, size+bytes
		}
	}
	out := AppendVarUint(make([]byte, 0, size), uint64(n))
	for i := len(order) - 1; i >= 0; i-- {
		c := order[i]
		from := peer[c.id]
		ints, pend := c.blocksFrom(from)
		if len(ints)+len(pend) == 0 {
			continue
		}
		if out, err = appendRunFrom(out, c.id, ints, pend, from); err != nil {
			return nil, fmt.Errorf("encoding diff: %w", err)
		}
	}
	return s.appendDeletes(out), nil
}

// blocksFrom returns the client's integrated and pending blocks that end past clock
// from.
func (c *client) blocksFrom(from uint64) (ints, pend []block) {
	ints, pend = c.ints, c.pend
	k := sort.Search(len(ints), func(k int) bool { return ints[k].end() > from })
	if k < len(ints) {
		return ints[k:], pend
	}
	k = sort.Search(len(pend), func(k int) bool { return pend[k].end() > from })
	return nil, pend[k:]
}

// runFrom returns the number of structs (Skips included) of a run of the blocks ints
// then pend, and a bound on its encoded size: the first block may be sliced, which can
// add an origin.
func runFrom(ints, pend []block) (count, bytes int) {
	var prev uint64
	if len(ints) > 0 {
		prev = ints[0].clock
	} else {
		prev = pend[0].clock
	}
	bytes = 5*maxVarLen + 1 // count, client, clock; an origin
	for _, blocks := range [2][]block{ints, pend} {
		for i := range blocks {
			gn, gb := gapCost(blocks[i].clock - prev)
			count, bytes = count+1+gn, bytes+gb+len(blocks[i].enc)
			prev = blocks[i].end()
		}
	}
	return count, bytes
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
	count, _ := runFrom(ints, pend)
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
