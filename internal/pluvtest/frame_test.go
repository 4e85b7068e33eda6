package pluvtest

import (
	"strings"
	"testing"

	"github.com/gorilla/websocket"
)

// okState accepts every state; the state rules have their own table.
func okState(string) error { return nil }

func TestParseFrame(t *testing.T) {
	tests := []struct {
		name    string
		kind    int
		raw     string
		wantErr string
		want    Frame
	}{
		{name: "custom object", kind: websocket.TextMessage,
			raw:  `{"type":"hi","data":{"a":1},"connectionId":"p_1","room":"r","user":null}`,
			want: Frame{Type: "hi", ConnectionID: "p_1", Room: "r"}},
		{name: "array data", kind: websocket.TextMessage, raw: `{"type":"x","data":[1]}`,
			want: Frame{Type: "x"}},
		{name: "null data", kind: websocket.TextMessage, raw: `{"type":"x","data":null}`,
			want: Frame{Type: "x"}},
		{name: "binary", kind: websocket.BinaryMessage, raw: `{"type":"x","data":{}}`,
			wantErr: "binary"},
		{name: "not json", kind: websocket.TextMessage, raw: `{"type":`, wantErr: "not a JSON"},
		{name: "array", kind: websocket.TextMessage, raw: `[1]`, wantErr: "not a JSON object"},
		{name: "null", kind: websocket.TextMessage, raw: `null`, wantErr: "not a JSON object"},
		{name: "type number", kind: websocket.TextMessage, raw: `{"type":1,"data":{}}`,
			wantErr: "`type` is not a string"},
		{name: "type missing", kind: websocket.TextMessage, raw: `{"data":{}}`,
			wantErr: "`type` is not a string"},
		{name: "data missing", kind: websocket.TextMessage, raw: `{"type":"x"}`,
			wantErr: "`data` is missing"},
		{name: "data string", kind: websocket.TextMessage, raw: `{"type":"x","data":"s"}`,
			wantErr: "`data` is not an object"},
		{name: "data number", kind: websocket.TextMessage, raw: `{"type":"x","data":3}`,
			wantErr: "`data` is not an object"},
		{name: "connectionId number", kind: websocket.TextMessage,
			raw: `{"type":"x","data":{},"connectionId":5}`, wantErr: "`connectionId`"},
		{name: "user string", kind: websocket.TextMessage,
			raw: `{"type":"x","data":{},"user":"u"}`, wantErr: "`user`"},
		{name: "builtin without connectionId", kind: websocket.TextMessage,
			raw: `{"type":"$exit","data":{}}`, wantErr: "without a connectionId"},
		{name: "builtin empty connectionId", kind: websocket.TextMessage,
			raw:     `{"type":"$userJoined","data":{},"connectionId":""}`,
			wantErr: "without a connectionId"},
		{name: "pong needs none", kind: websocket.TextMessage, raw: `{"type":"$pong","data":{}}`,
			want: Frame{Type: "$pong"}},
		{name: "error null connectionId", kind: websocket.TextMessage,
			raw:  `{"type":"$error","data":{},"connectionId":null,"user":null}`,
			want: Frame{Type: "$error"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := parseFrame(tc.kind, []byte(tc.raw))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tc.wantErr)
				}

				return
			}

			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}

			if f.Type != tc.want.Type || f.ConnectionID != tc.want.ConnectionID ||
				f.Room != tc.want.Room {
				t.Fatalf("got %+v, want %+v", f, tc.want)
			}
		})
	}
}

func TestCheckShape(t *testing.T) {
	const env = `,"connectionId":"p_1","room":"r","user":{"id":"u"}}`
	tests := []struct {
		name    string
		raw     string
		wantErr string
	}{
		{"registered ok", `{"type":"$registered","data":{"presence":null,"sessionId":"p_1",` +
			`"state":null,"timers":{"presence":null}}` + env, ""},
		{"registered sessionId differs", `{"type":"$registered","data":{"presence":null,` +
			`"sessionId":"p_2","state":null,"timers":{"presence":null}}` + env, "differs"},
		{"registered presence string", `{"type":"$registered","data":{"presence":"x",` +
			`"sessionId":"p_1","state":null,"timers":{"presence":null}}` + env, "`presence`"},
		{"registered no timers", `{"type":"$registered","data":{"presence":{},` +
			`"sessionId":"p_1","state":null}` + env, "`timers`"},
		{"registered timer string", `{"type":"$registered","data":{"presence":{},` +
			`"sessionId":"p_1","state":null,"timers":{"presence":"1"}}` + env, "timers.presence"},
		{"storageReceived ok", `{"type":"$storageReceived","data":{"changeKind":"unchanged",` +
			`"state":"AAA="}` + env, ""},
		{"storageReceived bad kind", `{"type":"$storageReceived","data":{"changeKind":"new",` +
			`"state":"AAA="}` + env, "changeKind"},
		{"storageReceived state null", `{"type":"$storageReceived","data":{"changeKind":` +
			`"empty","state":null}` + env, "`state`"},
		{"storageUpdated no state", `{"type":"$storageUpdated","data":{}` + env, "`state`"},
		{"userJoined ok", `{"type":"$userJoined","data":{"connectionId":"p_1","user":{"id":"u"},` +
			`"presence":{"x":1},"timers":{"presence":12}}` + env, ""},
		{"userJoined user string", `{"type":"$userJoined","data":{"connectionId":"p_1",` +
			`"user":"u","presence":null,"timers":{"presence":null}}` + env, "`user`"},
		{"othersReceived ok", `{"type":"$othersReceived","data":{"others":{"p_2":{` +
			`"connectionId":"p_2","presence":null,"room":"r","timers":{"presence":null},` +
			`"user":null}}}` + env, ""},
		{"othersReceived missing", `{"type":"$othersReceived","data":{}` + env, "`others`"},
		{"othersReceived array", `{"type":"$othersReceived","data":{"others":[]}` + env,
			"`others`"},
		{"othersReceived null entry", `{"type":"$othersReceived","data":{"others":` +
			`{"p_2":null}}` + env, "not an object"},
		{"othersReceived key differs", `{"type":"$othersReceived","data":{"others":{"p_2":{` +
			`"connectionId":"p_3","presence":null,"timers":{"presence":null},"user":null}}}` +
			env, "connectionId"},
		{"presenceUpdated ok", `{"type":"$presenceUpdated","data":{"presence":{"a":1},` +
			`"timers":{"presence":null}}` + env, ""},
		{"presenceUpdated null", `{"type":"$presenceUpdated","data":{"presence":null,` +
			`"timers":{"presence":null}}` + env, "`presence`"},
		{"exit ok", `{"type":"$exit","data":{"sessionId":"p_1"}` + env, ""},
		{"exit other session", `{"type":"$exit","data":{"sessionId":"p_9"}` + env, "differs"},
		{"sync ok", `{"type":"$syncStateReceived","data":{"connectionIds":["p_1"]}` + env, ""},
		{"sync missing", `{"type":"$syncStateReceived","data":{}` + env, "connectionIds"},
		{"error ok", `{"type":"$error","data":{"message":"m","stack":null}` + env, ""},
		{"error no message", `{"type":"$error","data":{"stack":null}` + env, "`message`"},
		{"error stack number", `{"type":"$error","data":{"message":"m","stack":1}` + env,
			"`stack`"},
		{"unknown dollar", `{"type":"$hello","data":{}` + env, "not a message a server sends"},
		{"builtin data array", `{"type":"$exit","data":[]` + env, "not an object"},
		{"custom anything", `{"type":"chat","data":[1,2]` + env, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := parseFrame(websocket.TextMessage, []byte(tc.raw))
			if err != nil {
				t.Fatalf("parseFrame: %v", err)
			}

			err = checkShape(f, okState)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}

				return
			}

			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.wantErr)
			}
		})
	}
}

func TestEncodeURIComponent(t *testing.T) {
	tests := []struct{ in, want string }{
		{"abc.DEF-_~", "abc.DEF-_~"},
		{"a+b/c=", "a%2Bb%2Fc%3D"},
		{"a b%", "a%20b%25"},
		{"é", "%C3%A9"},
		{"!*'()", "!*'()"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			if got := encodeURIComponent(tc.in); got != tc.want {
				t.Fatalf("encodeURIComponent(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestDialURL(t *testing.T) {
	tests := []struct {
		name, token string
		enc         TokenEncoding
		want        string
	}{
		{"jwe unchanged", "eyJ.a-b_c..d", TokenAsClient, "room=r&token=eyJ.a-b_c..d"},
		{"client double", "a+b/c=", TokenAsClient, "room=r&token=a%252Bb%252Fc%253D"},
		{"once", "a+b/c=", TokenOnce, "room=r&token=a%2Bb%2Fc%3D"},
		{"no token", "", TokenAsClient, "room=r"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u, err := dialURL("ws://127.0.0.1:1/x?room=r", tc.token, tc.enc)
			if err != nil {
				t.Fatal(err)
			}

			if u.RawQuery != tc.want {
				t.Fatalf("query = %q, want %q", u.RawQuery, tc.want)
			}
		})
	}
}

func FuzzParseFrame(f *testing.F) {
	for _, s := range []string{
		`{"type":"$registered","data":{"presence":null,"sessionId":"p","state":null,` +
			`"timers":{"presence":null}},"connectionId":"p"}`,
		`{"type":"$othersReceived","data":{"others":{"p":{"connectionId":"p",` +
			`"presence":{},"timers":{"presence":1},"user":null}}},"connectionId":"q"}`,
		`{"type":"$storageReceived","data":{"changeKind":"empty","state":"AAA="},` +
			`"connectionId":"p"}`,
		`{"type":"x","data":[]}`, `[]`, `null`, `{"type":"","data":null}`,
	} {
		f.Add(s)
	}

	f.Fuzz(func(t *testing.T, raw string) {
		fr, err := parseFrame(websocket.TextMessage, []byte(raw))
		if err != nil {
			return
		}

		if k := jsonKind(fr.Data); k != '{' && k != '[' && k != 'n' {
			t.Fatalf("accepted data of kind %q", k)
		}

		if needsConnectionID[fr.Type] && fr.ConnectionID == "" {
			t.Fatalf("accepted %s without connectionId", fr.Type)
		}

		_ = checkShape(fr, checkState)
	})
}
