package yjs

// Pending structs: a block is integrated only when its client's clock has reached it and
// every other client it refers to (origin, right origin, parent item) has integrated the
// unit it names, as yjs's getMissing demands. A client whose first pending block waits
// for another client is listed in that client's waiters and looked at again when that
// client advances, so the work is proportional to what gets unlocked.

// drain integrates the first pending blocks of the clients in the work list for as long
// as their dependencies allow.
func (s *Store) drain() {
	for len(s.txn.work) > 0 {
		c := s.txn.work[len(s.txn.work)-1]
		s.txn.work = s.txn.work[:len(s.txn.work)-1]
		for len(c.pend) > 0 {
			b := &c.pend[0]
			if b.clock != c.state {
				break // a gap: wait for the client's own missing structs
			}
			if a := s.findAlt(c, c.state); a != nil && s.takeOver(c, a) {
				continue
			}
			if dep, ok := s.missing(c, b); ok {
				s.wait(c, dep)
				break
			}
			s.touch(c)
			s.resend(c, b)
			s.txn.joins = append(s.txn.joins, ID{c.id, b.clock})
			if s.m != nil {
				if st, err := decodeBlock(c.id, b); err == nil {
					s.integrated(&st)
				}
			}
			s.txn.ops = append(s.txn.ops, undoOp{kind: opIntegrate, c: c, pend: c.pend})
			c.pendBytes -= blockCost(b)
			c.ints = append(c.ints, *b)
			c.pend = popFront(c.pend)
			s.advance(c, c.state+c.ints[len(c.ints)-1].length)
		}
	}
}

// missing returns a client whose integration b waits for, if any.
func (s *Store) missing(c *client, b *block) (uint64, bool) {
	h := parseHead(b.enc)
	return s.missingOf(c, h.info, h.origin, h.right, h.parentIsName, h.parent)
}

// missingOf returns a client whose integration an item of c with these references waits
// for, if any (yjs's getMissing).
func (s *Store) missingOf(c *client, info byte, origin, right ID, parentIsName bool,
	parent ID,
) (uint64, bool) {
	if r := info & infoRefMask; r == RefGC || r == RefSkip {
		return 0, false
	}
	if info&InfoOrigin != 0 && s.lacks(c, origin) {
		return origin.Client, true
	}
	if info&InfoRightOrigin != 0 && s.lacks(c, right) {
		return right.Client, true
	}
	if info&(InfoOrigin|InfoRightOrigin) == 0 && !parentIsName && s.lacks(c, parent) {
		return parent.Client, true
	}
	return 0, false
}

// lacks reports whether id, named by a block of c, is another client's unit that is not
// integrated yet. Units of c itself are below the block (checked on decode).
func (s *Store) lacks(c *client, id ID) bool {
	return id.Client != c.id && id.Clock >= s.stateOf(id.Client)
}

// wait registers c as waiting for client dep.
func (s *Store) wait(c *client, dep uint64) {
	if c.blocked && c.blockedOn == dep {
		return
	}
	s.touch(c)
	c.blocked, c.blockedOn = true, dep
	d := s.get(dep)
	s.touch(d)
	d.waiters = append(d.waiters, c.id)
}

// advance moves a client's integrated clock to state: delete ranges it now covers stop
// being pending, and clients waiting for it are queued to be looked at again.
func (s *Store) advance(c *client, state uint64) {
	old := c.state
	c.state = state
	for r := range c.dels.endingAfter(old) {
		if r.End() > state {
			break
		}
		c.pendDel -= rangeCost(r)
	}
	if len(c.waiters) == 0 {
		return
	}
	for _, w := range c.waiters {
		if wc := s.lookup(w); wc != nil && wc.blocked && wc.blockedOn == c.id {
			s.touch(wc)
			wc.blocked = false
			s.txn.work = append(s.txn.work, wc)
		}
	}
	c.waiters = nil
}

// popFront drops the first pending block without moving the others.
// The last one leaves the array in place, empty, for the client's next new block: a
// rollback of this Apply still finds the block in it (nothing is inserted after drain),
// and commit clears it.
func popFront(pend []block) []block {
	if len(pend) == 1 {
		return pend[:0]
	}
	return pend[1:]
}
