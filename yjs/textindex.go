package yjs

import "unicode/utf8"

// Splitting a text item at a UTF-16 offset needs the byte offset of that unit in its
// UTF-8 text. ASCII text has them equal; other text is scanned, which for a long item
// (a document pasted in one piece) would cost its length on every keystroke typed into
// it. A long item gets an index instead: the byte offset of a unit every indexStep
// units, made once and shared by the parts the item is split into.

const (
	indexStep = 512  // UTF-16 units between two marks
	indexMin  = 2048 // bytes of text below which an item is scanned, not indexed
)

// mark is a rune boundary of an indexed text: its offset in UTF-16 units and in bytes.
type mark struct {
	unit uint64
	byte int
}

// textIndex locates units in an item's text. The marks are offsets in the text the
// index was made for; an item split off it shares them and says where its own text
// starts in that one.
type textIndex struct {
	marks []mark
	from  mark // where the item's text starts in the indexed one
}

// newTextIndex indexes s.
func newTextIndex(s []byte) *textIndex {
	x := &textIndex{marks: make([]mark, 0, len(s)/indexStep+1)}
	var units uint64
	next := uint64(0)
	for i := 0; i < len(s); {
		if units >= next {
			x.marks = append(x.marks, mark{units, i})
			next = units + indexStep
		}
		r, w := utf8.DecodeRune(s[i:])
		i += w
		units += unitsOf(r)
	}
	return x
}

func unitsOf(r rune) uint64 {
	if r >= 0x10000 {
		return 2
	}
	return 1
}

// byteOffset returns the byte offset in it's text of the boundary after units UTF-16
// units, or false when that boundary falls inside a surrogate pair.
func (m *model) byteOffset(it *item, units uint64) (int, bool) {
	from := mark{}
	if x := m.index[it]; x != nil {
		target := x.from.unit + units
		lo, hi := 0, len(x.marks)-1
		for lo < hi { // the last mark at or before target
			mid := int(uint(lo+hi+1) >> 1)
			if x.marks[mid].unit <= target {
				lo = mid
			} else {
				hi = mid - 1
			}
		}
		if mk := x.marks[lo]; mk.unit > x.from.unit {
			from = mark{mk.unit - x.from.unit, mk.byte - x.from.byte}
		}
	}
	s := it.data
	u := from.unit
	for i := from.byte; i < len(s); {
		if u == units {
			return i, true
		}
		r, w := utf8.DecodeRune(s[i:])
		if u += unitsOf(r); u > units {
			return 0, false
		}
		i += w
	}
	return len(s), u == units
}

// splitText divides a text item's bytes after diff units; the right part's index, if
// the left one has one, is the same marks from where it starts. A split inside a
// surrogate pair replaces both halves with U+FFFD, as yjs does.
func (m *model) splitText(l, r *item, diff uint64) {
	if l.has(fASCII) {
		l.data, r.data = l.data[:diff:diff], l.data[diff:]
		return
	}
	x := m.index[l]
	if x == nil && len(l.data) >= indexMin {
		x = newTextIndex(l.data)
		m.index[l] = x
	}
	at, ok := m.byteOffset(l, diff)
	if !ok {
		a, b := splitUTF16(l.text(), diff)
		l.data, r.data = bytesOf(a), bytesOf(b)
		delete(m.index, l)
		return
	}
	l.data, r.data = l.data[:at:at], l.data[at:]
	if x != nil && len(r.data) >= indexMin {
		m.index[r] = &textIndex{marks: x.marks,
			from: mark{x.from.unit + diff, x.from.byte + at}}
	}
}
