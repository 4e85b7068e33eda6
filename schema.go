package pluv

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
)

// Field is one property of an inline schema (event input or auth user). Fields compile to
// a JSON Schema object whose properties are required unless Optional is set.
type Field struct {
	// Name is the property name.
	Name string `json:"name,omitempty"`
	// Type is one of string, number, integer, boolean, object and array.
	Type string `json:"type"`
	// Optional makes the property optional; properties are required by default.
	Optional bool `json:"optional,omitempty"`
	// Min is the smallest allowed value of a number or integer (inclusive).
	Min *float64 `json:"min,omitempty"`
	// Max is the largest allowed value of a number or integer (inclusive).
	Max *float64 `json:"max,omitempty"`
	// MinLength is the shortest allowed string, in characters.
	MinLength *int `json:"min_length,omitempty"`
	// MaxLength is the longest allowed string, in characters.
	MaxLength *int `json:"max_length,omitempty"`
	// MinItems is the fewest items an array may hold.
	MinItems *int `json:"min_items,omitempty"`
	// MaxItems is the most items an array may hold.
	MaxItems *int `json:"max_items,omitempty"`
	// Fields are the properties of an object (its nested block).
	Fields []Field `json:"fields,omitempty"`
	// Items is the item type of an array (its Name is unused).
	Items *Field `json:"items,omitempty"`
}

// fieldTypes are the inline types a [Field] may have.
var fieldTypes = map[string]bool{
	"string": true, "number": true, "integer": true, "boolean": true,
	"object": true, "array": true,
}

// fieldsSchema turns inline fields into a JSON Schema object document.
func fieldsSchema(fields []Field) (map[string]any, error) {
	props := map[string]any{}
	required := []any{}
	for _, f := range fields {
		if f.Name == "" {
			return nil, errors.New("field without a name")
		}
		if _, dup := props[f.Name]; dup {
			return nil, fmt.Errorf("field %q defined twice", f.Name)
		}
		s, err := fieldSchema(f)
		if err != nil {
			return nil, fmt.Errorf("field %q: %w", f.Name, err)
		}
		props[f.Name] = s
		if !f.Optional {
			required = append(required, f.Name)
		}
	}
	return map[string]any{"type": "object", "properties": props, "required": required}, nil
}

// fieldSchema is the JSON Schema of one field's value.
func fieldSchema(f Field) (map[string]any, error) {
	if !fieldTypes[f.Type] {
		return nil, fmt.Errorf("unknown type %q", f.Type)
	}
	s := map[string]any{"type": f.Type}
	if f.Type == "object" {
		obj, err := fieldsSchema(f.Fields)
		if err != nil {
			return nil, err
		}
		s = obj
	} else if len(f.Fields) > 0 {
		return nil, fmt.Errorf("nested fields on type %s", f.Type)
	}
	if f.Type == "array" {
		if f.Items == nil {
			return nil, errors.New("array without an item type")
		}
		items, err := fieldSchema(*f.Items)
		if err != nil {
			return nil, fmt.Errorf("items: %w", err)
		}
		s["items"] = items
	} else if f.Items != nil {
		return nil, fmt.Errorf("item type on type %s", f.Type)
	}
	return s, addBounds(s, f)
}

// addBounds copies the field's bounds into s, refusing bounds that do not fit its type.
func addBounds(s map[string]any, f Field) error {
	numeric := f.Type == "number" || f.Type == "integer"
	bounds := []struct {
		set  bool
		ok   bool
		key  string
		name string
		val  any
	}{
		{f.Min != nil, numeric, "minimum", "min", deref(f.Min)},
		{f.Max != nil, numeric, "maximum", "max", deref(f.Max)},
		{f.MinLength != nil, f.Type == "string", "minLength", "min_length", deref(f.MinLength)},
		{f.MaxLength != nil, f.Type == "string", "maxLength", "max_length", deref(f.MaxLength)},
		{f.MinItems != nil, f.Type == "array", "minItems", "min_items", deref(f.MinItems)},
		{f.MaxItems != nil, f.Type == "array", "maxItems", "max_items", deref(f.MaxItems)},
	}
	for _, b := range bounds {
		if !b.set {
			continue
		}
		if !b.ok {
			return fmt.Errorf("%s does not apply to type %s", b.name, f.Type)
		}
		s[b.key] = b.val
	}
	return nil
}

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

// schema is a compiled JSON Schema plus the raw document, which drives key stripping.
type schema struct {
	doc      any
	compiled *jsonschema.Schema
}

// compileSchema compiles a JSON Schema document given as decoded JSON.
func compileSchema(url string, doc any) (*schema, error) {
	c := jsonschema.NewCompiler()
	if err := c.AddResource(url, doc); err != nil {
		return nil, fmt.Errorf("adding schema: %w", err)
	}
	compiled, err := c.Compile(url)
	if err != nil {
		return nil, fmt.Errorf("compiling schema: %w", err)
	}
	return &schema{doc: doc, compiled: compiled}, nil
}

// compileFields compiles inline fields.
func compileFields(url string, fields []Field) (*schema, error) {
	doc, err := fieldsSchema(fields)
	if err != nil {
		return nil, err
	}
	// Round-trip through JSON so the document holds the types the compiler expects.
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("encoding schema: %w", err)
	}
	parsed, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("decoding schema: %w", err)
	}
	return compileSchema(url, parsed)
}

// loadSchemaFile reads and compiles a JSON Schema file.
func loadSchemaFile(path string) (*schema, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading schema: %w", err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("decoding schema %s: %w", path, err)
	}
	return compileSchema("file:///pluv/"+strings.TrimLeft(path, "/"), doc)
}

// validate parses raw, drops the keys the schema does not list (like zod's default
// strip), validates the rest and returns it as compact JSON; root names the value in
// error messages (data, user).
func (sc *schema) validate(raw json.RawMessage, root string) (json.RawMessage, error) {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("%s: not valid JSON", root)
	}
	v = stripUnknown(sc.doc, v, 0)
	if err := sc.compiled.Validate(v); err != nil {
		return nil, validationMessage(err, root)
	}
	out, err := marshalCompact(v)
	if err != nil {
		return nil, fmt.Errorf("encoding input: %w", err)
	}
	return out, nil
}

// maxStripDepth bounds the walk over nested values.
const maxStripDepth = 64

// stripUnknown removes, wherever the schema object lists `properties` and does not allow
// additional properties by a schema of their own, the keys of v it does not list.
// Subschemas under $ref, allOf, anyOf and oneOf are not followed, so keys below them are
// kept (validation still runs on them).
func stripUnknown(sch, v any, depth int) any {
	s, ok := sch.(map[string]any)
	if !ok || depth > maxStripDepth {
		return v
	}
	switch val := v.(type) {
	case map[string]any:
		props, hasProps := s["properties"].(map[string]any)
		if !hasProps {
			return v
		}
		_, extraAllowed := s["additionalProperties"].(map[string]any)
		if b, isBool := s["additionalProperties"].(bool); isBool && b {
			extraAllowed = true
		}
		for k, item := range val {
			sub, listed := props[k]
			if !listed {
				if !extraAllowed {
					delete(val, k)
				}
				continue
			}
			val[k] = stripUnknown(sub, item, depth+1)
		}
	case []any:
		items, ok := s["items"]
		if !ok {
			return v
		}
		for i, item := range val {
			val[i] = stripUnknown(items, item, depth+1)
		}
	}
	return v
}

// maxSchemaErrors is how many failures a validation error lists.
const maxSchemaErrors = 3

// validationMessage turns a validator error into one short plain-English line: the first
// few failed leaves, sorted, each as `<path>: <what is wrong>`, with root naming the
// value (data, user). It never includes schema locations.
func validationMessage(err error, root string) error {
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return fmt.Errorf("%s: does not match the schema", root)
	}
	var lines []string
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			lines = append(lines, leafMessages(root, e)...)
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	sort.Strings(lines)
	if n := len(lines) - maxSchemaErrors; n > 0 {
		lines = append(lines[:maxSchemaErrors], fmt.Sprintf("and %d more", n))
	}
	return errors.New(strings.Join(lines, "; "))
}

// leafMessages describes one failed check; a check on several properties gives one line
// per property.
func leafMessages(root string, e *jsonschema.ValidationError) []string {
	at := instancePath(root, e.InstanceLocation)
	var msg string
	switch k := e.ErrorKind.(type) {
	case *kind.Required:
		out := make([]string, 0, len(k.Missing))
		for _, p := range k.Missing {
			out = append(out, instancePath(at, []string{p})+": required")
		}
		return out
	case *kind.AdditionalProperties:
		out := make([]string, 0, len(k.Properties))
		for _, p := range k.Properties {
			out = append(out, instancePath(at, []string{p})+": not allowed")
		}
		return out
	case *kind.Type:
		msg = fmt.Sprintf("expected %s, got %s", strings.Join(k.Want, " or "), k.Got)
	case *kind.MinLength:
		msg = fmt.Sprintf("shorter than %d characters", k.Want)
	case *kind.MaxLength:
		msg = fmt.Sprintf("longer than %d characters", k.Want)
	case *kind.MinItems:
		msg = fmt.Sprintf("fewer than %d items", k.Want)
	case *kind.MaxItems:
		msg = fmt.Sprintf("more than %d items", k.Want)
	case *kind.Minimum:
		msg = "less than " + ratString(k.Want)
	case *kind.Maximum:
		msg = "more than " + ratString(k.Want)
	case *kind.ExclusiveMinimum:
		msg = "not more than " + ratString(k.Want)
	case *kind.ExclusiveMaximum:
		msg = "not less than " + ratString(k.Want)
	case *kind.MultipleOf:
		msg = "not a multiple of " + ratString(k.Want)
	case *kind.Enum, *kind.Const:
		msg = "not one of the allowed values"
	case *kind.Pattern:
		msg = "does not match the required pattern"
	case *kind.Format:
		msg = "not a valid " + k.Want
	case *kind.FalseSchema:
		msg = "not allowed"
	default:
		msg = "does not match the schema"
	}
	return []string{at + ": " + msg}
}

// instancePath appends location to base: identifier-like keys after a dot, numbers as
// [i], other keys quoted in brackets.
func instancePath(base string, location []string) string {
	var sb strings.Builder
	sb.WriteString(base)
	for _, p := range location {
		switch {
		case p != "" && strings.Trim(p, "0123456789") == "":
			sb.WriteString("[" + p + "]")
		case nameRE.MatchString(p):
			sb.WriteString("." + p)
		default:
			sb.WriteString("[" + strconv.Quote(shortName(p)) + "]")
		}
	}
	return sb.String()
}

// ratString renders a schema bound as a plain number.
func ratString(r *big.Rat) string {
	if r == nil {
		return "the limit"
	}
	if r.IsInt() {
		return r.Num().String()
	}
	f, _ := r.Float64()
	return strconv.FormatFloat(f, 'g', -1, 64)
}
