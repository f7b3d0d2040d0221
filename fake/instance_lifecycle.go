package fake

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
)

// Instance is one instance of a fake deployment: it runs workspaces and serves their workspace
// API and the engine API the hub calls. Get one from Server.Instance, or run one alone with
// NewInstance. It is safe for concurrent use.
type Instance struct {
	in     *instance
	host   string        // its host in the in-process transport; "" for the hub's own instance
	hubURL func() string // the hub's URL, where the hub's own instance is served

	stopped atomic.Bool
	url     atomic.Value // string

	mu       sync.Mutex
	listen   bool // Start opens a listener (the server was started, or the instance runs alone)
	listener listener
	closed   bool
}

// checkInstanceID accepts 1 to 63 lowercase letters, digits and dashes, the first not a dash.
func checkInstanceID(id string) error {
	ok := len(id) >= 1 && len(id) <= 63 && id[0] != '-'
	for i := 0; ok && i < len(id); i++ {
		c := id[i]
		ok = c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-'
	}
	if !ok {
		return fmt.Errorf("instance id %q: use 1 to 63 lowercase letters, digits and dashes", id)
	}
	return nil
}

// newInstanceHandle makes instance id, with its own in-process host.
func newInstanceHandle(e *env, cfg config, id string) *Instance {
	i := &Instance{in: newInstance(e, id, id, cfg.engineToken), host: id + ".instance.membrane.invalid"}
	i.url.Store("http://" + i.host)
	i.listener.addr, i.listener.logger = cfg.instanceAddr, e.logger
	e.transport.set(i.host, i)
	return i
}

// newHubInstance makes the instance the hub hosts itself, served at the hub's URL.
func newHubInstance(e *env, engineToken string, hubURL func() string) *Instance {
	return &Instance{in: newInstance(e, hubInstanceID, "Hub", engineToken), hubURL: hubURL}
}

// NewInstance builds an instance that runs alone, for a deployment where the hub and each
// instance are separate processes: the hub reaches it with fake.WithRemoteInstance and the
// engine token (fake.WithEngineToken sets it; otherwise it is random). It has no socket until
// Start. Options that concern the hub are ignored.
func NewInstance(id string, opts ...Option) (*Instance, error) {
	if err := checkInstanceID(id); err != nil {
		return nil, fmt.Errorf("fake: %w", err)
	}
	cfg, err := readOptions(opts)
	if err != nil {
		return nil, err
	}
	cfg.instanceAddr = cfg.addr
	i := newInstanceHandle(newEnv(cfg), cfg, id)
	i.listen = true
	return i, nil
}

// ID is the instance's id, the membraneInstanceId of the workspaces it hosts.
func (i *Instance) ID() string { return i.in.id }

// URL is the instance's base URL, the apiBaseUri of the workspaces it hosts. The hub's own
// instance is served at the hub's URL.
func (i *Instance) URL() string {
	if i.host == "" {
		return i.hubURL()
	}
	return i.url.Load().(string)
}

// EngineToken is the token the hub sends to the instance's engine API.
func (i *Instance) EngineToken() string { return i.in.engineToken }

// Handler is the instance's http.Handler.
func (i *Instance) Handler() http.Handler { return i }

// ServeHTTP serves as the instance, or drops the connection while it is stopped.
func (i *Instance) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if i.stopped.Load() {
		abort(w)
		return
	}
	if i.host == "" { // the hub's own: the hub's edge has seen the request
		i.in.ServeHTTP(w, r)
		return
	}
	i.in.env.serveEdge(w, r, i.in.id, false, i.in)
}

// Stop makes the instance unreachable, as if its process were down: its listener closes and
// in-process requests fail with a connection error. Its state is kept for Start.
func (i *Instance) Stop() {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.stopped.Store(true)
	i.listener.stop()
}

// Start makes the instance reachable again, at the same URL, with the state it had. An
// instance that runs alone, or one whose server was started, listens on its address (the
// same port as before, once it has had one).
func (i *Instance) Start() error {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.closed {
		return errors.New("fake: instance " + i.in.id + ": Start after Close")
	}
	if i.listen && i.host != "" && !i.listener.listening() {
		url, err := i.listener.start(i)
		if err != nil {
			return fmt.Errorf("fake: instance %s: %w", i.in.id, err)
		}
		i.in.env.transport.set(i.listener.addr, i)
		i.url.Store(url)
	}
	i.stopped.Store(false)
	return nil
}

// Shutdown stops the instance's listener gracefully: no new connections, and the requests in
// flight finish (until ctx ends). Then it closes the instance.
func (i *Instance) Shutdown(ctx context.Context) error {
	i.mu.Lock()
	err := i.listener.shutdown(ctx)
	i.mu.Unlock()
	i.Close()
	return err
}

// Close stops the instance for good.
func (i *Instance) Close() {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.closed = true
	i.stopped.Store(true)
	i.listener.stop()
}

// stopListening closes the instance's listener and goes back to serving in process only.
func (i *Instance) stopListening() {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.listener.stop()
	i.listen = false
	i.url.Store("http://" + i.host)
}

// serveOnListener is Start for an instance of a server that has just started listening.
func (i *Instance) serveOnListener() error {
	i.mu.Lock()
	i.listen = true
	i.mu.Unlock()
	if i.stopped.Load() {
		return nil // it listens when started
	}
	return i.Start()
}
