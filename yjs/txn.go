package yjs

// txn journals one Apply so that a failed cap check can put everything back. Structural
// changes are logged as undo operations; the counters of each client are saved the first
// time the Apply touches it.
type txn struct {
	id    uint64
	saved storeCounters
	size  int // Size() before the Apply
	snaps []clientSnap
	ops   []undoOp
	work  []*client // clients whose first pending block may have become integrable
	alts  []alt     // parts of the update that overlap pending blocks (see takeOver)
	stale []*Struct // items of the update that start in integrated history (checkStale)
	ints  []Struct  // structs integrated, in order, for the model (see Store.integrated)
	joins []ID      // first units of blocks that became integrated whole (see joinBlocks)
	delta *deltaBuilder

	update   Update       // the update being applied (slices reused)
	builder  deltaBuilder // the delta being built (slices reused)
	cands    []*Struct    // scratch: one client's structs
	news     []newBlock   // scratch: one client's new blocks
	arena    []byte       // encodings of the Apply's new blocks
	sizeHint int          // length of the update, to size arena
}

// storeCounters are the store-wide counters an Apply changes.
type storeCounters struct {
	nStructClients, nDSClients int
	structBytes, dsBytes       int
	pending                    int
}

// clientSnap saves the counters of one client.
type clientSnap struct {
	c                                    *client
	nBlocks, nDels                       int
	state                                uint64
	encBytes, nGaps, gapBytes, pendBytes int
	delBytes, pendDel                    int
	waiters                              []uint64
	blocked                              bool
	blockedOn                            uint64
}

type opKind uint8

const (
	opNewClient    opKind = iota // a client record was created, last in s.added
	opInsertBlocks               // blocks were inserted at c.pend[pos...]
	opMergeBlock                 // c.ints[idx] (inInts) or c.pend[idx] grew; old was it
	opReplaceDels                // ranges spanning [lo, hi] replaced the ranges in dels
	opIntegrate                  // c.pend[0] moved to c.ints; pend was c.pend
	opTakeOver                   // a part was appended to c.ints; pend was c.pend, and
	// pend[idx] was old if idx >= 0
)

// undoOp is one structural change.
type undoOp struct {
	kind   opKind
	c      *client
	idx    int
	old    block           // opMergeBlock: the block before
	prefix [maxVarLen]byte // opMergeBlock: the count bytes at old.enc[prefAt:] before
	prefN  int             // opMergeBlock: how many of them
	prefAt int             // opMergeBlock
	pos    []int           // opInsertBlocks: ascending positions of the inserted blocks
	inInts bool            // opMergeBlock
	dels   []Range         // opReplaceDels: the ranges that were replaced
	lo, hi uint64          // opReplaceDels: the span of the ranges that replaced them
	pend   []block         // opIntegrate, opTakeOver: c.pend before
}

// begin starts journaling an Apply.
func (s *Store) begin() {
	s.txn.id++
	s.txn.saved = storeCounters{s.nStructClients, s.nDSClients, s.structBytes, s.dsBytes,
		s.pending}
	s.txn.size = s.Size()
	s.txn.reset()
}

// touch saves a client's counters before its first change in this Apply and takes its
// share out of the store-wide counters; settle puts the new share back.
func (s *Store) touch(c *client) {
	if c.txnID == s.txn.id {
		return
	}
	c.txnID = s.txn.id
	s.txn.snaps = append(s.txn.snaps, clientSnap{
		c: c, nBlocks: c.nBlocks(), nDels: c.dels.Len(), state: c.state,
		encBytes: c.encBytes, nGaps: c.nGaps, gapBytes: c.gapBytes, pendBytes: c.pendBytes,
		delBytes: c.delBytes, pendDel: c.pendDel, waiters: c.waiters,
		blocked: c.blocked, blockedOn: c.blockedOn,
	})
	s.removeShare(c)
}

// removeShare takes a client's part out of the store-wide counters.
func (s *Store) removeShare(c *client) {
	if c.nBlocks() > 0 {
		s.nStructClients--
	}
	if c.dels.Len() > 0 {
		s.nDSClients--
	}
	s.structBytes -= c.runSize()
	s.dsBytes -= c.dsSize()
	s.pending -= c.pendBytes + c.pendDel
}

// settle adds the new share of every touched client to the store-wide counters.
func (s *Store) settle() {
	for i := range s.txn.snaps {
		s.addShare(s.txn.snaps[i].c)
	}
}

// commit ends a successful Apply.
func (s *Store) commit(u *Update) {
	if !s.hasRoot {
		s.hasRoot = hasRootItem(u)
	}
	for i := range s.txn.snaps { // see popFront: the block left behind is not needed now
		if c := s.txn.snaps[i].c; len(c.pend) == 0 && cap(c.pend) > 0 {
			clear(c.pend[:1])
		}
	}
	s.txn.reset()
}

// reset forgets the journal, dropping references so that nothing of the update is kept.
func (t *txn) reset() {
	t.snaps = recycle(t.snaps)
	t.ops = recycle(t.ops)
	t.alts = recycle(t.alts)
	t.stale = recycle(t.stale)
	t.ints = recycle(t.ints)
	t.joins = recycle(t.joins)
	t.work = recycle(t.work)
	t.cands = recycle(t.cands)
	t.news = recycle(t.news)
	t.delta = nil
	t.arena = nil
	t.builder.reset()
}

// maxKept bounds the scratch an Apply keeps for the next one, in elements: one large
// update would otherwise pin a hundred bytes or more per struct for the store's life.
const maxKept = 64

// recycle empties s for reuse, or drops it when it holds more than maxKept elements.
func recycle[T any](s []T) []T {
	if cap(s) > maxKept {
		return nil
	}
	clear(s)
	return s[:0]
}

// removeAt deletes the blocks at the ascending positions pos in one pass.
func removeAt(blocks []block, pos []int) []block {
	w, p := pos[0], 0
	for r := pos[0]; r < len(blocks); r++ {
		if p < len(pos) && r == pos[p] {
			p++
			continue
		}
		blocks[w] = blocks[r]
		w++
	}
	clear(blocks[w:])
	return blocks[:w]
}

// rollback undoes every change of the Apply in progress.
func (s *Store) rollback() {
	for i := len(s.txn.ops) - 1; i >= 0; i-- {
		op := &s.txn.ops[i]
		c := op.c
		switch op.kind {
		case opNewClient: // no ordered() runs during an Apply, so c is still in s.added
			delete(s.clients, c.id)
			s.added[len(s.added)-1] = nil
			s.added = s.added[:len(s.added)-1]
		case opInsertBlocks:
			c.pend = removeAt(c.pend, op.pos)
		case opMergeBlock:
			copy(op.old.enc[op.prefAt:], op.prefix[:op.prefN])
			if op.inInts {
				c.ints[op.idx] = op.old
			} else {
				c.pend[op.idx] = op.old
			}
		case opReplaceDels:
			c.dels.replace(op.lo, op.hi, op.dels)
		case opIntegrate, opTakeOver:
			c.ints[len(c.ints)-1] = block{}
			c.ints = c.ints[:len(c.ints)-1]
			if op.kind == opTakeOver && op.idx >= 0 {
				op.pend[op.idx] = op.old
			}
			c.pend = op.pend
		}
	}
	for i := range s.txn.snaps {
		sn := &s.txn.snaps[i]
		c := sn.c
		c.state = sn.state
		c.encBytes, c.nGaps, c.gapBytes = sn.encBytes, sn.nGaps, sn.gapBytes
		c.pendBytes = sn.pendBytes
		c.delBytes, c.pendDel = sn.delBytes, sn.pendDel
		c.waiters, c.blocked, c.blockedOn = sn.waiters, sn.blocked, sn.blockedOn
	}
	sv := s.txn.saved
	s.nStructClients, s.nDSClients = sv.nStructClients, sv.nDSClients
	s.structBytes, s.dsBytes, s.pending = sv.structBytes, sv.dsBytes, sv.pending
	s.txn.reset()
}

// hasRootItem reports whether an update holds an item whose parent is a named root.
func hasRootItem(u *Update) bool {
	for i := range u.Structs {
		for j := range u.Structs[i].Structs {
			if _, ok := u.Structs[i].Structs[j].RootName(); ok {
				return true
			}
		}
	}
	return false
}

// nBlocks is the number of blocks of the client, integrated and pending.
func (c *client) nBlocks() int { return len(c.ints) + len(c.pend) }

// first returns the client's first block; it must have one.
func (c *client) first() *block {
	if len(c.ints) > 0 {
		return &c.ints[0]
	}
	return &c.pend[0]
}

// runSize is the encoded size of the client's run in Encode (0 without blocks).
func (c *client) runSize() int {
	if c.nBlocks() == 0 {
		return 0
	}
	return varUintLen(uint64(c.nBlocks()+c.nGaps)) + varUintLen(c.id) +
		varUintLen(c.first().clock) + c.encBytes + c.gapBytes
}

// dsSize is the encoded size of the client's delete-set entry (0 without ranges).
func (c *client) dsSize() int {
	if c.dels.Len() == 0 {
		return 0
	}
	return varUintLen(c.id) + varUintLen(uint64(c.dels.Len())) + c.delBytes
}

// rangeSize is the encoded size of one delete range.
func rangeSize(r Range) int { return varUintLen(r.Clock) + varUintLen(r.Len) }

// gapCost is the number of Skip structs and bytes a gap of g clock units takes.
func gapCost(g uint64) (n, bytes int) {
	if g == 0 {
		return 0, 0
	}
	return 1, 1 + varUintLen(g)
}
