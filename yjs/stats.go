package yjs

import (
	"fmt"
	"unsafe"
)

// UpdateStats returns how many structs (Skips included) and delete ranges a v1 update
// declares, in one scan that checks it as [DecodeUpdate] does and fails with the same
// error where it fails, without allocating in proportion to the update. It lets a caller
// refuse or budget an update before [Store.Apply].
func UpdateStats(update []byte) (structs, deleteRanges int, err error) {
	// Strings read are substrings of src and die with the scan, so src may share the
	// update's bytes instead of copying them as decodeUpdate does.
	d := decoder{buf: update, src: unsafe.String(unsafe.SliceData(update), len(update))}
	if structs, err = d.countStructs(); err != nil {
		return 0, 0, fmt.Errorf("reading structs: %w", err)
	}
	if deleteRanges, err = d.countDeletes(); err != nil {
		return 0, 0, fmt.Errorf("reading delete set: %w", err)
	}
	if d.remaining() != 0 {
		return 0, 0, errTrailing
	}
	return structs, deleteRanges, nil
}

// countStructs reads the struct section as readClientStructs does, counting the structs.
func (d *decoder) countStructs() (int, error) {
	n, err := d.readVarUint()
	if err != nil {
		return 0, err
	}
	if n > uint64(d.remaining()/3) {
		return 0, errTruncated
	}
	total := 0
	for range n {
		m, err := d.readVarUint()
		if err != nil {
			return 0, err
		}
		client, err := d.readVarUint()
		if err != nil {
			return 0, err
		}
		clock, err := d.readVarUint()
		if err != nil {
			return 0, err
		}
		if m > uint64(d.remaining()/2) {
			return 0, errTruncated
		}
		for range m {
			s, err := d.readStruct(client, clock)
			if err != nil {
				return 0, err
			}
			clock += s.Length
		}
		total += int(m)
	}
	return total, nil
}

// countDeletes reads the delete set as readDeleteSet does, counting the ranges.
func (d *decoder) countDeletes() (int, error) {
	n, err := d.readVarUint()
	if err != nil {
		return 0, err
	}
	if n > uint64(d.remaining()/2) {
		return 0, errTruncated
	}
	total := 0
	for range n {
		if _, err := d.readVarUint(); err != nil { // the client
			return 0, err
		}
		m, err := d.readVarUint()
		if err != nil {
			return 0, err
		}
		if m > uint64(d.remaining()/2) {
			return 0, errTruncated
		}
		for range m {
			var r Range
			if r.Clock, err = d.readVarUint(); err != nil {
				return 0, err
			}
			if r.Len, err = d.readVarUint(); err != nil {
				return 0, err
			}
			if r.Len > maxSafeInteger-r.Clock {
				return 0, errClockRange
			}
		}
		total += int(m)
	}
	return total, nil
}
