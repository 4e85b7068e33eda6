package yjs

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

// The speed comparison with yjs (YJS_SPEED.md, made by scripts/yjs-speed): BenchmarkVsYjs
// runs, on the inputs js/yjsspeed/bench.mjs makes with yjs, the lines that bench.mjs
// times in yjs:
//
//	YJS_SPEED_DIR=/tmp/in go test ./yjs -run '^$' -bench '^BenchmarkVsYjs$' -count 5
//
// Without YJS_SPEED_DIR the inputs are made at full scale first (node and js/node_modules
// needed; about 15 s).

// speedInputs are the inputs, named as js/yjsspeed/inputs.mjs names them.
type speedInputs struct {
	typing          [][]byte // line a: one update per keystroke of one user
	paste           []byte   // the document pasted in one piece
	interleaved     []byte   // the document built by three clients
	pasteKeys       [][]byte // line b: keystrokes at random places of paste
	interleavedKeys [][]byte // the same for interleaved
	merge           [][]byte // line d: updates to merge at once
}

// speedDoc is one of the two documents of lines b and c.
type speedDoc struct {
	name string
	enc  []byte
	keys [][]byte
}

func (in *speedInputs) docs() []speedDoc {
	return []speedDoc{
		{"paste", in.paste, in.pasteKeys},
		{"interleaved", in.interleaved, in.interleavedKeys},
	}
}

// readSpeedInputs reads the inputs bench.mjs wrote into dir.
func readSpeedInputs(tb testing.TB, dir string) *speedInputs {
	tb.Helper()
	files := map[string][][]byte{}
	for _, f := range []string{"typing", "paste", "interleaved", "paste-keys",
		"interleaved-keys", "merge"} {
		frames, err := readFrames(filepath.Join(dir, f+".bin"))
		if err != nil {
			tb.Fatalf("reading the inputs of js/yjsspeed: %v", err)
		}
		files[f] = frames
	}
	for _, doc := range []string{"paste", "interleaved"} {
		if len(files[doc]) != 1 {
			tb.Fatalf("%s.bin holds %d updates, want 1", doc, len(files[doc]))
		}
	}
	return &speedInputs{
		typing: files["typing"], paste: files["paste"][0], interleaved: files["interleaved"][0],
		pasteKeys: files["paste-keys"], interleavedKeys: files["interleaved-keys"],
		merge: files["merge"],
	}
}

// readFrames reads a file of updates, each written as its 4-byte big-endian length and
// its bytes.
func readFrames(path string) ([][]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out [][]byte
	for len(b) > 0 {
		if len(b) < 4 || uint64(len(b)-4) < uint64(binary.BigEndian.Uint32(b)) {
			return nil, fmt.Errorf("%s: truncated frame", path)
		}
		n := 4 + int(binary.BigEndian.Uint32(b))
		out = append(out, b[4:n:n])
		b = b[n:]
	}
	return out, nil
}

// writeFrame writes one update as a file readFrames and bench.mjs read.
func writeFrame(tb testing.TB, path string, u []byte) {
	tb.Helper()
	b := binary.BigEndian.AppendUint32(make([]byte, 0, 4+len(u)), uint32(len(u)))
	if err := os.WriteFile(path, append(b, u...), 0o644); err != nil {
		tb.Fatal(err)
	}
}

// runSpeedScript runs js/yjsspeed/bench.mjs with the node flags and arguments given and
// returns its standard output.
func runSpeedScript(tb testing.TB, node string, flags []string, args ...string) []byte {
	tb.Helper()
	argv := append(append(flags, filepath.Join("yjsspeed", "bench.mjs")), args...)
	cmd := exec.Command(node, argv...)
	cmd.Dir = jsDir
	var stderr []byte
	out, err := cmd.Output()
	if ee, ok := err.(*exec.ExitError); ok {
		stderr = ee.Stderr
	}
	if err != nil {
		tb.Fatalf("node bench.mjs %v: %v\n%s%s", args, err, out, stderr)
	}
	return out
}

var (
	benchSpeedMu sync.Mutex
	benchSpeed   *speedInputs // full-scale inputs made once per test binary
)

// speedInputsFor returns the inputs in $YJS_SPEED_DIR, or makes them at full scale.
func speedInputsFor(b *testing.B) *speedInputs {
	if dir := os.Getenv("YJS_SPEED_DIR"); dir != "" {
		return readSpeedInputs(b, dir)
	}
	benchSpeedMu.Lock()
	defer benchSpeedMu.Unlock()
	if benchSpeed == nil {
		node := requireNode(b)
		dir := b.TempDir()
		runSpeedScript(b, node, nil, "gen", dir, "full")
		benchSpeed = readSpeedInputs(b, dir)
	}
	return benchSpeed
}

// applyAll applies the updates one by one to s and returns it.
func applyAll(tb testing.TB, s *Store, updates ...[]byte) *Store {
	tb.Helper()
	for _, u := range updates {
		mustApplyB(tb, s, u)
	}
	return s
}

// heldBy returns the heap a store holding the update enc keeps, as HeapAlloc and
// HeapInuse grow, after garbage collection (twice: sync.Pool frees its items at the
// second).
func heldBy(tb testing.TB, enc []byte) (alloc, inuse int64) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&before)
	s := applyAll(tb, NewStore(Options{}), enc)
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(s)
	return int64(after.HeapAlloc) - int64(before.HeapAlloc),
		int64(after.HeapInuse) - int64(before.HeapInuse)
}

// BenchmarkVsYjs runs the lines of YJS_SPEED.md; bench.mjs gives each the same name.
// One operation is: a, all the keystrokes applied one by one to a new store; b, one
// keystroke applied to the loaded document (loading not timed); c, one Encode of it;
// d, one MergeUpdates. mem-* load a document and report the heap the store keeps.
func BenchmarkVsYjs(b *testing.B) {
	in := speedInputsFor(b)
	b.Run("a-typing", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			applyAll(b, NewStore(Options{}), in.typing...)
		}
	})
	for _, d := range in.docs() {
		b.Run("b-keystroke-"+d.name, func(b *testing.B) { benchKeystrokes(b, d) })
	}
	for _, d := range in.docs() {
		b.Run("c-encode-"+d.name, func(b *testing.B) {
			s := applyAll(b, NewStore(Options{}), d.enc)
			b.ReportAllocs()
			for b.Loop() {
				_ = s.Encode()
			}
		})
	}
	b.Run("d-merge", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := MergeUpdates(in.merge); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, d := range in.docs() {
		b.Run("mem-"+d.name, func(b *testing.B) {
			var alloc, inuse int64
			for range b.N {
				alloc, inuse = heldBy(b, d.enc)
			}
			b.ReportMetric(float64(alloc), "heap-bytes")
			b.ReportMetric(float64(inuse), "inuse-bytes")
			b.ReportMetric(float64(len(d.enc)), "encoded-bytes")
		})
	}
}

// benchKeystrokes applies d's keystrokes one per operation to the loaded document,
// loading it again, with the timer stopped, when they are used up.
func benchKeystrokes(b *testing.B, d speedDoc) {
	var s *Store
	next := len(d.keys)
	b.ReportAllocs()
	for range b.N {
		if next == len(d.keys) {
			b.StopTimer()
			s, next = applyAll(b, NewStore(Options{}), d.enc), 0
			b.StartTimer()
		}
		mustApplyB(b, s, d.keys[next])
		next++
	}
}

// speedLines are the timed lines of BenchmarkVsYjs, which bench.mjs must time too.
var speedLines = []string{"a-typing", "b-keystroke-paste", "b-keystroke-interleaved",
	"c-encode-paste", "c-encode-interleaved", "d-merge"}

// TestYjsSpeedSmoke runs the comparison with yjs at a tiny scale, so that neither side
// rots: bench.mjs makes the inputs; the code of every Go line runs once and leaves its
// document, which yjs must read as the document it gets from the same inputs (the same
// text and state vector); then bench.mjs times its lines and measures memory once.
func TestYjsSpeedSmoke(t *testing.T) {
	node := requireNode(t)
	dir := t.TempDir()
	runSpeedScript(t, node, nil, "gen", dir, "tiny")
	in := readSpeedInputs(t, dir)
	out := func(name string) string { return filepath.Join(dir, "go-"+name+".bin") }

	writeFrame(t, out("typing"), applyAll(t, NewStore(Options{}), in.typing...).Encode())
	for _, d := range in.docs() {
		s := applyAll(t, NewStore(Options{}), d.enc)
		writeFrame(t, out(d.name+"-encode"), s.Encode())
		writeFrame(t, out(d.name+"-keys"), applyAll(t, s, d.keys...).Encode())
		if alloc, _ := heldBy(t, d.enc); alloc <= 0 {
			t.Errorf("%s: a store holding it holds %d heap bytes", d.name, alloc)
		}
	}
	merged, err := MergeUpdates(in.merge)
	if err != nil {
		t.Fatal(err)
	}
	writeFrame(t, out("merge"), merged)
	t.Logf("yjs reads the Go documents:\n%s", runSpeedScript(t, node, nil, "check", dir))

	timed := runSpeedScript(t, node, []string{"--expose-gc"}, "run", dir, "tiny")
	checkSpeedRun(t, timed)
}

// checkSpeedRun checks that bench.mjs's output describes the inputs, times every line
// of speedLines and measures the memory of both documents.
func checkSpeedRun(t *testing.T, out []byte) {
	t.Helper()
	seen := map[string]bool{}
	for _, line := range bytes.Split(bytes.TrimSpace(out), []byte("\n")) {
		var r struct {
			Line, Mem    string
			NsPerOp      float64
			EncodedBytes int
			Meta         *struct{ Typing, Merge int }
		}
		if err := json.Unmarshal(line, &r); err != nil {
			t.Fatalf("bench.mjs wrote %q: %v", line, err)
		}
		switch {
		case r.Line != "" && r.NsPerOp > 0:
			seen[r.Line] = true
		case r.Mem != "" && r.EncodedBytes > 0:
			seen["mem-"+r.Mem] = true
		case r.Meta != nil && r.Meta.Typing > 0 && r.Meta.Merge > 0:
			seen["meta"] = true
		default:
			t.Errorf("bench.mjs wrote %s", line)
		}
	}
	for _, name := range append(speedLines, "mem-paste", "mem-interleaved", "meta") {
		if !seen[name] {
			t.Errorf("bench.mjs gave no figure for %s:\n%s", name, out)
		}
	}
}
