package bench

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"testing"

	"github.com/caddy-pluv/caddy-pluv/yjs"
)

// TestMessageShape: a fanout message's data object is exactly -payload bytes of JSON
// with the send time and sender the receivers read back.
func TestMessageShape(t *testing.T) {
	for _, sc := range []string{ScenarioEvent, ScenarioPresence} {
		for _, payload := range []int{minPayload, 100, 512, 4096} {
			r := &run{cfg: Config{Scenario: sc, EventName: "bench", Payload: payload}}
			c := &client{idx: 42}
			b := r.message(c, 7, 123456789)
			var f struct {
				Type string `json:"type"`
				Data json.RawMessage
			}
			if err := json.Unmarshal(b, &f); err != nil {
				t.Fatalf("%s %d: %v: %s", sc, payload, err, b)
			}
			obj := f.Data
			if sc == ScenarioPresence {
				var p struct{ Presence json.RawMessage }
				_ = json.Unmarshal(f.Data, &p)
				obj = p.Presence
			}
			if len(obj) != payload {
				t.Errorf("%s: data object of %d bytes, want %d: %s", sc, len(obj), payload,
					obj)
			}
			if v, ok := intAfter(b, tKey); !ok || v != 123456789 {
				t.Errorf("%s: t = %d, %v", sc, v, ok)
			}
			if v, ok := intAfter(b, sKey); !ok || v != 42 {
				t.Errorf("%s: s = %d, %v", sc, v, ok)
			}
		}
	}
}

// TestFrameType reads the type of server frames, which start with it.
func TestFrameType(t *testing.T) {
	cases := map[string]string{
		`{"type":"$pong","data":{}}`:                   "$pong",
		`{"type":"benched","data":{"t":1},"room":"r"}`: "benched",
		`{"data":{},"type":"x"}`:                       "",
		`{"type":"unterminated`:                        "",
		`[]`:                                           "",
	}
	for in, want := range cases {
		if got := string(frameType([]byte(in))); got != want {
			t.Errorf("frameType(%s) = %q, want %q", in, got, want)
		}
	}
}

// TestKeystrokes: an editor's updates decode as one-character Yjs items chained after
// each other, and editSent finds the send time of a relayed one.
func TestKeystrokes(t *testing.T) {
	for _, docSize := range []int{0, 5000} {
		r := &run{cfg: Config{Scenario: ScenarioStorage, Rate: 10, Clients: 2, Rooms: 1,
			DocSize: docSize}}
		r.newClients()
		senders := r.senders()
		e := newEditor(r, senders[0])
		s := yjs.NewStore(yjs.Options{})
		if docSize > 0 {
			if _, err := s.Apply(fillDocument(docSize)); err != nil {
				t.Fatalf("fill: %v", err)
			}
		}
		var last []byte
		for i := range 5 {
			f := e.keystroke(int64(1000 + i))
			var in struct{ Data struct{ Update string } }
			if err := json.Unmarshal(f, &in); err != nil {
				t.Fatal(err)
			}
			u, _ := base64.StdEncoding.DecodeString(in.Data.Update)
			delta, err := s.Apply(u)
			if err != nil || !bytes.Equal(delta, u) {
				t.Fatalf("doc %d keystroke %d: delta %x, err %v; want %x", docSize, i, delta,
					err, u)
			}
			last = u
		}
		if s.PendingSize() != 0 {
			t.Errorf("doc %d: keystrokes left pending", docSize)
		}
		frame := []byte(`{"type":"$storageUpdated","data":{"state":"` +
			base64.StdEncoding.EncodeToString(last) + `"},"connectionId":"p"}`)
		tm, size, ok := r.editSent(frame)
		if !ok || tm != 1004 || size != len(last) {
			t.Errorf("doc %d: editSent = %d, %d, %v; want 1004, %d", docSize, tm, size, ok,
				len(last))
		}
	}
}
