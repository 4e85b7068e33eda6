package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTick is the unit of utime and stime in /proc/PID/stat. It is USER_HZ, 100 on every
// Linux architecture pluvbench runs on; reading it needs sysconf, which Go does not offer.
// Limitation: CPU figures are only as fine as one tick (10 ms) per reading, so a run must
// use at least a few seconds of server CPU for its per-frame figure to mean much.
const clockTick = 10 * time.Millisecond

// processCPU returns the user plus system CPU time of pid from /proc/PID/stat.
func processCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("reading cpu time: %w", err)
	}
	// The command name (field 2) may hold spaces and parentheses: fields are counted
	// after its last ')'. utime and stime are fields 14 and 15, so 11 and 12 after it.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("reading cpu time: no command name in /proc/%d/stat", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("reading cpu time: short /proc/%d/stat", pid)
	}
	ut, err1 := strconv.ParseUint(f[11], 10, 64)
	st, err2 := strconv.ParseUint(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("reading cpu time: %w", err)
	}
	return time.Duration(ut+st) * clockTick, nil
}

// processRSS returns the resident set size of pid, in bytes, from /proc/PID/status.
func processRSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("reading rss: %w", err)
	}
	for line := range strings.Lines(string(b)) {
		rest, ok := strings.CutPrefix(line, "VmRSS:")
		if !ok {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("reading rss: %w", err)
		}
		return kb << 10, nil
	}
	return 0, fmt.Errorf("reading rss: no VmRSS in /proc/%d/status", pid)
}

// errNotLoopback is returned when a name resolves to an address pluvbench must not dial.
var errNotLoopback = errors.New("refusing to dial: not 127.0.0.1 or ::1")

// loopbackDialer dials only 127.0.0.1 and ::1, whatever a host name resolved to.
var loopbackDialer = &net.Dialer{
	Timeout: 10 * time.Second,
	Control: func(_, address string, _ syscall.RawConn) error {
		host, _, err := net.SplitHostPort(address)
		if err != nil || !loopbackIP(net.ParseIP(host)) {
			return fmt.Errorf("%w: %s", errNotLoopback, address)
		}
		return nil
	},
}

// dialLoopback is a DialContext for clients that may reach only this machine.
func dialLoopback(ctx context.Context, network, addr string) (net.Conn, error) {
	return loopbackDialer.DialContext(ctx, network, addr)
}

// raiseFileLimit lifts the soft limit on open files to the hard one, so that thousands
// of sockets can be held; it returns the limit now in force.
func raiseFileLimit() uint64 {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return 0
	}
	if rl.Cur < rl.Max {
		rl.Cur = rl.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl)
		_ = syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl)
	}
	return rl.Cur
}

// round rounds f to n decimals.
func round(f float64, n int) float64 {
	p := math.Pow10(n)
	return math.Round(f*p) / p
}
