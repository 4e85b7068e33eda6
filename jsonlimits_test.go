package pluv

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckJSONLimits(t *testing.T) {
	nest := func(n int) string {
		return `{"type":"x","data":` + strings.Repeat(`{"a":`, n) + "1" +
			strings.Repeat("}", n) + "}"
	}
	digits := strings.Repeat("7", 1<<20)
	tests := []struct {
		name  string
		frame string
		want  string // "" when accepted
	}{
		{"plain", `{"type":"x","data":{"a":[1,2.5,-3e10],"b":"1e999999"}}`, ""},
		{"32 levels", nest(32), ""},
		{"33 levels", nest(33), "data.a.a.a"},
		{"33 arrays", `{"type":"x","data":` + strings.Repeat("[", 33) +
			strings.Repeat("]", 33) + "}", "data[0][0]"},
		{"100 digits", `{"type":"x","data":{"n":` + strings.Repeat("1", 100) + `}}`, ""},
		{"101 digits", `{"type":"x","data":{"n":` + strings.Repeat("1", 101) + `}}`,
			"data.n: number of 101 characters (limit 100)"},
		{"1 MB of digits", `{"type":"x","data":{"n":` + digits + `}}`,
			"data.n: number of 1048576 characters"},
		{"1e999999", `{"type":"x","data":{"message":1e999999}}`,
			"data.message: number 1e999999 out of range"},
		{"-1e400 in an array", `{"type":"x","data":{"p":[0,1,-1e400]}}`,
			"data.p[2]: number -1e400 out of range"},
		{"tiny is fine", `{"type":"x","data":{"p":1e-400}}`, ""},
		{"odd key", `{"type":"x","data":{"a b":{"c\"d":1e999}}}`,
			`data["a b"]["c\"d"]: number 1e999 out of range`},
		{"number after string with escapes", `{"type":"x","data":{"s":"\\\"1e999","n":1e999}}`,
			"data.n:"},
		{"ignored key", `{"type":"x","extra":1e999}`, "extra: number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkJSONLimits([]byte(tt.frame))
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("err = %v", err)
			case tt.want == "":
			case !errors.Is(err, errInputLimit) || !strings.Contains(err.Error(), tt.want):
				t.Fatalf("err = %v, want errInputLimit with %q", err, tt.want)
			}
		})
	}
}

// TestDecodeFrameLimits: decodeFrame applies the limits to every frame.
func TestDecodeFrameLimits(t *testing.T) {
	f, err := decodeFrame([]byte(`{"type":"$updatePresence","data":{"presence":{"x":1e999}}}`))
	if !errors.Is(err, errInputLimit) || f.Type != msgUpdatePresence ||
		!strings.Contains(err.Error(), "data.presence.x") {
		t.Fatalf("type %q, err %v", f.Type, err)
	}
}

func BenchmarkCheckJSONLimits(b *testing.B) {
	frame := []byte(`{"type":"x","data":{"items":[` +
		strings.Repeat(`{"a":1.5,"b":"text \" here","c":[1,2,3]},`, 2000) + `0]}}`)
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		if err := checkJSONLimits(frame); err != nil {
			b.Fatal(err)
		}
	}
}
