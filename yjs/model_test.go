package yjs

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
)

// modelCase is one line of js/yjsdiff/cases.mjs.
type modelCase struct {
	Name     string            `json:"name"`
	Updates  []string          `json:"updates"`
	Kinds    map[string]string `json:"kinds"`
	JSON     string            `json:"json"`
	GCSize   int               `json:"gcSize"`
	KeptSize int               `json:"keptSize"`
}

var kindNames = map[string]RootKind{"text": RootText, "array": RootArray, "map": RootMap,
	"xml": RootXMLFragment}

// TestModelCases checks the document model on fixed cases built by the real yjs:
// concurrent inserts, map winners, deleted types, XML, formats, values of every kind,
// undo. Fed in order and in reverse (so that most structs wait as pending first), the
// store must give yjs's JSON, and its compacted encoding must be no larger than a
// gc:true Y.Doc's (plus 5 %) and read back as the same document.
func TestModelCases(t *testing.T) {
	node := requireNode(t)
	cmd := exec.Command(node, filepath.Join("yjsdiff", "cases.mjs"))
	cmd.Dir = jsDir
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("running cases.mjs: %v", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		var c modelCase
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatal(err)
		}
		t.Run(c.Name, func(t *testing.T) { checkModelCase(t, &c) })
	}
}

func checkModelCase(t *testing.T, c *modelCase) {
	hints := map[string]RootKind{}
	for name, k := range c.Kinds {
		hints[name] = kindNames[k]
	}
	var updates [][]byte
	for _, u := range c.Updates {
		b, err := base64.StdEncoding.DecodeString(u)
		if err != nil {
			t.Fatal(err)
		}
		updates = append(updates, b)
	}
	feed := func(o Options, us [][]byte) *Store {
		s := NewStore(o)
		for i, u := range us {
			if _, err := s.Apply(u); err != nil {
				t.Fatalf("update %d: %v", i, err)
			}
		}
		return s
	}
	reversed := slices.Clone(updates)
	slices.Reverse(reversed)
	for _, run := range []struct {
		name string
		s    *Store
	}{
		{"gc", feed(Options{}, updates)},
		{"gc reversed", feed(Options{}, reversed)},
		{"kept", feed(Options{KeepHistory: true}, updates)},
	} {
		sameDocJSON(t, run.name, docJSON(run.s, hints), c.JSON)
		enc := run.s.Encode()
		if err := verifyStore(run.s); err != nil {
			t.Errorf("%s: %v", run.name, err)
		}
		again := feed(Options{}, [][]byte{enc})
		sameDocJSON(t, run.name+" read back", docJSON(again, hints), c.JSON)
		limit := c.GCSize * 105 / 100
		if run.name == "kept" {
			limit = c.KeptSize * 105 / 100
		}
		if len(enc) > limit {
			t.Errorf("%s: Encode is %d bytes, yjs's %d (gc) / %d (kept)", run.name, len(enc),
				c.GCSize, c.KeptSize)
		}
	}
}

// sameJSON compares a ToJSON result with yjs's JSON text (Uint8Arrays as base64).
func sameDocJSON(t *testing.T, what string, got map[string]any, want string) {
	t.Helper()
	g, err := json.Marshal(got)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	var gv, wv any
	if err := json.Unmarshal(g, &gv); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(want), &wv); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gv, wv) {
		t.Errorf("%s: ToJSON\n got %s\nwant %s", what, g, want)
	}
}
