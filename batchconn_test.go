package pluv

import (
	"bytes"
	"errors"
	"net"
	"testing"
	"time"
)

// recordConn records the writes and write deadlines that reach a socket.
type recordConn struct {
	net.Conn
	writes    [][]byte
	deadlines []time.Time
	fail      error // returned by every write when set
}

func (rc *recordConn) Write(p []byte) (int, error) {
	if rc.fail != nil {
		return 0, rc.fail
	}
	rc.writes = append(rc.writes, bytes.Clone(p))
	return len(p), nil
}

func (rc *recordConn) SetWriteDeadline(t time.Time) error {
	rc.deadlines = append(rc.deadlines, t)
	return nil
}

func TestBatchConn(t *testing.T) {
	t0 := time.Unix(1000, 0)
	big := bytes.Repeat([]byte("x"), maxBatch)
	tests := []struct {
		name   string
		run    func(c *batchConn)
		writes []string // what reached the socket, write by write
	}{
		{"not held: each write goes out", func(c *batchConn) {
			_, _ = c.Write([]byte("a"))
			_, _ = c.Write([]byte("b"))
		}, []string{"a", "b"}},
		{"held: one write at the flush", func(c *batchConn) {
			c.hold()
			_, _ = c.Write([]byte("a"))
			_, _ = c.Write([]byte("b"))
			_, _ = c.Write([]byte("c"))
			_ = c.flush(t0)
		}, []string{"abc"}},
		{"held, nothing written: no write", func(c *batchConn) {
			c.hold()
			_ = c.flush(t0)
		}, nil},
		{"after the flush: straight out again", func(c *batchConn) {
			c.hold()
			_, _ = c.Write([]byte("a"))
			_ = c.flush(t0)
			_, _ = c.Write([]byte("b"))
		}, []string{"a", "b"}},
		{"a batch past maxBatch goes out before it overflows", func(c *batchConn) {
			c.hold()
			_, _ = c.Write([]byte("a"))
			_, _ = c.Write(big)
			_, _ = c.Write([]byte("b"))
			_ = c.flush(t0)
		}, []string{"a", string(big), "b"}},
		{"a write larger than maxBatch goes out on its own", func(c *batchConn) {
			c.hold()
			_, _ = c.Write([]byte("a"))
			_, _ = c.Write(append(big, 'y'))
			_ = c.flush(t0)
		}, []string{"a", string(big) + "y"}},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rc := &recordConn{}
			tc.run(&batchConn{Conn: rc})
			var got []string
			for _, w := range rc.writes {
				got = append(got, string(w))
			}
			if len(got) != len(tc.writes) {
				t.Fatalf("case %d: %d writes, want %d", i, len(got), len(tc.writes))
			}
			for j := range got {
				if got[j] != tc.writes[j] {
					t.Errorf("case %d: write %d is %d bytes, want %d", i, j, len(got[j]),
						len(tc.writes[j]))
				}
			}
		})
	}
}

// TestBatchConnDeadline checks that a held conn applies the flush's deadline to the
// socket, not the ones set while gathering.
func TestBatchConnDeadline(t *testing.T) {
	rc := &recordConn{}
	c := &batchConn{Conn: rc}
	t1, t2, t3 := time.Unix(1, 0), time.Unix(2, 0), time.Unix(3, 0)
	_ = c.SetWriteDeadline(t1)
	c.hold()
	_ = c.SetWriteDeadline(t2)
	_, _ = c.Write([]byte("a"))
	_ = c.flush(t3)
	want := []time.Time{t1, t3}
	if len(rc.deadlines) != len(want) {
		t.Fatalf("deadlines %v, want %v", rc.deadlines, want)
	}
	for i := range want {
		if !rc.deadlines[i].Equal(want[i]) {
			t.Errorf("deadline %d is %v, want %v", i, rc.deadlines[i], want[i])
		}
	}
}

// TestBatchConnError checks that a failed flush fails every later write.
func TestBatchConnError(t *testing.T) {
	boom := errors.New("boom")
	rc := &recordConn{fail: boom}
	c := &batchConn{Conn: rc}
	c.hold()
	if _, err := c.Write([]byte("a")); err != nil {
		t.Fatalf("gathering: %v", err)
	}
	if err := c.flush(time.Now()); !errors.Is(err, boom) {
		t.Fatalf("flush: %v, want %v", err, boom)
	}
	rc.fail = nil
	if _, err := c.Write([]byte("b")); !errors.Is(err, boom) {
		t.Errorf("write after a failed flush: %v, want %v", err, boom)
	}
	if len(rc.writes) != 0 {
		t.Errorf("%d writes reached the socket after the failure", len(rc.writes))
	}
}

// TestBatchConnLargeWriteDeadline: a write too large to gather, made while the conn is
// held and nothing is gathered yet, goes out under the deadline set last, not under the
// one the socket had before (found by the round-3 review: an old, passed deadline made
// such a write fail at once).
func TestBatchConnLargeWriteDeadline(t *testing.T) {
	rc := &recordConn{}
	c := &batchConn{Conn: rc}
	old, fresh := time.Unix(1, 0), time.Unix(2, 0)
	_ = c.SetWriteDeadline(old)
	c.hold()
	_ = c.SetWriteDeadline(fresh)
	if _, err := c.Write(make([]byte, maxBatch+1)); err != nil {
		t.Fatal(err)
	}
	if n := len(rc.deadlines); n != 2 || !rc.deadlines[1].Equal(fresh) {
		t.Fatalf("deadlines %v, want the fresh one applied before the large write", rc.deadlines)
	}
}
