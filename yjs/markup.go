package yjs

import (
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf16"
)

// The toString of texts and XML types, which their toJSON gives too, and the parts of
// JavaScript it needs: String() of a value, for-in over a value, sorting by UTF-16 code
// units.

// typeString is a shared type's toString: the text of a text, the markup of XML types,
// and what JavaScript makes of any other object.
func (r *jsonReader) typeString(t *ytype) string {
	var b strings.Builder
	r.writeType(&b, t)
	return b.String()
}

// markup is the toString of a text or an XML type (their toJSON too); ok is false for
// the other types.
func (r *jsonReader) markup(t *ytype) (s string, ok bool) {
	var b strings.Builder
	ok = r.writeMarkup(&b, t)
	return b.String(), ok
}

// The markup of nested XML is written into one builder from the top: each level
// building its own string would copy its children's again, a cost of the depth times
// the size.

// writeType writes a nested shared type's toString.
func (r *jsonReader) writeType(b *strings.Builder, t *ytype) {
	defer r.leave()
	if !r.enter() {
		return
	}
	if !r.writeMarkup(b, t) {
		b.WriteString("[object Object]")
	}
}

// writeMarkup writes the toString of a text or an XML type, and reports whether t is one.
func (r *jsonReader) writeMarkup(b *strings.Builder, t *ytype) bool {
	switch t.ref {
	case TypeText:
		writeText(b, t)
	case TypeXMLText:
		r.writeXMLText(b, t)
	case TypeXMLFragment:
		r.writeFragment(b, t)
	case TypeXMLElement:
		r.writeElement(b, t)
	default:
		return false
	}
	return true
}

// textString is the text of a Y.Text: its strings, without formats or embeds.
func textString(t *ytype) string {
	var b strings.Builder
	writeText(&b, t)
	return b.String()
}

func writeText(b *strings.Builder, t *ytype) {
	for it := t.start; it != nil; it = it.right {
		if !it.deleted() && it.ref == RefString {
			b.Write(it.data)
		}
	}
}

// fragmentString is an XML fragment's toString: its children's, joined.
func (r *jsonReader) fragmentString(t *ytype) string {
	var b strings.Builder
	r.writeFragment(&b, t)
	return b.String()
}

func (r *jsonReader) writeFragment(b *strings.Builder, t *ytype) {
	visible(t, func(it *item) { r.writeChild(b, it) })
}

// writeChild writes what toString makes of each element of an XML type's child item.
func (r *jsonReader) writeChild(b *strings.Builder, it *item) {
	if it.ref == RefType && it.typ != nil {
		r.writeType(b, it.typ)
		return
	}
	for _, v := range r.values(it) {
		b.WriteString(jsString(v))
	}
}

// writeElement writes an XML element's toString: its attributes sorted by name.
func (r *jsonReader) writeElement(b *strings.Builder, t *ytype) {
	name := strings.ToLower(t.item.key)
	keys := make([]string, 0, len(t.keys))
	attrs := make(map[string]string, len(t.keys))
	for k, it := range t.keys {
		if !it.deleted() {
			keys = append(keys, k)
			attrs[k] = r.attrString(it)
		}
	}
	sortUTF16(keys)
	b.WriteString("<" + name)
	for _, k := range keys {
		b.WriteString(" " + k + `="` + attrs[k] + `"`)
	}
	b.WriteString(">")
	r.writeFragment(b, t)
	b.WriteString("</" + name + ">")
}

// attrString is an attribute value as JavaScript turns it into a string.
func (r *jsonReader) attrString(it *item) string {
	if it.ref == RefType && it.typ != nil {
		return r.typeString(it.typ)
	}
	return jsString(r.lastValue(it))
}

// writeXMLText writes a Y.XmlText's toString: each run of its delta wrapped in one tag
// per format attribute, nested in name order, each tag carrying the attribute's value's
// properties (as JavaScript's for-in lists them) sorted by name.
func (r *jsonReader) writeXMLText(b *strings.Builder, t *ytype) {
	attrs := map[string]any{}
	var run strings.Builder
	wrap := func(insert func()) {
		names := make([]string, 0, len(attrs))
		for n := range attrs {
			names = append(names, n)
		}
		sortUTF16(names)
		for _, n := range names {
			b.WriteString("<" + n)
			props := forIn(attrs[n])
			keys := make([]string, 0, len(props))
			for k := range props {
				keys = append(keys, k)
			}
			sortUTF16(keys)
			for _, k := range keys {
				b.WriteString(" " + k + `="` + props[k] + `"`)
			}
			b.WriteString(">")
		}
		insert()
		for i := len(names) - 1; i >= 0; i-- {
			b.WriteString("</" + names[i] + ">")
		}
	}
	pack := func() {
		if run.Len() > 0 {
			wrap(func() { b.WriteString(run.String()) })
			run.Reset()
		}
	}
	for it := t.start; it != nil; it = it.right {
		if it.deleted() {
			continue
		}
		switch it.ref {
		case RefString:
			run.Write(it.data)
		case RefType, RefEmbed:
			pack()
			wrap(func() { r.writeChild(b, it) })
		case RefFormat:
			pack()
			if v := parseJSON(it.text()); v == nil {
				delete(attrs, it.key)
			} else {
				attrs[it.key] = v
			}
		}
	}
	pack()
}

// forIn lists the enumerable properties JavaScript's for-in finds on a JSON value, with
// their values as strings: a string's UTF-16 units, an array's elements, an object's
// entries; other values have none.
func forIn(v any) map[string]string {
	out := map[string]string{}
	switch v := v.(type) {
	case string:
		for i, u := range utf16.Encode([]rune(v)) {
			out[strconv.Itoa(i)] = string(utf16.Decode([]uint16{u}))
		}
	case []any:
		for i, x := range v {
			out[strconv.Itoa(i)] = jsString(x)
		}
	case map[string]any:
		for k, x := range v {
			out[k] = jsString(x)
		}
	}
	return out
}

// jsString is JavaScript's String(v) for a JSON value.
func jsString(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case undefined:
		return "undefined"
	case string:
		return v
	case bool:
		return strconv.FormatBool(v)
	case float64:
		return jsNumber(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case []byte:
		parts := make([]string, len(v))
		for i, x := range v {
			parts[i] = strconv.Itoa(int(x))
		}
		return strings.Join(parts, ",")
	case []any:
		parts := make([]string, len(v))
		for i, x := range v {
			if x != nil {
				parts[i] = jsString(x)
			}
		}
		return strings.Join(parts, ",")
	}
	return "[object Object]"
}

// jsNumber formats a number as JavaScript's Number.prototype.toString does.
func jsNumber(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		return "0"
	}
	e := strconv.FormatFloat(f, 'e', -1, 64) // d.ddddde±x, shortest round-trip digits
	mant, exp, _ := strings.Cut(e, "e")
	n, _ := strconv.Atoi(exp)
	sign := ""
	if mant[0] == '-' {
		sign, mant = "-", mant[1:]
	}
	digits := strings.Replace(mant, ".", "", 1)
	k := len(digits)
	switch {
	case n >= 0 && n < 21:
		if k <= n+1 {
			return sign + digits + strings.Repeat("0", n+1-k)
		}
		return sign + digits[:n+1] + "." + digits[n+1:]
	case n < 0 && n >= -6:
		return sign + "0." + strings.Repeat("0", -n-1) + digits
	}
	out := digits[:1]
	if k > 1 {
		out += "." + digits[1:]
	}
	if n > 0 {
		return sign + out + "e+" + strconv.Itoa(n)
	}
	return sign + out + "e" + strconv.Itoa(n)
}

// sortUTF16 sorts strings as JavaScript compares them: by UTF-16 code units.
func sortUTF16(s []string) {
	sort.Slice(s, func(i, j int) bool { return lessUTF16(s[i], s[j]) })
}

func lessUTF16(a, b string) bool {
	ua, ub := utf16.Encode([]rune(a)), utf16.Encode([]rune(b))
	for i := 0; i < len(ua) && i < len(ub); i++ {
		if ua[i] != ub[i] {
			return ua[i] < ub[i]
		}
	}
	return len(ua) < len(ub)
}
