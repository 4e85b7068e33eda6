package yjs

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
)

var (
	diffTraces  = flag.Int("yjs.traces", 1000, "number of random traces checked against yjs")
	diffSeed    = flag.Int("yjs.seed", 0, "check only this trace seed (0: seeds 1..yjs.traces)")
	diffWorkers = flag.Int("yjs.workers", 0,
		"node processes for the differential test (0: one per CPU, at most 4)")
)

// TestDifferential runs random multi-client editing traces made by the real yjs through
// a collecting Store and one that keeps history, and checks, step by step, that each
// agrees with a reference Y.Doc fed the same updates: emptiness, state vector, Encode()
// and the chain of deltas (read back by yjs), ToJSON with the trace's root kinds and
// inferred, and EncodeDiff for lagging peers; the collected Encode() is at most 5 %
// longer than yjs's own with gc on (the ratios are logged). See js/yjsdiff/.
func TestDifferential(t *testing.T) {
	node := requireNode(t)
	seeds := make(chan int)
	go func() {
		defer close(seeds)
		if *diffSeed != 0 {
			seeds <- *diffSeed
			return
		}
		for s := 1; s <= *diffTraces; s++ {
			seeds <- s
		}
	}()
	workers := *diffWorkers
	if workers <= 0 {
		workers = min(runtime.NumCPU(), 4)
	}
	var mu sync.Mutex
	failed := 0
	var ratios ratioStats
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w, err := startDiffWorker(node)
			if err != nil {
				t.Errorf("starting node worker: %v", err)
				return
			}
			defer w.close()
			for seed := range seeds {
				rs, err := w.runTrace(seed)
				mu.Lock()
				ratios.add(rs)
				if err == nil {
					mu.Unlock()
					continue
				}
				failed++
				stop := failed >= 5
				mu.Unlock()
				t.Errorf("trace seed %d: %v\nreproduce: "+
					"go test ./yjs -run 'TestDifferential$' -v -yjs.seed=%d", seed, err, seed)
				if stop || errors.Is(err, errWorkerDied) {
					return
				}
			}
		}()
	}
	wg.Wait()
	for range seeds { // drain if workers stopped early
	}
	if ratios.n > 0 {
		t.Logf("collected Encode() / yjs encodeStateAsUpdate (gc on): max %.3f, mean %.3f "+
			"over %d checked steps", ratios.max, ratios.sum/float64(ratios.n), ratios.n)
	}
}

// ratioStats gathers the ratios of the collected store's Encode() length to yjs's.
type ratioStats struct {
	max, sum float64
	n        int
}

func (r *ratioStats) add(rs []float64) {
	for _, x := range rs {
		r.max = max(r.max, x)
		r.sum += x
	}
	r.n += len(rs)
}

var errWorkerDied = errors.New("node worker died")

// diffWorker is one node process running js/yjsdiff/worker.mjs.
type diffWorker struct {
	cmd    *exec.Cmd
	in     io.WriteCloser
	out    *bufio.Scanner
	stderr bytes.Buffer
}

func startDiffWorker(node string) (*diffWorker, error) {
	w := &diffWorker{cmd: exec.Command(node, filepath.Join("yjsdiff", "worker.mjs"))}
	w.cmd.Dir = jsDir
	w.cmd.Stderr = &w.stderr
	var err error
	if w.in, err = w.cmd.StdinPipe(); err != nil {
		return nil, err
	}
	stdout, err := w.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	w.out = bufio.NewScanner(stdout)
	w.out.Buffer(make([]byte, 1<<20), 256<<20)
	return w, w.cmd.Start()
}

func (w *diffWorker) close() {
	_ = w.in.Close()
	_ = w.cmd.Wait()
}

// call sends one request and decodes the answer.
func (w *diffWorker) call(req, res any) error {
	line, err := json.Marshal(req)
	if err != nil {
		return err
	}
	if _, err := w.in.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("%w: %v; stderr: %s", errWorkerDied, err, w.stderr.String())
	}
	if !w.out.Scan() {
		return fmt.Errorf("%w: %v; stderr: %s", errWorkerDied, w.out.Err(), w.stderr.String())
	}
	return json.Unmarshal(w.out.Bytes(), res)
}

// diffTrace is the worker's answer to "gen".
type diffTrace struct {
	Updates []string   `json:"updates"`
	Steps   []diffStep `json:"steps"`
	CheckAt []int      `json:"checkAt"`
	Lagging []string   `json:"lagging"`
	OK      *bool      `json:"ok"`
	Error   string     `json:"error"`
}

// diffStep is what the reference Y.Doc says after one step of a trace.
type diffStep struct {
	Empty bool   `json:"empty"`
	SV    string `json:"sv"`
	Dup   bool   `json:"dup"`
}

// diffCheck is the request that hands the Stores' answers back to the worker.
type diffCheck struct {
	Op     string                  `json:"op"`
	Seed   int                     `json:"seed"`
	Stores map[string]*storeAnswer `json:"stores"`
}

// storeAnswer is what one Store says about a trace: its delta for each step, Encode() and
// ToJSON after each checked step, and EncodeDiff for each lagging peer. The worker bounds
// the length of a collected store's Encode() by yjs's.
type storeAnswer struct {
	Collected bool               `json:"collected"`
	Deltas    []*string          `json:"deltas"`
	Encodes   map[int]string     `json:"encodes"`
	JSON      map[int]jsonAnswer `json:"json"`
	Diffs     []string           `json:"diffs"`
}

// runTrace checks one trace and returns the ratios of the collected store's Encode()
// lengths to yjs's.
func (w *diffWorker) runTrace(seed int) ([]float64, error) {
	var tr diffTrace
	if err := w.call(map[string]any{"op": "gen", "seed": seed}, &tr); err != nil {
		return nil, err
	}
	if tr.OK != nil && !*tr.OK {
		return nil, fmt.Errorf("generating trace: %s", tr.Error)
	}
	chk, err := replayTrace(&tr)
	if err != nil {
		return nil, err
	}
	chk.Seed = seed
	var verdict struct {
		OK     bool      `json:"ok"`
		Error  string    `json:"error"`
		Ratios []float64 `json:"ratios"`
	}
	if err := w.call(chk, &verdict); err != nil {
		return nil, err
	}
	if !verdict.OK {
		return verdict.Ratios, errors.New(verdict.Error)
	}
	return verdict.Ratios, nil
}

// replica is one Store replaying a trace, with a second store fed only its deltas.
type replica struct {
	name   string
	s      *Store
	shadow *Store
	last   []byte // the delta of the last step
	ans    *storeAnswer
}

func newReplica(name string, opts Options) *replica {
	return &replica{name: name, s: NewStore(opts), shadow: NewStore(opts), ans: &storeAnswer{
		Collected: !opts.KeepHistory, Encodes: map[int]string{}, JSON: map[int]jsonAnswer{},
	}}
}

// replayTrace applies the trace to a collecting Store and to one that keeps history,
// checks what Go can check itself after every step, and collects what the worker checks
// with yjs.
func replayTrace(tr *diffTrace) (*diffCheck, error) {
	reps := []*replica{newReplica("collected", Options{}),
		newReplica("history", Options{KeepHistory: true})}
	chk := &diffCheck{Op: "check", Stores: map[string]*storeAnswer{}}
	checkAt := map[int]bool{}
	for _, i := range tr.CheckAt {
		checkAt[i] = true
	}
	enc := base64.StdEncoding
	for i, u64 := range tr.Updates {
		u, err := enc.DecodeString(u64)
		if err != nil {
			return nil, err
		}
		if dec, err := DecodeUpdate(u); err != nil || !bytes.Equal(dec.Encode(), u) {
			return nil, fmt.Errorf("step %d: update made by yjs does not round-trip: %v", i, err)
		}
		for _, r := range reps {
			// The store that keeps history runs the code the collected one runs, less
			// the collection: its invariants are checked at the checked steps only.
			verify := !r.s.opts.KeepHistory || checkAt[i]
			err := r.step(u, tr.Steps[i], verify)
			if err != nil {
				return nil, fmt.Errorf("step %d, store %s: %v", i, r.name, err)
			}
			if !checkAt[i] {
				continue
			}
			r.ans.Encodes[i] = enc.EncodeToString(r.s.Encode())
			r.ans.JSON[i] = storeJSON(r.s)
			if i < len(tr.Updates)-1 { // the rest is checked on the whole trace only
				continue
			}
			if err := jsonSurvivesEncode(r.s, traceHints); err != nil {
				return nil, fmt.Errorf("step %d, store %s: %v", i, r.name, err)
			}
		}
		// The deltas may split the same structs differently; the worker reads each chain.
		if (reps[0].last == nil) != (reps[1].last == nil) {
			return nil, fmt.Errorf("step %d: store %s gives the delta %x, store %s %x",
				i, reps[0].name, reps[0].last, reps[1].name, reps[1].last)
		}
	}
	for _, r := range reps {
		if err := r.diffs(tr.Lagging); err != nil {
			return nil, fmt.Errorf("store %s: %v", r.name, err)
		}
		chk.Stores[r.name] = r.ans
	}
	return chk, nil
}

// step applies one update and checks the store against what yjs says of the step:
// emptiness, state vector, a duplicate's lack of delta; its invariants if asked; and that
// the delta adds nothing when applied again and gives a store fed only the deltas the
// same state vector.
func (r *replica) step(u []byte, want diffStep, verify bool) error {
	delta, err := r.s.Apply(u)
	if err != nil {
		return fmt.Errorf("Apply: %v", err)
	}
	r.last = delta
	if err := r.s.ModelErr(); err != nil {
		return fmt.Errorf("the model was dropped: %v", err)
	}
	if want.Dup && delta != nil {
		return errors.New("a duplicate update gave a delta")
	}
	if r.s.IsEmpty() != want.Empty {
		return fmt.Errorf("IsEmpty %v, yjs says %v", r.s.IsEmpty(), want.Empty)
	}
	if err := compareSV(r.s.StateVector(), want.SV); err != nil {
		return err
	}
	if verify {
		if err := verifyStore(r.s); err != nil {
			return err
		}
	}
	if delta == nil {
		r.ans.Deltas = append(r.ans.Deltas, nil)
	} else {
		if again, err := r.s.Apply(delta); err != nil || again != nil {
			return fmt.Errorf("re-applying the delta: %v, %x", err, again)
		}
		if _, err := r.shadow.Apply(delta); err != nil {
			return fmt.Errorf("delta into a second store: %v", err)
		}
		d := base64.StdEncoding.EncodeToString(delta)
		r.ans.Deltas = append(r.ans.Deltas, &d)
	}
	if !bytes.Equal(r.shadow.StateVector(), r.s.StateVector()) {
		return errors.New("a store fed the deltas has another state vector")
	}
	return nil
}

// diffs answers EncodeDiff for each lagging peer's state vector.
func (r *replica) diffs(lagging []string) error {
	for _, sv64 := range lagging {
		sv, err := base64.StdEncoding.DecodeString(sv64)
		if err != nil {
			return err
		}
		diff, err := r.s.EncodeDiff(sv)
		if err != nil {
			return fmt.Errorf("EncodeDiff: %v", err)
		}
		r.ans.Diffs = append(r.ans.Diffs, base64.StdEncoding.EncodeToString(diff))
	}
	return nil
}

// compareSV checks the store's state vector against that of a fresh Y.Doc fed the
// reference's whole state.
func compareSV(got []byte, want64 string) error {
	if g := base64.StdEncoding.EncodeToString(got); g != want64 {
		gv, _ := DecodeStateVector(got)
		wb, _ := base64.StdEncoding.DecodeString(want64)
		wv, _ := DecodeStateVector(wb)
		return fmt.Errorf("state vector %v, yjs has %v", gv, wv)
	}
	return nil
}
