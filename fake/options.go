package fake

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Option configures a Server made by New or NewServer.
type Option func(*config) error

type config struct {
	now          func() time.Time
	random       io.Reader
	tokenTTL     time.Duration
	logger       *slog.Logger
	addr         string
	instanceAddr string
	orgName      string
	engineToken  string
	instances    []string
	remotes      []remoteInstance
	secretGrace  time.Duration
	onChange     func()
}

// remoteInstance is an instance in another process that the hub routes to.
type remoteInstance struct {
	id, url, engineToken string
}

// readOptions applies opts to the defaults.
func readOptions(opts []Option) (config, error) {
	cfg := defaultConfig()
	for _, opt := range opts {
		if opt == nil {
			return config{}, errors.New("fake: nil option")
		}
		if err := opt(&cfg); err != nil {
			return config{}, err
		}
	}
	return cfg, nil
}

func defaultConfig() config {
	return config{
		now:          time.Now,
		random:       rand.Reader,
		tokenTTL:     time.Hour,
		addr:         "127.0.0.1:0",
		instanceAddr: "127.0.0.1:0",
		orgName:      "Default Org",
	}
}

// WithClock makes the server read the time from now instead of the wall clock: timestamps,
// token lifetimes and idempotency expiry all follow it.
//
// The workspace API checks the exp claim of every workspace token against this clock (with 30s
// of leeway), so a token minted offline must be minted with the same clock. With the SDK, give
// the clock to the claims, then mint from the workspace's key and secret:
//
//	claims := membrane.WorkspaceClaims{Now: now}
//	token, err := membrane.MintWorkspaceToken(ws.Key, ws.Secret, claims)
//	// or: membrane.WithWorkspaceCredentials(ws.Key, ws.Secret, claims)
//
// A token minted with the wall clock is refused as expired once the fake's clock has moved past
// its exp, and one whose exp is far ahead of this clock is accepted until the clock reaches it.
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return errors.New("fake: WithClock: nil clock")
		}
		c.now = now
		return nil
	}
}

// WithRandom makes the server draw every id, key, secret and token from r instead of
// crypto/rand. With a deterministic reader and WithClock, two runs that send the same requests
// get byte-identical responses.
func WithRandom(r io.Reader) Option {
	return func(c *config) error {
		if r == nil {
			return errors.New("fake: WithRandom: nil reader")
		}
		c.random = r
		return nil
	}
}

// WithSeed is WithRandom with a deterministic stream derived from seed. Each server built with
// the option gets a stream of its own, from the start.
func WithSeed(seed uint64) Option {
	return func(c *config) error {
		var s [32]byte
		for i := range 8 {
			s[i] = byte(seed >> (8 * i))
		}
		c.random = mrand.NewChaCha8(s)
		return nil
	}
}

// WithTokenTTL sets the lifetime of the workspace tokens minted by the access-token endpoint
// (default one hour).
func WithTokenTTL(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("fake: WithTokenTTL: lifetime must be positive, got %s", d)
		}
		c.tokenTTL = d
		return nil
	}
}

// WithLogger makes the server log each request it serves at debug level (default: no logs).
// Tokens and secrets are never logged.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return errors.New("fake: WithLogger: nil logger")
		}
		c.logger = l
		return nil
	}
}

// WithAddr sets the address Start listens on for the hub (default "127.0.0.1:0", a free port).
func WithAddr(addr string) Option {
	return func(c *config) error {
		if addr == "" {
			return errors.New("fake: WithAddr: empty address")
		}
		c.addr = addr
		return nil
	}
}

// WithInstances adds instances beside the hub's own, each with its own id (the
// membraneInstanceId that places a workspace there), store, engine token and base URL: its own
// host in process, and its own loopback port once the server is started.
func WithInstances(ids ...string) Option {
	return func(c *config) error {
		for _, id := range ids {
			if err := checkInstanceID(id); err != nil {
				return fmt.Errorf("fake: WithInstances: %w", err)
			}
			if id == hubInstanceID || slices.Contains(c.instances, id) || c.hasRemote(id) {
				return fmt.Errorf("fake: WithInstances: instance %q is given twice", id)
			}
			c.instances = append(c.instances, id)
		}
		return nil
	}
}

// WithRemoteInstance registers an instance that runs in another process (see NewInstance) at
// baseURL, reached with its engine token.
func WithRemoteInstance(id, baseURL, engineToken string) Option {
	return func(c *config) error {
		if err := checkInstanceID(id); err != nil {
			return fmt.Errorf("fake: WithRemoteInstance: %w", err)
		}
		if id == hubInstanceID || slices.Contains(c.instances, id) || c.hasRemote(id) {
			return fmt.Errorf("fake: WithRemoteInstance: instance %q is given twice", id)
		}
		u, err := url.Parse(baseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
			return fmt.Errorf("fake: WithRemoteInstance: %q is not an http(s) base URL", baseURL)
		}
		if engineToken == "" {
			return fmt.Errorf("fake: WithRemoteInstance: instance %q: empty engine token", id)
		}
		c.remotes = append(c.remotes, remoteInstance{id: id, url: strings.TrimSuffix(baseURL, "/"), engineToken: engineToken})
		return nil
	}
}

func (c *config) hasRemote(id string) bool {
	return slices.ContainsFunc(c.remotes, func(r remoteInstance) bool { return r.id == id })
}

// WithEngineToken sets the token of the engine API of the instances this server (or
// NewInstance) runs, instead of a random one per instance.
func WithEngineToken(token string) Option {
	return func(c *config) error {
		if len(token) < 16 {
			return errors.New("fake: WithEngineToken: the token must be at least 16 characters")
		}
		c.engineToken = token
		return nil
	}
}

// WithSecretGracePeriod keeps the old secret of a workspace valid for d after a rotation, beside
// the new one, so that tokens already out keep working for a while (default 0: the old secret
// stops at once).
func WithSecretGracePeriod(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 {
			return fmt.Errorf("fake: WithSecretGracePeriod: %s is negative", d)
		}
		c.secretGrace = d
		return nil
	}
}
