package bench

import (
	"math/bits"
	"sync/atomic"
	"time"
)

// Histogram counts durations in log-linear buckets, as HdrHistogram does: exact below
// 128 ns, then 64 buckets per power of two, so a reported quantile is within 1.6 % of the
// true value. Record is safe for concurrent use and does not allocate.
type Histogram struct {
	counts [histBuckets]atomic.Uint64
	total  atomic.Uint64
	sum    atomic.Uint64 // nanoseconds
	max    atomic.Uint64 // nanoseconds
}

const (
	histSubBits = 7                      // 128 exact values, then 64 per octave
	histHalf    = 1 << (histSubBits - 1) // buckets per octave
	histBuckets = (64-histSubBits+1)*histHalf + histHalf
)

// bucketOf returns the bucket of v nanoseconds: v itself below 128, else the octave's
// offset plus v's top seven bits.
func bucketOf(v uint64) int {
	e := bits.Len64(v) - histSubBits
	if e <= 0 {
		return int(v)
	}
	return e*histHalf + int(v>>e)
}

// bucketHigh returns the largest value that falls in bucket i.
func bucketHigh(i int) uint64 {
	if i < 2*histHalf {
		return uint64(i)
	}
	e := i/histHalf - 1
	m := uint64(i%histHalf + histHalf)
	return (m+1)<<e - 1
}

// Record adds one duration; negative durations count as zero.
func (h *Histogram) Record(d time.Duration) {
	v := uint64(max(d, 0))
	h.counts[bucketOf(v)].Add(1)
	h.total.Add(1)
	h.sum.Add(v)
	for {
		m := h.max.Load()
		if v <= m || h.max.CompareAndSwap(m, v) {
			return
		}
	}
}

// Merge adds the counts of o to h. It is not atomic with respect to Records on o.
func (h *Histogram) Merge(o *Histogram) {
	for i := range o.counts {
		if c := o.counts[i].Load(); c > 0 {
			h.counts[i].Add(c)
		}
	}
	h.total.Add(o.total.Load())
	h.sum.Add(o.sum.Load())
	for {
		m, v := h.max.Load(), o.max.Load()
		if v <= m || h.max.CompareAndSwap(m, v) {
			return
		}
	}
}

// Count returns the number of recorded values.
func (h *Histogram) Count() uint64 { return h.total.Load() }

// Max returns the largest recorded value, exactly.
func (h *Histogram) Max() time.Duration { return time.Duration(h.max.Load()) }

// Mean returns the mean of the recorded values, zero when there are none.
func (h *Histogram) Mean() time.Duration {
	n := h.total.Load()
	if n == 0 {
		return 0
	}
	return time.Duration(h.sum.Load() / n)
}

// Quantile returns the value at or below which a fraction q of the recorded values lie:
// the high end of that value's bucket, never above Max. Zero when nothing was recorded.
func (h *Histogram) Quantile(q float64) time.Duration {
	n := h.total.Load()
	if n == 0 {
		return 0
	}
	rank := uint64(q*float64(n) + 0.5)
	rank = min(max(rank, 1), n)
	var seen uint64
	for i := range h.counts {
		seen += h.counts[i].Load()
		if seen >= rank {
			return time.Duration(min(bucketHigh(i), h.max.Load()))
		}
	}
	return h.Max()
}

// Summary is a histogram's figures in microseconds, for the JSON line.
type Summary struct {
	Count uint64  `json:"count"`
	Mean  float64 `json:"mean"`
	P50   float64 `json:"p50"`
	P90   float64 `json:"p90"`
	P99   float64 `json:"p99"`
	Max   float64 `json:"max"`
}

// Summary returns h's figures in microseconds.
func (h *Histogram) Summary() Summary {
	us := func(d time.Duration) float64 { return round(float64(d)/1e3, 1) }
	return Summary{
		Count: h.Count(), Mean: us(h.Mean()),
		P50: us(h.Quantile(0.50)), P90: us(h.Quantile(0.90)),
		P99: us(h.Quantile(0.99)), Max: us(h.Max()),
	}
}

// shardedHistogram spreads concurrent Records over several histograms so that thousands
// of receivers do not all hit one cache line.
type shardedHistogram [16]Histogram

func (s *shardedHistogram) Record(shard int, d time.Duration) {
	s[shard%len(s)].Record(d)
}

// merged returns one histogram holding every shard's counts.
func (s *shardedHistogram) merged() *Histogram {
	h := new(Histogram)
	for i := range s {
		h.Merge(&s[i])
	}
	return h
}
