package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"time"
)

// settings are what the flags and their environment variables say.
type settings struct {
	mode        string // "all", "hub" or "instance"
	addr        string
	instances   []string   // all: extra instances
	remotes     []idAndURL // hub: instances in other processes
	id          string     // instance: its id
	engineToken string
	seed        string
	stateFile   string // where the state is kept across restarts; "" for none
	tokenTTL    time.Duration
	grace       time.Duration
	wait        time.Duration
	logLevel    slog.Level
}

type idAndURL struct{ id, url string }

// remoteList is the repeatable --instance flag: id=URL pairs, comma-separated or repeated.
type remoteList struct {
	list  *[]idAndURL
	reset bool // the first use on the command line replaces the environment's list
}

func (r *remoteList) String() string { return "" }

func (r *remoteList) Set(v string) error {
	if !r.reset {
		*r.list, r.reset = nil, true
	}
	for part := range strings.SplitSeq(v, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		id, url, ok := strings.Cut(part, "=")
		if !ok || id == "" || url == "" {
			return fmt.Errorf("%q is not id=URL", part)
		}
		*r.list = append(*r.list, idAndURL{id: strings.TrimSpace(id), url: strings.TrimSpace(url)})
	}
	return nil
}

// errHelp is returned when -h was asked for: the usage was printed, and that is no failure.
var errHelp = errors.New("help requested")

// parseSettings reads the mode (the first argument, when it is "hub" or "instance"), then the
// flags. An environment variable gives each flag its default.
func parseSettings(args []string, getenv func(string) string, stderr io.Writer) (settings, error) {
	st := settings{mode: "all"}
	if len(args) > 0 && (args[0] == "hub" || args[0] == "instance") {
		st.mode, args = args[0], args[1:]
	}
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	fs := flag.NewFlagSet("membrane-fake", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { usage(fs, st.mode, stderr) }
	fs.StringVar(&st.addr, "addr", env("MEMBRANE_FAKE_ADDR", "127.0.0.1:0"),
		"listen address; port 0 picks a free port (env MEMBRANE_FAKE_ADDR)")
	ttl := fs.String("token-ttl", env("MEMBRANE_FAKE_TOKEN_TTL", "1h"),
		"lifetime of the tokens the access-token endpoint mints (env MEMBRANE_FAKE_TOKEN_TTL)")
	grace := fs.String("secret-grace", env("MEMBRANE_FAKE_SECRET_GRACE", "0s"),
		"how long a rotated-out workspace secret still verifies tokens (env MEMBRANE_FAKE_SECRET_GRACE)")
	level := fs.String("log-level", env("MEMBRANE_FAKE_LOG_LEVEL", "debug"),
		"debug logs every request; info, warn and error log less (env MEMBRANE_FAKE_LOG_LEVEL)")
	fs.StringVar(&st.stateFile, "state-file", env("MEMBRANE_FAKE_STATE_FILE", ""),
		"JSON file that keeps the state across restarts: loaded at start, saved after changes; one per process (env MEMBRANE_FAKE_STATE_FILE)")
	var instances, wait string
	switch st.mode {
	case "all":
		fs.StringVar(&instances, "instances", env("MEMBRANE_FAKE_INSTANCES", ""),
			"comma-separated ids of instances to run beside the hub's own, each on its own port (env MEMBRANE_FAKE_INSTANCES)")
		fs.StringVar(&st.seed, "seed", env("MEMBRANE_FAKE_SEED", ""),
			"JSON file of orgs, members and workspaces to load at start (env MEMBRANE_FAKE_SEED)")
	case "hub":
		remotes := &remoteList{list: &st.remotes}
		if v := getenv("MEMBRANE_FAKE_INSTANCE"); v != "" {
			if err := remotes.Set(v); err != nil {
				return st, fmt.Errorf("MEMBRANE_FAKE_INSTANCE: %w", err)
			}
			remotes.reset = false
		}
		fs.Var(remotes, "instance", "an instance in another process as id=URL; repeat it or separate with commas (env MEMBRANE_FAKE_INSTANCE)")
		fs.StringVar(&st.engineToken, "engine-token", "", "engine token of the instances (env MEMBRANE_FAKE_ENGINE_TOKEN)")
		fs.StringVar(&st.seed, "seed", env("MEMBRANE_FAKE_SEED", ""),
			"JSON file of orgs, members and workspaces to load at start (env MEMBRANE_FAKE_SEED)")
		fs.StringVar(&wait, "wait", env("MEMBRANE_FAKE_WAIT", "5s"),
			"how long to wait at start for the instances to answer (env MEMBRANE_FAKE_WAIT)")
	case "instance":
		fs.StringVar(&st.id, "id", env("MEMBRANE_FAKE_ID", ""), "the instance's id, e.g. eu (env MEMBRANE_FAKE_ID)")
		fs.StringVar(&st.engineToken, "engine-token", "",
			"the token the hub sends to the engine API, at least 16 characters (env MEMBRANE_FAKE_ENGINE_TOKEN)")
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return st, errHelp
		}
		return st, err
	}
	if fs.NArg() > 0 {
		return st, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if st.engineToken == "" {
		// Read after the flags, not as the flag's default: usage text prints defaults, and the
		// token is a secret.
		st.engineToken = getenv("MEMBRANE_FAKE_ENGINE_TOKEN")
	}
	if _, port, err := net.SplitHostPort(st.addr); err != nil || port == "" {
		return st, fmt.Errorf("--addr %q: want host:port, such as 127.0.0.1:0", st.addr)
	}
	var err error
	if st.tokenTTL, err = time.ParseDuration(*ttl); err != nil || st.tokenTTL <= 0 {
		return st, fmt.Errorf("--token-ttl %q: want a positive duration such as 30m or 2h", *ttl)
	}
	if st.grace, err = time.ParseDuration(*grace); err != nil || st.grace < 0 {
		return st, fmt.Errorf("--secret-grace %q: want a duration such as 0s or 5m", *grace)
	}
	if err := st.logLevel.UnmarshalText([]byte(*level)); err != nil {
		return st, fmt.Errorf("--log-level %q: want debug, info, warn or error", *level)
	}
	for id := range strings.SplitSeq(instances, ",") {
		if id = strings.TrimSpace(id); id != "" {
			st.instances = append(st.instances, id)
		}
	}
	switch st.mode {
	case "hub":
		if st.wait, err = time.ParseDuration(wait); err != nil || st.wait < 0 {
			return st, fmt.Errorf("--wait %q: want a duration such as 5s", wait)
		}
		if len(st.remotes) > 0 && st.engineToken == "" {
			return st, errors.New("--engine-token is required with --instance")
		}
	case "instance":
		if st.id == "" {
			return st, errors.New("--id is required")
		}
		if st.engineToken == "" {
			return st, errors.New("--engine-token is required: the hub must send the same one")
		}
	}
	return st, nil
}

func usage(fs *flag.FlagSet, mode string, w io.Writer) {
	switch mode {
	case "hub":
		fmt.Fprintln(w, "Usage: membrane-fake hub --instance ID=URL [--instance ...] --engine-token TOKEN [flags]")
		fmt.Fprintln(w, "Runs a hub (with its own instance \"hub\") that routes to instances in other processes.")
	case "instance":
		fmt.Fprintln(w, "Usage: membrane-fake instance --id ID --engine-token TOKEN [flags]")
		fmt.Fprintln(w, "Runs one instance alone, for a hub in another process.")
	default:
		fmt.Fprintln(w, "Usage: membrane-fake [flags]            hub and instances in one process")
		fmt.Fprintln(w, "       membrane-fake hub [flags]        a hub routing to instances in other processes")
		fmt.Fprintln(w, "       membrane-fake instance [flags]   one instance alone")
	}
	fmt.Fprintln(w, "\nFlags:")
	fs.PrintDefaults()
}
