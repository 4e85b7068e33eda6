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
