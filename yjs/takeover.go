package yjs

import (
	"slices"
	"sort"
)

// Take-over: yjs integrates the structs of a new update before it retries its old
// pending ones. So when a range the store holds as a blocked pending block arrives again
// in another form that can be integrated at once (a GC struct from a peer that collected
// the item, say), yjs integrates the new form and later skips the old one. The store
// does the same: that is the one case where a known (pending) range is replaced and
// appears in the delta again. A new form that cannot be integrated either is dropped,
// and the older pending block stays.

// alt is a struct of the update in progress that overlapped pending blocks.
type alt struct {
	c  *client
	st *Struct
}

// findAlt returns a struct of the update in progress that covers clock at of client c.
func (s *Store) findAlt(c *client, at uint64) *Struct {
	alts := s.txn.alts
	i := sort.Search(len(alts), func(k int) bool {
		a := &alts[k]
		return a.c.id > c.id || (a.c.id == c.id && a.st.ID.Clock > at)
	})
	if i == 0 || alts[i-1].c != c || alts[i-1].st.End() <= at {
		return nil
	}
	return alts[i-1].st
}

// takeOver integrates the part of st from c.state on in place of the blocked pending
// blocks it covers, if that part can be integrated now.
func (s *Store) takeOver(c *client, st *Struct) bool {
	part := clipStruct(*st, c.state, st.End())
	if _, blocked := s.missingOf(c, part.Info, part.Origin, part.RightOrigin,
		part.ParentIsName, part.ParentID); blocked {
		return false
	}
	end := part.End()
	i := c.nInt
	j := i
	for j < len(c.blocks) && c.blocks[j].clock < end {
		j++
	}
	repl := []block{{clock: part.ID.Clock, length: part.Length, enc: AppendStruct(nil, &part)}}
	if last := &c.blocks[j-1]; last.end() > end { // keep the tail of the last block
		tailSt, err := decodeBlock(c.id, last)
		if err != nil {
			return false
		}
		tail := sliceStruct(tailSt, end-last.clock)
		repl = append(repl, block{clock: end, length: tail.Length, enc: AppendStruct(nil, &tail)})
	}
	s.touch(c)
	old := slices.Clone(c.blocks[i:j])
	for k := range old {
		c.encBytes -= len(old[k].enc)
		c.pendEnc -= len(old[k].enc)
	}
	c.encBytes += len(repl[0].enc)
	if len(repl) > 1 {
		c.encBytes += len(repl[1].enc)
		c.pendEnc += len(repl[1].enc)
	}
	c.blocks = slices.Replace(c.blocks, i, j, repl...)
	s.txn.ops = append(s.txn.ops, undoOp{kind: opTakeOver, c: c, idx: i, blocks: old, n: len(repl)})
	s.txn.delta.replace(c.id, part)
	c.overID = s.txn.id
	c.nInt++
	s.advance(c, end)
	return true
}

// A yjs peer that held the old pending block retries its pending structs only when a
// client it recorded as missing advances, and the client that a take-over advances is
// not among them: the peer would keep the blocks after the taken-over range pending. So
// after a take-over, the client's old pending blocks that now integrate go into the
// delta too, and such a peer integrates them as it reads the delta.
func (s *Store) resend(c *client, b *block) {
	if c.overID != s.txn.id {
		return
	}
	if st, err := decodeBlock(c.id, b); err == nil {
		s.txn.delta.replace(c.id, st)
	}
}

// replace puts p into the delta in place of whatever parts of its range it held.
func (d *deltaBuilder) replace(client uint64, p Struct) {
	lo, hi := p.ID.Clock, p.End()
	kept := d.pieces[:0:0]
	for _, q := range d.pieces {
		if q.ID.Client != client || q.End() <= lo || q.ID.Clock >= hi {
			kept = append(kept, q)
			continue
		}
		if q.ID.Clock < lo {
			kept = append(kept, clipStruct(q, q.ID.Clock, lo))
		}
		if q.End() > hi {
			kept = append(kept, clipStruct(q, hi, q.End()))
		}
	}
	d.pieces = append(kept, p)
}
