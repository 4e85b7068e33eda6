package yjs

import (
	"cmp"
	"slices"
)

// deltaBuilder collects what an Apply added, to encode it as the effective delta.
type deltaBuilder struct {
	pieces    []Struct // new struct ranges, disjoint, in the order found
	overrides []Struct // ranges sent again after a take-over; they win over pieces
	dels      []ClientDeletes
}

// encode returns the effective delta, or nil when nothing was new: the pieces by client
// (descending) and clock, gaps written as Skips, then the new delete ranges.
func (d *deltaBuilder) encode(sizeHint int) []byte {
	if len(d.pieces) == 0 && len(d.overrides) == 0 && len(d.dels) == 0 {
		return nil
	}
	if !slices.IsSortedFunc(d.pieces, structOrder) {
		slices.SortFunc(d.pieces, structOrder)
	}
	d.applyOverrides()
	ps := d.pieces
	clients := 0
	for i := range ps {
		if i == 0 || ps[i].ID.Client != ps[i-1].ID.Client {
			clients++
		}
	}
	out := AppendVarUint(make([]byte, 0, sizeHint+16), uint64(clients))
	for i := 0; i < len(ps); {
		j, count := i+1, 1
		for ; j < len(ps) && ps[j].ID.Client == ps[i].ID.Client; j++ {
			count++
			if ps[j].ID.Clock > ps[j-1].End() {
				count++ // a Skip
			}
		}
		out = AppendVarUint(out, uint64(count))
		out = AppendVarUint(out, ps[i].ID.Client)
		out = AppendVarUint(out, ps[i].ID.Clock)
		for k := i; k < j; k++ {
			if k > i && ps[k].ID.Clock > ps[k-1].End() {
				out = append(out, RefSkip)
				out = AppendVarUint(out, ps[k].ID.Clock-ps[k-1].End())
			}
			out = AppendStruct(out, &ps[k])
		}
		i = j
	}
	return appendDeleteSet(out, groupDeletes(d.dels))
}

// groupDeletes sorts new delete ranges by client (descending) and clock, one entry per
// client.
func groupDeletes(dels []ClientDeletes) []ClientDeletes {
	slices.SortStableFunc(dels, func(a, b ClientDeletes) int {
		return cmp.Compare(b.Client, a.Client)
	})
	out := dels[:0]
	for _, cd := range dels {
		if n := len(out); n > 0 && out[n-1].Client == cd.Client {
			out[n-1].Ranges = append(out[n-1].Ranges, cd.Ranges...)
			continue
		}
		out = append(out, cd)
	}
	for _, cd := range out {
		slices.SortFunc(cd.Ranges, func(a, b Range) int { return cmp.Compare(a.Clock, b.Clock) })
	}
	return out
}

// structOrder sorts structs as updates list them: clients descending, clocks ascending.
func structOrder(a, b Struct) int {
	if c := cmp.Compare(b.ID.Client, a.ID.Client); c != 0 {
		return c
	}
	return cmp.Compare(a.ID.Clock, b.ID.Clock)
}

// applyOverrides puts the ranges sent again after a take-over into the sorted pieces,
// cutting what they cover out of the pieces. Both lists are disjoint in themselves, so
// one sweep does it.
func (d *deltaBuilder) applyOverrides() {
	if len(d.overrides) == 0 {
		return
	}
	ov := d.overrides
	slices.SortFunc(ov, structOrder)
	out := make([]Struct, 0, len(d.pieces)+len(ov))
	j := 0
	for _, p := range d.pieces {
		for j < len(ov) && (ov[j].ID.Client > p.ID.Client ||
			(ov[j].ID.Client == p.ID.Client && ov[j].End() <= p.ID.Clock)) {
			j++
		}
		lo := p.ID.Clock
		for k := j; k < len(ov) && ov[k].ID.Client == p.ID.Client && ov[k].ID.Clock < p.End(); k++ {
			if ov[k].ID.Clock > lo {
				out = append(out, clipStruct(p, lo, ov[k].ID.Clock))
			}
			lo = max(lo, ov[k].End())
		}
		if lo < p.End() {
			out = append(out, clipStruct(p, lo, p.End()))
		}
	}
	out = append(out, ov...)
	slices.SortFunc(out, structOrder)
	d.pieces = out
}

// reset empties the builder for the next Apply, dropping references to the update.
func (d *deltaBuilder) reset() {
	d.pieces = recycle(d.pieces)
	d.overrides = recycle(d.overrides)
	d.dels = recycle(d.dels)
}
