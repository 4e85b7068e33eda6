package yjs

// finish ends an Apply for the model, as a Y.Doc ends a transaction: the items deleted
// in it are garbage-collected (unless history is kept) and structs that yjs would merge
// are merged. It returns what garbage collection changed, for the store to rewrite.
func (m *model) finish() []compaction {
	if !m.keep {
		for _, d := range m.deletes {
			m.collectRange(d)
		}
	}
	for _, it := range m.merges {
		m.mergeAround(it)
	}
	clear(m.merges)
	m.merges = m.merges[:0]
	m.deletes = m.deletes[:0]
	out := m.out
	m.out = nil
	return out
}

// collectRange garbage-collects the deleted items in a deleted range (yjs's
// tryGcDeleteSet).
func (m *model) collectRange(d compaction) {
	end := d.clock + d.length
	for at := d.clock; at < end; {
		it, _ := m.find(ID{d.client, at})
		if !it.isGC() && it.deleted() {
			m.collect(it, false)
		}
		at = it.end()
	}
}

// collect drops the content of a deleted item, keeping its length (yjs's Item.gc). A
// type's items all become GC ranges, and so do theirs; the type forgets them.
func (m *model) collect(it *item, parentGone bool) {
	type job struct {
		it   *item
		gone bool
	}
	stack := []job{{it, parentGone}}
	for len(stack) > 0 {
		j := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		it := j.it
		if it.isGC() || !it.deleted() {
			continue
		}
		if t := it.typ; t != nil {
			for c := t.start; c != nil; c = c.right {
				stack = append(stack, job{c, true})
			}
			for _, c := range t.keys {
				for ; c != nil; c = c.left {
					stack = append(stack, job{c, true})
				}
			}
			t.start, t.keys = nil, nil
		}
		switch {
		case j.gone:
			m.out = append(m.out, compaction{it.id.Client, it.id.Clock, it.length, true})
			*it = item{id: it.id, length: it.length, ref: RefGC, merged: it.merged}
			m.merges = append(m.merges, it)
		case it.ref != RefDeleted:
			it.idx = nil
			m.out = append(m.out, compaction{it.id.Client, it.id.Clock, it.length, false})
			it.ref, it.n, it.data, it.key, it.typ = RefDeleted, it.length, nil, "", nil
			it.flags &^= fASCII
			m.merges = append(m.merges, it)
		}
	}
}

// mergeAround merges it into the struct before it and the struct after it into it,
// where yjs would.
func (m *model) mergeAround(it *item) {
	if it.merged {
		return
	}
	// An item merges only with the same client's item next to it in both the client's
	// clocks and its parent's list: without such a neighbour there is nothing to look up.
	if !it.isGC() && !sameClientNext(it.left, it) && !sameClientNext(it, it.right) {
		return
	}
	l := m.structs[it.id.Client]
	p := l.find(it.id.Clock)
	if n, ok := l.next(p); ok {
		m.tryMerge(l, p, n)
	}
	if b, ok := l.prev(p); ok {
		m.tryMerge(l, b, p)
	}
}

// sameClientNext reports whether b follows a in the same client's clocks.
func sameClientNext(a, b *item) bool {
	return a != nil && b != nil && a.id.Client == b.id.Client && a.end() == b.id.Clock
}

// tryMerge merges the struct at q into the one before it at p if yjs would
// (GC.mergeWith, Item.mergeWith).
func (m *model) tryMerge(l *structList, p, q pos) {
	a, b := l.at(p), l.at(q)
	if a.isGC() || b.isGC() {
		if !a.isGC() || !b.isGC() {
			return
		}
	} else if a.deleted() != b.deleted() || a.ref != b.ref || !countable(a.ref) ||
		a.right != b || !b.has(fOrigin) || b.origin != a.lastID() || !sameRightOrigin(a, b) {
		return
	}
	a.length += b.length
	switch a.ref {
	case RefDeleted:
		a.n += b.n
	case RefAny, RefJSON:
		a.n += b.n
		a.data = append(a.data, b.data...)
	case RefString:
		a.data = append(a.data, b.data...)
		a.flags &= b.flags | ^fASCII
	}
	if !a.isGC() {
		a.right = b.right
		if a.right != nil {
			a.right.left = a
		}
		if b.has(fSub) && b.parent.keys[b.parentSub] == b {
			b.parent.keys[b.parentSub] = a
		}
	}
	b.merged = true
	l.remove(q)
	a.idx, b.idx = nil, nil // a's covered its old text only; made again when needed
}
