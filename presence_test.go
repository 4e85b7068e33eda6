package pluv

import (
	"encoding/json"
	"errors"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

func TestMergePresence(t *testing.T) {
	tests := []struct {
		name    string
		cur     string // "" is no presence
		patch   string
		max     int
		want    string
		wantErr error
	}{
		{"first patch", "", `{"x":1}`, 512, `{"x":1}`, nil},
		{"overwrite keeps order", `{"a":1,"b":2}`, `{"a":3}`, 512, `{"a":3,"b":2}`, nil},
		{"append new key", `{"a":1}`, `{"c":{"d":1}}`, 512, `{"a":1,"c":{"d":1}}`, nil},
		{"nested replaced", `{"c":{"d":1,"e":2}}`, `{"c":{"f":3}}`, 512, `{"c":{"f":3}}`, nil},
		{"null value stored", `{"a":1}`, `{"a":null}`, 512, `{"a":null}`, nil},
		{"null patch no change", `{"a":1}`, `null`, 512, `{"a":1}`, nil},
		{"compacts", "", "{ \"a\" : [ 1 , 2 ] }", 512, `{"a":[1,2]}`, nil},
		{"repeated key last wins", "", `{"a":1,"b":2,"a":3}`, 512, `{"a":3,"b":2}`, nil},
		{"empty patch", "", `{}`, 512, `{}`, nil},
		{"unicode kept", "", `{"n":"é<"}`, 512, `{"n":"é<"}`, nil},
		{"not object", "", `[1]`, 512, "", errPresenceNotObject},
		{"string", "", `"x"`, 512, "", errPresenceNotObject},
		{"exactly limit", "", `{"a":"` + strings.Repeat("x", 512-8) + `"}`, 512,
			`{"a":"` + strings.Repeat("x", 512-8) + `"}`, nil},
		{"over limit", "", `{"a":"` + strings.Repeat("x", 512-7) + `"}`, 512, "",
			errPresenceTooLarge},
		{"limit counts utf8 bytes", "", `{"a":"` + strings.Repeat("é", 300) + `"}`, 512, "",
			errPresenceTooLarge},
		{"limit off", "", `{"a":"` + strings.Repeat("x", 600) + `"}`, 0,
			`{"a":"` + strings.Repeat("x", 600) + `"}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var cur json.RawMessage
			if tt.cur != "" {
				cur = json.RawMessage(tt.cur)
			}
			got, err := mergePresence(cur, json.RawMessage(tt.patch), tt.max)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Fatalf("got %s, want %s", got, tt.want)
			}
		})
	}
}

// TestMergePresenceManyKeysLinear: a patch of many keys (within a frame's size) is split
// in allocation linear in its size; building an index per key was quadratic.
func TestMergePresenceManyKeysLinear(t *testing.T) {
	patch := manyKeysPatch(20000)
	var err error
	allocs := allocBytes(func() { _, err = mergePresence(nil, patch, 0) })
	if err != nil {
		t.Fatal(err)
	}
	if limit := uint64(400 * len(patch)); allocs > limit {
		t.Fatalf("merging %d bytes allocated %d bytes, want at most %d", len(patch), allocs,
			limit)
	}
}

// allocBytes returns the bytes f allocates on the heap.
func allocBytes(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func BenchmarkMergePresenceManyKeys(b *testing.B) {
	patch := manyKeysPatch(5000)
	for b.Loop() {
		if _, err := mergePresence(nil, patch, 0); err != nil {
			b.Fatal(err)
		}
	}
}

// manyKeysPatch is a presence patch of n keys.
func manyKeysPatch(n int) json.RawMessage {
	var sb strings.Builder
	sb.WriteByte('{')
	for i := range n {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(`"k` + strconv.Itoa(i) + `":0`)
	}
	sb.WriteByte('}')
	return json.RawMessage(sb.String())
}
