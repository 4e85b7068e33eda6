package yjs

// ClientDeletes lists the deleted clock ranges of one client, in the order written.
type ClientDeletes struct {
	Client uint64
	Ranges []Range
}

// Range is a run of clock units [Clock, Clock+Len).
type Range struct {
	Clock uint64
	Len   uint64
}

// End returns the clock just past the range.
func (r Range) End() uint64 { return r.Clock + r.Len }

// readDeleteSet reads the delete set that ends an update.
func (d *decoder) readDeleteSet() ([]ClientDeletes, error) {
	n, err := d.readVarUint()
	if err != nil {
		return nil, err
	}
	if n > uint64(d.remaining()/2) { // client and count take a byte each
		return nil, errTruncated
	}
	out := make([]ClientDeletes, 0, n)
	for i := uint64(0); i < n; i++ {
		cd, err := d.readClientDeletes()
		if err != nil {
			return nil, err
		}
		out = append(out, cd)
	}
	return out, nil
}

// readClientDeletes reads one client's delete ranges.
func (d *decoder) readClientDeletes() (ClientDeletes, error) {
	var cd ClientDeletes
	var err error
	if cd.Client, err = d.readVarUint(); err != nil {
		return ClientDeletes{}, err
	}
	n, err := d.readVarUint()
	if err != nil {
		return ClientDeletes{}, err
	}
	if n > uint64(d.remaining()/2) { // clock and length take a byte each
		return ClientDeletes{}, errTruncated
	}
	cd.Ranges = make([]Range, 0, n)
	for i := uint64(0); i < n; i++ {
		var r Range
		if r.Clock, err = d.readVarUint(); err != nil {
			return ClientDeletes{}, err
		}
		if r.Len, err = d.readVarUint(); err != nil {
			return ClientDeletes{}, err
		}
		if r.Len > maxSafeInteger-r.Clock {
			return ClientDeletes{}, errClockRange
		}
		cd.Ranges = append(cd.Ranges, r)
	}
	return cd, nil
}

// appendDeleteSet writes a delete set.
func appendDeleteSet(dst []byte, ds []ClientDeletes) []byte {
	dst = AppendVarUint(dst, uint64(len(ds)))
	for _, cd := range ds {
		dst = AppendVarUint(dst, cd.Client)
		dst = AppendVarUint(dst, uint64(len(cd.Ranges)))
		for _, r := range cd.Ranges {
			dst = AppendVarUint(dst, r.Clock)
			dst = AppendVarUint(dst, r.Len)
		}
	}
	return dst
}
