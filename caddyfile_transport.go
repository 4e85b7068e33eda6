package pluv

import (
	"strconv"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

// unmarshalTransport parses the transport subdirectives of pluv (see transport.go).
func (h *Handler) unmarshalTransport(d *caddyfile.Dispenser, sub string) error {
	switch sub {
	case "send_queue_bytes":
		return intArg(d, &h.SendQueueBytes)
	case "max_bytes_in_flight":
		var n int
		if err := intArg(d, &n); err != nil {
			return err
		}
		h.MaxBytesInFlight = int64(n)
	case "max_sessions_per_room":
		return intArg(d, &h.MaxSessionsPerRoom)
	case "allowed_origins":
		h.AllowedOrigins = d.RemainingArgs()
		if len(h.AllowedOrigins) == 0 {
			return d.ArgErr()
		}
		for _, p := range h.AllowedOrigins {
			if _, err := parseOriginPattern(p); err != nil {
				return d.Errf("allowed_origins: %v", err)
			}
		}
	case "rate_limit":
		return unmarshalRateLimit(d, h)
	}
	return nil
}

// unmarshalRateLimit parses `rate_limit <per second> <burst>` or `rate_limit off`.
func unmarshalRateLimit(d *caddyfile.Dispenser, h *Handler) error {
	args := d.RemainingArgs()
	switch {
	case len(args) == 1 && args[0] == "off":
		h.RateLimit = &RateLimitConfig{PerSecond: -1}
		return nil
	case len(args) != 2:
		return d.ArgErr()
	}
	rate, err := strconv.ParseFloat(args[0], 64)
	if err != nil || rate <= 0 {
		return d.Errf("rate_limit: not a positive rate: %q", args[0])
	}
	burst, err := strconv.Atoi(args[1])
	if err != nil || burst <= 0 {
		return d.Errf("rate_limit: not a positive burst: %q", args[1])
	}
	h.RateLimit = &RateLimitConfig{PerSecond: rate, Burst: burst}
	return nil
}
