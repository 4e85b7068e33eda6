package yjs

import "slices"

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
	delta *deltaBuilder
}

// storeCounters are the store-wide counters an Apply changes.
type storeCounters struct {
	nStructClients, nDSClients int
	structBytes, dsBytes       int
	pending                    int
}

// clientSnap saves the counters of one client.
type clientSnap struct {
	c                                  *client
	nBlocks, nDels                     int
	nInt                               int
	state                              uint64
	encBytes, nGaps, gapBytes, pendEnc int
	delBytes, pendDel                  int
	waiters                            []uint64
	blocked                            bool
	blockedOn                          uint64
}

type opKind uint8

const (
	opNewClient   opKind = iota // a client record was created at order[idx]
	opInsertBlock               // a block was inserted at c.blocks[idx]
	opMergeBlock                // c.blocks[idx] grew; old holds it before
	opReplaceDels               // c.dels[idx] replaced the ranges in dels
	opTakeOver                  // c.blocks[idx:idx+n] replaced the blocks in blocks
)

// undoOp is one structural change.
type undoOp struct {
	kind   opKind
	c      *client
	idx    int
	old    block   // opMergeBlock: the block before
	prefix []byte  // opMergeBlock: the count bytes at old.enc[prefAt:] before
	prefAt int     // opMergeBlock
	dels   []Range // opReplaceDels: the ranges that were replaced
	blocks []block // opTakeOver: the blocks that were replaced
	n      int     // opTakeOver: how many blocks replaced them
}

// begin starts journaling an Apply.
func (s *Store) begin() {
	s.txn.id++
	s.txn.saved = storeCounters{s.nStructClients, s.nDSClients, s.structBytes, s.dsBytes,
		s.pending}
	s.txn.size = s.Size()
	s.txn.snaps = s.txn.snaps[:0]
	s.txn.ops = s.txn.ops[:0]
	s.txn.work = s.txn.work[:0]
	s.txn.alts = s.txn.alts[:0]
}

// touch saves a client's counters before its first change in this Apply and takes its
// share out of the store-wide counters; settle puts the new share back.
func (s *Store) touch(c *client) {
	if c.txnID == s.txn.id {
		return
	}
	c.txnID = s.txn.id
	s.txn.snaps = append(s.txn.snaps, clientSnap{
		c: c, nBlocks: len(c.blocks), nDels: len(c.dels), nInt: c.nInt, state: c.state,
		encBytes: c.encBytes, nGaps: c.nGaps, gapBytes: c.gapBytes, pendEnc: c.pendEnc,
		delBytes: c.delBytes, pendDel: c.pendDel, waiters: c.waiters,
		blocked: c.blocked, blockedOn: c.blockedOn,
	})
	s.removeShare(c)
}

// removeShare takes a client's part out of the store-wide counters.
func (s *Store) removeShare(c *client) {
	if len(c.blocks) > 0 {
		s.nStructClients--
	}
	if len(c.dels) > 0 {
		s.nDSClients--
	}
	s.structBytes -= c.runSize()
	s.dsBytes -= c.dsSize()
	s.pending -= c.pendEnc + c.pendDel
}

// settle adds the new share of every touched client to the store-wide counters.
func (s *Store) settle() {
	for i := range s.txn.snaps {
		c := s.txn.snaps[i].c
		if len(c.blocks) > 0 {
			s.nStructClients++
		}
		if len(c.dels) > 0 {
			s.nDSClients++
		}
		s.structBytes += c.runSize()
		s.dsBytes += c.dsSize()
		s.pending += c.pendEnc + c.pendDel
	}
}

// commit ends a successful Apply.
func (s *Store) commit(u *Update) {
	if !s.hasRoot {
		s.hasRoot = hasRootItem(u)
	}
	s.txn.snaps = s.txn.snaps[:0]
	s.txn.ops = s.txn.ops[:0]
	s.txn.alts = s.txn.alts[:0]
	s.txn.delta = nil
}

// rollback undoes every change of the Apply in progress.
func (s *Store) rollback() {
	for i := len(s.txn.ops) - 1; i >= 0; i-- {
		op := &s.txn.ops[i]
		c := op.c
		switch op.kind {
		case opNewClient:
			delete(s.clients, c.id)
			s.order = slices.Delete(s.order, op.idx, op.idx+1)
		case opInsertBlock:
			c.blocks = slices.Delete(c.blocks, op.idx, op.idx+1)
		case opMergeBlock:
			copy(op.old.enc[op.prefAt:], op.prefix)
			c.blocks[op.idx] = op.old
		case opReplaceDels:
			c.dels = slices.Replace(c.dels, op.idx, op.idx+1, op.dels...)
		case opTakeOver:
			c.blocks = slices.Replace(c.blocks, op.idx, op.idx+op.n, op.blocks...)
		}
	}
	for i := range s.txn.snaps {
		sn := &s.txn.snaps[i]
		c := sn.c
		c.nInt, c.state = sn.nInt, sn.state
		c.encBytes, c.nGaps, c.gapBytes, c.pendEnc = sn.encBytes, sn.nGaps, sn.gapBytes, sn.pendEnc
		c.delBytes, c.pendDel = sn.delBytes, sn.pendDel
		c.waiters, c.blocked, c.blockedOn = sn.waiters, sn.blocked, sn.blockedOn
	}
	sv := s.txn.saved
	s.nStructClients, s.nDSClients = sv.nStructClients, sv.nDSClients
	s.structBytes, s.dsBytes, s.pending = sv.structBytes, sv.dsBytes, sv.pending
	s.txn.snaps = s.txn.snaps[:0]
	s.txn.ops = s.txn.ops[:0]
	s.txn.alts = s.txn.alts[:0]
	s.txn.delta = nil
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

// runSize is the encoded size of the client's run in Encode (0 without blocks).
func (c *client) runSize() int {
	if len(c.blocks) == 0 {
		return 0
	}
	return varUintLen(uint64(len(c.blocks)+c.nGaps)) + varUintLen(c.id) +
		varUintLen(c.blocks[0].clock) + c.encBytes + c.gapBytes
}

// dsSize is the encoded size of the client's delete-set entry (0 without ranges).
func (c *client) dsSize() int {
	if len(c.dels) == 0 {
		return 0
	}
	return varUintLen(c.id) + varUintLen(uint64(len(c.dels))) + c.delBytes
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
