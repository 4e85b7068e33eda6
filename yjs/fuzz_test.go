package yjs

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"slices"
	"testing"
)

// goldenUpdates returns the update bytes of testdata/golden.json, to seed fuzz targets.
func goldenUpdates(f *testing.F) [][]byte {
	var out [][]byte
	for _, v := range loadGolden(f) {
		out = append(out, v.Update)
	}
	return out
}

// lib0Seeds returns the lib0.json bytes of one kind.
func lib0Seeds(f *testing.F, kind string) [][]byte {
	raw, err := os.ReadFile("testdata/lib0.json")
	if err != nil {
		f.Fatal(err)
	}
	var vs []lib0Vector
	if err := json.Unmarshal(raw, &vs); err != nil {
		f.Fatal(err)
	}
	var out [][]byte
	for _, v := range vs {
		if v.Kind == kind {
			b, _ := hex.DecodeString(v.Hex)
			out = append(out, b)
		}
	}
	return out
}

func FuzzDecodeUpdate(f *testing.F) {
	for _, u := range goldenUpdates(f) {
		f.Add(u)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		u, err := DecodeUpdate(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error does not match ErrMalformed: %v", err)
			}
			return
		}
		enc := u.Encode()
		u2, err := DecodeUpdate(enc)
		if err != nil {
			t.Fatalf("re-encoding does not decode: %v", err)
		}
		if !reflect.DeepEqual(u, u2) {
			t.Fatalf("round trip changed the update")
		}
		if !bytes.Equal(u2.Encode(), enc) {
			t.Fatalf("encoding is not stable")
		}
		if len(enc) > len(b) {
			t.Fatalf("re-encoding grew from %d to %d bytes", len(b), len(enc))
		}
	})
}

func FuzzStateVector(f *testing.F) {
	for _, u := range goldenUpdates(f) {
		s := NewStore(Options{})
		if _, err := s.Apply(u); err == nil {
			f.Add(s.StateVector())
		}
	}
	f.Add([]byte{2, 5, 3, 5, 7})
	f.Fuzz(func(t *testing.T, b []byte) {
		sv, err := DecodeStateVector(b)
		if err != nil {
			return
		}
		enc := sv.Encode()
		sv2, err := DecodeStateVector(enc)
		if err != nil || !reflect.DeepEqual(sv, sv2) || !bytes.Equal(sv2.Encode(), enc) {
			t.Fatalf("round trip: %v, %v vs %v", err, sv, sv2)
		}
	})
}

func FuzzReadVarUint(f *testing.F) {
	for _, b := range lib0Seeds(f, "varuint") {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, n, err := ReadVarUint(b)
		if err != nil {
			return
		}
		if v > maxSafeInteger || n > len(b) || n > maxVarLen {
			t.Fatalf("read %d in %d bytes", v, n)
		}
		again, m, err := ReadVarUint(AppendVarUint(nil, v))
		if err != nil || again != v || m != varUintLen(v) || m > n {
			t.Fatalf("round trip of %d: %d, %d, %v", v, again, m, err)
		}
	})
}

func FuzzReadVarInt(f *testing.F) {
	for _, b := range lib0Seeds(f, "varint") {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		d := decoder{buf: b}
		mag, neg, err := d.readVarInt()
		if err != nil {
			return
		}
		enc := appendVarInt(nil, mag, neg)
		d2 := decoder{buf: enc}
		mag2, neg2, err := d2.readVarInt()
		if err != nil || mag2 != mag || neg2 != neg || d2.remaining() != 0 || len(enc) > d.pos {
			t.Fatalf("round trip of %d/%v: %d/%v, %v", mag, neg, mag2, neg2, err)
		}
	})
}

func FuzzReadVarString(f *testing.F) {
	for _, b := range lib0Seeds(f, "varstring") {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, n, err := ReadVarString(b)
		if err != nil {
			return
		}
		enc := AppendVarString(nil, s)
		if s2, m, err := ReadVarString(enc); err != nil || s2 != s || m != len(enc) || m > n {
			t.Fatalf("round trip of %q: %q, %v", s, s2, err)
		}
	})
}

func FuzzReadAny(f *testing.F) {
	for _, b := range lib0Seeds(f, "any") {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		a, n, err := ReadAny(b)
		d := decoder{buf: b}
		skipErr := d.skipAny(0)
		if (err == nil) != (skipErr == nil) || (err == nil && d.pos != n) {
			t.Fatalf("readAny (%d, %v) and skipAny (%d, %v) disagree", n, err, d.pos, skipErr)
		}
		if err != nil {
			return
		}
		enc := AppendAny(nil, a)
		a2, m, err := ReadAny(enc)
		if err != nil || m != len(enc) || !reflect.DeepEqual(a, a2) ||
			!bytes.Equal(AppendAny(nil, a2), enc) {
			t.Fatalf("round trip: %v", err)
		}
	})
}

// FuzzStoreApply applies a sequence of updates (each prefixed by its var-uint length; the
// first byte picks the caps) and checks after each one: a failed Apply changes nothing,
// the invariants hold, the delta decodes and adds nothing when applied again, a peer that
// had the previous Encode() and applies the delta covers the same ranges, and a fresh
// store fed Encode() integrates the same state.
func FuzzStoreApply(f *testing.F) {
	gold := goldenUpdates(f)
	for i := range gold {
		f.Add(fuzzInput(0, gold[i]))
		f.Add(fuzzInput(1, gold[i], gold[(i+3)%len(gold)], gold[i]))
		f.Add(fuzzInput(2, gold[(i+1)%len(gold)], gold[i]))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		pick, updates := fuzzUpdates(data)
		caps := []Options{{}, {MaxSize: 200, MaxPending: 120}, {MaxSize: 1000, MaxPending: 60}}
		s := NewStore(caps[int(pick)%len(caps)])
		for _, u := range updates {
			checkApply(t, s, u)
		}
	})
}

// fuzzUpdates reads a fuzz input as fuzzInput writes it: a first byte, then updates each
// prefixed by its var-uint length. A prefix that does not fit ends the updates.
func fuzzUpdates(data []byte) (byte, [][]byte) {
	if len(data) == 0 {
		return 0, nil
	}
	pick, data := data[0], data[1:]
	var out [][]byte
	for len(data) > 0 {
		n, k, err := ReadVarUint(data)
		if err != nil || n > uint64(len(data)-k) {
			break
		}
		out = append(out, data[k:k+int(n)])
		data = data[k+int(n):]
	}
	return pick, out
}

func fuzzInput(caps byte, updates ...[]byte) []byte {
	out := []byte{caps}
	for _, u := range updates {
		out = AppendVarUint(out, uint64(len(u)))
		out = append(out, u...)
	}
	return out
}

func checkApply(t *testing.T, s *Store, u []byte) {
	t.Helper()
	before := stateOf(s)
	delta, err := s.Apply(u)
	if err != nil {
		if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrTooLarge) &&
			!errors.Is(err, ErrPendingFull) {
			t.Fatalf("unexpected error kind: %v", err)
		}
		if !stateOf(s).equal(before) {
			t.Fatalf("failed Apply (%v) changed the store", err)
		}
		if err := verifyStore(s); err != nil {
			t.Fatalf("after failed Apply: %v", err)
		}
		return
	}
	if err := verifyStore(s); err != nil {
		t.Fatal(err)
	}
	if delta == nil {
		if !bytes.Equal(s.Encode(), before.enc) {
			t.Fatal("no delta but the store changed")
		}
		return
	}
	if _, err := DecodeUpdate(delta); err != nil {
		t.Fatalf("delta does not decode: %v", err)
	}
	after := stateOf(s)
	if again, err := s.Apply(delta); err != nil || again != nil || !stateOf(s).equal(after) {
		t.Fatalf("re-applying the delta: %x, %v", again, err)
	}
	peer := NewStore(Options{})
	if _, err := peer.Apply(before.enc); err != nil {
		t.Fatalf("peer cannot take the previous state: %v", err)
	}
	if _, err := peer.Apply(delta); err != nil {
		t.Fatalf("peer cannot take the delta: %v", err)
	}
	sameCoverage(t, "peer with the delta", peer, s)
	fresh := NewStore(Options{})
	if _, err := fresh.Apply(after.enc); err != nil {
		t.Fatalf("fresh store cannot take Encode(): %v", err)
	}
	sameCoverage(t, "fresh store", fresh, s)
}

// sameCoverage compares two stores' state vectors, struct coverage and delete sets.
func sameCoverage(t *testing.T, what string, got, want *Store) {
	t.Helper()
	if !bytes.Equal(got.StateVector(), want.StateVector()) {
		t.Fatalf("%s: state vector %x, want %x", what, got.StateVector(), want.StateVector())
	}
	if !reflect.DeepEqual(coverage(got), coverage(want)) {
		t.Fatalf("%s: covers %v, want %v", what, coverage(got), coverage(want))
	}
	var gd, wd []byte
	gd, wd = got.appendDeletes(nil), want.appendDeletes(nil)
	if !bytes.Equal(gd, wd) {
		t.Fatalf("%s: deletes %x, want %x", what, gd, wd)
	}
}

// coverage lists, per client, the united clock ranges the store holds structs for.
func coverage(s *Store) map[uint64][]Range {
	out := map[uint64][]Range{}
	for _, c := range s.ordered() {
		var rs []Range
		for _, b := range slices.Concat(c.ints, c.pend) {
			if n := len(rs); n > 0 && rs[n-1].End() == b.clock {
				rs[n-1].Len += b.length
				continue
			}
			rs = append(rs, Range{b.clock, b.length})
		}
		if len(rs) > 0 {
			out[c.id] = slices.Clip(rs)
		}
	}
	return out
}

// FuzzSkipAny checks that the scan that checks encoded any content refuses exactly what
// decoding refuses, and ends where decoding ends.
func FuzzSkipAny(f *testing.F) {
	f.Add(nestedAny(nil))
	f.Add(objectWithKeys(3)[1:])
	f.Add([]byte{byte(AnyString), 2, 0xc3, 0xa9, byte(AnyInt), 0x80})
	f.Fuzz(func(t *testing.T, b []byte) {
		_, n, errRead := ReadAny(b)
		d := decoder{buf: b}
		errSkip := d.skipAny(0)
		if (errRead == nil) != (errSkip == nil) || errRead == nil && n != d.pos {
			t.Fatalf("ReadAny: %d, %v; skipAny: %d, %v", n, errRead, d.pos, errSkip)
		}
	})
}
