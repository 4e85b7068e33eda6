package bench

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Scenarios pluvbench runs.
const (
	ScenarioEvent    = "fanout-event"
	ScenarioPresence = "fanout-presence"
	ScenarioStorage  = "storage"
	ScenarioConnect  = "connect"
	ScenarioIdle     = "idle"
)

// Targets pluvbench drives.
const (
	TargetPluv  = "pluv"  // Caddy with the pluv handler: the real protocol
	TargetFloor = "floor" // pluvfloor: bare frames relayed to the rest of the group
)

// Limits of one run, so that a typo cannot start an unbounded one.
const (
	maxConnections = 50000
	maxDuration    = time.Hour
	maxWarmup      = 10 * time.Minute
	maxRate        = 100000
	maxPayload     = 1 << 20
	minPayload     = 64   // room for the timestamp, sender and sequence number
	maxPresence    = 512  // the server's default max_presence_size
	maxDocSize     = 20e6 // under the server's default max_storage_size once in base64
	maxConnectRoom = 10   // the rooms of at most 10 clients
)

// Config is one run of pluvbench.
type Config struct {
	Scenario    string
	Target      string
	URL         string // ws://127.0.0.1:PORT/path?room= is added
	TokenURL    string // {room} and {user} are replaced, query-escaped
	Secret      string // mint tokens locally instead
	Rooms       int
	Clients     int // per room
	Senders     int // per room; 0 in fanout-presence means every client
	Rate        float64
	Payload     int
	Duration    time.Duration
	Warmup      time.Duration
	PID         int
	DocSize     int
	Concurrency int
	EventName   string // the defined broadcast event of fanout-event
	EventOutput string // its output frame type
}

// Flags registers the flags of c on fs, with their defaults.
func (c *Config) Flags(fs *flag.FlagSet) {
	fs.StringVar(&c.Scenario, "scenario", ScenarioEvent,
		"fanout-event, fanout-presence, storage, connect or idle")
	fs.StringVar(&c.Target, "target", TargetPluv,
		"pluv (Caddy with the pluv handler) or floor (pluvfloor; fanout-event, idle, connect)")
	fs.StringVar(&c.URL, "url", "ws://127.0.0.1:8080/api/pluv/room",
		"socket URL without the room; only 127.0.0.1, ::1 or localhost")
	fs.StringVar(&c.TokenURL, "token-url", "",
		"fetch each token with GET from this pluv_token URL; {room} and {user} are replaced "+
			"(e.g. http://127.0.0.1:8080/api/pluv/bench-token?room={room}&user={user})")
	fs.StringVar(&c.Secret, "secret", "",
		"mint each token locally with pluv.CreateToken (HS256) and this secret "+
			"instead of fetching it; default $PLUV_SECRET when -token-url is empty")
	fs.IntVar(&c.Rooms, "rooms", 1, "rooms")
	fs.IntVar(&c.Clients, "clients", 10, "clients per room (connect: joins per room, at most 10)")
	fs.IntVar(&c.Senders, "senders", 1,
		"senders per room (fanout-presence: 0 means every client; storage: editors)")
	fs.Float64Var(&c.Rate, "rate", 10, "messages per second per sender")
	fs.IntVar(&c.Payload, "payload", 128,
		"bytes of each message's data object (fanout-presence: at most 512)")
	fs.DurationVar(&c.Duration, "duration", 10*time.Second, "measured time")
	fs.DurationVar(&c.Warmup, "warmup", 2*time.Second, "load before the measured time")
	fs.IntVar(&c.PID, "pid", 0, "server pid, for its CPU time and RSS from /proc (0: none; idle needs it)")
	fs.Func("doc-size", "storage: pre-filled document, e.g. 0, 100KB, 1MB, 10MB (default 0)",
		func(s string) error {
			n, err := parseSize(s)
			c.DocSize = n
			return err
		})
	fs.IntVar(&c.Concurrency, "concurrency", 50,
		"joins in flight at once (connect), and dials in flight while setting up")
	fs.StringVar(&c.EventName, "event", "bench", "fanout-event: the event clients send")
	fs.StringVar(&c.EventOutput, "event-output", "benched",
		"fanout-event: the broadcast output type of -event (pluv target)")
}

// parseSize reads a byte count with an optional KB or MB suffix (powers of 1000).
func parseSize(s string) (int, error) {
	mult := 1.0
	t := strings.ToUpper(strings.TrimSpace(s))
	switch {
	case strings.HasSuffix(t, "MB"):
		mult, t = 1e6, strings.TrimSuffix(t, "MB")
	case strings.HasSuffix(t, "KB"):
		mult, t = 1e3, strings.TrimSuffix(t, "KB")
	case strings.HasSuffix(t, "B"):
		t = strings.TrimSuffix(t, "B")
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || f < 0 || math.IsInf(f, 0) {
		return 0, fmt.Errorf("not a size: %q", s)
	}
	return int(f * mult), nil
}

// Validate checks c and says what is wrong with it, naming the flag.
func (c *Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	switch c.Scenario {
	case ScenarioEvent, ScenarioPresence, ScenarioStorage, ScenarioConnect, ScenarioIdle:
	default:
		bad("-scenario %q: want fanout-event, fanout-presence, storage, connect or idle",
			c.Scenario)
	}
	switch c.Target {
	case TargetPluv:
	case TargetFloor:
		if c.Scenario == ScenarioPresence || c.Scenario == ScenarioStorage {
			bad("-target floor: the floor has no presence or storage; "+
				"use it with fanout-event, idle or connect, not %s", c.Scenario)
		}
	default:
		bad("-target %q: want pluv or floor", c.Target)
	}
	if err := checkURL("-url", c.URL, "ws"); err != nil {
		errs = append(errs, err)
	}
	if c.TokenURL != "" {
		if err := checkURL("-token-url", c.TokenURL, "http"); err != nil {
			errs = append(errs, err)
		}
		if c.Secret != "" {
			bad("-token-url and -secret: give one way to get tokens, not both")
		}
	}

	if c.Rooms < 1 || c.Clients < 1 {
		bad("-rooms %d, -clients %d: both must be at least 1", c.Rooms, c.Clients)
	} else if n := c.Rooms * c.Clients; n > maxConnections || n/c.Rooms != c.Clients {
		bad("-rooms × -clients = %d connections: at most %d", n, maxConnections)
	}
	c.validateLoad(bad)

	if c.Duration <= 0 || c.Duration > maxDuration {
		bad("-duration %v: want more than 0 and at most %v", c.Duration, maxDuration)
	}
	if c.Warmup < 0 || c.Warmup > maxWarmup {
		bad("-warmup %v: want 0 to %v", c.Warmup, maxWarmup)
	}
	if c.PID < 0 {
		bad("-pid %d: want a process id, or 0 for none", c.PID)
	}
	if c.DocSize < 0 || c.DocSize > maxDocSize {
		bad("-doc-size %d: want 0 to %d bytes", c.DocSize, int(maxDocSize))
	} else if c.DocSize > 0 && c.Scenario != ScenarioStorage {
		bad("-doc-size: only the storage scenario has a document")
	}
	if c.Concurrency < 1 || c.Concurrency > 10000 {
		bad("-concurrency %d: want 1 to 10000", c.Concurrency)
	}
	if c.Scenario == ScenarioEvent && (c.EventName == "" || c.EventOutput == "" ||
		strings.HasPrefix(c.EventName, "$")) {
		bad("-event %q, -event-output %q: want names of a defined event, not built-ins",
			c.EventName, c.EventOutput)
	}
	return errors.Join(errs...)
}

// validateLoad checks the flags that shape the traffic of the scenario.
func (c *Config) validateLoad(bad func(string, ...any)) {
	switch c.Scenario {
	case ScenarioEvent, ScenarioStorage:
		if c.Clients < 2 {
			bad("-clients %d: %s needs at least 2 clients per room", c.Clients, c.Scenario)
		}
		if c.Senders < 1 || c.Senders > c.Clients {
			bad("-senders %d: want 1 to -clients (%d)", c.Senders, c.Clients)
		}
	case ScenarioPresence:
		if c.Senders < 0 || c.Senders > c.Clients {
			bad("-senders %d: want 0 (every client) to -clients (%d)", c.Senders, c.Clients)
		}
	case ScenarioConnect:
		if c.Clients > maxConnectRoom {
			bad("-clients %d: connect joins rooms of at most %d clients", c.Clients,
				maxConnectRoom)
		}
	}
	sends := c.Scenario == ScenarioEvent || c.Scenario == ScenarioPresence ||
		c.Scenario == ScenarioStorage
	if sends && (c.Rate <= 0 || c.Rate > maxRate || math.IsNaN(c.Rate)) {
		bad("-rate %v: want more than 0 and at most %d messages per second", c.Rate, maxRate)
	}
	limit := maxPayload
	if c.Scenario == ScenarioPresence {
		limit = maxPresence
	}
	if sends && c.Scenario != ScenarioStorage && (c.Payload < minPayload || c.Payload > limit) {
		bad("-payload %d: want %d to %d bytes for %s", c.Payload, minPayload, limit,
			c.Scenario)
	}
}

// checkURL refuses anything but a loopback host with the given scheme (or its TLS form).
func checkURL(flagName, raw, scheme string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%s: %w", flagName, err)
	}
	if u.Scheme != scheme && u.Scheme != scheme+"s" {
		return fmt.Errorf("%s %q: want a %s:// URL", flagName, raw, scheme)
	}
	if !loopbackHost(u.Hostname()) {
		return fmt.Errorf("%s %q: only 127.0.0.1, ::1 or localhost may be a target",
			flagName, raw)
	}
	return nil
}

// loopbackHost reports whether host is localhost, 127.0.0.1 or ::1.
func loopbackHost(host string) bool {
	return strings.EqualFold(host, "localhost") || loopbackIP(net.ParseIP(host))
}

// loopbackIP reports whether ip is 127.0.0.1 or ::1, the only addresses pluvbench dials.
func loopbackIP(ip net.IP) bool {
	return ip != nil && (ip.Equal(net.IPv4(127, 0, 0, 1)) || ip.Equal(net.IPv6loopback))
}
