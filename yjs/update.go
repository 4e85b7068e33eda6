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
// error. The result does not share memory with b: its strings and content share one
// copy of b, which stays in memory as long as any of them does.
func DecodeUpdate(b []byte) (*Update, error) {
	u := &Update{}
	if err := decodeUpdate(b, u); err != nil {
		return nil, err
	}
	return u, nil
}

// decodeUpdate decodes b into u, reusing the slices u already has.
func decodeUpdate(b []byte, u *Update) error {
	d := decoder{buf: b, src: string(b)}
	if err := d.readClientStructs(&u.Structs); err != nil {
		return fmt.Errorf("reading structs: %w", err)
	}
	if err := d.readDeleteSet(&u.Deletes); err != nil {
		return fmt.Errorf("reading delete set: %w", err)
	}
	if d.remaining() != 0 {
		return errTrailing
	}
	return nil
}

// reuse returns s resized to n elements, reusing its array when it is large enough.
func reuse[T any](s []T, n uint64) []T {
	if s == nil || uint64(cap(s)) < n {
		return make([]T, n)
	}
	return s[:n]
}

// readClientStructs reads the struct section of an update into *runs.
func (d *decoder) readClientStructs(runs *[]ClientStructs) error {
	n, err := d.readVarUint()
	if err != nil {
		return err
	}
	if n > uint64(d.remaining()/3) { // count, client and clock take a byte each
		return errTruncated
	}
	*runs = reuse(*runs, n)
	for i := range *runs {
		if err := d.readRun(&(*runs)[i]); err != nil {
			return err
		}
	}
	return nil
}

// readRun reads one client's run of structs into run.
func (d *decoder) readRun(run *ClientStructs) error {
	n, err := d.readVarUint()
	if err != nil {
		return err
	}
	if run.Client, err = d.readVarUint(); err != nil {
		return err
	}
	if run.Clock, err = d.readVarUint(); err != nil {
		return err
	}
	if n > uint64(d.remaining()/2) { // every struct takes at least two bytes
		return errTruncated
	}
	run.Structs = reuse(run.Structs, n)
	clock := run.Clock
	for i := range run.Structs {
		s, err := d.readStruct(run.Client, clock)
		if err != nil {
			return err
		}
		run.Structs[i] = s
		clock += s.Length
	}
	return nil
}

// clearUpdate drops the references u holds, keeping its slices for reuse unless they
// hold more than maxKept elements in all.
func clearUpdate(u *Update) {
	runs, ds := u.Structs[:cap(u.Structs)], u.Deletes[:cap(u.Deletes)]
	n := len(runs) + len(ds)
	for i := range runs {
		n += cap(runs[i].Structs)
	}
	for i := range ds {
		n += cap(ds[i].Ranges)
	}
	if n > maxKept {
		*u = Update{}
		return
	}
	for i := range runs {
		clear(runs[i].Structs)
	}
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
