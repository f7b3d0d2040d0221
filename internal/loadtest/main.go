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
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/membrane-community/membrane-go/internal/bare"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat: 100 on every Linux
// architecture Go supports.
const clockTicks = 100

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

// serverTimeouts are those of the fake's listeners, so that both servers do the same work
// per connection.
func newHTTPServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		WriteTimeout:      11 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
}

// serveBare is the "bare" mode: internal/bare on a loopback port until ctx ends.
func serveBare(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("loadtest bare", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	h := bare.New()
	srv := newHTTPServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" && r.Method == http.MethodGet {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"status":"ok"}`)
			return
		}
		h.ServeHTTP(w, r)
	}))
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	line, _ := json.Marshal(map[string]string{"url": "http://" + ln.Addr().String()})
	if _, err := fmt.Fprintf(stdout, "%s\n", line); err != nil {
		_ = srv.Close()
		return err
	}
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
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

// scenario is one kind of request sent over and over.
type scenario struct {
	name     string
	server   string // "bare" or "fake"
	baseline string // the bare scenario its figures are divided by
	what     string
	request  func(t *targets) (method, url string, body []byte, header http.Header)
}

var scenarios = []scenario{
	{name: "bare-get", server: "bare", baseline: "bare-get", what: "GET /items/1",
		request: func(t *targets) (string, string, []byte, http.Header) {
			return http.MethodGet, t.bareURL + "/items/" + t.bareItem, nil, nil
		}},
	{name: "bare-create", server: "bare", baseline: "bare-create", what: "POST /items",
		request: func(t *targets) (string, string, []byte, http.Header) {
			return http.MethodPost, t.bareURL + "/items", []byte(`{"name":"Acme","orgId":"o1"}`), jsonHeader("")
		}},
	{name: "fake-get", server: "fake", baseline: "bare-get", what: "GET /org-workspaces/{id}",
		request: func(t *targets) (string, string, []byte, http.Header) {
			return http.MethodGet, t.fake.HubURL + "/org-workspaces/" + t.fakeWorkspace, nil, jsonHeader(t.fake.AdminToken)
		}},
	{name: "fake-create", server: "fake", baseline: "bare-create", what: "POST /org-workspaces, on the hub's instance",
		request: func(t *targets) (string, string, []byte, http.Header) {
			return http.MethodPost, t.fake.HubURL + "/org-workspaces",
				[]byte(`{"orgId":"` + t.fake.OrgID + `","name":"Acme"}`), jsonHeader(t.fake.AdminToken)
		}},
	{name: "fake-create-eu", server: "fake", baseline: "bare-create", what: "POST /org-workspaces, routed to instance eu",
		request: func(t *targets) (string, string, []byte, http.Header) {
			return http.MethodPost, t.fake.HubURL + "/org-workspaces",
				[]byte(`{"orgId":"` + t.fake.OrgID + `","name":"Acme","membraneInstanceId":"eu"}`), jsonHeader(t.fake.AdminToken)
		}},
	{name: "fake-access-token", server: "fake", baseline: "bare-create", what: "POST /org-workspaces/{id}/access-token",
		request: func(t *targets) (string, string, []byte, http.Header) {
			return http.MethodPost, t.fake.HubURL + "/org-workspaces/" + t.fakeWorkspace + "/access-token",
				[]byte(`{"tenantKey":"t1"}`), jsonHeader(t.fake.AdminToken)
		}},
}

func scenarioNames() []string {
	names := make([]string, len(scenarios))
	for i, sc := range scenarios {
		names[i] = sc.name
	}
	return names
}

func jsonHeader(token string) http.Header {
	h := http.Header{"Content-Type": {"application/json"}}
	if token != "" {
		h.Set("Authorization", "Bearer "+token)
	}
	return h
}

// fakeLine is the line membrane-fake prints on start.
type fakeLine struct {
	HubURL     string `json:"hubUrl"`
	OrgID      string `json:"orgId"`
	AdminToken string `json:"adminToken"`
	Instances  []struct {
		ID  string `json:"id"`
		URL string `json:"url"`
	} `json:"instances"`
}

// targets are the two servers under load and what the scenarios need of them.
type targets struct {
	bareURL, bareItem string
	fake              fakeLine
	fakeWorkspace     string
}

// child is a server process and the URL it announced.
type child struct {
	name string
	cmd  *exec.Cmd
	url  string
	line []byte
	// startup is the time from spawning to the first 200 of GET / at url.
	startup time.Duration
}

// children are the processes loadtest started; killAll ends those still running.
type children struct {
	mu   sync.Mutex
	list []*child
}

func (cs *children) add(c *child) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cs.list = append(cs.list, c)
}

func (cs *children) stop(c *child) {
	_ = c.cmd.Process.Kill()
	_ = c.cmd.Wait()
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cs.list = slices.DeleteFunc(cs.list, func(x *child) bool { return x == c })
}

func (cs *children) killAll() {
	cs.mu.Lock()
	list := slices.Clone(cs.list)
	cs.mu.Unlock()
	for _, c := range list {
		cs.stop(c)
	}
}

// spawn starts a server process, reads the JSON line it prints, and waits for the first 200
// of GET / at the URL in it (the field urlField of the line).
func (cs *children) spawn(ctx context.Context, name, bin string, args []string, urlField string) (*child, error) {
	cmd := exec.Command(bin, args...)
	cmd.Stderr = os.Stderr
	// The child dies with loadtest, even when loadtest is killed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	begin := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	c := &child{name: name, cmd: cmd}
	cs.add(c)
	lines := make(chan []byte, 1)
	go func() {
		r := bufio.NewReader(stdout)
		b, _ := r.ReadBytes('\n')
		lines <- b
		_, _ = io.Copy(io.Discard, r)
	}()
	select {
	case c.line = <-lines:
	case <-time.After(30 * time.Second):
		cs.stop(c)
		return nil, fmt.Errorf("%s printed no line in 30s", name)
	case <-ctx.Done():
		cs.stop(c)
		return nil, ctx.Err()
	}
	var fields map[string]any
	if err := json.Unmarshal(c.line, &fields); err != nil {
		cs.stop(c)
		return nil, fmt.Errorf("%s: first line %q: %w", name, c.line, err)
	}
	c.url, _ = fields[urlField].(string)
	if c.url == "" {
		cs.stop(c)
		return nil, fmt.Errorf("%s: first line %q has no %s", name, c.line, urlField)
	}
	if err := waitOK(ctx, c.url+"/"); err != nil {
		cs.stop(c)
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	c.startup = time.Since(begin)
	return c, nil
}

// waitOK polls url with GET, over a new connection each time, until it answers 200.
func waitOK(ctx context.Context, url string) error {
	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	deadline := time.Now().Add(10 * time.Second)
	for wait := 100 * time.Microsecond; ; wait = min(2*wait, 20*time.Millisecond) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("GET %s: %s", url, resp.Status)
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("not ready: %w", err)
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
		}
	}
}

// cpuTime is the user and system time the process has used, from /proc/PID/stat.
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	// The fields after the command name, which is in parentheses and may hold spaces.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, errors.New("cannot parse /proc/PID/stat")
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, errors.New("cannot parse /proc/PID/stat")
	}
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return time.Duration(utime+stime) * time.Second / clockTicks, nil
}

// rssKiB is VmRSS from /proc/PID/status, in KiB.
func rssKiB(pid int) (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	return 0, errors.New("no VmRSS in /proc/PID/status")
}

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

// seed makes what the scenarios read: an item on the bare server and a workspace on the fake.
func seed(ctx context.Context, client *http.Client, t *targets) error {
	var item struct{ ID string }
	if err := call(ctx, client, http.MethodPost, t.bareURL+"/items", []byte(`{"name":"Acme","orgId":"o1"}`), jsonHeader(""), &item); err != nil {
		return fmt.Errorf("seed bare: %w", err)
	}
	var ws struct{ ID string }
	if err := call(ctx, client, http.MethodPost, t.fake.HubURL+"/org-workspaces",
		[]byte(`{"orgId":"`+t.fake.OrgID+`","name":"Acme"}`), jsonHeader(t.fake.AdminToken), &ws); err != nil {
		return fmt.Errorf("seed fake: %w", err)
	}
	t.bareItem, t.fakeWorkspace = item.ID, ws.ID
	return nil
}

// call sends one request and decodes its 200 answer into out.
func call(ctx context.Context, client *http.Client, method, url string, body []byte, header http.Header, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header = header.Clone()
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: %s: %s", method, url, resp.Status, b)
	}
	return json.Unmarshal(b, out)
}

// load runs one scenario: st.conns workers send requests for st.warmup unmeasured, then for
// st.duration measured, while the server's CPU time is read before and after.
func load(ctx context.Context, client *http.Client, t *targets, sc scenario, pid int, st settings) (scenarioResult, error) {
	method, url, body, header := sc.request(t)
	res := scenarioResult{Name: sc.name, What: sc.what, Baseline: sc.baseline}
	if st.warmup > 0 {
		if _, err := hammer(ctx, client, method, url, body, header, st.conns, st.warmup); err != nil {
			return res, err
		}
	}
	before, err := cpuTime(pid)
	if err != nil {
		return res, err
	}
	start := time.Now()
	out, err := hammer(ctx, client, method, url, body, header, st.conns, st.duration)
	if err != nil {
		return res, err
	}
	elapsed := time.Since(start)
	after, err := cpuTime(pid)
	if err != nil {
		return res, err
	}
	res.Requests, res.Errors, res.FirstError = out.ok, out.errors, out.firstError
	if res.Requests == 0 {
		return res, fmt.Errorf("no request succeeded: %s", out.firstError)
	}
	res.PerSecond = float64(res.Requests) / elapsed.Seconds()
	res.CPUMicros = float64(after-before) / float64(time.Microsecond) / float64(res.Requests+res.Errors)
	slices.Sort(out.latencies)
	res.P50Micros = micros(out.latencies[len(out.latencies)/2])
	res.P99Micros = micros(out.latencies[len(out.latencies)*99/100])
	return res, nil
}

type hammerResult struct {
	ok, errors int64
	firstError string
	latencies  []time.Duration
}

// hammer sends the same request from conns workers until d has passed. Requests cut short by
// the end of d are not counted.
func hammer(ctx context.Context, client *http.Client, method, url string, body []byte, header http.Header, conns int, d time.Duration) (hammerResult, error) {
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	results := make([]hammerResult, conns)
	var wg sync.WaitGroup
	for w := range conns {
		wg.Go(func() {
			r := &results[w]
			r.latencies = make([]time.Duration, 0, 4096)
			for ctx.Err() == nil {
				req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
				if err != nil {
					r.errors++
					r.firstError = err.Error()
					return
				}
				req.Header = header.Clone()
				t0 := time.Now()
				resp, err := client.Do(req)
				if err == nil {
					_, err = io.Copy(io.Discard, resp.Body)
					_ = resp.Body.Close()
				}
				lat := time.Since(t0)
				switch {
				case ctx.Err() != nil:
					return // cut short by the deadline
				case err != nil:
					r.errors++
					if r.firstError == "" {
						r.firstError = err.Error()
					}
				case resp.StatusCode != http.StatusOK:
					r.errors++
					if r.firstError == "" {
						r.firstError = method + " " + url + ": " + resp.Status
					}
				default:
					r.ok++
					r.latencies = append(r.latencies, lat)
				}
			}
		})
	}
	wg.Wait()
	if err := parent.Err(); err != nil {
		return hammerResult{}, err
	}
	var all hammerResult
	for _, r := range results {
		all.ok += r.ok
		all.errors += r.errors
		if all.firstError == "" {
			all.firstError = r.firstError
		}
		all.latencies = append(all.latencies, r.latencies...)
	}
	return all, nil
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
