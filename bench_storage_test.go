package pluv

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/caddy-pluv/caddy-pluv/yjs"
)

// BenchmarkStorageEdit measures one keystroke-sized `$updateStorage` applied to a room
// whose document is pre-filled to a size, and relayed as `$storageUpdated` to the 9
// other sessions.
func BenchmarkStorageEdit(b *testing.B) {
	for _, size := range []int{0, 100 << 10, 1 << 20} {
		b.Run(fmt.Sprintf("doc=%dKB", size>>10), func(b *testing.B) {
			srv, err := NewServer(benchConfig)
			if err != nil {
				b.Fatal(err)
			}
			hs, base := benchServer(b, srv)
			defer hs()
			conns := benchRoom(b, base, "bench", 1, false)
			benchSend(b, conns[0], storageFrame("$initializeSession", benchFill(size)))
			benchReadUntil(b, conns[0], "$storageReceived", 1)
			conns = append(conns, benchRoom(b, base, "bench", benchSessions-1, true)...)
			b.ReportAllocs()
			b.ResetTimer()
			benchFrames(b, conns[0], conns[1:], func(i int) []byte {
				return storageFrame("$updateStorage", benchKeystroke(uint64(i), size > 0))
			})
		})
	}
}

// storageFrame is a client frame of type typ carrying update.
func storageFrame(typ string, update []byte) []byte {
	return []byte(`{"type":"` + typ + `","data":{"presence":null,"update":"` +
		base64.StdEncoding.EncodeToString(update) + `"}}`)
}

// benchFillClient and benchEditClient are the Yjs client ids of the pre-fill and of the
// benchmark's keystrokes.
const benchFillClient, benchEditClient = 1, 2

// benchFill returns a Yjs update of about size bytes: items of 32 characters, each
// inserted after the start of the one before, so that they do not merge into one.
func benchFill(size int) []byte {
	const chunk = 32
	items := max(1, size/(chunk+6))
	text := strings.Repeat("lorem ipsum dolor sit amet ", 2)[:chunk]
	run := yjs.ClientStructs{Client: benchFillClient, Structs: make([]yjs.Struct, 0, items)}
	for i := range items {
		s := yjs.Struct{
			ID:     yjs.ID{Client: benchFillClient, Clock: uint64(i * chunk)},
			Length: chunk, Info: yjs.RefString, Content: yjs.StringContent(text),
		}
		if i == 0 {
			s.ParentIsName, s.ParentName = true, "t"
		} else {
			s.Info |= yjs.InfoOrigin
			s.Origin = yjs.ID{Client: benchFillClient, Clock: uint64((i - 1) * chunk)}
		}
		run.Structs = append(run.Structs, s)
	}
	return (&yjs.Update{Structs: []yjs.ClientStructs{run}}).Encode()
}

// benchKeystroke returns the update typing one character at clock: the first inside the
// pre-filled text (at the start of an empty document), each next after the previous.
func benchKeystroke(clock uint64, filled bool) []byte {
	s := yjs.Struct{
		ID: yjs.ID{Client: benchEditClient, Clock: clock}, Length: 1, Info: yjs.RefString,
		Content: yjs.StringContent(string(rune('a' + clock%26))),
	}
	switch {
	case clock > 0:
		s.Info |= yjs.InfoOrigin
		s.Origin = yjs.ID{Client: benchEditClient, Clock: clock - 1}
	case filled:
		s.Info |= yjs.InfoOrigin
		s.Origin = yjs.ID{Client: benchFillClient, Clock: 7}
	default:
		s.ParentIsName, s.ParentName = true, "t"
	}
	run := yjs.ClientStructs{Client: benchEditClient, Clock: clock, Structs: []yjs.Struct{s}}
	return (&yjs.Update{Structs: []yjs.ClientStructs{run}}).Encode()
}

// BenchmarkJoin measures one session joining a room whose document is pre-filled to
// 1 MB: dial, `$registered`, `$initializeSession`, `$storageReceived`, close.
func BenchmarkJoin(b *testing.B) {
	srv, err := NewServer(benchConfig)
	if err != nil {
		b.Fatal(err)
	}
	hs, base := benchServer(b, srv)
	defer hs()
	host := benchRoom(b, base, "bench", 1, false)[0]
	benchSend(b, host, storageFrame("$initializeSession", benchFill(1<<20)))
	benchReadUntil(b, host, "$storageReceived", 1)
	init := []byte(`{"type":"$initializeSession","data":{"presence":null,"update":null}}`)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := processCPU(b)
	for range b.N {
		ws := benchRoom(b, base, "bench", 1, false)[0]
		benchSend(b, ws, init)
		benchReadUntil(b, ws, "$storageReceived", 1)
		_ = ws.Close()
	}
	b.StopTimer()
	b.ReportMetric(float64(processCPU(b)-cpu0)/float64(b.N), "cpu-ns/op")
}
