//go:build linux

package main

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// serverResult is what was measured of one server process.
type serverResult struct {
	Name string `json:"name"`
	// StartupMedianMs is the median time from spawn to the first 200 of GET /.
	StartupMedianMs float64   `json:"startupMedianMs"`
	StartupMs       []float64 `json:"startupMs"`
	IdleRSSKiB      int64     `json:"idleRssKiB"`
	RSSAfterLoadKiB int64     `json:"rssAfterLoadKiB"`
}

// scenarioResult is what was measured of one scenario.
type scenarioResult struct {
	Name       string  `json:"name"`
	What       string  `json:"what"`
	Baseline   string  `json:"baseline"`
	Requests   int64   `json:"requests"`
	Errors     int64   `json:"errors"`
	FirstError string  `json:"firstError,omitempty"`
	PerSecond  float64 `json:"perSecond"`
	CPUMicros  float64 `json:"cpuMicrosPerRequest"`
	P50Micros  float64 `json:"p50Micros"`
	P99Micros  float64 `json:"p99Micros"`
	// RateRatio and CPURatio divide by the baseline's figures; 0 when it was not run.
	RateRatio float64 `json:"rateRatio"`
	CPURatio  float64 `json:"cpuRatio"`
}

// report is the whole sitting.
type report struct {
	GoVersion string           `json:"goVersion"`
	CPUs      int              `json:"cpus"`
	Conns     int              `json:"conns"`
	Duration  string           `json:"duration"`
	Servers   []serverResult   `json:"servers"`
	Scenarios []scenarioResult `json:"scenarios"`
}

func printTables(w io.Writer, rep report) {
	fmt.Fprintf(w, "%s, %d CPUs, %d connections, %s per scenario\n\n", rep.GoVersion, rep.CPUs, rep.Conns, rep.Duration)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\treq/s\tvs bare\tCPU µs/req\tvs bare\tp50 µs\tp99 µs\terrors\tbaseline\t")
	for _, r := range rep.Scenarios {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.1f\t%s\t%.0f\t%.0f\t%d\t%s\t\n", r.Name, thousands(r.PerSecond), ratio(r.RateRatio),
			r.CPUMicros, ratio(r.CPURatio), r.P50Micros, r.P99Micros, r.Errors, r.Baseline)
	}
	_ = tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "server\tstart to first 200 (median)\tstarts (ms)\tidle RSS\tRSS after load\t")
	for _, s := range rep.Servers {
		starts := make([]string, len(s.StartupMs))
		for i, v := range s.StartupMs {
			starts[i] = strconv.FormatFloat(v, 'f', 1, 64)
		}
		fmt.Fprintf(tw, "%s\t%.1f ms\t%s\t%.1f MiB\t%.1f MiB\t\n", s.Name, s.StartupMedianMs, strings.Join(starts, " "),
			float64(s.IdleRSSKiB)/1024, float64(s.RSSAfterLoadKiB)/1024)
	}
	_ = tw.Flush()
}

func ratio(r float64) string {
	if r == 0 {
		return "-"
	}
	return strconv.FormatFloat(r, 'f', 2, 64) + "×"
}

func ms(d time.Duration) float64     { return float64(d) / float64(time.Millisecond) }
func micros(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// thousands formats a rate with no decimals and commas between thousands: 3912.4 → "3,912".
func thousands(f float64) string {
	if !(f >= 0 && f < 1e15) {
		return "0"
	}
	s := strconv.FormatInt(int64(f+0.5), 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
