package fake

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"time"
)

// Option configures a Server made by New or NewServer.
type Option func(*config) error

type config struct {
	now      func() time.Time
	random   io.Reader
	tokenTTL time.Duration
	logger   *slog.Logger
	addr     string
	orgName  string
}

func defaultConfig() config {
	return config{
		now:      time.Now,
		random:   rand.Reader,
		tokenTTL: time.Hour,
		addr:     "127.0.0.1:0",
		orgName:  "Default Org",
	}
}

// WithClock makes the server read the time from now instead of the wall clock: timestamps,
// token lifetimes and idempotency expiry all follow it.
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
// get byte-identical answers.
func WithRandom(r io.Reader) Option {
	return func(c *config) error {
		if r == nil {
			return errors.New("fake: WithRandom: nil reader")
		}
		c.random = r
		return nil
	}
}

// WithSeed is WithRandom with a deterministic stream derived from seed.
func WithSeed(seed uint64) Option {
	var s [32]byte
	for i := range 8 {
		s[i] = byte(seed >> (8 * i))
	}
	return WithRandom(mrand.NewChaCha8(s))
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

// WithLogger makes the server log each request it answers at debug level (default: no logs).
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
