package yjs

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// Memory per wire byte: what one applied update costs in heap, for the update shapes
// that cost the most per byte sent. Numbers:
//
//	go test ./yjs -run '^$' -bench Memory -benchtime 1x

// memShape is an update shape built at about the given size in bytes.
type memShape struct {
	name  string
	build func(size int) []byte
}

// memShapes are the worst shapes known, each one valid update.
var memShapes = []memShape{
	{"any-undefined", func(n int) []byte {
		return rootItem(RefAny, anyList(n, undefinedAny))
	}},
	{"json-empty-strings", func(n int) []byte { return rootItem(RefJSON, jsonEmpties(n/3)) }},
	{"string-1char-items", func(n int) []byte { return charItems(n / 6) }},
	{"deleted-1unit-items", func(n int) []byte { return tinyItems(n / 4) }},
	{"clients-1item-each", func(n int) []byte { return oneItemClients(n / 9) }},
	{"delete-ranges", func(n int) []byte { return disjointDeletes(n / 4) }},
	{"delete-clients", func(n int) []byte { return deleteClients(n / 6) }},
	{"any-nested-arrays", func(n int) []byte {
		return rootItem(RefAny, anyList(n/(2*maxAnyDepth), nestedAny))
	}},
	{"any-object-keys", func(n int) []byte { return rootItem(RefAny, objectWithKeys(n/6)) }},
	{"map-keys", func(n int) []byte { return mapKeyItems(n / 10) }},
}

// rootItem is an update with one item of client 1 in the root type "t".
func rootItem(ref uint8, content []byte) []byte {
	b := []byte{1, 1, 1, 0, ref, 1, 1, 't'}
	b = append(b, content...)
	return append(b, 0)
}

func undefinedAny(b []byte) []byte { return append(b, byte(AnyUndefined)) }

// nestedAny is an array nested as deep as the decoder allows, holding undefined.
func nestedAny(b []byte) []byte {
	for range maxAnyDepth {
		b = append(b, byte(AnyArray), 1)
	}
	return append(b, byte(AnyUndefined))
}

// anyList is RefAny content with n elements written by elem.
func anyList(n int, elem func([]byte) []byte) []byte {
	b := AppendVarUint(nil, uint64(n))
	for range n {
		b = elem(b)
	}
	return b
}

// jsonEmpties is RefJSON content with n elements `""`.
func jsonEmpties(n int) []byte {
	b := AppendVarUint(nil, uint64(n))
	for range n {
		b = append(b, 2, '"', '"')
	}
	return b
}

// objectWithKeys is RefAny content: one object with n distinct keys, all undefined.
func objectWithKeys(n int) []byte {
	b := []byte{1, byte(AnyObject)}
	b = AppendVarUint(b, uint64(n))
	for i := range n {
		b = AppendVarString(b, strconv.FormatUint(uint64(i), 36))
		b = append(b, byte(AnyUndefined))
	}
	return b
}

// charItems is one run of n one-character string items of client 1, each with the unit
// two before it as origin so that none merges with the one before.
func charItems(n int) []byte {
	b := AppendVarUint([]byte{1}, uint64(n))
	b = append(b, 1, 0)
	for i := range n {
		if i < 2 {
			b = append(b, RefString, 1, 1, 't', 1, 'x')
			continue
		}
		b = append(b, InfoOrigin|RefString, 1)
		b = AppendVarUint(b, uint64(i-2))
		b = append(b, 1, 'x')
	}
	return append(b, 0)
}

// tinyItems is one run of n deleted items of one unit in the root type "", the smallest
// item that does not merge (it has no origin): 4 bytes.
func tinyItems(n int) []byte {
	b := AppendVarUint([]byte{1}, uint64(n))
	b = append(b, 1, 0)
	for range n {
		b = append(b, RefDeleted, 1, 0, 1)
	}
	return append(b, 0)
}

// oneItemClients is n clients with one tiny item each, written in descending order.
func oneItemClients(n int) []byte {
	b := AppendVarUint(nil, uint64(n))
	for c := n; c >= 1; c-- {
		b = append(b, 1)
		b = AppendVarUint(b, uint64(c))
		b = append(b, 0, RefDeleted, 1, 0, 1)
	}
	return append(b, 0)
}

// disjointDeletes is a delete set of n one-unit ranges of client 1 with gaps between.
func disjointDeletes(n int) []byte {
	b := []byte{0, 1, 1}
	b = AppendVarUint(b, uint64(n))
	for i := range n {
		b = AppendVarUint(b, uint64(2*i))
		b = append(b, 1)
	}
	return b
}

// deleteClients is a delete set of one range for each of n clients.
func deleteClients(n int) []byte {
	b := AppendVarUint([]byte{0}, uint64(n))
	for c := n; c >= 1; c-- {
		b = AppendVarUint(b, uint64(c))
		b = append(b, 1, 0, 1)
	}
	return b
}

// mapKeyItems is one run of n items of client 1 in the root map "m", each under its own
// key and holding undefined.
func mapKeyItems(n int) []byte {
	b := AppendVarUint([]byte{1}, uint64(n))
	b = append(b, 1, 0)
	for i := range n {
		b = append(b, InfoParentSub|RefAny, 1, 1, 'm')
		b = AppendVarString(b, strconv.FormatUint(uint64(i), 36))
		b = append(b, 1, byte(AnyUndefined))
	}
	return append(b, 0)
}

// memCost applies u to a new store and reports, per byte of u, the heap the store
// retains, the heap allocated during Apply, and the peak heap seen during Apply above
// the heap before it (sampled, so approximate; garbage not yet collected counts, as it
// does for the process).
func memCost(tb testing.TB, u []byte) (retained, allocated, peak float64) {
	tb.Helper()
	s := NewStore(Options{MaxPending: 1 << 40})
	var before, after, kept runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	stop := samplePeak()
	if _, err := s.Apply(u); err != nil {
		tb.Fatalf("Apply: %v", err)
	}
	top := stop()
	runtime.ReadMemStats(&after)
	runtime.GC()
	runtime.ReadMemStats(&kept)
	runtime.KeepAlive(s)
	n := float64(len(u))
	retained = (float64(kept.HeapAlloc) - float64(before.HeapAlloc)) / n
	allocated = float64(after.TotalAlloc-before.TotalAlloc) / n
	peak = (float64(max(top, after.HeapAlloc)) - float64(before.HeapAlloc)) / n
	return retained, allocated, peak
}

// samplePeak samples the heap in use until the returned function is called, which
// returns the largest sample.
func samplePeak() func() uint64 {
	var done atomic.Bool
	res := make(chan uint64)
	go func() {
		sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		var top uint64
		for !done.Load() {
			metrics.Read(sample)
			top = max(top, sample[0].Value.Uint64())
			time.Sleep(20 * time.Microsecond)
		}
		res <- top
	}()
	return func() uint64 {
		done.Store(true)
		return <-res
	}
}

// BenchmarkMemory reports, per shape, heap bytes retained by the store, allocated
// during Apply and at the peak of Apply, per wire byte of a 1 MB update.
func BenchmarkMemory(b *testing.B) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	for _, sh := range memShapes {
		b.Run(sh.name, func(b *testing.B) {
			u := sh.build(1 << 20)
			var ret, alloc, peak float64
			for range b.N {
				ret, alloc, peak = memCost(b, u)
			}
			b.ReportMetric(ret, "retained/wire-byte")
			b.ReportMetric(alloc, "alloc/wire-byte")
			b.ReportMetric(peak, "peak/wire-byte")
			b.ReportMetric(float64(len(u)), "wire-bytes")
		})
	}
}
