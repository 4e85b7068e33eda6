package pluv

import "testing"

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
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %d, want %d", tt.name, tt.got, tt.want)
		}
	}
}
