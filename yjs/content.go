package yjs

import (
	"encoding/json"
	"unicode/utf8"
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

// Content is the payload of an item. Which fields are used depends on the item's ref.
type Content struct {
	// Len is the length of RefDeleted content.
	Len uint64
	// Text is the UTF-8 text of RefString content; its length in clock units is the
	// number of UTF-16 code units, as in JavaScript.
	Text string
	// Key is the attribute key of RefFormat content, the node or hook name of
	// TypeXMLElement and TypeXMLHook content, and the guid of RefDoc content.
	Key string
	// Value is the JSON text of RefEmbed content and of a RefFormat value.
	Value string
	// JSON holds the elements of RefJSON content as JSON texts ("undefined" is kept).
	JSON []string
	// Binary is the payload of RefBinary content.
	Binary []byte
	// TypeRef is the shared type created by RefType content (TypeArray ... TypeXMLText).
	TypeRef uint64
	// Any holds the elements of RefAny content.
	Any []Any
	// Opts holds the options of RefDoc content.
	Opts *Any
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
		c.Len, err = d.readVarUint()
		n = c.Len
	case RefJSON:
		c.JSON, err = d.readJSONList()
		n = uint64(len(c.JSON))
	case RefBinary:
		c.Binary, err = d.readVarBytes()
	case RefString:
		c.Text, err = d.readVarString()
		n = utf16Len(c.Text)
	case RefEmbed:
		c.Value, err = d.readJSON()
	case RefFormat:
		if c.Key, err = d.readVarString(); err == nil {
			c.Value, err = d.readJSON()
		}
	case RefType:
		c.TypeRef, c.Key, err = d.readTypeRef()
	case RefAny:
		c.Any, err = d.readAnyList()
		n = uint64(len(c.Any))
	case RefDoc:
		c.Key, c.Opts, err = d.readDoc()
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
	s, err := d.readVarString()
	if err != nil {
		return "", err
	}
	if !json.Valid([]byte(s)) {
		return "", errBadJSON
	}
	return s, nil
}

// readJSONList reads the elements of RefJSON content.
func (d *decoder) readJSONList() ([]string, error) {
	n, err := d.readVarUint()
	if err != nil {
		return nil, err
	}
	if n > uint64(d.remaining()) {
		return nil, errTruncated
	}
	out := make([]string, 0, n)
	for i := uint64(0); i < n; i++ {
		s, err := d.readVarString()
		if err != nil {
			return nil, err
		}
		if s != "undefined" && !json.Valid([]byte(s)) {
			return nil, errBadJSON
		}
		out = append(out, s)
	}
	return out, nil
}

// readAnyList reads the elements of RefAny content.
func (d *decoder) readAnyList() ([]Any, error) {
	n, err := d.readVarUint()
	if err != nil {
		return nil, err
	}
	if n > uint64(d.remaining()) {
		return nil, errTruncated
	}
	out := make([]Any, 0, n)
	for i := uint64(0); i < n; i++ {
		a, err := d.readAny(0)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
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

// readDoc reads the guid and options of RefDoc content. yjs spreads the options into
// its Doc constructor and reads fields of them, so null and undefined are refused.
func (d *decoder) readDoc() (string, *Any, error) {
	guid, err := d.readVarString()
	if err != nil {
		return "", nil, err
	}
	opts, err := d.readAny(0)
	if err != nil {
		return "", nil, err
	}
	if opts.Kind == AnyNull || opts.Kind == AnyUndefined {
		return "", nil, errDocOpts
	}
	return guid, &opts, nil
}

// appendContent writes content of the given ref.
func appendContent(dst []byte, ref uint8, c *Content) []byte {
	switch ref {
	case RefDeleted:
		return AppendVarUint(dst, c.Len)
	case RefJSON:
		dst = AppendVarUint(dst, uint64(len(c.JSON)))
		for _, s := range c.JSON {
			dst = AppendVarString(dst, s)
		}
		return dst
	case RefBinary:
		return appendVarBytes(dst, c.Binary)
	case RefString:
		return AppendVarString(dst, c.Text)
	case RefEmbed:
		return AppendVarString(dst, c.Value)
	case RefFormat:
		dst = AppendVarString(dst, c.Key)
		return AppendVarString(dst, c.Value)
	case RefType:
		dst = AppendVarUint(dst, c.TypeRef)
		if c.TypeRef == TypeXMLElement || c.TypeRef == TypeXMLHook {
			dst = AppendVarString(dst, c.Key)
		}
		return dst
	case RefAny:
		dst = AppendVarUint(dst, uint64(len(c.Any)))
		for _, a := range c.Any {
			dst = AppendAny(dst, a)
		}
		return dst
	case RefDoc:
		dst = AppendVarString(dst, c.Key)
		if c.Opts == nil {
			return AppendAny(dst, Any{Kind: AnyObject})
		}
		return AppendAny(dst, *c.Opts)
	}
	return dst
}

// splitContent cuts countable content at clock offset off (0 < off < length) into the
// part before and the part after, as yjs's splice does.
func splitContent(ref uint8, c Content, off uint64) (left, right Content) {
	left, right = c, c
	switch ref {
	case RefDeleted:
		left.Len, right.Len = off, c.Len-off
	case RefJSON:
		left.JSON, right.JSON = c.JSON[:off:off], c.JSON[off:]
	case RefString:
		left.Text, right.Text = splitUTF16(c.Text, off)
	case RefAny:
		left.Any, right.Any = c.Any[:off:off], c.Any[off:]
	}
	return left, right
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

// splitUTF16 cuts s after k UTF-16 code units. A cut inside a surrogate pair replaces
// both halves with U+FFFD, as yjs's ContentString.splice does.
func splitUTF16(s string, k uint64) (string, string) {
	var units uint64
	for i, r := range s {
		if units == k {
			return s[:i], s[i:]
		}
		w := uint64(1)
		if r >= 0x10000 {
			w = 2
		}
		if units+w > k {
			return s[:i] + "\uFFFD", "\uFFFD" + s[i+utf8.RuneLen(r):]
		}
		units += w
	}
	return s, ""
}
