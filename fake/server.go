// Package fake is an in-memory server of the Membrane Management API and workspace API, for
// tests and for trying the API by hand.
//
// A Server holds a hub (orgs, members, org workspaces) that hosts its own instance, "hub", as in
// a single-instance deployment: workspace tokens work at the hub's URL. State, validation, auth
// and error answers follow the API contract.
//
// In a test, NewServer starts one on loopback and closes it when the test ends:
//
//	srv := fake.NewServer(t)
//	// srv.URL(), srv.AdminToken() and srv.OrgID() are ready to use.
//
// New builds the same server with no socket at all: HTTPClient reaches its handlers in process.
package fake

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// inProcessHubHost is the hub's host name when it is reached in process, with no listener.
const inProcessHubHost = "hub.membrane.invalid"

// Server is a fake Membrane API: a hub and the instance it hosts. It is safe for concurrent use.
type Server struct {
	cfg       config
	ids       *idSource
	hub       *hub
	local     *instance // the instance the hub hosts, "hub"
	transport *transport
	client    *http.Client

	reqPrefix string
	reqSeq    atomic.Uint64

	orgID      string
	adminToken string

	mu       sync.Mutex
	url      atomic.Value // string: the hub's base URL
	listener net.Listener
	httpSrv  *http.Server
	serveErr chan error
	closed   bool
}

// New builds a server and its default org and admin token, with no socket: HTTPClient reaches
// it in process until Start adds a listener.
func New(opts ...Option) (*Server, error) {
	cfg := defaultConfig()
	for _, opt := range opts {
		if opt == nil {
			return nil, errors.New("fake: nil option")
		}
		if err := opt(&cfg); err != nil {
			return nil, err
		}
	}
	s := &Server{cfg: cfg, ids: &idSource{r: cfg.random}, transport: newTransport()}
	s.client = &http.Client{Transport: s.transport}
	s.reqPrefix = s.ids.objectID()[:8]
	s.url.Store("http://" + inProcessHubHost)
	s.hub = newHub(s)
	s.local = newInstance(s, hubInstanceID, "Hub")
	s.hub.instances[hubInstanceID] = &instanceRef{id: hubInstanceID, name: "Hub", url: s.URL, engineToken: s.local.engineToken}
	s.transport.set(inProcessHubHost, s.hub)
	s.orgID = s.AddOrg(cfg.orgName)
	s.adminToken = s.AddMember(s.orgID, RoleAdmin)
	return s, nil
}

// NewServer starts a server on loopback for the test and closes it when the test ends. A bad
// option or a failure to listen fails the test.
func NewServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s, err := New(opts...)
	if err != nil {
		t.Fatalf("fake.NewServer: %v", err)
	}
	if err := s.Start(); err != nil {
		t.Fatalf("fake.NewServer: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// Start listens on the configured address (a free loopback port by default) and serves the
// hub there. URL reports the listener's address from then on.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("fake: Start after Close")
	}
	if s.listener != nil {
		return errors.New("fake: already started")
	}
	ln, err := net.Listen("tcp", s.cfg.addr)
	if err != nil {
		return fmt.Errorf("fake: listen on %s: %w", s.cfg.addr, err)
	}
	s.listener = ln
	s.httpSrv = &http.Server{
		Handler:           s.hub,
		ReadHeaderTimeout: 10 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	host := ln.Addr().String()
	s.transport.set(host, s.hub)
	s.url.Store("http://" + host)
	s.serveErr = make(chan error, 1)
	go func() { s.serveErr <- s.httpSrv.Serve(ln) }()
	return nil
}

// Close stops the listener, if any, and ends open connections. The in-process client stops
// working too. Close may be called more than once.
func (s *Server) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.closed = true
	s.transport.remove(inProcessHubHost)
	if s.httpSrv != nil {
		s.transport.remove(s.listener.Addr().String())
		_ = s.httpSrv.Close()
		<-s.serveErr
	}
}

// URL is the hub's base URL: the loopback listener once started, else a host that only
// HTTPClient reaches.
func (s *Server) URL() string { return s.url.Load().(string) }

// HTTPClient returns a client that reaches the server's handlers in process, with no socket,
// whether or not it was started.
func (s *Server) HTTPClient() *http.Client { return s.client }

// Handler is the hub's http.Handler, to mount in a server of one's own.
func (s *Server) Handler() http.Handler { return s.hub }

// OrgID is the id of the default org.
func (s *Server) OrgID() string { return s.orgID }

// AdminToken is a platform token of an admin of the default org.
func (s *Server) AdminToken() string { return s.adminToken }

// AddOrg adds an org and returns its id. Nobody is a member yet: see AddMember.
func (s *Server) AddOrg(name string) string {
	id := s.ids.objectID()
	s.hub.addOrg(id, name)
	return id
}

// AddMember adds a platform user with role in the org and returns the user's new platform
// token. An org id the server does not know is added as an org of that id.
func (s *Server) AddMember(orgID string, role Role) string {
	s.hub.addOrg(orgID, orgID)
	tok := s.ids.platformToken()
	s.hub.addMember(tok, map[string]Role{orgID: role})
	return tok
}

func (s *Server) now() time.Time { return s.cfg.now().UTC().Truncate(time.Millisecond) }

func (s *Server) requestID() string {
	return "req-" + s.reqPrefix + "-" + strconv.FormatUint(s.reqSeq.Add(1), 10)
}
