package yjs

// Constructors and accessors of [Content]. An accessor reads the field its ref uses;
// on content of another ref it returns whatever that field holds.

// DeletedContent returns RefDeleted content of n clock units.
func DeletedContent(n uint64) Content { return Content{n: n} }

// StringContent returns RefString content holding text (valid UTF-8).
func StringContent(text string) Content { return Content{data: text} }

// EmbedContent returns RefEmbed content holding one JSON text.
func EmbedContent(json string) Content { return Content{data: json} }

// FormatContent returns RefFormat content: an attribute key and its JSON value.
func FormatContent(key, json string) Content { return Content{key: key, data: json} }

// BinaryContent returns RefBinary content holding a copy of b.
func BinaryContent(b []byte) Content { return Content{data: string(b)} }

// TypeContent returns RefType content creating the shared type ref; name is the node or
// hook name of TypeXMLElement and TypeXMLHook and is ignored otherwise.
func TypeContent(ref uint64, name string) Content { return Content{n: ref, key: name} }

// JSONContent returns RefJSON content holding the JSON texts (or "undefined").
func JSONContent(texts ...string) Content {
	var b []byte
	for _, t := range texts {
		b = AppendVarString(b, t)
	}
	return Content{n: uint64(len(texts)), data: string(b)}
}

// AnyContent returns RefAny content holding vals.
func AnyContent(vals ...Any) Content {
	var b []byte
	for _, a := range vals {
		b = AppendAny(b, a)
	}
	return Content{n: uint64(len(vals)), data: string(b)}
}

// DocContent returns RefDoc content: a subdocument's guid and options.
func DocContent(guid string, opts Any) Content {
	return Content{key: guid, data: string(AppendAny(nil, opts))}
}

// Len returns the length of RefDeleted content, or the number of elements of RefJSON and
// RefAny content.
func (c *Content) Len() uint64 { return c.n }

// TypeRef returns the shared type created by RefType content (TypeArray ...
// TypeXMLText).
func (c *Content) TypeRef() uint64 { return c.n }

// Text returns the UTF-8 text of RefString content; its length in clock units is the
// number of UTF-16 code units, as in JavaScript.
func (c *Content) Text() string { return c.data }

// Key returns the attribute key of RefFormat content, the node or hook name of
// TypeXMLElement and TypeXMLHook content, and the guid of RefDoc content.
func (c *Content) Key() string { return c.key }

// Value returns the JSON text of RefEmbed content and of a RefFormat value.
func (c *Content) Value() string { return c.data }

// Binary returns a copy of the payload of RefBinary content.
func (c *Content) Binary() []byte { return []byte(c.data) }

// JSON decodes the elements of RefJSON content as JSON texts ("undefined" is kept).
func (c *Content) JSON() []string {
	d := decoder{buf: []byte(c.data), src: c.data}
	out := make([]string, 0, c.n)
	for i := uint64(0); i < c.n; i++ {
		s, err := d.readVarString()
		if err != nil {
			break // content is checked when read, so only a hand-made one gets here
		}
		out = append(out, s)
	}
	return out
}

// Any decodes the elements of RefAny content.
func (c *Content) Any() []Any {
	d := decoder{buf: []byte(c.data), src: c.data}
	out := make([]Any, 0, c.n)
	for i := uint64(0); i < c.n; i++ {
		a, err := d.readAny(0)
		if err != nil {
			break // content is checked when read, so only a hand-made one gets here
		}
		out = append(out, a)
	}
	return out
}

// Opts decodes the options of RefDoc content.
func (c *Content) Opts() Any {
	a, _, err := ReadAny([]byte(c.data))
	if err != nil {
		return Any{Kind: AnyObject}
	}
	return a
}
