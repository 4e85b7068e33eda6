package bench

import (
	"flag"
	"strings"
	"testing"
	"time"
)

// parseFlags returns the Config of pluvbench's flags given args.
func parseFlags(t *testing.T, args ...string) (Config, error) {
	t.Helper()
	var c Config
	fs := flag.NewFlagSet("pluvbench", flag.ContinueOnError)
	fs.SetOutput(new(strings.Builder))
	c.Flags(fs)
	return c, fs.Parse(args)
}

// TestValidate: the defaults are valid; each bad flag is refused with an error naming
// it; loopback is the only reachable host.
func TestValidate(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want string // substring of the error; "" means valid
	}{
		{"defaults", nil, ""},
		{"presence every client", []string{"-scenario", "fanout-presence", "-senders", "0"}, ""},
		{"storage 10MB", []string{"-scenario", "storage", "-doc-size", "10MB"}, ""},
		{"connect 10 per room", []string{"-scenario", "connect", "-rooms", "200"}, ""},
		{"idle floor", []string{"-scenario", "idle", "-target", "floor"}, ""},
		{"ipv6 loopback", []string{"-url", "ws://[::1]:8080/x"}, ""},
		{"localhost", []string{"-url", "ws://localhost:8080/x"}, ""},
		{"token url", []string{"-token-url", "http://127.0.0.1:1/t?room={room}"}, ""},

		{"unknown scenario", []string{"-scenario", "flood"}, "-scenario"},
		{"unknown target", []string{"-target", "redis"}, "-target"},
		{"floor storage", []string{"-target", "floor", "-scenario", "storage"}, "-target floor"},
		{"floor presence", []string{"-target", "floor", "-scenario", "fanout-presence"},
			"-target floor"},
		{"remote host", []string{"-url", "ws://10.0.0.1:8080/x"}, "only 127.0.0.1"},
		{"other loopback", []string{"-url", "ws://127.0.0.2:8080/x"}, "only 127.0.0.1"},
		{"public name", []string{"-url", "ws://example.com/x"}, "only 127.0.0.1"},
		{"http url", []string{"-url", "http://127.0.0.1:8080/x"}, "ws://"},
		{"remote token url", []string{"-token-url", "http://169.254.169.254/t"},
			"only 127.0.0.1"},
		{"both token ways", []string{"-token-url", "http://127.0.0.1:1/t", "-secret", "s"},
			"not both"},
		{"zero rooms", []string{"-rooms", "0"}, "-rooms"},
		{"too many", []string{"-rooms", "1000", "-clients", "1000"}, "connections"},
		{"overflow", []string{"-rooms", "4294967296", "-clients", "4294967296"},
			"connections"},
		{"one client", []string{"-clients", "1"}, "at least 2"},
		{"more senders", []string{"-clients", "5", "-senders", "6"}, "-senders"},
		{"no senders", []string{"-senders", "0"}, "-senders"},
		{"zero rate", []string{"-rate", "0"}, "-rate"},
		{"NaN rate", []string{"-rate", "NaN"}, "-rate"},
		{"huge rate", []string{"-rate", "1e9"}, "-rate"},
		{"small payload", []string{"-payload", "10"}, "-payload"},
		{"big presence", []string{"-scenario", "fanout-presence", "-payload", "600"},
			"-payload"},
		{"zero duration", []string{"-duration", "0s"}, "-duration"},
		{"long duration", []string{"-duration", "2h"}, "-duration"},
		{"negative warmup", []string{"-warmup", "-1s"}, "-warmup"},
		{"negative pid", []string{"-pid", "-3"}, "-pid"},
		{"doc outside storage", []string{"-doc-size", "1MB"}, "only the storage"},
		{"huge doc", []string{"-scenario", "storage", "-doc-size", "30MB"}, "-doc-size"},
		{"zero concurrency", []string{"-concurrency", "0"}, "-concurrency"},
		{"big connect room", []string{"-scenario", "connect", "-clients", "11"},
			"at most 10"},
		{"built-in event", []string{"-event", "$ping"}, "-event"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parseFlags(t, tc.args...)
			if err == nil {
				err = c.Validate()
			}
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("args %q: %v", tc.args, err)
			case tc.want != "" && err == nil:
				t.Errorf("args %q: accepted, want an error with %q", tc.args, tc.want)
			case tc.want != "" && !strings.Contains(err.Error(), tc.want):
				t.Errorf("args %q: error %q does not say %q", tc.args, err, tc.want)
			}
		})
	}
}

// TestParseSize reads the -doc-size forms.
func TestParseSize(t *testing.T) {
	cases := []struct {
		in   string
		want int
		ok   bool
	}{
		{"0", 0, true}, {"100KB", 100000, true}, {"1MB", 1000000, true},
		{"10mb", 10000000, true}, {"1.5MB", 1500000, true}, {"512B", 512, true},
		{"", 0, false}, {"-1MB", 0, false}, {"tenMB", 0, false}, {"Inf", 0, false},
	}
	for _, tc := range cases {
		got, err := parseSize(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseSize(%q) = %d, %v; want %d, ok %v", tc.in, got, err, tc.want,
				tc.ok)
		}
	}
}

// TestDefaultsBounded: the default run is short and small.
func TestDefaultsBounded(t *testing.T) {
	c, err := parseFlags(t)
	if err != nil {
		t.Fatal(err)
	}
	if c.Duration+c.Warmup > time.Minute || c.Rooms*c.Clients > 1000 {
		t.Errorf("default run: %v + %v, %d connections", c.Duration, c.Warmup,
			c.Rooms*c.Clients)
	}
}
