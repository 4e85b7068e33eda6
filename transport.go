package pluv

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// envelopeSlack is what a frame may carry besides its storage payload and presence: the
// envelope of `$initializeSession`, with room to spare.
const envelopeSlack = 64 << 10

// compileTransport fills in the transport limits of s from c. s must already hold the
// storage and presence caps, which the read limit is derived from.
func (c Config) compileTransport(s *settings) error {
	s.sendQueueBytes = int64(c.SendQueueBytes)
	if s.sendQueueBytes == 0 {
		s.sendQueueBytes = 2*int64(s.maxStorageSize) + 1<<20
	} else if s.sendQueueBytes < 2*int64(s.maxStorageSize) {
		s.logger.Warn("send_queue_bytes is below twice max_storage_size: a joiner of a " +
			"room near the storage cap is closed as slow and reconnects in a loop")
	}
	s.maxBytesInFlight = c.MaxBytesInFlight
	if s.maxBytesInFlight == 0 {
		s.maxBytesInFlight = DefaultMaxBytesInFlight
	}
	s.maxSessionsPerRoom = c.MaxSessionsPerRoom
	if s.sendQueueBytes < 0 || s.maxBytesInFlight < 0 || s.maxSessionsPerRoom < 0 {
		return errors.New("negative transport limit")
	}
	if s.maxBytesInFlight < 2*s.readLimit() {
		return fmt.Errorf("max_bytes_in_flight %d is less than two frames of the read "+
			"limit (%d bytes, from max_storage_size)", s.maxBytesInFlight, s.readLimit())
	}
	s.budget = newByteBudget(s.maxBytesInFlight)
	for _, p := range c.AllowedOrigins {
		op, err := parseOriginPattern(p)
		if err != nil {
			return fmt.Errorf("allowed_origins: %w", err)
		}
		s.origins = append(s.origins, op)
	}
	s.ratePerSecond, s.rateBurst = DefaultRatePerSecond, DefaultRateBurst
	if rl := c.RateLimit; rl != nil {
		if rl.PerSecond != 0 {
			s.ratePerSecond = rl.PerSecond
		}
		if rl.Burst != 0 {
			s.rateBurst = rl.Burst
		}
		if rl.PerSecond < 0 {
			s.ratePerSecond = 0 // off
		}
		if rl.Burst < 0 {
			return errors.New("rate_limit: negative burst")
		}
	}
	return nil
}

// readLimit is the largest frame a session may send: `$initializeSession` with a full-size
// update (max_storage_size base64 characters), a full-size presence and the envelope.
// A larger frame closes the socket with 1009.
func (s *settings) readLimit() int64 {
	return int64(s.maxStorageSize) + int64(s.maxPresenceSize) + envelopeSlack
}

// originPattern is one entry of allowed_origins.
type originPattern struct {
	any    bool   // `*`: every origin
	scheme string // lower case
	host   string // lower case; with wild, the suffix after `*` (".example.com")
	wild   bool
	port   string // explicit or the scheme's default
}

// parseOriginPattern reads `*` or scheme://host[:port], where host may start with `*.`.
func parseOriginPattern(p string) (originPattern, error) {
	if p == "*" {
		return originPattern{any: true}, nil
	}
	var op originPattern
	rest := p
	if i := strings.Index(p, "://*."); i > 0 {
		// A stand-in label lets url.Parse check the rest; it is cut off below.
		op.wild, rest = true, p[:i+3]+"x"+p[i+4:]
	}
	scheme, host, port, err := splitOrigin(rest)
	if err != nil || strings.Contains(host, "*") {
		return op, fmt.Errorf("invalid origin pattern %q: want scheme://host[:port], "+
			"with `*.` only at the start of the host", p)
	}
	op.scheme, op.host, op.port = scheme, host, port
	if op.wild {
		op.host = strings.TrimPrefix(host, "x")
	}
	return op, nil
}

// splitOrigin parses an origin (scheme://host[:port], nothing else) into its lower-case
// parts, with the scheme's default port filled in.
func splitOrigin(origin string) (scheme, host, port string, err error) {
	u, err := url.Parse(origin)
	if err != nil {
		return "", "", "", err
	}
	if u.Scheme == "" || u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") ||
		u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return "", "", "", errors.New("not an origin")
	}
	scheme, host, port = strings.ToLower(u.Scheme), strings.ToLower(u.Hostname()), u.Port()
	if port == "" {
		switch scheme {
		case "http", "ws":
			port = "80"
		case "https", "wss":
			port = "443"
		}
	}
	return scheme, host, port, nil
}

// originAllowed reports whether a request's Origin header passes patterns. A request
// without Origin comes from a non-browser client, which could send any Origin it likes,
// so it is allowed; an empty pattern list allows everything.
func originAllowed(origin string, patterns []originPattern) bool {
	if origin == "" || len(patterns) == 0 {
		return true
	}
	scheme, host, port, err := splitOrigin(origin)
	for _, p := range patterns {
		if p.any {
			return true
		}
		if err != nil || p.scheme != scheme || p.port != port {
			continue
		}
		if p.wild && len(host) > len(p.host) && strings.HasSuffix(host, p.host) {
			return true
		}
		if !p.wild && p.host == host {
			return true
		}
	}
	return false
}
