package bench

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/caddy-pluv/caddy-pluv/yjs"
)

// fillBytesPerItem is about what one pre-fill item takes in the encoded update: its
// characters, the info byte, the origin and the string length.
const fillBytesPerItem = fillChunk + 6

// fillItems is the number of items of a pre-filled document of about size bytes.
func fillItems(size int) int { return max(1, size/fillBytesPerItem) }

// fillDocument returns a Yjs v1 update of about size bytes: text typed by one client in
// items of fillChunk characters, each inserted after a random earlier character (as
// edits made all over a document are), so that the items do not merge into one. The
// same size always gives the same document.
func fillDocument(size int) []byte {
	rng := rand.New(rand.NewPCG(uint64(size), 4))
	items := fillItems(size)
	run := yjs.ClientStructs{Client: fillClient, Structs: make([]yjs.Struct, 0, items)}
	text := strings.Repeat("lorem ipsum dolor sit amet ", fillChunk/27+1)[:fillChunk]
	for i := range items {
		s := yjs.Struct{
			ID:     yjs.ID{Client: fillClient, Clock: uint64(i * fillChunk)},
			Length: fillChunk, Info: yjs.RefString, Content: yjs.StringContent(text),
		}
		if i == 0 {
			s.ParentIsName, s.ParentName = true, "t"
		} else {
			s.Info |= yjs.InfoOrigin
			s.Origin = yjs.ID{Client: fillClient, Clock: rng.Uint64N(uint64(i * fillChunk))}
		}
		run.Structs = append(run.Structs, s)
	}
	return (&yjs.Update{Structs: []yjs.ClientStructs{run}}).Encode()
}

// editor makes the keystrokes of one storage sender: one character per update, the
// first placed inside the pre-filled text (or at the start of an empty document), each
// next one after the previous, as typing is.
type editor struct {
	r      *run
	c      *client
	k      int // editor index: Yjs client id editorBase+k
	clock  uint64
	origin *yjs.ID // of the first keystroke
}

// newEditor returns c's editor, nil outside the storage scenario.
func newEditor(r *run, c *client) *editor {
	if r.cfg.Scenario != ScenarioStorage {
		return nil
	}
	e := &editor{r: r, c: c, k: r.editorOf[c.idx]}
	if r.cfg.DocSize > 0 {
		n := uint64(fillItems(r.cfg.DocSize) * fillChunk)
		e.origin = &yjs.ID{Client: fillClient, Clock: uint64(e.k*7919+13) % n}
	}
	return e
}

// update returns the Yjs update of the keystroke at clock.
func (e *editor) update(clock uint64) []byte {
	id := uint64(editorBase + e.k)
	s := yjs.Struct{
		ID: yjs.ID{Client: id, Clock: clock}, Length: 1, Info: yjs.RefString,
		Content: yjs.StringContent(string(rune('a' + clock%26))),
	}
	switch {
	case clock > 0:
		s.Info |= yjs.InfoOrigin
		s.Origin = yjs.ID{Client: id, Clock: clock - 1}
	case e.origin != nil:
		s.Info |= yjs.InfoOrigin
		s.Origin = *e.origin
	default:
		s.ParentIsName, s.ParentName = true, "t"
	}
	run := yjs.ClientStructs{Client: id, Clock: clock, Structs: []yjs.Struct{s}}
	return (&yjs.Update{Structs: []yjs.ClientStructs{run}}).Encode()
}

// keystroke returns the `$updateStorage` frame of the next keystroke, sent at t, and
// records t for the receivers; nil when the edit log is full.
func (e *editor) keystroke(t int64) []byte {
	times := e.r.editTimes[e.k]
	if e.clock >= uint64(len(times)) {
		return nil
	}
	times[e.clock].Store(t)
	u := e.update(e.clock)
	e.clock++
	b := make([]byte, 0, 64+base64.StdEncoding.EncodedLen(len(u)))
	b = append(b, `{"type":"$updateStorage","data":{"origin":null,"update":"`...)
	b = base64.StdEncoding.AppendEncode(b, u)
	return append(b, `"}}`...)
}

// stateKey starts the state of a `$storageUpdated` frame.
var stateKey = []byte(`"state":"`)

// editSent finds the keystroke a `$storageUpdated` frame relays and returns when it was
// sent and the decoded size of the delta. It reads only the head of the update: its
// first client run names the editor and the clock.
func (r *run) editSent(b []byte) (t int64, size int, ok bool) {
	i := bytes.Index(b, stateKey)
	if i < 0 {
		return 0, 0, false
	}
	s := b[i+len(stateKey):]
	j := bytes.IndexByte(s, '"')
	if j < 0 {
		return 0, 0, false
	}
	s = s[:j]
	size = decodedLen(string(s))
	head := make([]byte, 0, 48)
	head, err := base64.StdEncoding.AppendDecode(head, s[:min(len(s), 64)&^3])
	if err != nil {
		return 0, 0, false
	}
	var vals [4]uint64 // runs, structs, client, clock
	for k := range vals {
		v, n, err := yjs.ReadVarUint(head)
		if err != nil {
			return 0, 0, false
		}
		vals[k], head = v, head[n:]
	}
	k := int(vals[2]) - editorBase
	if vals[0] == 0 || k < 0 || k >= len(r.editTimes) || vals[3] >= uint64(len(r.editTimes[k])) {
		return 0, 0, false
	}
	t = r.editTimes[k][vals[3]].Load()
	return t, size, t != 0
}

// lateJoin dials one more client into the first room after the run and records what it
// receives: the state in `$registered` and in `$storageReceived`, and how long it took.
func (r *run) lateJoin(ctx context.Context, sf *StorageFigures) error {
	c := &client{idx: len(r.clients), room: 0, r: r}
	start := time.Now()
	tok := ""
	if r.token != nil {
		var err error
		if tok, err = r.token(ctx, 0, "late"); err != nil {
			return fmt.Errorf("late joiner: %w", err)
		}
	}
	if err := r.dialClient(ctx, c, tok); err != nil {
		return fmt.Errorf("late joiner: %w", err)
	}
	defer func() {
		c.close()
		<-c.done
	}()
	jctx, cancel := context.WithTimeout(ctx, time.Duration(maxLateJoinMs)*time.Millisecond)
	defer cancel()
	if err := c.await(jctx, c.storaged, "$storageReceived"); err != nil {
		return fmt.Errorf("late joiner: %w", err)
	}
	sf.LateJoinRegisteredBytes = c.registeredBytes
	sf.LateJoinReceivedBytes = c.receivedBytes
	sf.LateJoinMs = round(float64(time.Since(start))/1e6, 1)
	return nil
}
