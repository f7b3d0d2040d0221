package membrane_test

import (
	"fmt"
	"sync"
	"testing"
	"testing/synctest"

	membrane "github.com/membrane-community/membrane-go"
	"github.com/membrane-community/membrane-go/fake"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// untilDone repeats a logical operation until it succeeds, as a provisioning job does. This is
// safe because every attempt of every call is safe to repeat: idempotent methods, and POSTs
// under one Idempotency-Key per call.
func untilDone[T any](t *testing.T, op func() (T, error)) T {
	t.Helper()
	for range 50 {
		v, err := op()
		if err == nil {
			return v
		}
	}
	t.Fatalf("an operation failed 50 times in a row")
	var zero T
	return zero
}

// expected is what the successful calls on one workspace imply.
type expected struct {
	ws       *membrane.OrgWorkspace
	webhook  string
	archived bool
	secret   membrane.Secret
}

// TestFakeStressWithFaults has many workers create, patch, rotate, archive, restore and mint
// on shared orgs, through faults at the hub and at the instances, and then checks that the
// fake's state is exactly what the successful calls imply: no lost update, no duplicate, no
// orphan on an instance, hub and instances in agreement.
func TestFakeStressWithFaults(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		e := newFakeEnv(t, fake.WithInstances("eu", "us"), fake.WithSeed(1))
		ctx := t.Context()
		orgs := []string{e.srv.OrgID(), e.srv.AddOrg("Second")}
		tokens := []string{e.srv.AdminToken(), e.srv.AddMember(orgs[1], fake.RoleAdmin)}
		for _, f := range []fake.Fault{
			{Instance: "hub", Status: 503, Probability: 0.05},
			{Instance: "hub", Status: 429, RetryAfter: 2, Probability: 0.03},
			{Instance: "hub", Method: "POST", DropAnswer: true, Probability: 0.05},
			{Instance: "hub", Method: "PATCH", DropAnswer: true, Probability: 0.05},
			{Instance: "eu", Reset: true, Probability: 0.05},
			{Instance: "us", DropAnswer: true, Probability: 0.05},
			{Instance: "us", Status: 500, Probability: 0.03},
		} {
			addFault(t, e.srv, f)
		}
		policy := membrane.WithRetryPolicy(membrane.RetryPolicy{MaxAttempts: 6})

		const workers, perWorker = 8, 6
		var mu sync.Mutex
		results := map[string]*expected{}
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				client := e.platformClient(t, tokens[w%2], policy)
				org := orgs[w%2]
				for i := range perWorker {
					instance := []string{"", "eu", "us"}[(w+i)%3]
					key := fmt.Sprintf("worker-%d-create-%d", w, i)
					ws := untilDone(t, func() (*membrane.OrgWorkspace, error) {
						return client.OrgWorkspaces.Create(ctx, &membrane.CreateOrgWorkspaceRequest{
							OrgID: org, Name: key, MembraneInstanceID: instance}, membrane.WithIdempotencyKey(key))
					})
					exp := &expected{ws: ws, secret: ws.Secret}
					for step := range 4 {
						hook := fmt.Sprintf("https://hooks.example/%s/%d", key, step)
						untilDone(t, func() (*membrane.OrgWorkspace, error) {
							return client.OrgWorkspaces.Update(ctx, ws.ID, &membrane.UpdateOrgWorkspaceRequest{WebhookURI: membrane.Set(hook)})
						})
						exp.webhook = hook
						if step%2 == 1 {
							exp.secret = untilDone(t, func() (membrane.Secret, error) { return client.OrgWorkspaces.RotateSecret(ctx, ws.ID) })
						}
						untilDone(t, func() (string, error) {
							return client.OrgWorkspaces.AccessToken(ctx, ws.ID, &membrane.AccessTokenRequest{TenantKey: "t-" + key})
						})
					}
					if i%2 == 0 {
						untilDone(t, func() (*membrane.OrgWorkspace, error) { return client.OrgWorkspaces.Archive(ctx, ws.ID) })
						exp.archived = true
						if i%4 == 0 {
							untilDone(t, func() (*membrane.OrgWorkspace, error) { return client.OrgWorkspaces.Restore(ctx, ws.ID) })
							exp.archived = false
						}
					}
					mu.Lock()
					results[ws.ID] = exp
					mu.Unlock()
				}
			})
		}
		wg.Wait()

		e.srv.Faults().Clear()
		require.NoError(t, e.srv.Settle(ctx))
		require.Len(t, results, workers*perWorker, "every logical create made its own workspace")

		perInstance := map[string]int{}
		for i, org := range orgs {
			client := e.platformClient(t, tokens[i])
			seen := 0
			for ws, err := range client.OrgWorkspaces.All(ctx, &membrane.ListOrgWorkspacesOptions{OrgID: org, IncludeArchived: true}) {
				require.NoError(t, err)
				seen++
				exp := results[ws.ID]
				require.NotNil(t, exp, "workspace %s (%s) was created by no successful call", ws.ID, ws.Name)
				assert.Equal(t, exp.webhook, ws.WebhookURI, ws.Name)
				assert.Equal(t, exp.archived, ws.ArchivedAt != nil, ws.Name)
				assert.Equal(t, exp.secret.Reveal(), ws.Secret.Reveal(), ws.Name)
				perInstance[ws.MembraneInstanceID]++

				// The instance agrees: a token of the expected secret works there unless archived.
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
			assert.Equal(t, workers*perWorker/2, seen, "org %d holds exactly its workspaces", i)
		}
		for _, id := range []string{"eu", "us"} {
			assert.Equal(t, perInstance[id], engineWorkspaces(t, e, id), "instance %s holds no orphan", id)
		}
		assert.Equal(t, perInstance[""], engineWorkspaces(t, e, "hub"), "the hub's own instance holds no orphan")
		fired := 0
		for _, f := range e.srv.Journal() {
			if f.Fault != "" {
				fired++
			}
		}
		assert.Greater(t, fired, 20, "faults did fire")
		t.Logf("%d requests met a fault", fired)
	})
}
