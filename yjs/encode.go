package yjs

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
)

// Encode returns the whole state as one v1 update: every client's blocks (integrated and
// pending, gaps written as Skip structs) in descending client order, then every delete
// range. An empty store encodes as 00 00.
func (s *Store) Encode() []byte {
	out := make([]byte, 0, s.Size())
	out = AppendVarUint(out, uint64(s.nStructClients))
	for i := len(s.order) - 1; i >= 0; i-- {
		c := s.order[i]
		if len(c.blocks) == 0 {
			continue
		}
		out = AppendVarUint(out, uint64(len(c.blocks)+c.nGaps))
		out = AppendVarUint(out, c.id)
		out = AppendVarUint(out, c.blocks[0].clock)
		out = appendBlocks(out, c.blocks)
	}
	return s.appendDeletes(out)
}

// appendBlocks writes blocks with a Skip struct for every gap between them.
func appendBlocks(out []byte, blocks []block) []byte {
	for i := range blocks {
		if i > 0 {
			if g := blocks[i].clock - blocks[i-1].end(); g > 0 {
				out = append(out, RefSkip)
				out = AppendVarUint(out, g)
			}
		}
		out = append(out, blocks[i].enc...)
	}
	return out
}

// appendDeletes writes the store's delete set, clients in descending order.
func (s *Store) appendDeletes(out []byte) []byte {
	out = AppendVarUint(out, uint64(s.nDSClients))
	for i := len(s.order) - 1; i >= 0; i-- {
		c := s.order[i]
		if len(c.dels) == 0 {
			continue
		}
		out = AppendVarUint(out, c.id)
		out = AppendVarUint(out, uint64(len(c.dels)))
		for _, r := range c.dels {
			out = AppendVarUint(out, r.Clock)
			out = AppendVarUint(out, r.Len)
		}
	}
	return out
}

// StateVector returns the encoded v1 state vector of the integrated structs.
func (s *Store) StateVector() []byte {
	n := 0
	for _, c := range s.order {
		if c.state > 0 {
			n++
		}
	}
	out := AppendVarUint(nil, uint64(n))
	for i := len(s.order) - 1; i >= 0; i-- {
		if c := s.order[i]; c.state > 0 {
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
	for i := len(s.order) - 1; i >= 0; i-- {
		c := s.order[i]
		from := peer[c.id]
		k := sort.Search(len(c.blocks), func(k int) bool { return c.blocks[k].end() > from })
		if k == len(c.blocks) {
			continue
		}
		if body, err = appendRunFrom(body, c, k, from); err != nil {
			return nil, fmt.Errorf("encoding diff: %w", err)
		}
		n++
	}
	out := AppendVarUint(make([]byte, 0, len(body)+s.dsBytes+16), uint64(n))
	out = append(out, body...)
	return s.appendDeletes(out), nil
}

// appendRunFrom writes client c's run from clock from on, starting at block k.
func appendRunFrom(out []byte, c *client, k int, from uint64) ([]byte, error) {
	blocks := c.blocks[k:]
	count := len(blocks)
	for i := 1; i < len(blocks); i++ {
		if blocks[i].clock > blocks[i-1].end() {
			count++
		}
	}
	first := &blocks[0]
	out = AppendVarUint(out, uint64(count))
	out = AppendVarUint(out, c.id)
	out = AppendVarUint(out, max(from, first.clock))
	if first.clock < from {
		st, err := decodeBlock(c.id, first)
		if err != nil {
			return nil, err
		}
		st = sliceStruct(st, from-first.clock)
		out = AppendStruct(out, &st)
		blocks = blocks[1:]
		if len(blocks) > 0 {
			if g := blocks[0].clock - first.end(); g > 0 {
				out = append(out, RefSkip)
				out = AppendVarUint(out, g)
			}
		}
	}
	return appendBlocks(out, blocks), nil
}

// encode returns the effective delta, or nil when nothing was new.
func (d *deltaBuilder) encode() []byte {
	if len(d.pieces) == 0 && len(d.dels) == 0 {
		return nil
	}
	slices.SortStableFunc(d.pieces, func(a, b Struct) int {
		if c := cmp.Compare(b.ID.Client, a.ID.Client); c != 0 {
			return c
		}
		return cmp.Compare(a.ID.Clock, b.ID.Clock)
	})
	u := Update{}
	for i := 0; i < len(d.pieces); {
		j := i + 1
		for j < len(d.pieces) && d.pieces[j].ID.Client == d.pieces[i].ID.Client {
			j++
		}
		u.Structs = append(u.Structs, runWithSkips(d.pieces[i:j]))
		i = j
	}
	u.Deletes = groupDeletes(d.dels)
	return u.Encode()
}

// groupDeletes sorts new delete ranges by client (descending) and clock, one entry per
// client.
func groupDeletes(dels []ClientDeletes) []ClientDeletes {
	slices.SortStableFunc(dels, func(a, b ClientDeletes) int {
		return cmp.Compare(b.Client, a.Client)
	})
	out := dels[:0]
	for _, cd := range dels {
		if n := len(out); n > 0 && out[n-1].Client == cd.Client {
			out[n-1].Ranges = append(out[n-1].Ranges, cd.Ranges...)
			continue
		}
		out = append(out, cd)
	}
	for _, cd := range out {
		slices.SortFunc(cd.Ranges, func(a, b Range) int { return cmp.Compare(a.Clock, b.Clock) })
	}
	return out
}

// runWithSkips makes one client run of sorted, disjoint pieces, filling gaps with Skips.
func runWithSkips(pieces []Struct) ClientStructs {
	run := ClientStructs{Client: pieces[0].ID.Client, Clock: pieces[0].ID.Clock}
	run.Structs = make([]Struct, 0, len(pieces))
	for i := range pieces {
		if i > 0 && pieces[i].ID.Clock > pieces[i-1].End() {
			prev := pieces[i-1].End()
			run.Structs = append(run.Structs, Struct{
				ID: ID{run.Client, prev}, Length: pieces[i].ID.Clock - prev, Info: RefSkip,
			})
		}
		run.Structs = append(run.Structs, pieces[i])
	}
	return run
}
