package yjs

import (
	"cmp"
	"slices"
	"sort"
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
// and returns the parts of rs that were not deleted before. Only the stored ranges that
// rs overlap or touch are replaced.
func (s *Store) addRanges(c *client, rs []Range) []Range {
	dels := c.dels
	lo, hi := rs[0].Clock, rs[len(rs)-1].End()
	i := sort.Search(len(dels), func(k int) bool { return dels[k].End() >= lo })
	j := i + sort.Search(len(dels)-i, func(k int) bool { return dels[i+k].Clock > hi })
	old := dels[i:j]

	var fresh []Range
	k := 0
	for _, r := range rs {
		cursor := r.Clock
		for ; k < len(old) && old[k].Clock < r.End(); k++ {
			if old[k].Clock > cursor {
				fresh = append(fresh, Range{cursor, old[k].Clock - cursor})
			}
			cursor = max(cursor, old[k].End())
			if old[k].End() > r.End() {
				break // old[k] reaches into the next range too
			}
		}
		if cursor < r.End() {
			fresh = append(fresh, Range{cursor, r.End() - cursor})
		}
	}
	if len(fresh) == 0 {
		return nil // all deleted already
	}

	s.touch(c)
	merged := unite(append(slices.Clone(old), rs...))
	saved := slices.Clone(old)
	for _, o := range saved {
		c.delBytes -= rangeSize(o)
		if o.End() > c.state {
			c.pendDel -= rangeCost(o)
		}
	}
	for _, m := range merged {
		c.delBytes += rangeSize(m)
		if m.End() > c.state {
			c.pendDel += rangeCost(m)
		}
	}
	c.dels = slices.Replace(dels, i, j, merged...)
	s.txn.ops = append(s.txn.ops, undoOp{kind: opReplaceDels, c: c, idx: i, dels: saved,
		n: len(merged)})
	return fresh
}
