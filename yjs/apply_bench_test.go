package yjs

import (
	"testing"
)

// applyShape is one kind of update for BenchmarkApply.
type applyShape struct {
	name    string
	clients bool // runs on the many-clients documents instead of the text ones
	// fixed: the op changes the document in a way that repeating it would compound (a
	// new client, a new delete range), so the store is reset to the document every
	// fixedRun ops and op(i) must not depend on i beyond that.
	fixed bool
	// op returns the updates of the i-th operation, applied in turn.
	op func(d *benchDoc, i int) [][]byte
}

const (
	fixedRun = 32   // ops per copy of the document for fixed shapes
	growRun  = 4096 // ops made at a time for the other shapes
)

// mix returns a pseudo-random number from i, the same on every run.
func mix(i, salt int) uint64 {
	x := uint64(i)*0x9e3779b97f4a7c15 + uint64(salt)*0xbf58476d1ce4e5b9
	x ^= x >> 31
	x *= 0x94d049bb133111eb
	return x ^ x>>29
}

// newClient returns the id of a client the documents most likely do not have: a random
// 32-bit id, as yjs makes them.
func newClient(i int) uint64 { return 5 + mix(i, 1)%(1<<32-5) }

// midText returns an ID in the middle of the writer's text and the one after it.
func midText(d *benchDoc) (ID, ID) {
	mid := d.next[d.writer] / 2
	return ID{d.writer, mid}, ID{d.writer, mid + 1}
}

var applyShapes = []applyShape{
	{name: "keystroke-append", op: func(d *benchDoc, i int) [][]byte {
		return [][]byte{keystrokeAt(d, i)}
	}},
	{name: "keystroke-new-client", fixed: true, op: func(d *benchDoc, i int) [][]byte {
		left, right := midText(d)
		st := textAt(newClient(i), 0, &left, "x")
		st.Info |= InfoRightOrigin
		st.RightOrigin = right
		return [][]byte{upd(runs(run(st)))}
	}},
	{name: "delete-one", fixed: true, op: func(d *benchDoc, i int) [][]byte {
		at := mix(i, 2) % d.next[d.writer]
		return [][]byte{upd(nil, dels(d.writer, Range{at, 1}))}
	}},
	{name: "delete-range", fixed: true, op: func(d *benchDoc, i int) [][]byte {
		// 64 units span several blocks of a burst-typed text; 32 such ranges leave
		// most of a 10 KB document's writer undeleted.
		at := mix(i, 3) % (d.next[d.writer] - 64)
		return [][]byte{upd(nil, dels(d.writer, Range{at, 64}))}
	}},
	{name: "map-set", op: func(d *benchDoc, i int) [][]byte {
		// The writer sets key "k" of root map "m" again and again: each value's origin is
		// the one before, which it deletes.
		w := d.writer
		at := d.next[w] + uint64(i)
		st := Struct{ID: ID{w, at}, Length: 1, Info: RefAny,
			Content: AnyContent(Any{Kind: AnyInt, Int: int64(i)})}
		if i == 0 {
			st.Info |= InfoParentSub
			st.ParentIsName, st.ParentName, st.ParentSub = true, "m", "k"
			return [][]byte{upd(runs(run(st)))}
		}
		st.Info |= InfoOrigin
		st.Origin = ID{w, at - 1}
		return [][]byte{upd(runs(run(st)), dels(w, Range{at - 1, 1}))}
	}},
	{name: "array-insert", op: func(d *benchDoc, i int) [][]byte {
		// The writer inserts one value between two random units of another client.
		w, other := d.writer, d.writer+1
		at := mix(i, 4) % (d.next[other] - 1)
		st := Struct{ID: ID{w, d.next[w] + uint64(i)}, Length: 1,
			Info: InfoOrigin | InfoRightOrigin | RefAny, Origin: ID{other, at},
			RightOrigin: ID{other, at + 1},
			Content:     AnyContent(Any{Kind: AnyString, Str: "v"})}
		return [][]byte{upd(runs(run(st)))}
	}},
	{name: "pending-then-fill", op: func(d *benchDoc, i int) [][]byte {
		// The writer's second character arrives first and waits for the first.
		w := d.writer
		at := d.next[w] + 2*uint64(i)
		first := textAt(w, at, id(w, at-1), "x")
		second := textAt(w, at+1, id(w, at), "y")
		return [][]byte{upd(runs(run(second))), upd(runs(run(first)))}
	}},
	{name: "resend", op: func(d *benchDoc, i int) [][]byte {
		return [][]byte{d.updates[len(d.updates)-1-i%len(d.updates)]}
	}},
	{name: "many-clients-keystroke", clients: true, op: func(d *benchDoc, i int) [][]byte {
		return [][]byte{keystrokeAt(d, i)}
	}},
	{name: "many-clients-new-client", clients: true, fixed: true,
		op: func(d *benchDoc, i int) [][]byte {
			left := ID{d.writer, 10}
			return [][]byte{upd(runs(run(textAt(newClient(i), 0, &left, "x"))))}
		}},
}

// BenchmarkApply applies one shape of update per operation to a document of each size.
// The update does not grow with the document, so neither should the time.
func BenchmarkApply(b *testing.B) {
	for _, sh := range applyShapes {
		for _, size := range docSizes {
			var d *benchDoc
			if sh.clients {
				d = clientsDoc(b, size.name, size.clients)
			} else {
				d = textDoc(b, size.name, size.bytes)
			}
			b.Run("shape="+sh.name+"/doc="+size.name, func(b *testing.B) {
				benchApply(b, d, sh)
			})
		}
	}
}

// benchApply runs b.N ops of a shape on a copy of d, making the ops and resetting the copy
// with the timer stopped.
func benchApply(b *testing.B, d *benchDoc, sh applyShape) {
	run := growRun
	if sh.fixed {
		run = fixedRun
	}
	var s *Store
	var ops [][][]byte
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if i%run == 0 {
			b.StopTimer()
			if s == nil {
				s = d.copy()
			} else if sh.fixed {
				d.reset(s)
			}
			if ops == nil || !sh.fixed {
				ops = ops[:0]
				for j := i; j < i+run; j++ {
					ops = append(ops, sh.op(d, j))
				}
			}
			b.StartTimer()
		}
		for _, u := range ops[i%run] {
			if _, err := s.Apply(u); err != nil {
				b.Fatal(err)
			}
		}
	}
}
