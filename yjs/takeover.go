package yjs

import "sort"

// Take-over: yjs integrates the structs of a new update before it retries its old
// pending ones. So when a range the store holds as a pending block arrives again in
// another form that the update lets it integrate (a GC struct from a peer that
// collected the item, or the update's own structs filling the gap before it), yjs
// integrates the new form and later skips the old one. The store does the same: when
// the client's clock reaches a range the update covers and its form can be integrated,
// it wins over the pending block there. That is the one case where a known (pending)
// range is replaced and appears in the delta again. A new form that cannot be
// integrated is dropped, and the older pending block stays.
//
// TODO: a new form that can be integrated only after old pending blocks of other clients
// are, wins here too; yjs would have put it among its pending structs and kept the old
// form. Only hostile updates send two forms of one range, so peers still agree with the
// store, but not with a Y.Doc fed the same updates.

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
// blocks it covers, if that part can be integrated now. The covered blocks leave the
// front of c.pend; a block only partly covered keeps its tail there.
func (s *Store) takeOver(c *client, st *Struct) bool {
	part := clipStruct(*st, c.state, st.End())
	if _, blocked := s.missingOf(c, part.Info, part.Origin, part.RightOrigin,
		part.ParentIsName, part.ParentID); blocked {
		return false
	}
	end := part.End()
	old := c.pend
	j := 0
	for j < len(old) && old[j].clock < end {
		j++
	}
	op := undoOp{kind: opTakeOver, c: c, idx: -1, pend: old}
	newLast := end
	var tail block
	if last := &old[j-1]; last.end() > end { // keep the tail of the last block
		tailSt, err := decodeBlock(c.id, last)
		if err != nil {
			return false
		}
		tailSt = sliceStruct(tailSt, end-last.clock)
		tail = block{clock: end, length: tailSt.Length, enc: AppendStruct(nil, &tailSt)}
		newLast = last.end()
	}
	s.touch(c)
	for k := 0; k < j; k++ {
		c.encBytes -= len(old[k].enc)
		c.pendBytes -= blockCost(&old[k])
		if k > 0 {
			c.removeGap(old[k].clock - old[k-1].end())
		}
	}
	if j < len(old) {
		c.removeGap(old[j].clock - old[j-1].end())
		c.addGap(old[j].clock - newLast)
	}
	if tail.length > 0 {
		op.idx, op.old = j-1, old[j-1]
		c.pend = old[j-1:]
		c.pend[0] = tail
		c.encBytes += len(tail.enc)
		c.pendBytes += blockCost(&tail)
	} else if j < len(old) {
		c.pend = old[j:]
	} else {
		c.pend = nil
	}
	pb := block{clock: part.ID.Clock, length: part.Length, enc: AppendStruct(nil, &part)}
	c.ints = append(c.ints, pb)
	s.txn.joins = append(s.txn.joins, ID{c.id, pb.clock})
	s.integrated(&part)
	c.encBytes += len(pb.enc)
	s.txn.ops = append(s.txn.ops, op)
	s.txn.delta.overrides = append(s.txn.delta.overrides, part)
	c.overID = s.txn.id
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
		s.txn.delta.overrides = append(s.txn.delta.overrides, st)
	}
}
