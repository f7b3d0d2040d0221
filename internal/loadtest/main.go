//go:build linux

// Command loadtest is the load command: it measures the membrane-fake binary against the bare
// reference handler of internal/bare, in one sitting, each server its own process on 127.0.0.1.
//
//	go run ./internal/loadtest                      # build membrane-fake, run every scenario
//	go run ./internal/loadtest -fake ./membrane-fake -conns 32 -duration 3s -scenarios fake-get,bare-get -json
//
// For each server it reports the time from spawning the process to the first 200 of GET / at
// the URL it announces (median of -starts starts) and its resident memory once started and
// idle. For each scenario, -conns keep-alive connections send requests for -duration; it
// reports requests per second, the server's CPU time per request (utime+stime from
// /proc/PID/stat) and both as a ratio to the bare scenario of the same kind in the same run.
//
// The bare server is this program itself, run as
//
//	loadtest bare -addr 127.0.0.1:0
//
// which serves internal/bare with net/http (and a 200 at GET /) and prints {"url": ...} on
// one line. Children are killed when loadtest ends, on SIGINT or SIGTERM too. It reads /proc,
// so it runs on Linux only.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	var err error
	if len(os.Args) > 1 && os.Args[1] == "bare" {
		err = serveBare(ctx, os.Args[2:], os.Stdout, os.Stderr)
	} else {
		err = run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	}
	stop()
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

// settings are the load command's flags.
type settings struct {
	fakeBin   string
	conns     int
	duration  time.Duration
	warmup    time.Duration
	starts    int
	settle    time.Duration
	scenarios []string
	json      bool
	fresh     bool
}

func parseSettings(args []string, stderr io.Writer) (settings, error) {
	var st settings
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&st.fakeBin, "fake", "", "path to a built membrane-fake binary (default: build ./cmd/membrane-fake into a temporary folder)")
	fs.IntVar(&st.conns, "conns", 32, "concurrent keep-alive connections per scenario")
	fs.DurationVar(&st.duration, "duration", 3*time.Second, "measured time per scenario")
	fs.DurationVar(&st.warmup, "warmup", 300*time.Millisecond, "unmeasured load before each scenario")
	fs.IntVar(&st.starts, "starts", 5, "process starts per server for the start-to-first-200 median")
	fs.DurationVar(&st.settle, "settle", 500*time.Millisecond, "wait after start before reading the idle RSS")
	list := fs.String("scenarios", "all", "comma-separated scenarios, or all: "+strings.Join(scenarioNames(), ", "))
	fs.BoolVar(&st.json, "json", false, "print one JSON document instead of the tables")
	fs.BoolVar(&st.fresh, "fresh", true, "start fresh servers for each scenario, so that none runs on what an earlier one stored")
	if err := fs.Parse(args); err != nil {
		return st, err
	}
	switch {
	case fs.NArg() > 0:
		return st, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case st.conns < 1 || st.conns > 1024:
		return st, fmt.Errorf("-conns %d: want 1 to 1024", st.conns)
	case st.duration < 100*time.Millisecond || st.duration > 5*time.Minute:
		return st, fmt.Errorf("-duration %s: want 100ms to 5m", st.duration)
	case st.warmup < 0 || st.warmup > time.Minute:
		return st, fmt.Errorf("-warmup %s: want 0 to 1m", st.warmup)
	case st.starts < 0 || st.starts > 100:
		return st, fmt.Errorf("-starts %d: want 0 to 100", st.starts)
	case st.settle < 0 || st.settle > time.Minute:
		return st, fmt.Errorf("-settle %s: want 0 to 1m", st.settle)
	}
	if *list == "all" {
		st.scenarios = scenarioNames()
	} else {
		for name := range strings.SplitSeq(*list, ",") {
			name = strings.TrimSpace(name)
			if !slices.Contains(scenarioNames(), name) {
				return st, fmt.Errorf("-scenarios: unknown scenario %q; known: %s", name, strings.Join(scenarioNames(), ", "))
			}
			st.scenarios = append(st.scenarios, name)
		}
	}
	return st, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	st, err := parseSettings(args, stderr)
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	if st.fakeBin == "" {
		dir, err := os.MkdirTemp("", "loadtest-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		st.fakeBin = filepath.Join(dir, "membrane-fake")
		fmt.Fprintln(stderr, "building membrane-fake…")
		build := exec.CommandContext(ctx, "go", "build", "-o", st.fakeBin, "github.com/membrane-community/membrane-go/cmd/membrane-fake")
		build.Stdout, build.Stderr = stderr, stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("go build membrane-fake: %w", err)
		}
	}
	cs := &children{}
	defer cs.killAll()

	type server struct {
		name, bin, urlField string
		args                []string
	}
	servers := []server{
		{name: "bare", bin: self, args: []string{"bare", "-addr", "127.0.0.1:0"}, urlField: "url"},
		{name: "fake", bin: st.fakeBin, args: []string{"--instances", "eu,us", "--log-level", "error"}, urlField: "hubUrl"},
	}
	rep := report{GoVersion: runtime.Version(), CPUs: runtime.NumCPU(), Conns: st.conns, Duration: st.duration.String()}

	// Start to first 200, the servers' starts interleaved.
	startups := make([][]time.Duration, len(servers))
	for i := range st.starts {
		fmt.Fprintf(stderr, "\rstarting servers: %d/%d", i+1, st.starts)
		for j, s := range servers {
			c, err := cs.spawn(ctx, s.name, s.bin, s.args, s.urlField)
			if err != nil {
				return err
			}
			startups[j] = append(startups[j], c.startup)
			cs.stop(c)
		}
	}
	if st.starts > 0 {
		fmt.Fprintln(stderr)
	}

	// The servers under load, started once and measured idle first.
	running := make([]*child, len(servers))
	for j, s := range servers {
		if running[j], err = cs.spawn(ctx, s.name, s.bin, s.args, s.urlField); err != nil {
			return err
		}
	}
	select {
	case <-time.After(st.settle):
	case <-ctx.Done():
		return ctx.Err()
	}
	for j, s := range servers {
		res := serverResult{Name: s.name}
		for _, d := range startups[j] {
			res.StartupMs = append(res.StartupMs, ms(d))
		}
		res.StartupMedianMs = median(res.StartupMs)
		if res.IdleRSSKiB, err = rssKiB(running[j].cmd.Process.Pid); err != nil {
			return err
		}
		rep.Servers = append(rep.Servers, res)
	}

	client := &http.Client{Transport: &http.Transport{
		Proxy:               nil,
		MaxIdleConns:        st.conns,
		MaxIdleConnsPerHost: st.conns,
		MaxConnsPerHost:     st.conns,
		IdleConnTimeout:     time.Minute,
		DisableCompression:  true,
	}}
	defer client.CloseIdleConnections()
	t := &targets{}
	// prepare points the targets at the running servers and seeds them.
	prepare := func() error {
		t.bareURL = running[0].url
		if err := json.Unmarshal(running[1].line, &t.fake); err != nil {
			return err
		}
		return seed(ctx, client, t)
	}
	if err := prepare(); err != nil {
		return err
	}
	peakRSS := make([]int64, len(servers))
	notePeak := func() error {
		for j := range servers {
			kib, err := rssKiB(running[j].cmd.Process.Pid)
			if err != nil {
				return err
			}
			peakRSS[j] = max(peakRSS[j], kib)
		}
		return nil
	}

	byName := map[string]*scenarioResult{}
	for i, name := range st.scenarios {
		if st.fresh && i > 0 {
			if err := notePeak(); err != nil {
				return err
			}
			client.CloseIdleConnections()
			for j, s := range servers {
				cs.stop(running[j])
				if running[j], err = cs.spawn(ctx, s.name, s.bin, s.args, s.urlField); err != nil {
					return err
				}
			}
			if err := prepare(); err != nil {
				return err
			}
		}
		pids := map[string]int{"bare": running[0].cmd.Process.Pid, "fake": running[1].cmd.Process.Pid}
		sc := scenarios[slices.IndexFunc(scenarios, func(s scenario) bool { return s.name == name })]
		fmt.Fprintf(stderr, "%-18s", sc.name)
		res, err := load(ctx, client, t, sc, pids[sc.server], st)
		if err != nil {
			return fmt.Errorf("%s: %w", sc.name, err)
		}
		fmt.Fprintf(stderr, " %10s req/s, %6.1f µs CPU/req, %d errors\n", thousands(res.PerSecond), res.CPUMicros, res.Errors)
		rep.Scenarios = append(rep.Scenarios, res)
		byName[sc.name] = &rep.Scenarios[len(rep.Scenarios)-1]
	}
	for i := range rep.Scenarios {
		r := &rep.Scenarios[i]
		if b := byName[r.Baseline]; b != nil && b.PerSecond > 0 && b.CPUMicros > 0 {
			r.RateRatio, r.CPURatio = r.PerSecond/b.PerSecond, r.CPUMicros/b.CPUMicros
		}
	}
	if err := notePeak(); err != nil {
		return err
	}
	for j := range servers {
		rep.Servers[j].RSSAfterLoadKiB = peakRSS[j]
	}

	if st.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	printTables(stdout, rep)
	return nil
}
