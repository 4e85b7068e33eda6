package pluv

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func ptr[T any](v T) *T { return &v }

func TestFieldsValidate(t *testing.T) {
	fields := []Field{
		{Name: "message", Type: "string", MaxLength: ptr(5)},
		{Name: "n", Type: "integer", Min: ptr(1.0), Max: ptr(3.0), Optional: true},
		{Name: "tags", Type: "array", Optional: true, MaxItems: ptr(2),
			Items: &Field{Type: "string", MinLength: ptr(1)}},
		{Name: "pos", Type: "object", Optional: true, Fields: []Field{
			{Name: "x", Type: "number"}, {Name: "y", Type: "number", Optional: true},
		}},
		{Name: "list", Type: "array", Optional: true, Items: &Field{Type: "object",
			Fields: []Field{{Name: "k", Type: "boolean"}}}},
	}
	sc, err := compileFields("mem://test/ev.json", fields)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, in, want string // want "" means invalid
		msg            string // the error when invalid
	}{
		{"minimal", `{"message":"hi"}`, `{"message":"hi"}`, ""},
		{"strips top level", `{"message":"hi","evil":1}`, `{"message":"hi"}`, ""},
		{"strips nested", `{"message":"hi","pos":{"x":1,"z":2}}`,
			`{"message":"hi","pos":{"x":1}}`, ""},
		{"strips in array items", `{"message":"a","list":[{"k":true,"z":1}]}`,
			`{"list":[{"k":true}],"message":"a"}`, ""},
		{"keeps big numbers exact", `{"message":"a","pos":{"x":12345678901234567890}}`,
			`{"message":"a","pos":{"x":12345678901234567890}}`, ""},
		{"missing required", `{}`, "", "data.message: required"},
		{"too long", `{"message":"toolong"}`, "", "data.message: longer than 5 characters"},
		{"wrong type", `{"message":1}`, "", "data.message: expected string, got number"},
		{"integer bound", `{"message":"a","n":4}`, "", "data.n: more than 3"},
		{"not integer", `{"message":"a","n":1.5}`, "",
			"data.n: expected integer, got number"},
		{"too many items", `{"message":"a","tags":["a","b","c"]}`, "",
			"data.tags: more than 2 items"},
		{"empty item", `{"message":"a","tags":[""]}`, "",
			"data.tags[0]: shorter than 1 characters"},
		{"nested required", `{"message":"a","pos":{"y":1}}`, "", "data.pos.x: required"},
		{"not object", `[1]`, "", "data: expected object, got array"},
		{"several", `{"message":1,"n":"x","tags":[1,2,3],"pos":{}}`, "",
			"data.message: expected string, got number; data.n: expected integer, got " +
				"string; data.pos.x: required; and 4 more"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := sc.validate(json.RawMessage(tt.in), "data")
			if tt.want == "" {
				if err == nil || err.Error() != tt.msg {
					t.Fatalf("validate(%s) = %s, %v; want error %q", tt.in, got, err, tt.msg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Fatalf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestFieldsSchemaErrors(t *testing.T) {
	tests := []struct {
		name   string
		fields []Field
	}{
		{"unknown type", []Field{{Name: "a", Type: "date"}}},
		{"no name", []Field{{Type: "string"}}},
		{"duplicate", []Field{{Name: "a", Type: "string"}, {Name: "a", Type: "number"}}},
		{"array without items", []Field{{Name: "a", Type: "array"}}},
		{"min on string", []Field{{Name: "a", Type: "string", Min: ptr(1.0)}}},
		{"max_length on number", []Field{{Name: "a", Type: "number", MaxLength: ptr(1)}}},
		{"items on string", []Field{{Name: "a", Type: "string", Items: &Field{Type: "string"}}}},
		{"fields on string", []Field{{Name: "a", Type: "string", Fields: []Field{{Name: "b",
			Type: "string"}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := compileFields("mem://test/bad.json", tt.fields); err == nil {
				t.Fatal("compiled")
			}
		})
	}
}

func TestInputSchemaFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "send.json")
	doc := `{"type":"object","properties":{"message":{"type":"string","maxLength":3}},` +
		`"required":["message"],"additionalProperties":false}`
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	ev, err := compileEvent(EventConfig{Name: "SEND", InputSchema: path,
		Outputs: []OutputConfig{{Kind: KindBroadcast, Name: "GOT"}}})
	if err != nil {
		t.Fatal(err)
	}
	out, err := ev.run(context.Background(), eventContext{}, json.RawMessage(
		`{"message":"hi","x":1}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 1 || string(out[0].data) != `{"message":"hi"}` {
		t.Fatalf("out = %+v", out)
	}
	if _, err := ev.run(context.Background(), eventContext{}, json.RawMessage(
		`{"message":"long"}`)); err == nil {
		t.Fatal("long message accepted")
	}
	if _, err := compileEvent(EventConfig{Name: "X", InputSchema: path + ".missing"}); err == nil {
		t.Fatal("missing schema file accepted")
	}
}

func TestEventMapping(t *testing.T) {
	ev, err := compileEvent(EventConfig{
		Name: "SEND_MESSAGE",
		Input: []Field{
			{Name: "message", Type: "string"},
			{Name: "meta", Type: "object", Optional: true, Fields: []Field{
				{Name: "n", Type: "number"},
			}},
		},
		Outputs: []OutputConfig{
			{Kind: KindBroadcast, Name: "MESSAGE_RECEIVED", Data: []MappingConfig{
				{Key: "message", From: "input.message"},
				{Key: "n", From: "input.meta.n"},
				{Key: "missing", From: "input.nope.deeper"},
				{Key: "sender", From: "user"},
				{Key: "name", From: "user.name"},
				{Key: "room", From: "room"},
				{Key: "session", From: "session"},
				{Key: "at", From: "time"},
				{Key: "all", From: "input"},
			}},
			{Kind: KindSelf, Name: "ACK"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	ec := eventContext{room: "r", session: "p_1", user: json.RawMessage(
		`{"id":"u","name":"Ann"}`), nowMs: 1718000000123}
	out, err := ev.run(context.Background(), ec, json.RawMessage(
		`{"message":"hi","meta":{"n":2},"x":true}`))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"message":"hi","n":2,"missing":null,"sender":{"id":"u","name":"Ann"},` +
		`"name":"Ann","room":"r","session":"p_1","at":1718000000123,` +
		`"all":{"message":"hi","meta":{"n":2}}}`
	if len(out) != 2 || out[0].name != "MESSAGE_RECEIVED" || string(out[0].data) != want {
		t.Fatalf("broadcast = %+v\nwant %s", out, want)
	}
	if out[1].kind != KindSelf || string(out[1].data) != `{"message":"hi","meta":{"n":2}}` {
		t.Fatalf("self = %s %s", out[1].kind, out[1].data)
	}
	anon, err := ev.run(context.Background(), eventContext{}, json.RawMessage(
		`{"message":"hi"}`))
	if err != nil || !strings.Contains(string(anon[0].data), `"sender":null,"name":null`) {
		t.Fatalf("anonymous user mapping: %s %v", anon[0].data, err)
	}
}

func TestCompileEventErrors(t *testing.T) {
	tests := []struct {
		name string
		ec   EventConfig
	}{
		{"dollar name", EventConfig{Name: "$x"}},
		{"bad kind", EventConfig{Name: "A", Outputs: []OutputConfig{{Kind: "all", Name: "B"}}}},
		{"bad output name", EventConfig{Name: "A", Outputs: []OutputConfig{{Kind: "self",
			Name: "$B"}}}},
		{"bad source", EventConfig{Name: "A", Outputs: []OutputConfig{{Kind: "self",
			Name: "B", Data: []MappingConfig{{Key: "k", From: "secret"}}}}}},
		{"path on room", EventConfig{Name: "A", Outputs: []OutputConfig{{Kind: "self",
			Name: "B", Data: []MappingConfig{{Key: "k", From: "room.x"}}}}}},
		{"empty path", EventConfig{Name: "A", Outputs: []OutputConfig{{Kind: "self",
			Name: "B", Data: []MappingConfig{{Key: "k", From: "input..x"}}}}}},
		{"repeated key", EventConfig{Name: "A", Outputs: []OutputConfig{{Kind: "self",
			Name: "B", Data: []MappingConfig{{Key: "k", From: "room"}, {Key: "k",
				From: "time"}}}}}},
		{"both inputs", EventConfig{Name: "A", Input: []Field{{Name: "a", Type: "string"}},
			InputSchema: "x.json"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := compileEvent(tt.ec); err == nil {
				t.Fatal("compiled")
			}
		})
	}
}

func TestGoEvent(t *testing.T) {
	ev, err := compileGoEvent("double", Event{
		InputSchema: json.RawMessage(`{"type":"object","properties":{"n":{"type":"number"}},` +
			`"required":["n"]}`),
		Kind: KindSelf,
		Resolver: func(_ context.Context, in EventInput) (map[string]any, error) {
			var v struct{ N float64 }
			if err := json.Unmarshal(in.Data, &v); err != nil {
				return nil, err
			}
			if v.N < 0 {
				return nil, errors.New("negative")
			}
			return map[string]any{"doubled": map[string]any{"n": v.N * 2, "by": in.Session},
				"also": []int{1}}, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	out, err := ev.run(context.Background(), eventContext{session: "p_1"},
		json.RawMessage(`{"n":2,"x":1}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 2 || out[0].name != "also" || out[1].name != "doubled" ||
		string(out[1].data) != `{"by":"p_1","n":4}` || out[1].kind != KindSelf {
		t.Fatalf("out = %+v", out)
	}
	_, err = ev.run(context.Background(), eventContext{}, json.RawMessage(`{"n":-1}`))
	if err == nil {
		t.Fatal("resolver error lost")
	}
	if _, err := ev.run(context.Background(), eventContext{}, json.RawMessage(`{}`)); err == nil {
		t.Fatal("schema not applied")
	}
	bad, _ := compileGoEvent("str", Event{Resolver: func(context.Context, EventInput) (
		map[string]any, error,
	) {
		return map[string]any{"x": "hello"}, nil
	}})
	if _, err := bad.run(context.Background(), eventContext{}, json.RawMessage(`{}`)); err == nil {
		t.Fatal("string output accepted (the client would drop it)")
	}
	if _, err := compileGoEvent("$x", Event{Resolver: bad.resolver}); err == nil {
		t.Fatal("$ name accepted")
	}
	if _, err := compileGoEvent("x", Event{}); err == nil {
		t.Fatal("event without resolver accepted")
	}
}
