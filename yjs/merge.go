package yjs

import (
	"cmp"
	"slices"
	"sort"
	"strings"
)

// newBlock is a run of consecutive pieces (d.pieces[from:to]) that yjs would merge, on its
// way into c.pend before index idx.
type newBlock struct {
	idx      int
	from, to int
}

// merge adds the new parts of u to the store (journaled) and integrates what it can.
// sizeHint is the update's length, used to size the buffer for new blocks.
func (s *Store) merge(u *Update, sizeHint int) *deltaBuilder {
	d := &s.txn.builder
	d.reset()
	s.txn.delta = d
	s.txn.sizeHint = sizeHint
	forEachClient(u, &s.txn.cands, func(id uint64, cands []*Struct) {
		c := s.get(id)
		s.txn.work = append(s.txn.work, c)
		s.addClientStructs(c, cands, d)
	})
	s.txn.arena = nil
	s.addDeleteSet(u.Deletes, d)
	slices.SortStableFunc(s.txn.alts, func(a, b alt) int {
		if c := cmp.Compare(a.c.id, b.c.id); c != 0 {
			return c
		}
		return cmp.Compare(a.st.ID.Clock, b.st.ID.Clock)
	})
	s.drain()
	return d
}

// forEachClient calls f once per client of u with that client's structs (Skips left
// out) in clock order; a client written in several runs gets them all at once.
func forEachClient(u *Update, scratch *[]*Struct, f func(uint64, []*Struct)) {
	runs := u.Structs
	up := func(a, b ClientStructs) int { return cmp.Compare(a.Client, b.Client) }
	down := func(a, b ClientStructs) int { return cmp.Compare(b.Client, a.Client) }
	if !slices.IsSortedFunc(runs, down) && !slices.IsSortedFunc(runs, up) {
		runs = slices.Clone(runs) // yjs writes clients in descending order; others may not
		slices.SortStableFunc(runs, up)
	}
	for i := 0; i < len(runs); {
		j, cands := i, (*scratch)[:0]
		for ; j < len(runs) && runs[j].Client == runs[i].Client; j++ {
			for k := range runs[j].Structs {
				if st := &runs[j].Structs[k]; st.Ref() != RefSkip && st.Length > 0 {
					cands = append(cands, st)
				}
			}
		}
		if j-i > 1 {
			slices.SortStableFunc(cands, func(a, b *Struct) int {
				return cmp.Compare(a.ID.Clock, b.ID.Clock)
			})
		}
		if len(cands) > 0 {
			f(runs[i].Client, cands)
		}
		clear(cands)
		*scratch = cands[:0]
		i = j
	}
}

// addClientStructs adds the parts of cands (one client's structs, in clock order) that
// the store does not know yet: merged into the block before them where yjs would merge,
// else inserted as new blocks in one pass.
func (s *Store) addClientStructs(c *client, cands []*Struct, d *deltaBuilder) {
	covered := c.state
	for _, st := range cands {
		if st.ID.Clock < c.state && st.IsItem() {
			s.txn.stale = append(s.txn.stale, st)
		}
		end := st.End()
		cursor := max(st.ID.Clock, covered)
		if cursor >= end {
			continue
		}
		covered = end
		pend := c.pend
		idx := sort.Search(len(pend), func(k int) bool { return pend[k].end() > cursor })
		overlaps := false
		for cursor < end {
			if idx < len(pend) && pend[idx].clock <= cursor {
				if !overlaps {
					overlaps = true
					s.txn.alts = append(s.txn.alts, alt{c: c, st: st})
				}
				cursor = pend[idx].end()
				idx++
				continue
			}
			stop := end
			if idx < len(pend) && pend[idx].clock < end {
				stop = pend[idx].clock
			}
			d.pieces = append(d.pieces, clipStruct(*st, cursor, stop))
			s.addPiece(c, idx, d)
			cursor = stop
		}
	}
	s.insertNew(c, d)
}

// addPiece places the last piece of d, which belongs before c.pend[idx]: it extends the
// new block before it, or merges into the stored block before it (the last integrated
// one when idx is 0), or starts a new block.
func (s *Store) addPiece(c *client, idx int, d *deltaBuilder) {
	s.touch(c)
	p := &d.pieces[len(d.pieces)-1]
	news := s.txn.news
	if n := len(news); n > 0 && news[n-1].idx == idx {
		last := &news[n-1]
		if prev := &d.pieces[last.to-1]; prev.End() == p.ID.Clock && canMerge(prev, p) {
			last.to++
			return
		}
	} else if idx > 0 && c.pend[idx-1].end() == p.ID.Clock && s.tryMerge(c, false, idx-1, p) {
		return
	} else if idx == 0 && len(c.ints) > 0 && c.state == p.ID.Clock &&
		s.tryMerge(c, true, len(c.ints)-1, p) {
		return
	}
	s.txn.news = append(news, newBlock{idx: idx, from: len(d.pieces) - 1, to: len(d.pieces)})
}

// canMerge reports whether p can extend a (which ends where p starts), as yjs's
// Item.mergeWith and GC.mergeWith decide.
func canMerge(a, p *Struct) bool {
	h := head{info: a.Info, right: a.RightOrigin}
	return mergeable(&h, a.ID.Client, a.End(), p)
}

// insertNew encodes the new blocks of c and inserts them all in one pass. The gap
// counters change only around the new blocks, but the pending blocks after the first new
// one move up: this one step costs a pass over c.pend, which MaxPending bounds.
func (s *Store) insertNew(c *client, d *deltaBuilder) {
	news := s.txn.news
	if len(news) == 0 {
		return
	}
	for i, nb := range news { // the gaps the new blocks go into
		if (i == 0 || news[i-1].idx != nb.idx) && nb.idx < len(c.pend) {
			if g, ok := c.gapBefore(nb.idx); ok {
				c.removeGap(g)
			}
		}
	}
	if s.txn.arena == nil {
		s.txn.arena = make([]byte, 0, s.txn.sizeHint+16)
	}
	add := make([]block, len(news))
	for i, nb := range news {
		st := combine(d.pieces[nb.from:nb.to])
		start := len(s.txn.arena)
		s.txn.arena = AppendStruct(s.txn.arena, &st)
		end := len(s.txn.arena)
		add[i] = block{clock: st.ID.Clock, length: st.Length, enc: s.txn.arena[start:end:end]}
		c.encBytes += len(add[i].enc)
		c.pendBytes += blockCost(&add[i]) // new blocks start pending
	}
	var pos []int
	c.pend, pos = insertBlocks(c.pend, news, add)
	for i, p := range pos { // the gaps around them now
		if g, ok := c.gapBefore(p); ok {
			c.addGap(g)
		}
		if next := p + 1; next < len(c.pend) && (i+1 == len(pos) || pos[i+1] != next) {
			g, _ := c.gapBefore(next)
			c.addGap(g)
		}
	}
	s.txn.ops = append(s.txn.ops, undoOp{kind: opInsertBlocks, c: c, pos: pos})
	s.txn.news = news[:0]
}

// insertBlocks inserts add[i] before blocks[news[i].idx] (news sorted by idx) and returns
// the new slice with the final positions of the inserted blocks, moving each old block
// once.
func insertBlocks(blocks []block, news []newBlock, add []block) ([]block, []int) {
	n, k := len(blocks), len(add)
	blocks = slices.Grow(blocks, k)[:n+k]
	pos := make([]int, k)
	w, r := n+k-1, n-1
	for j := k - 1; j >= 0; j-- {
		for ; r >= news[j].idx; r-- {
			blocks[w] = blocks[r]
			w--
		}
		blocks[w], pos[j] = add[j], w
		w--
	}
	return blocks, pos
}

// gapBefore returns the gap between c.pend[i] and the block before it (the last
// integrated one when i is 0); without a block before it, there is none.
func (c *client) gapBefore(i int) (uint64, bool) {
	if i > 0 {
		return c.pend[i].clock - c.pend[i-1].end(), true
	}
	if len(c.ints) > 0 {
		return c.pend[0].clock - c.state, true
	}
	return 0, false
}

// combine joins consecutive mergeable pieces into one struct.
func combine(ps []Struct) Struct {
	st := ps[0]
	if len(ps) == 1 {
		return st
	}
	for _, p := range ps[1:] {
		st.Length += p.Length
	}
	switch st.Ref() {
	case RefDeleted:
		st.Content.n = st.Length
	case RefString, RefJSON, RefAny:
		var b strings.Builder
		st.Content.n = 0 // the element count; RefString has none
		for _, p := range ps {
			b.WriteString(p.Content.data)
			st.Content.n += p.Content.n
		}
		st.Content.data = b.String()
	}
	return st
}
