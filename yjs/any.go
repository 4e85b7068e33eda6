package yjs

import "math"

// AnyKind is the lib0 tag byte that starts an encoded [Any] value.
type AnyKind uint8

// The lib0 `writeAny` tags.
const (
	AnyUndefined AnyKind = 127
	AnyNull      AnyKind = 126
	AnyInt       AnyKind = 125 // var-int
	AnyFloat32   AnyKind = 124
	AnyFloat64   AnyKind = 123
	AnyBigInt    AnyKind = 122 // 64-bit signed
	AnyFalse     AnyKind = 121
	AnyTrue      AnyKind = 120
	AnyString    AnyKind = 119
	AnyObject    AnyKind = 118
	AnyArray     AnyKind = 117
	AnyBytes     AnyKind = 116 // Uint8Array
)

// maxAnyDepth bounds how deeply arrays and objects may nest inside one value.
const maxAnyDepth = 512

var (
	errAnyTag   = malformed("unknown any tag")
	errAnyDepth = malformed("any value nested too deeply")
)

// Any is one value of lib0's `writeAny` format, kept exactly as encoded so that reading
// and writing it again gives the same bytes.
type Any struct {
	Kind AnyKind
	// Int is the value of an AnyInt (|Int| <= 2^53-1) or an AnyBigInt.
	Int int64
	// NegZero marks an AnyInt written as -0 (lib0 keeps the sign of zero).
	NegZero bool
	// Bits holds the raw IEEE-754 bits of an AnyFloat32 (low 32 bits) or AnyFloat64, so
	// that NaN payloads survive; see [Any.Float].
	Bits uint64
	// Str is the value of an AnyString.
	Str string
	// Bytes is the value of an AnyBytes.
	Bytes []byte
	// Items holds the elements of an AnyArray.
	Items []Any
	// Fields holds the entries of an AnyObject in written order (duplicates kept).
	Fields []AnyField
}

// AnyField is one key/value entry of an AnyObject.
type AnyField struct {
	Key   string
	Value Any
}

// Float returns the number held by an AnyFloat32 or AnyFloat64 value.
func (a Any) Float() float64 {
	if a.Kind == AnyFloat32 {
		return float32FromBits(uint32(a.Bits))
	}
	return math.Float64frombits(a.Bits)
}

// ReadAny reads one lib0 any value from the start of b and reports how many bytes it took.
func ReadAny(b []byte) (Any, int, error) {
	d := decoder{buf: b}
	a, err := d.readAny(0)
	return a, d.pos, err
}

// AppendAny appends a in lib0's any format.
func AppendAny(dst []byte, a Any) []byte {
	dst = append(dst, byte(a.Kind))
	switch a.Kind {
	case AnyInt:
		if a.Int < 0 {
			return appendVarInt(dst, uint64(-a.Int), true)
		}
		return appendVarInt(dst, uint64(a.Int), a.NegZero && a.Int == 0)
	case AnyFloat32:
		return appendUint32BE(dst, uint32(a.Bits))
	case AnyFloat64:
		return appendUint64BE(dst, a.Bits)
	case AnyBigInt:
		return appendUint64BE(dst, uint64(a.Int))
	case AnyString:
		return AppendVarString(dst, a.Str)
	case AnyBytes:
		return appendVarBytes(dst, a.Bytes)
	case AnyArray:
		dst = AppendVarUint(dst, uint64(len(a.Items)))
		for _, it := range a.Items {
			dst = AppendAny(dst, it)
		}
	case AnyObject:
		dst = AppendVarUint(dst, uint64(len(a.Fields)))
		for _, f := range a.Fields {
			dst = AppendVarString(dst, f.Key)
			dst = AppendAny(dst, f.Value)
		}
	}
	return dst
}

// readAny reads one value; depth counts the arrays and objects around it.
func (d *decoder) readAny(depth int) (Any, error) {
	tag, err := d.readUint8()
	if err != nil {
		return Any{}, err
	}
	a := Any{Kind: AnyKind(tag)}
	switch a.Kind {
	case AnyUndefined, AnyNull, AnyFalse, AnyTrue:
	case AnyInt:
		mag, neg, err := d.readVarInt()
		if err != nil {
			return Any{}, err
		}
		a.Int, a.NegZero = int64(mag), neg && mag == 0
		if neg {
			a.Int = -a.Int
		}
	case AnyFloat32:
		a.Bits, err = d.readFixed(4)
	case AnyFloat64:
		a.Bits, err = d.readFixed(8)
	case AnyBigInt:
		var u uint64
		u, err = d.readFixed(8)
		a.Int = int64(u)
	case AnyString:
		a.Str, err = d.readVarString()
	case AnyBytes:
		a.Bytes, err = d.readVarBytes()
	case AnyArray:
		a.Items, err = d.readAnyArray(depth)
	case AnyObject:
		a.Fields, err = d.readAnyObject(depth)
	default:
		return Any{}, errAnyTag
	}
	if err != nil {
		return Any{}, err
	}
	return a, nil
}

// readAnyArray reads the count and elements of an AnyArray.
func (d *decoder) readAnyArray(depth int) ([]Any, error) {
	if depth >= maxAnyDepth {
		return nil, errAnyDepth
	}
	n, err := d.readVarUint()
	if err != nil {
		return nil, err
	}
	if n > uint64(d.remaining()) { // every element takes at least one byte
		return nil, errTruncated
	}
	items := make([]Any, 0, n)
	for i := uint64(0); i < n; i++ {
		it, err := d.readAny(depth + 1)
		if err != nil {
			return nil, err
		}
		items = append(items, it)
	}
	return items, nil
}

// readAnyObject reads the count and entries of an AnyObject.
func (d *decoder) readAnyObject(depth int) ([]AnyField, error) {
	if depth >= maxAnyDepth {
		return nil, errAnyDepth
	}
	n, err := d.readVarUint()
	if err != nil {
		return nil, err
	}
	if n > uint64(d.remaining()/2) { // a key and a value take at least a byte each
		return nil, errTruncated
	}
	fields := make([]AnyField, 0, n)
	for i := uint64(0); i < n; i++ {
		k, err := d.readVarString()
		if err != nil {
			return nil, err
		}
		v, err := d.readAny(depth + 1)
		if err != nil {
			return nil, err
		}
		fields = append(fields, AnyField{Key: k, Value: v})
	}
	return fields, nil
}

// skipAny moves past one any value without building it, refusing exactly what readAny
// refuses; it checks and splits encoded content.
func (d *decoder) skipAny(depth int) error {
	tag, err := d.readUint8()
	if err != nil {
		return err
	}
	switch AnyKind(tag) {
	case AnyUndefined, AnyNull, AnyFalse, AnyTrue:
		return nil
	case AnyInt:
		_, _, err = d.readVarInt()
	case AnyFloat32:
		_, err = d.readN(4)
	case AnyFloat64, AnyBigInt:
		_, err = d.readN(8)
	case AnyString:
		_, err = d.readUTF8()
	case AnyBytes:
		var n uint64
		if n, err = d.readVarUint(); err == nil {
			_, err = d.readN(n)
		}
	case AnyArray, AnyObject:
		err = d.skipAnyList(AnyKind(tag) == AnyObject, depth)
	default:
		return errAnyTag
	}
	return err
}

// skipAnyList skips the body of an array or object.
func (d *decoder) skipAnyList(object bool, depth int) error {
	if depth >= maxAnyDepth {
		return errAnyDepth
	}
	n, err := d.readVarUint()
	if err != nil {
		return err
	}
	if n > uint64(d.remaining()) {
		return errTruncated
	}
	for i := uint64(0); i < n; i++ {
		if object {
			if _, err := d.readUTF8(); err != nil {
				return err
			}
		}
		if err := d.skipAny(depth + 1); err != nil {
			return err
		}
	}
	return nil
}
