package yjs

import (
	"cmp"
	"slices"
)

// addDeleteSet unites the update's delete ranges with the store's, one pass per client,
// and records the parts that were not deleted before in the delta.
func (s *Store) addDeleteSet(ds []ClientDeletes, d *deltaBuilder) {
	byClient := func(a, b ClientDeletes) int { return cmp.Compare(a.Client, b.Client) }
	if !slices.IsSortedFunc(ds, byClient) {
		ds = slices.Clone(ds)
		slices.SortStableFunc(ds, byClient)
	}
	for i := 0; i < len(ds); {
		var rs []Range
		j := i
		for ; j < len(ds) && ds[j].Client == ds[i].Client; j++ {
			for _, r := range ds[j].Ranges {
				if r.Len > 0 {
					rs = append(rs, r)
				}
			}
		}
		if rs = unite(rs); len(rs) > 0 {
			c := s.get(ds[i].Client)
			if fresh := s.addRanges(c, rs); len(fresh) > 0 {
				d.dels = append(d.dels, ClientDeletes{Client: c.id, Ranges: fresh})
			}
		}
		i = j
	}
}

// unite sorts ranges and joins those that overlap or touch.
func unite(rs []Range) []Range {
	slices.SortFunc(rs, func(a, b Range) int { return cmp.Compare(a.Clock, b.Clock) })
	out := rs[:0]
	for _, r := range rs {
		if n := len(out); n > 0 && r.Clock <= out[n-1].End() {
			out[n-1].Len = max(out[n-1].End(), r.End()) - out[n-1].Clock
			continue
		}
		out = append(out, r)
	}
	return out
}

// addRanges unites rs (sorted, disjoint, not touching) with the client's delete ranges
// and returns the parts of rs that were not deleted before. Each range of rs replaces
// only the stored ranges it overlaps or touches, so the stored ranges between two ranges
// of rs are not looked at.
func (s *Store) addRanges(c *client, rs []Range) []Range {
	var fresh []Range
	for _, r := range rs {
		old := c.dels.span(r.Clock, r.End())
		n := len(fresh)
		cursor := r.Clock
		for _, o := range old {
			if o.Clock > cursor {
				fresh = append(fresh, Range{cursor, o.Clock - cursor})
			}
			cursor = max(cursor, o.End())
		}
		if cursor < r.End() {
			fresh = append(fresh, Range{cursor, r.End() - cursor})
		}
		if len(fresh) > n {
			s.addRange(c, r, old)
		}
	}
	return fresh
}

// addRange replaces old, the stored ranges that overlap or touch r, with their union
// with r (journaled).
func (s *Store) addRange(c *client, r Range, old []Range) {
	s.touch(c)
	m := r
	if len(old) > 0 {
		m.Clock = min(r.Clock, old[0].Clock)
		m.Len = max(r.End(), old[len(old)-1].End()) - m.Clock
	}
	saved := slices.Clone(old)
	for _, o := range saved {
		c.delBytes -= rangeSize(o)
		if o.End() > c.state {
			c.pendDel -= rangeCost(o)
		}
	}
	c.delBytes += rangeSize(m)
	if m.End() > c.state {
		c.pendDel += rangeCost(m)
	}
	c.dels.replace(r.Clock, r.End(), []Range{m})
	s.txn.ops = append(s.txn.ops, undoOp{kind: opReplaceDels, c: c, dels: saved,
		lo: m.Clock, hi: m.End()})
}
