package yjs

import (
	"slices"
	"sort"
)

// deltaBuilder collects what an Apply added, to encode it as the effective delta.
type deltaBuilder struct {
	pieces []Struct // new struct ranges, in the order added
	dels   []ClientDeletes
}

// merge adds the new parts of u to the store (journaled) and integrates what it can.
// sizeHint is the update's length, used to size the buffer for new blocks.
func (s *Store) merge(u *Update, sizeHint int) *deltaBuilder {
	d := &deltaBuilder{}
	s.txn.delta = d
	arena := make([]byte, 0, sizeHint+16)
	for i := range u.Structs {
		run := &u.Structs[i]
		var c *client
		for j := range run.Structs {
			st := &run.Structs[j]
			if st.Ref() == RefSkip || st.Length == 0 {
				continue
			}
			if c == nil {
				c = s.get(run.Client)
				s.txn.work = append(s.txn.work, c)
			}
			arena = s.addStruct(c, st, d, arena)
		}
	}
	for i := range u.Deletes {
		s.addDeletes(&u.Deletes[i], d)
	}
	slices.SortStableFunc(s.txn.alts, func(a, b alt) int {
		if c := cmpUint(a.c.id, b.c.id); c != 0 {
			return c
		}
		return cmpUint(a.st.ID.Clock, b.st.ID.Clock)
	})
	s.drain()
	return d
}

// addStruct adds the parts of st the store does not know yet, as new blocks.
func (s *Store) addStruct(c *client, st *Struct, d *deltaBuilder, arena []byte) []byte {
	end := st.End()
	if end <= c.state {
		return arena
	}
	cursor := max(st.ID.Clock, c.state)
	pend := c.blocks[c.nInt:]
	idx := c.nInt + sort.Search(len(pend), func(k int) bool { return pend[k].end() > cursor })
	overlaps := false
	for cursor < end {
		if idx < len(c.blocks) && c.blocks[idx].clock <= cursor {
			if !overlaps {
				overlaps = true
				s.txn.alts = append(s.txn.alts, alt{c: c, st: st})
			}
			cursor = c.blocks[idx].end()
			idx++
			continue
		}
		stop := end
		if idx < len(c.blocks) && c.blocks[idx].clock < end {
			stop = c.blocks[idx].clock
		}
		piece := clipStruct(*st, cursor, stop)
		idx, arena = s.insertBlock(c, idx, &piece, arena)
		d.pieces = append(d.pieces, piece)
		cursor = stop
	}
	return arena
}

// insertBlock stores a new piece before c.blocks[idx], merging it into the block before
// when yjs would. It returns the index of the block that followed idx.
func (s *Store) insertBlock(c *client, idx int, p *Struct, arena []byte) (int, []byte) {
	s.touch(c)
	if idx > 0 && c.blocks[idx-1].end() == p.ID.Clock && s.tryMerge(c, idx-1, p) {
		return idx, arena
	}
	start := len(arena)
	arena = AppendStruct(arena, p)
	b := block{clock: p.ID.Clock, length: p.Length, enc: arena[start:len(arena):len(arena)]}

	if idx > 0 {
		c.addGap(b.clock - c.blocks[idx-1].end())
		if idx < len(c.blocks) {
			c.removeGap(c.blocks[idx].clock - c.blocks[idx-1].end())
		}
	}
	if idx < len(c.blocks) {
		c.addGap(c.blocks[idx].clock - b.end())
	}
	c.blocks = slices.Insert(c.blocks, idx, b)
	c.encBytes += len(b.enc)
	c.pendEnc += len(b.enc) // idx >= nInt: new blocks start pending
	s.txn.ops = append(s.txn.ops, undoOp{kind: opInsertBlock, c: c, idx: idx})
	return idx + 1, arena
}

func (c *client) addGap(g uint64) {
	n, b := gapCost(g)
	c.nGaps += n
	c.gapBytes += b
}

func (c *client) removeGap(g uint64) {
	n, b := gapCost(g)
	c.nGaps -= n
	c.gapBytes -= b
}

// addDeletes adds a client's delete ranges and records the parts that were new.
func (s *Store) addDeletes(cd *ClientDeletes, d *deltaBuilder) {
	var fresh []Range
	for _, r := range cd.Ranges {
		if r.Len == 0 {
			continue
		}
		c := s.get(cd.Client)
		fresh = s.addRange(c, r, fresh)
	}
	if len(fresh) > 0 {
		d.dels = append(d.dels, ClientDeletes{Client: cd.Client, Ranges: fresh})
	}
}

// addRange unites r with the client's delete ranges; it appends the parts of r that
// were not deleted before to fresh.
func (s *Store) addRange(c *client, r Range, fresh []Range) []Range {
	dels := c.dels
	lo, hi := r.Clock, r.End()
	i := sort.Search(len(dels), func(k int) bool { return dels[k].End() >= lo })
	j, cursor, n := i, lo, len(fresh)
	for ; j < len(dels) && dels[j].Clock <= hi; j++ {
		if dels[j].Clock > cursor {
			fresh = append(fresh, Range{cursor, dels[j].Clock - cursor})
		}
		cursor = max(cursor, dels[j].End())
	}
	if cursor < hi {
		fresh = append(fresh, Range{cursor, hi - cursor})
	}
	if len(fresh) == n {
		return fresh // already deleted
	}
	s.touch(c)
	m := r
	if i < j {
		m.Clock = min(lo, dels[i].Clock)
		m.Len = max(hi, dels[j-1].End()) - m.Clock
	}
	old := slices.Clone(dels[i:j])
	for _, o := range old {
		c.delBytes -= rangeSize(o)
		if o.End() > c.state {
			c.pendDel -= rangeSize(o)
		}
	}
	c.delBytes += rangeSize(m)
	if m.End() > c.state {
		c.pendDel += rangeSize(m)
	}
	c.dels = slices.Replace(dels, i, j, m)
	s.txn.ops = append(s.txn.ops, undoOp{kind: opReplaceDels, c: c, idx: i, dels: old})
	return fresh
}
