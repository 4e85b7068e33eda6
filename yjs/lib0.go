package yjs

import (
	"encoding/binary"
	"math"
	"unicode/utf8"
)

// maxSafeInteger is the largest integer a JavaScript number holds exactly (2^53-1). lib0
// refuses larger var-uints and var-ints; so do we, for clocks, lengths and counts alike.
const maxSafeInteger = 1<<53 - 1

// maxVarLen bounds how many bytes one var-uint may take. lib0 accepts padded encodings
// (0x80 0x00 for zero), so we allow some padding but not an endless run of 0x80 bytes.
const maxVarLen = 10

var (
	errIntRange   = malformed("integer out of range")
	errVarTooLong = malformed("variable-length integer too long")
	errBadUTF8    = malformed("invalid utf-8 in string")
)

// decoder reads lib0 values from a byte slice. Every read checks the bytes that remain,
// so no read allocates more than the input could hold.
type decoder struct {
	buf []byte
	pos int
	// src, when set, holds the same bytes as buf: strings read are substrings of it, so
	// that decoding a whole update copies it once instead of once per string.
	src string
}

// text returns buf[from:to] as a string, sharing src when the decoder has it.
func (d *decoder) text(from, to int) string {
	if d.src != "" {
		return d.src[from:to]
	}
	return string(d.buf[from:to])
}

// remaining reports how many unread bytes are left.
func (d *decoder) remaining() int { return len(d.buf) - d.pos }

// readUint8 reads one byte.
func (d *decoder) readUint8() (byte, error) {
	if d.pos >= len(d.buf) {
		return 0, errTruncated
	}
	b := d.buf[d.pos]
	d.pos++
	return b, nil
}

// readVarUint reads a lib0 var-uint: 7 bits a byte, low bits first, high bit = more.
func (d *decoder) readVarUint() (uint64, error) {
	var v uint64
	for i := 0; i < maxVarLen; i++ {
		if d.pos >= len(d.buf) {
			return 0, errTruncated
		}
		b := d.buf[d.pos]
		d.pos++
		bits := uint64(b & 0x7f)
		if bits != 0 {
			if i >= 8 || bits<<(7*i)>>(7*i) != bits {
				return 0, errIntRange
			}
			v |= bits << (7 * i)
			if v > maxSafeInteger {
				return 0, errIntRange
			}
		}
		if b < 0x80 {
			return v, nil
		}
	}
	return 0, errVarTooLong
}

// readVarInt reads a lib0 var-int: the first byte holds a continuation bit, a sign bit
// and 6 value bits; later bytes hold 7 bits each. It returns the magnitude and the sign
// separately so that -0 survives a round trip.
func (d *decoder) readVarInt() (mag uint64, neg bool, err error) {
	first, err := d.readUint8()
	if err != nil {
		return 0, false, err
	}
	mag = uint64(first & 0x3f)
	neg = first&0x40 != 0
	if first < 0x80 {
		return mag, neg, nil
	}
	for i := 0; i < maxVarLen-1; i++ {
		b, err := d.readUint8()
		if err != nil {
			return 0, false, err
		}
		bits := uint64(b & 0x7f)
		if bits != 0 {
			shift := 6 + 7*i
			if shift >= 53 || bits<<shift>>shift != bits {
				return 0, false, errIntRange
			}
			mag |= bits << shift
			if mag > maxSafeInteger {
				return 0, false, errIntRange
			}
		}
		if b < 0x80 {
			return mag, neg, nil
		}
	}
	return 0, false, errVarTooLong
}

// readN returns the next n bytes without copying them.
func (d *decoder) readN(n uint64) ([]byte, error) {
	if n > uint64(d.remaining()) {
		return nil, errTruncated
	}
	b := d.buf[d.pos : d.pos+int(n)]
	d.pos += int(n)
	return b, nil
}

// readVarBytes reads a var-uint length and that many bytes, copied.
func (d *decoder) readVarBytes() ([]byte, error) {
	b, err := d.readVarBytesRaw()
	if err != nil {
		return nil, err
	}
	out := make([]byte, len(b))
	copy(out, b)
	return out, nil
}

// readVarBytesRaw reads a var-uint length and that many bytes, uncopied.
func (d *decoder) readVarBytesRaw() ([]byte, error) {
	n, err := d.readVarUint()
	if err != nil {
		return nil, err
	}
	return d.readN(n)
}

// readVarString reads a var-uint byte length and that many bytes of UTF-8.
func (d *decoder) readVarString() (string, error) {
	b, err := d.readUTF8()
	if err != nil {
		return "", err
	}
	return d.text(d.pos-len(b), d.pos), nil
}

// readUTF8 reads a var-string as readVarString does, but returns its bytes uncopied.
func (d *decoder) readUTF8() ([]byte, error) {
	n, err := d.readVarUint()
	if err != nil {
		return nil, err
	}
	b, err := d.readN(n)
	if err != nil {
		return nil, err
	}
	if !utf8.Valid(b) {
		return nil, errBadUTF8
	}
	return b, nil
}

// readFixed reads n big-endian bytes (n is 4 or 8) as an unsigned integer.
func (d *decoder) readFixed(n int) (uint64, error) {
	b, err := d.readN(uint64(n))
	if err != nil {
		return 0, err
	}
	if n == 4 {
		return uint64(binary.BigEndian.Uint32(b)), nil
	}
	return binary.BigEndian.Uint64(b), nil
}

// AppendVarUint appends v as a lib0 var-uint. Values above 2^53-1 are not readable by
// lib0; callers keep to that range.
func AppendVarUint(dst []byte, v uint64) []byte {
	for v > 0x7f {
		dst = append(dst, byte(v)|0x80)
		v >>= 7
	}
	return append(dst, byte(v))
}

// varUintLen is the number of bytes AppendVarUint writes for v.
func varUintLen(v uint64) int {
	n := 1
	for v > 0x7f {
		v >>= 7
		n++
	}
	return n
}

// ReadVarUint reads a lib0 var-uint from the start of b and reports how many bytes it
// took. Values above 2^53-1 are refused, as lib0 does.
func ReadVarUint(b []byte) (v uint64, n int, err error) {
	d := decoder{buf: b}
	v, err = d.readVarUint()
	return v, d.pos, err
}

// AppendVarInt appends v as a lib0 var-int (sign and magnitude; v must satisfy
// |v| <= 2^53-1 to be readable by lib0).
func AppendVarInt(dst []byte, v int64) []byte {
	if v < 0 {
		return appendVarInt(dst, uint64(-v), true)
	}
	return appendVarInt(dst, uint64(v), false)
}

// appendVarInt writes a var-int from its magnitude and sign; neg with mag 0 is -0.
func appendVarInt(dst []byte, mag uint64, neg bool) []byte {
	first := byte(mag & 0x3f)
	if neg {
		first |= 0x40
	}
	mag >>= 6
	if mag > 0 {
		first |= 0x80
	}
	dst = append(dst, first)
	for mag > 0 {
		b := byte(mag & 0x7f)
		mag >>= 7
		if mag > 0 {
			b |= 0x80
		}
		dst = append(dst, b)
	}
	return dst
}

// ReadVarInt reads a lib0 var-int from the start of b and reports how many bytes it took.
// A negative zero reads as 0.
func ReadVarInt(b []byte) (v int64, n int, err error) {
	d := decoder{buf: b}
	mag, neg, err := d.readVarInt()
	if err != nil {
		return 0, d.pos, err
	}
	if neg {
		return -int64(mag), d.pos, nil
	}
	return int64(mag), d.pos, nil
}

// AppendVarString appends s as a lib0 var-string: its UTF-8 byte length, then the bytes.
func AppendVarString(dst []byte, s string) []byte {
	dst = AppendVarUint(dst, uint64(len(s)))
	return append(dst, s...)
}

// ReadVarString reads a lib0 var-string from the start of b and reports how many bytes
// it took. Invalid UTF-8 is an error.
func ReadVarString(b []byte) (s string, n int, err error) {
	d := decoder{buf: b}
	s, err = d.readVarString()
	return s, d.pos, err
}

// appendVarBytes appends a var-uint length and the bytes.
func appendVarBytes(dst, b []byte) []byte {
	dst = AppendVarUint(dst, uint64(len(b)))
	return append(dst, b...)
}

// appendUint32BE appends 4 big-endian bytes (lib0 float32).
func appendUint32BE(dst []byte, bits uint32) []byte {
	return binary.BigEndian.AppendUint32(dst, bits)
}

// appendUint64BE appends 8 big-endian bytes (lib0 float64 and bigint).
func appendUint64BE(dst []byte, bits uint64) []byte {
	return binary.BigEndian.AppendUint64(dst, bits)
}

// float32FromBits widens float32 bits to a float64 value.
func float32FromBits(bits uint32) float64 { return float64(math.Float32frombits(bits)) }
