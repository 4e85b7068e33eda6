package pluv

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestDecodeFrame(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		wantType string
		wantData string
		wantErr  bool
	}{
		{"ping", `{"type":"$ping","data":{}}`, "$ping", `{}`, false},
		{"data first", `{"data":{"a":1},"type":"x"}`, "x", `{"a":1}`, false},
		{"array data", `{"type":"x","data":[1,2]}`, "x", `[1,2]`, false},
		{"null data", `{"type":"x","data":null}`, "x", `null`, false},
		{"missing data", `{"type":"wave"}`, "wave", `{}`, false},
		{"extra fields ignored", `{"type":"x","data":{},"connectionId":"p_1","user":{}}`,
			"x", `{}`, false},
		{"spaces", " \n{ \"type\" : \"x\" , \"data\" : { } }\n", "x", `{ }`, false},
		{"string data", `{"type":"x","data":"hi"}`, "", "", true},
		{"number data", `{"type":"x","data":1}`, "", "", true},
		{"bool data", `{"type":"x","data":true}`, "", "", true},
		{"no type", `{"data":{}}`, "", "", true},
		{"number type", `{"type":1,"data":{}}`, "", "", true},
		{"null type", `{"type":null,"data":{}}`, "", "", true},
		{"array", `[{"type":"x"}]`, "", "", true},
		{"string", `"x"`, "", "", true},
		{"empty", ``, "", "", true},
		{"truncated", `{"type":"x","data":{`, "", "", true},
		{"trailing", `{"type":"x"} {}`, "", "", true},
		{"invalid utf8 escape", `{"type":"\ud800","data":{}}`, "\ufffd", `{}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := decodeFrame([]byte(tt.in))
			if tt.wantErr {
				if err == nil || !errors.Is(err, errBadFrame) {
					t.Fatalf("decodeFrame(%q) err = %v, want errBadFrame", tt.in, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("decodeFrame(%q): %v", tt.in, err)
			}
			if f.Type != tt.wantType || string(f.Data) != tt.wantData {
				t.Fatalf("decodeFrame(%q) = %q %s, want %q %s", tt.in, f.Type, f.Data,
					tt.wantType, tt.wantData)
			}
		})
	}
}

func FuzzDecodeFrame(f *testing.F) {
	for _, s := range []string{
		`{"type":"$ping","data":{}}`, `{"type":"x"}`, `{"type":"x","data":null}`,
		`{"data":[1],"type":"$updatePresence"}`, `[]`, `{"type":1}`, `{`, ``,
		`{"type":"$initializeSession","data":{"presence":{"x":1},"update":"AAA="}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, err := decodeFrame(b)
		if err != nil {
			if !errors.Is(err, errBadFrame) {
				t.Fatalf("error %v does not wrap errBadFrame", err)
			}
			return
		}
		if !json.Valid(fr.Data) {
			t.Fatalf("data %q is not valid JSON", fr.Data)
		}
		if c := fr.Data[0]; c != '{' && c != '[' && string(fr.Data) != "null" {
			t.Fatalf("data %q is not object, array or null", fr.Data)
		}
		// Round trip: re-encoding the decoded frame decodes to the same frame.
		again, err := decodeFrame(encodeFrame(fr.Type, fr.Data, "p_1", "r", nil))
		if err != nil || again.Type != fr.Type {
			t.Fatalf("round trip of %q: %v %q", b, err, again.Type)
		}
	})
}

func TestEncodeFrame(t *testing.T) {
	tests := []struct {
		name   string
		typ    string
		data   any
		connID string
		user   json.RawMessage
		want   string
	}{
		{"self with user", "$pong", json.RawMessage(`{}`), "p_1", json.RawMessage(`{"id":"u"}`),
			`{"type":"$pong","data":{},"connectionId":"p_1","room":"r","user":{"id":"u"}}`},
		{"null id and user", "$error", errorData{Message: "Not authorized"}, "", nil,
			`{"type":"$error","data":{"message":"Not authorized","stack":null},` +
				`"connectionId":null,"room":"r","user":null}`},
		{"no html escaping", "x", map[string]string{"a": "<&>"}, "p", nil,
			`{"type":"x","data":{"a":"<&>"},"connectionId":"p","room":"r","user":null}`},
		{"raw data compacted", "x", json.RawMessage("{ \"a\" : 1 }"), "p", nil,
			`{"type":"x","data":{"a":1},"connectionId":"p","room":"r","user":null}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(encodeFrame(tt.typ, tt.data, tt.connID, "r", tt.user))
			if got != tt.want {
				t.Fatalf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

// TestEncodeFrameAsMarshal checks the hand-built envelope against encoding/json
// marshalling the same fields, escapes and all.
func TestEncodeFrameAsMarshal(t *testing.T) {
	strs := []string{"", "p_1", "$registered", "a\"b\\c", "é\u2028<&>", "\x00\x1f\x7f", "\xff"}
	raws := []json.RawMessage{nil, json.RawMessage(`{}`), json.RawMessage(" [ 1 , \"a b\" ] "),
		json.RawMessage(`{"k":{"n":null,"s":"\u00e9\n"}}`), json.RawMessage(`"x"`)}
	for i, typ := range strs {
		for j, str := range strs {
			for k, raw := range raws {
				data := raw
				if data == nil {
					data = json.RawMessage(`null`)
				}
				env := frame{Type: typ, Data: data, Room: str, User: raw}
				if str != "" {
					env.ConnectionID = &str
				}
				want, err := marshalCompact(env)
				if err != nil {
					t.Fatal(err)
				}
				got := encodeFrame(typ, data, str, str, raw)
				if !bytes.Equal(got, want) {
					t.Errorf("case %d/%d/%d:\ngot  %s\nwant %s", i, j, k, got, want)
				}
			}
		}
	}
}

func TestTokenFromQuery(t *testing.T) {
	jwe := "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..F7gL.tdGT-_x.tJHL"
	tests := []struct {
		name, query, want string
	}{
		{"plain jwe", "room=a&token=" + jwe, jwe},
		{"none", "room=a", ""},
		// encodeURIComponent("a+b/c=") then form-encoded again by URLSearchParams.
		{"double encoded", "token=a%252Bb%252Fc%253D", "a+b/c="},
		{"single encoded plus stays", "token=a%2Bb", "a+b"},
		{"literal percent after one decode", "token=100%25", "100%"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tokenFromQuery(tt.query); got != tt.want {
				t.Fatalf("tokenFromQuery(%q) = %q, want %q", tt.query, got, tt.want)
			}
		})
	}
}

func TestValidRoomID(t *testing.T) {
	tests := []struct {
		id   string
		want bool
	}{
		{"a", true}, {"my-room", true}, {"My_Room-2", true}, {"0", true},
		{"", false}, {"-a", false}, {"a-", false}, {"_a", false}, {"a b", false},
		{"../x", false}, {"a.b", false}, {"é", false}, {strings.Repeat("a", 100), true},
		{strings.Repeat("a", 101), false}, {"a\n", false}, {"..", false}, {"/", false},
		{"a/b", false}, {"a\x00", false}, {strings.Repeat("a", 10000), false},
		// Unicode case folding: the Kelvin sign folds to k, the long s to s.
		{"\u212a", false}, {"a\u017fb", false}, {"ａ", false}, {"a\u200bb", false},
	}
	for _, tt := range tests {
		if got := validRoomID(tt.id, DefaultMaxRoomIDLength); got != tt.want {
			t.Errorf("validRoomID(%q) = %v, want %v", tt.id, got, tt.want)
		}
	}
}

func TestValidEventName(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"sendMessage", true}, {"SEND_MESSAGE", true}, {"_x1", true},
		{"$ping", false}, {"1x", false}, {"a-b", false}, {"", false},
		{strings.Repeat("a", 128), true}, {strings.Repeat("a", 129), false},
	}
	for _, tt := range tests {
		if got := validEventName(tt.name); got != tt.want {
			t.Errorf("validEventName(%q) = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestDecodeData: a built-in message's data of the wrong shape is refused in JSON terms.
func TestDecodeData(t *testing.T) {
	type storage struct {
		Update *string `json:"update"`
	}
	type presence struct {
		Presence json.RawMessage `json:"presence"`
	}
	cases := []struct {
		data string
		v    any
		want string // "" : accepted
	}{
		{`{"update":"AAA="}`, &storage{}, ""},
		{`null`, &storage{}, ""},
		{`{"update":5}`, &storage{}, "data.update must be a string, not number"},
		{`{"update":{"a":1}}`, &storage{}, "data.update must be a string, not object"},
		{`[1,2]`, &storage{}, "data must be an object, not array"},
		{`[]`, &presence{}, "data must be an object, not array"},
		{`{"presence":[1]}`, &presence{}, ""},
	}
	for i, tc := range cases {
		err := decodeData(json.RawMessage(tc.data), tc.v)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tc.want {
			t.Errorf("case %d %s: got %q, want %q", i, tc.data, got, tc.want)
		}
		if strings.Contains(got, "Go") || strings.Contains(got, "struct") {
			t.Errorf("case %d: Go internals in %q", i, got)
		}
	}
}
