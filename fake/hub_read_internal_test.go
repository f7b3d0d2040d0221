package fake

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// holdAfterApply serves the engine calls of an instance, and holds the first PATCH after the
// instance has applied it, before its answer goes back to the hub, until release is closed.
type holdAfterApply struct {
	next    http.Handler
	applied chan struct{}
	release chan struct{}
	once    sync.Once
}

func (h *holdAfterApply) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.next.ServeHTTP(w, r)
	if r.Method == http.MethodPatch {
		h.once.Do(func() {
			close(h.applied)
			<-h.release
		})
	}
}

// answer is the status and body of a request made in another goroutine.
type answer struct {
	status int
	body   map[string]any
}

// async sends a request in a goroutine of its own and delivers its answer; a request that
// could not be made is status 0.
func (r rt) async(method, url, token string) <-chan answer {
	out := make(chan answer, 1)
	go func() {
		req, err := http.NewRequest(method, url, nil)
		if err != nil {
			out <- answer{}
			return
		}
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := r.srv.HTTPClient().Do(req)
		if err != nil {
			out <- answer{}
			return
		}
		defer resp.Body.Close()
		var m map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&m)
		out <- answer{resp.StatusCode, m}
	}()
	return out
}

// done is the body of a 200 answer.
func done(t *testing.T, a answer) map[string]any {
	t.Helper()
	require.Equal(t, http.StatusOK, a.status, "%v", a.body)
	return a.body
}

// A GET of an org workspace, and a list, made while a change of it has reached its instance but
// is not yet committed at the hub, wait for the change: they never answer the state before it
// while the instance already holds the state after it.
func TestReadDuringChangeWaitsForIt(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		srv, err := New(WithInstances("eu"))
		require.NoError(t, err)
		defer srv.Close()
		r := rt{t, srv}
		hub, admin := srv.URL(), srv.AdminToken()
		ws := r.ok("POST", hub+"/org-workspaces", admin, map[string]any{"orgId": srv.OrgID(), "membraneInstanceId": "eu"})
		path := hub + "/org-workspaces/" + ws["id"].(string)

		eu := srv.Instance("eu")
		hold := &holdAfterApply{next: eu, applied: make(chan struct{}), release: make(chan struct{})}
		srv.env.transport.set(eu.host, hold)

		archived := r.async("DELETE", path, admin)
		<-hold.applied
		snap, err := eu.Snapshot(context.Background())
		require.NoError(t, err)
		require.Len(t, snap.Workspaces, 1)
		require.NotEmpty(t, snap.Workspaces[0].ArchivedAt, "the instance holds the archive")

		got := r.async("GET", path, admin)
		listed := r.async("GET", hub+"/org-workspaces?includeArchived=true", admin)
		synctest.Wait() // everything in the bubble is blocked: the reads wait for the archive
		select {
		case w := <-got:
			t.Fatalf("a GET during the archive answered before it ended: %d %v", w.status, w.body)
		case l := <-listed:
			t.Fatalf("a list during the archive answered before it ended: %d %v", l.status, l.body)
		default:
		}

		close(hold.release)
		assert.NotNil(t, done(t, <-archived)["archivedAt"])
		assert.NotNil(t, done(t, <-got)["archivedAt"], "GET after the archive ended")
		items, _ := done(t, <-listed)["items"].([]any)
		require.Len(t, items, 1)
		assert.NotNil(t, items[0].(map[string]any)["archivedAt"], "list after the archive ended")
	})
}

// A read that waits for a change ends with its request: 503, and the change goes on.
func TestReadWaitingForAChangeEndsWithItsRequest(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		srv, err := New(WithInstances("eu"))
		require.NoError(t, err)
		defer srv.Close()
		r := rt{t, srv}
		hub, admin := srv.URL(), srv.AdminToken()
		ws := r.ok("POST", hub+"/org-workspaces", admin, map[string]any{"orgId": srv.OrgID(), "membraneInstanceId": "eu"})
		path := hub + "/org-workspaces/" + ws["id"].(string)
		eu := srv.Instance("eu")
		hold := &holdAfterApply{next: eu, applied: make(chan struct{}), release: make(chan struct{})}
		srv.env.transport.set(eu.host, hold)

		renamed := make(chan answer, 1)
		go func() {
			status, b, _ := r.send("PATCH", path, admin, `{"name": "renamed", "webhookUri": "https://x.example/h"}`)
			var m map[string]any
			_ = json.Unmarshal(b, &m)
			renamed <- answer{status, m}
		}()
		<-hold.applied

		for _, url := range []string{path, hub + "/org-workspaces"} {
			ctx, cancel := context.WithCancel(context.Background())
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
			require.NoError(t, err)
			req.Header.Set("Authorization", "Bearer "+admin)
			type result struct {
				status int
				body   map[string]any
			}
			done := make(chan result, 1)
			go func() {
				resp, err := srv.HTTPClient().Do(req)
				if err != nil {
					done <- result{}
					return
				}
				defer resp.Body.Close()
				var m map[string]any
				_ = json.NewDecoder(resp.Body).Decode(&m)
				done <- result{resp.StatusCode, m}
			}()
			synctest.Wait()
			cancel()
			res := <-done
			assert.Equal(t, http.StatusServiceUnavailable, res.status, url)
		}

		close(hold.release)
		assert.Equal(t, "renamed", done(t, <-renamed)["name"])
		assert.Equal(t, "renamed", r.ok("GET", path, admin, nil)["name"])
	})
}

// The same over real sockets, with the instance in another process: a GET that begins after
// the instance applied an archive answers the archive.
func TestReadDuringChangeOverSockets(t *testing.T) {
	t.Parallel()
	const engineToken = "engine-token-0123456789"
	inst, err := NewInstance("eu", WithEngineToken(engineToken))
	require.NoError(t, err)
	hold := &holdAfterApply{next: inst, applied: make(chan struct{}), release: make(chan struct{})}
	ts := httptest.NewServer(hold)
	t.Cleanup(ts.Close)
	srv := NewServer(t, WithRemoteInstance("eu", ts.URL, engineToken))
	r := rt{t, srv}
	hub, admin := srv.URL(), srv.AdminToken()
	ws := r.ok("POST", hub+"/org-workspaces", admin, map[string]any{"orgId": srv.OrgID(), "membraneInstanceId": "eu"})
	path := hub + "/org-workspaces/" + ws["id"].(string)

	archived := r.async("DELETE", path, admin)
	<-hold.applied
	got := r.async("GET", path, admin)
	close(hold.release)
	assert.NotNil(t, done(t, <-archived)["archivedAt"])
	assert.NotNil(t, done(t, <-got)["archivedAt"], "a GET begun after the instance applied the archive")
}
