package bench

import (
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"
)

// TestBucketBounds: every value lands in a bucket whose high end is at least the value
// and within 1/64 of it, and buckets are contiguous and ordered.
func TestBucketBounds(t *testing.T) {
	vals := []uint64{0, 1, 127, 128, 129, 255, 256, 1000, 1 << 20, 1<<20 + 1, 123456789,
		1 << 40, 1<<63 - 1, 1<<64 - 1}
	for _, v := range vals {
		i := bucketOf(v)
		if i < 0 || i >= histBuckets {
			t.Fatalf("bucketOf(%d) = %d, out of range", v, i)
		}
		hi := bucketHigh(i)
		if hi < v {
			t.Errorf("bucketHigh(bucketOf(%d)) = %d, below the value", v, hi)
		}
		if v >= 128 && float64(hi-v) > float64(v)/64 {
			t.Errorf("bucketHigh(bucketOf(%d)) = %d, more than 1/64 above", v, hi)
		}
		if i > 0 && bucketHigh(i-1) >= v {
			t.Errorf("value %d also fits bucket %d (high %d)", v, i-1, bucketHigh(i-1))
		}
	}
	for i := 1; i < histBuckets; i++ {
		if bucketOf(bucketHigh(i-1)+1) != i {
			t.Fatalf("bucket %d does not start after bucket %d ends (%d)", i, i-1,
				bucketHigh(i-1))
		}
	}
}

// TestQuantiles compares the histogram's quantiles with exact ones on known data.
func TestQuantiles(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	cases := []struct {
		name string
		gen  func() time.Duration
	}{
		{"uniform 0-10ms", func() time.Duration { return time.Duration(rng.Int64N(10e6)) }},
		{"exponential 1ms", func() time.Duration {
			return time.Duration(rng.ExpFloat64() * 1e6)
		}},
		{"tiny", func() time.Duration { return time.Duration(rng.Int64N(100)) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var h Histogram
			vals := make([]time.Duration, 20000)
			for i := range vals {
				vals[i] = tc.gen()
				h.Record(vals[i])
			}
			slices.Sort(vals)
			for _, q := range []float64{0.5, 0.9, 0.99, 1} {
				exact := vals[max(0, int(q*float64(len(vals))+0.5)-1)]
				got := h.Quantile(q)
				if got < exact || float64(got-exact) > float64(exact)/64+1 {
					t.Errorf("q%.2f = %v, exact %v", q, got, exact)
				}
			}
			if h.Max() != vals[len(vals)-1] || h.Count() != uint64(len(vals)) {
				t.Errorf("max %v count %d, want %v and %d", h.Max(), h.Count(),
					vals[len(vals)-1], len(vals))
			}
		})
	}
}

// TestHistogramEdges: an empty histogram reports zeros, a negative duration counts as
// zero, Merge adds counts and keeps the larger max, and concurrent Records all count.
func TestHistogramEdges(t *testing.T) {
	var empty Histogram
	if s := empty.Summary(); s != (Summary{}) {
		t.Errorf("empty summary %+v", s)
	}

	var h Histogram
	h.Record(-time.Second)
	if h.Quantile(0.5) != 0 || h.Max() != 0 || h.Count() != 1 {
		t.Errorf("negative: q50 %v max %v count %d", h.Quantile(0.5), h.Max(), h.Count())
	}

	var a, b Histogram
	a.Record(time.Millisecond)
	b.Record(3 * time.Millisecond)
	b.Record(3 * time.Millisecond)
	a.Merge(&b)
	if a.Count() != 3 || a.Max() != 3*time.Millisecond || a.Mean() != 7*time.Millisecond/3 {
		t.Errorf("merged: count %d max %v mean %v", a.Count(), a.Max(), a.Mean())
	}
	if q := a.Quantile(0.3); q > time.Millisecond+time.Millisecond/64 {
		t.Errorf("merged q30 = %v, want about 1ms", q)
	}

	var s shardedHistogram
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 1000 {
				s.Record(g, time.Duration(i)*time.Microsecond)
			}
		})
	}
	wg.Wait()
	m := s.merged()
	if m.Count() != 8000 || m.Max() != 999*time.Microsecond {
		t.Errorf("sharded: count %d max %v", m.Count(), m.Max())
	}
}
