// Package fake is an in-memory server of the Membrane Management API and workspace API, for
// tests and for trying the API by hand.
//
// A Server holds a hub (orgs, members, org workspaces) that hosts its own instance, "hub", as in
// a single-instance deployment: workspace tokens work at the hub's URL. State, validation, auth
// and error responses follow the contract in docs/contract.md.
//
// In a test, NewServer starts one on loopback and closes it when the test ends:
//
//	srv := fake.NewServer(t)
//	// srv.URL(), srv.AdminToken() and srv.OrgID() are ready to use.
//
// New builds the same server with no socket at all: HTTPClient reaches its handlers in process.
package fake

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// inProcessHubHost is the hub's host name when it is reached in process, with no listener.
const inProcessHubHost = "hub.membrane.invalid"

// Server is a fake Membrane API: a hub, the instance it hosts ("hub"), and the instances added
// with WithInstances or WithRemoteInstance. It is safe for concurrent use.
type Server struct {
	cfg    config
	env    *env
	hub    *hub
	client *http.Client

	hubInstance *Instance            // the instance the hub hosts, "hub"
	instances   map[string]*Instance // the instances of this process by id, the hub's own included

	ident atomic.Pointer[identity] // the default org and the admin token
	state stateControl

	waitsEnd    chan struct{} // closed by Shutdown and Close: waits on the journal end at once
	endWaitsOne sync.Once

	mu       sync.Mutex
	url      atomic.Value // string: the hub's base URL
	listener listener
	closed   bool
}

// New builds a server, its instances, a default org and an admin token, with no socket:
// HTTPClient reaches it in process until Start adds listeners.
func New(opts ...Option) (*Server, error) {
	cfg, err := readOptions(opts)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, env: newEnv(cfg), waitsEnd: make(chan struct{})}
	s.client = &http.Client{Transport: s.env.transport}
	s.url.Store("http://" + inProcessHubHost)
	s.listener.addr, s.listener.logger = cfg.addr, s.env.logger
	s.hubInstance = newHubInstance(s.env, cfg.engineToken, s.URL)
	s.hub = newHub(s.env, s.hubInstance)
	s.instances = map[string]*Instance{hubInstanceID: s.hubInstance}
	s.hub.register(hubInstanceID, "Hub", s.URL, s.hubInstance.EngineToken())
	for _, id := range s.cfg.instances {
		inst := newInstanceHandle(s.env, cfg, id)
		s.instances[id] = inst
		s.hub.register(id, id, inst.URL, inst.EngineToken())
	}
	for _, r := range s.cfg.remotes {
		s.hub.register(r.id, r.id, func() string { return r.url }, r.engineToken)
	}
	s.env.faults.servers = append([]string{hubInstanceID}, s.cfg.instances...)
	for _, r := range s.cfg.remotes {
		s.env.faults.servers = append(s.env.faults.servers, r.id)
	}
	s.env.transport.set(inProcessHubHost, s.Handler())
	s.env.orgOf = s.hub.journalOrg
	orgID := s.AddOrg(s.cfg.orgName)
	s.ident.Store(&identity{orgID: orgID, adminToken: s.AddMember(orgID, RoleAdmin)})
	s.recordStart()
	return s, nil
}

// NewServer starts a server on loopback for the test and closes it when the test ends. A bad
// option or a failure to listen fails the test.
//
// Inside a testing/synctest bubble it fails the test at once: a goroutine that waits on a real
// socket keeps the bubble's clock from moving, so a request that meets a timer (a latency
// fault, a retry's backoff) would hang. Use New there, and reach the server with HTTPClient,
// in process.
func NewServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	if inSynctestBubble() {
		t.Fatalf("fake.NewServer: called inside a testing/synctest bubble, where a real socket stops the bubble's clock; " +
			"use fake.New and reach the server with its HTTPClient, in process")
		return nil
	}
	s, err := New(opts...)
	if err != nil {
		t.Fatalf("fake.NewServer: %v", err)
	}
	t.Cleanup(s.Close)
	if err := s.Start(); err != nil {
		t.Fatalf("fake.NewServer: %v", err)
	}
	return s
}

// Start listens on the configured address (a free loopback port by default) and serves the
// hub there, and each instance on a port of its own. URL and Instance(id).URL report the
// listeners' addresses from then on.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("fake: Start after Close")
	}
	url, err := s.listener.start(s.Handler())
	if err != nil {
		return fmt.Errorf("fake: hub: %w", err)
	}
	s.env.transport.set(s.listener.addr, s.Handler())
	s.url.Store(url)
	for i, id := range s.cfg.instances {
		if err := s.instances[id].serveOnListener(); err != nil {
			// All or nothing: stop what this call started, so that Start can be tried again.
			for _, started := range s.cfg.instances[:i] {
				s.instances[started].stopListening()
			}
			s.listener.stop()
			s.url.Store("http://" + inProcessHubHost)
			return err
		}
	}
	return nil
}

// Close stops every listener and ends open connections. The in-process client stops working
// too. Close may be called more than once.
func (s *Server) Close() {
	s.endWaits()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.closed = true
	if s.hub != nil {
		s.hub.repairs.stop()
	}
	s.env.transport.clear()
	s.env.transport.next.(*http.Transport).CloseIdleConnections()
	s.listener.stop()
	for _, inst := range s.instances {
		inst.Close()
	}
}

// Shutdown stops the listeners gracefully: no new connections, and the requests in flight
// finish (until ctx ends). Then it closes the server.
func (s *Server) Shutdown(ctx context.Context) error {
	s.endWaits() // a long poll of the journal would hold the shutdown up to its end
	s.mu.Lock()
	err := s.listener.shutdown(ctx)
	for _, inst := range s.instances {
		inst.mu.Lock()
		err = errors.Join(err, inst.listener.shutdown(ctx))
		inst.mu.Unlock()
	}
	s.mu.Unlock()
	s.Close()
	return err
}

// endWaits ends every wait on the journal, and every wait to come.
func (s *Server) endWaits() { s.endWaitsOne.Do(func() { close(s.waitsEnd) }) }

// Instance returns the instance of this process with the given id ("hub" for the hub's own),
// or nil when there is none (a remote instance is another process's).
func (s *Server) Instance(id string) *Instance { return s.instances[id] }

// URL is the hub's base URL: the loopback listener once started, else a host that only
// HTTPClient reaches.
func (s *Server) URL() string { return s.url.Load().(string) }

// Format prints the server as fake.Server(URL) whatever the verb, so that a test that logs it
// shows neither the admin token nor the secrets of its seeds, which its fields hold.
func (s *Server) Format(f fmt.State, _ rune) { _, _ = fmt.Fprintf(f, "fake.Server(%s)", s.URL()) }

// HTTPClient returns a client that reaches the server's handlers in process, with no socket,
// whether or not it was started.
func (s *Server) HTTPClient() *http.Client { return s.client }

// Handler is the hub's http.Handler, to mount in a server of one's own.
func (s *Server) Handler() http.Handler { return hubHandler{s} }

// hubHandler is what is served at the hub's URL: the fake's own admin API under /_fake/, and
// everything else through the edge (faults, journal) to the hub.
type hubHandler struct{ s *Server }

func (h hubHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/_fake" || strings.HasPrefix(r.URL.Path, "/_fake/") {
		fail := func(err *apiError) { h.s.env.newRequest(w, r, nil).fail(err) }
		serveRoutes(h.s, adminRoutes, w, r, fail, func() { fail(errNotFound("no route for %s %s", r.Method, r.URL.Path)) })
		return
	}
	h.s.env.serveEdge(w, r, hubInstanceID, true, h.s.hub)
}

// OrgID is the id of the default org.
func (s *Server) OrgID() string { return s.ident.Load().orgID }

// AdminToken is a platform token of an admin of the default org.
func (s *Server) AdminToken() string { return s.ident.Load().adminToken }

// AddOrg adds an org and returns its id. Nobody is a member yet: see AddMember.
func (s *Server) AddOrg(name string) string {
	id := s.env.ids.objectID()
	s.hub.addOrg(id, name)
	return id
}

// AddMember adds a platform user with role in the org and returns the user's new platform
// token. An org id the server does not know is added as an org of that id.
func (s *Server) AddMember(orgID string, role Role) string {
	s.hub.addOrg(orgID, orgID)
	tok := s.env.ids.platformToken()
	s.hub.addMember(tok, map[string]Role{orgID: role}, time.Time{})
	return tok
}

// ExpireToken makes a platform token expire now: from then on it gets 401, as an
// expired token is. It reports whether the server knew the token.
func (s *Server) ExpireToken(token string) bool { return s.hub.expireMember(token) }

// inSynctestBubble tells whether the caller runs inside a testing/synctest bubble. A bubble's
// clock starts at midnight UTC on 2000-01-01, which no real clock shows, and moves only as the
// bubble's goroutines wait: it is within a year of its start unless the test waited that long.
func inSynctestBubble() bool {
	epoch := time.Date(2000, time.January, 1, 0, 0, 0, 0, time.UTC)
	now := time.Now()
	return !now.Before(epoch) && now.Before(epoch.AddDate(1, 0, 0))
}

// Settle puts right, now, what failed calls between the hub and its instances may have left
// behind: a workspace whose update may have reached its instance is set back to the hub's
// version there, and one whose create may have reached it is removed. The hub does this on its
// own, in the background, as soon as the instance responds; a test calls Settle to check that
// hub and instances agree without waiting. It returns an error while an instance is still
// unreachable.
func (s *Server) Settle(ctx context.Context) error {
	return s.hub.settle(ctx)
}
