package yjs

import (
	"cmp"
	"fmt"
	"slices"
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
	budget := stepBase + stepPerStruct*len(ints)
	m.steps = budget
	for i := range ints {
		if m.integrate(&ints[i]); m.steps <= 0 {
			s.dropModel(len(ints), budget)
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
	if m.steps <= 0 {
		s.dropModel(len(ints), budget)
		return
	}
	if gs := m.finish(); len(gs) > 0 {
		s.compactAll(gs)
	}
}

// dropModel gives up the document model after an Apply spent its steps (see stepBase).
func (s *Store) dropModel(structs, budget int) {
	s.m = nil
	s.modelErr = fmt.Errorf("the document model was dropped: an update of %d structs "+
		"took more than %d steps (ordering concurrent inserts, or copying texts split "+
		"inside surrogate pairs)", structs, budget)
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
	if from < to && s.m.steps > 0 {
		s.m.deleteRange(client, from, to-from)
	}
}

// compactAll rewrites the integrated blocks over the ranges garbage collection
// changed: the deleted ones first, then the GC ones (which win where both apply).
func (s *Store) compactAll(gs []compaction) {
	var deleted, gcs []compaction
	for _, g := range gs {
		if g.gc {
			gcs = append(gcs, g)
		} else {
			deleted = append(deleted, g)
		}
	}
	for _, set := range [][]compaction{deleted, gcs} {
		set = joinRanges(set)
		for i := 0; i < len(set); {
			j := i + 1
			for j < len(set) && set[j].client == set[i].client {
				j++
			}
			s.compactClient(s.lookup(set[i].client), set[i:j])
			i = j
		}
	}
}

// joinRanges sorts ranges of one kind by client and clock and joins those that overlap
// or touch.
func joinRanges(gs []compaction) []compaction {
	slices.SortFunc(gs, func(a, b compaction) int {
		if c := cmp.Compare(a.client, b.client); c != 0 {
			return c
		}
		return cmp.Compare(a.clock, b.clock)
	})
	out := gs[:0]
	for _, g := range gs {
		if n := len(out); n > 0 && out[n-1].client == g.client &&
			g.clock <= out[n-1].clock+out[n-1].length {
			last := &out[n-1]
			last.length = max(last.clock+last.length, g.clock+g.length) - last.clock
			continue
		}
		out = append(out, g)
	}
	return out
}

// compactClient rewrites one client's integrated blocks over gs (one kind, sorted,
// disjoint) in one pass over the blocks they touch and their two neighbours: the parts
// in a range become deleted content, or GC ranges, and neighbours merge where yjs would
// merge them. The blocks after the window move once.
func (s *Store) compactClient(c *client, gs []compaction) {
	gc := gs[0].gc
	end := gs[len(gs)-1].clock + gs[len(gs)-1].length
	from := sort.Search(len(c.ints), func(k int) bool { return c.ints[k].end() > gs[0].clock })
	to := sort.Search(len(c.ints), func(k int) bool { return c.ints[k].clock >= end })
	from, to = max(from-1, 0), min(to+1, len(c.ints)) // the neighbours may merge
	s.removeShare(c)
	out := make([]block, 0, to-from+2*len(gs))
	g := 0
	for k := from; k < to; k++ {
		b := c.ints[k]
		for g < len(gs) && gs[g].clock+gs[g].length <= b.clock {
			g++
		}
		if g == len(gs) || gs[g].clock >= b.end() || !converts(b, gc) {
			out = append(out, b)
			continue
		}
		st, err := decodeBlock(c.id, &b)
		if err != nil {
			out = append(out, b)
			continue
		}
		// The block's cuts and which pieces the ranges cover, cut in one pass.
		var offs []uint64
		var in []bool
		at := b.clock
		for ; g < len(gs) && gs[g].clock < b.end(); g++ {
			lo, hi := max(gs[g].clock, b.clock), min(gs[g].clock+gs[g].length, b.end())
			if lo > at {
				offs, in = append(offs, lo-b.clock), append(in, false)
			}
			if hi < b.end() {
				offs = append(offs, hi-b.clock)
			}
			in, at = append(in, true), hi
			if hi == b.end() {
				break // the range may go on into the next block
			}
		}
		if at < b.end() {
			in = append(in, false)
		}
		for i, p := range cutStruct(st, offs) {
			if in[i] {
				p = collected(p, gc)
			}
			out = append(out, encodeBlock(p))
		}
	}
	out = mergeRun(c, out)
	for k := from; k < to; k++ {
		c.encBytes -= len(c.ints[k].enc)
	}
	for k := range out {
		c.encBytes += len(out[k].enc)
	}
	c.ints = slices.Replace(c.ints, from, to, out...)
	s.addShare(c)
}

// converts reports whether garbage collection changes block b: a GC range never
// changes, and deleted content only becomes a GC range.
func converts(b block, gc bool) bool {
	h := parseHead(b.enc)
	return h.ref() != RefGC && (gc || h.ref() != RefDeleted)
}

// collected is what garbage collection makes of a struct: a GC range, or an item whose
// content is only its length.
func collected(st Struct, gc bool) Struct {
	if gc {
		return Struct{ID: st.ID, Length: st.Length, Info: RefGC}
	}
	st.Info = st.Info&^infoRefMask | RefDeleted
	st.Content = DeletedContent(st.Length)
	return st
}

// mergeRun merges consecutive blocks of a client's run where yjs would merge their
// structs, in place.
func mergeRun(c *client, run []block) []block {
	w := 0
	for _, b := range run {
		if w > 0 && join(c.id, &run[w-1], &b) {
			continue
		}
		run[w] = b
		w++
	}
	clear(run[w:])
	return run[:w]
}

// encodeBlock makes a block of a struct.
func encodeBlock(st Struct) block {
	return block{clock: st.ID.Clock, length: st.Length, enc: AppendStruct(nil, &st)}
}

// mergeInts merges integrated block i+1 into block i where yjs would merge the two
// structs, and reports whether it did.
func (s *Store) mergeInts(c *client, i int) bool {
	a, b := &c.ints[i], &c.ints[i+1]
	before := len(a.enc) + len(b.enc)
	if !join(c.id, a, b) {
		return false
	}
	c.encBytes += len(a.enc) - before
	c.ints = append(c.ints[:i+1], c.ints[i+2:]...)
	return true
}

// join extends block a by block b, which follows it, where yjs would merge their
// structs, and reports whether it did. b's content is read only when the heads allow it.
func join(client uint64, a, b *block) bool {
	h := parseHead(a.enc)
	hb := parseHead(b.enc)
	if !mergeable(&h, client, a.end(), &Struct{Info: hb.info, Origin: hb.origin,
		RightOrigin: hb.right}) {
		return false
	}
	sb, err := decodeBlock(client, b)
	if err != nil {
		return false
	}
	a.enc, a.length = joined(a, &h, &sb), a.length+b.length
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
