package fake

import (
	"context"
	"encoding/json"
	"net/http"
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

		archived := make(chan map[string]any, 1)
		go func() { archived <- r.ok("DELETE", path, admin, nil) }()
		<-hold.applied
		snap, err := eu.Snapshot(context.Background())
		require.NoError(t, err)
		require.Len(t, snap.Workspaces, 1)
		require.NotEmpty(t, snap.Workspaces[0].ArchivedAt, "the instance holds the archive")

		got := make(chan map[string]any, 1)
		listed := make(chan map[string]any, 1)
		go func() { got <- r.ok("GET", path, admin, nil) }()
		go func() { listed <- r.ok("GET", hub+"/org-workspaces?includeArchived=true", admin, nil) }()
		synctest.Wait() // everything in the bubble is blocked: the reads wait for the archive
		select {
		case w := <-got:
			t.Fatalf("a GET during the archive answered before it ended: archivedAt %v", w["archivedAt"])
		case l := <-listed:
			t.Fatalf("a list during the archive answered before it ended: %v", l["items"])
		default:
		}

		close(hold.release)
		assert.NotNil(t, (<-archived)["archivedAt"])
		assert.NotNil(t, (<-got)["archivedAt"], "GET after the archive ended")
		items := (<-listed)["items"].([]any)
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

		renamed := make(chan map[string]any, 1)
		go func() {
			renamed <- r.ok("PATCH", path, admin, map[string]any{"name": "renamed", "webhookUri": "https://x.example/h"})
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
		assert.Equal(t, "renamed", (<-renamed)["name"])
		assert.Equal(t, "renamed", r.ok("GET", path, admin, nil)["name"])
	})
}
