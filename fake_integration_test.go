package membrane_test

import (
	"crypto/ed25519"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	membrane "github.com/membrane-community/membrane-go"
	"github.com/membrane-community/membrane-go/fake"
)

// fakeTap sits between the SDK and the fake: it counts the requests that reach the fake, keeps
// the X-Request-Id of the latest answer and every bearer token it carried.
type fakeTap struct {
	next http.RoundTripper

	mu        sync.Mutex
	requests  int
	requestID string
	tokens    map[string]bool
}

// RoundTrip hands req to the fake and records it.
func (f *fakeTap) RoundTrip(req *http.Request) (*http.Response, error) {
	token := strings.TrimPrefix(req.Header.Get("Authorization"), "Bearer ")
	resp, err := f.next.RoundTrip(req)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests++
	if token != "" {
		f.tokens[token] = true
	}
	if resp != nil {
		f.requestID = resp.Header.Get("X-Request-Id")
	}
	return resp, err
}

func (f *fakeTap) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests
}

func (f *fakeTap) lastRequestID() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requestID
}

// namedTokens names each bearer token the tap saw on the wire.
func (f *fakeTap) namedTokens() map[string]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[string]string, len(f.tokens))
	for tok := range f.tokens {
		out[fmt.Sprintf("bearer token %d", len(out))] = tok
	}
	return out
}

// testPublicKeyPEM is a PEM-encoded Ed25519 public key for workspace public key updates.
var testPublicKeyPEM = func() string {
	pub, _, err := ed25519.GenerateKey(nil)
	if err != nil {
		panic(err)
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		panic(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}()

// fakeEnv is one in-process fake and an admin client of its default org. Every client built
// from it reaches the fake through the same tap.
type fakeEnv struct {
	srv   *fake.Server
	tap   *fakeTap
	admin *membrane.Client
}

func newFakeEnv(t *testing.T, opts ...fake.Option) *fakeEnv {
	t.Helper()
	srv, err := fake.New(opts...)
	require.NoError(t, err)
	t.Cleanup(srv.Close)
	e := &fakeEnv{srv: srv, tap: &fakeTap{next: srv.HTTPClient().Transport, tokens: map[string]bool{}}}
	e.admin = e.platformClient(t, srv.AdminToken())
	return e
}

func (e *fakeEnv) httpClient() *http.Client { return &http.Client{Transport: e.tap} }

// platformClient is a Management API client with token.
func (e *fakeEnv) platformClient(t *testing.T, token string, opts ...membrane.Option) *membrane.Client {
	t.Helper()
	all := append([]membrane.Option{
		membrane.WithBaseURL(e.srv.URL()), membrane.WithToken(token), membrane.WithHTTPClient(e.httpClient()),
	}, opts...)
	c, err := membrane.NewClient(all...)
	require.NoError(t, err)
	return c
}

// workspaceClient is a workspace API client at the hub's URL; opts bring the credentials.
func (e *fakeEnv) workspaceClient(t *testing.T, opts ...membrane.Option) *membrane.WorkspaceClient {
	t.Helper()
	all := append([]membrane.Option{membrane.WithBaseURL(e.srv.URL()), membrane.WithHTTPClient(e.httpClient())}, opts...)
	c, err := membrane.NewWorkspaceClient(all...)
	require.NoError(t, err)
	return c
}

// tokenClient is a workspace API client at ws.APIBaseURI with a token minted by the hub.
func (e *fakeEnv) tokenClient(t *testing.T, ws *membrane.OrgWorkspace, req *membrane.AccessTokenRequest) *membrane.WorkspaceClient {
	t.Helper()
	tok, err := e.admin.OrgWorkspaces.AccessToken(t.Context(), ws.ID, req)
	require.NoError(t, err)
	return e.workspaceClient(t, membrane.WithBaseURL(ws.APIBaseURI), membrane.WithToken(tok))
}

// adminWorkspaceClient is a workspace-level client of ws, built by OrgWorkspaces.Client.
func (e *fakeEnv) adminWorkspaceClient(t *testing.T, ws *membrane.OrgWorkspace) *membrane.WorkspaceClient {
	t.Helper()
	wc, err := e.admin.OrgWorkspaces.Client(t.Context(), ws, nil)
	require.NoError(t, err)
	return wc
}

func (e *fakeEnv) createWorkspace(t *testing.T, name string) *membrane.OrgWorkspace {
	t.Helper()
	ws, err := e.admin.OrgWorkspaces.Create(t.Context(), &membrane.CreateOrgWorkspaceRequest{OrgID: e.srv.OrgID(), Name: name})
	require.NoError(t, err)
	return ws
}

func (e *fakeEnv) getWorkspace(t *testing.T, id string) *membrane.OrgWorkspace {
	t.Helper()
	ws, err := e.admin.OrgWorkspaces.Get(t.Context(), id)
	require.NoError(t, err)
	return ws
}

// workspaceIDs lists the ids of the default org's workspaces, archived ones included, in order.
func (e *fakeEnv) workspaceIDs(t *testing.T) []string {
	t.Helper()
	var ids []string
	for ws, err := range e.admin.OrgWorkspaces.All(t.Context(), &membrane.ListOrgWorkspacesOptions{IncludeArchived: true}) {
		require.NoError(t, err)
		ids = append(ids, ws.ID)
	}
	return ids
}

func createCustomer(t *testing.T, wc *membrane.WorkspaceClient, req *membrane.CreateCustomerRequest) *membrane.Customer {
	t.Helper()
	cu, err := wc.Customers.Create(t.Context(), req)
	require.NoError(t, err)
	return cu
}

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
		req:  membrane.UpdateOrgWorkspaceRequest{Name: membrane.Ptr("Renamed"), WebhookURI: membrane.Ptr("https://hooks.example/in")},
		check: func(t *testing.T, ws *membrane.OrgWorkspace) {
			assert.Equal(t, "Renamed", ws.Name)
			assert.Equal(t, "https://hooks.example/in", ws.WebhookURI)
		},
	},
	{
		name:   "settings merge key by key",
		before: &membrane.UpdateOrgWorkspaceRequest{Name: membrane.Ptr("Kept"), Settings: &membrane.WorkspaceSettings{EnableAPILogs: membrane.Ptr(true)}},
		req:    membrane.UpdateOrgWorkspaceRequest{Settings: &membrane.WorkspaceSettings{EnableWebhookLogs: membrane.Ptr(false)}},
		check: func(t *testing.T, ws *membrane.OrgWorkspace) {
			require.NotNil(t, ws.Settings)
			assert.Equal(t, membrane.Ptr(true), ws.Settings.EnableAPILogs, "a setting not sent stays")
			assert.Equal(t, membrane.Ptr(false), ws.Settings.EnableWebhookLogs, "false is sent and stored")
			assert.Nil(t, ws.Settings.DisableSecretKeyAuth)
			assert.Equal(t, "Kept", ws.Name, "a field not sent stays")
		},
	},
	{
		name:   "isReadOnly false is sent and stored",
		before: &membrane.UpdateOrgWorkspaceRequest{IsReadOnly: membrane.Ptr(true)},
		req:    membrane.UpdateOrgWorkspaceRequest{IsReadOnly: membrane.Ptr(false)},
		check:  func(t *testing.T, ws *membrane.OrgWorkspace) { assert.False(t, ws.IsReadOnly) },
	},
	{
		name: "isReadOnly true",
		req:  membrane.UpdateOrgWorkspaceRequest{IsReadOnly: membrane.Ptr(true)},
		check: func(t *testing.T, ws *membrane.OrgWorkspace) {
			assert.True(t, ws.IsReadOnly)
		},
	},
	{
		name: "enabled webhook events",
		req:  membrane.UpdateOrgWorkspaceRequest{EnabledWebhookEvents: membrane.Ptr([]string{"connection.created", "flow-run.failed"})},
		check: func(t *testing.T, ws *membrane.OrgWorkspace) {
			assert.Equal(t, []string{"connection.created", "flow-run.failed"}, ws.EnabledWebhookEvents)
		},
	},
	{
		name:   "an empty list of webhook events clears them",
		before: &membrane.UpdateOrgWorkspaceRequest{EnabledWebhookEvents: membrane.Ptr([]string{"connection.created"})},
		req:    membrane.UpdateOrgWorkspaceRequest{EnabledWebhookEvents: membrane.Ptr([]string{})},
		check:  func(t *testing.T, ws *membrane.OrgWorkspace) { assert.Empty(t, ws.EnabledWebhookEvents) },
	},
	{
		name: "jwks uri",
		req:  membrane.UpdateOrgWorkspaceRequest{JWKSURI: membrane.NullableValue("https://keys.example/jwks.json")},
		check: func(t *testing.T, ws *membrane.OrgWorkspace) {
			assert.Equal(t, membrane.Ptr("https://keys.example/jwks.json"), ws.JWKSURI)
		},
	},
	{
		name:   "null clears the jwks uri",
		before: &membrane.UpdateOrgWorkspaceRequest{JWKSURI: membrane.NullableValue("https://keys.example/jwks.json")},
		req:    membrane.UpdateOrgWorkspaceRequest{JWKSURI: membrane.Null[string]()},
		check:  func(t *testing.T, ws *membrane.OrgWorkspace) { assert.Nil(t, ws.JWKSURI) },
	},
	{
		name: "limits",
		req: membrane.UpdateOrgWorkspaceRequest{Limits: map[string]membrane.Limit{
			"apiRequestsPerSecond": {Value: 50, DefaultValue: membrane.Ptr(10.0), Unit: "requests"},
		}},
		check: func(t *testing.T, ws *membrane.OrgWorkspace) {
			assert.Equal(t, map[string]membrane.Limit{
				"apiRequestsPerSecond": {Value: 50, DefaultValue: membrane.Ptr(10.0), Unit: "requests"},
			}, ws.Limits)
		},
	},
	{
		name: "type",
		req:  membrane.UpdateOrgWorkspaceRequest{Type: membrane.Ptr(membrane.WorkspaceTypeDevelopment)},
		check: func(t *testing.T, ws *membrane.OrgWorkspace) {
			assert.Equal(t, membrane.WorkspaceTypeDevelopment, ws.Type)
		},
	},
	{
		name: "public keys",
		req:  membrane.UpdateOrgWorkspaceRequest{PublicKeys: membrane.Ptr([]membrane.PublicKey{{Name: "main", PublicKey: testPublicKeyPEM}})},
		check: func(t *testing.T, ws *membrane.OrgWorkspace) {
			assert.Equal(t, []membrane.PublicKey{{Name: "main", PublicKey: testPublicKeyPEM}}, ws.PublicKeys)
		},
	},
	{
		name:   "an empty list of public keys clears them",
		before: &membrane.UpdateOrgWorkspaceRequest{PublicKeys: membrane.Ptr([]membrane.PublicKey{{Name: "main", PublicKey: testPublicKeyPEM}})},
		req:    membrane.UpdateOrgWorkspaceRequest{PublicKeys: membrane.Ptr([]membrane.PublicKey{})},
		check:  func(t *testing.T, ws *membrane.OrgWorkspace) { assert.Empty(t, ws.PublicKeys) },
	},
	{
		name: "logo",
		req:  membrane.UpdateOrgWorkspaceRequest{LogoURI: membrane.Ptr("https://acme.example/new-logo.svg")},
		check: func(t *testing.T, ws *membrane.OrgWorkspace) {
			assert.Equal(t, "https://acme.example/new-logo.svg", ws.LogoURI)
		},
	},
	{
		name:   "null clears alert delivery settings",
		before: &membrane.UpdateOrgWorkspaceRequest{AlertDeliverySettings: json.RawMessage(`{"email":true}`)},
		req:    membrane.UpdateOrgWorkspaceRequest{AlertDeliverySettings: json.RawMessage("null")},
		check:  func(t *testing.T, ws *membrane.OrgWorkspace) { assert.Empty(t, ws.AlertDeliverySettings) },
	},
	{
		name: "user fields schema",
		req:  membrane.UpdateOrgWorkspaceRequest{UserFieldsSchema: json.RawMessage(`{"type":"object"}`)},
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

func TestFakeMembraneInstancesList(t *testing.T) {
	t.Parallel()
	e := newFakeEnv(t)
	instances, err := e.admin.MembraneInstances.List(t.Context(), e.srv.OrgID())
	require.NoError(t, err)
	assert.Equal(t, []*membrane.MembraneInstance{{ID: "hub", Name: "Hub", APIBaseURI: e.srv.URL()}}, instances)

	ws, err := e.admin.OrgWorkspaces.Create(t.Context(), &membrane.CreateOrgWorkspaceRequest{
		OrgID: e.srv.OrgID(), MembraneInstanceID: instances[0].ID,
	})
	require.NoError(t, err)
	assert.Equal(t, instances[0].APIBaseURI, ws.APIBaseURI)
}

func TestFakeOrgWorkspaceClientManagesCustomers(t *testing.T) {
	t.Parallel()
	e := newFakeEnv(t)
	ws := e.createWorkspace(t, "customers")
	wc := e.adminWorkspaceClient(t, ws)
	assert.Equal(t, ws.APIBaseURI, wc.BaseURL())

	cu := createCustomer(t, wc, &membrane.CreateCustomerRequest{
		Name: "Globex", InternalID: "globex", Fields: map[string]any{"plan": "gold"},
		Credentials: map[string]any{"apiKey": "k"},
	})
	assert.Len(t, cu.ID, 24)
	assert.Equal(t, "Globex", cu.Name)
	assert.Equal(t, "globex", cu.InternalID)
	assert.Equal(t, map[string]any{"plan": "gold"}, cu.Fields)
	assert.JSONEq(t, `{"apiKey":"k"}`, string(cu.Credentials))
	assert.True(t, cu.IsActive)
	assert.False(t, cu.CreatedAt.IsZero())
	assert.Nil(t, cu.ArchivedAt)

	got, err := wc.Customers.Get(t.Context(), cu.ID)
	require.NoError(t, err)
	assert.Equal(t, cu, got)

	updated, err := wc.Customers.Update(t.Context(), cu.ID, &membrane.UpdateCustomerRequest{Name: membrane.Ptr("Globex Corp")})
	require.NoError(t, err)
	assert.Equal(t, "Globex Corp", updated.Name)

	archived, err := wc.Customers.Archive(t.Context(), cu.ID)
	require.NoError(t, err)
	require.NotNil(t, archived.ArchivedAt)
	assert.False(t, archived.IsActive)
	page, err := wc.Customers.List(t.Context(), nil)
	require.NoError(t, err)
	assert.Empty(t, page.Items, "archived customers are hidden")
	page, err = wc.Customers.List(t.Context(), &membrane.ListCustomersOptions{IncludeArchived: true})
	require.NoError(t, err)
	assert.Equal(t, []*membrane.Customer{archived}, page.Items)

	restored, err := wc.Customers.Restore(t.Context(), cu.ID)
	require.NoError(t, err)
	assert.Nil(t, restored.ArchivedAt)
	assert.True(t, restored.IsActive)
	got, err = wc.Customers.Get(t.Context(), cu.ID)
	require.NoError(t, err)
	assert.Equal(t, restored, got)
	assert.Equal(t, "Globex Corp", got.Name)
}

func TestFakeCustomersAllWalksEveryPage(t *testing.T) {
	t.Parallel()
	e := newFakeEnv(t)
	wc := e.adminWorkspaceClient(t, e.createWorkspace(t, "many customers"))
	var want []string
	for i := range 11 {
		want = append(want, createCustomer(t, wc, &membrane.CreateCustomerRequest{Name: fmt.Sprintf("c-%02d", i)}).ID)
	}

	var got []string
	for cu, err := range wc.Customers.All(t.Context(), &membrane.ListCustomersOptions{Limit: 3}) {
		require.NoError(t, err)
		got = append(got, cu.ID)
	}
	assert.Equal(t, want, got)

	first, err := wc.Customers.List(t.Context(), &membrane.ListCustomersOptions{Limit: 3})
	require.NoError(t, err)
	assert.Len(t, first.Items, 3)
	assert.NotEmpty(t, first.Cursor)
}

func TestFakeCustomersListFilters(t *testing.T) {
	t.Parallel()
	e := newFakeEnv(t)
	wc := e.adminWorkspaceClient(t, e.createWorkspace(t, "filters"))
	active := createCustomer(t, wc, &membrane.CreateCustomerRequest{Name: "Active Co", InternalID: "active"})
	gone := createCustomer(t, wc, &membrane.CreateCustomerRequest{Name: "Gone Co", InternalID: "gone"})
	gone, err := wc.Customers.Archive(t.Context(), gone.ID)
	require.NoError(t, err)

	tests := []struct {
		name string
		opts membrane.ListCustomersOptions
		want []*membrane.Customer
	}{
		{"default hides archived", membrane.ListCustomersOptions{}, []*membrane.Customer{active}},
		{"include archived", membrane.ListCustomersOptions{IncludeArchived: true}, []*membrane.Customer{active, gone}},
		{"inactive only", membrane.ListCustomersOptions{IncludeArchived: true, IsActive: membrane.Ptr(false)}, []*membrane.Customer{gone}},
		{"active only", membrane.ListCustomersOptions{IncludeArchived: true, IsActive: membrane.Ptr(true)}, []*membrane.Customer{active}},
		{"search by internal id", membrane.ListCustomersOptions{IncludeArchived: true, Search: "GONE"}, []*membrane.Customer{gone}},
		{"not test customers", membrane.ListCustomersOptions{IsTest: membrane.Ptr(false)}, []*membrane.Customer{active}},
		{"test customers", membrane.ListCustomersOptions{IsTest: membrane.Ptr(true)}, []*membrane.Customer{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			page, err := wc.Customers.List(t.Context(), &tc.opts)
			require.NoError(t, err)
			assert.Equal(t, tc.want, page.Items)
		})
	}
}

func TestFakeCustomerUpdateMergesAndClears(t *testing.T) {
	t.Parallel()
	e := newFakeEnv(t)
	wc := e.adminWorkspaceClient(t, e.createWorkspace(t, "update customers"))
	cu := createCustomer(t, wc, &membrane.CreateCustomerRequest{Name: "Initech", InternalID: "initech", Fields: map[string]any{"seats": 5.0}})

	limited, err := wc.Customers.Update(t.Context(), cu.ID, &membrane.UpdateCustomerRequest{
		AICreditsRolling30DayLimit: membrane.NullableValue(250.0),
	})
	require.NoError(t, err)
	assert.Equal(t, membrane.Ptr(250.0), limited.AICreditsRolling30DayLimit)
	assert.Equal(t, "Initech", limited.Name, "fields not sent stay")
	assert.Equal(t, "initech", limited.InternalID)
	assert.Equal(t, map[string]any{"seats": 5.0}, limited.Fields)

	renamed, err := wc.Customers.Update(t.Context(), cu.ID, &membrane.UpdateCustomerRequest{Name: membrane.Ptr("Initech Ltd")})
	require.NoError(t, err)
	assert.Equal(t, membrane.Ptr(250.0), renamed.AICreditsRolling30DayLimit, "the limit stays when not sent")

	cleared, err := wc.Customers.Update(t.Context(), cu.ID, &membrane.UpdateCustomerRequest{
		AICreditsRolling30DayLimit: membrane.Null[float64](),
	})
	require.NoError(t, err)
	assert.Nil(t, cleared.AICreditsRolling30DayLimit)

	stored, err := wc.Customers.Get(t.Context(), cu.ID)
	require.NoError(t, err)
	assert.Equal(t, cleared, stored)
	assert.Equal(t, "Initech Ltd", stored.Name)
	assert.Nil(t, stored.AICreditsRolling30DayLimit)
}

func TestFakeWorkspaceCredentialsCreateTheTenant(t *testing.T) {
	t.Parallel()
	e := newFakeEnv(t)
	ws := e.createWorkspace(t, "offline tokens")
	tenant := e.workspaceClient(t, membrane.WithWorkspaceCredentials(ws.Key, ws.Secret, membrane.WorkspaceClaims{
		TenantKey: "acme-42", Name: "Acme 42", Fields: map[string]any{"region": "eu"},
	}))

	self, err := tenant.Self(t.Context())
	require.NoError(t, err)
	assert.Equal(t, "acme-42", self.InternalID)
	assert.Equal(t, "Acme 42", self.Name)
	assert.Equal(t, map[string]any{"region": "eu"}, self.Fields)

	stored, err := e.adminWorkspaceClient(t, ws).Customers.Get(t.Context(), self.ID)
	require.NoError(t, err)
	assert.Equal(t, "Acme 42", stored.Name)
	assert.Equal(t, "acme-42", stored.InternalID)

	again, err := tenant.Self(t.Context())
	require.NoError(t, err)
	assert.Equal(t, self.ID, again.ID, "the tenant is created once")
}

func TestFakeAcceptsMintedTokens(t *testing.T) {
	t.Parallel()
	for _, alg := range []string{"HS256", "HS384", "HS512"} {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			e := newFakeEnv(t)
			ws := e.createWorkspace(t, alg)
			tok, err := membrane.MintWorkspaceToken(ws.Key, ws.Secret, membrane.WorkspaceClaims{Algorithm: alg})
			require.NoError(t, err)

			wc := e.workspaceClient(t, membrane.WithToken(tok))
			cu := createCustomer(t, wc, &membrane.CreateCustomerRequest{Name: "signed with " + alg})
			page, err := wc.Customers.List(t.Context(), nil)
			require.NoError(t, err)
			assert.Equal(t, []*membrane.Customer{cu}, page.Items)
		})
	}
}

func TestFakeCreateWithIdempotencyKeyHappensOnce(t *testing.T) {
	t.Parallel()
	e := newFakeEnv(t)
	req := &membrane.CreateOrgWorkspaceRequest{OrgID: e.srv.OrgID(), Name: "once", IdempotencyKey: "provision-customer-7"}

	first, err := e.admin.OrgWorkspaces.Create(t.Context(), req)
	require.NoError(t, err)
	second, err := e.admin.OrgWorkspaces.Create(t.Context(), req)
	require.NoError(t, err)

	assert.Equal(t, first, second)
	assert.Equal(t, first.Secret.Reveal(), second.Secret.Reveal())
	assert.Equal(t, []string{first.ID}, e.workspaceIDs(t), "the fake holds one workspace")
}

func TestFakeCustomerCreateWithIdempotencyKeyHappensOnce(t *testing.T) {
	t.Parallel()
	e := newFakeEnv(t)
	wc := e.adminWorkspaceClient(t, e.createWorkspace(t, "idempotent customers"))
	req := &membrane.CreateCustomerRequest{Name: "Once", IdempotencyKey: "customer-once"}

	first := createCustomer(t, wc, req)
	second := createCustomer(t, wc, req)
	assert.Equal(t, first, second)
	page, err := wc.Customers.List(t.Context(), nil)
	require.NoError(t, err)
	assert.Equal(t, []*membrane.Customer{first}, page.Items)
}
