// Command pluvfloor is the bare gorilla/websocket fan-out server that pluvbench drives
// with -target floor: every frame a socket sends goes, as it is, to every other socket
// with the same `room` query parameter. It listens on a loopback address only and exits
// after -lifetime, so a forgotten one does not linger.
//
//	pluvfloor -addr 127.0.0.1:9000
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/caddy-pluv/caddy-pluv/internal/floor"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:9000", "listen address (127.0.0.1 or [::1] only; "+
		"port 0 picks one)")
	lifetime := flag.Duration("lifetime", 2*time.Hour, "exit after this long")
	flag.Parse()
	if err := serve(*addr, *lifetime); err != nil {
		fmt.Fprintln(os.Stderr, "pluvfloor:", err)
		os.Exit(1)
	}
}

// serve listens on addr and serves the floor until a signal or the lifetime ends.
func serve(addr string, lifetime time.Duration) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(host); ip == nil || !(ip.Equal(net.IPv4(127, 0, 0, 1)) ||
		ip.Equal(net.IPv6loopback)) {
		return fmt.Errorf("-addr %q: only 127.0.0.1 or [::1]", addr)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	// The first line of output says where to connect; scripts read it.
	fmt.Printf("pluvfloor listening on ws://%s (pid %d)\n", l.Addr(), os.Getpid())

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, lifetime)
	defer cancel()

	srv := &http.Server{Handler: floor.New(), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, scancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer scancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}
