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

// readDeleteSet reads the delete set that ends an update into *ds.
func (d *decoder) readDeleteSet(ds *[]ClientDeletes) error {
	n, err := d.readVarUint()
	if err != nil {
		return err
	}
	if n > uint64(d.remaining()/2) { // client and count take a byte each
		return errTruncated
	}
	*ds = reuse(*ds, n)
	for i := range *ds {
		if err := d.readClientDeletes(&(*ds)[i]); err != nil {
			return err
		}
	}
	return nil
}

// readClientDeletes reads one client's delete ranges into cd.
func (d *decoder) readClientDeletes(cd *ClientDeletes) error {
	var err error
	if cd.Client, err = d.readVarUint(); err != nil {
		return err
	}
	n, err := d.readVarUint()
	if err != nil {
		return err
	}
	if n > uint64(d.remaining()/2) { // clock and length take a byte each
		return errTruncated
	}
	cd.Ranges = reuse(cd.Ranges, n)
	for i := range cd.Ranges {
		r := &cd.Ranges[i]
		if r.Clock, err = d.readVarUint(); err != nil {
			return err
		}
		if r.Len, err = d.readVarUint(); err != nil {
			return err
		}
		if r.Len > maxSafeInteger-r.Clock {
			return errClockRange
		}
	}
	return nil
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
