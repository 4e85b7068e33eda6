package yjs

import (
	"fmt"
	"slices"
)

// defaultMaxPending is the pending cap used when [Options.MaxPending] is 0.
const defaultMaxPending = 4 << 20

// Options bounds what a [Store] accepts.
type Options struct {
	// MaxSize caps Size() after an Apply, in bytes; 0 or less means unlimited. An Apply
	// that would grow the store past it fails with ErrTooLarge and changes nothing; an
	// Apply that adds nothing never fails on it.
	MaxSize int
	// MaxPending caps the memory, in bytes, held by structs and deletes that wait for
	// missing history: their encoding plus a fixed overhead per struct (40) and per
	// delete range (16). 0 or less means 4 MiB. An Apply that would grow them past it
	// fails with ErrPendingFull and changes nothing.
	MaxPending int
	// KeepHistory turns garbage collection off: deleted items keep their content, as in
	// a Y.Doc made with gc false, for apps that undo across sessions. By default the
	// store collects as a Y.Doc with gc on does, and Encode, EncodeDiff and Size describe
	// the compacted document: the content of deleted items dropped (kept as a deleted
	// length), the items of deleted types turned into GC ranges, neighbours merged.
	KeepHistory bool
}

// Store holds a merged Yjs document state as structs per client and, over them, the
// document model (see the package documentation). Make one with [NewStore]; the zero
// value is not usable. Not safe for concurrent use, not even of the encoding methods or
// ToJSON alone: they sort newly seen clients in.
type Store struct {
	opts    Options
	clients map[uint64]*client
	order   []*client // ascending client id, without those in added; see ordered
	added   []*client // clients made since ordered last ran, in the order made

	nStructClients int  // clients with at least one block
	nDSClients     int  // clients with at least one delete range
	structBytes    int  // encoded bytes of all client runs
	dsBytes        int  // encoded bytes of all delete-set entries
	pending        int  // cost of pending blocks and delete ranges (see blockCost)
	hasRoot        bool // an applied update named a root type

	m        *model // the document the integrated structs make; nil in a merge-only store
	modelErr error  // why the model was dropped, if it was

	txn txn // journal of the Apply in progress
}

// client is what the store knows of one client's structs and deletes.
//
// TODO: a client costs about 280 heap bytes (this record, its map entry, its first block
// or range) and an update can name one in 6 bytes, so a store can hold about 41 times its
// encoded size (BenchmarkMemory, delete-clients); other shapes stay under 12 times.
type client struct {
	id uint64

	// ints are the integrated blocks: they cover [0, state) without gaps. pend are the
	// pending blocks, sorted, disjoint and at or past state. Integration moves the first
	// of pend to the end of ints, so neither slice ever shifts for it.
	ints  []block
	pend  []block
	state uint64

	encBytes  int // Σ len(enc) over blocks
	nGaps     int // gaps between blocks, written as Skip structs
	gapBytes  int // encoded bytes of those Skip structs
	pendBytes int // Σ blockCost over pend

	dels     rangeSet // sorted, disjoint, not touching
	delBytes int      // Σ encoded clock and length over dels
	pendDel  int      // Σ rangeCost over ranges ending past state

	waiters   []uint64 // clients whose first pending block needs this client to advance
	blocked   bool     // the first pending block waits for blockedOn
	blockedOn uint64

	txnID  uint64 // last transaction that saved this client
	overID uint64 // last transaction in which a take-over advanced this client
}

// block is one stored struct: its clock range and its v1 encoding at offset 0.
type block struct {
	clock  uint64
	length uint64
	enc    []byte
}

func (b *block) end() uint64 { return b.clock + b.length }

// Memory a pending entry holds besides its encoding; pending costs count it so that
// MaxPending bounds memory, not only encoded bytes.
const (
	blockOverhead = 40 // a block: two clocks and a slice header
	rangeOverhead = 16 // a delete range: two clocks
)

// blockCost is what a pending block counts against MaxPending.
func blockCost(b *block) int { return len(b.enc) + blockOverhead }

// rangeCost is what a pending delete range counts against MaxPending.
func rangeCost(r Range) int { return rangeSize(r) + rangeOverhead }

// NewStore returns an empty store.
func NewStore(o Options) *Store {
	s := newMergeStore(o)
	s.m = newModel(o.KeepHistory)
	return s
}

// newMergeStore returns a store without a document model: it merges updates and
// encodes them, but keeps no document, collects nothing and has no JSON view.
func newMergeStore(o Options) *Store {
	if o.MaxPending <= 0 {
		o.MaxPending = defaultMaxPending
	}
	return &Store{opts: o, clients: make(map[uint64]*client)}
}

// Apply merges a v1 update into the store and returns the effective delta: one v1
// update with exactly the struct and delete ranges the store did not have, or nil when
// there were none. (After a take-over, see the package documentation, the delta also
// carries the pending structs it unlocked.) On any error the store is left as it was.
func (s *Store) Apply(update []byte) (delta []byte, err error) {
	u := &s.txn.update
	defer clearUpdate(u)
	if err := decodeUpdate(update, u); err != nil {
		return nil, fmt.Errorf("applying update: %w", err)
	}
	if err := checkRefs(u); err != nil {
		return nil, fmt.Errorf("applying update: %w", err)
	}
	s.begin()
	d := s.merge(u, len(update))
	s.settle()
	if err := s.checkStale(); err != nil {
		s.rollback()
		return nil, fmt.Errorf("applying update: %w", err)
	}
	if err := s.checkCaps(); err != nil {
		s.rollback()
		return nil, err
	}
	delta = d.encode(len(update))
	s.joinBlocks()
	if s.m != nil {
		s.updateModel(d)
	}
	s.commit(u)
	return delta, nil
}

// checkStale refuses an update that resends an integrated item (its first unit, at
// least) naming another client's unit that is still not integrated. yjs checks an
// item's references before it looks at what it already has, so it would keep such an
// item pending, and with it every later struct of that client, in this update and in
// its pending structs, until the named unit arrives; the store drops what it has at
// once. Only a hostile update can do this (an honest one names what the item always
// named, integrated with it), so it is refused rather than reproduced.
func (s *Store) checkStale() error {
	for _, st := range s.txn.stale {
		c := s.lookup(st.ID.Client)
		if _, lacks := s.missingOf(c, st.Info, st.Origin, st.RightOrigin, st.ParentIsName,
			st.ParentID); lacks {
			return malformed("update resends an integrated item naming items not integrated")
		}
	}
	return nil
}

// checkCaps fails when the Apply grew the store or its pending part past the caps.
func (s *Store) checkCaps() error {
	if s.opts.MaxSize > 0 && s.Size() > s.opts.MaxSize && s.Size() > s.txn.size {
		return fmt.Errorf("applying update: size %d over %d: %w",
			s.Size(), s.opts.MaxSize, ErrTooLarge)
	}
	if s.pending > s.opts.MaxPending && s.pending > s.txn.saved.pending {
		return fmt.Errorf("applying update: pending %d bytes over %d: %w",
			s.pending, s.opts.MaxPending, ErrPendingFull)
	}
	return nil
}

// ModelErr returns nil while the store keeps its document model, and after the model
// was dropped the reason: an update whose concurrent inserts would take too long to
// order (see stepBase). The store then goes on merging and encoding updates, but
// ToJSON gives nothing and garbage collection stops.
func (s *Store) ModelErr() error { return s.modelErr }

// Size returns len(s.Encode()) in O(1).
func (s *Store) Size() int {
	return varUintLen(uint64(s.nStructClients)) + s.structBytes +
		varUintLen(uint64(s.nDSClients)) + s.dsBytes
}

// IsEmpty reports whether a Y.Doc fed the same updates would still have no root type: a
// Y.Doc creates one as soon as it decodes an item whose parent is given by name, even if
// the item then waits as pending.
func (s *Store) IsEmpty() bool { return !s.hasRoot }

// PendingSize returns the bytes held by structs and deletes that wait for missing
// history, counted as [Options.MaxPending] counts them.
func (s *Store) PendingSize() int { return s.pending }

// lookup returns the record of a client, or nil.
func (s *Store) lookup(id uint64) *client { return s.clients[id] }

// stateOf returns the integrated clock of a client.
func (s *Store) stateOf(id uint64) uint64 {
	if c := s.clients[id]; c != nil {
		return c.state
	}
	return 0
}

// get returns the record of a client, creating it (journaled) when missing. A new
// client goes to s.added, not into s.order: inserting it there would move every client
// after it, and the encodings that need the order sort it in (see ordered).
func (s *Store) get(id uint64) *client {
	if c := s.clients[id]; c != nil {
		return c
	}
	c := &client{id: id}
	s.clients[id] = c
	s.added = append(s.added, c)
	s.txn.ops = append(s.txn.ops, undoOp{kind: opNewClient, c: c})
	return c
}

// ordered returns every client in ascending id order, first merging the clients added
// since its last call into s.order: O(k log k) for k added clients plus one pass over
// the clients, which the encodings that call it make anyway.
func (s *Store) ordered() []*client {
	k := len(s.added)
	if k == 0 {
		return s.order
	}
	byID := func(a, b *client) int { return cmpUint(a.id, b.id) }
	slices.SortFunc(s.added, byID)
	n := len(s.order)
	s.order = slices.Grow(s.order, k)[:n+k]
	i, j := n-1, k-1
	for w := n + k - 1; j >= 0; w-- { // merge from the back, in place
		if i >= 0 && s.order[i].id > s.added[j].id {
			s.order[w] = s.order[i]
			i--
		} else {
			s.order[w] = s.added[j]
			j--
		}
	}
	clear(s.added)
	s.added = s.added[:0]
	return s.order
}

// checkRefs refuses items that name a struct of their own client at or after their own
// clock: yjs cannot integrate them (it throws), so they can never become valid.
func checkRefs(u *Update) error {
	for i := range u.Structs {
		for j := range u.Structs[i].Structs {
			st := &u.Structs[i].Structs[j]
			if !st.IsItem() {
				continue
			}
			if selfRefAhead(st, st.HasOrigin(), st.Origin) ||
				selfRefAhead(st, st.HasRightOrigin(), st.RightOrigin) ||
				selfRefAhead(st, st.writesParent() && !st.ParentIsName, st.ParentID) {
				return malformed("item refers to its own client's future")
			}
		}
	}
	return nil
}

// selfRefAhead reports a reference to the item's own client at or past its clock.
func selfRefAhead(st *Struct, present bool, ref ID) bool {
	return present && ref.Client == st.ID.Client && ref.Clock >= st.ID.Clock
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
