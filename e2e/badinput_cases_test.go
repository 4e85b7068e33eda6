package e2e

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/caddy-pluv/caddy-pluv/internal/pluvtest"
)

// Log messages the server writes for refused input.
const (
	logRefused   = "frame refused"
	logFrame     = "frame"
	logToken     = "token refused"
	logRoomID    = "invalid room id"
	logReadLimit = "frame past the read limit; closed with 1009"
)

// mallory is the user of the offenders' tokens.
var mallory = map[string]any{"id": "mallory"}

// tokenCases refuse the socket at connect: bad tokens in both formats, hostile room ids.
func tokenCases() []badCase {
	bad := func(name string, mint func(t testing.TB, room string) string) badCase {
		return badCase{name: "token " + name, token: mint, want: "Not authorized", log: logToken}
	}
	room := func(name, id string) badCase {
		return badCase{name: "room id " + name, room: id, want: "Invalid room id", log: logRoomID}
	}
	// claim mints both formats with one claim replaced; want is the exact `$error`.
	claim := func(name, key string, val any, want string) []badCase {
		spec := func(room string) tokenSpec {
			return tokenSpec{room: room, user: mallory, set: map[string]any{key: val}}
		}
		return []badCase{
			{name: "token " + name + " HS256", want: want, log: logToken,
				token: func(t testing.TB, r string) string { return hs256(t, spec(r)) }},
			{name: "token " + name + " JWE", want: want, log: logToken,
				token: func(t testing.TB, r string) string { return pluvJWE(t, spec(r)) }},
		}
	}
	old := func(room string) tokenSpec {
		return tokenSpec{room: room, user: mallory, age: time.Hour, life: time.Minute}
	}

	notNumber := func(c string) string { return "Not authorized: claim " + c + " is not a number" }
	outOfRange := func(c string) string { return "Not authorized: claim " + c + " is out of range" }
	blank := "Not authorized: user id is blank"
	claims := [][]badCase{
		claim("exp numeric string", "exp", "99999999999", notNumber("exp")),
		claim("exp bool", "exp", true, notNumber("exp")),
		claim("exp 1e999999", "exp", json.Number("1e999999"), outOfRange("exp")),
		claim("exp of 200 digits", "exp", json.Number(strings.Repeat("9", 200)),
			outOfRange("exp")),
		claim("iat string", "iat", "now", notNumber("iat")),
		claim("nbf bool", "nbf", false, notNumber("nbf")),
		claim("nbf huge", "nbf", 1e300, outOfRange("nbf")),
		claim("empty user id", "user", map[string]any{"id": ""}, blank),
		claim("blank user id", "user", map[string]any{"id": " \t "}, blank),
	}

	cases := []badCase{
		bad("none", func(testing.TB, string) string { return "" }),
		bad("garbage", func(testing.TB, string) string { return "eyJnYXJiYWdl.x.y" }),
		bad("expired HS256", func(t testing.TB, r string) string { return hs256(t, old(r)) }),
		bad("expired JWE", func(t testing.TB, r string) string { return pluvJWE(t, old(r)) }),
		bad("wrong room HS256", func(t testing.TB, _ string) string {
			return hs256(t, tokenSpec{room: "elsewhere", user: mallory})
		}),
		bad("wrong room JWE", func(t testing.TB, _ string) string {
			return pluvJWE(t, tokenSpec{room: "elsewhere", user: mallory})
		}),
		bad("alg none", func(t testing.TB, r string) string {
			return algNone(t, tokenSpec{room: r, user: mallory})
		}),
		bad("HS512 with the right secret", func(t testing.TB, r string) string {
			return signed(t, jwt.SigningMethodHS512, tokenSpec{room: r, user: mallory})
		}),
		bad("JWS dressed as JWE", func(t testing.TB, r string) string {
			return jwsWithHeader(t, `{"alg":"HS256","enc":"A256GCM"}`,
				tokenSpec{room: r, user: mallory})
		}),
		bad("JWE A128GCM", func(t testing.TB, r string) string {
			return jweWithHeader(t, `{"alg":"dir","enc":"A128GCM"}`,
				tokenSpec{room: r, user: mallory})
		}),
		bad("JWE alg none", func(t testing.TB, r string) string {
			return jweWithHeader(t, `{"alg":"none","enc":"A256GCM"}`,
				tokenSpec{room: r, user: mallory})
		}),
		bad("wrong secret HS256", func(t testing.TB, r string) string {
			return hs256(t, tokenSpec{room: r, user: mallory, secret: "not-the-secret-42"})
		}),
		bad("wrong secret JWE", func(t testing.TB, r string) string {
			return pluvJWE(t, tokenSpec{room: r, user: mallory, secret: "not-the-secret-42"})
		}),
		room("traversal", "../../etc/passwd"),
		room("10000 characters", strings.Repeat("a", 10000)),
		room("control characters", "a\r\nb\x00c"),
		room("markup", "<script>alert(1)</script>"),
		room("dot dot", ".."),
		room("slash", "a/b"),
		room("NUL", "a\x00b"),
		room("Kelvin sign folding to k", "\u212a"),
		room("zero width space", "a\u200bb"),
		room("one past max_room_id_length", strings.Repeat("a", 101)),
	}
	for _, c := range claims {
		cases = append(cases, c...)
	}

	return cases
}

// frameCases are malformed frames, wrong envelope types and `data` of every JSON kind.
func frameCases() []badCase {
	malformed := func(name, frame, want string) badCase {
		return badCase{name: name, attack: raw(frame), want: want, log: logRefused}
	}

	return []badCase{
		malformed("empty frame", "", "malformed frame: not a JSON object"),
		malformed("not JSON", "hello", "malformed frame: not a JSON object"),
		malformed("truncated JSON", `{"type":"$updatePresence","data":{`, "malformed frame"),
		malformed("JSON array", `[{"type":"x","data":{}}]`, "not a JSON object"),
		malformed("JSON string", `"$ping"`, "not a JSON object"),
		malformed("JSON null", `null`, "not a JSON object"),
		malformed("nested 20000 deep", `{"type":"x","data":`+strings.Repeat("[", 20000)+
			strings.Repeat("]", 20000)+`}`, "malformed frame"),
		malformed("invalid UTF-8 type", "{\"type\":\"\xff\xfe\",\"data\":{}}",
			"invalid event name"),
		malformed("no type", `{"data":{}}`, "malformed frame: no type"),
		malformed("type number", `{"type":1,"data":{}}`, "type is not a string"),
		malformed("type null", `{"type":null,"data":{}}`, "type is not a string"),
		malformed("type object", `{"type":{"x":1},"data":{}}`, "type is not a string"),
		malformed("type empty", `{"type":"","data":{}}`, "invalid event name"),
		malformed("data string", `{"type":"x","data":"str"}`,
			"data is not an object, array or null"),
		malformed("data number", `{"type":"x","data":12}`, "data is not an object"),
		malformed("data boolean", `{"type":"x","data":true}`, "data is not an object"),
		malformed("data array to $updatePresence", `{"type":"$updatePresence","data":[1]}`,
			"invalid $updatePresence: data must be an object, not array"),
		{name: "data null relayed as null", attack: raw(`{"type":"nullish","data":null}`),
			log: logFrame, check: func(t *testing.T, b *badRoom, c *pluvtest.Client) {
				f := b.bob.AwaitFunc("nullish", func(f pluvtest.Frame) bool {
					return f.Type == "nullish" && f.ConnectionID == c.SessionID()
				})
				jsonEqual(t, "relayed data", f.Data, "null")
			}},
		{name: "data null to $updateStorage is a no-op",
			attack: raw(`{"type":"$updateStorage","data":null}`), log: logFrame},
		{name: "binary frame", attack: func(c *pluvtest.Client) error {
			return c.SendBinary([]byte{0, 1, 2, 0xff})
		}, want: "binary frames are not supported", log: logRefused},
		{name: "binary frame holding JSON", attack: func(c *pluvtest.Client) error {
			return c.SendBinary([]byte(`{"type":"$updatePresence","data":{"presence":{"b":1}}}`))
		}, want: "binary frames are not supported", log: logRefused,
			check: noPresenceFrom},
		{name: "frame past the read limit", attack: raw(`{"type":"x","data":{"p":"` +
			strings.Repeat("a", 140000) + `"}}`), close: 1009, log: logReadLimit},
	}
}

// fieldCases are wrong fields of built-in messages, forged `$` messages and envelope
// fields, oversized input and bad Yjs updates.
func fieldCases() []badCase {
	refused := func(name string, attack func(*pluvtest.Client) error, want string) badCase {
		return badCase{name: name, attack: attack, want: want, log: logRefused}
	}
	presence := func(p any) func(*pluvtest.Client) error {
		return send(pluvtest.TypeUpdatePresence, map[string]any{"presence": p})
	}
	storage := func(u any) func(*pluvtest.Client) error {
		return send(pluvtest.TypeUpdateStorage, map[string]any{"origin": nil, "update": u})
	}
	initialize := func(frame string) func(*pluvtest.Client) error {
		return func(c *pluvtest.Client) error {
			c.NoteInitializeSession()
			return c.SendRaw(frame)
		}
	}
	big := strings.Repeat("p", 600)

	return []badCase{
		refused("presence string", presence("x"), "presence is not an object"),
		refused("presence array", presence([]int{1}), "presence is not an object"),
		refused("presence over 512 bytes", presence(map[string]any{"big": big}),
			"presence too large"),
		{name: "initial presence number", manual: pluvtest.StepInitialize,
			attack: initialize(`{"type":"$initializeSession","data":{"presence":5,"update":""}}`),
			want:   "presence is not an object", log: logRefused},
		{name: "initial presence over 512 bytes", manual: pluvtest.StepInitialize,
			attack: initialize(`{"type":"$initializeSession","data":{"presence":{"big":"` +
				big + `"},"update":""}}`), want: "presence too large", log: logRefused},
		{name: "repeated $initializeSession", attack: raw(`{"type":"$initializeSession",` +
			`"data":{"presence":{"again":1},"update":""}}`),
			want: "session already initialized", log: logRefused, check: noPresenceFrom},
		refused("presence patch of 10000 keys", raw(`{"type":"$updatePresence",`+
			`"data":{"presence":{`+manyKeys(10000)+`}}}`), "presence too large"),
		refused("update number", storage(5),
			"invalid $updateStorage: data.update must be a string, not number"),
		refused("update not base64", storage("!!!not base64!!!"), "decoding update"),
		refused("update past max_storage_size",
			storage(b64(textInsert(99, 0, "text", strings.Repeat("z", 50000)))),
			"storage refused"),
		refused("update not Yjs", storage(b64([]byte{0xff, 0xff, 0xff, 0xff, 0x0f})),
			"storage refused"),
		refused("update truncated", storage(b64(textInsert(99, 0, "text", "hello")[:8])),
			"storage refused"),
		refused("forged $registered", send("$registered", map[string]any{}),
			`unknown message type "$registered"`),
		refused("forged $pong", send("$pong", map[string]any{}), "unknown message type"),
		refused("forged $storageUpdated", send("$storageUpdated",
			map[string]any{"state": b64(textInsert(99, 0, "text", "forged"))}),
			"unknown message type"),
		{name: "forged $exit of another session", attack: func(c *pluvtest.Client) error {
			return c.SendRaw(`{"type":"$exit","data":{},"connectionId":"` +
				c.Others()["bob"].ConnectionID + `"}`)
		}, want: "unknown message type", log: logRefused,
			check: func(t *testing.T, b *badRoom, _ *pluvtest.Client) {
				b.ann.Barrier(barrierEvent, b.bob)
				if _, ok := b.ann.Others()["bob"]; !ok {
					t.Fatal("ann lost bob to a forged $exit")
				}
			}},
		{name: "forged envelope fields", attack: raw(`{"type":"hello","data":{},` +
			`"connectionId":"p_forged","user":{"id":"admin"},"room":"other"}`),
			log: logFrame, check: func(t *testing.T, b *badRoom, c *pluvtest.Client) {
				f := b.bob.AwaitFunc("hello", func(f pluvtest.Frame) bool {
					return f.Type == "hello"
				})
				mustEqual(t, "connectionId", f.ConnectionID, c.SessionID())
				jsonEqual(t, "user", f.User, `{"id":"mallory"}`)
				mustEqual(t, "room", f.Room, b.r.id)
			}},
		refused("event input too long", send("SEND",
			map[string]any{"message": strings.Repeat("m", 21)}),
			"data.message: longer than 20 characters"),
		refused("event input wrong type", send("SEND", map[string]any{"message": 5}),
			"data.message: expected string, got number"),
		refused("event input 1e999999", raw(`{"type":"SEND","data":{"message":1e999999}}`),
			"input refused: data.message: number 1e999999 out of range"),
		refused("event input of 100000 digits", raw(`{"type":"SEND","data":{"message":`+
			strings.Repeat("9", 100000)+`}}`),
			"input refused: data.message: number of 100000 characters (limit 100)"),
		refused("relayed data 33 levels deep", raw(`{"type":"x","data":`+
			strings.Repeat("[", 33)+strings.Repeat("]", 33)+`}`),
			"…: nested deeper than 32 levels"), // the path is cut to 64 characters
		refused("presence number of 200 digits", raw(`{"type":"$updatePresence",`+
			`"data":{"presence":{"x":`+strings.Repeat("1", 200)+`}}}`),
			"input refused: data.presence.x: number of 200 characters"),
		refused("event name of 200 characters", send(strings.Repeat("e", 200),
			map[string]any{}), "invalid event name"),
		refused("event name with a dollar", send("$custom", map[string]any{}),
			"unknown message type"),
	}
}

// manyKeys is the members of a JSON object with n keys.
func manyKeys(n int) string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf(`"k%d":0`, i)
	}

	return strings.Join(keys, ",")
}

// noPresenceFrom fails if bob got a `$presenceUpdated` from c.
func noPresenceFrom(t *testing.T, b *badRoom, c *pluvtest.Client) {
	t.Helper()

	b.ann.Barrier(barrierEvent, b.bob)
	for _, f := range b.bob.Frames() {
		if f.Type == pluvtest.TypePresenceUpdated && f.ConnectionID == c.SessionID() {
			t.Fatalf("a refused frame changed presence: %s", f)
		}
	}
}

// signed mints a JWT with another signing method and the right secret.
func signed(t testing.TB, m jwt.SigningMethod, s tokenSpec) string {
	t.Helper()

	tok, err := jwt.NewWithClaims(m, jwt.MapClaims(s.claims())).SignedString([]byte(s.key()))
	if err != nil {
		t.Fatal(err)
	}

	return tok
}

// jwsWithHeader signs the claims with HS256 under a hand-written header.
func jwsWithHeader(t testing.TB, header string, s tokenSpec) string {
	t.Helper()

	payload, err := json.Marshal(s.claims())
	if err != nil {
		t.Fatal(err)
	}

	b64 := base64.RawURLEncoding
	in := b64.EncodeToString([]byte(header)) + "." + b64.EncodeToString(payload)
	mac := hmac.New(sha256.New, []byte(s.key()))
	mac.Write([]byte(in))

	return in + "." + b64.EncodeToString(mac.Sum(nil))
}

// jweWithHeader encrypts the claims like pluv (A256GCM, the HKDF key) under a hand-written
// protected header.
func jweWithHeader(t testing.TB, header string, s tokenSpec) string {
	t.Helper()

	payload, err := json.Marshal(s.claims())
	if err != nil {
		t.Fatal(err)
	}

	block, err := aes.NewCipher(jweKey(t, s.key()))
	if err != nil {
		t.Fatal(err)
	}

	gcm, err := cipher.NewGCM(block)
	if err != nil {
		t.Fatal(err)
	}

	b64 := base64.RawURLEncoding
	head := b64.EncodeToString([]byte(header))
	iv := make([]byte, 12)
	_, _ = rand.Read(iv)
	sealed := gcm.Seal(nil, iv, payload, []byte(head))
	ct, tag := sealed[:len(sealed)-16], sealed[len(sealed)-16:]

	return head + ".." + b64.EncodeToString(iv) + "." + b64.EncodeToString(ct) + "." +
		b64.EncodeToString(tag)
}
