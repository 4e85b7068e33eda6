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
// a Store and checks, step by step, that the Store agrees with a reference Y.Doc fed the
// same updates: emptiness, state vector, Encode() and the chain of deltas (read back by
// yjs), and EncodeDiff for lagging peers. See js/yjsdiff/.
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
				err := w.runTrace(seed)
				if err == nil {
					continue
				}
				mu.Lock()
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
	Updates []string `json:"updates"`
	Steps   []struct {
		Empty bool   `json:"empty"`
		SV    string `json:"sv"`
		Dup   bool   `json:"dup"`
	} `json:"steps"`
	CheckAt []int    `json:"checkAt"`
	Lagging []string `json:"lagging"`
	OK      *bool    `json:"ok"`
	Error   string   `json:"error"`
}

// diffCheck is the request that hands the Store's answers back to the worker.
type diffCheck struct {
	Op      string         `json:"op"`
	Seed    int            `json:"seed"`
	Encodes map[int]string `json:"encodes"`
	Deltas  []*string      `json:"deltas"`
	Diffs   []string       `json:"diffs"`
}

func (w *diffWorker) runTrace(seed int) error {
	var tr diffTrace
	if err := w.call(map[string]any{"op": "gen", "seed": seed}, &tr); err != nil {
		return err
	}
	if tr.OK != nil && !*tr.OK {
		return fmt.Errorf("generating trace: %s", tr.Error)
	}
	chk, err := replayTrace(&tr)
	if err != nil {
		return err
	}
	chk.Seed = seed
	var verdict struct {
		OK    bool   `json:"ok"`
		Error string `json:"error"`
	}
	if err := w.call(chk, &verdict); err != nil {
		return err
	}
	if !verdict.OK {
		return errors.New(verdict.Error)
	}
	return nil
}

// replayTrace applies the trace to a Store, checks what Go can check itself after every
// step, and collects what the worker checks with yjs.
func replayTrace(tr *diffTrace) (*diffCheck, error) {
	s := NewStore(Options{})
	shadow := NewStore(Options{}) // fed only the deltas
	chk := &diffCheck{Op: "check", Encodes: map[int]string{}}
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
		delta, err := s.Apply(u)
		if err != nil {
			return nil, fmt.Errorf("step %d: Apply: %v", i, err)
		}
		step := tr.Steps[i]
		if step.Dup && delta != nil {
			return nil, fmt.Errorf("step %d: a duplicate update gave a delta", i)
		}
		if s.IsEmpty() != step.Empty {
			return nil, fmt.Errorf("step %d: IsEmpty %v, yjs says %v", i, s.IsEmpty(), step.Empty)
		}
		if err := compareSV(s.StateVector(), step.SV); err != nil {
			return nil, fmt.Errorf("step %d: %v", i, err)
		}
		if err := verifyStore(s); err != nil {
			return nil, fmt.Errorf("step %d: %v", i, err)
		}
		if delta == nil {
			chk.Deltas = append(chk.Deltas, nil)
		} else {
			if again, err := s.Apply(delta); err != nil || again != nil {
				return nil, fmt.Errorf("step %d: re-applying the delta: %v, %x", i, err, again)
			}
			if _, err := shadow.Apply(delta); err != nil {
				return nil, fmt.Errorf("step %d: delta into a second store: %v", i, err)
			}
			d := enc.EncodeToString(delta)
			chk.Deltas = append(chk.Deltas, &d)
		}
		if !bytes.Equal(shadow.StateVector(), s.StateVector()) {
			return nil, fmt.Errorf("step %d: a store fed the deltas has another state vector", i)
		}
		if checkAt[i] {
			chk.Encodes[i] = enc.EncodeToString(s.Encode())
		}
	}
	for _, sv64 := range tr.Lagging {
		sv, err := enc.DecodeString(sv64)
		if err != nil {
			return nil, err
		}
		diff, err := s.EncodeDiff(sv)
		if err != nil {
			return nil, fmt.Errorf("EncodeDiff: %v", err)
		}
		chk.Diffs = append(chk.Diffs, enc.EncodeToString(diff))
	}
	return chk, nil
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
