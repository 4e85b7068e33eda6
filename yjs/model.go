package yjs

import (
	"unicode/utf8"
	"unsafe"
)

// The document model: the shared types and their items that a Y.Doc builds from the
// structs the store integrates. It follows yjs's own algorithm (Item.getMissing,
// Item.integrate, Item.delete, Item.gc, Item.mergeWith) so that the document, and what
// garbage collection makes of it, is the one a Y.Doc fed the same updates holds.
//
// The store feeds the model after every successful Apply: the structs it integrated, in
// the order it integrated them, then the delete ranges that now cover integrated
// structs. The model answers with the ranges that garbage collection changed, which the
// store rewrites in its blocks (see compact.go).

// Item flags.
const (
	fOrigin  uint8 = 1 << iota // origin is set
	fRight                     // rightOrigin is set
	fSub                       // parentSub is set (a map entry; "" is a valid key)
	fDeleted                   // deleted
	fASCII                     // RefString data is ASCII only: UTF-16 units = bytes
)

// item is one struct of the model: an item of a shared type, or a GC range (ref RefGC,
// no parent). Content sits inline: data holds the text of RefString, the encoded
// elements of RefAny and RefJSON, the JSON of RefEmbed and of a RefFormat value, the
// payload of RefBinary and the encoded options of RefDoc; key the format key, the node
// or hook name, or the guid; n the element count of RefAny and RefJSON and the type ref
// of RefType.
//
// data may share memory with a string of the store (then its capacity equals its
// length) and is never written in place below its length: merging appends, and a split
// gives the left part no spare capacity, so no two items write into the same bytes.
type item struct {
	id          ID
	length      uint64
	left, right *item
	origin      ID
	rightOrigin ID
	parent      *ytype
	parentSub   string
	typ         *ytype // the type a RefType item creates
	data        []byte
	key         string
	n           uint64
	ref         uint8
	flags       uint8
	merged      bool       // merged into the struct before it: no longer in the model
	stamp       uint64     // when resolve last saw it
	idx         *textIndex // of a long non-ASCII text (see textindex.go)
}

func (it *item) has(f uint8) bool { return it.flags&f != 0 }
func (it *item) deleted() bool    { return it.flags&fDeleted != 0 }
func (it *item) isGC() bool       { return it.ref == RefGC }
func (it *item) end() uint64      { return it.id.Clock + it.length }
func (it *item) lastID() ID       { return ID{it.id.Client, it.end() - 1} }

// countable reports whether the item takes room in its parent's list (yjs's
// isCountable): deleted content and format markers do not.
func (it *item) countable() bool {
	return it.ref != RefDeleted && it.ref != RefFormat && it.ref != RefGC
}

// Type refs of the model beside TypeArray ... TypeXMLText: a root type that no update
// declares (v1 updates do not say what a root is).
const typeRoot uint64 = 1 << 8

// ytype is a shared type: a root, or the type a RefType item created.
type ytype struct {
	item   *item  // the item that created it; nil for a root
	name   string // a root's name
	ref    uint64 // TypeArray ... TypeXMLText, or typeRoot
	start  *item  // first item of the list
	keys   map[string]*item
	length uint64 // countable units of the undeleted list items
}

// setKey makes it the current entry of its map key.
func (t *ytype) setKey(it *item) {
	if t.keys == nil {
		t.keys = make(map[string]*item)
	}
	t.keys[it.parentSub] = it
}

// compaction is a range of one client whose struct garbage collection changed: its
// content dropped (kept as a deleted length), or the whole struct made a GC range.
type compaction struct {
	client, clock, length uint64
	gc                    bool
}

// model is the document. Not safe for concurrent use.
type model struct {
	structs map[uint64]*structList // per client, sorted by clock, without gaps from 0
	roots   map[string]*ytype
	keep    bool // keep history: no garbage collection

	// The Apply in progress.
	deletes []compaction // ranges deleted (gc unused), for garbage collection
	merges  []*item      // items to try to merge with their left neighbour
	out     []compaction // what garbage collection changed
	stamp   uint64       // last stamp given to an item seen by resolve
	steps   int          // items resolve may still look at in this Apply (see stepBase)
}

func newModel(keepHistory bool) *model {
	return &model{structs: make(map[uint64]*structList), roots: make(map[string]*ytype),

		keep: keepHistory}
}

// root returns the root type of that name, creating it as a Y.Doc does when it decodes
// an item naming it.
func (m *model) root(name string) *ytype {
	t := m.roots[name]
	if t == nil {
		t = &ytype{name: name, ref: typeRoot}
		m.roots[name] = t
	}
	return t
}

// find returns the struct holding id and its place; the model must hold id.
func (m *model) find(id ID) (*item, pos) {
	l := m.structs[id.Client]
	p := l.find(id.Clock)
	return l.at(p), p
}

// cleanStart returns the item starting at id, splitting the one holding it (yjs's
// getItemCleanStart); a GC range is returned whole.
func (m *model) cleanStart(id ID) *item {
	it, p := m.find(id)
	if it.id.Clock < id.Clock && !it.isGC() {
		return m.split(it, p, id.Clock-it.id.Clock)
	}
	return it
}

// cleanEnd returns the item ending at id, splitting the one holding it (yjs's
// getItemCleanEnd); a GC range is returned whole.
func (m *model) cleanEnd(id ID) *item {
	it, p := m.find(id)
	if id.Clock != it.end()-1 && !it.isGC() {
		m.split(it, p, id.Clock-it.id.Clock+1)
	}
	return it
}

// split cuts the item at place p of its client after diff units and returns the right
// part, as yjs's splitItem does.
func (m *model) split(l *item, p pos, diff uint64) *item {
	r := &item{
		id:          ID{l.id.Client, l.id.Clock + diff},
		length:      l.length - diff,
		left:        l,
		origin:      ID{l.id.Client, l.id.Clock + diff - 1},
		right:       l.right,
		rightOrigin: l.rightOrigin,
		parent:      l.parent,
		parentSub:   l.parentSub,
		ref:         l.ref,
		key:         l.key,
		flags:       l.flags&(fRight|fSub|fDeleted|fASCII) | fOrigin,
	}
	m.splitData(l, r, diff)
	l.length = diff
	l.right = r
	if r.right != nil {
		r.right.left = r
	}
	if r.has(fSub) && r.right == nil {
		r.parent.setKey(r)
	}
	m.structs[l.id.Client].insertAfter(p, r)
	m.merges = append(m.merges, r)
	return r
}

// splitData divides l's content between l (the first diff units) and r.
func (m *model) splitData(l, r *item, diff uint64) {
	switch l.ref {
	case RefDeleted:
		l.n, r.n = diff, l.n-diff
	case RefAny, RefJSON:
		at := elemOffset(l.ref, unsafe.String(unsafe.SliceData(l.data), len(l.data)), diff)
		r.n, l.n = l.n-diff, diff
		l.data, r.data = l.data[:at:at], l.data[at:]
	case RefString:
		m.splitText(l, r, diff)
	}
}

// bytesOf returns the bytes of s without copying them; the capacity equals the length,
// so an append copies and nothing writes into s.
func bytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

func (it *item) setASCII() {
	it.flags &^= fASCII
	if isASCII(it.text()) {
		it.flags |= fASCII
	}
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// text returns the data of the item as a string, without copying.
func (it *item) text() string { return unsafe.String(unsafe.SliceData(it.data), len(it.data)) }

// addStruct appends a struct to its client; the store integrates each client's
// structs in clock order without gaps.
func (m *model) addStruct(it *item) {
	l := m.structs[it.id.Client]
	if l == nil {
		l = &structList{}
		m.structs[it.id.Client] = l
	}
	l.push(it)
	m.merges = append(m.merges, it)
}

// newItem makes the model's item for an integrated struct.
func newItem(st *Struct) *item {
	it := &item{id: st.ID, length: st.Length, ref: st.Ref(), origin: st.Origin,
		rightOrigin: st.RightOrigin}
	if st.HasOrigin() {
		it.flags |= fOrigin
	}
	if st.HasRightOrigin() {
		it.flags |= fRight
	}
	c := &st.Content
	switch it.ref {
	case RefDeleted, RefAny, RefJSON, RefType:
		it.n = c.n
	}
	it.key = c.key
	it.data = bytesOf(c.data)
	if it.ref == RefString {
		it.setASCII()
	}
	return it
}

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

// delete marks an item deleted, and with a type every item in it (yjs's Item.delete).
func (m *model) delete(it *item) {
	stack := []*item{it}
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if it.deleted() {
			continue
		}
		if it.countable() && !it.has(fSub) {
			it.parent.length -= it.length
		}
		it.flags |= fDeleted
		m.deletes = append(m.deletes, compaction{it.id.Client, it.id.Clock, it.length, false})
		if t := it.typ; t != nil {
			for c := t.start; c != nil; c = c.right {
				if !c.deleted() {
					stack = append(stack, c)
				}
			}
			for _, c := range t.keys {
				if !c.deleted() {
					stack = append(stack, c)
				}
			}
		}
	}
}

// deleteRange deletes the items in [clock, clock+length) of a client, splitting the
// items at its edges (yjs's applyDeleteSet); the range must be integrated.
func (m *model) deleteRange(client, clock, length uint64) {
	end := clock + length
	for at := clock; at < end; {
		it, p := m.find(ID{client, at})
		if it.deleted() || it.isGC() {
			at = it.end()
			continue
		}
		if it.id.Clock < at {
			it, p = m.split(it, p, at-it.id.Clock), m.structs[client].find(at)
		}
		if end < it.end() {
			m.split(it, p, end-it.id.Clock)
		}
		m.delete(it)
		at = it.end()
	}
}
