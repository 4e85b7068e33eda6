package pluv

import "testing"

func TestUnmarshalTransportCaddyfile(t *testing.T) {
	parseCases(t, []parseCase{
		{"all", "pluv {\n send_queue_bytes 1024\n max_bytes_in_flight 4096\n" +
			" max_sessions_per_room 3\n allowed_origins https://a.com https://*.b.org\n" +
			" rate_limit 2.5 10\n}", Config{SendQueueBytes: 1024, MaxBytesInFlight: 4096,
			MaxSessionsPerRoom: 3, AllowedOrigins: []string{"https://a.com", "https://*.b.org"},
			RateLimit: &RateLimitConfig{PerSecond: 2.5, Burst: 10}}},
		{"rate limit off", "pluv {\n rate_limit off\n}",
			Config{RateLimit: &RateLimitConfig{PerSecond: -1}}},
		{"any origin", "pluv {\n allowed_origins *\n}", Config{AllowedOrigins: []string{"*"}}},
	})
}

func TestUnmarshalTransportCaddyfileErrors(t *testing.T) {
	parseErrorCases(t, []parseErrorCase{
		{"queue bytes", "pluv {\n send_queue_bytes lots\n}", "non-negative integer"},
		{"in flight", "pluv {\n max_bytes_in_flight -1\n}", "non-negative integer"},
		{"sessions", "pluv {\n max_sessions_per_room 1 2\n}", "wrong argument count"},
		{"no origins", "pluv {\n allowed_origins\n}", "wrong argument count"},
		{"bad origin", "pluv {\n allowed_origins example.com\n}", "invalid origin pattern"},
		{"inner wildcard", "pluv {\n allowed_origins https://a.*.com\n}", "invalid origin"},
		{"rate one arg", "pluv {\n rate_limit 10\n}", "wrong argument count"},
		{"rate zero", "pluv {\n rate_limit 0 10\n}", "not a positive rate"},
		{"burst", "pluv {\n rate_limit 10 many\n}", "not a positive burst"},
		{"duplicate", "pluv {\n rate_limit off\n rate_limit off\n}", "duplicate subdirective"},
	})
}
