package membrane_test

import (
	"context"
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/membrane-community/membrane-go"
)

// newWorkspaceClient returns a workspace client that talks to s at https://eu.test with a fixed token.
func newWorkspaceClient(t *testing.T, s *stub) *membrane.WorkspaceClient {
	t.Helper()
	c, err := membrane.NewWorkspaceClient(membrane.WithBaseURL("https://eu.test"), membrane.WithToken("eyJ.ws"),
		membrane.WithHTTPClient(s.HTTPClient()))
	require.NoError(t, err)
	return c
}

func TestCustomersRequests(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		call   func(ctx context.Context, c *membrane.WorkspaceClient) error
		answer any
		method string
		path   string
		query  string
		body   string
	}{
		{
			name: "create",
			call: func(ctx context.Context, c *membrane.WorkspaceClient) error {
				_, err := c.Customers.Create(ctx, &membrane.CreateCustomerRequest{
					Name: "Acme", InternalID: "acme-1", Fields: map[string]any{"tier": 2}, Credentials: map[string]string{"k": "v"},
				})
				return err
			},
			answer: customerJSON("c1"), method: "POST", path: "/customers",
			body: `{"name":"Acme","internalId":"acme-1","fields":{"tier":2},"credentials":{"k":"v"}}`,
		},
		{
			name: "get",
			call: func(ctx context.Context, c *membrane.WorkspaceClient) error {
				_, err := c.Customers.Get(ctx, "c 1")
				return err
			},
			answer: customerJSON("c1"), method: "GET", path: "/customers/c%201",
		},
		{
			name: "list",
			call: func(ctx context.Context, c *membrane.WorkspaceClient) error {
				_, err := c.Customers.List(ctx, &membrane.ListCustomersOptions{
					Limit: 5, Cursor: "9", Search: "ac", IncludeArchived: true, IsTest: membrane.Ptr(false), IsActive: membrane.Ptr(true),
				})
				return err
			},
			answer: map[string]any{"items": []any{}}, method: "GET", path: "/customers",
			query: "cursor=9&includeArchived=true&isActive=true&isTest=false&limit=5&search=ac",
		},
		{
			name: "list without filters",
			call: func(ctx context.Context, c *membrane.WorkspaceClient) error {
				_, err := c.Customers.List(ctx, nil)
				return err
			},
			answer: map[string]any{"items": []any{}}, method: "GET", path: "/customers",
		},
		{
			name: "update",
			call: func(ctx context.Context, c *membrane.WorkspaceClient) error {
				_, err := c.Customers.Update(ctx, "c1", &membrane.UpdateCustomerRequest{Name: membrane.Set("New")})
				return err
			},
			answer: customerJSON("c1"), method: "PATCH", path: "/customers/c1", body: `{"name":"New"}`,
		},
		{
			name: "replace",
			call: func(ctx context.Context, c *membrane.WorkspaceClient) error {
				_, err := c.Customers.Replace(ctx, "c1", &membrane.ReplaceCustomerRequest{
					Name: "Acme", InternalID: "acme-2", Fields: map[string]any{"tier": 3}, Credentials: map[string]string{"k": "v"},
					IsTest: true, AICreditsRolling30DayLimit: membrane.Ptr(10.0),
				})
				return err
			},
			answer: customerJSON("c1"), method: "PUT", path: "/customers/c1",
			body: `{"name":"Acme","internalId":"acme-2","fields":{"tier":3},"credentials":{"k":"v"},"isTest":true,
				"aiCreditsRolling30DayLimit":10}`,
		},
		{
			name: "replace with the name only",
			call: func(ctx context.Context, c *membrane.WorkspaceClient) error {
				_, err := c.Customers.Replace(ctx, "c1", &membrane.ReplaceCustomerRequest{Name: "Acme"})
				return err
			},
			answer: customerJSON("c1"), method: "PUT", path: "/customers/c1", body: `{"name":"Acme"}`,
		},
		{
			name: "archive",
			call: func(ctx context.Context, c *membrane.WorkspaceClient) error {
				_, err := c.Customers.Archive(ctx, "c1")
				return err
			},
			answer: customerJSON("c1"), method: "DELETE", path: "/customers/c1",
		},
		{
			name: "restore",
			call: func(ctx context.Context, c *membrane.WorkspaceClient) error {
				_, err := c.Customers.Restore(ctx, "c1")
				return err
			},
			answer: customerJSON("c1"), method: "POST", path: "/customers/c1/restore",
		},
		{
			name: "self",
			call: func(ctx context.Context, c *membrane.WorkspaceClient) error {
				_, err := c.Self(ctx)
				return err
			},
			answer: customerJSON("c1"), method: "GET", path: "/self",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := answer(http.StatusOK, tt.answer)
			require.NoError(t, tt.call(t.Context(), newWorkspaceClient(t, s)))
			require.Len(t, s.Requests(), 1)
			r := s.Last(t)
			assert.Equal(t, tt.method, r.Method)
			assert.Equal(t, tt.path, r.Path())
			assert.Equal(t, tt.query, r.URL.RawQuery)
			assert.Equal(t, "Bearer eyJ.ws", r.Header.Get("Authorization"))
			if tt.body == "" {
				assert.Empty(t, r.Body)
			} else {
				assert.JSONEq(t, tt.body, string(r.Body))
			}
			key := r.Header.Get("Idempotency-Key")
			if tt.method != http.MethodGet { // every change carries a key
				assert.Regexp(t, uuidPattern, key)
			} else {
				assert.Empty(t, key)
			}
		})
	}
}

func TestCustomersValidateBeforeAnyRequest(t *testing.T) {
	t.Parallel()
	calls := map[string]func(ctx context.Context, c *membrane.WorkspaceClient) error{
		"create nil": func(ctx context.Context, c *membrane.WorkspaceClient) error {
			_, err := c.Customers.Create(ctx, nil)
			return err
		},
		"create without name": func(ctx context.Context, c *membrane.WorkspaceClient) error {
			_, err := c.Customers.Create(ctx, &membrane.CreateCustomerRequest{InternalID: "x"})
			return err
		},
		"get": func(ctx context.Context, c *membrane.WorkspaceClient) error {
			_, err := c.Customers.Get(ctx, "")
			return err
		},
		"list limit": func(ctx context.Context, c *membrane.WorkspaceClient) error {
			_, err := c.Customers.List(ctx, &membrane.ListCustomersOptions{Limit: -1})
			return err
		},
		"update nil": func(ctx context.Context, c *membrane.WorkspaceClient) error {
			_, err := c.Customers.Update(ctx, "c1", nil)
			return err
		},
		"replace nil": func(ctx context.Context, c *membrane.WorkspaceClient) error {
			_, err := c.Customers.Replace(ctx, "c1", nil)
			return err
		},
		"replace without name": func(ctx context.Context, c *membrane.WorkspaceClient) error {
			_, err := c.Customers.Replace(ctx, "c1", &membrane.ReplaceCustomerRequest{Name: " ", InternalID: "x"})
			return err
		},
		"replace id": func(ctx context.Context, c *membrane.WorkspaceClient) error {
			_, err := c.Customers.Replace(ctx, "", &membrane.ReplaceCustomerRequest{Name: "x"})
			return err
		},
		"archive": func(ctx context.Context, c *membrane.WorkspaceClient) error {
			_, err := c.Customers.Archive(ctx, "")
			return err
		},
		"restore": func(ctx context.Context, c *membrane.WorkspaceClient) error {
			_, err := c.Customers.Restore(ctx, "")
			return err
		},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := answer(http.StatusOK, customerJSON("c1"))
			require.Error(t, call(t.Context(), newWorkspaceClient(t, s)))
			assert.Empty(t, s.Requests())
		})
	}
}

func TestCustomersUpdateSendsOnlyWhatIsSet(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		req  membrane.UpdateCustomerRequest
		want string
	}{
		{"nothing", membrane.UpdateCustomerRequest{}, `{}`},
		{"empty values", membrane.UpdateCustomerRequest{
			Name: membrane.Set(""), InternalID: membrane.Set(""), Fields: membrane.Set(map[string]any{}),
		}, `{"name":"","internalId":"","fields":{}}`},
		{"nulls", membrane.UpdateCustomerRequest{
			Credentials: membrane.Null[any](), AICreditsRolling30DayLimit: membrane.Null[float64](),
		}, `{"credentials":null,"aiCreditsRolling30DayLimit":null}`},
		{"zero limit", membrane.UpdateCustomerRequest{AICreditsRolling30DayLimit: membrane.Set(0.0)},
			`{"aiCreditsRolling30DayLimit":0}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := answer(http.StatusOK, customerJSON("c1"))
			_, err := newWorkspaceClient(t, s).Customers.Update(t.Context(), "c1", &tt.req)
			require.NoError(t, err)
			assert.JSONEq(t, tt.want, string(s.Last(t).Body))
		})
	}
}

func TestCustomerDecoding(t *testing.T) {
	t.Parallel()
	s := answer(http.StatusOK, map[string]any{
		"id": "c1", "name": "Acme", "internalId": "acme-1", "fields": map[string]any{"tier": "gold"},
		"credentials": map[string]any{"apiKey": "k"}, "meta": map[string]any{"m": 1}, "isTest": true, "isActive": true,
		"isBillable": true, "aiCreditsRolling30DayLimit": 12.5, "lastActiveAt": "2025-02-01T00:00:00Z",
		"createdAt": "2025-01-01T00:00:00Z", "archivedAt": "2025-03-01T00:00:00Z",
	})
	cu, err := newWorkspaceClient(t, s).Customers.Get(t.Context(), "c1")
	require.NoError(t, err)
	assert.Equal(t, "acme-1", cu.InternalID)
	assert.Equal(t, map[string]any{"tier": "gold"}, cu.Fields)
	assert.JSONEq(t, `{"apiKey":"k"}`, string(cu.Credentials))
	assert.True(t, cu.IsTest && cu.IsActive && cu.IsBillable)
	assert.Equal(t, membrane.Ptr(12.5), cu.AICreditsRolling30DayLimit)
	assert.Equal(t, time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC), *cu.LastActiveAt)
	assert.Equal(t, time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), cu.CreatedAt)
	require.NotNil(t, cu.ArchivedAt)
}

func TestCustomersAll(t *testing.T) {
	t.Parallel()
	s := newStub(func(_ int, w http.ResponseWriter, r *http.Request) error {
		switch r.URL.Query().Get("cursor") {
		case "":
			writeJSON(w, http.StatusOK, map[string]any{"items": []any{customerJSON("c1"), customerJSON("c2")}, "cursor": "2"})
		case "2":
			writeJSON(w, http.StatusOK, map[string]any{"items": []any{customerJSON("c3")}})
		}
		return nil
	})
	opts := &membrane.ListCustomersOptions{IsTest: membrane.Ptr(true)}
	var ids []string
	for cu, err := range newWorkspaceClient(t, s).Customers.All(t.Context(), opts) {
		require.NoError(t, err)
		ids = append(ids, cu.ID)
	}
	assert.Equal(t, []string{"c1", "c2", "c3"}, ids)
	assert.Empty(t, opts.Cursor)
	assert.Equal(t, "cursor=2&isTest=true", s.Last(t).URL.RawQuery)
}

func TestCustomersCreateKeepsItsKeyAcrossRetries(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		s := newStub(func(n int, w http.ResponseWriter, _ *http.Request) error {
			if n == 0 {
				return errRefused
			}
			writeJSON(w, http.StatusOK, customerJSON("c1"))
			return nil
		})
		c := newWorkspaceClient(t, s)
		_, err := c.Customers.Create(t.Context(), &membrane.CreateCustomerRequest{Name: "A"}, membrane.WithIdempotencyKey("k-1"))
		require.NoError(t, err)
		reqs := s.Requests()
		require.Len(t, reqs, 2)
		assert.Equal(t, "k-1", reqs[0].Header.Get("Idempotency-Key"))
		assert.Equal(t, "k-1", reqs[1].Header.Get("Idempotency-Key"))
	})
}
