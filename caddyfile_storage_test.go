package pluv

import (
	"reflect"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

	"github.com/caddy-pluv/caddy-pluv/yjs"
)

func TestUnmarshalStorageCaddyfile(t *testing.T) {
	parseCases(t, []parseCase{
		{"keep history", "pluv {\n keep_history\n}", Config{KeepHistory: true}},
		{"roots", "pluv {\n storage_root text text\n storage_root todos array\n" +
			" storage_root \"my map\" map\n storage_root doc xml\n}",
			Config{StorageRoots: map[string]string{
				"text": "text", "todos": "array", "my map": "map", "doc": "xml",
			}}},
	})
}

func TestUnmarshalStorageCaddyfileErrors(t *testing.T) {
	parseErrorCases(t, []parseErrorCase{
		{"unknown kind", "pluv {\n storage_root t string\n}",
			`storage_root "t": unknown kind "string" (want array, map, text, xml), ` +
				"at Testfile:2"},
		{"kind case", "pluv {\n storage_root t Text\n}", `unknown kind "Text"`},
		{"no kind", "pluv {\n storage_root t\n}", "wrong argument count"},
		{"extra", "pluv {\n storage_root t text map\n}", "wrong argument count"},
		{"root twice", "pluv {\n storage_root t text\n storage_root t map\n}",
			`storage_root "t" given twice, at Testfile:3`},
		{"history arg", "pluv {\n keep_history true\n}", "wrong argument count"},
		{"history twice", "pluv {\n keep_history\n keep_history\n}",
			"duplicate subdirective"},
	})
}

// parseCase is a pluv block and the config it parses to.
type parseCase struct {
	name, input string
	want        Config
}

// parseCases parses each case's block and compares the config.
func parseCases(t *testing.T, tests []parseCase) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var h Handler
			if err := h.UnmarshalCaddyfile(caddyfile.NewTestDispenser(tc.input)); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(h.Config, tc.want) {
				t.Fatalf("got %+v, want %+v", h.Config, tc.want)
			}
		})
	}
}

// parseErrorCase is a pluv block and a substring of the error parsing it gives.
type parseErrorCase struct{ name, input, want string }

// parseErrorCases parses each case's block and checks the error.
func parseErrorCases(t *testing.T, tests []parseErrorCase) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var h Handler
			err := h.UnmarshalCaddyfile(caddyfile.NewTestDispenser(tc.input))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}

// TestCompileStorage: JSON storage_roots become the hints of the JSON view, and a kind
// the Caddyfile would refuse is refused in JSON too, naming the root.
func TestCompileStorage(t *testing.T) {
	s, err := Config{KeepHistory: true, StorageRoots: map[string]string{
		"a": "array", "m": "map", "t": "text", "x": "xml",
	}}.compile()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]yjs.RootKind{
		"a": yjs.RootArray, "m": yjs.RootMap, "t": yjs.RootText, "x": yjs.RootXMLFragment,
	}
	if !s.keepHistory || !reflect.DeepEqual(s.rootHints, want) {
		t.Fatalf("keep history %v, hints %v; want true, %v", s.keepHistory, s.rootHints, want)
	}
	if s, _ := (Config{}).compile(); s.keepHistory || s.rootHints != nil {
		t.Fatalf("defaults: keep history %v, hints %v", s.keepHistory, s.rootHints)
	}
	_, err = Config{StorageRoots: map[string]string{"doc": "fragment"}}.compile()
	if err == nil || !strings.Contains(err.Error(),
		`storage_roots: root "doc": unknown kind "fragment"`) {
		t.Fatalf("error %v", err)
	}
}
