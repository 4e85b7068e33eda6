package yjs

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"math"
	"os"
	"reflect"
	"strconv"
	"testing"
)

// lib0Vector is one entry of testdata/lib0.json: a value and the bytes lib0 writes.
type lib0Vector struct {
	Kind  string          `json:"kind"`
	Value json.RawMessage `json:"value"`
	Hex   string          `json:"hex"`
}

// TestLib0Golden reads every value lib0 wrote, checks it, and writes it back.
func TestLib0Golden(t *testing.T) {
	raw, err := os.ReadFile("testdata/lib0.json")
	if err != nil {
		t.Fatal(err)
	}
	var vs []lib0Vector
	if err := json.Unmarshal(raw, &vs); err != nil {
		t.Fatal(err)
	}
	for i, v := range vs {
		b, _ := hex.DecodeString(v.Hex)
		t.Run(strconv.Itoa(i)+"-"+v.Kind, func(t *testing.T) {
			var str string
			_ = json.Unmarshal(v.Value, &str)
			switch v.Kind {
			case "varuint":
				got, n, err := ReadVarUint(b)
				want, _ := strconv.ParseUint(str, 10, 64)
				if err != nil || n != len(b) || got != want {
					t.Fatalf("ReadVarUint(%x) = %d, %d, %v; want %d", b, got, n, err, want)
				}
				same(t, AppendVarUint(nil, got), b)
			case "varint":
				d := decoder{buf: b}
				mag, neg, err := d.readVarInt()
				want, _ := strconv.ParseInt(str, 10, 64)
				got := int64(mag)
				if neg {
					got = -got
				}
				negZero := neg && mag == 0
				if err != nil || d.remaining() != 0 || got != want || negZero != (str == "-0") {
					t.Fatalf("readVarInt(%x) = %d, %v, %v; want %s", b, mag, neg, err, str)
				}
				same(t, appendVarInt(nil, mag, neg), b)
			case "varstring":
				got, n, err := ReadVarString(b)
				if err != nil || n != len(b) || got != str {
					t.Fatalf("ReadVarString(%x) = %q, %d, %v; want %q", b, got, n, err, str)
				}
				same(t, AppendVarString(nil, got), b)
			case "any":
				a, n, err := ReadAny(b)
				if err != nil || n != len(b) {
					t.Fatalf("ReadAny(%x): %d, %v", b, n, err)
				}
				sameJSON(t, "any", describeAny(a), v.Value)
				same(t, AppendAny(nil, a), b)
			}
		})
	}
}

func same(t *testing.T, got, want []byte) {
	t.Helper()
	if !bytes.Equal(got, want) {
		t.Fatalf("wrote %x, want %x", got, want)
	}
}

func TestReadVarUint(t *testing.T) {
	tests := []struct {
		name string
		in   string // hex
		want uint64
		n    int
		err  error
	}{
		{name: "zero", in: "00", want: 0, n: 1},
		{name: "stops at first byte under 0x80", in: "7f01", want: 127, n: 1},
		{name: "two bytes", in: "8001", want: 128, n: 2},
		{name: "padded zero like lib0", in: "808000", want: 0, n: 3},
		{name: "max safe integer", in: "ffffffffffffff0f", want: maxSafeInteger, n: 8},
		{name: "2^53 refused", in: "8080808080808010", err: errIntRange},
		{name: "bits past 64 refused", in: "80808080808080808001", err: errIntRange},
		{name: "endless continuation", in: "8080808080808080808080", err: errVarTooLong},
		{name: "truncated", in: "80", err: io.ErrUnexpectedEOF},
		{name: "empty", in: "", err: io.ErrUnexpectedEOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, _ := hex.DecodeString(tt.in)
			got, n, err := ReadVarUint(b)
			if tt.err != nil {
				if !errors.Is(err, tt.err) || !errors.Is(err, ErrMalformed) {
					t.Fatalf("err = %v, want %v (and ErrMalformed)", err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want || n != tt.n {
				t.Fatalf("got %d, %d, %v; want %d, %d", got, n, err, tt.want, tt.n)
			}
		})
	}
}

func TestVarInt(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want int64
		err  error
	}{
		{name: "zero", in: "00"},
		{name: "negative zero reads as 0", in: "40"},
		{name: "minus one", in: "41", want: -1},
		{name: "63", in: "3f", want: 63},
		{name: "64 takes two bytes", in: "8001", want: 64},
		{name: "-64", in: "c001", want: -64},
		{name: "max safe", in: "bfffffffffffff1f", want: maxSafeInteger},
		{name: "past max safe", in: "bfffffffffffff3f", err: errIntRange},
		{name: "truncated", in: "80", err: io.ErrUnexpectedEOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, _ := hex.DecodeString(tt.in)
			got, n, err := ReadVarInt(b)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("err = %v, want %v", err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want || n != len(b) {
				t.Fatalf("got %d, %d, %v; want %d", got, n, err, tt.want)
			}
			if tt.name != "negative zero reads as 0" {
				same(t, AppendVarInt(nil, got), b)
			}
		})
	}
}

func TestReadVarString(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
		err  error
	}{
		{name: "empty", in: "00", want: ""},
		{name: "astral", in: "04f09f9880", want: "😀"},
		{name: "invalid byte", in: "01ff", err: errBadUTF8},
		{name: "encoded surrogate", in: "03eda080", err: errBadUTF8},
		{name: "cut code point", in: "02f09f", err: errBadUTF8},
		{name: "length past end", in: "0561", err: io.ErrUnexpectedEOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, _ := hex.DecodeString(tt.in)
			got, _, err := ReadVarString(b)
			if !errors.Is(err, tt.err) || got != tt.want {
				t.Fatalf("got %q, %v; want %q, %v", got, err, tt.want, tt.err)
			}
		})
	}
}

func TestReadAnyErrors(t *testing.T) {
	deep := bytes.Repeat([]byte{byte(AnyArray), 1}, maxAnyDepth+1)
	deep = append(deep, byte(AnyNull))
	okDeep := bytes.Repeat([]byte{byte(AnyArray), 1}, maxAnyDepth)
	okDeep = append(okDeep, byte(AnyNull))
	tests := []struct {
		name string
		in   []byte
		err  error
	}{
		{name: "unknown tag", in: []byte{115}, err: errAnyTag},
		{name: "tag 128", in: []byte{128}, err: errAnyTag},
		{name: "array count past end", in: []byte{byte(AnyArray), 0xff, 0xff, 0x03},
			err: io.ErrUnexpectedEOF},
		{name: "object count past end", in: []byte{byte(AnyObject), 3, 1, 'a'},
			err: io.ErrUnexpectedEOF},
		{name: "float64 cut", in: []byte{byte(AnyFloat64), 1, 2}, err: io.ErrUnexpectedEOF},
		{name: "bad utf-8 key", in: []byte{byte(AnyObject), 1, 1, 0xff, byte(AnyNull)},
			err: errBadUTF8},
		{name: "nested too deeply", in: deep, err: errAnyDepth},
		{name: "nested to the limit", in: okDeep},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, n, err := ReadAny(tt.in)
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if err == nil {
				if n != len(tt.in) {
					t.Fatalf("read %d of %d bytes", n, len(tt.in))
				}
				same(t, AppendAny(nil, a), tt.in)
			}
			d := decoder{buf: tt.in}
			if skipErr := d.skipAny(0); (skipErr == nil) != (err == nil) {
				t.Fatalf("skipAny err %v, readAny err %v", skipErr, err)
			}
		})
	}
}

// anyNumber builds, for tests, an Any the way lib0's writeAny encodes a JavaScript number: an int
// when it is an integer of at most 31 bits, else float32 when exact, else float64.
func anyNumber(f float64) Any {
	if f == math.Trunc(f) && math.Abs(f) <= math.MaxInt32 {
		if f == 0 && math.Signbit(f) {
			return Any{Kind: AnyInt, NegZero: true}
		}
		return Any{Kind: AnyInt, Int: int64(f)}
	}
	if f32 := float32(f); float64(f32) == f {
		return Any{Kind: AnyFloat32, Bits: uint64(math.Float32bits(f32))}
	}
	return Any{Kind: AnyFloat64, Bits: math.Float64bits(f)}
}

func TestAnyNumber(t *testing.T) {
	tests := []struct {
		in   float64
		want Any
	}{
		{0, Any{Kind: AnyInt}},
		{-3, Any{Kind: AnyInt, Int: -3}},
		{2147483647, Any{Kind: AnyInt, Int: 2147483647}},
		{2147483648, Any{Kind: AnyFloat32, Bits: 0x4f000000}},
		{0.5, Any{Kind: AnyFloat32, Bits: 0x3f000000}},
		{0.1, Any{Kind: AnyFloat64, Bits: 0x3fb999999999999a}},
	}
	for _, tt := range tests {
		if got := anyNumber(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("anyNumber(%v) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
	if got := anyNumber(negZero()); !got.NegZero || got.Kind != AnyInt {
		t.Errorf("anyNumber(-0) = %+v", got)
	}
}

func negZero() float64 {
	z := 0.0
	return -z
}
