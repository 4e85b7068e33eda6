package pluv

import (
	"strings"
	"testing"
)

// TestCompileDefaults: an empty config gets the documented defaults.
func TestCompileDefaults(t *testing.T) {
	s, err := Config{}.compile()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		got, want int
	}{
		{"send_queue", s.sendQueue, 1024},
		{"max_presence_size", s.maxPresenceSize, 512},
		{"max_storage_size", s.maxStorageSize, 31457280},
		{"max_room_id_length", s.maxRoomIDLength, 100},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %d, want %d", tt.name, tt.got, tt.want)
		}
	}
}

// TestRoomIDCapWithStorage: with storage_dir, a max_room_id_length whose longest id would
// not fit a 255-byte file name is a config error naming the limit.
func TestRoomIDCapWithStorage(t *testing.T) {
	tests := []struct {
		name string
		c    Config
		err  string
	}{
		{"default", Config{StorageDir: "x"}, ""},
		{"125 fits", Config{StorageDir: "x", MaxRoomIDLength: 125}, ""},
		{"126 does not", Config{StorageDir: "x", MaxRoomIDLength: 126},
			"max_room_id_length 126"},
		{"huge", Config{StorageDir: "x", MaxRoomIDLength: 1 << 20}, "at most 125"},
		{"no storage", Config{MaxRoomIDLength: 1000}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.c.compile()
			switch {
			case tt.err == "" && err != nil:
				t.Fatalf("err = %v", err)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Fatalf("err = %v, want one containing %q", err, tt.err)
			}
		})
	}
}
