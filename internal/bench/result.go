package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// Result is one run's figures; it is printed as one JSON line.
type Result struct {
	Config RunConfig `json:"config"`

	WindowS        float64 `json:"window_s"`
	FramesInWindow int64   `json:"frames_in_window"`

	// Fan-out: measured messages.
	Sent          int64    `json:"sent,omitempty"`
	SentPerS      float64  `json:"sent_per_s,omitempty"`
	Expected      int64    `json:"expected,omitempty"`
	OfferedPerS   float64  `json:"offered_per_s,omitempty"`
	Delivered     int64    `json:"delivered,omitempty"`
	DeliveredPerS float64  `json:"delivered_per_s,omitempty"`
	Missing       int64    `json:"missing"`
	Latency       *Summary `json:"latency_us,omitempty"`

	ServerCPUMs    float64 `json:"server_cpu_ms,omitempty"`
	CPUPerFrameUs  float64 `json:"server_cpu_us_per_frame,omitempty"`
	GeneratorCPUMs float64 `json:"generator_cpu_ms,omitempty"`

	Storage *StorageFigures `json:"storage,omitempty"`
	Connect *ConnectFigures `json:"connect,omitempty"`
	Idle    *IdleFigures    `json:"idle,omitempty"`

	Disconnects      int64  `json:"disconnects"`
	FirstDisconnect  string `json:"first_disconnect,omitempty"`
	ServerErrors     int64  `json:"server_errors"`
	FirstServerError string `json:"first_server_error,omitempty"`
}

// RunConfig echoes the flags of a run in its JSON line.
type RunConfig struct {
	Scenario    string  `json:"scenario"`
	Target      string  `json:"target"`
	Rooms       int     `json:"rooms"`
	Clients     int     `json:"clients"`
	Senders     int     `json:"senders"`
	Rate        float64 `json:"rate"`
	Payload     int     `json:"payload"`
	DocSize     int     `json:"doc_size"`
	DurationS   float64 `json:"duration_s"`
	WarmupS     float64 `json:"warmup_s"`
	Concurrency int     `json:"concurrency"`
	Tokens      string  `json:"tokens"`
	PID         int     `json:"pid,omitempty"`
	Started     string  `json:"started"`
}

// StorageFigures are the storage scenario's own figures.
type StorageFigures struct {
	DocBytes                   int     `json:"doc_bytes"`
	UpdateBytes                int     `json:"update_bytes"`
	RelayedBytesPerEditPerPeer float64 `json:"relayed_bytes_per_edit_per_peer"`
	CPUPerEditUs               float64 `json:"server_cpu_us_per_edit,omitempty"`
	LateJoinRegisteredBytes    int     `json:"late_join_registered_bytes"`
	LateJoinReceivedBytes      int     `json:"late_join_received_bytes"`
	LateJoinMs                 float64 `json:"late_join_ms"`
}

// ConnectFigures are the connect scenario's own figures.
type ConnectFigures struct {
	Attempted     int64    `json:"attempted"`
	Joins         int64    `json:"joins"`
	JoinsPerS     float64  `json:"joins_per_s"`
	Join          *Summary `json:"join_us"`
	JoinWithToken *Summary `json:"join_with_token_us"`
	CPUPerJoinUs  float64  `json:"server_cpu_us_per_join,omitempty"`
}

// IdleFigures are the idle scenario's own figures.
type IdleFigures struct {
	Connections     int64 `json:"connections"`
	RSSBeforeKB     int64 `json:"rss_before_kb"`
	RSSJoinedKB     int64 `json:"rss_joined_kb"`
	RSSAfterKB      int64 `json:"rss_after_kb"`
	RSSPerConnBytes int64 `json:"rss_per_conn_bytes"`
}

// summaryConfig is the RunConfig of r.
func (r *run) summaryConfig() RunConfig {
	c := r.cfg
	tokens := "none"
	switch {
	case c.Target == TargetFloor:
	case c.TokenURL != "":
		tokens = "fetched"
	case c.Secret != "":
		tokens = "minted"
	}
	return RunConfig{
		Scenario: c.Scenario, Target: c.Target, Rooms: c.Rooms, Clients: c.Clients,
		Senders: c.Senders, Rate: c.Rate, Payload: c.Payload, DocSize: c.DocSize,
		DurationS: c.Duration.Seconds(), WarmupS: c.Warmup.Seconds(),
		Concurrency: c.Concurrency, Tokens: tokens, PID: c.PID,
		Started: r.base.UTC().Format(time.RFC3339),
	}
}

// WriteJSON writes res as one JSON line.
func (res *Result) WriteJSON(w io.Writer) error {
	b, err := json.Marshal(res)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// WriteSummary writes res for a person to read.
func (res *Result) WriteSummary(w io.Writer) {
	c := res.Config
	var b strings.Builder
	fmt.Fprintf(&b, "%s on %s: %d room(s) × %d client(s)", c.Scenario, c.Target, c.Rooms,
		c.Clients)
	senders := fmt.Sprintf("%d sender(s)/room", c.Senders)
	if c.Senders == 0 {
		senders = "every client"
	}
	switch c.Scenario {
	case ScenarioEvent, ScenarioPresence:
		fmt.Fprintf(&b, ", %s at %g/s, %d B payload", senders, c.Rate, c.Payload)
	case ScenarioStorage:
		fmt.Fprintf(&b, ", %d editor(s)/room at %g keystrokes/s", c.Senders, c.Rate)
	}
	fmt.Fprintf(&b, "; %.2f s measured\n", res.WindowS)
	if l := res.Latency; l != nil {
		fmt.Fprintf(&b, "  sent %d (%.0f/s); deliveries offered %.0f/s, delivered %.0f/s; "+
			"missing %d of %d\n", res.Sent, res.SentPerS, res.OfferedPerS, res.DeliveredPerS,
			res.Missing, res.Expected)
		fmt.Fprintf(&b, "  latency µs: p50 %.0f  p90 %.0f  p99 %.0f  max %.0f  (n=%d)\n",
			l.P50, l.P90, l.P99, l.Max, l.Count)
	}
	if s := res.Storage; s != nil {
		fmt.Fprintf(&b, "  doc %d B; update %d B; relayed %.1f B per edit per peer; "+
			"CPU %.1f µs per edit\n", s.DocBytes, s.UpdateBytes, s.RelayedBytesPerEditPerPeer,
			s.CPUPerEditUs)
		fmt.Fprintf(&b, "  late joiner: $registered %d B, $storageReceived %d B, %.1f ms\n",
			s.LateJoinRegisteredBytes, s.LateJoinReceivedBytes, s.LateJoinMs)
	}
	if j := res.Connect; j != nil {
		fmt.Fprintf(&b, "  joins %d of %d, %.0f/s; join µs p50 %.0f p99 %.0f max %.0f "+
			"(with token p99 %.0f); CPU %.1f µs per join\n", j.Joins, j.Attempted,
			j.JoinsPerS, j.Join.P50, j.Join.P99, j.Join.Max, j.JoinWithToken.P99,
			j.CPUPerJoinUs)
	}
	if i := res.Idle; i != nil {
		fmt.Fprintf(&b, "  %d connections: RSS %d → %d kB (%d kB once joined), "+
			"%d B per connection\n", i.Connections, i.RSSBeforeKB, i.RSSAfterKB,
			i.RSSJoinedKB, i.RSSPerConnBytes)
	}
	fmt.Fprintf(&b, "  server CPU %.1f ms, %.3f µs per frame (%d frames); generator CPU "+
		"%.1f ms\n", res.ServerCPUMs, res.CPUPerFrameUs, res.FramesInWindow,
		res.GeneratorCPUMs)
	if res.Disconnects > 0 || res.ServerErrors > 0 {
		fmt.Fprintf(&b, "  disconnects %d (first: %s); $error frames %d (first: %s)\n",
			res.Disconnects, res.FirstDisconnect, res.ServerErrors, res.FirstServerError)
	}
	_, _ = io.WriteString(w, b.String())
}
