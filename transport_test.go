package pluv

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"
	"time"
)

func TestOriginAllowed(t *testing.T) {
	patterns := []string{"https://app.example.com", "https://*.example.org",
		"http://localhost:8080"}
	cases := []struct {
		name   string
		origin string
		want   bool
	}{
		{"no origin header", "", true},
		{"exact", "https://app.example.com", true},
		{"exact with default port", "https://app.example.com:443", true},
		{"exact other case", "HTTPS://App.Example.COM", true},
		{"other scheme", "http://app.example.com", false},
		{"other port", "https://app.example.com:8443", false},
		{"other host", "https://evil.example.com", false},
		{"suffix trick", "https://app.example.com.evil.net", false},
		{"wildcard one label", "https://a.example.org", true},
		{"wildcard two labels", "https://a.b.example.org", true},
		{"wildcard needs a label", "https://example.org", false},
		{"wildcard glued", "https://badexample.org", false},
		{"explicit port", "http://localhost:8080", true},
		{"explicit port missing", "http://localhost", false},
		{"null origin", "null", false},
		{"garbage", "%%%", false},
		{"with path", "https://app.example.com/x", false},
	}
	var ps []originPattern
	for _, p := range patterns {
		op, err := parseOriginPattern(p)
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, op)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := originAllowed(tc.origin, ps); got != tc.want {
				t.Fatalf("originAllowed(%q) = %v, want %v", tc.origin, got, tc.want)
			}
		})
	}
	any, _ := parseOriginPattern("*")
	if !originAllowed("null", []originPattern{any}) {
		t.Fatal("* must allow every origin")
	}
	if !originAllowed("https://x.y", nil) {
		t.Fatal("no patterns must allow every origin")
	}
}

func TestParseOriginPatternRefuses(t *testing.T) {
	for _, p := range []string{"", "example.com", "https://", "https://a.*.com",
		"https://*", "https://ex*.com", "https://a.com/path", "https://a.com?q", "*.a.com"} {
		if _, err := parseOriginPattern(p); err == nil {
			t.Errorf("pattern %q accepted", p)
		}
	}
}

func TestRateLimiter(t *testing.T) {
	l := newRateLimiter(10, 5)
	now := time.Unix(1000, 0)
	var passed, notified int
	// 200 frames within one second: the burst, then one every 100 ms; one notice.
	for i := 0; i < 200; i++ {
		ok, notify, flood := l.admit(now.Add(time.Duration(i)*5*time.Millisecond), 1)
		if flood {
			t.Fatalf("flood after %d frames in the first second", i)
		}
		if ok {
			passed++
		}
		if notify {
			notified++
		}
	}
	if passed < 5 || passed > 5+10 {
		t.Fatalf("%d frames passed in one second at 10/s burst 5", passed)
	}
	if notified != 1 {
		t.Fatalf("%d notices in one second, want 1", notified)
	}
	if newRateLimiter(0, 5) != nil {
		t.Fatal("rate 0 must mean no limiter")
	}
	if ok, _, _ := (*rateLimiter)(nil).admit(now, 1); !ok {
		t.Fatal("no limiter must admit")
	}
}

func TestRateLimiterFlood(t *testing.T) {
	cases := []struct {
		name      string
		perSecond int // frames sent per second
		seconds   int
		gap       bool // a quiet second in the middle
		flood     bool
	}{
		{"ten times for three seconds", 101, 4, false, true},
		{"just under ten times", 100, 6, false, false},
		{"three seconds broken by a pause", 150, 4, true, false},
		{"two seconds", 150, 2, false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := newRateLimiter(10, 10)
			start := time.Unix(1000, 0)
			flooded := false
			for sec := 0; sec < tc.seconds && !flooded; sec++ {
				if tc.gap && sec == tc.seconds/2 {
					start = start.Add(2 * time.Second)
				}
				for i := 0; i < tc.perSecond; i++ {
					at := start.Add(time.Duration(sec)*time.Second +
						time.Duration(i)*time.Second/time.Duration(tc.perSecond))
					if _, _, f := l.admit(at, 1); f {
						flooded = true
						break
					}
				}
			}
			if flooded != tc.flood {
				t.Fatalf("flood = %v, want %v", flooded, tc.flood)
			}
		})
	}
}

func TestReadFrameBudget(t *testing.T) {
	b := newByteBudget(64 << 10)
	ctx := context.Background()

	// A frame read whole holds the doubled buffer's bytes until released.
	frame := make([]byte, 10000)
	got, held, err := readFrame(ctx, &slowReader{data: frame}, b, 1<<20, time.Second)
	if err != nil || len(got) != len(frame) {
		t.Fatalf("readFrame = %d bytes, %v", len(got), err)
	}
	if held != 16<<10 || b.used.Load() != held {
		t.Fatalf("held %d, used %d, want 16 KiB both", held, b.used.Load())
	}
	b.release(held)

	// A reader holding most of the budget makes another wait, then time out.
	pr, pw := io.Pipe()
	first := make(chan error, 1)
	go func() {
		_, h, err := readFrame(ctx, pr, b, 1<<20, time.Minute)
		b.release(h)
		first <- err
	}()
	if _, err := pw.Write(make([]byte, 40<<10)); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the first reader to hold 64 KiB", func() bool {
		return b.used.Load() == 64<<10
	})
	_, _, err = readFrame(ctx, &slowReader{data: frame}, b, 1<<20, 50*time.Millisecond)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second reader: %v, want a deadline error", err)
	}
	pw.Close()
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if b.used.Load() != 0 {
		t.Fatalf("%d bytes still taken", b.used.Load())
	}

	// A frame of exactly the limit is read; a failing reader releases what it took.
	got, held, err = readFrame(ctx, &slowReader{data: make([]byte, 5000)}, b, 5000, time.Second)
	if err != nil || len(got) != 5000 {
		t.Fatalf("frame of the limit: %d bytes, %v", len(got), err)
	}
	b.release(held)
	_, _, err = readFrame(ctx, &slowReader{data: frame, err: io.ErrUnexpectedEOF}, b, 1<<20,
		time.Second)
	if !errors.Is(err, io.ErrUnexpectedEOF) || b.used.Load() != 0 {
		t.Fatalf("failing reader: %v, %d bytes still taken", err, b.used.Load())
	}
}

// slowReader returns data a little at a time, then err (io.EOF when nil).
type slowReader struct {
	data []byte
	err  error
}

func (r *slowReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), 3000)], r.data)
	r.data = r.data[n:]
	return n, nil
}

func TestCompileTransport(t *testing.T) {
	s, err := Config{}.compile()
	if err != nil {
		t.Fatal(err)
	}
	want := int64(DefaultMaxStorageSize + DefaultMaxPresenceSize + envelopeSlack)
	if s.readLimit() != want {
		t.Fatalf("read limit %d, want %d", s.readLimit(), want)
	}
	if s.sendQueueBytes < 2*int64(DefaultMaxStorageSize) || s.ratePerSecond != 100 ||
		s.rateBurst != 200 || s.maxBytesInFlight != 1<<30 || s.maxSessionsPerRoom != 0 {
		t.Fatalf("defaults: %+v", s)
	}
	bad := []Config{
		{MaxBytesInFlight: 1 << 20},
		{MaxSessionsPerRoom: -1},
		{AllowedOrigins: []string{"example.com"}},
		{RateLimit: &RateLimitConfig{PerSecond: 1, Burst: -1}},
	}
	for i, c := range bad {
		if _, err := c.compile(); err == nil {
			t.Errorf("config %d compiled", i)
		}
	}
	off, err := Config{RateLimit: &RateLimitConfig{PerSecond: -1}}.compile()
	if err != nil || off.ratePerSecond != 0 {
		t.Fatalf("rate_limit off: %v %v", off.ratePerSecond, err)
	}
}

// FuzzOriginAllowed: no pattern or origin panics, and an exact pattern that parses admits
// the origin it names.
func FuzzOriginAllowed(f *testing.F) {
	for _, s := range []string{"https://app.example.com", "https://*.example.org",
		"http://localhost:8080", "*", "null", "https://[::1]:443", "%%"} {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, pattern, origin string) {
		op, err := parseOriginPattern(pattern)
		if err != nil {
			return
		}
		_ = originAllowed(origin, []originPattern{op})
		if !op.wild && !op.any && !originAllowed(pattern, []originPattern{op}) {
			t.Fatalf("pattern %q does not admit itself", pattern)
		}
	})
}

// TestReadFramePooled: frames start in a pooled first chunk; a small frame keeps it, a
// large one grows out of it with its bytes intact.
func TestReadFramePooled(t *testing.T) {
	b := newByteBudget(1 << 20)
	ctx := context.Background()
	for _, size := range []int{5, firstChunk, firstChunk + 1, 3*firstChunk + 7} {
		frame := make([]byte, size)
		for i := range frame {
			frame[i] = byte(i*7 + size)
		}
		got, held, err := readFrame(ctx, &slowReader{data: frame}, b, 1<<20, time.Second)
		if err != nil || !bytes.Equal(got, frame) {
			t.Fatalf("size %d: readFrame = %d bytes (equal %v), %v", size, len(got),
				bytes.Equal(got, frame), err)
		}
		if small := size < firstChunk; small != (cap(got) == firstChunk) {
			t.Errorf("size %d: buffer of %d bytes", size, cap(got))
		}
		b.release(held)
		releaseFrame(got)
	}
}

// TestRateLimiterCost: a message takes its cost in tokens, capped at the burst.
func TestRateLimiterCost(t *testing.T) {
	l := newRateLimiter(0.001, 5)
	now := time.Now()
	steps := []struct {
		cost int
		ok   bool
	}{{3, true}, {3, false}, {2, true}, {1, false}}
	for i, st := range steps {
		if ok, _, _ := l.admit(now, st.cost); ok != st.ok {
			t.Fatalf("step %d (cost %d): ok %v", i, st.cost, ok)
		}
	}
	fresh := newRateLimiter(0.001, 5)
	if ok, _, _ := fresh.admit(now, 50); !ok {
		t.Fatal("a cost past the burst is never admitted")
	}
}
