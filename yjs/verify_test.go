package yjs

import (
	"fmt"
	"slices"
)

// verifyStore recomputes everything a Store keeps incrementally and checks its
// invariants: block order, the integrated prefix, that nothing integrable is left
// pending, the waiter registrations, every counter, and Size() == len(Encode()).
func verifyStore(s *Store) error {
	order := s.ordered()
	if len(order) != len(s.clients) {
		return fmt.Errorf("order has %d clients, map %d", len(order), len(s.clients))
	}
	var want storeCounters
	for i, c := range order {
		if s.clients[c.id] != c {
			return fmt.Errorf("client %d: order and map disagree", c.id)
		}
		if i > 0 && order[i-1].id >= c.id {
			return fmt.Errorf("order not ascending at %d", i)
		}
		if err := verifyClient(s, c); err != nil {
			return fmt.Errorf("client %d: %w", c.id, err)
		}
		if c.nBlocks() > 0 {
			want.nStructClients++
		}
		if c.dels.Len() > 0 {
			want.nDSClients++
		}
		want.structBytes += c.runSize()
		want.dsBytes += c.dsSize()
		want.pending += c.pendBytes + c.pendDel
	}
	got := storeCounters{s.nStructClients, s.nDSClients, s.structBytes, s.dsBytes, s.pending}
	if got != want {
		return fmt.Errorf("store counters %+v, recomputed %+v", got, want)
	}
	enc := s.Encode()
	if len(enc) != s.Size() {
		return fmt.Errorf("Size() %d but len(Encode()) %d", s.Size(), len(enc))
	}
	if _, err := DecodeUpdate(enc); err != nil {
		return fmt.Errorf("Encode() does not decode: %w", err)
	}
	return nil
}

func verifyClient(s *Store, c *client) error {
	var encBytes, nGaps, gapBytes, pendBytes int
	var state uint64
	all := slices.Concat(c.ints, c.pend)
	for i := range all {
		b := &all[i]
		st, err := decodeBlock(c.id, b)
		if err != nil || st.Length != b.length || len(AppendStruct(nil, &st)) != len(b.enc) {
			return fmt.Errorf("block %d does not decode to itself: %v", i, err)
		}
		if b.length == 0 || (i > 0 && b.clock < all[i-1].end()) {
			return fmt.Errorf("block %d empty or overlapping", i)
		}
		if i > 0 {
			n, g := gapCost(b.clock - all[i-1].end())
			nGaps, gapBytes = nGaps+n, gapBytes+g
		}
		encBytes += len(b.enc)
		if i < len(c.ints) {
			if b.clock != state {
				return fmt.Errorf("integrated block %d not contiguous", i)
			}
			state = b.end()
		} else {
			pendBytes += blockCost(b)
		}
	}
	if state != c.state {
		return fmt.Errorf("state %d, integrated blocks end at %d", c.state, state)
	}
	if len(c.pend) > 0 && c.pend[0].clock == c.state {
		dep, ok := s.missing(c, &c.pend[0])
		if !ok {
			return fmt.Errorf("block at clock %d could integrate but is pending", c.state)
		}
		if !c.blocked || c.blockedOn != dep || !slices.Contains(s.lookup(dep).waiters, c.id) {
			return fmt.Errorf("pending head waits for %d but is not registered", dep)
		}
	}
	if encBytes != c.encBytes || nGaps != c.nGaps || gapBytes != c.gapBytes ||
		pendBytes != c.pendBytes {
		return fmt.Errorf("block counters %d/%d/%d/%d, recomputed %d/%d/%d/%d",
			c.encBytes, c.nGaps, c.gapBytes, c.pendBytes, encBytes, nGaps, gapBytes, pendBytes)
	}
	var delBytes, pendDel int
	n := 0
	for i, ch := range c.dels.chunks {
		last := i == len(c.dels.chunks)-1
		if len(ch) == 0 || len(ch) > maxChunk || !last && len(ch) < maxChunk/4 {
			return fmt.Errorf("delete chunk %d of %d ranges", i, len(ch))
		}
		n += len(ch)
	}
	if n != c.dels.Len() {
		return fmt.Errorf("delete set counts %d ranges, chunks hold %d", c.dels.Len(), n)
	}
	dels := slices.Collect(c.dels.all)
	for i, r := range dels {
		if r.Len == 0 || (i > 0 && r.Clock <= dels[i-1].End()) {
			return fmt.Errorf("delete range %d empty, unsorted or touching", i)
		}
		delBytes += rangeSize(r)
		if r.End() > c.state {
			pendDel += rangeCost(r)
		}
	}
	if delBytes != c.delBytes || pendDel != c.pendDel {
		return fmt.Errorf("delete counters %d/%d, recomputed %d/%d",
			c.delBytes, c.pendDel, delBytes, pendDel)
	}
	return nil
}
