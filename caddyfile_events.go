package pluv

import (
	"strconv"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

// unmarshalEvent parses `event <NAME> { ... }`; defined are the events before it.
func unmarshalEvent(d *caddyfile.Dispenser, defined []EventConfig) (EventConfig, error) {
	var ev EventConfig
	if !d.NextArg() {
		return ev, d.ArgErr()
	}
	ev.Name = d.Val()
	if !validEventName(ev.Name) {
		return ev, d.Errf("invalid event name %q", ev.Name)
	}
	for _, prev := range defined {
		if prev.Name == ev.Name {
			return ev, d.Errf("event %s defined twice", ev.Name)
		}
	}
	if d.NextArg() {
		return ev, d.ArgErr()
	}
	seen := map[string]bool{}
	outputs := map[string]bool{}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		sub := d.Val()
		switch sub {
		case "input", "input_schema":
			if seen["input"] {
				return ev, d.Errf("event %s: more than one input", ev.Name)
			}
			seen["input"] = true
			if sub == "input_schema" {
				if err := oneArg(d, &ev.InputSchema); err != nil {
					return ev, err
				}
				continue
			}
			if d.NextArg() {
				return ev, d.ArgErr()
			}
			fields, err := unmarshalFields(d)
			if err != nil {
				return ev, err
			}
			ev.Input = fields
		case KindBroadcast, KindSelf, KindSync:
			o, err := unmarshalOutput(d, sub)
			if err != nil {
				return ev, err
			}
			if outputs[sub+" "+o.Name] {
				return ev, d.Errf("event %s: duplicate output %s %s", ev.Name, sub, o.Name)
			}
			outputs[sub+" "+o.Name] = true
			ev.Outputs = append(ev.Outputs, o)
		default:
			return ev, d.Errf("unknown event subdirective %q", sub)
		}
	}
	return ev, nil
}

// unmarshalOutput parses `<kind> <NAME> [{ <key> <source> ... }]`.
func unmarshalOutput(d *caddyfile.Dispenser, kind string) (OutputConfig, error) {
	o := OutputConfig{Kind: kind}
	if !d.NextArg() {
		return o, d.ArgErr()
	}
	o.Name = d.Val()
	if !validEventName(o.Name) {
		return o, d.Errf("invalid output name %q", o.Name)
	}
	if d.NextArg() {
		return o, d.ArgErr()
	}
	seen := map[string]bool{}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		m := MappingConfig{Key: d.Val()}
		if !d.NextArg() {
			return o, d.ArgErr()
		}
		m.From = d.Val()
		if d.NextArg() {
			return o, d.ArgErr()
		}
		if seen[m.Key] {
			return o, d.Errf("output %s: duplicate key %q", o.Name, m.Key)
		}
		seen[m.Key] = true
		if _, err := compileOutput(OutputConfig{Kind: kind, Name: o.Name,
			Data: []MappingConfig{m}}); err != nil {
			return o, d.Err(err.Error())
		}
		o.Data = append(o.Data, m)
	}
	return o, nil
}

// unmarshalFields parses a block of inline fields; the block must hold at least one.
func unmarshalFields(d *caddyfile.Dispenser) ([]Field, error) {
	var fields []Field
	seen := map[string]bool{}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		f, err := unmarshalField(d)
		if err != nil {
			return nil, err
		}
		if seen[f.Name] {
			return nil, d.Errf("field %q defined twice", f.Name)
		}
		seen[f.Name] = true
		fields = append(fields, f)
	}
	if len(fields) == 0 {
		return nil, d.Err("a field block needs at least one field")
	}
	return fields, nil
}

// unmarshalField parses one field line and, for objects, its block.
func unmarshalField(d *caddyfile.Dispenser) (Field, error) {
	f := Field{Name: d.Val()}
	args := d.RemainingArgs()
	if len(args) == 0 {
		return f, d.Errf("field %q needs a type", f.Name)
	}
	f.Type, args = args[0], args[1:]
	if !fieldTypes[f.Type] {
		return f, d.Errf("field %q: unknown type %q", f.Name, f.Type)
	}
	inner := &f // takes the value bounds and the nested block
	if f.Type == "array" {
		if len(args) == 0 || !fieldTypes[args[0]] {
			return f, d.Errf("field %q: array needs an item type", f.Name)
		}
		f.Items = &Field{Type: args[0]}
		inner, args = f.Items, args[1:]
	}
	if err := unmarshalBounds(d, &f, inner, args); err != nil {
		return f, err
	}
	if inner.Type == "object" {
		fields, err := unmarshalFields(d)
		if err != nil {
			return f, err
		}
		inner.Fields = fields
	} else if d.NextBlock(d.Nesting()) {
		d.Prev()
		return f, d.Errf("field %q: only objects take a block", f.Name)
	}
	if _, err := fieldSchema(f); err != nil {
		return f, d.Errf("field %q: %v", f.Name, err)
	}
	return f, nil
}

// unmarshalBounds reads `optional` and `<bound> <n>` pairs: item counts go to f, other
// bounds to inner (f itself, or an array's item type).
func unmarshalBounds(d *caddyfile.Dispenser, f, inner *Field, args []string) error {
	for i := 0; i < len(args); i++ {
		key := args[i]
		if key == "optional" {
			f.Optional = true
			continue
		}
		if i+1 >= len(args) {
			return d.Errf("field %q: %s needs a value", f.Name, key)
		}
		val := args[i+1]
		i++
		var err error
		switch key {
		case "min":
			inner.Min, err = floatPtr(val)
		case "max":
			inner.Max, err = floatPtr(val)
		case "min_length":
			inner.MinLength, err = intPtr(val)
		case "max_length":
			inner.MaxLength, err = intPtr(val)
		case "min_items":
			f.MinItems, err = intPtr(val)
		case "max_items":
			f.MaxItems, err = intPtr(val)
		default:
			return d.Errf("field %q: unknown option %q", f.Name, key)
		}
		if err != nil {
			return d.Errf("field %q: %s: %v", f.Name, key, err)
		}
	}
	return nil
}

func floatPtr(s string) (*float64, error) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return nil, err
	}
	return &v, nil
}

func intPtr(s string) (*int, error) {
	v, err := strconv.Atoi(s)
	if err != nil || v < 0 {
		return nil, strconv.ErrSyntax
	}
	return &v, nil
}
