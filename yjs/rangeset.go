package yjs

import (
	"iter"
	"slices"
	"sort"
)

// maxChunk is the most ranges one chunk of a rangeSet holds; a fuller chunk is split in
// two.
const maxChunk = 128

// rangeSet holds one client's delete ranges, sorted, disjoint and not touching, in
// chunks of at most maxChunk ranges, so that a change in the middle of a large delete set
// moves one chunk instead of every range after it. Every chunk but the last holds at
// least maxChunk/4 ranges. The chunk list is itself a slice, so a chunk split off or
// taken in moves up to n/32 slice headers of 24 bytes: still linear in the delete set,
// but 1/20 of the bytes a flat slice moved, and only once in some 32 changes.
type rangeSet struct {
	chunks [][]Range // each non-empty
	n      int       // ranges over all chunks
}

// Len returns the number of ranges.
func (rs *rangeSet) Len() int { return rs.n }

// all yields the ranges in order.
func (rs *rangeSet) all(yield func(Range) bool) {
	for _, ch := range rs.chunks {
		for _, r := range ch {
			if !yield(r) {
				return
			}
		}
	}
}

// endingAfter yields, in order, the ranges that end past clock.
func (rs *rangeSet) endingAfter(clock uint64) iter.Seq[Range] {
	return func(yield func(Range) bool) {
		a := rs.chunkEndingAt(clock + 1)
		for k := a; k < len(rs.chunks); k++ {
			ch := rs.chunks[k]
			i := 0
			if k == a {
				i = sort.Search(len(ch), func(i int) bool { return ch[i].End() > clock })
			}
			for _, r := range ch[i:] {
				if !yield(r) {
					return
				}
			}
		}
	}
}

// chunkEndingAt returns the first chunk whose last range ends at or past lo.
func (rs *rangeSet) chunkEndingAt(lo uint64) int {
	return sort.Search(len(rs.chunks), func(k int) bool {
		ch := rs.chunks[k]
		return ch[len(ch)-1].End() >= lo
	})
}

// bounds returns where the ranges that overlap or touch [lo, hi] are: from chunks[a][i]
// up to, not including, chunks[b][j]. With none, a == b and i == j is where they would go.
// There must be a chunk.
func (rs *rangeSet) bounds(lo, hi uint64) (a, i, b, j int) {
	a = min(rs.chunkEndingAt(lo), len(rs.chunks)-1)
	ch := rs.chunks[a]
	i = sort.Search(len(ch), func(i int) bool { return ch[i].End() >= lo })
	b = sort.Search(len(rs.chunks), func(k int) bool { return rs.chunks[k][0].Clock > hi }) - 1
	b = max(b, a)
	ch = rs.chunks[b]
	j = sort.Search(len(ch), func(j int) bool { return ch[j].Clock > hi })
	if b == a {
		j = max(j, i)
	}
	return a, i, b, j
}

// span returns the ranges that overlap or touch [lo, hi], in order. The result may share
// memory with the set: it is valid until the next replace.
func (rs *rangeSet) span(lo, hi uint64) []Range {
	if len(rs.chunks) == 0 {
		return nil
	}
	a, i, b, j := rs.bounds(lo, hi)
	if a == b {
		return rs.chunks[a][i:j]
	}
	out := slices.Clone(rs.chunks[a][i:])
	for k := a + 1; k < b; k++ {
		out = append(out, rs.chunks[k]...)
	}
	return append(out, rs.chunks[b][:j]...)
}

// replace puts with (sorted, disjoint, not touching each other or the ranges left
// around them) in place of the ranges that overlap or touch [lo, hi]. It copies with.
func (rs *rangeSet) replace(lo, hi uint64, with []Range) {
	if len(rs.chunks) == 0 {
		rs.n = len(with)
		rs.chunks = split(nil, slices.Clone(with))
		return
	}
	a, i, b, j := rs.bounds(lo, hi)
	removed := j - i
	if a != b {
		removed = len(rs.chunks[a]) - i + j
		for k := a + 1; k < b; k++ {
			removed += len(rs.chunks[k])
		}
	}
	rs.n += len(with) - removed
	var ch []Range
	if a == b {
		ch = slices.Replace(rs.chunks[a], i, j, with...)
	} else {
		ch = append(append(rs.chunks[a][:i:i], with...), rs.chunks[b][j:]...)
	}
	if len(ch) < maxChunk/4 && b+1 < len(rs.chunks) { // too small: take in the next one
		ch = append(ch, rs.chunks[b+1]...)
		b++
	}
	if len(ch) > 0 && len(ch) <= maxChunk { // the common case: no chunk added or lost
		rs.chunks[a] = ch
		rs.chunks = slices.Delete(rs.chunks, a+1, b+1)
		return
	}
	rs.chunks = slices.Replace(rs.chunks, a, b+1, split(nil, ch)...)
}

// split cuts ch into chunks of at most maxChunk ranges, appended to dst; an empty ch
// gives none. A chunk cut off gets room for maxChunk ranges, so that it grows without
// being copied again.
func split(dst [][]Range, ch []Range) [][]Range {
	for len(ch) > maxChunk {
		dst = append(dst, append(make([]Range, 0, maxChunk), ch[:maxChunk/2]...))
		ch = ch[maxChunk/2:]
	}
	if len(ch) > 0 {
		dst = append(dst, ch)
	}
	return dst
}
