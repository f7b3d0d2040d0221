package membrane_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	membrane "github.com/membrane-community/membrane-go"
	"github.com/membrane-community/membrane-go/fake"
)

func TestFakeCreateOrgWorkspace(t *testing.T) {
	t.Parallel()
	e := newFakeEnv(t)
	before := time.Now().Add(-time.Second)

	ws, err := e.admin.OrgWorkspaces.Create(t.Context(), &membrane.CreateOrgWorkspaceRequest{
		OrgID: e.srv.OrgID(), Name: "Acme", LogoURI: "https://acme.example/logo.png",
	})
	require.NoError(t, err)

	assert.Len(t, ws.ID, 24)
	assert.Equal(t, "Acme", ws.Name)
	assert.Equal(t, e.srv.OrgID(), ws.OrgID)
	assert.Equal(t, "https://acme.example/logo.png", ws.LogoURI)
	assert.NotEmpty(t, ws.Key)
	assert.GreaterOrEqual(t, len(ws.Secret.Reveal()), 32)
	assert.Equal(t, e.srv.URL(), ws.APIBaseURI)
	assert.WithinRange(t, ws.CreatedAt, before, time.Now().Add(time.Second))
	assert.Equal(t, time.UTC, ws.CreatedAt.Location())
	assert.Equal(t, ws.CreatedAt, ws.UpdatedAt)
	assert.Nil(t, ws.ArchivedAt)
	assert.Equal(t, membrane.WorkspaceTypeProduction, ws.Type)

	assert.Equal(t, ws, e.getWorkspace(t, ws.ID), "Get reads back what Create returned")
}

func TestFakeCreateOrgWorkspaceWithoutNameGetsOne(t *testing.T) {
	t.Parallel()
	e := newFakeEnv(t)
	ws, err := e.admin.OrgWorkspaces.Create(t.Context(), &membrane.CreateOrgWorkspaceRequest{OrgID: e.srv.OrgID()})
	require.NoError(t, err)
	assert.NotEmpty(t, ws.Name)
}

func TestFakeListOrgWorkspacesPageByPage(t *testing.T) {
	t.Parallel()
	e := newFakeEnv(t)
	a, b, c := e.createWorkspace(t, "a"), e.createWorkspace(t, "b"), e.createWorkspace(t, "c")

	first, err := e.admin.OrgWorkspaces.List(t.Context(), &membrane.ListOrgWorkspacesOptions{Limit: 2})
	require.NoError(t, err)
	require.Len(t, first.Items, 2)
	assert.Equal(t, []*membrane.OrgWorkspace{a, b}, first.Items)
	require.NotEmpty(t, first.Cursor)

	last, err := e.admin.OrgWorkspaces.List(t.Context(), &membrane.ListOrgWorkspacesOptions{Limit: 2, Cursor: first.Cursor})
	require.NoError(t, err)
	assert.Equal(t, []*membrane.OrgWorkspace{c}, last.Items)
	assert.Empty(t, last.Cursor, "no cursor on the last page")
}

func TestFakeListOrgWorkspacesSearch(t *testing.T) {
	t.Parallel()
	e := newFakeEnv(t)
	e.createWorkspace(t, "Acme Production")
	beta := e.createWorkspace(t, "Beta")
	e.createWorkspace(t, "acme staging")

	page, err := e.admin.OrgWorkspaces.List(t.Context(), &membrane.ListOrgWorkspacesOptions{OrgID: e.srv.OrgID(), Search: "ACME"})
	require.NoError(t, err)
	var names []string
	for _, ws := range page.Items {
		names = append(names, ws.Name)
	}
	assert.Equal(t, []string{"Acme Production", "acme staging"}, names)
	assert.NotContains(t, names, beta.Name)
}

func TestFakeAllWalksEveryPageOnce(t *testing.T) {
	t.Parallel()
	e := newFakeEnv(t)
	var want []string
	for i := range 25 {
		want = append(want, e.createWorkspace(t, fmt.Sprintf("ws-%02d", i)).ID)
	}
	sent := e.tap.count()

	var got []string
	for ws, err := range e.admin.OrgWorkspaces.All(t.Context(), &membrane.ListOrgWorkspacesOptions{Limit: 4}) {
		require.NoError(t, err)
		got = append(got, ws.ID)
	}
	assert.Equal(t, want, got, "every workspace exactly once, in creation order")
	assert.Equal(t, 7, e.tap.count()-sent, "25 items in pages of 4 take 7 requests")
}

func TestFakeAllStopsWhenTheLoopBreaks(t *testing.T) {
	t.Parallel()
	e := newFakeEnv(t)
	for i := range 25 {
		e.createWorkspace(t, fmt.Sprintf("ws-%02d", i))
	}
	sent := e.tap.count()

	seen := 0
	for _, err := range e.admin.OrgWorkspaces.All(t.Context(), &membrane.ListOrgWorkspacesOptions{Limit: 4}) {
		require.NoError(t, err)
		seen++
		if seen == 5 {
			break
		}
	}
	assert.Equal(t, 5, seen)
	assert.Equal(t, 2, e.tap.count()-sent, "the fifth item is on the second page; no third page is asked for")
}

func TestFakeAllIsStableWhileTheListChanges(t *testing.T) {
	t.Parallel()
	e := newFakeEnv(t)
	var want []string
	for i := range 6 {
		want = append(want, e.createWorkspace(t, fmt.Sprintf("ws-%d", i)).ID)
	}

	var got []string
	for ws, err := range e.admin.OrgWorkspaces.All(t.Context(), &membrane.ListOrgWorkspacesOptions{Limit: 2}) {
		require.NoError(t, err)
		got = append(got, ws.ID)
		if len(got) == 1 {
			_, err := e.admin.OrgWorkspaces.Archive(t.Context(), ws.ID)
			require.NoError(t, err)
			want = append(want, e.createWorkspace(t, "late").ID)
		}
	}
	assert.Equal(t, want, got, "archiving a seen item skips nothing; a new item comes last")
}

// updateCase is one update of an org workspace: before prepares it, req is the update under test
// and check looks at the result, as returned and as read back.
type updateCase struct {
	name   string
	before *membrane.UpdateOrgWorkspaceRequest
	req    membrane.UpdateOrgWorkspaceRequest
	check  func(t *testing.T, ws *membrane.OrgWorkspace)
}

var fakeUpdateCases = []updateCase{
	{
		name: "name and webhook",
		req:  membrane.UpdateOrgWorkspaceRequest{Name: membrane.Set("Renamed"), WebhookURI: membrane.Set("https://hooks.example/in")},
		check: func(t *testing.T, ws *membrane.OrgWorkspace) {
			assert.Equal(t, "Renamed", ws.Name)
			assert.Equal(t, "https://hooks.example/in", ws.WebhookURI)
		},
	},
	{
		name:   "settings merge key by key",
		before: &membrane.UpdateOrgWorkspaceRequest{Name: membrane.Set("Kept"), Settings: membrane.Set(membrane.WorkspaceSettings{EnableAPILogs: membrane.Set(true)})},
		req:    membrane.UpdateOrgWorkspaceRequest{Settings: membrane.Set(membrane.WorkspaceSettings{EnableWebhookLogs: membrane.Set(false)})},
		check: func(t *testing.T, ws *membrane.OrgWorkspace) {
			require.NotNil(t, ws.Settings)
			assert.Equal(t, membrane.Set(true), ws.Settings.EnableAPILogs, "a setting not sent stays")
			assert.Equal(t, membrane.Set(false), ws.Settings.EnableWebhookLogs, "false is sent and stored")
			assert.True(t, ws.Settings.DisableSecretKeyAuth.IsZero())
			assert.Equal(t, "Kept", ws.Name, "a field not sent stays")
		},
	},
	{
		name:   "isReadOnly false is sent and stored",
		before: &membrane.UpdateOrgWorkspaceRequest{IsReadOnly: membrane.Set(true)},
		req:    membrane.UpdateOrgWorkspaceRequest{IsReadOnly: membrane.Set(false)},
		check:  func(t *testing.T, ws *membrane.OrgWorkspace) { assert.False(t, ws.IsReadOnly) },
	},
	{
		name: "isReadOnly true",
		req:  membrane.UpdateOrgWorkspaceRequest{IsReadOnly: membrane.Set(true)},
		check: func(t *testing.T, ws *membrane.OrgWorkspace) {
			assert.True(t, ws.IsReadOnly)
		},
	},
	{
		name: "enabled webhook events",
		req:  membrane.UpdateOrgWorkspaceRequest{EnabledWebhookEvents: membrane.Set([]string{"connection.created", "flow-run.failed"})},
		check: func(t *testing.T, ws *membrane.OrgWorkspace) {
			assert.Equal(t, []string{"connection.created", "flow-run.failed"}, ws.EnabledWebhookEvents)
		},
	},
	{
		name:   "an empty list of webhook events clears them",
		before: &membrane.UpdateOrgWorkspaceRequest{EnabledWebhookEvents: membrane.Set([]string{"connection.created"})},
		req:    membrane.UpdateOrgWorkspaceRequest{EnabledWebhookEvents: membrane.Set([]string{})},
		check:  func(t *testing.T, ws *membrane.OrgWorkspace) { assert.Empty(t, ws.EnabledWebhookEvents) },
	},
	{
		name: "jwks uri",
		req:  membrane.UpdateOrgWorkspaceRequest{JWKSURI: membrane.Set("https://keys.example/jwks.json")},
		check: func(t *testing.T, ws *membrane.OrgWorkspace) {
			assert.Equal(t, membrane.Ptr("https://keys.example/jwks.json"), ws.JWKSURI)
		},
	},
	{
		name:   "null clears the jwks uri",
		before: &membrane.UpdateOrgWorkspaceRequest{JWKSURI: membrane.Set("https://keys.example/jwks.json")},
		req:    membrane.UpdateOrgWorkspaceRequest{JWKSURI: membrane.Null[string]()},
		check:  func(t *testing.T, ws *membrane.OrgWorkspace) { assert.Nil(t, ws.JWKSURI) },
	},
	{
		name: "limits",
		req: membrane.UpdateOrgWorkspaceRequest{Limits: membrane.Set(map[string]membrane.Limit{
			"apiRequestsPerSecond": {Value: 50, DefaultValue: membrane.Ptr(10.0), Unit: "requests"},
		})},
		check: func(t *testing.T, ws *membrane.OrgWorkspace) {
			assert.Equal(t, map[string]membrane.Limit{
				"apiRequestsPerSecond": {Value: 50, DefaultValue: membrane.Ptr(10.0), Unit: "requests"},
			}, ws.Limits)
		},
	},
	{
		name: "type",
		req:  membrane.UpdateOrgWorkspaceRequest{Type: membrane.Set(membrane.WorkspaceTypeDevelopment)},
		check: func(t *testing.T, ws *membrane.OrgWorkspace) {
			assert.Equal(t, membrane.WorkspaceTypeDevelopment, ws.Type)
		},
	},
	{
		name: "public keys",
		req:  membrane.UpdateOrgWorkspaceRequest{PublicKeys: membrane.Set([]membrane.PublicKey{{Name: "main", PublicKey: testPublicKeyPEM}})},
		check: func(t *testing.T, ws *membrane.OrgWorkspace) {
			assert.Equal(t, []membrane.PublicKey{{Name: "main", PublicKey: testPublicKeyPEM}}, ws.PublicKeys)
		},
	},
	{
		name:   "an empty list of public keys clears them",
		before: &membrane.UpdateOrgWorkspaceRequest{PublicKeys: membrane.Set([]membrane.PublicKey{{Name: "main", PublicKey: testPublicKeyPEM}})},
		req:    membrane.UpdateOrgWorkspaceRequest{PublicKeys: membrane.Set([]membrane.PublicKey{})},
		check:  func(t *testing.T, ws *membrane.OrgWorkspace) { assert.Empty(t, ws.PublicKeys) },
	},
	{
		name: "logo",
		req:  membrane.UpdateOrgWorkspaceRequest{LogoURI: membrane.Set("https://acme.example/new-logo.svg")},
		check: func(t *testing.T, ws *membrane.OrgWorkspace) {
			assert.Equal(t, "https://acme.example/new-logo.svg", ws.LogoURI)
		},
	},
	{
		name:   "null clears alert delivery settings",
		before: &membrane.UpdateOrgWorkspaceRequest{AlertDeliverySettings: membrane.Set(json.RawMessage(`{"email":true}`))},
		req:    membrane.UpdateOrgWorkspaceRequest{AlertDeliverySettings: membrane.Null[json.RawMessage]()},
		check:  func(t *testing.T, ws *membrane.OrgWorkspace) { assert.Empty(t, ws.AlertDeliverySettings) },
	},
	{
		name: "user fields schema",
		req:  membrane.UpdateOrgWorkspaceRequest{UserFieldsSchema: membrane.Set(json.RawMessage(`{"type":"object"}`))},
		check: func(t *testing.T, ws *membrane.OrgWorkspace) {
			assert.JSONEq(t, `{"type":"object"}`, string(ws.UserFieldsSchema))
		},
	},
}

func TestFakeUpdateOrgWorkspace(t *testing.T) {
	t.Parallel()
	for _, tc := range fakeUpdateCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newFakeEnv(t)
			ws := e.createWorkspace(t, "Original")
			if tc.before != nil {
				_, err := e.admin.OrgWorkspaces.Update(t.Context(), ws.ID, tc.before)
				require.NoError(t, err)
			}

			got, err := e.admin.OrgWorkspaces.Update(t.Context(), ws.ID, &tc.req)
			require.NoError(t, err)
			tc.check(t, got)
			assert.False(t, got.UpdatedAt.Before(ws.UpdatedAt))
			assert.Equal(t, ws.Key, got.Key)
			assert.Equal(t, ws.Secret, got.Secret)

			stored := e.getWorkspace(t, ws.ID)
			tc.check(t, stored)
			assert.Equal(t, got, stored, "Get reads back what Update returned")
		})
	}
}

func TestFakeArchiveAndRestoreOrgWorkspace(t *testing.T) {
	t.Parallel()
	e := newFakeEnv(t)
	keep := e.createWorkspace(t, "keep")
	ws := e.createWorkspace(t, "archive me")

	archived, err := e.admin.OrgWorkspaces.Archive(t.Context(), ws.ID)
	require.NoError(t, err)
	require.NotNil(t, archived.ArchivedAt)
	assert.Equal(t, archived, e.getWorkspace(t, ws.ID))

	live, err := e.admin.OrgWorkspaces.List(t.Context(), nil)
	require.NoError(t, err)
	assert.Equal(t, []*membrane.OrgWorkspace{keep}, live.Items, "archived workspaces are hidden")
	all, err := e.admin.OrgWorkspaces.List(t.Context(), &membrane.ListOrgWorkspacesOptions{IncludeArchived: true})
	require.NoError(t, err)
	assert.Equal(t, []*membrane.OrgWorkspace{keep, archived}, all.Items)

	again, err := e.admin.OrgWorkspaces.Archive(t.Context(), ws.ID)
	require.NoError(t, err)
	assert.Equal(t, archived, again, "archiving twice changes nothing")

	restored, err := e.admin.OrgWorkspaces.Restore(t.Context(), ws.ID)
	require.NoError(t, err)
	assert.Nil(t, restored.ArchivedAt)
	assert.Equal(t, restored, e.getWorkspace(t, ws.ID))
	assert.Equal(t, []string{keep.ID, ws.ID}, e.workspaceIDs(t))
	live, err = e.admin.OrgWorkspaces.List(t.Context(), nil)
	require.NoError(t, err)
	assert.Len(t, live.Items, 2, "a restored workspace is listed again")
}

func TestFakeAccessTokens(t *testing.T) {
	t.Parallel()
	e := newFakeEnv(t)
	ws := e.createWorkspace(t, "tokens")

	tenant := e.tokenClient(t, ws, &membrane.AccessTokenRequest{TenantKey: "tenant-1", Name: "Tenant One"})
	self, err := tenant.Self(t.Context())
	require.NoError(t, err)
	assert.Equal(t, "tenant-1", self.InternalID)
	assert.Equal(t, "Tenant One", self.Name)

	admin := e.tokenClient(t, ws, nil)
	page, err := admin.Customers.List(t.Context(), nil)
	require.NoError(t, err)
	require.Len(t, page.Items, 1, "the tenant was created on first use")
	assert.Equal(t, self.ID, page.Items[0].ID)

	byID := e.tokenClient(t, ws, &membrane.AccessTokenRequest{TenantID: self.ID})
	again, err := byID.Self(t.Context())
	require.NoError(t, err)
	assert.Equal(t, self.ID, again.ID, "tenantId names the same tenant")
}

func TestFakeRotateSecret(t *testing.T) {
	t.Parallel()
	e := newFakeEnv(t)
	ws := e.createWorkspace(t, "rotate")
	old := e.tokenClient(t, ws, nil)
	_, err := old.Customers.List(t.Context(), nil)
	require.NoError(t, err)

	secret, err := e.admin.OrgWorkspaces.RotateSecret(t.Context(), ws.ID)
	require.NoError(t, err)
	assert.NotEqual(t, ws.Secret.Reveal(), secret.Reveal())
	assert.Equal(t, secret.Reveal(), e.getWorkspace(t, ws.ID).Secret.Reveal(), "Get shows the new secret")

	_, err = old.Customers.List(t.Context(), nil)
	require.ErrorIs(t, err, membrane.ErrNotAuthenticated, "a token signed with the old secret is refused")
	oldCreds := e.workspaceClient(t, membrane.WithWorkspaceCredentials(ws.Key, ws.Secret, membrane.WorkspaceClaims{}))
	_, err = oldCreds.Customers.List(t.Context(), nil)
	require.ErrorIs(t, err, membrane.ErrNotAuthenticated)

	tok, err := membrane.MintWorkspaceToken(ws.Key, secret, membrane.WorkspaceClaims{})
	require.NoError(t, err)
	fresh := e.workspaceClient(t, membrane.WithBaseURL(ws.APIBaseURI), membrane.WithToken(tok))
	cu := createCustomer(t, fresh, &membrane.CreateCustomerRequest{Name: "After rotation"})
	got, err := fresh.Customers.Get(t.Context(), cu.ID)
	require.NoError(t, err)
	assert.Equal(t, cu, got)
}

// Like OrgWorkspaces.List, Instances.List may leave out the org for a token of one org.
func TestFakeInstancesListWithoutOrg(t *testing.T) {
	t.Parallel()
	e := newFakeEnv(t)
	single := e.platformClient(t, e.srv.AddMember(e.srv.OrgID(), fake.RoleReadOnly))
	instances, err := single.Instances.List(t.Context(), "")
	require.NoError(t, err)
	assert.Equal(t, []*membrane.Instance{{ID: "hub", Name: "Hub", APIBaseURI: e.srv.URL()}}, instances)
	instances, err = e.admin.Instances.List(t.Context(), "")
	require.NoError(t, err)
	assert.Len(t, instances, 1)
}

func TestFakeInstancesList(t *testing.T) {
	t.Parallel()
	e := newFakeEnv(t)
	instances, err := e.admin.Instances.List(t.Context(), e.srv.OrgID())
	require.NoError(t, err)
	assert.Equal(t, []*membrane.Instance{{ID: "hub", Name: "Hub", APIBaseURI: e.srv.URL()}}, instances)

	ws, err := e.admin.OrgWorkspaces.Create(t.Context(), &membrane.CreateOrgWorkspaceRequest{
		OrgID: e.srv.OrgID(), MembraneInstanceID: instances[0].ID,
	})
	require.NoError(t, err)
	assert.Equal(t, instances[0].APIBaseURI, ws.APIBaseURI)
}

func TestFakeCreateWithIdempotencyKeyHappensOnce(t *testing.T) {
	t.Parallel()
	e := newFakeEnv(t)
	req := &membrane.CreateOrgWorkspaceRequest{OrgID: e.srv.OrgID(), Name: "once"}
	key := membrane.WithIdempotencyKey("provision-customer-7")

	first, err := e.admin.OrgWorkspaces.Create(t.Context(), req, key)
	require.NoError(t, err)
	second, err := e.admin.OrgWorkspaces.Create(t.Context(), req, key)
	require.NoError(t, err)

	assert.Equal(t, first, second)
	assert.Equal(t, first.Secret.Reveal(), second.Secret.Reveal())
	assert.Equal(t, []string{first.ID}, e.workspaceIDs(t), "the fake holds one workspace")
}

// A Null setting resets that setting, a Null Settings resets them all; a PATCH that names no
// known field changes nothing, UpdatedAt included.
func TestFakeUpdateSettingsAndNothing(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(time.Second)
		return now
	}
	e := newFakeEnv(t, fake.WithClock(clock))
	ctx := t.Context()
	ws, err := e.admin.OrgWorkspaces.Create(ctx, &membrane.CreateOrgWorkspaceRequest{OrgID: e.srv.OrgID(), Name: "Acme"})
	require.NoError(t, err)
	ws, err = e.admin.OrgWorkspaces.Update(ctx, ws.ID, &membrane.UpdateOrgWorkspaceRequest{Settings: membrane.Set(membrane.WorkspaceSettings{
		EnableAPILogs: membrane.Set(true), EnableWebhookLogs: membrane.Set(true)})})
	require.NoError(t, err)

	ws, err = e.admin.OrgWorkspaces.Update(ctx, ws.ID, &membrane.UpdateOrgWorkspaceRequest{Settings: membrane.Set(membrane.WorkspaceSettings{
		EnableAPILogs: membrane.Null[bool]()})})
	require.NoError(t, err)
	require.NotNil(t, ws.Settings)
	assert.True(t, ws.Settings.EnableAPILogs.IsZero(), "the Null setting is reset: not reported")
	logs, _ := ws.Settings.EnableWebhookLogs.Get()
	assert.True(t, logs, "the other setting stays")

	ws, err = e.admin.OrgWorkspaces.Update(ctx, ws.ID, &membrane.UpdateOrgWorkspaceRequest{Settings: membrane.Null[membrane.WorkspaceSettings]()})
	require.NoError(t, err)
	assert.True(t, ws.Settings == nil || *ws.Settings == membrane.WorkspaceSettings{}, "a Null Settings resets them all: %v", ws.Settings)

	require.NoError(t, e.admin.Do(ctx, http.MethodPatch, "/org-workspaces/"+ws.ID, map[string]any{"unknownField": 1}, nil))
	got, err := e.admin.OrgWorkspaces.Get(ctx, ws.ID)
	require.NoError(t, err)
	assert.Equal(t, ws.UpdatedAt, got.UpdatedAt, "a PATCH that names no known field does not move UpdatedAt")
}
