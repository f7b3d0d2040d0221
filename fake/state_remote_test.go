package fake_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/membrane-community/membrane-go/fake"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// remoteKeys lists the workspace keys an instance of another process holds.
func remoteKeys(t *testing.T, inst *fake.Instance) []string {
	t.Helper()
	snap, err := inst.Snapshot(context.Background())
	require.NoError(t, err)
	var keys []string
	for _, w := range snap.Workspaces {
		keys = append(keys, w.Key)
	}
	return keys
}

// With an instance in another process, Replace and Reset tell it through the engine API,
// Restore leaves it alone, and ResetOrg removes the org's workspaces there.
func TestStateWithAnInstanceOfAnotherProcess(t *testing.T) {
	t.Parallel()
	const engineToken = "engine-token-0123456789"
	inst, err := fake.NewInstance("eu", fake.WithEngineToken(engineToken))
	require.NoError(t, err)
	ts := httptest.NewServer(inst)
	t.Cleanup(ts.Close)
	srv, c := newFake(t, fake.WithRemoteInstance("eu", ts.URL, engineToken))
	ctx := context.Background()

	ws := c.ok("POST", "/org-workspaces", map[string]any{"orgId": srv.OrgID(), "name": "Remote", "membraneInstanceId": "eu"})
	c.ok("PATCH", "/org-workspaces/"+ws["id"].(string), map[string]any{"webhookUri": "https://x.example/h"})
	key := ws["key"].(string)
	snap, err := srv.Snapshot(ctx)
	require.NoError(t, err)
	require.Equal(t, []string{key}, remoteKeys(t, inst))

	// Restore: the hub's records only; the instance keeps what it has.
	c.ok("PATCH", "/org-workspaces/"+ws["id"].(string), map[string]any{"webhookUri": "https://changed.example/h"})
	require.NoError(t, srv.Restore(ctx, snap))
	rs, err := inst.Snapshot(ctx)
	require.NoError(t, err)
	assert.Equal(t, `"https://changed.example/h"`, string(rs.Workspaces[0].Config["webhookUri"]), "Restore does not call the instance")

	// Replace: the instance is set to the state's version, and the hub can change it after.
	require.NoError(t, srv.Replace(ctx, snap))
	rs, err = inst.Snapshot(ctx)
	require.NoError(t, err)
	assert.Equal(t, `"https://x.example/h"`, string(rs.Workspaces[0].Config["webhookUri"]))
	c.ok("PATCH", "/org-workspaces/"+ws["id"].(string), map[string]any{"name": "Changed", "webhookUri": "https://y.example/h"})
	rs, err = inst.Snapshot(ctx)
	require.NoError(t, err)
	assert.Equal(t, `"https://y.example/h"`, string(rs.Workspaces[0].Config["webhookUri"]), "the versions agree after Replace")

	// ResetOrg: a workspace made since is gone from the instance too.
	extra := c.ok("POST", "/org-workspaces", map[string]any{"orgId": srv.OrgID(), "name": "Extra", "membraneInstanceId": "eu"})
	require.Len(t, remoteKeys(t, inst), 2)
	require.NoError(t, srv.ResetOrg(ctx, srv.OrgID()))
	assert.Empty(t, remoteKeys(t, inst))
	c.fails(http.StatusNotFound, "not_found", "GET", "/org-workspaces/"+extra["id"].(string), nil)

	// Reset: the same. An instance never takes a removed key back: a state that names one
	// is reported.
	require.NoError(t, srv.Reset(ctx))
	assert.Empty(t, remoteKeys(t, inst))
	err = srv.Replace(ctx, snap)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "removed")

	// A snapshot's customers cannot go to another process's instance.
	snap.Orgs[0].Workspaces[0].Customers = []fake.SeedCustomer{{InternalID: "x"}}
	var seedErr *fake.SeedError
	require.ErrorAs(t, srv.Replace(ctx, snap), &seedErr)
}

// With an instance of another process down, PUT /_fake/state and a reset are a 502 naming it,
// after the hub's state was replaced or reset; once it answers again, the hub removes there what
// it no longer holds (Settle does it at once; the repairs on their own).
func TestStateAndResetWithAnInstanceDown(t *testing.T) {
	t.Parallel()
	const engineToken = "engine-token-0123456789"
	inst, err := fake.NewInstance("eu", fake.WithEngineToken(engineToken))
	require.NoError(t, err)
	var down atomic.Bool
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		inst.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	srv, c := newFake(t, fake.WithRemoteInstance("eu", ts.URL, engineToken))
	c.ok("POST", "/org-workspaces", map[string]any{"orgId": srv.OrgID(), "name": "Remote", "membraneInstanceId": "eu"})
	c.ok("POST", "/org-workspaces", map[string]any{"orgId": srv.OrgID(), "name": "Local"})
	state := c.ok("GET", "/_fake/state", nil)
	require.Len(t, remoteKeys(t, inst), 1)

	down.Store(true)
	r := c.fails(http.StatusBadGateway, "", "PUT", "/_fake/state", state)
	assert.Equal(t, "dependency_error", r.Body["type"])
	assert.Contains(t, r.Body["message"], `instance "eu"`)
	r = c.fails(http.StatusBadGateway, "", "POST", "/_fake/reset", nil)
	assert.Equal(t, "dependency_error", r.Body["type"])
	assert.Contains(t, r.Body["message"], `instance "eu"`)
	assert.Empty(t, c.ok("GET", "/org-workspaces", nil)["items"], "the hub was reset all the same")
	assert.Len(t, remoteKeys(t, inst), 1, "the instance that was down still holds its workspace")

	down.Store(false)
	c.ok("POST", "/_fake/settle", nil)
	assert.Empty(t, remoteKeys(t, inst), "the workspace the hub no longer holds is removed from the instance")
}
