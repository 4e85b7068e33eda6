package yjs

import (
	"fmt"
	"sort"
)

// Keeping the document model and the blocks in step. After an Apply the model takes the
// structs the store integrated and the deletes that now cover integrated structs, and
// garbage collection in the model says which ranges lost their content; the store
// rewrites the blocks holding them, so that Encode writes the compacted document.

// integrated records a struct the Apply in progress integrated, for the model. A failed
// Apply drops the record with the rest of its journal.
func (s *Store) integrated(st *Struct) {
	if s.m != nil {
		s.txn.ints = append(s.txn.ints, *st)
	}
}

// updateModel hands the model what the Apply integrated and deleted, then rewrites the
// blocks garbage collection changed. It runs once the Apply can no longer fail.
func (s *Store) updateModel(d *deltaBuilder) {
	m := s.m
	ints := s.txn.ints
	m.steps = stepBase + stepPerStruct*len(ints)
	for i := range ints {
		m.integrate(&ints[i])
		if m.steps <= 0 {
			s.m = nil
			s.modelErr = fmt.Errorf("the document model was dropped: an update of %d "+
				"structs took more than %d steps to order concurrent inserts",
				len(ints), stepBase+stepPerStruct*len(ints))
			return
		}
	}
	for i := range ints { // deletes that arrived before the structs they cover
		st := &ints[i]
		c := s.lookup(st.ID.Client)
		for _, r := range c.dels.span(st.ID.Clock, st.End()) {
			s.deleteIntegrated(st.ID.Client, max(r.Clock, st.ID.Clock), min(r.End(), st.End()))
		}
	}
	for _, cd := range d.dels {
		for _, r := range cd.Ranges {
			s.deleteIntegrated(cd.Client, r.Clock, r.End())
		}
	}
	for _, g := range m.finish() {
		s.compact(g)
	}
}

// joinBlocks merges each block that became integrated whole in this Apply (a pending
// block, or a take-over) into the integrated block before it where yjs would merge the
// two structs. Pieces that extend the last integrated block directly are merged as they
// come (see tryMerge); these were stored apart while they waited.
func (s *Store) joinBlocks() {
	for _, id := range s.txn.joins {
		c := s.lookup(id.Client)
		i := sort.Search(len(c.ints), func(k int) bool { return c.ints[k].clock >= id.Clock })
		if i == 0 || i == len(c.ints) || c.ints[i].clock != id.Clock {
			continue
		}
		s.removeShare(c)
		s.mergeInts(c, i-1)
		s.addShare(c)
	}
}

// deleteIntegrated deletes the integrated part of [from, to) of a client in the model.
func (s *Store) deleteIntegrated(client, from, to uint64) {
	to = min(to, s.stateOf(client))
	if from < to {
		s.m.deleteRange(client, from, to-from)
	}
}

// compact rewrites the integrated blocks of one client over a range garbage collection
// changed: the part in the range becomes deleted content, or a GC range, and merges
// with its neighbours where yjs would merge.
func (s *Store) compact(g compaction) {
	c := s.lookup(g.client)
	s.removeShare(c)
	end := g.clock + g.length
	i := sort.Search(len(c.ints), func(k int) bool { return c.ints[k].end() > g.clock })
	for i < len(c.ints) && c.ints[i].clock < end {
		b := c.ints[i]
		st, err := decodeBlock(c.id, &b)
		if err != nil || st.Ref() == RefGC || (!g.gc && st.Ref() == RefDeleted) {
			i++
			continue
		}
		lo, hi := max(g.clock, b.clock), min(end, b.end())
		parts := make([]block, 0, 3)
		if lo > b.clock {
			parts = append(parts, encodeBlock(truncateStruct(st, lo-b.clock)))
		}
		mid := clipStruct(st, lo, hi)
		if g.gc {
			mid = Struct{ID: mid.ID, Length: mid.Length, Info: RefGC}
		} else {
			mid.Info = mid.Info&^infoRefMask | RefDeleted
			mid.Content = DeletedContent(mid.Length)
		}
		parts = append(parts, encodeBlock(mid))
		if hi < b.end() {
			parts = append(parts, encodeBlock(sliceStruct(st, hi-b.clock)))
		}
		c.encBytes -= len(b.enc)
		for k := range parts {
			c.encBytes += len(parts[k].enc)
		}
		c.ints = append(c.ints[:i], append(parts, c.ints[i+1:]...)...)
		at := i
		if lo > b.clock {
			at++
		}
		i = at + 1
		if i < len(c.ints) && s.mergeInts(c, at) {
			i--
		}
		if at > 0 && s.mergeInts(c, at-1) {
			i--
		}
	}
	s.addShare(c)
}

// encodeBlock makes a block of a struct.
func encodeBlock(st Struct) block {
	return block{clock: st.ID.Clock, length: st.Length, enc: AppendStruct(nil, &st)}
}

// mergeInts merges integrated block i+1 into block i where yjs would merge the two
// structs, and reports whether it did.
func (s *Store) mergeInts(c *client, i int) bool {
	a, b := &c.ints[i], &c.ints[i+1]
	h := parseHead(a.enc)
	sb, err := decodeBlock(c.id, b)
	if err != nil || !mergeable(&h, c.id, a.end(), &sb) {
		return false
	}
	enc := joined(a, &h, &sb)
	c.encBytes += len(enc) - len(a.enc) - len(b.enc)
	a.enc, a.length = enc, a.length+b.length
	c.ints = append(c.ints[:i+1], c.ints[i+2:]...)
	return true
}

// addShare adds a client's part to the store-wide counters (undoing removeShare).
func (s *Store) addShare(c *client) {
	if c.nBlocks() > 0 {
		s.nStructClients++
	}
	if c.dels.Len() > 0 {
		s.nDSClients++
	}
	s.structBytes += c.runSize()
	s.dsBytes += c.dsSize()
	s.pending += c.pendBytes + c.pendDel
}
