package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/membrane-community/membrane-go/fake"
)

// shutdownGrace is how long requests in flight may take to finish after a signal.
const shutdownGrace = 5 * time.Second

// run serves until ctx ends and returns the exit code: 0 after a clean shutdown, 1 when the
// server cannot start, 2 for bad flags.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	return runWith(ctx, args, getenv, stdout, stderr, hooks{})
}

// runWith is run with hooks for tests.
func runWith(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, h hooks) int {
	st, err := parseSettings(args, getenv, stderr)
	switch {
	case errors.Is(err, errHelp):
		return 0
	case err != nil:
		fmt.Fprintln(stderr, "membrane-fake:", err)
		return 2
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: st.logLevel}))
	var stopServing func(context.Context) error
	switch st.mode {
	case "instance":
		stopServing, err = startInstance(ctx, st, logger, stdout, h)
	default:
		stopServing, err = startHub(ctx, st, logger, stdout, h)
	}
	if err != nil {
		fmt.Fprintln(stderr, "membrane-fake:", err)
		if errors.As(err, new(*badValue)) {
			return 2
		}
		return 1
	}
	<-ctx.Done()
	logger.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := stopServing(sctx); err != nil {
		logger.Warn("shutdown", "error", err)
	}
	return 0
}

// badValue is a flag value (or what a flag names, such as the seed file) that the server
// refuses: the command exits with 2, as for any bad flag.
type badValue struct{ err error }

func (e *badValue) Error() string { return e.err.Error() }
func (e *badValue) Unwrap() error { return e.err }

// ready is the line printed on start.
type ready struct {
	HubURL     string `json:"hubUrl"`
	OrgID      string `json:"orgId"`
	AdminToken string `json:"adminToken"`
	// UIURL opens the inspector page signed in: the admin token is in the URL's fragment,
	// which the browser never sends to the server.
	UIURL     string          `json:"uiUrl"`
	Instances []readyInstance `json:"instances"`
}

type readyInstance struct {
	ID  string `json:"id"`
	URL string `json:"url"`
}

func printLine(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// startHub starts a hub with its instances, in this process or (mode hub) in others.
func startHub(ctx context.Context, st settings, logger *slog.Logger, stdout io.Writer, h hooks) (func(context.Context) error, error) {
	opts := []fake.Option{fake.WithAddr(st.addr), fake.WithTokenTTL(st.tokenTTL), fake.WithLogger(logger),
		fake.WithSecretGracePeriod(st.grace)}
	if len(st.instances) > 0 {
		opts = append(opts, fake.WithInstances(st.instances...))
	}
	for _, r := range st.remotes {
		opts = append(opts, fake.WithRemoteInstance(r.id, r.url, st.engineToken))
	}
	var seed fake.Seed
	if st.seed != "" {
		b, err := os.ReadFile(st.seed)
		if err != nil {
			return nil, &badValue{fmt.Errorf("--seed: %w", err)}
		}
		if seed, err = fake.ParseSeed(b); err != nil {
			return nil, &badValue{fmt.Errorf("--seed %s: %w", st.seed, err)}
		}
	}
	sf, saved, err := openStateFile(st, logger, h)
	if err != nil {
		return nil, err
	}
	srv, err := fake.New(append(opts, sf.options()...)...)
	if err != nil {
		return nil, &badValue{err}
	}
	for _, r := range st.remotes {
		if err := waitReachable(ctx, r, st.wait); err != nil {
			return nil, err
		}
	}
	if err := srv.Start(); err != nil {
		return nil, err
	}
	if err := loadHubState(ctx, srv, seed, st.seed, sf, saved); err != nil {
		srv.Close()
		return nil, err
	}
	line := ready{HubURL: srv.URL(), OrgID: srv.OrgID(), AdminToken: srv.AdminToken(),
		UIURL: inspectorURL(srv.URL(), srv.AdminToken()), Instances: []readyInstance{}}
	for _, id := range st.instances {
		line.Instances = append(line.Instances, readyInstance{ID: id, URL: srv.Instance(id).URL()})
	}
	for _, r := range st.remotes {
		line.Instances = append(line.Instances, readyInstance{ID: r.id, URL: r.url})
	}
	if err := printLine(stdout, line); err != nil {
		srv.Close()
		return nil, err
	}
	logger.Info("serving", "hub", srv.URL(), "instances", len(line.Instances))
	return serveWithStateFile(ctx, sf, srv.Shutdown), nil
}

// inspectorURL is the address of the inspector page, signed in with token.
func inspectorURL(hubURL, token string) string {
	return hubURL + "/_fake/ui#token=" + url.QueryEscape(token)
}

// startInstance starts one instance alone.
func startInstance(ctx context.Context, st settings, logger *slog.Logger, stdout io.Writer, h hooks) (func(context.Context) error, error) {
	sf, saved, err := openStateFile(st, logger, h)
	if err != nil {
		return nil, err
	}
	inst, err := fake.NewInstance(st.id, append([]fake.Option{fake.WithAddr(st.addr), fake.WithEngineToken(st.engineToken),
		fake.WithTokenTTL(st.tokenTTL), fake.WithLogger(logger), fake.WithSecretGracePeriod(st.grace)}, sf.options()...)...)
	if err != nil {
		return nil, &badValue{err}
	}
	if err := loadInstanceState(ctx, inst, sf, saved); err != nil {
		return nil, err
	}
	if err := inst.Start(); err != nil {
		return nil, err
	}
	if err := printLine(stdout, readyInstance{ID: inst.ID(), URL: inst.URL()}); err != nil {
		inst.Close()
		return nil, err
	}
	logger.Info("serving", "instance", inst.ID(), "url", inst.URL())
	return serveWithStateFile(ctx, sf, inst.Shutdown), nil
}

// waitReachable waits until the instance answers its health check, for at most wait.
func waitReachable(ctx context.Context, r idAndURL, wait time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	var last error
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.url+"/", nil)
		if err != nil {
			return fmt.Errorf("instance %s: %w", r.id, err)
		}
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("health check answered %d", resp.StatusCode)
		}
		last = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("instance %s at %s is unreachable: %v", r.id, r.url, last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
