package pluv

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddytest"
)

func TestUnmarshalCaddyfile(t *testing.T) {
	input := `pluv {
		name chat
		room {http.request.uri.path.2}
		storage_dir ./data
		flush_interval 5s
		max_presence_size 1024
		max_storage_size 1000000
		ping_timeout 45s
		strict_events
		auth {
			secret {env.PLUV_SECRET}
			required false
			user {
				name string max_length 40
				tags array string max_items 3 max_length 10 optional
			}
			max_age 1h
		}
		event SEND_MESSAGE {
			input {
				message string max_length 500
				meta object optional {
					n number min 0
				}
			}
			broadcast MESSAGE_RECEIVED {
				message input.message
				sender  user
				at      time
			}
			self ACK
		}
		event EMIT_EMOJI {
			input {
				emojiCode number
			}
			broadcast EMOJI_RECEIVED
		}
	}`
	var h Handler
	if err := h.UnmarshalCaddyfile(caddyfile.NewTestDispenser(input)); err != nil {
		t.Fatal(err)
	}
	got, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"name":"chat","room":"{http.request.uri.path.2}","storage_dir":"./data",` +
		`"flush_interval":5000000000,"max_presence_size":1024,"max_storage_size":1000000,` +
		`"ping_timeout":45000000000,` +
		`"strict_events":true,"auth":{"secret":"{env.PLUV_SECRET}","required":false,` +
		`"user":[{"name":"name","type":"string","max_length":40},{"name":"tags",` +
		`"type":"array","optional":true,"max_items":3,"items":{"type":"string",` +
		`"max_length":10}}],"max_age":3600000000000},"events":[{"name":"SEND_MESSAGE",` +
		`"input":[{"name":"message","type":"string","max_length":500},{"name":"meta",` +
		`"type":"object","optional":true,"fields":[{"name":"n","type":"number","min":0}]}],` +
		`"outputs":[{"kind":"broadcast","name":"MESSAGE_RECEIVED","data":[{"key":"message",` +
		`"from":"input.message"},{"key":"sender","from":"user"},{"key":"at","from":"time"}]},` +
		`{"kind":"self","name":"ACK"}]},{"name":"EMIT_EMOJI","input":[{"name":"emojiCode",` +
		`"type":"number"}],"outputs":[{"kind":"broadcast","name":"EMOJI_RECEIVED"}]}]}`
	if string(got) != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	h.Auth.Secret = testSecret
	if _, err := h.Config.compile(); err != nil {
		t.Fatalf("parsed config does not compile: %v", err)
	}
}

func TestUnmarshalCaddyfileErrors(t *testing.T) {
	tests := []struct {
		name, input, want string
		line              int
	}{
		{"argument", "pluv extra", "wrong argument count", 1},
		{"unknown", "pluv {\n  bogus 1\n}", `unknown subdirective "bogus"`, 2},
		{"duplicate", "pluv {\n name a\n name b\n}", `duplicate subdirective "name"`, 3},
		{"bad int", "pluv {\n max_presence_size -1\n}", "non-negative integer", 2},
		{"bad size", "pluv {\n max_presence_size none\n}", "non-negative integer", 2},
		{"size args", "pluv {\n max_presence_size off 1\n}", "wrong argument count", 2},
		{"bad duration", "pluv {\n ping_timeout soon\n}", "positive duration", 2},
		{"flush off", "pluv {\n flush_interval off\n}", "cannot be off", 2},
		{"flush zero", "pluv {\n flush_interval 0s\n}", "positive duration", 2},
		{"flush args", "pluv {\n flush_interval 1s 2s\n}", "wrong argument count", 2},
		{"two args", "pluv {\n storage_dir a b\n}", "wrong argument count", 2},
		{"strict arg", "pluv {\n strict_events yes\n}", "wrong argument count", 2},
		{"auth no secret", "pluv {\n auth {\n  required true\n }\n}", "secret is required", 4},
		{"auth required", "pluv {\n auth {\n  secret s\n  required maybe\n }\n}",
			"want true or false", 4},
		{"auth unknown", "pluv {\n auth {\n  secret s\n  roles x\n }\n}",
			`unknown auth subdirective "roles"`, 4},
		{"auth both", "pluv {\n auth {\n  secret s\n  user {\n   n string\n  }\n" +
			"  user_schema u.json\n }\n}", "either user or user_schema", 8},
		{"event name", "pluv {\n event $x {\n }\n}", "invalid event name", 2},
		{"event dup", "pluv {\n event A {\n }\n event A {\n }\n}", "defined twice", 4},
		{"field type", "pluv {\n event A {\n  input {\n   m text\n  }\n }\n}",
			`unknown type "text"`, 4},
		{"field no type", "pluv {\n event A {\n  input {\n   m\n  }\n }\n}", "needs a type", 4},
		{"field bound", "pluv {\n event A {\n  input {\n   m string min 1\n  }\n }\n}",
			"min does not apply", 4},
		{"field bound value", "pluv {\n event A {\n  input {\n   m string max_length\n" +
			"  }\n }\n}", "needs a value", 4},
		{"field unknown option", "pluv {\n event A {\n  input {\n   m string big 1\n  }\n" +
			" }\n}", `unknown option "big"`, 4},
		{"array no item", "pluv {\n event A {\n  input {\n   m array\n  }\n }\n}",
			"needs an item type", 4},
		{"string block", "pluv {\n event A {\n  input {\n   m string {\n    x string\n" +
			"   }\n  }\n }\n}", "only objects take a block", 4},
		{"empty input", "pluv {\n event A {\n  input {\n  }\n }\n}", "at least one field", 4},
		{"two inputs", "pluv {\n event A {\n  input_schema a.json\n  input_schema b.json\n" +
			" }\n}", "more than one input", 4},
		{"output source", "pluv {\n event A {\n  broadcast B {\n   k secret\n  }\n }\n}",
			"unknown source", 4},
		{"output name", "pluv {\n event A {\n  self $B\n }\n}", "invalid output name", 3},
		{"output kind", "pluv {\n event A {\n  everyone B\n }\n}",
			`unknown event subdirective "everyone"`, 3},
		{"output dup key", "pluv {\n event A {\n  self B {\n   k room\n   k time\n  }\n" +
			" }\n}", "duplicate key", 5},
		{"duplicate output", "pluv {\n event A {\n  self B\n  self B\n }\n}",
			"duplicate output", 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h Handler
			err := h.UnmarshalCaddyfile(caddyfile.NewTestDispenser(tt.input))
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q does not contain %q", err, tt.want)
			}
			wantLine := "Testfile:" + itoa(tt.line)
			if !strings.Contains(err.Error(), wantLine) {
				t.Fatalf("error %q does not name %s", err, wantLine)
			}
		})
	}
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func TestUnmarshalTokenCaddyfile(t *testing.T) {
	var th TokenHandler
	input := `pluv_token {
		secret {env.PLUV_SECRET}
		user_id {http.request.header.X-User}
		user name {http.request.header.X-Name}
		user team blue
		room {http.request.uri.query.r}
		max_room_id_length 64
		max_age 10m
		format jwe
	}`
	if err := th.UnmarshalCaddyfile(caddyfile.NewTestDispenser(input)); err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(th)
	want := `{"secret":"{env.PLUV_SECRET}","user_id":"{http.request.header.X-User}",` +
		`"user":[{"name":"name","value":"{http.request.header.X-Name}"},{"name":"team",` +
		`"value":"blue"}],"room":"{http.request.uri.query.r}","max_room_id_length":64,` +
		`"max_age":600000000000,` +
		`"format":"jwe"}`
	if string(got) != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	for input, want := range map[string]string{
		"pluv_token": "secret is required",
		"pluv_token {\n secret s\n format paseto\n}":       "want jwt or jwe",
		"pluv_token {\n secret s\n user id x\n}":           "set by user_id",
		"pluv_token {\n secret s\n user a x\n user a y\n}": "repeated",
		"pluv_token {\n secret s\n secret t\n}":            "duplicate",
		"pluv_token {\n secret s\n expires 1h\n}":          "unknown subdirective",
		"pluv_token {\n secret s\n user a\n}":              "wrong argument count",
	} {
		var th TokenHandler
		err := th.UnmarshalCaddyfile(caddyfile.NewTestDispenser(input))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", input, err, want)
		}
	}
}

func FuzzUnmarshalCaddyfile(f *testing.F) {
	for _, s := range []string{
		"pluv", "pluv {\n name a\n}", "pluv {\n event A {\n  input {\n   m string\n  }\n" +
			"  self B {\n   k input.m\n  }\n }\n}",
		"pluv {\n auth {\n  secret s\n  user {\n   o object {\n    a array object {\n" +
			"     b integer min 1\n    }\n   }\n  }\n }\n}",
		"pluv_token {\n secret s\n user name {http.request.header.X-Name}\n format jwe\n}",
		"pluv {\n keep_history\n storage_root text text\n storage_root \"a b\" xml\n}",
		"pluv {\n storage_root list array\n storage_root list map\n}",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, input string) {
		// Tokenize, not NewTestDispenser: that one exits the process on a lexer error,
		// which the fuzzer reports as a crash of the code under test.
		tokens, err := caddyfile.Tokenize([]byte(input), "Caddyfile")
		if err != nil {
			return
		}
		// pluv_token's parser takes the same input; it must refuse or accept, not panic.
		var th TokenHandler
		_ = th.UnmarshalCaddyfile(caddyfile.NewDispenser(tokens))
		var h Handler
		if err := h.UnmarshalCaddyfile(caddyfile.NewDispenser(tokens)); err != nil {
			return
		}
		// What parses must survive a JSON round trip unchanged.
		b, err := json.Marshal(h)
		if err != nil {
			t.Fatal(err)
		}
		var again Handler
		if err := json.Unmarshal(b, &again); err != nil {
			t.Fatal(err)
		}
		b2, _ := json.Marshal(again)
		if string(b) != string(b2) {
			t.Fatalf("round trip changed %s to %s", b, b2)
		}
	})
}

// TestCaddyfileAdapt adapts every testdata/caddyfile_adapt fixture: a Caddyfile, a line
// of dashes, then the expected JSON or a substring of the expected error.
func TestCaddyfileAdapt(t *testing.T) {
	files, err := filepath.Glob("testdata/caddyfile_adapt/*.caddyfiletest")
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	split := regexp.MustCompile(`(?m)^-{10,}\s*$`)
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			parts := split.Split(string(data), 2)
			if len(parts) != 2 {
				t.Fatal("no dashed separator line")
			}
			input := strings.TrimSpace(parts[0]) + "\n"
			want := strings.TrimSpace(parts[1])
			if strings.HasPrefix(want, "{") {
				if !caddytest.CompareAdapt(t, file, input, "caddyfile", want) {
					t.Fatal("adapted JSON differs")
				}
				return
			}
			_, _, err = caddyconfig.GetAdapter("caddyfile").Adapt([]byte(input), nil)
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("error %v, want it to contain %q", err, want)
			}
		})
	}
}

func TestPresenceSizeOff(t *testing.T) {
	var h Handler
	err := h.UnmarshalCaddyfile(caddyfile.NewTestDispenser("pluv {\n max_presence_size off\n}"))
	if err != nil || h.MaxPresenceSize != -1 {
		t.Fatalf("max_presence_size off: %d %v", h.MaxPresenceSize, err)
	}
	s, err := h.Config.compile()
	if err != nil || s.maxPresenceSize != 0 {
		t.Fatalf("compiled cap %d (%v), want 0 (off)", s.maxPresenceSize, err)
	}
}
