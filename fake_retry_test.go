package membrane_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
	"testing/synctest"
	"time"

	membrane "github.com/membrane-community/membrane-go"
	"github.com/membrane-community/membrane-go/fake"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func addFault(t *testing.T, srv *fake.Server, f fake.Fault) {
	t.Helper()
	_, err := srv.Faults().Add(f)
	require.NoError(t, err)
}

// journalOf returns the hub's journal entries for method and path.
func journalOf(srv *fake.Server, method, path string) []fake.JournalEntry {
	var out []fake.JournalEntry
	for _, e := range srv.Journal() {
		if e.Instance == "hub" && e.Method == method && e.Path == path {
			out = append(out, e)
		}
	}
	return out
}

// A create whose answer is lost is retried with the same Idempotency-Key, and the server
// replays the first answer: one workspace, whatever the client saw.
func TestFakeDroppedCreateAnswerIsRetriedIntoOneWorkspace(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		e := newFakeEnv(t)
		addFault(t, e.srv, fake.Fault{Method: "POST", Path: "/org-workspaces", DropAnswer: true, Times: 1})
		ws, err := e.admin.OrgWorkspaces.Create(t.Context(), &membrane.CreateOrgWorkspaceRequest{OrgID: e.srv.OrgID(), Name: "Once"})
		require.NoError(t, err)
		assert.Equal(t, []string{ws.ID}, e.workspaceIDs(t))

		attempts := journalOf(e.srv, "POST", "/org-workspaces")
		require.Len(t, attempts, 2)
		assert.Equal(t, 0, attempts[0].Status, "the first answer was dropped")
		assert.Equal(t, 200, attempts[1].Status)
		assert.Equal(t, attempts[0].IdempotencyKey, attempts[1].IdempotencyKey)
		assert.NotEmpty(t, attempts[0].IdempotencyKey)
		assert.Equal(t, []string{"1", "2"}, []string{attempts[0].Attempt, attempts[1].Attempt})
	})
}

// A caller that gives up and calls again later with its own key gets the same workspace.
func TestFakeCallerKeyAcrossTwoCallsCreatesOnce(t *testing.T) {
	t.Parallel()
	e := newFakeEnv(t)
	client := e.platformClient(t, e.srv.AdminToken(), membrane.WithRetryPolicy(membrane.NoRetries()))
	addFault(t, e.srv, fake.Fault{Method: "POST", Path: "/org-workspaces", DropAnswer: true, Times: 1})
	req := &membrane.CreateOrgWorkspaceRequest{OrgID: e.srv.OrgID(), Name: "Once"}
	key := membrane.WithIdempotencyKey("provision-acme-1")
	_, err := client.OrgWorkspaces.Create(t.Context(), req, key)
	require.Error(t, err, "the answer was lost and retries are off")

	ws, err := client.OrgWorkspaces.Create(t.Context(), req, key)
	require.NoError(t, err)
	assert.Equal(t, []string{ws.ID}, e.workspaceIDs(t))
	for _, a := range journalOf(e.srv, "POST", "/org-workspaces") {
		assert.Equal(t, "provision-acme-1", a.IdempotencyKey)
		assert.Equal(t, "1", a.Attempt)
	}
}

func TestFakeRetryAfterIsHonoured(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		e := newFakeEnv(t)
		ws := e.createWorkspace(t, "Busy")
		addFault(t, e.srv, fake.Fault{Method: "GET", Path: "/org-workspaces/*", Status: 429, RetryAfter: 30, Times: 1})
		start := time.Now()
		got, err := e.admin.OrgWorkspaces.Get(t.Context(), ws.ID)
		require.NoError(t, err)
		assert.Equal(t, ws.ID, got.ID)
		assert.GreaterOrEqual(t, time.Since(start), 30*time.Second, "the client waited as asked (on the bubble's clock)")
		assert.Len(t, journalOf(e.srv, "GET", "/org-workspaces/"+ws.ID), 2)
	})
}

func TestFakeRetriesStopAtTheAttemptsCap(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		e := newFakeEnv(t)
		client := e.platformClient(t, e.srv.AdminToken(), membrane.WithRetryPolicy(membrane.RetryPolicy{MaxAttempts: 3}))
		addFault(t, e.srv, fake.Fault{Path: "/org-workspaces", Status: 503, Message: "down for maintenance"})
		_, err := client.OrgWorkspaces.List(t.Context(), nil)
		var apiErr *membrane.Error
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, 3, apiErr.Attempts)
		assert.Equal(t, "down for maintenance", apiErr.Message, "the last answer's body is kept")
		assert.Len(t, journalOf(e.srv, "GET", "/org-workspaces"), 3)
	})
}

func TestFakeRetriesStopAtTheTimeCap(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		e := newFakeEnv(t)
		client := e.platformClient(t, e.srv.AdminToken(), membrane.WithRetryPolicy(membrane.RetryPolicy{
			MaxAttempts: 100, MinWait: 10 * time.Second, MaxWait: 10 * time.Second, MaxElapsed: 35 * time.Second,
		}))
		addFault(t, e.srv, fake.Fault{Path: "/org-workspaces", Status: 502})
		start := time.Now()
		_, err := client.OrgWorkspaces.List(t.Context(), nil)
		require.ErrorIs(t, err, membrane.ErrDependency)
		assert.LessOrEqual(t, time.Since(start), 35*time.Second)
		assert.Len(t, journalOf(e.srv, "GET", "/org-workspaces"), 4, "attempts at 0s, 10s, 20s and 30s")
	})
}

func TestFakeCancelEndsTheWait(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		e := newFakeEnv(t)
		addFault(t, e.srv, fake.Fault{Path: "/org-workspaces", Status: 429, RetryAfter: 60})
		ctx, cancel := context.WithCancel(t.Context())
		go func() {
			time.Sleep(5 * time.Second)
			cancel()
		}()
		start := time.Now()
		_, err := e.admin.OrgWorkspaces.List(ctx, nil)
		require.ErrorIs(t, err, context.Canceled)
		assert.Equal(t, 5*time.Second, time.Since(start), "the wait ended when the context did")
	})
}

// An instance that is down for part of a provisioning run: the run finishes through retries,
// nothing is lost or half-applied, and hub and instance agree afterwards.
func TestFakeProvisioningSurvivesAnInstanceThatIsDownAWhile(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		e := newFakeEnv(t, fake.WithInstances("eu"))
		ctx := t.Context()
		client := e.platformClient(t, e.srv.AdminToken(), membrane.WithRetryPolicy(membrane.RetryPolicy{MaxAttempts: 8}))
		// eu drops every connection for the first calls of the run, then comes back.
		addFault(t, e.srv, fake.Fault{Instance: "eu", Reset: true, Times: 5})

		var names []string
		for i := range 3 {
			ws, err := client.OrgWorkspaces.Create(ctx, &membrane.CreateOrgWorkspaceRequest{
				OrgID: e.srv.OrgID(), Name: "tenant-" + strconv.Itoa(i), MembraneInstanceID: "eu"})
			require.NoError(t, err)
			hook := "https://hooks.example/" + strconv.Itoa(i)
			ws, err = client.OrgWorkspaces.Update(ctx, ws.ID, &membrane.UpdateOrgWorkspaceRequest{WebhookURI: membrane.Set(hook)})
			require.NoError(t, err)
			secret, err := client.OrgWorkspaces.RotateSecret(ctx, ws.ID)
			require.NoError(t, err)
			names = append(names, ws.Name)

			// The instance holds what the hub says: the webhook, and the rotated secret.
			token, err := membrane.MintWorkspaceToken(ws.Key, secret, membrane.WorkspaceClaims{IsAdmin: true})
			require.NoError(t, err)
			wc := e.workspaceClient(t, membrane.WithBaseURL(ws.APIBaseURI), membrane.WithToken(token))
			_, err = wc.Customers.List(ctx, nil)
			require.NoError(t, err, "a token of the rotated secret works on eu")
		}
		require.NoError(t, e.srv.Settle(ctx))
		list, err := client.OrgWorkspaces.List(ctx, &membrane.ListOrgWorkspacesOptions{IncludeArchived: true})
		require.NoError(t, err)
		require.Len(t, list.Items, 3, "no workspace lost, none doubled")
		for i, ws := range list.Items {
			assert.Equal(t, names[i], ws.Name)
			assert.Equal(t, "https://hooks.example/"+strconv.Itoa(i), ws.WebhookURI)
		}
		assert.Equal(t, 3, engineWorkspaces(t, e, "eu"), "no orphan on the instance")
		faults := e.srv.Faults().List()
		assert.Equal(t, 5, faults[0].Fired, "the instance was down for a while")
	})
}

// engineWorkspaces counts the workspaces an instance holds, through its engine API.
func engineWorkspaces(t *testing.T, e *fakeEnv, instanceID string) int {
	t.Helper()
	inst := e.srv.Instance(instanceID)
	req, err := http.NewRequest("GET", inst.URL()+"/workspaces", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+inst.EngineToken())
	resp, err := e.srv.HTTPClient().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var list struct {
		Items []map[string]any `json:"items"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&list))
	return len(list.Items)
}
