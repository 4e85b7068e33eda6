package yjs

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

func TestMergeUpdates(t *testing.T) {
	one := func(st ...Struct) []byte { return upd(runs(run(st...))) }
	hello := textAt(1, 0, nil, "hello")
	abc := textAt(1, 5, id(1, 4), "abc")
	ab, ef := textAt(1, 0, nil, "ab"), textAt(1, 4, id(1, 3), "ef")
	x := textAt(7, 0, id(1, 1), "x")
	tests := []struct {
		name    string
		updates [][]byte
		want    []byte
	}{
		{"nothing", nil, []byte{0, 0}},
		{"one update", [][]byte{one(hello)}, one(hello)},
		{"adjacent structs merge", [][]byte{one(hello), one(abc)},
			one(textAt(1, 0, nil, "helloabc"))},
		{"a gap is a skip and the part after it is kept", [][]byte{one(ef), one(ab)},
			one(ab, ef)},
		{"overlapping parts are kept once", [][]byte{
			one(textAt(1, 0, nil, "hello wo")), one(hello), one(textAt(1, 3, id(1, 2), "lo wor")),
		}, one(textAt(1, 0, nil, "hello wor"))},
		{"clients in descending order, waiting structs kept", [][]byte{one(hello), one(x)},
			upd(runs(run(x), run(hello)))},
		{"delete sets are united, unknown clients too", [][]byte{
			upd(nil, dels(1, Range{0, 2}), dels(9, Range{5, 1})),
			upd(nil, dels(1, Range{1, 3}, Range{8, 1})),
		}, upd(nil, dels(9, Range{5, 1}), dels(1, Range{0, 4}, Range{8, 1}))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := MergeUpdates(tc.updates)
			if err != nil {
				t.Fatal(err)
			}
			same(t, got, tc.want)
			rev := make([][]byte, len(tc.updates))
			for i, u := range tc.updates {
				rev[len(rev)-1-i] = u
			}
			got, err = MergeUpdates(rev)
			if err != nil {
				t.Fatal(err)
			}
			if !holdsAll(t, got, tc.want) || !holdsAll(t, tc.want, got) {
				t.Fatalf("in reverse order: %x, want the same as %x", got, tc.want)
			}
		})
	}
}

// holdsAll reports whether a store holding update a gains nothing from b. (The bytes of
// a merge can depend on the order: a struct that arrives before the one it follows is
// not merged with it.)
func holdsAll(t *testing.T, a, b []byte) bool {
	t.Helper()
	s := NewStore(Options{})
	mustApply(t, s, a)
	return mustApply(t, s, b) == nil
}

func TestMergeUpdatesMalformed(t *testing.T) {
	good := upd(runs(run(textAt(1, 0, nil, "a"))))
	_, err := MergeUpdates([][]byte{good, good[:len(good)-2]})
	if !errors.Is(err, ErrMalformed) {
		t.Fatalf("a truncated update: %v, want ErrMalformed", err)
	}
	if want := "merging update 1: "; err == nil || len(err.Error()) < len(want) ||
		err.Error()[:len(want)] != want {
		t.Fatalf("error %q does not name the update", err)
	}
}

// TestMergeUpdatesVsYjs merges the updates of the differential test's random traces
// (reordered, delayed and duplicated, as the server gets them) and has yjs check that the
// result, applied to a Y.Doc, is what Y.mergeUpdates of the same updates gives: the same
// document, state vector and encoded state. See js/yjsspeed/mergecheck.mjs.
func TestMergeUpdatesVsYjs(t *testing.T) {
	node := requireNode(t)
	traces := 300
	if testing.Short() {
		traces = 50
	}
	script := filepath.Join("yjsspeed", "mergecheck.mjs")
	gen := exec.Command(node, script, "gen", "1", strconv.Itoa(traces))
	gen.Dir = jsDir
	out, err := gen.Output()
	if err != nil {
		t.Fatalf("generating traces: %v", err)
	}
	var in map[string][]string
	if err := json.Unmarshal(out, &in); err != nil {
		t.Fatal(err)
	}
	merged := make(map[string]string, len(in))
	for seed, us := range in {
		var updates [][]byte
		for _, u := range us {
			b, err := base64.StdEncoding.DecodeString(u)
			if err != nil {
				t.Fatal(err)
			}
			updates = append(updates, b)
		}
		m, err := MergeUpdates(updates)
		if err != nil {
			t.Fatalf("seed %s: %v", seed, err)
		}
		merged[seed] = base64.StdEncoding.EncodeToString(m)
	}
	req, err := json.Marshal(merged)
	if err != nil {
		t.Fatal(err)
	}
	check := exec.Command(node, script, "check")
	check.Dir = jsDir
	check.Stdin = bytes.NewReader(req)
	verdict, err := check.CombinedOutput()
	if err != nil {
		t.Fatalf("%v:\n%s", err, verdict)
	}
	t.Logf("%s", verdict)
}
