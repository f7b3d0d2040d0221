package membrane_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	membrane "github.com/membrane-community/membrane-go"
	"github.com/membrane-community/membrane-go/fake"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFakeRepairsOnItsOwn has workers create, patch, rotate, archive and restore workspaces on
// instance eu while eu resets connections, drops answers and fails repairs. Once the faults
// stop, without a call to Settle, the hub repairs eu on its own: two seconds later (on the
// bubble's clock) hub and instance agree on every field, the archive state and the secret, and
// eu holds no orphan and no duplicate.
func TestFakeRepairsOnItsOwn(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		e := newFakeEnv(t, fake.WithInstances("eu"), fake.WithSeed(7))
		ctx := t.Context()
		for _, f := range []fake.Fault{
			{Instance: "eu", Reset: true, Probability: 0.1},
			{Instance: "eu", DropAnswer: true, Probability: 0.1},
			{Instance: "eu", Method: "PATCH", Status: 500, Probability: 0.1}, // repairs fail too
			{Instance: "eu", Method: "DELETE", Status: 503, Probability: 0.3},
		} {
			addFault(t, e.srv, f)
		}
		policy := membrane.WithRetryPolicy(membrane.RetryPolicy{MaxAttempts: 4})

		const workers, perWorker = 6, 3
		var mu sync.Mutex
		results := map[string]*expected{}
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				client := e.platformClient(t, e.srv.AdminToken(), policy)
				once := e.platformClient(t, e.srv.AdminToken(), membrane.WithRetryPolicy(membrane.RetryPolicy{MaxAttempts: 1}))
				for i := range perWorker {
					key := fmt.Sprintf("repair-%d-%d", w, i)
					ws := untilDone(t, func() (*membrane.OrgWorkspace, error) {
						return client.OrgWorkspaces.Create(ctx, &membrane.CreateOrgWorkspaceRequest{
							OrgID: e.srv.OrgID(), Name: key, MembraneInstanceID: "eu"}, membrane.WithIdempotencyKey(key))
					})
					exp := &expected{ws: ws, secret: ws.Secret}
					for step := range 4 {
						if exp.archived {
							untilDone(t, func() (*membrane.OrgWorkspace, error) { return client.OrgWorkspaces.Restore(ctx, ws.ID) })
							exp.archived = false
						}
						hook := fmt.Sprintf("https://hooks.example/%s/%d", key, step)
						logs, readOnly := step%2 == 0, step == 3
						untilDone(t, func() (*membrane.OrgWorkspace, error) {
							return client.OrgWorkspaces.Update(ctx, ws.ID, &membrane.UpdateOrgWorkspaceRequest{
								WebhookURI: membrane.Set(hook), IsReadOnly: membrane.Set(readOnly),
								Settings: membrane.Set(membrane.WorkspaceSettings{EnableAPILogs: membrane.Set(logs)})})
						})
						exp.webhook = hook
						if step%2 == 1 {
							exp.secret = untilDone(t, func() (membrane.Secret, error) { return client.OrgWorkspaces.RotateSecret(ctx, ws.ID) })
						}
						if step == 1 || (step == 3 && i%2 == 0) {
							untilDone(t, func() (*membrane.OrgWorkspace, error) { return client.OrgWorkspaces.Archive(ctx, ws.ID) })
							exp.archived = true
						}
					}
					// Last, one attempt each, not repeated: a 502 leaves the hub as it was, and
					// the instance perhaps changed, for the hub to repair on its own.
					if exp.archived {
						untilDone(t, func() (*membrane.OrgWorkspace, error) { return client.OrgWorkspaces.Restore(ctx, ws.ID) })
						exp.archived = false
					}
					hook := "https://hooks.example/" + key + "/last"
					if _, err := once.OrgWorkspaces.Update(ctx, ws.ID, &membrane.UpdateOrgWorkspaceRequest{WebhookURI: membrane.Set(hook)}); err == nil {
						exp.webhook = hook
					} else {
						require.ErrorIs(t, err, membrane.ErrDependency)
					}
					if secret, err := once.OrgWorkspaces.RotateSecret(ctx, ws.ID); err == nil {
						exp.secret = secret
					} else {
						require.ErrorIs(t, err, membrane.ErrDependency)
					}
					if i%2 == 0 {
						if _, err := once.OrgWorkspaces.Archive(ctx, ws.ID); err == nil {
							exp.archived = true
						} else {
							require.ErrorIs(t, err, membrane.ErrDependency)
						}
					}
					mu.Lock()
					results[ws.ID] = exp
					mu.Unlock()
				}
			})
		}
		wg.Wait()

		// Then eu fails every update and every repair, though half the updates land: the hub
		// answers 502 and keeps its state, and eu is left changed until the faults stop.
		e.srv.Faults().Clear()
		addFault(t, e.srv, fake.Fault{Instance: "eu", Method: "PATCH", DropAnswer: true, Probability: 0.5})
		addFault(t, e.srv, fake.Fault{Instance: "eu", Method: "PATCH", Status: 500})
		once := e.platformClient(t, e.srv.AdminToken(), membrane.WithRetryPolicy(membrane.NoRetries()))
		for id, exp := range results {
			_, err := once.OrgWorkspaces.RotateSecret(ctx, id)
			require.ErrorIs(t, err, membrane.ErrDependency)
			if exp.archived {
				_, err = once.OrgWorkspaces.Restore(ctx, id)
				require.ErrorIs(t, err, membrane.ErrDependency)
				continue
			}
			hook := exp.webhook + "/lost"
			_, err = once.OrgWorkspaces.Update(ctx, id, &membrane.UpdateOrgWorkspaceRequest{WebhookURI: membrane.Set(hook)})
			require.ErrorIs(t, err, membrane.ErrDependency)
			_, err = once.OrgWorkspaces.Archive(ctx, id)
			require.ErrorIs(t, err, membrane.ErrDependency)
		}
		time.Sleep(time.Minute)

		e.srv.Faults().Clear()
		faultsEnd := time.Now()
		time.Sleep(2 * time.Second) // the bubble's clock: the background repairs run, Settle is not called
		require.Len(t, results, workers*perWorker, "every logical create made its own workspace")

		client := e.platformClient(t, e.srv.AdminToken())
		seen := 0
		for ws, err := range client.OrgWorkspaces.All(ctx, &membrane.ListOrgWorkspacesOptions{OrgID: e.srv.OrgID(), IncludeArchived: true}) {
			require.NoError(t, err)
			seen++
			exp := results[ws.ID]
			require.NotNil(t, exp, "workspace %s (%s) was created by no successful call", ws.ID, ws.Name)
			assert.Equal(t, exp.webhook, ws.WebhookURI, ws.Name)
			assert.Equal(t, exp.archived, ws.ArchivedAt != nil, ws.Name)
			assert.Equal(t, exp.secret.Reveal(), ws.Secret.Reveal(), ws.Name)

			// The instance holds every field as the hub does.
			hub, onEU := hubWorkspace(t, e, ws.ID), engineWorkspace(t, e, "eu", ws.Key)
			for _, f := range []string{"settings", "publicKeys", "webhookUri", "enabledWebhookEvents", "jwksUri",
				"type", "isReadOnly", "limits", "userFieldsSchema", "alertDeliverySettings"} {
				assert.Equal(t, hub[f], onEU[f], "%s: %s", ws.Name, f)
			}
			assert.Equal(t, hub["archivedAt"] != nil, onEU["archivedAt"] != nil, ws.Name)

			// And the secret: a token of the hub's secret works there unless archived.
			token, err := membrane.MintWorkspaceToken(ws.Key, exp.secret, membrane.WorkspaceClaims{IsAdmin: true})
			require.NoError(t, err)
			wc := e.workspaceClient(t, membrane.WithBaseURL(ws.APIBaseURI), membrane.WithToken(token))
			_, err = wc.Customers.List(ctx, nil)
			if exp.archived {
				assert.ErrorIs(t, err, membrane.ErrNotAuthenticated, ws.Name)
			} else {
				assert.NoError(t, err, ws.Name)
			}
		}
		assert.Equal(t, workers*perWorker, seen, "no duplicate")
		assert.Equal(t, seen, engineWorkspaces(t, e, "eu"), "eu holds no orphan")
		fired := 0
		for _, f := range e.srv.Journal() {
			if f.Fault != "" {
				fired++
			}
		}
		assert.Greater(t, fired, 10, "faults did fire")
		repaired := 0
		for _, j := range e.srv.Journal() {
			if j.Instance == "eu" && j.Method == "PATCH" && j.Status == http.StatusOK && j.Time.After(faultsEnd) {
				repaired++
			}
		}
		assert.Greater(t, repaired, 0, "the hub repaired eu after the faults ended")
	})
}

// hubWorkspace reads an org workspace from the hub as JSON.
func hubWorkspace(t *testing.T, e *fakeEnv, id string) map[string]any {
	t.Helper()
	return getJSON(t, e, e.srv.URL()+"/org-workspaces/"+id, e.srv.AdminToken())
}

// engineWorkspace reads a workspace from an instance's engine API, as the hub does.
func engineWorkspace(t *testing.T, e *fakeEnv, instanceID, key string) map[string]any {
	t.Helper()
	inst := e.srv.Instance(instanceID)
	return getJSON(t, e, inst.URL()+"/workspaces/"+key, inst.EngineToken())
}

func getJSON(t *testing.T, e *fakeEnv, url, token string) map[string]any {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := e.srv.HTTPClient().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, url)
	var m map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&m))
	return m
}
