package yjs

import "unicode/utf8"

// cutStruct cuts s at the clock offsets offs (ascending, each inside s) into
// len(offs)+1 structs, reading its content once: cutting the pieces off one by one
// would read, and for a text split inside a surrogate pair copy, the rest each time.
// Every piece after the first names the unit before it as origin, as sliceStruct does.
func cutStruct(s Struct, offs []uint64) []Struct {
	out := make([]Struct, len(offs)+1)
	var contents []Content
	if s.IsItem() {
		contents = cutContent(s.Ref(), s.Content, s.Length, offs)
	}
	start := uint64(0)
	for i := range out {
		end := s.Length
		if i < len(offs) {
			end = offs[i]
		}
		p := s
		p.ID.Clock, p.Length = s.ID.Clock+start, end-start
		if contents != nil {
			p.Content = contents[i]
		}
		if i > 0 && s.IsItem() {
			p.Info |= InfoOrigin
			p.Origin = ID{s.ID.Client, p.ID.Clock - 1}
		}
		out[i] = p
		start = end
	}
	return out
}

// cutContent cuts the content of a countable item of length n at offs in one pass.
func cutContent(ref uint8, c Content, n uint64, offs []uint64) []Content {
	out := make([]Content, len(offs)+1)
	for i := range out {
		out[i] = c
	}
	switch ref {
	case RefDeleted:
		prev := uint64(0)
		for i, o := range append(offs[:len(offs):len(offs)], n) {
			out[i].n, prev = o-prev, o
		}
	case RefAny, RefJSON:
		d := decoder{buf: bytesOf(c.data)}
		prev, at := uint64(0), 0
		for i, o := range offs {
			for k := prev; k < o && d.remaining() > 0; k++ {
				if d.skipElem(ref, false) != nil {
					break
				}
			}
			out[i].n, out[i].data = o-prev, c.data[at:d.pos]
			prev, at = o, d.pos
		}
		out[len(offs)].n, out[len(offs)].data = n-prev, c.data[at:]
	case RefString:
		for i, t := range cutUTF16(c.data, offs) {
			out[i].data = t
		}
	}
	return out
}

// cutUTF16 cuts s at the UTF-16 offsets offs in one pass. A cut inside a surrogate pair
// replaces both halves with U+FFFD, as yjs's ContentString.splice does; only the pieces
// next to such a cut are copied.
func cutUTF16(s string, offs []uint64) []string {
	out := make([]string, 0, len(offs)+1)
	var units uint64
	start, lead := 0, false // lead: the piece starts with the U+FFFD of a split pair
	piece := func(end int, trail bool) {
		t := s[start:end]
		if lead || trail {
			b := make([]byte, 0, len(t)+6)
			if lead {
				b = append(b, "\uFFFD"...)
			}
			b = append(b, t...)
			if trail {
				b = append(b, "\uFFFD"...)
			}
			t = string(b)
		}
		out = append(out, t)
	}
	k := 0
	for i := 0; i < len(s) && k < len(offs); {
		if units == offs[k] {
			piece(i, false)
			start, lead = i, false
			k++
			continue
		}
		r, w := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, w = utf8.DecodeRuneInString(s[i:])
		}
		if r >= 0x10000 && units+1 == offs[k] { // the cut falls inside this pair
			piece(i, true)
			start, lead = i+w, true
			units += 2
			k++
			i += w
			continue
		}
		units += unitsOf(r)
		i += w
	}
	for ; k < len(offs); k++ { // cuts at the very end
		piece(len(s), false)
		start, lead = len(s), false
	}
	piece(len(s), false)
	return out
}
