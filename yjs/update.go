package yjs

import "fmt"

var errTrailing = malformed("trailing bytes after update")

// Update is a decoded Yjs update in the v1 format: runs of structs per client, in the
// order written, then a delete set, in the order written.
type Update struct {
	Structs []ClientStructs
	Deletes []ClientDeletes
}

// ClientStructs is the run of consecutive structs one client contributes to an update.
type ClientStructs struct {
	Client uint64
	// Clock is the clock of the first struct, written once for the run.
	Clock   uint64
	Structs []Struct
}

// DecodeUpdate decodes a v1 update. Every count and length is checked against the bytes
// that remain, strings must be UTF-8, JSON texts must parse, and trailing bytes are an
// error. The result does not share memory with b.
func DecodeUpdate(b []byte) (*Update, error) {
	d := decoder{buf: b}
	u := &Update{}
	var err error
	if u.Structs, err = d.readClientStructs(); err != nil {
		return nil, fmt.Errorf("reading structs: %w", err)
	}
	if u.Deletes, err = d.readDeleteSet(); err != nil {
		return nil, fmt.Errorf("reading delete set: %w", err)
	}
	if d.remaining() != 0 {
		return nil, errTrailing
	}
	return u, nil
}

// readClientStructs reads the struct section of an update.
func (d *decoder) readClientStructs() ([]ClientStructs, error) {
	n, err := d.readVarUint()
	if err != nil {
		return nil, err
	}
	if n > uint64(d.remaining()/3) { // count, client and clock take a byte each
		return nil, errTruncated
	}
	runs := make([]ClientStructs, 0, n)
	for i := uint64(0); i < n; i++ {
		run, err := d.readRun()
		if err != nil {
			return nil, err
		}
		runs = append(runs, run)
	}
	return runs, nil
}

// readRun reads one client's run of structs.
func (d *decoder) readRun() (ClientStructs, error) {
	n, err := d.readVarUint()
	if err != nil {
		return ClientStructs{}, err
	}
	var run ClientStructs
	if run.Client, err = d.readVarUint(); err != nil {
		return ClientStructs{}, err
	}
	if run.Clock, err = d.readVarUint(); err != nil {
		return ClientStructs{}, err
	}
	if n > uint64(d.remaining()/2) { // every struct takes at least two bytes
		return ClientStructs{}, errTruncated
	}
	run.Structs = make([]Struct, 0, n)
	clock := run.Clock
	for i := uint64(0); i < n; i++ {
		s, err := d.readStruct(run.Client, clock)
		if err != nil {
			return ClientStructs{}, err
		}
		run.Structs = append(run.Structs, s)
		clock += s.Length
	}
	return run, nil
}

// Encode returns the v1 encoding of u.
func (u *Update) Encode() []byte { return u.AppendTo(nil) }

// AppendTo appends the v1 encoding of u to dst. Each run writes its Clock once and then
// its structs; the structs' own IDs are not consulted.
func (u *Update) AppendTo(dst []byte) []byte {
	dst = AppendVarUint(dst, uint64(len(u.Structs)))
	for i := range u.Structs {
		run := &u.Structs[i]
		dst = AppendVarUint(dst, uint64(len(run.Structs)))
		dst = AppendVarUint(dst, run.Client)
		dst = AppendVarUint(dst, run.Clock)
		for j := range run.Structs {
			dst = AppendStruct(dst, &run.Structs[j])
		}
	}
	return appendDeleteSet(dst, u.Deletes)
}
