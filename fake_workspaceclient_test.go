package membrane_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	membrane "github.com/membrane-community/membrane-go"
	"github.com/membrane-community/membrane-go/fake"
)

func TestFakeOrgWorkspaceClientKeepsWorkingAfterRotateSecret(t *testing.T) {
	t.Parallel()
	e := newFakeEnv(t)
	ws := e.createWorkspace(t, "rotating")
	wc := e.adminWorkspaceClient(t, ws)
	before := createCustomer(t, wc, &membrane.CreateCustomerRequest{Name: "Before"})

	_, err := e.admin.OrgWorkspaces.RotateSecret(t.Context(), ws.ID)
	require.NoError(t, err)

	sent := e.tap.count()
	page, err := wc.Customers.List(t.Context(), nil)
	require.NoError(t, err, "the refused token is replaced by one signed with the new secret")
	assert.Equal(t, []*membrane.Customer{before}, page.Items)
	assert.Equal(t, sent+3, e.tap.count(), "the refused list, a new access token, the list again")

	after := createCustomer(t, wc, &membrane.CreateCustomerRequest{Name: "After"})
	got, err := wc.Customers.Get(t.Context(), after.ID)
	require.NoError(t, err)
	assert.Equal(t, after, got)
	assert.Equal(t, sent+5, e.tap.count(), "the new token is reused")
}

func TestFakeWorkspaceCredentialsMustBeRebuiltAfterRotateSecret(t *testing.T) {
	t.Parallel()
	e := newFakeEnv(t)
	ws := e.createWorkspace(t, "offline")
	offline := e.workspaceClient(t, membrane.WithWorkspaceCredentials(ws.Key, ws.Secret, membrane.WorkspaceClaims{}))
	_, err := offline.Customers.List(t.Context(), nil)
	require.NoError(t, err)

	secret, err := e.admin.OrgWorkspaces.RotateSecret(t.Context(), ws.ID)
	require.NoError(t, err)
	sent := e.tap.count()
	_, err = offline.Customers.List(t.Context(), nil)
	var apiErr *membrane.Error
	require.ErrorAs(t, err, &apiErr)
	assert.ErrorIs(t, err, membrane.ErrNotAuthenticated)
	assert.Equal(t, 1, apiErr.Attempts)
	assert.Equal(t, sent+1, e.tap.count(), "no retry: minting with the old secret cannot help")

	rebuilt := e.workspaceClient(t, membrane.WithWorkspaceCredentials(ws.Key, secret, membrane.WorkspaceClaims{}))
	_, err = rebuilt.Customers.List(t.Context(), nil)
	require.NoError(t, err)
}

func TestFakeOrgWorkspaceClientOfAReadOnlyMember(t *testing.T) {
	t.Parallel()
	e := newFakeEnv(t)
	ws := e.createWorkspace(t, "read-only")
	member := e.platformClient(t, e.srv.AddMember(e.srv.OrgID(), fake.RoleReadOnly))
	sent := e.tap.count()
	wc, err := member.OrgWorkspaces.Client(ws, nil)
	require.NoError(t, err)
	assert.Equal(t, sent, e.tap.count(), "Client does no I/O")

	_, err = wc.Customers.List(t.Context(), nil)
	require.ErrorIs(t, err, membrane.ErrAccessDenied, "the refused access token shows at the first call")
	assert.Equal(t, sent+1, e.tap.count(), "only the access-token request was sent")
}

func TestFakeCustomerReplace(t *testing.T) {
	t.Parallel()
	e := newFakeEnv(t)
	wc := e.adminWorkspaceClient(t, e.createWorkspace(t, "replace customers"))
	cu, err := wc.Customers.Create(t.Context(), &membrane.CreateCustomerRequest{
		Name: "Umbrella", InternalID: "umbrella", Fields: map[string]any{"seats": 5.0}, Credentials: map[string]any{"apiKey": "k"},
	})
	require.NoError(t, err)
	_, err = wc.Customers.Update(t.Context(), cu.ID, &membrane.UpdateCustomerRequest{AICreditsRolling30DayLimit: membrane.Set(7.0)})
	require.NoError(t, err)

	replaced, err := wc.Customers.Replace(t.Context(), cu.ID, &membrane.ReplaceCustomerRequest{Name: "Umbrella Corp"})
	require.NoError(t, err)
	assert.Equal(t, cu.ID, replaced.ID)
	assert.Equal(t, "Umbrella Corp", replaced.Name)
	assert.Equal(t, "umbrella", replaced.InternalID, "an absent internalId is kept")
	assert.Nil(t, replaced.Fields, "fields not sent are cleared")
	assert.Nil(t, replaced.Credentials)
	assert.Nil(t, replaced.AICreditsRolling30DayLimit)

	full, err := wc.Customers.Replace(t.Context(), cu.ID, &membrane.ReplaceCustomerRequest{
		Name: "Umbrella", InternalID: "umbrella-2", Fields: map[string]any{"seats": 9.0},
		Credentials: map[string]any{"apiKey": "k2"}, IsTest: true, AICreditsRolling30DayLimit: membrane.Ptr(3.0),
	})
	require.NoError(t, err)
	assert.Equal(t, "umbrella-2", full.InternalID)
	assert.Equal(t, map[string]any{"seats": 9.0}, full.Fields)
	assert.JSONEq(t, `{"apiKey":"k2"}`, string(full.Credentials))
	assert.True(t, full.IsTest)
	assert.Equal(t, membrane.Ptr(3.0), full.AICreditsRolling30DayLimit)

	stored, err := wc.Customers.Get(t.Context(), cu.ID)
	require.NoError(t, err)
	assert.Equal(t, full, stored)

	_, err = wc.Customers.Replace(t.Context(), unknownID, &membrane.ReplaceCustomerRequest{Name: "x"})
	require.ErrorIs(t, err, membrane.ErrNotFound)
}
