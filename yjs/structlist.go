package yjs

// structList holds one client's structs in the model, sorted by clock without gaps, in
// chunks of at most listChunk, so that splitting an item in a client with many
// structs moves one chunk instead of every struct after it.
type structList struct {
	chunks [][]*item // each non-empty
}

// listChunk is the most structs one chunk holds; a fuller chunk is cut in two.
const listChunk = 64

// pos is a struct's place in a structList: chunk and index in it.
type pos struct{ k, i int }

// find returns the place of the struct holding clock, which the list must hold. The
// last chunk is looked at first: most edits touch the end.
func (l *structList) find(clock uint64) pos {
	k := len(l.chunks) - 1
	if l.chunks[k][0].id.Clock > clock {
		lo, hi := 0, k-1
		for lo < hi {
			mid := int(uint(lo+hi+1) >> 1)
			if l.chunks[mid][0].id.Clock <= clock {
				lo = mid
			} else {
				hi = mid - 1
			}
		}
		k = lo
	}
	return pos{k, findIndex(l.chunks[k], clock)}
}

// findIndex returns the index of the struct of structs holding clock, looking at the
// last one first.
func findIndex(structs []*item, clock uint64) int {
	n := len(structs)
	if structs[n-1].id.Clock <= clock {
		return n - 1
	}
	lo, hi := 0, n-1
	for lo < hi {
		mid := int(uint(lo+hi+1) >> 1)
		if structs[mid].id.Clock <= clock {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo
}

func (l *structList) at(p pos) *item { return l.chunks[p.k][p.i] }

// last returns the last struct.
func (l *structList) last() *item {
	ch := l.chunks[len(l.chunks)-1]
	return ch[len(ch)-1]
}

// next returns the place after p; ok is false at the end.
func (l *structList) next(p pos) (pos, bool) {
	if p.i+1 < len(l.chunks[p.k]) {
		return pos{p.k, p.i + 1}, true
	}
	if p.k+1 < len(l.chunks) {
		return pos{p.k + 1, 0}, true
	}
	return p, false
}

// prev returns the place before p; ok is false at the start.
func (l *structList) prev(p pos) (pos, bool) {
	if p.i > 0 {
		return pos{p.k, p.i - 1}, true
	}
	if p.k > 0 {
		return pos{p.k - 1, len(l.chunks[p.k-1]) - 1}, true
	}
	return p, false
}

// push appends a struct after the last one.
func (l *structList) push(it *item) {
	k := len(l.chunks) - 1
	if k < 0 || len(l.chunks[k]) >= listChunk {
		l.chunks = append(l.chunks, make([]*item, 0, listChunk))
		k++
	}
	l.chunks[k] = append(l.chunks[k], it)
}

// insertAfter puts a struct right after the one at p.
func (l *structList) insertAfter(p pos, it *item) {
	ch := l.chunks[p.k]
	ch = append(ch, nil)
	copy(ch[p.i+2:], ch[p.i+1:])
	ch[p.i+1] = it
	if len(ch) <= listChunk {
		l.chunks[p.k] = ch
		return
	}
	half := len(ch) / 2
	tail := append(make([]*item, 0, listChunk), ch[half:]...)
	clear(ch[half:])
	l.chunks[p.k] = ch[:half]
	l.chunks = append(l.chunks, nil)
	copy(l.chunks[p.k+2:], l.chunks[p.k+1:])
	l.chunks[p.k+1] = tail
}

// remove takes out the struct at p.
func (l *structList) remove(p pos) {
	ch := l.chunks[p.k]
	copy(ch[p.i:], ch[p.i+1:])
	ch[len(ch)-1] = nil
	ch = ch[:len(ch)-1]
	if len(ch) > 0 {
		l.chunks[p.k] = ch
		return
	}
	copy(l.chunks[p.k:], l.chunks[p.k+1:])
	l.chunks[len(l.chunks)-1] = nil
	l.chunks = l.chunks[:len(l.chunks)-1]
}
