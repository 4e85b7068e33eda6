package yjs

import (
	"encoding/json"
)

// Struct refs: the low 5 bits of a struct's info byte. 0 and 10 are the GC and Skip
// structs; 1 to 9 are items, named after the kind of content they carry.
const (
	RefGC      uint8 = 0
	RefDeleted uint8 = 1
	RefJSON    uint8 = 2
	RefBinary  uint8 = 3
	RefString  uint8 = 4
	RefEmbed   uint8 = 5
	RefFormat  uint8 = 6
	RefType    uint8 = 7
	RefAny     uint8 = 8
	RefDoc     uint8 = 9
	RefSkip    uint8 = 10
)

// Type refs carried by RefType content: which shared type the item creates.
const (
	TypeArray       uint64 = 0
	TypeMap         uint64 = 1
	TypeText        uint64 = 2
	TypeXMLElement  uint64 = 3 // carries a node name
	TypeXMLFragment uint64 = 4
	TypeXMLHook     uint64 = 5 // carries a hook name
	TypeXMLText     uint64 = 6
)

var (
	errEmptyContent = malformed("empty item content")
	errBadJSON      = malformed("invalid json in item content")
	errTypeRef      = malformed("unknown type ref")
	errDocOpts      = malformed("subdocument options are null or undefined")
	errRef          = malformed("unknown struct ref")
)

// Content is the payload of an item, kept compact: a count and two strings whose meaning
// depends on the item's ref (see the accessors). JSON elements, any values and
// subdocument options stay encoded as written, checked when read and decoded only on
// demand, so that content takes about the memory it takes on the wire. Make one with
// [StringContent], [AnyContent] and the other constructors.
type Content struct {
	// n is the length of RefDeleted content, the element count of RefJSON and RefAny
	// content, and the type ref of RefType content.
	n uint64
	// key is the attribute key of RefFormat content, the node or hook name of
	// TypeXMLElement and TypeXMLHook content, and the guid of RefDoc content.
	key string
	// data is the text of RefString content, the JSON text of RefEmbed content and of a
	// RefFormat value, the payload of RefBinary content, the encoded elements of RefJSON
	// and RefAny content (after their count), and the encoded options of RefDoc content.
	data string
}

// countable reports whether content of this ref can be longer than one clock unit
// (and therefore be sliced and merged).
func countable(ref uint8) bool {
	return ref == RefDeleted || ref == RefJSON || ref == RefString || ref == RefAny
}

// readContent reads the content of an item with the given ref and returns it with its
// length in clock units.
func (d *decoder) readContent(ref uint8) (Content, uint64, error) {
	var c Content
	var err error
	n := uint64(1)
	switch ref {
	case RefDeleted:
		c.n, err = d.readVarUint()
		n = c.n
	case RefJSON, RefAny:
		c.n, c.data, err = d.readElems(ref)
		n = c.n
	case RefBinary:
		var b []byte
		if b, err = d.readVarBytesRaw(); err == nil {
			c.data = d.text(d.pos-len(b), d.pos)
		}
	case RefString:
		c.data, err = d.readVarString()
		n = utf16Len(c.data)
	case RefEmbed:
		c.data, err = d.readJSON()
	case RefFormat:
		if c.key, err = d.readVarString(); err == nil {
			c.data, err = d.readJSON()
		}
	case RefType:
		c.n, c.key, err = d.readTypeRef()
	case RefDoc:
		c.key, c.data, err = d.readDoc()
	default:
		return Content{}, 0, errRef
	}
	if err != nil {
		return Content{}, 0, err
	}
	if n == 0 {
		return Content{}, 0, errEmptyContent
	}
	return c, n, nil
}

// readJSON reads a var-string that must hold one JSON text (lib0 readJSON).
func (d *decoder) readJSON() (string, error) {
	b, err := d.readUTF8()
	if err != nil {
		return "", err
	}
	if !json.Valid(b) {
		return "", errBadJSON
	}
	return d.text(d.pos-len(b), d.pos), nil
}

// readElems reads the elements of RefJSON content (JSON texts or "undefined") or RefAny
// content (any values), checking each, and returns their count and their encoding.
func (d *decoder) readElems(ref uint8) (uint64, string, error) {
	n, err := d.readVarUint()
	if err != nil {
		return 0, "", err
	}
	if n > uint64(d.remaining()) { // every element takes at least one byte
		return 0, "", errTruncated
	}
	start := d.pos
	for i := uint64(0); i < n; i++ {
		if err := d.skipElem(ref, true); err != nil {
			return 0, "", err
		}
	}
	return n, d.text(start, d.pos), nil
}

// skipElem moves past one element of RefJSON or RefAny content; check also checks a JSON
// element's text (any values are always checked).
func (d *decoder) skipElem(ref uint8, check bool) error {
	if ref == RefAny {
		return d.skipAny(0)
	}
	b, err := d.readUTF8()
	if err == nil && check && string(b) != "undefined" && !json.Valid(b) {
		err = errBadJSON
	}
	return err
}

// readTypeRef reads the type ref of RefType content and the name XML elements and hooks
// carry.
func (d *decoder) readTypeRef() (uint64, string, error) {
	ref, err := d.readVarUint()
	if err != nil {
		return 0, "", err
	}
	switch ref {
	case TypeXMLElement, TypeXMLHook:
		name, err := d.readVarString()
		return ref, name, err
	case TypeArray, TypeMap, TypeText, TypeXMLFragment, TypeXMLText:
		return ref, "", nil
	}
	return 0, "", errTypeRef
}

// readDoc reads the guid and the encoded options of RefDoc content. yjs spreads the
// options into its Doc constructor and reads fields of them, so null and undefined are
// refused.
func (d *decoder) readDoc() (string, string, error) {
	guid, err := d.readVarString()
	if err != nil {
		return "", "", err
	}
	start := d.pos
	if err := d.skipAny(0); err != nil {
		return "", "", err
	}
	if k := AnyKind(d.buf[start]); k == AnyNull || k == AnyUndefined {
		return "", "", errDocOpts
	}
	return guid, d.text(start, d.pos), nil
}

// appendContent writes content of the given ref.
func appendContent(dst []byte, ref uint8, c *Content) []byte {
	switch ref {
	case RefDeleted:
		return AppendVarUint(dst, c.n)
	case RefJSON, RefAny:
		dst = AppendVarUint(dst, c.n)
		return append(dst, c.data...)
	case RefBinary, RefString, RefEmbed:
		return AppendVarString(dst, c.data)
	case RefFormat:
		dst = AppendVarString(dst, c.key)
		return AppendVarString(dst, c.data)
	case RefType:
		dst = AppendVarUint(dst, c.n)
		if c.n == TypeXMLElement || c.n == TypeXMLHook {
			dst = AppendVarString(dst, c.key)
		}
		return dst
	case RefDoc:
		dst = AppendVarString(dst, c.key)
		if c.data == "" {
			return AppendAny(dst, Any{Kind: AnyObject})
		}
		return append(dst, c.data...)
	}
	return dst
}

// splitContent cuts countable content at clock offset off (0 < off < length) into the
// part before and the part after, as yjs's splice does.
func splitContent(ref uint8, c Content, off uint64) (left, right Content) {
	parts := cutContent(ref, c, c.n, []uint64{off})
	return parts[0], parts[1]
}

// elemOffset returns where element k of the encoded elements data (checked when read)
// starts.
func elemOffset(ref uint8, data string, k uint64) int {
	d := decoder{buf: bytesOf(data)} // read only: no copy of a long item per split
	for i := uint64(0); i < k && d.remaining() > 0; i++ {
		if d.skipElem(ref, false) != nil {
			break
		}
	}
	return d.pos
}

// utf16Len counts the UTF-16 code units of a valid UTF-8 string: JavaScript's length.
func utf16Len(s string) uint64 {
	var n uint64
	for i := 0; i < len(s); {
		b := s[i]
		switch {
		case b < 0x80:
			i++
			n++
		case b < 0xe0:
			i += 2
			n++
		case b < 0xf0:
			i += 3
			n++
		default:
			i += 4
			n += 2
		}
	}
	return n
}
