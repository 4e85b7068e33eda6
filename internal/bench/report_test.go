package bench

import (
	"strconv"
	"strings"
	"testing"
)

// TestReport: runs of one point are grouped, each figure is their median with the
// range, and pluv is compared with the floor at the same load.
func TestReport(t *testing.T) {
	line := func(target string, perFrame, p99 float64) string {
		return `{"config":{"scenario":"fanout-event","target":"` + target + `","rooms":1,` +
			`"clients":100,"senders":10,"rate":30,"payload":128},"delivered_per_s":30000,` +
			`"missing":0,"latency_us":{"p50":500,"p99":` + ftoa(p99) + `,"max":9000},` +
			`"server_cpu_us_per_frame":` + ftoa(perFrame) + `}`
	}
	in := strings.Join([]string{
		line("pluv", 3, 4000), "a summary line", line("pluv", 2, 2000), line("pluv", 4, 3000),
		line("floor", 1, 1000), line("floor", 1, 1000),
	}, "\n")
	var out strings.Builder
	if err := Report(strings.NewReader(in), &out); err != nil {
		t.Fatal(err)
	}
	rows := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(rows) != 4 {
		t.Fatalf("want a header, a rule and 2 rows:\n%s", out.String())
	}
	for _, want := range []string{"| 3 |", "3.00 (2.00–4.00)", "| 3.00 (2.00–4.00) |",
		"CPU 3.00×, p99 3.00×"} {
		if !strings.Contains(rows[2], want) {
			t.Errorf("pluv row lacks %q:\n%s", want, rows[2])
		}
	}
	if !strings.Contains(rows[3], "| 1.00 |") {
		t.Errorf("floor row: %s", rows[3])
	}
	if err := Report(strings.NewReader("{bad"), &out); err == nil {
		t.Error("a bad JSON line was accepted")
	}
}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
