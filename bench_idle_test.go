package pluv

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"testing"
)

// BenchmarkIdleSession measures what an idle session holds on the server: b.N sessions
// join rooms of 10 and initialise, then the heap and goroutine stacks in use are
// compared with before, after a GC. The clients are raw sockets that read nothing past
// their own `$storageReceived`, so they add only a socket each to the figure. ns/op is
// meaningless here; run it with -benchtime 1000x or so.
func BenchmarkIdleSession(b *testing.B) {
	srv, err := NewServer(benchConfig)
	if err != nil {
		b.Fatal(err)
	}
	hs, base := benchServer(b, srv)
	defer hs()
	addr := strings.TrimPrefix(base, "ws://")
	before := benchMem()
	conns := make([]net.Conn, b.N)
	for i := range conns {
		conns[i] = benchIdleClient(b, addr, fmt.Sprintf("idle%d", i/10))
	}
	after := benchMem()
	b.StopTimer()
	if *idleHeapProfile != "" {
		writeHeapProfile(b, *idleHeapProfile)
	}
	heap := float64(after.HeapInuse) - float64(before.HeapInuse)
	stack := float64(after.StackInuse) - float64(before.StackInuse)
	b.ReportMetric(heap/float64(b.N), "heap-B/session")
	b.ReportMetric(stack/float64(b.N), "stack-B/session")
	b.ReportMetric((heap+stack)/float64(b.N), "B/session")
	for _, c := range conns {
		_ = c.Close()
	}
}

// idleHeapProfile is where BenchmarkIdleSession writes a heap profile while its
// sessions are held (run with -memprofilerate 1 for every allocation).
var idleHeapProfile = flag.String("idleheapprofile", "", "heap profile of the held "+
	"sessions of BenchmarkIdleSession")

// writeHeapProfile writes the heap profile to path.
func writeHeapProfile(b *testing.B, path string) {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if err := pprof.WriteHeapProfile(f); err != nil {
		b.Fatal(err)
	}
}

// benchMem returns the memory statistics after two collections.
func benchMem() runtime.MemStats {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms
}

// benchIdleClient joins room over a raw socket, sends `$initializeSession` and reads
// until its `$storageReceived`.
func benchIdleClient(b *testing.B, addr, room string) net.Conn {
	b.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	_, err = fmt.Fprintf(c, "GET /?room=%s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"+
		"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"+
		"Sec-WebSocket-Version: 13\r\n\r\n", room, addr)
	if err != nil {
		b.Fatal(err)
	}
	br := bufio.NewReaderSize(c, 512)
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			b.Fatal(err)
		}
		if len(bytes.TrimSpace(line)) == 0 {
			break
		}
	}
	init := `{"type":"$initializeSession","data":{"presence":{"x":1},"update":null}}`
	// A masked text frame with a zero mask key: the payload goes as it is.
	frame := append([]byte{0x81, 0x80 | byte(len(init)), 0, 0, 0, 0}, init...)
	if _, err := c.Write(frame); err != nil {
		b.Fatal(err)
	}
	want := []byte(`{"type":"$storageReceived"`)
	for {
		payload, err := benchReadFrame(br)
		if err != nil {
			b.Fatal(err)
		}
		if bytes.HasPrefix(payload, want) {
			return c
		}
	}
}

// benchReadFrame reads the payload of one unmasked, unfragmented server frame.
func benchReadFrame(br *bufio.Reader) ([]byte, error) {
	var head [2]byte
	if _, err := io.ReadFull(br, head[:]); err != nil {
		return nil, err
	}
	n := uint64(head[1] & 0x7f)
	switch n {
	case 126, 127:
		ext := make([]byte, 2+6*(n-126))
		if _, err := io.ReadFull(br, ext); err != nil {
			return nil, err
		}
		n = 0
		for _, x := range ext {
			n = n<<8 | uint64(x)
		}
	}
	payload := make([]byte, n)
	_, err := io.ReadFull(br, payload)
	return payload, err
}
