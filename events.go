package pluv

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Output kinds: how an event's output reaches the room (PROTOCOL.md §7.2).
const (
	// KindBroadcast sends the output to every session of the room, the sender included.
	KindBroadcast = "broadcast"
	// KindSelf sends the output to the sender only.
	KindSelf = "self"
	// KindSync is pluv's sync: on one instance it is the same as [KindSelf].
	KindSync = "sync"
)

// EventConfig defines a custom event in the config (the seed's io.event).
type EventConfig struct {
	// Name is the event type clients send; identifier-like, never starting with `$`.
	Name string `json:"name"`
	// Input are inline fields the event data must match (an object); unknown keys are
	// dropped. Leave both Input and InputSchema empty to pass data unvalidated.
	Input []Field `json:"input,omitempty"`
	// InputSchema is the path of a JSON Schema file the data must match, read at
	// Provision; use it instead of Input.
	InputSchema string `json:"input_schema,omitempty"`
	// Outputs are the frames the event produces, in order. An event without outputs
	// only validates.
	Outputs []OutputConfig `json:"outputs,omitempty"`
}

// OutputConfig is one frame an event produces.
type OutputConfig struct {
	// Kind is broadcast (every session, sender included), self (the sender only) or
	// sync (the same as self on one instance).
	Kind string `json:"kind"`
	// Name is the type of the produced frame; identifier-like, never starting with `$`.
	Name string `json:"name"`
	// Data builds the frame's data as an object of these keys, in order. Empty means the
	// data is the validated input.
	Data []MappingConfig `json:"data,omitempty"`
}

// MappingConfig is one key of an output's data and where its value comes from.
type MappingConfig struct {
	// Key is the key in the output data.
	Key string `json:"key"`
	// From is the source: input, input.<path>, user, user.<path>, room, session or time
	// (epoch milliseconds). A missing path gives null.
	From string `json:"from"`
}

// Event is an event defined in Go with [Server.Event].
type Event struct {
	// InputSchema is an optional JSON Schema document the data must match; unknown keys
	// are dropped where it lists properties.
	InputSchema json.RawMessage
	// Kind is how every output is delivered: [KindBroadcast] (default), [KindSelf] or
	// [KindSync].
	Kind string
	// Resolver computes the outputs, keyed by frame type; the data of each must encode
	// to a JSON object, array or null. A nil map sends nothing; an error is sent to the
	// sender as `$error`.
	Resolver func(ctx context.Context, in EventInput) (map[string]any, error)
}

// EventInput is what a [Event] resolver gets.
type EventInput struct {
	// Room is the room id.
	Room string
	// Session is the sender's session id.
	Session string
	// User is the sender's user (JSON), nil without auth.
	User json.RawMessage
	// Data is the validated input (JSON).
	Data json.RawMessage
}

// eventDef is a compiled event: from the config (outputs) or from Go (resolver).
type eventDef struct {
	name     string
	input    *schema
	outputs  []output
	kind     string
	resolver func(ctx context.Context, in EventInput) (map[string]any, error)
}

// output is a compiled [OutputConfig].
type output struct {
	kind string
	name string
	data []mapping // nil: the validated input
}

// mapping is a compiled [MappingConfig].
type mapping struct {
	key    string
	source string // input, user, room, session or time
	path   []string
}

// sources are the roots a mapping may read.
var sources = map[string]bool{
	"input": true, "user": true, "room": true, "session": true, "time": true,
}

// validKind reports whether k is an output kind.
func validKind(k string) bool {
	return k == KindBroadcast || k == KindSelf || k == KindSync
}

// compileEvent checks one configured event and compiles its schema and outputs.
func compileEvent(ec EventConfig) (*eventDef, error) {
	if !validEventName(ec.Name) {
		return nil, fmt.Errorf("invalid event name %q", ec.Name)
	}
	ev := &eventDef{name: ec.Name}
	var err error
	switch {
	case len(ec.Input) > 0 && ec.InputSchema != "":
		return nil, fmt.Errorf("event %s: both input and input_schema", ec.Name)
	case len(ec.Input) > 0:
		ev.input, err = compileFields("mem://pluv/events/"+ec.Name+".json", ec.Input)
	case ec.InputSchema != "":
		ev.input, err = loadSchemaFile(ec.InputSchema)
	}
	if err != nil {
		return nil, fmt.Errorf("event %s input: %w", ec.Name, err)
	}
	for _, oc := range ec.Outputs {
		o, err := compileOutput(oc)
		if err != nil {
			return nil, fmt.Errorf("event %s: %w", ec.Name, err)
		}
		ev.outputs = append(ev.outputs, o)
	}
	return ev, nil
}

// compileOutput checks one output and its mapping.
func compileOutput(oc OutputConfig) (output, error) {
	o := output{kind: oc.Kind, name: oc.Name}
	if !validKind(oc.Kind) {
		return o, fmt.Errorf("unknown output kind %q", oc.Kind)
	}
	if !validEventName(oc.Name) {
		return o, fmt.Errorf("invalid output name %q", oc.Name)
	}
	seen := map[string]bool{}
	for _, m := range oc.Data {
		if m.Key == "" || seen[m.Key] {
			return o, fmt.Errorf("output %s: empty or repeated key %q", oc.Name, m.Key)
		}
		seen[m.Key] = true
		parts := strings.Split(m.From, ".")
		if !sources[parts[0]] || (len(parts) > 1 && parts[0] != "input" && parts[0] != "user") {
			return o, fmt.Errorf("output %s key %s: unknown source %q", oc.Name, m.Key, m.From)
		}
		if slicesContainsEmpty(parts[1:]) {
			return o, fmt.Errorf("output %s key %s: empty path in %q", oc.Name, m.Key, m.From)
		}
		o.data = append(o.data, mapping{key: m.Key, source: parts[0], path: parts[1:]})
	}
	return o, nil
}

func slicesContainsEmpty(s []string) bool {
	for _, p := range s {
		if p == "" {
			return true
		}
	}
	return false
}

// compileGoEvent checks an [Event] defined in Go.
func compileGoEvent(name string, e Event) (*eventDef, error) {
	if !validEventName(name) {
		return nil, fmt.Errorf("invalid event name %q", name)
	}
	if e.Resolver == nil {
		return nil, fmt.Errorf("event %s: no resolver", name)
	}
	kind := e.Kind
	if kind == "" {
		kind = KindBroadcast
	}
	if !validKind(kind) {
		return nil, fmt.Errorf("event %s: unknown kind %q", name, kind)
	}
	ev := &eventDef{name: name, kind: kind, resolver: e.Resolver}
	if len(e.InputSchema) > 0 {
		doc, err := decodeJSONAny(e.InputSchema)
		if err != nil {
			return nil, fmt.Errorf("event %s input schema: %w", name, err)
		}
		if ev.input, err = compileSchema("mem://pluv/go/"+name+".json", doc); err != nil {
			return nil, fmt.Errorf("event %s: %w", name, err)
		}
	}
	return ev, nil
}

// emission is one frame an event produces.
type emission struct {
	kind string
	name string
	data json.RawMessage
}

// eventContext is what an event's outputs are computed from.
type eventContext struct {
	room    string
	session string
	user    json.RawMessage
	nowMs   int64
}

// run validates data and computes the event's frames, outside any lock.
func (ev *eventDef) run(ctx context.Context, ec eventContext, data json.RawMessage) (
	[]emission, error,
) {
	if ev.input != nil {
		valid, err := ev.input.validate(data, "data")
		if err != nil {
			return nil, err
		}
		data = valid
	}
	if ev.resolver != nil {
		return ev.resolve(ctx, ec, data)
	}
	out := make([]emission, 0, len(ev.outputs))
	for _, o := range ev.outputs {
		d := data
		if o.data != nil {
			var err error
			if d, err = o.build(ec, data); err != nil {
				return nil, err
			}
		}
		out = append(out, emission{kind: o.kind, name: o.name, data: d})
	}
	return out, nil
}

// resolve calls a Go resolver and checks its outputs.
func (ev *eventDef) resolve(ctx context.Context, ec eventContext, data json.RawMessage) (
	[]emission, error,
) {
	res, err := ev.resolver(ctx, EventInput{
		Room: ec.room, Session: ec.session, User: ec.user, Data: data,
	})
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(res))
	for n := range res {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]emission, 0, len(names))
	for _, n := range names {
		if !validEventName(n) {
			return nil, fmt.Errorf("event %s: invalid output name %q", ev.name, n)
		}
		b, err := marshalCompact(res[n])
		if err != nil {
			return nil, fmt.Errorf("event %s: encoding output %s: %w", ev.name, n, err)
		}
		if b[0] != '{' && b[0] != '[' && string(b) != "null" {
			return nil, fmt.Errorf("event %s: output %s is not an object or array", ev.name, n)
		}
		out = append(out, emission{kind: ev.kind, name: n, data: b})
	}
	return out, nil
}

// build makes an output's data object from its mapping.
func (o output) build(ec eventContext, input json.RawMessage) (json.RawMessage, error) {
	var in, user any
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, m := range o.data {
		var v any
		var err error
		switch m.source {
		case "input":
			if in == nil {
				if in, err = decodeJSONAny(input); err != nil {
					return nil, err
				}
			}
			v = lookup(in, m.path)
		case "user":
			if user == nil && ec.user != nil {
				if user, err = decodeJSONAny(ec.user); err != nil {
					return nil, err
				}
			}
			v = lookup(user, m.path)
		case "room":
			v = ec.room
		case "session":
			v = ec.session
		case "time":
			v = json.Number(strconv.FormatInt(ec.nowMs, 10))
		}
		if i > 0 {
			buf.WriteByte(',')
		}
		k, _ := marshalCompact(m.key)
		val, err := marshalCompact(v)
		if err != nil {
			return nil, fmt.Errorf("encoding %s: %w", m.key, err)
		}
		buf.Write(k)
		buf.WriteByte(':')
		buf.Write(val)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// decodeJSONAny decodes JSON keeping numbers exact.
func decodeJSONAny(raw json.RawMessage) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("decoding json: %w", err)
	}
	if dec.More() {
		return nil, errors.New("decoding json: trailing data")
	}
	return v, nil
}

// lookup follows path through objects (and arrays, by index); nil when absent.
func lookup(v any, path []string) any {
	for _, p := range path {
		switch c := v.(type) {
		case map[string]any:
			v = c[p]
		case []any:
			i, err := strconv.Atoi(p)
			if err != nil || i < 0 || i >= len(c) {
				return nil
			}
			v = c[i]
		default:
			return nil
		}
	}
	return v
}
