package yjs

// Integration: where a struct the store integrated goes in the model, as yjs's
// Item.getMissing and Item.integrate decide, with YATA's ordering of concurrent inserts.

// integrate adds one struct the store integrated, as yjs's getMissing and integrate
// do; whatever it names is in the model already.
func (m *model) integrate(st *Struct) {
	if st.Ref() == RefGC {
		m.addStruct(&item{id: st.ID, length: st.Length, ref: RefGC})
		return
	}
	if m.extend(st) {
		return
	}
	it := newItem(st)
	var parent *ytype
	if it.has(fOrigin) {
		it.left = m.cleanEnd(it.origin)
	}
	if it.has(fRight) {
		// Typed between two units that were neighbours, the right origin starts the
		// struct after the left one, split there just now: no need to look it up.
		if l := it.left; l != nil && l.right != nil && l.right.id == it.rightOrigin {
			it.right = l.right
		} else {
			it.right = m.cleanStart(it.rightOrigin)
		}
	}
	switch {
	case it.left != nil && it.left.isGC(), it.right != nil && it.right.isGC():
	case !st.writesParent():
		from := it.left
		if from == nil {
			from = it.right
		}
		parent = from.parent
		it.parentSub = from.parentSub
		it.flags |= from.flags & fSub
	case st.ParentIsName:
		parent = m.root(st.ParentName)
	default:
		// A parent ID inside an item that is no type leaves yjs's parent undefined:
		// the item is integrated as a GC range, as is one whose parent was collected.
		if p, _ := m.find(st.ParentID); p.ref == RefType && p.typ != nil {
			parent = p.typ
		}
	}
	if st.writesParent() && st.Info&InfoParentSub != 0 {
		it.parentSub = st.ParentSub
		it.flags |= fSub
	}
	if parent == nil {
		m.addStruct(&item{id: it.id, length: it.length, ref: RefGC})
		if !m.keep {
			m.out = append(m.out, compaction{it.id.Client, it.id.Clock, it.length, true})
		}
		return
	}
	it.parent = parent
	m.place(it)
	if !it.has(fSub) && it.countable() {
		parent.length += it.length
	}
	m.addStruct(it)
	switch it.ref {
	case RefString:
		m.indexText(it)
	case RefType:
		it.typ = &ytype{item: it, ref: it.n}
	case RefDeleted:
		it.flags |= fDeleted
		m.deletes = append(m.deletes, compaction{it.id.Client, it.id.Clock, it.length, false})
	}
	if (parent.item != nil && parent.item.deleted()) || (it.has(fSub) && it.right != nil) {
		m.delete(it)
	}
}

// extend takes the common case of typing at the end of one's own text without making an
// item: st continues the client's last item, right where that item's neighbours would
// leave it, and yjs would merge the two. It reports whether it did.
func (m *model) extend(st *Struct) bool {
	l := m.structs[st.ID.Client]
	if !st.HasOrigin() || l == nil || st.Origin != (ID{st.ID.Client, st.ID.Clock - 1}) {
		return false
	}
	last := l.last()
	if last.end() != st.ID.Clock || last.isGC() || last.deleted() || last.has(fSub) ||
		last.ref != st.Ref() || (last.ref != RefString && last.ref != RefAny && last.ref != RefJSON) ||
		last.has(fRight) != st.HasRightOrigin() || (st.HasRightOrigin() &&
		st.RightOrigin != last.rightOrigin) {
		return false
	}
	if r := last.right; (r == nil) != !st.HasRightOrigin() ||
		(r != nil && (r.isGC() || r.id != st.RightOrigin)) {
		return false
	}
	if p := last.parent.item; p != nil && p.deleted() {
		return false
	}
	last.length += st.Length
	last.parent.length += st.Length
	last.data = append(last.data, st.Content.data...)
	switch last.ref {
	case RefString:
		if !isASCII(st.Content.data) {
			last.flags &^= fASCII
		}
		last.idx = nil
	default:
		last.n += st.Content.n
	}
	return true
}

// place finds the item's neighbours among concurrent inserts (YATA) and links it in.
func (m *model) place(it *item) {
	parent := it.parent
	sub := it.has(fSub)
	if (it.left == nil && (it.right == nil || it.right.left != nil)) ||
		(it.left != nil && it.left.right != it.right) {
		left := it.left
		var o *item
		switch {
		case left != nil:
			o = left.right
		case sub:
			o = parent.keys[it.parentSub]
			for o != nil && o.left != nil {
				o = o.left
			}
		default:
			o = parent.start
		}
		if o != nil && o != it.right {
			left = m.resolve(it, left, o)
		}
		it.left = left
	}
	if it.left != nil {
		it.right = it.left.right
		it.left.right = it
	} else {
		var r *item
		if sub {
			r = parent.keys[it.parentSub]
			for r != nil && r.left != nil {
				r = r.left
			}
		} else {
			r = parent.start
			parent.start = it
		}
		it.right = r
	}
	if it.right != nil {
		it.right.left = it
	} else if sub {
		parent.setKey(it)
		if it.left != nil {
			m.delete(it.left)
		}
	}
}

// Ordering concurrent inserts walks past the items inserted at the same place before,
// so n concurrent inserts cost n²/2 steps, in yjs as here: an update of 100,000 items
// all naming the start of one root (600 KB) would take minutes. Splitting a text inside
// a surrogate pair copies it (a step per copyPerStep bytes), so an update of many such
// splits in a long text would too. An Apply may take stepBase steps plus stepPerStruct
// per struct it integrates; honest edits take a few per struct. Past that the model is
// dropped (see Store.ModelErr): the store keeps merging, relaying and encoding updates,
// but the document is no longer read or collected.
const (
	stepBase      = 1 << 21
	stepPerStruct = 64
)

// resolve walks the conflicting items from o on and returns the item to insert after
// (YATA's ordering of concurrent inserts, as yjs's integrate runs it). yjs keeps two
// sets: the items seen in this walk, and those seen since left last moved. Stamping
// each item seen with a counter that only grows gives both: seen means a stamp past
// the walk's start, and since left moved a stamp past left's.
func (m *model) resolve(it, left, o *item) *item {
	start := m.stamp
	moved := start
	for o != nil && o != it.right && m.steps > 0 {
		m.steps--
		m.stamp++
		o.stamp = m.stamp
		if sameOrigin(it, o) {
			if o.id.Client < it.id.Client {
				left, moved = o, o.stamp
			} else if sameRightOrigin(it, o) {
				break
			}
		} else if o.has(fOrigin) {
			oo, _ := m.find(o.origin)
			if oo.stamp <= start {
				break
			}
			if oo.stamp <= moved {
				left, moved = o, o.stamp
			}
		} else {
			break
		}
		o = o.right
	}
	return left
}

func sameOrigin(a, b *item) bool {
	return a.flags&fOrigin == b.flags&fOrigin && (!a.has(fOrigin) || a.origin == b.origin)
}

func sameRightOrigin(a, b *item) bool {
	return a.flags&fRight == b.flags&fRight && (!a.has(fRight) || a.rightOrigin == b.rightOrigin)
}
