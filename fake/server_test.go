package fake_test

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/membrane-community/membrane-go/fake"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewServerServesOnLoopback(t *testing.T) {
	t.Parallel()
	srv := fake.NewServer(t)
	require.True(t, strings.HasPrefix(srv.URL(), "http://127.0.0.1:"), srv.URL())
	req, err := http.NewRequest("GET", srv.URL()+"/org-workspaces", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+srv.AdminToken())
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "application/json; charset=utf-8", resp.Header.Get("Content-Type"))

	c := newCaller(t, srv, srv.AdminToken())
	ws := c.createWorkspace("Acme")
	assert.Equal(t, srv.URL(), ws["apiBaseUri"], "the hub hosts the workspace")
}

func TestCloseStopsServing(t *testing.T) {
	t.Parallel()
	srv, err := fake.New()
	require.NoError(t, err)
	require.NoError(t, srv.Start())
	url := srv.URL()
	srv.Close()
	srv.Close()
	_, err = http.Get(url + "/")
	assert.Error(t, err)
	_, err = srv.HTTPClient().Get(url + "/")
	assert.Error(t, err)
	assert.Error(t, srv.Start(), "a closed server does not start again")
}

func TestOptionsAreChecked(t *testing.T) {
	t.Parallel()
	for name, opt := range map[string]fake.Option{
		"nil clock":    fake.WithClock(nil),
		"nil random":   fake.WithRandom(nil),
		"zero ttl":     fake.WithTokenTTL(0),
		"nil logger":   fake.WithLogger(nil),
		"empty addr":   fake.WithAddr(""),
		"nil option":   nil,
		"negative ttl": fake.WithTokenTTL(-time.Second),
	} {
		_, err := fake.New(opt)
		assert.Error(t, err, name)
	}
	srv, err := fake.New(fake.WithAddr("256.0.0.1:99999"))
	require.NoError(t, err)
	assert.Error(t, srv.Start())
}

func TestHealthAndRouting(t *testing.T) {
	t.Parallel()
	_, c := newFake(t)
	assert.Equal(t, "ok", c.as("").ok("GET", "/", nil)["status"])
	c.fails(http.StatusNotFound, "not_found", "GET", "/nope", nil)
	c.fails(http.StatusNotFound, "not_found", "GET", "/org-workspaces/abc/def", nil)
	r := c.fails(http.StatusMethodNotAllowed, "", "PUT", "/org-workspaces", nil)
	assert.Equal(t, "GET, POST", r.Header.Get("Allow"))
	c.fails(http.StatusMethodNotAllowed, "", "GET", "/org-workspaces/abc/rotate-secret", nil)
}

func TestRequestIDsAreUnique(t *testing.T) {
	t.Parallel()
	_, c := newFake(t)
	seen := map[string]bool{}
	for range 20 {
		id := c.do("GET", "/org-workspaces", nil).Header.Get("X-Request-Id")
		assert.False(t, seen[id])
		seen[id] = true
	}
}

func TestBodyLimit(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t)
	big := `{"orgId":"` + srv.OrgID() + `","name":"` + strings.Repeat("a", 10<<20) + `"}`
	r := c.fails(http.StatusRequestEntityTooLarge, "", "POST", "/org-workspaces", big)
	assert.Contains(t, r.Body["message"], "limit")

	// Without a Content-Length the body is still cut at the limit, not read whole.
	var read atomic.Int64
	body := &countingReader{r: io.LimitReader(zeroes{}, 64<<20), n: &read}
	req, err := http.NewRequest("POST", srv.URL()+"/org-workspaces", io.NopCloser(body))
	require.NoError(t, err)
	req.ContentLength = -1
	req.Header.Set("Authorization", "Bearer "+srv.AdminToken())
	resp, err := srv.HTTPClient().Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
	assert.LessOrEqual(t, read.Load(), int64(11<<20))
	assert.Empty(t, c.ok("GET", "/org-workspaces", nil)["items"])
}

type zeroes struct{}

func (zeroes) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = ' '
	}
	return len(p), nil
}

type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

func TestIdempotencyKey(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t)
	body := map[string]any{"orgId": srv.OrgID(), "name": "Once"}
	first := c.do("POST", "/org-workspaces", body, "Idempotency-Key", "k1")
	require.Equal(t, http.StatusOK, first.Status)
	again := c.do("POST", "/org-workspaces", body, "Idempotency-Key", "k1")
	assert.Equal(t, first.Raw, again.Raw, "a repeat returns the first answer")
	assert.Equal(t, "true", again.Header.Get("Idempotent-Replayed"))
	assert.NotEqual(t, first.Header.Get("X-Request-Id"), again.Header.Get("X-Request-Id"))

	c.fails(http.StatusBadRequest, "idempotency_key_reused", "POST", "/org-workspaces", map[string]any{"orgId": srv.OrgID(), "name": "Other"},
		"Idempotency-Key", "k1")
	other := c.ok("POST", "/org-workspaces", body, "Idempotency-Key", "k2")
	assert.NotEqual(t, first.Body["id"], other["id"])

	// Keys belong to their caller: another member using k1 acts anew.
	member := c.as(srv.AddMember(srv.OrgID(), fake.RoleMember))
	theirs := member.ok("POST", "/org-workspaces", body, "Idempotency-Key", "k1")
	assert.NotEqual(t, first.Body["id"], theirs["id"])

	// An error answer is kept too (it changed nothing, and says so again).
	bad := map[string]any{"orgId": srv.OrgID(), "name": ""}
	e1 := c.do("POST", "/org-workspaces", bad, "Idempotency-Key", "k3")
	e2 := c.do("POST", "/org-workspaces", bad, "Idempotency-Key", "k3")
	assert.Equal(t, http.StatusBadRequest, e2.Status)
	assert.Equal(t, e1.Raw, e2.Raw)

	assert.Len(t, c.ok("GET", "/org-workspaces", nil)["items"], 3)
}

func TestIdempotencyKeyExpires(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	srv, c := newFake(t, fake.WithClock(clock))
	body := map[string]any{"orgId": srv.OrgID()}
	a := c.ok("POST", "/org-workspaces", body, "Idempotency-Key", "k")
	mu.Lock()
	now = now.Add(25 * time.Hour)
	mu.Unlock()
	b := c.ok("POST", "/org-workspaces", body, "Idempotency-Key", "k")
	assert.NotEqual(t, a["id"], b["id"], "after 24 hours the key is free again")
}

func TestConcurrentRepeatsCreateOnce(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t)
	body := map[string]any{"orgId": srv.OrgID(), "name": "Race"}
	var wg sync.WaitGroup
	ids := make([]any, 16)
	for i := range ids {
		wg.Go(func() { ids[i] = c.ok("POST", "/org-workspaces", body, "Idempotency-Key", "same")["id"] })
	}
	wg.Wait()
	for _, id := range ids {
		assert.Equal(t, ids[0], id)
	}
	assert.Len(t, c.ok("GET", "/org-workspaces", nil)["items"], 1)
}

func TestConcurrentChangesStayConsistent(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t)
	id := c.createWorkspace("Busy")["id"].(string)
	path := "/org-workspaces/" + id
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 10 {
				switch j % 4 {
				case 0:
					c.ok("PATCH", path, map[string]any{"name": fmt.Sprintf("n-%d-%d", i, j)})
				case 1:
					c.ok("POST", path+"/rotate-secret", nil)
				case 2:
					c.ok("GET", "/org-workspaces", nil)
				default:
					c.ok("POST", "/org-workspaces", map[string]any{"orgId": srv.OrgID()})
				}
			}
		})
	}
	wg.Wait()
	ws := c.ok("GET", path, nil)
	// The hub's secret is the one the instance verifies with.
	tok := c.mint(id, map[string]any{"isAdmin": true})
	c.as(tok).ok("GET", "/customers", nil)
	assert.Len(t, c.ok("GET", "/org-workspaces?limit=1000", nil)["items"], 1+8*2)
	assert.NotEmpty(t, ws["secret"])
}

func TestDeterministicWithClockAndSeed(t *testing.T) {
	t.Parallel()
	run := func() []byte {
		now := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
		srv, c := newFake(t, fake.WithClock(func() time.Time { return now }), fake.WithSeed(42))
		var out bytes.Buffer
		ws := c.createWorkspace("Same")
		out.Write(c.do("GET", "/org-workspaces/"+ws["id"].(string), nil).Raw)
		tok := c.mint(ws["id"].(string), map[string]any{"tenantKey": "t1"})
		out.WriteString(tok)
		out.Write(c.as(tok).do("GET", "/self", nil).Raw)
		out.Write(c.do("POST", "/org-workspaces/"+ws["id"].(string)+"/rotate-secret", nil).Raw)
		out.WriteString(srv.OrgID() + srv.AdminToken())
		return out.Bytes()
	}
	assert.Equal(t, string(run()), string(run()))
}

func TestWithRandomThatRunsDryKeepsServing(t *testing.T) {
	t.Parallel()
	_, c := newFake(t, fake.WithRandom(bytes.NewReader(make([]byte, 40))))
	a := c.createWorkspace("a")
	b := c.createWorkspace("b")
	assert.NotEqual(t, a["id"], b["id"])
}

// A replay answers exactly the first answer, even once the server listens on a new URL.
func TestReplayAfterStartIsTheFirstAnswer(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t)
	body := map[string]any{"orgId": srv.OrgID()}
	first := c.do("POST", "/org-workspaces", body, "Idempotency-Key", "k")
	require.NoError(t, srv.Start())
	again := newCaller(t, srv, srv.AdminToken()).do("POST", "/org-workspaces", body, "Idempotency-Key", "k")
	assert.Equal(t, string(first.Raw), string(again.Raw))
}

// A server printed with any verb, or logged, shows its URL and neither its admin token nor the
// secrets of its seeds.
func TestServerPrintsNoTokenNorSecret(t *testing.T) {
	t.Parallel()
	srv := fake.NewServer(t, fake.WithInstances("eu"))
	seed, err := fake.ParseSeed([]byte(`{"orgs": [{"id": "acme", "members": [{"token": "pat-acme-admin-token", "role": "admin"}],
		"workspaces": [{"id": "ws", "secret": "secret-of-the-seed-0123"}]}]}`))
	require.NoError(t, err)
	require.NoError(t, srv.Load(t.Context(), seed))
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
		out := fmt.Sprintf(verb, srv)
		assert.Equal(t, "fake.Server("+srv.URL()+")", out, verb)
	}
	var b bytes.Buffer
	slog.New(slog.NewTextHandler(&b, nil)).Info("m", "srv", srv)
	slog.New(slog.NewJSONHandler(&b, nil)).Info("m", "srv", srv)
	for _, secret := range []string{srv.AdminToken(), "pat-acme-admin-token", "secret-of-the-seed-0123", srv.Instance("eu").EngineToken()} {
		assert.NotContains(t, b.String(), secret)
	}
}
