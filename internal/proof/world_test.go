// Package proof checks the SDK and the fake together against the reference model of
// internal/model: random sequences of calls by random callers under random faults (rapid), and
// concurrent histories that must be linearizable (porcupine).
package proof

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	membrane "github.com/membrane-community/membrane-go"
	"github.com/membrane-community/membrane-go/fake"
	"github.com/membrane-community/membrane-go/internal/model"
)

// tb is what the harness needs of *testing.T and *rapid.T.
type tb interface {
	Helper()
	Fatalf(format string, args ...any)
	Logf(format string, args ...any)
}

// clock is the hand-moved clock the fake and the model share.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return c.now
}

// start is where every run's clock starts: a whole second, as the fake keeps milliseconds.
var start = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// grace is the server's grace period for a rotated-out secret in the random sequences.
const grace = time.Minute

// The instances beside the hub's own.
var instanceIDs = []string{"eu", "us"}

// caller is a platform token with what the model knows of it.
type caller struct {
	name   string
	token  string
	model  model.Caller
	client *membrane.Client
}

// world is a fake with two instances, the model of it, and a client per caller.
type world struct {
	loopback bool
	srv      *fake.Server
	clk      *clock
	m        *model.State
	hc       *http.Client
	orgA     string
	orgB     string
	callers  []*caller
	admins   map[string]*caller // an admin of each org
	policy   membrane.RetryPolicy
	down     map[string]string // over loopback, the fault that keeps each stopped instance down
}

// newWorld builds the fake (in process, or listening on loopback) and the model of it, with a
// grace period for rotated-out secrets.
func newWorld(t tb, loopback bool, seed uint64, grace time.Duration) *world {
	t.Helper()
	w := &world{loopback: loopback, clk: &clock{now: start}, down: map[string]string{}}
	srv, err := fake.New(fake.WithClock(w.clk.Now), fake.WithInstances(instanceIDs...),
		fake.WithSecretGracePeriod(grace), fake.WithSeed(seed))
	if err != nil {
		t.Fatalf("fake.New: %v", err)
	}
	w.srv = srv
	w.hc = srv.HTTPClient()
	// In process, the tests run in a synctest bubble, so the client's waits cost nothing. Over
	// loopback they do not: the client waits the least it can, and the faults drawn carry no
	// Retry-After.
	w.policy = membrane.DefaultRetryPolicy()
	if loopback {
		if err := srv.Start(); err != nil {
			t.Fatalf("fake: Start: %v", err)
		}
		w.hc = &http.Client{Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 16}}
		w.policy = membrane.RetryPolicy{MaxAttempts: 4, MinWait: time.Nanosecond, MaxWait: time.Nanosecond}
	}
	var inst []model.Instance
	for _, id := range instanceIDs {
		inst = append(inst, model.Instance{ID: id, Name: id, BaseURI: srv.Instance(id).URL()})
	}
	w.orgA = srv.OrgID()
	w.orgB = srv.AddOrg("Other Org")
	w.m = model.New(start, srv.URL(), inst, w.orgA, w.orgB)
	w.m.Grace = grace

	roles := func(org string, r model.Role) map[string]model.Role { return map[string]model.Role{org: r} }
	expired := srv.AddMember(w.orgA, fake.RoleAdmin)
	srv.ExpireToken(expired)
	for _, c := range []*caller{
		{name: "admin", token: srv.AdminToken(), model: model.Caller{Known: true, Roles: roles(w.orgA, model.Admin)}},
		{name: "member", token: srv.AddMember(w.orgA, fake.RoleMember), model: model.Caller{Known: true, Roles: roles(w.orgA, model.Member)}},
		{name: "read-only", token: srv.AddMember(w.orgA, fake.RoleReadOnly), model: model.Caller{Known: true, Roles: roles(w.orgA, model.ReadOnly)}},
		{name: "other-org admin", token: srv.AddMember(w.orgB, fake.RoleAdmin), model: model.Caller{Known: true, Roles: roles(w.orgB, model.Admin)}},
		{name: "expired", token: expired, model: model.Caller{Known: true, Expired: true, Roles: roles(w.orgA, model.Admin)}},
		{name: "unknown", token: "pat-0000000000000000000000000000000000000000", model: model.Caller{}},
		{name: "workspace JWT", token: workspaceJWT(t, w.clk.Now()), model: model.Caller{}},
	} {
		c.model.ID = c.name
		c.client = w.client(t, srv.URL(), c.token)
		w.callers = append(w.callers, c)
	}
	w.admins = map[string]*caller{w.orgA: w.callers[0], w.orgB: w.callers[3]}
	return w
}

// close stops the fake and the client's connections.
func (w *world) close() {
	w.srv.Close()
	if w.loopback {
		w.hc.CloseIdleConnections()
	}
}

// client is a Management API client with token.
func (w *world) client(t tb, base, token string) *membrane.Client {
	t.Helper()
	c, err := membrane.NewClient(membrane.WithBaseURL(base), membrane.WithToken(token),
		membrane.WithHTTPClient(w.hc), membrane.WithRetryPolicy(w.policy))
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return c
}

// workspaceClient is a workspace API client with a workspace token, sent at at (the hub or an
// instance id).
func (w *world) workspaceClient(t tb, at model.At, token string) *membrane.WorkspaceClient {
	t.Helper()
	c, err := membrane.NewWorkspaceClient(membrane.WithBaseURL(w.baseURL(at)), membrane.WithToken(token),
		membrane.WithHTTPClient(w.hc), membrane.WithRetryPolicy(w.policy))
	if err != nil {
		t.Fatalf("NewWorkspaceClient: %v", err)
	}
	return c
}

// baseURL is the URL of the hub or of an instance.
func (w *world) baseURL(at model.At) string {
	if at == model.HubInstance {
		return w.srv.URL()
	}
	return w.srv.Instance(at).URL()
}

// setDown stops or starts an instance, in the fake and in the model. Over loopback the instance
// keeps its listener and drops every connection instead, as a stopped one would: a stopped
// instance starts again on the same port, which another process may have taken meanwhile.
func (w *world) setDown(t tb, id string, down bool) {
	t.Helper()
	switch {
	case w.loopback && down:
		fid, err := w.srv.Faults().Add(fake.Fault{Instance: id, Reset: true})
		if err != nil {
			t.Fatalf("stop %s: %v", id, err)
		}
		w.down[id] = fid
	case w.loopback:
		w.srv.Faults().Remove(w.down[id])
		delete(w.down, id)
	case down:
		w.srv.Instance(id).Stop()
	default:
		if err := w.srv.Instance(id).Start(); err != nil {
			t.Fatalf("start %s: %v", id, err)
		}
	}
	w.m.SetDown(id, down)
}

// heal ends every fault: the instances run, no fault is left, and the hub has settled what
// the faults left open.
func (w *world) heal(t tb) {
	t.Helper()
	for _, id := range instanceIDs {
		if w.m.Instance(id).Down {
			w.setDown(t, id, false)
		}
	}
	w.srv.Faults().Clear()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := w.srv.Settle(ctx); err != nil {
		t.Fatalf("Settle after the faults stopped: %v", err)
	}
}

// fault is a fault drawn for one call: it fires Times times at most, then the client's retries
// go through.
type fault struct {
	At     string // "hub" or an instance id
	Status int
	Reset  bool
	Drop   bool
	Times  int
}

func (f fault) String() string {
	what := fmt.Sprint(f.Status)
	switch {
	case f.Reset:
		what = "reset"
	case f.Drop:
		what = "lost answer"
	}
	return fmt.Sprintf("%s ×%d at %s", what, f.Times, f.At)
}

// arm adds the fault to the fake, and returns a function that removes what is left of it.
func (w *world) arm(t tb, f fault) func() {
	t.Helper()
	id, err := w.srv.Faults().Add(fake.Fault{Instance: f.At, Status: f.Status, Reset: f.Reset, DropAnswer: f.Drop, Times: f.Times})
	if err != nil {
		t.Fatalf("add fault %v: %v", f, err)
	}
	return func() { w.srv.Faults().Remove(id) }
}

// workspaceJWT is a workspace token, which the Management API refuses (contract §2).
func workspaceJWT(t tb, now time.Time) string {
	t.Helper()
	raw, err := mint(model.Token{WorkspaceKey: "00000000-0000-4000-8000-000000000000", Secret: wrongSecret,
		Expires: now.Add(time.Hour)}, now, false)
	if err != nil {
		t.Fatalf("mint: %v", err)
	}
	return raw
}
