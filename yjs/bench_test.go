package yjs

import (
	"bytes"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
)

// Benchmarks: go test ./yjs -run '^$' -bench . -benchmem
//
// Each benchmark runs on two documents of one kind, about 10 KB and about 1 MB, named
// doc=10KB and doc=1MB, so that a cost that grows with the document shows as a
// difference between the two rows of one shape.

// benchDoc is a document built for benchmarks: a store to copy and what a benchmark needs
// to extend it.
type benchDoc struct {
	name    string
	store   *Store            // never applied to: benchmarks work on copies
	updates [][]byte          // the updates that built it, in order
	next    map[uint64]uint64 // next clock per client
	writer  uint64            // a client that typed text, whose clocks are all integrated
}

// copy returns a new store holding the document.
func (d *benchDoc) copy() *Store { return cloneStore(d.store) }

var (
	benchDocsMu sync.Mutex
	benchDocs   = map[string]*benchDoc{}
)

// cachedDoc builds a document once per test binary.
func cachedDoc(tb testing.TB, key string, build func(testing.TB) *benchDoc) *benchDoc {
	benchDocsMu.Lock()
	defer benchDocsMu.Unlock()
	if d := benchDocs[key]; d != nil {
		return d
	}
	d := build(tb)
	benchDocs[key] = d
	return d
}

// docSizes are the two sizes of every benchmark document.
var docSizes = []struct {
	name    string
	bytes   int // text documents
	clients int // many-clients documents
}{
	{"10KB", 10 << 10, 100},
	{"1MB", 1 << 20, 10000},
}

// textDoc returns a document of about size bytes of text typed by four clients in bursts
// at random places, with some deletes, one update per keystroke as a client sends. Its
// writer is client 1.
func textDoc(tb testing.TB, name string, size int) *benchDoc {
	return cachedDoc(tb, "text/"+name, func(tb testing.TB) *benchDoc {
		r := rand.New(rand.NewPCG(1, 2))
		d := &benchDoc{name: name, store: NewStore(Options{}), next: map[uint64]uint64{},
			writer: 1}
		known := []ID{{1, 4}} // integrated IDs to anchor edits to
		d.add(tb, upd(runs(run(textAt(1, 0, nil, "start")))))
		d.next[1] = 5
		for d.store.Size() < size {
			c := uint64(1 + r.IntN(4))
			at := known[r.IntN(len(known))]
			var right *ID
			if r.IntN(2) == 0 {
				right = &known[r.IntN(len(known))]
			}
			for range 1 + r.IntN(40) {
				st := textAt(c, d.next[c], &at, strings.Repeat("é", 1+r.IntN(3)))
				if right != nil {
					st.Info |= InfoRightOrigin
					st.RightOrigin = *right
				}
				var ds []ClientDeletes
				if r.IntN(50) == 0 {
					ds = append(ds, dels(at.Client, Range{at.Clock, 1}))
				}
				d.add(tb, upd(runs(run(st)), ds...))
				d.next[c] = st.End()
				at = ID{c, st.End() - 1}
			}
			known = append(known, at)
		}
		return d
	})
}

// clientsDoc returns a document in which each of n clients with random ids typed 50
// characters at a random place, one update each. Its writer is one of them.
func clientsDoc(tb testing.TB, name string, n int) *benchDoc {
	return cachedDoc(tb, "clients/"+name, func(tb testing.TB) *benchDoc {
		r := rand.New(rand.NewPCG(3, 4))
		d := &benchDoc{name: name, store: NewStore(Options{}), next: map[uint64]uint64{}}
		var known []ID
		for len(d.next) < n {
			c := uint64(r.Uint32())
			if _, ok := d.next[c]; ok || c == 0 {
				continue
			}
			var st Struct
			if len(known) == 0 {
				st = textAt(c, 0, nil, strings.Repeat("é", 50))
			} else {
				st = textAt(c, 0, &known[r.IntN(len(known))], strings.Repeat("é", 50))
			}
			d.add(tb, upd(runs(run(st))))
			d.next[c] = st.End()
			known = append(known, ID{c, uint64(r.IntN(50))})
		}
		d.writer = known[len(known)/2].Client
		return d
	})
}

func (d *benchDoc) add(tb testing.TB, u []byte) {
	mustApplyB(tb, d.store, u)
	d.updates = append(d.updates, u)
}

func mustApplyB(tb testing.TB, s *Store, u []byte) {
	if _, err := s.Apply(u); err != nil {
		tb.Fatal(err)
	}
}

// cloneStore returns a deep copy of s.
func cloneStore(s *Store) *Store {
	n := *s
	n.txn = txn{}
	n.clients = make(map[uint64]*client, len(s.clients))
	n.order = make([]*client, len(s.ordered()))
	n.added = nil
	for i, c := range s.order {
		cc := cloneClient(c)
		n.order[i], n.clients[c.id] = cc, cc
	}
	return &n
}

// cloneClient returns a deep copy of c that no transaction has touched.
func cloneClient(c *client) *client {
	cc := &client{}
	cc.ints, cc.pend = cloneBlocks(c.ints), cloneBlocks(c.pend)
	restoreClient(cc, c)
	return cc
}

// restoreClient makes c hold what orig holds but for the blocks, which must be equal.
// Delete chunks get room for maxChunk ranges, as chunks that have grown once have.
func restoreClient(c, orig *client) {
	ints, pend := c.ints, c.pend
	*c = *orig
	c.ints, c.pend = ints, pend
	c.dels.chunks = make([][]Range, len(orig.dels.chunks))
	for i, ch := range orig.dels.chunks {
		c.dels.chunks[i] = append(make([]Range, 0, maxChunk), ch...)
	}
	c.waiters = slices.Clone(orig.waiters)
	c.txnID, c.overID = 0, 0
}

// sameBlocks reports whether a and b hold the same blocks: every change to a block
// changes its clock or length.
func sameBlocks(a, b []block) bool {
	return slices.EqualFunc(a, b, func(x, y block) bool {
		return x.clock == y.clock && x.length == y.length && len(x.enc) == len(y.enc)
	})
}

// reset makes s, a copy of d's store, hold d again: the clients an Apply touched are
// copied again from d (their blocks only if they changed) and the clients Applies added
// are dropped.
func (d *benchDoc) reset(s *Store) {
	order := s.ordered()
	keep := order[:0]
	for _, c := range order {
		orig := d.store.clients[c.id]
		switch {
		case orig == nil:
			delete(s.clients, c.id)
		case c.txnID != 0 && sameBlocks(c.ints, orig.ints) && sameBlocks(c.pend, orig.pend):
			restoreClient(c, orig)
			keep = append(keep, c)
		case c.txnID != 0:
			cc := cloneClient(orig)
			keep = append(keep, cc)
			s.clients[c.id] = cc
		default:
			keep = append(keep, c)
		}
	}
	clear(order[len(keep):])
	s.order = keep
	o := d.store
	s.nStructClients, s.nDSClients = o.nStructClients, o.nDSClients
	s.structBytes, s.dsBytes, s.pending = o.structBytes, o.dsBytes, o.pending
	s.hasRoot = o.hasRoot
}

// cloneBlocks copies blocks and their encodings into one new array.
func cloneBlocks(bs []block) []block {
	if bs == nil {
		return nil
	}
	total := 0
	for i := range bs {
		total += len(bs[i].enc)
	}
	arena := make([]byte, 0, total)
	out := slices.Clone(bs)
	for i := range out {
		start := len(arena)
		arena = append(arena, bs[i].enc...)
		out[i].enc = arena[start:len(arena):len(arena)]
	}
	return out
}

// TestBenchDocs checks the benchmark documents and their copies, so that the benchmarks
// measure valid stores.
func TestBenchDocs(t *testing.T) {
	if testing.Short() {
		t.Skip("builds 1 MB documents")
	}
	for _, size := range docSizes {
		for _, d := range []*benchDoc{
			textDoc(t, size.name, size.bytes), clientsDoc(t, size.name, size.clients),
		} {
			if err := verifyStore(d.store); err != nil {
				t.Fatal(err)
			}
			s := d.copy()
			if err := verifyStore(s); err != nil {
				t.Fatal(err)
			}
			if !stateOf(s).equal(stateOf(d.store)) || s.PendingSize() != 0 {
				t.Fatalf("%s: copy differs or has pending parts", d.name)
			}
			mustApplyB(t, s, keystrokeAt(d, 0))
			mustApplyB(t, s, upd(runs(run(textAt(newClient(0), 0, nil, "x"))),
				dels(d.writer, Range{0, 3})))
			if stateOf(s).equal(stateOf(d.store)) {
				t.Fatalf("%s: applying to the copy changed nothing", d.name)
			}
			for _, u := range [][]byte{nil, upd(nil, dels(d.writer, Range{1, 2}))} {
				if u != nil { // deletes only: reset keeps the blocks
					mustApplyB(t, s, u)
				}
				d.reset(s)
				if err := verifyStore(s); err != nil {
					t.Fatal(err)
				}
				if !stateOf(s).equal(stateOf(d.store)) {
					t.Fatalf("%s: reset copy differs", d.name)
				}
			}
			blocks, nDels := 0, 0
			for _, c := range d.store.ordered() {
				blocks += c.nBlocks()
				nDels += c.dels.Len()
			}
			t.Logf("%s: %d bytes, %d blocks, %d delete ranges, %d clients", d.name,
				d.store.Size(), blocks, nDels, len(d.store.clients))
		}
	}
}

// keystrokeAt is the i-th character the writer types after the end of its text.
func keystrokeAt(d *benchDoc, i int) []byte {
	w := d.writer
	at := d.next[w] + uint64(i)
	return upd(runs(run(textAt(w, at, id(w, at-1), string(rune('a'+i%26))))))
}

// BenchmarkEncode measures what reads the whole document: Encode, EncodeDiff for a peer
// with nothing and for one missing the writer's last 10 characters, StateVector.
func BenchmarkEncode(b *testing.B) {
	for _, size := range docSizes {
		d := textDoc(b, size.name, size.bytes)
		s := d.copy()
		recent := StateVector(maps.Clone(d.next))
		recent[d.writer] -= 10
		ops := []struct {
			name string
			f    func() []byte
		}{
			{"encode", s.Encode},
			{"diff-from-empty", func() []byte { return mustDiff(b, s, []byte{0}) }},
			{"diff-recent", func() []byte { return mustDiff(b, s, recent.Encode()) }},
			{"state-vector", s.StateVector},
		}
		for _, op := range ops {
			b.Run(fmt.Sprintf("op=%s/doc=%s", op.name, size.name), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if len(op.f()) == 0 {
						b.Fatal("empty")
					}
				}
			})
		}
	}
}

func mustDiff(tb testing.TB, s *Store, sv []byte) []byte {
	out, err := s.EncodeDiff(sv)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// BenchmarkLoad applies a whole document, as one update, to an empty store.
func BenchmarkLoad(b *testing.B) {
	for _, size := range docSizes {
		enc := textDoc(b, size.name, size.bytes).store.Encode()
		b.Run("doc="+size.name, func(b *testing.B) {
			b.SetBytes(int64(len(enc)))
			b.ReportAllocs()
			for b.Loop() {
				mustApplyB(b, NewStore(Options{}), enc)
			}
		})
	}
}

// BenchmarkApplyFillGaps fills, with one update, every gap of a client whose 10,000
// pending blocks all wait behind gaps: the pieces are inserted in one pass.
func BenchmarkApplyFillGaps(b *testing.B) {
	const n = 10000
	var odd, even []Struct
	for i := uint64(0); i < 2*n; i += 2 {
		even = append(even, textAt(3, i, id(3, i-1), "e"))
		odd = append(odd, textAt(3, i+1, id(3, i), "o"))
	}
	even[0] = textAt(3, 0, nil, "e")
	pending, fill := upd(runs(run(odd...))), upd(runs(run(even...)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		s := NewStore(Options{MaxPending: 1 << 30})
		mustApplyB(b, s, pending)
		b.StartTimer()
		mustApplyB(b, s, fill)
		if !bytes.Equal(s.StateVector(), StateVector{3: 2 * n}.Encode()) {
			b.Fatal("gaps not filled")
		}
	}
}
