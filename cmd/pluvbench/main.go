// Command pluvbench is the load generator of caddy-pluv: lean clients of the real pluv
// protocol (token, `$registered` → `$initializeSession` → `$storageReceived`, `$getOthers`
// on their own `$userJoined`, `$ping` every 10 s) that drive a Caddy with the pluv
// handler, or pluvfloor, the bare gorilla fan-out server, for comparison.
//
// Each run prints one JSON line on stdout and a summary on stderr. It talks only to
// 127.0.0.1, ::1 or localhost, and ends by itself after setup, -warmup and -duration.
//
//	pluvbench -scenario fanout-event -rooms 1 -clients 100 -senders 10 -rate 30 \
//	    -url ws://127.0.0.1:8080/api/pluv/room -secret "$PLUV_SECRET" -pid "$CADDY_PID"
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/caddy-pluv/caddy-pluv/internal/bench"
)

const usage = `Usage: pluvbench [flags]
       pluvbench report [results.jsonl...]   (markdown table of runs' JSON lines)

Scenarios:
  fanout-event     -senders per room send the defined event -event at -rate; every
                   client measures the latency of each -event-output it gets
  fanout-presence  every client (or -senders per room) updates its presence at -rate
  storage          -senders editors per room type one character per Yjs update into a
                   document pre-filled to -doc-size; a late joiner measures the join
  connect          -rooms × -clients joins, -concurrency at once (at most 10 per room)
  idle             hold -rooms × -clients sockets; server RSS per connection (-pid)

Tokens (pluv target): with -token-url each client GETs its token from a pluv_token
endpoint; with -secret (or $PLUV_SECRET when neither flag is given) pluvbench mints
HS256 tokens itself with pluv.CreateToken; with neither, clients send no token.

Flags:
`

func main() {
	if len(os.Args) > 1 && os.Args[1] == "report" {
		if err := report(os.Args[2:]); err != nil {
			fmt.Fprintf(os.Stderr, "pluvbench report: %v\n", err)
			os.Exit(1)
		}
		return
	}
	var cfg bench.Config
	fs := flag.NewFlagSet("pluvbench", flag.ExitOnError)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fs.PrintDefaults()
	}
	cfg.Flags(fs)
	_ = fs.Parse(os.Args[1:])
	if fs.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "pluvbench: unexpected arguments %q\n", fs.Args())
		os.Exit(2)
	}
	if cfg.Secret == "" && cfg.TokenURL == "" && cfg.Target == bench.TargetPluv {
		cfg.Secret = os.Getenv("PLUV_SECRET")
	}
	if err := cfg.Validate(); err != nil {
		fmt.Fprintf(os.Stderr, "pluvbench: %v\n", err)
		os.Exit(2)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := bench.Run(ctx, cfg)
	if err != nil {
		fmt.Fprintf(os.Stderr, "pluvbench: %v\n", err)
		os.Exit(1)
	}
	if err := res.WriteJSON(os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "pluvbench: %v\n", err)
		os.Exit(1)
	}
	res.WriteSummary(os.Stderr)
}

// report prints the markdown table of the JSON lines in files (stdin when none).
func report(files []string) error {
	if len(files) == 0 {
		return bench.Report(os.Stdin, os.Stdout)
	}
	var readers []io.Reader
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		readers = append(readers, f)
	}
	return bench.Report(io.MultiReader(readers...), os.Stdout)
}
