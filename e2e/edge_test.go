package e2e

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/caddy-pluv/caddy-pluv/internal/pluvtest"
)

// keyOrder returns the keys of a raw JSON object in the order they are written.
func keyOrder(t *testing.T, raw json.RawMessage) []string {
	t.Helper()

	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not an object: %s", raw)
	}

	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}

		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}

	return keys
}

// TestPresenceMergeKeepsKeyOrder: the merged presence keeps existing keys in place and
// appends new ones, like JavaScript's object spread.
func TestPresenceMergeKeepsKeyOrder(t *testing.T) {
	r := startRoom(t, authBlock)
	ann := r.dial("ann", pluvtest.Options{Token: userToken(t, r.id, "ann", "")})
	ann.Handshake()
	for _, raw := range []string{
		`{"type":"$updatePresence","data":{"presence":{"z":1,"a":2,"m":3}}}`,
		`{"type":"$updatePresence","data":{"presence":{"b":4,"a":5}}}`,
	} {
		if err := ann.SendRaw(raw); err != nil {
			t.Fatal(err)
		}
	}

	ann.Await(pluvtest.TypePresenceUpdated)
	f := ann.Await(pluvtest.TypePresenceUpdated)
	var d struct{ Presence json.RawMessage }
	if err := f.Decode(&d); err != nil {
		t.Fatal(err)
	}

	if got := keyOrder(t, d.Presence); !slices.Equal(got, []string{"z", "a", "m", "b"}) {
		t.Fatalf("merged presence %s has key order %v, want z a m b", d.Presence, got)
	}

	jsonEqual(t, "merged presence", d.Presence, `{"z":1,"a":5,"m":3,"b":4}`)
}

// TestPresenceSizeBoundary: the 512-byte cap counts UTF-8 bytes of compact JSON as
// JSON.stringify writes it (no HTML escaping of < > &), so the server agrees with the
// client's own check.
func TestPresenceSizeBoundary(t *testing.T) {
	r := startRoom(t, authBlock)
	ann := r.dial("ann", pluvtest.Options{Token: userToken(t, r.id, "ann", "")})
	ann.Handshake()

	cases := []struct {
		name string
		text string // the value of key "v"; {"v":"…"} adds 8 bytes
		ok   bool
	}{
		{"exactly 512", strings.Repeat("a", 504), true},
		{"513", strings.Repeat("a", 505), false},
		{"angle brackets count once", strings.Repeat("<>&", 168), true},
		{"two-byte characters", strings.Repeat("é", 252), true},
		{"two-byte characters over", strings.Repeat("é", 253), false},
		{"astral characters", strings.Repeat("😀", 126), true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Each case replaces the whole presence: the key is the same every time.
			errs := ann.Count(pluvtest.TypeError)
			if err := ann.UpdatePresence(map[string]any{"v": tc.text}); err != nil {
				t.Fatal(err)
			}

			ann.Barrier(barrierEvent)
			refused := ann.Count(pluvtest.TypeError) > errs
			if refused == tc.ok {
				t.Fatalf("presence of %d bytes: refused = %v, want %v",
					len(`{"v":""}`)+len(tc.text), refused, !tc.ok)
			}
		})
	}
}

// TestRoomIDsAreCaseSensitive: "Abc" and "abc" are different rooms with different files.
func TestRoomIDsAreCaseSensitive(t *testing.T) {
	dir := t.TempDir()
	s := startCaddyConfig(t, caddyConfig{Site: pluvSite(t, dir, authBlock)})
	upper := &room{t: t, s: s, id: "Abc"}
	lower := &room{t: t, s: s, id: "abc"}

	a := upper.dial("upper", pluvtest.Options{
		Token:  userToken(t, "Abc", "ann", ""),
		Update: textInsert(11, 0, "text", "upper"),
	})
	a.Handshake()
	b := lower.dial("lower", pluvtest.Options{Token: userToken(t, "abc", "bob", "")})
	hb := b.Handshake()
	if o := b.Others(); len(o) != 0 {
		t.Fatalf("room abc sees the sessions of Abc: %v", o)
	}

	mustEqual(t, "changeKind of the other room",
		decode[pluvtest.StorageReceived](t, hb.StorageReceived).ChangeKind, "empty")

	wrong := upper.dial("wrong-case", pluvtest.Options{Token: userToken(t, "abc", "cy", "")})
	expectRefused(t, wrong, "Not authorized")

	a.Close()
	b.Close()
	waitRoomFile(t, dir)
	again := upper.dial("again", pluvtest.Options{Token: userToken(t, "Abc", "dan", "")})
	h := again.Handshake()
	if decode[pluvtest.StorageReceived](t, h.StorageReceived).ChangeKind != "unchanged" {
		t.Fatalf("room Abc lost its document: %s", h.StorageReceived.Data)
	}
}

// TestStorageBase64Variants: updates in URL-safe or unpadded base64 are accepted, and what
// the server sends back is standard padded base64 (the strict client checks it).
func TestStorageBase64Variants(t *testing.T) {
	r := startRoom(t, authBlock)
	ann := r.dial("ann", pluvtest.Options{
		Token:  userToken(t, r.id, "ann", ""),
		Update: textInsert(11, 0, "text", "a"),
	})
	ann.Handshake()
	bob := r.user("bob", "bob", nil)

	encodings := []*base64.Encoding{base64.RawStdEncoding, base64.URLEncoding,
		base64.RawURLEncoding}
	for i, enc := range encodings {
		// "?>" encodes to characters that differ between the alphabets.
		u := textAppend(11, uint64(1+2*i), "?>")
		if err := ann.Send(pluvtest.TypeUpdateStorage, map[string]any{
			"origin": nil, "update": enc.EncodeToString(u)}); err != nil {
			t.Fatal(err)
		}

		f := bob.Await(pluvtest.TypeStorageUpdated)
		d := unb64(decode[pluvtest.StorageUpdated](t, f).State)
		if err := pluvtest.SameDoc(d, u); err != nil {
			t.Fatalf("encoding %d: relayed delta: %v", i, err)
		}
	}

	mustEqual(t, "ann's $error frames", ann.Count(pluvtest.TypeError), 0)
}

// TestBuiltinsWithoutData: a built-in without `data` is treated as `{}`, and `$ping` is
// answered whatever its key order.
func TestBuiltinsWithoutData(t *testing.T) {
	r := startRoom(t, authBlock)
	ann := r.user("ann", "ann", nil)
	first := ann.Await(pluvtest.TypeOthersReceived) // the handshake's

	ann.NoteGetOthers()
	if err := ann.SendRaw(`{"type":"$getOthers"}`); err != nil {
		t.Fatal(err)
	}

	f := ann.Await(pluvtest.TypeOthersReceived)
	mustEqual(t, "a second $othersReceived", f.Seq > first.Seq, true)
	if err := ann.PingText(`{"data":{},"type":"$ping"}`); err != nil {
		t.Fatal(err)
	}

	ann.AwaitPongs()
	if err := ann.SendRaw(`{"type":"$updatePresence","data":{"presence":"x"}}`); err != nil {
		t.Fatal(err)
	}

	ann.Await(pluvtest.TypeError)
}

// TestUpdateStorageBeforeInitialize: a session that edits before `$initializeSession` has
// its edit merged and relayed to the others, but gets no `$storageUpdated` itself before its
// `$storageReceived` (the strict client fails the test otherwise).
func TestUpdateStorageBeforeInitialize(t *testing.T) {
	r := startRoom(t, authBlock)
	bob := r.user("bob", "bob", nil)
	early := r.dial("early", pluvtest.Options{
		Token:  userToken(t, r.id, "early", ""),
		Manual: pluvtest.StepInitialize,
	})
	early.Await(pluvtest.TypeRegistered)

	edit := textInsert(44, 0, "text", "early")
	if err := early.Send(pluvtest.TypeUpdateStorage,
		map[string]any{"origin": nil, "update": b64(edit)}); err != nil {
		t.Fatal(err)
	}

	f := bob.Await(pluvtest.TypeStorageUpdated)
	if err := pluvtest.SameDoc(unb64(decode[pluvtest.StorageUpdated](t, f).State), edit); err != nil {
		t.Fatalf("relayed delta: %v", err)
	}

	if err := early.InitializeSession(nil, nil); err != nil {
		t.Fatal(err)
	}

	early.Await(pluvtest.TypeStorageReceived)
	if err := pluvtest.SameDoc(early.Doc(), bob.Doc()); err != nil {
		t.Fatalf("documents differ: %v", err)
	}
}
