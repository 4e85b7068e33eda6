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

// encode returns the effective delta, or nil when nothing was new.
func (d *deltaBuilder) encode() []byte {
	if len(d.pieces) == 0 && len(d.overrides) == 0 && len(d.dels) == 0 {
		return nil
	}
	slices.SortFunc(d.pieces, structOrder)
	d.applyOverrides()
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

// structOrder sorts structs as updates list them: clients descending, clocks ascending.
func structOrder(a, b Struct) int {
	if c := cmp.Compare(b.ID.Client, a.ID.Client); c != 0 {
		return c
	}
	return cmp.Compare(a.ID.Clock, b.ID.Clock)
}

// applyOverrides puts the ranges sent again after a take-over into the sorted pieces,
// cutting what they cover out of the pieces. Both lists are disjoint in themselves, so
// one sweep does it.
func (d *deltaBuilder) applyOverrides() {
	if len(d.overrides) == 0 {
		return
	}
	ov := d.overrides
	slices.SortFunc(ov, structOrder)
	out := make([]Struct, 0, len(d.pieces)+len(ov))
	j := 0
	for _, p := range d.pieces {
		for j < len(ov) && (ov[j].ID.Client > p.ID.Client ||
			(ov[j].ID.Client == p.ID.Client && ov[j].End() <= p.ID.Clock)) {
			j++
		}
		lo := p.ID.Clock
		for k := j; k < len(ov) && ov[k].ID.Client == p.ID.Client && ov[k].ID.Clock < p.End(); k++ {
			if ov[k].ID.Clock > lo {
				out = append(out, clipStruct(p, lo, ov[k].ID.Clock))
			}
			lo = max(lo, ov[k].End())
		}
		if lo < p.End() {
			out = append(out, clipStruct(p, lo, p.End()))
		}
	}
	out = append(out, ov...)
	slices.SortFunc(out, structOrder)
	d.pieces = out
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
