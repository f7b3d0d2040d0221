package fake

import (
	"log/slog"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

// env is what the hub, the instances and the faults take from the server that builds them:
// the clock, the id source, the logger, the transport that reaches instances, and the edge
// every request passes through (faults and journal). Nothing in it points back at the Server.
type env struct {
	clock       func() time.Time
	ids         *idSource
	logger      *slog.Logger // nil: no logs
	transport   *transport
	faults      *Faults
	journal     *journal
	tokenTTL    time.Duration // lifetime of minted workspace tokens
	secretGrace time.Duration // how long a rotated-out secret still verifies tokens

	reqPrefix string
	reqSeq    atomic.Uint64

	// orgOf names the org a request is about, for the journal (the hub's journalOrg); nil for
	// an instance that runs alone. Set before serving.
	orgOf func(r *http.Request, server string) string
	// onChange is WithChangeHook's func, or nil.
	onChange func()
}

// newEnv builds the environment of a server (or a lone instance) configured by cfg.
func newEnv(cfg config) *env {
	ids := &idSource{r: cfg.random}
	e := &env{
		clock: cfg.now, ids: ids, logger: cfg.logger, transport: newTransport(),
		faults: &Faults{ids: ids}, journal: &journal{},
		tokenTTL: cfg.tokenTTL, secretGrace: cfg.secretGrace, onChange: cfg.onChange,
	}
	// Instances in other processes are reached over real connections, kept open for reuse.
	e.transport.next = &http.Transport{
		Proxy:               nil,
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     90 * time.Second,
	}
	e.transport.logger = cfg.logger
	e.reqPrefix = ids.objectID()[:8]
	return e
}

// now is the time as the API writes it: UTC, to the millisecond.
func (e *env) now() time.Time { return e.clock().UTC().Truncate(time.Millisecond) }

// requestID returns the id of a new request, unique in this process.
func (e *env) requestID() string {
	return "req-" + e.reqPrefix + "-" + strconv.FormatUint(e.reqSeq.Add(1), 10)
}
