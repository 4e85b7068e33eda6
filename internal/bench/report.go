package bench

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
)

// point is one benchmark point: every run with the same flags.
type point struct {
	key  string
	cfg  RunConfig
	runs []*Result
}

// shape is the point's load without the target, to pair pluv with the floor.
func shape(c RunConfig) string {
	return fmt.Sprintf("%s %d×%d s%d r%g p%d d%d", c.Scenario, c.Rooms, c.Clients,
		c.Senders, c.Rate, c.Payload, c.DocSize)
}

// Report reads JSON lines of runs and writes a markdown table: one row per point and
// target, each figure the median of its runs with their range, and for pluv the ratio of
// its median CPU per frame, p99 and RSS per connection to the floor's at the same point.
func Report(in io.Reader, w io.Writer) error {
	var points []*point
	byKey := map[string]*point{}
	sc := bufio.NewScanner(in)
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "{") {
			continue // summaries and notes may be mixed in
		}
		res := new(Result)
		if err := json.Unmarshal([]byte(line), res); err != nil {
			return fmt.Errorf("line %d: %w", n, err)
		}
		key := res.Config.Target + " " + shape(res.Config)
		p := byKey[key]
		if p == nil {
			p = &point{key: key, cfg: res.Config}
			byKey[key] = p
			points = append(points, p)
		}
		p.runs = append(p.runs, res)
	}
	if err := sc.Err(); err != nil {
		return err
	}

	fmt.Fprintln(w, "| scenario | target | rooms × clients | senders × rate | runs | "+
		"delivered/s | missing | p50 ms | p99 ms | max ms | CPU µs/frame | vs floor | other |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|---|---|---|")
	for _, p := range points {
		var floor *point
		if p.cfg.Target == TargetPluv {
			floor = byKey[TargetFloor+" "+shape(p.cfg)]
		}
		fmt.Fprintln(w, p.row(floor))
	}
	return nil
}

// row renders one table row.
func (p *point) row(floor *point) string {
	c := p.cfg
	load := "–"
	switch c.Scenario {
	case ScenarioEvent, ScenarioPresence, ScenarioStorage:
		senders := fmt.Sprint(c.Senders)
		if c.Senders == 0 {
			senders = "all"
		}
		load = fmt.Sprintf("%s × %g/s", senders, c.Rate)
	}
	lat := func(f func(*Summary) float64) func(*Result) float64 {
		return func(r *Result) float64 {
			if r.Latency == nil {
				return 0
			}
			return f(r.Latency) / 1e3
		}
	}
	p99 := lat(func(s *Summary) float64 { return s.P99 })
	cpu := func(r *Result) float64 { return r.CPUPerFrameUs }
	cols := []string{
		c.Scenario, c.Target, fmt.Sprintf("%d × %d", c.Rooms, c.Clients), load,
		fmt.Sprint(len(p.runs)),
		p.stat(func(r *Result) float64 { return r.DeliveredPerS }, "%.0f"),
		p.stat(func(r *Result) float64 { return float64(r.Missing) }, "%.0f"),
		p.stat(lat(func(s *Summary) float64 { return s.P50 }), "%.2f"),
		p.stat(p99, "%.2f"),
		p.stat(lat(func(s *Summary) float64 { return s.Max }), "%.1f"),
		p.stat(cpu, "%.2f"),
		p.ratios(floor, cpu, p99),
		p.other(),
	}
	return "| " + strings.Join(cols, " | ") + " |"
}

// ratios gives pluv's medians over the floor's: CPU per frame, p99, RSS per connection.
func (p *point) ratios(floor *point, cpu, p99 func(*Result) float64) string {
	if floor == nil {
		return ""
	}
	var out []string
	add := func(name string, f func(*Result) float64) {
		if a, b := p.median(f), floor.median(f); a > 0 && b > 0 {
			out = append(out, fmt.Sprintf("%s %.2f×", name, a/b))
		}
	}
	add("CPU", cpu)
	add("p99", p99)
	add("RSS", func(r *Result) float64 {
		if r.Idle == nil {
			return 0
		}
		return float64(r.Idle.RSSPerConnBytes)
	})
	add("joins/s", func(r *Result) float64 {
		if r.Connect == nil {
			return 0
		}
		return r.Connect.JoinsPerS
	})
	return strings.Join(out, ", ")
}

// other renders the scenario's own figures.
func (p *point) other() string {
	switch p.cfg.Scenario {
	case ScenarioStorage:
		s := func(f func(*StorageFigures) float64) func(*Result) float64 {
			return func(r *Result) float64 {
				if r.Storage == nil {
					return 0
				}
				return f(r.Storage)
			}
		}
		return fmt.Sprintf("doc %d B, update %s B, relayed %s B/edit/peer, "+
			"CPU %s µs/edit, late join %s B in %s ms", p.cfg.DocSize,
			p.stat(s(func(f *StorageFigures) float64 { return float64(f.UpdateBytes) }), "%.0f"),
			p.stat(s(func(f *StorageFigures) float64 { return f.RelayedBytesPerEditPerPeer }),
				"%.1f"),
			p.stat(s(func(f *StorageFigures) float64 { return f.CPUPerEditUs }), "%.0f"),
			p.stat(s(func(f *StorageFigures) float64 {
				return float64(f.LateJoinReceivedBytes)
			}), "%.0f"),
			p.stat(s(func(f *StorageFigures) float64 { return f.LateJoinMs }), "%.1f"))
	case ScenarioConnect:
		j := func(f func(*ConnectFigures) float64) func(*Result) float64 {
			return func(r *Result) float64 {
				if r.Connect == nil {
					return 0
				}
				return f(r.Connect)
			}
		}
		return fmt.Sprintf("%s joins/s, join p99 %s ms, CPU %s µs/join",
			p.stat(j(func(c *ConnectFigures) float64 { return c.JoinsPerS }), "%.0f"),
			p.stat(j(func(c *ConnectFigures) float64 { return c.Join.P99 / 1e3 }), "%.1f"),
			p.stat(j(func(c *ConnectFigures) float64 { return c.CPUPerJoinUs }), "%.0f"))
	case ScenarioIdle:
		return fmt.Sprintf("%s B RSS per connection", p.stat(func(r *Result) float64 {
			if r.Idle == nil {
				return 0
			}
			return float64(r.Idle.RSSPerConnBytes)
		}, "%.0f"))
	}
	return ""
}

// values returns f of every run, sorted.
func (p *point) values(f func(*Result) float64) []float64 {
	v := make([]float64, len(p.runs))
	for i, r := range p.runs {
		v[i] = f(r)
	}
	slices.Sort(v)
	return v
}

// median returns the median of f over the runs (the mean of the middle two when even).
func (p *point) median(f func(*Result) float64) float64 {
	v := p.values(f)
	if len(v) == 0 {
		return 0
	}
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// stat renders the median of f and, over several runs, their range.
func (p *point) stat(f func(*Result) float64, format string) string {
	v := p.values(f)
	s := fmt.Sprintf(format, p.median(f))
	if len(v) > 1 && v[0] != v[len(v)-1] {
		s += fmt.Sprintf(" ("+format+"–"+format+")", v[0], v[len(v)-1])
	}
	return s
}
