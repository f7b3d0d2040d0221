package membrane_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	membrane "github.com/membrane-community/membrane-go"
)

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

	updated, err := wc.Customers.Update(t.Context(), cu.ID, &membrane.UpdateCustomerRequest{Name: membrane.Set("Globex Corp")})
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
		AICreditsRolling30DayLimit: membrane.Set(250.0),
	})
	require.NoError(t, err)
	assert.Equal(t, membrane.Ptr(250.0), limited.AICreditsRolling30DayLimit)
	assert.Equal(t, "Initech", limited.Name, "fields not sent stay")
	assert.Equal(t, "initech", limited.InternalID)
	assert.Equal(t, map[string]any{"seats": 5.0}, limited.Fields)

	renamed, err := wc.Customers.Update(t.Context(), cu.ID, &membrane.UpdateCustomerRequest{Name: membrane.Set("Initech Ltd")})
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

func TestFakeCustomerCreateWithIdempotencyKeyHappensOnce(t *testing.T) {
	t.Parallel()
	e := newFakeEnv(t)
	wc := e.adminWorkspaceClient(t, e.createWorkspace(t, "idempotent customers"))
	req := &membrane.CreateCustomerRequest{Name: "Once"}

	first := createCustomer(t, wc, req, membrane.WithIdempotencyKey("customer-once"))
	second := createCustomer(t, wc, req, membrane.WithIdempotencyKey("customer-once"))
	assert.Equal(t, first, second)
	page, err := wc.Customers.List(t.Context(), nil)
	require.NoError(t, err)
	assert.Equal(t, []*membrane.Customer{first}, page.Items)
}
