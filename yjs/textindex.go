package yjs

import (
	"math"
	"unicode/utf8"
)

// Splitting a text item at a UTF-16 offset needs the byte offset of that unit in its
// UTF-8 text. ASCII text has them equal; other text is scanned, which for a long item
// (a document pasted in one piece) would cost its length on every keystroke typed into
// it. A long item gets an index instead: the byte offset of a unit every indexStep
// units, made once and shared by the parts the item is split into.

const (
	indexStep = 32  // UTF-16 units between two marks
	indexMin  = 256 // bytes of text below which an item is scanned, not indexed
)

// mark is a rune boundary of an indexed text: its offset in UTF-16 units and in bytes
// (a text item is far shorter than 4 GiB: the store's cap and lib0 bound it).
type mark struct {
	unit, byte uint32
}

// textIndex locates units in an item's text. The marks are offsets in the text the
// index was made for; an item split off it shares them and says where its own text
// starts in that one.
type textIndex struct {
	marks []mark
	from  mark // where the item's text starts in the indexed one
}

// markAt is the place after units UTF-16 units and bytes bytes.
func markAt(units uint64, bytes int) mark { return mark{uint32(units), uint32(bytes)} }

// newTextIndex indexes s.
func newTextIndex(s []byte) *textIndex {
	x := &textIndex{marks: make([]mark, 0, len(s)/indexStep+1)}
	var units uint64
	next := uint64(0)
	for i := 0; i < len(s); {
		if units >= next { // mark k is at unit k*indexStep, or one past it after a pair
			x.marks = append(x.marks, markAt(units, i))
			next += indexStep
		}
		if s[i] < utf8.RuneSelf {
			i++
			units++
			continue
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
// units; when that boundary falls inside a surrogate pair, the offset of the pair and
// true.
func (m *model) byteOffset(it *item, units uint64) (at int, inPair bool) {
	from := mark{}
	if x := it.idx; x != nil {
		target := x.from.unit + uint32(units)
		k := min(int(target/indexStep), len(x.marks)-1)
		if k > 0 && x.marks[k].unit > target {
			k--
		}
		if mk := x.marks[k]; mk.unit > x.from.unit && mk.unit <= target {
			from = mark{mk.unit - x.from.unit, mk.byte - x.from.byte}
		}
	}
	s := it.data
	u := uint64(from.unit)
	for i := int(from.byte); i < len(s); {
		if u == units {
			return i, false
		}
		if s[i] < utf8.RuneSelf {
			i++
			u++
			continue
		}
		r, w := utf8.DecodeRune(s[i:])
		if u += unitsOf(r); u > units {
			return i, true
		}
		i += w
	}
	return len(s), false
}

// indexable reports whether a text is long enough to index and short enough for
// 32-bit marks.
func indexable(s []byte) bool { return len(s) >= indexMin && len(s) <= math.MaxUint32 }

// indexText indexes a new text item that is long and not ASCII, as it arrives, so that
// no keystroke typed into it later pays for reading it whole.
func (m *model) indexText(it *item) {
	if !it.has(fASCII) && indexable(it.data) {
		it.idx = newTextIndex(it.data)
	}
}

// splitText divides a text item's bytes after diff units; the right part's index, if
// the left one has one, is the same marks from where it starts. A split inside a
// surrogate pair replaces both halves with U+FFFD, as yjs does.
func (m *model) splitText(l, r *item, diff uint64) {
	if l.has(fASCII) {
		l.data, r.data = unpin(l.data[:diff:diff], l.data[diff:])
		return
	}
	x := l.idx
	if x == nil && indexable(l.data) {
		x = newTextIndex(l.data)
		l.idx = x
	}
	at, inPair := m.byteOffset(l, diff)
	rightAt := at // where r's text starts in the indexed one
	if inPair {
		// Both halves get a copy, each with its U+FFFD: only hostile input splits a
		// pair, so the copy is charged to the Apply's steps (see stepBase). The marks
		// stay good: none falls inside the pair.
		m.steps -= len(l.data) / copyPerStep
		a := append(append(make([]byte, 0, at+3), l.data[:at]...), "\uFFFD"...)
		b := append(append(make([]byte, 0, len(l.data)-at-1), "\uFFFD"...), l.data[at+4:]...)
		l.data, r.data = a, b
		rightAt = at + 1
	} else {
		l.data, r.data = l.data[:at:at], l.data[at:]
		l.data, r.data = unpin(l.data, r.data)
	}
	if x != nil && len(r.data) > 0 {
		r.idx = &textIndex{marks: x.marks,
			from: mark{x.from.unit + uint32(diff), x.from.byte + uint32(rightAt)}}
	}
}

// copyPerStep is how many bytes copied count as one step of an Apply's budget.
const copyPerStep = 16

// unpin copies a part of a few bytes split off a long text: as a slice it would keep
// the whole text alive after the other part is collected or copied (a deleted
// character kept with its history, say). Longer parts stay slices, so a split costs at
// most the copy of smallPart bytes; such a part can still keep a long text alive.
func unpin(a, b []byte) ([]byte, []byte) {
	const long, smallPart = 4096, 64
	switch {
	case len(a)+len(b) < long:
	case len(a) <= smallPart:
		a = append(make([]byte, 0, len(a)), a...)
	case len(b) <= smallPart:
		b = append([]byte(nil), b...)
	}
	return a, b
}
