// Command bulk provisions many org workspaces at once, as a provisioning job does, then lists
// the org to check that each was made exactly once.
//
// Every create carries an Idempotency-Key made of the run id and the item's index, so running
// the same job again with the same -run-id finishes what a failed run left undone and never
// makes a workspace twice. Progress goes to stderr; one summary line goes to stdout.
//
// With MEMBRANE_API_URL, MEMBRANE_TOKEN and MEMBRANE_ORG_ID set it talks to that server;
// otherwise it builds the fake in process (no socket) and talks to that.
//
//	go run ./examples/bulk -n 10000 -concurrency 16
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	membrane "github.com/membrane-community/membrane-go"
	"github.com/membrane-community/membrane-go/fake"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "bulk:", err)
	}
	stop()
	os.Exit(exitCode(err))
}

// usageError is a flag or argument the command refuses: it exits with 2, as flag parsing
// errors do in Go commands.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// exitCode is the status the command exits with after err: 0 on success or when -h asked for
// the usage, 2 for bad flags, 1 for anything else.
func exitCode(err error) int {
	var ue *usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		return 2
	}
	return 1
}

// progressEvery is how often the progress line is redrawn.
const progressEvery = 100 * time.Millisecond

// settings are what the flags say.
type settings struct {
	n, concurrency int
	runID          string
}

func parseSettings(args []string, stderr io.Writer) (settings, error) {
	var st settings
	fs := flag.NewFlagSet("bulk", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&st.n, "n", 1000, "how many workspaces to provision")
	fs.IntVar(&st.concurrency, "concurrency", 16, "how many creates are in flight at once")
	fs.StringVar(&st.runID, "run-id", "", "the run's id, part of every idempotency key and name; "+
		"give a failed run's id to finish it without duplicates (default: a new random id)")
	if err := fs.Parse(args); err != nil {
		return st, err
	}
	switch {
	case fs.NArg() > 0:
		return st, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case st.n < 1:
		return st, fmt.Errorf("-n %d: want at least 1", st.n)
	case st.concurrency < 1 || st.concurrency > 1024:
		return st, fmt.Errorf("-concurrency %d: want 1 to 1024", st.concurrency)
	case len(st.runID) > 64 || strings.ContainsFunc(st.runID, func(r rune) bool { return r <= ' ' || r > '~' }):
		return st, fmt.Errorf("-run-id %q: want at most 64 printable ASCII characters, no spaces", st.runID)
	}
	if st.runID == "" {
		var b [6]byte
		_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
		st.runID = hex.EncodeToString(b[:])
	}
	return st, nil
}

// target is where the workspaces are made: a base URL, a platform token, an org, and the HTTP
// client that reaches them.
type target struct {
	url, token, orgID string
	httpClient        *http.Client
}

// chooseTarget picks the server; a real one is reached over up to conns kept-alive connections.
func chooseTarget(getenv func(string) string, conns int) (target, func(), error) {
	url, token, org := getenv("MEMBRANE_API_URL"), getenv("MEMBRANE_TOKEN"), getenv("MEMBRANE_ORG_ID")
	switch {
	case url != "" && token != "" && org != "":
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = conns // keep every worker's connection open between creates
		hc := &http.Client{Transport: tr, Timeout: time.Minute}
		return target{url: url, token: token, orgID: org, httpClient: hc}, hc.CloseIdleConnections, nil
	case url != "" || token != "" || org != "":
		return target{}, nil, errors.New("set all of MEMBRANE_API_URL, MEMBRANE_TOKEN and MEMBRANE_ORG_ID, or none of them to use the fake")
	}
	srv, err := fake.New()
	if err != nil {
		return target{}, nil, err
	}
	return target{url: srv.URL(), token: srv.AdminToken(), orgID: srv.OrgID(), httpClient: srv.HTTPClient()}, srv.Close, nil
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	st, err := parseSettings(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return &usageError{err}
	}
	tg, closeTarget, err := chooseTarget(getenv, st.concurrency)
	if err != nil {
		return err
	}
	defer closeTarget()
	client, err := membrane.NewClient(
		membrane.WithBaseURL(tg.url),
		membrane.WithToken(tg.token),
		membrane.WithHTTPClient(tg.httpClient),
	)
	if err != nil {
		return err
	}

	start := time.Now()
	created, err := provision(ctx, client, tg.orgID, st, stderr)
	elapsed := time.Since(start)
	if err != nil {
		return fmt.Errorf("run %s: %d of %d created: %w (run again with -run-id %s to finish without duplicates)",
			st.runID, created, st.n, err, st.runID)
	}

	listStart := time.Now()
	listed, err := countRun(ctx, client, tg.orgID, st.runID)
	listElapsed := time.Since(listStart)
	if err != nil {
		return fmt.Errorf("run %s: list: %w", st.runID, err)
	}
	if listed != st.n {
		return fmt.Errorf("run %s: created %d workspaces but the org lists %d of them", st.runID, st.n, listed)
	}
	fmt.Fprintf(stdout, "run %s: provisioned %d workspaces in %s (%s/s) with concurrency %d; listed %d back in %s\n",
		st.runID, st.n, round(elapsed), thousands(float64(st.n)/elapsed.Seconds()), st.concurrency, listed, round(listElapsed))
	return nil
}

// provision creates the run's n workspaces with st.concurrency creates in flight, drawing a
// progress line on stderr. It stops at the first failure and returns how many were created.
func provision(ctx context.Context, client *membrane.Client, orgID string, st settings, stderr io.Writer) (int, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var next, done atomic.Int64
	var wg sync.WaitGroup
	for range min(st.concurrency, st.n) {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= st.n {
					return
				}
				_, err := client.OrgWorkspaces.Create(ctx, &membrane.CreateOrgWorkspaceRequest{
					OrgID: orgID,
					Name:  workspaceName(st.runID, i),
				}, membrane.WithIdempotencyKey("bulk-"+st.runID+"-"+strconv.Itoa(i)))
				if err != nil {
					cancel(fmt.Errorf("workspace %d: %w", i, err))
					return
				}
				done.Add(1)
			}
		})
	}

	start := time.Now()
	draw := func() {
		n := done.Load()
		fmt.Fprintf(stderr, "\rprovisioned %d/%d (%s/s)", n, st.n, thousands(float64(n)/time.Since(start).Seconds()))
	}
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	tick := time.NewTicker(progressEvery)
	defer tick.Stop()
	for waiting := true; waiting; {
		select {
		case <-tick.C:
			draw()
		case <-finished:
			waiting = false
		}
	}
	draw()
	fmt.Fprintln(stderr)
	return int(done.Load()), context.Cause(ctx)
}

// workspaceName names item i of a run; the run id in it is what countRun searches for.
func workspaceName(runID string, i int) string { return "bulk " + runID + " #" + strconv.Itoa(i) }

// countRun counts the org's workspaces that belong to the run, page by page.
func countRun(ctx context.Context, client *membrane.Client, orgID, runID string) (int, error) {
	prefix := "bulk " + runID + " #"
	n := 0
	for ws, err := range client.OrgWorkspaces.All(ctx, &membrane.ListOrgWorkspacesOptions{
		OrgID: orgID, Search: prefix, Limit: 1000,
	}) {
		if err != nil {
			return n, err
		}
		if strings.HasPrefix(ws.Name, prefix) {
			n++
		}
	}
	return n, nil
}

func round(d time.Duration) time.Duration {
	if d > time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(10 * time.Microsecond)
}

// thousands formats a rate with no decimals and commas between thousands: 3912.4 → "3,912".
func thousands(f float64) string {
	if !(f >= 0 && f < 1e15) { // NaN, infinite or absurd: a rate over no time at all
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
