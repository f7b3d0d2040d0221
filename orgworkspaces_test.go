package membrane_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/membrane-community/membrane-go"
)

func TestOrgWorkspacesRequests(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		call   func(ctx context.Context, c *membrane.Client) error
		answer any
		method string
		path   string
		query  string
		body   string // expected JSON body; empty means no body
	}{
		{
			name: "create",
			call: func(ctx context.Context, c *membrane.Client) error {
				_, err := c.OrgWorkspaces.Create(ctx, &membrane.CreateOrgWorkspaceRequest{
					OrgID: "org1", Name: "Acme", LogoURI: "https://logo.test/a.png", MembraneInstanceID: "eu-1",
				})
				return err
			},
			answer: workspaceJSON("w1"), method: "POST", path: "/org-workspaces",
			body: `{"orgId":"org1","name":"Acme","logoUri":"https://logo.test/a.png","membraneInstanceId":"eu-1"}`,
		},
		{
			name: "create with org only",
			call: func(ctx context.Context, c *membrane.Client) error {
				_, err := c.OrgWorkspaces.Create(ctx, &membrane.CreateOrgWorkspaceRequest{OrgID: "org1"})
				return err
			},
			answer: workspaceJSON("w1"), method: "POST", path: "/org-workspaces", body: `{"orgId":"org1"}`,
		},
		{
			name: "get",
			call: func(ctx context.Context, c *membrane.Client) error {
				_, err := c.OrgWorkspaces.Get(ctx, "w1")
				return err
			},
			answer: workspaceJSON("w1"), method: "GET", path: "/org-workspaces/w1",
		},
		{
			name: "get escapes the id",
			call: func(ctx context.Context, c *membrane.Client) error {
				_, err := c.OrgWorkspaces.Get(ctx, "a/b?c")
				return err
			},
			answer: workspaceJSON("w1"), method: "GET", path: "/org-workspaces/a%2Fb%3Fc",
		},
		{
			name: "list without options",
			call: func(ctx context.Context, c *membrane.Client) error {
				_, err := c.OrgWorkspaces.List(ctx, nil)
				return err
			},
			answer: map[string]any{"items": []any{}}, method: "GET", path: "/org-workspaces",
		},
		{
			name: "list with every option",
			call: func(ctx context.Context, c *membrane.Client) error {
				_, err := c.OrgWorkspaces.List(ctx, &membrane.ListOrgWorkspacesOptions{
					OrgID: "org1", Search: "ac me", Limit: 10, Cursor: "42", IncludeArchived: true,
				})
				return err
			},
			answer: map[string]any{"items": []any{}}, method: "GET", path: "/org-workspaces",
			query: "cursor=42&includeArchived=true&limit=10&orgId=org1&search=ac+me",
		},
		{
			name: "update",
			call: func(ctx context.Context, c *membrane.Client) error {
				_, err := c.OrgWorkspaces.Update(ctx, "w1", &membrane.UpdateOrgWorkspaceRequest{Name: membrane.Set("New")})
				return err
			},
			answer: workspaceJSON("w1"), method: "PATCH", path: "/org-workspaces/w1", body: `{"name":"New"}`,
		},
		{
			name: "archive",
			call: func(ctx context.Context, c *membrane.Client) error {
				_, err := c.OrgWorkspaces.Archive(ctx, "w1")
				return err
			},
			answer: workspaceJSON("w1"), method: "DELETE", path: "/org-workspaces/w1",
		},
		{
			name: "restore",
			call: func(ctx context.Context, c *membrane.Client) error {
				_, err := c.OrgWorkspaces.Restore(ctx, "w1")
				return err
			},
			answer: workspaceJSON("w1"), method: "POST", path: "/org-workspaces/w1/restore",
		},
		{
			name: "access token without request",
			call: func(ctx context.Context, c *membrane.Client) error {
				_, err := c.OrgWorkspaces.AccessToken(ctx, "w1", nil)
				return err
			},
			answer: map[string]any{"token": "jwt"}, method: "POST", path: "/org-workspaces/w1/access-token", body: `{}`,
		},
		{
			name: "access token for a tenant",
			call: func(ctx context.Context, c *membrane.Client) error {
				_, err := c.OrgWorkspaces.AccessToken(ctx, "w1", &membrane.AccessTokenRequest{
					IsAdmin: true, TenantID: "c1", TenantKey: "t1", Name: "Tenant", Fields: map[string]any{"plan": "pro"},
				})
				return err
			},
			answer: map[string]any{"token": "jwt"}, method: "POST", path: "/org-workspaces/w1/access-token",
			body: `{"isAdmin":true,"tenantId":"c1","tenantKey":"t1","name":"Tenant","fields":{"plan":"pro"}}`,
		},
		{
			name: "rotate secret",
			call: func(ctx context.Context, c *membrane.Client) error {
				_, err := c.OrgWorkspaces.RotateSecret(ctx, "w1")
				return err
			},
			answer: map[string]any{"secret": "new"}, method: "POST", path: "/org-workspaces/w1/rotate-secret",
		},
		{
			name: "membrane instances",
			call: func(ctx context.Context, c *membrane.Client) error {
				_, err := c.Instances.List(ctx, "org1")
				return err
			},
			answer: map[string]any{"items": []any{}}, method: "GET", path: "/membrane-instances", query: "orgId=org1",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := answer(http.StatusOK, tt.answer)
			c := newClient(t, s)
			require.NoError(t, tt.call(t.Context(), c))
			require.Len(t, s.Requests(), 1)
			r := s.Last(t)
			assert.Equal(t, tt.method, r.Method)
			assert.Equal(t, tt.path, r.Path())
			assert.Equal(t, tt.query, r.URL.RawQuery)
			if tt.body == "" {
				assert.Empty(t, r.Body)
				assert.Empty(t, r.Header.Get("Content-Type"))
			} else {
				assert.JSONEq(t, tt.body, string(r.Body))
				assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
			}
			if tt.method != http.MethodGet { // every change carries a key
				assert.Regexp(t, uuidPattern, r.Header.Get("Idempotency-Key"), "every change carries a key")
			} else {
				assert.Empty(t, r.Header.Get("Idempotency-Key"))
			}
		})
	}
}

func TestOrgWorkspacesValidateBeforeAnyRequest(t *testing.T) {
	t.Parallel()
	calls := map[string]func(ctx context.Context, c *membrane.Client) error{
		"create nil": func(ctx context.Context, c *membrane.Client) error {
			_, err := c.OrgWorkspaces.Create(ctx, nil)
			return err
		},
		"create without org": func(ctx context.Context, c *membrane.Client) error {
			_, err := c.OrgWorkspaces.Create(ctx, &membrane.CreateOrgWorkspaceRequest{Name: "x"})
			return err
		},
		"get": func(ctx context.Context, c *membrane.Client) error {
			_, err := c.OrgWorkspaces.Get(ctx, "")
			return err
		},
		"list limit": func(ctx context.Context, c *membrane.Client) error {
			_, err := c.OrgWorkspaces.List(ctx, &membrane.ListOrgWorkspacesOptions{Limit: 1001})
			return err
		},
		"update nil": func(ctx context.Context, c *membrane.Client) error {
			_, err := c.OrgWorkspaces.Update(ctx, "w1", nil)
			return err
		},
		"update id": func(ctx context.Context, c *membrane.Client) error {
			_, err := c.OrgWorkspaces.Update(ctx, "", &membrane.UpdateOrgWorkspaceRequest{})
			return err
		},
		"archive": func(ctx context.Context, c *membrane.Client) error {
			_, err := c.OrgWorkspaces.Archive(ctx, " ")
			return err
		},
		"restore": func(ctx context.Context, c *membrane.Client) error {
			_, err := c.OrgWorkspaces.Restore(ctx, "")
			return err
		},
		"access token": func(ctx context.Context, c *membrane.Client) error {
			_, err := c.OrgWorkspaces.AccessToken(ctx, "", nil)
			return err
		},
		"rotate": func(ctx context.Context, c *membrane.Client) error {
			_, err := c.OrgWorkspaces.RotateSecret(ctx, "")
			return err
		},
		"client": func(ctx context.Context, c *membrane.Client) error {
			_, err := c.OrgWorkspaces.Client(&membrane.OrgWorkspace{}, nil)
			return err
		},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := answer(http.StatusOK, workspaceJSON("w1"))
			require.Error(t, call(t.Context(), newClient(t, s)))
			assert.Empty(t, s.Requests())
		})
	}
}

func TestOrgWorkspaceDecoding(t *testing.T) {
	t.Parallel()
	body := `{
		"id": "w1", "name": "Acme", "orgId": "o1", "key": "k1", "secret": "s1",
		"createdAt": "2025-01-02T03:04:05Z", "updatedAt": "2025-01-03T03:04:05Z", "archivedAt": "2025-01-04T00:00:00Z",
		"membraneInstanceId": "eu", "apiBaseUri": "https://eu.test", "logoUri": "https://logo.test",
		"settings": {"enableApiLogs": true, "disableSecretKeyAuth": false},
		"publicKeys": [{"name": "main", "publicKey": "PEM"}], "webhookUri": "https://hook.test",
		"enabledWebhookEvents": ["a"], "jwksUri": "https://jwks.test", "type": "development", "isReadOnly": true,
		"limits": {"calls": {"value": 5, "defaultValue": 10, "unit": "per-minute"}},
		"userFieldsSchema": {"type": "object"}, "alertDeliverySettings": {"email": true}
	}`
	s := newStub(func(_ int, w http.ResponseWriter, _ *http.Request) error {
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(body))
		return nil
	})
	ws, err := newClient(t, s).OrgWorkspaces.Get(t.Context(), "w1")
	require.NoError(t, err)
	assert.Equal(t, "w1", ws.ID)
	assert.Equal(t, membrane.Secret("s1"), ws.Secret)
	assert.Equal(t, time.Date(2025, 1, 3, 3, 4, 5, 0, time.UTC), ws.UpdatedAt)
	require.NotNil(t, ws.ArchivedAt)
	assert.Equal(t, "https://eu.test", ws.APIBaseURI)
	assert.Equal(t, membrane.Set(true), ws.Settings.EnableAPILogs)
	assert.Equal(t, membrane.Set(false), ws.Settings.DisableSecretKeyAuth)
	assert.True(t, ws.Settings.UseMembraneUniverse.IsZero())
	assert.Equal(t, []membrane.PublicKey{{Name: "main", PublicKey: "PEM"}}, ws.PublicKeys)
	assert.Equal(t, membrane.Ptr("https://jwks.test"), ws.JWKSURI)
	assert.Equal(t, membrane.WorkspaceTypeDevelopment, ws.Type)
	assert.True(t, ws.IsReadOnly)
	assert.Equal(t, membrane.Limit{Value: 5, DefaultValue: membrane.Ptr(10.0), Unit: "per-minute"}, ws.Limits["calls"])
	assert.JSONEq(t, `{"type":"object"}`, string(ws.UserFieldsSchema))
	assert.JSONEq(t, `{"email":true}`, string(ws.AlertDeliverySettings))
}

func TestOrgWorkspacesUpdateSendsOnlyWhatIsSet(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		req  membrane.UpdateOrgWorkspaceRequest
		want string
	}{
		{"nothing", membrane.UpdateOrgWorkspaceRequest{}, `{}`},
		{"false and empty", membrane.UpdateOrgWorkspaceRequest{
			Name: membrane.Set(""), LogoURI: membrane.Set(""), WebhookURI: membrane.Set(""), IsReadOnly: membrane.Set(false),
		}, `{"name":"","logoUri":"","webhookUri":"","isReadOnly":false}`},
		{"empty lists and maps", membrane.UpdateOrgWorkspaceRequest{
			PublicKeys: membrane.Set([]membrane.PublicKey{}), EnabledWebhookEvents: membrane.Set([]string{}),
			Limits: membrane.Set(map[string]membrane.Limit{}), Settings: membrane.Set(membrane.WorkspaceSettings{}),
		}, `{"publicKeys":[],"enabledWebhookEvents":[],"limits":{},"settings":{}}`},
		{"jwks null", membrane.UpdateOrgWorkspaceRequest{JWKSURI: membrane.Null[string]()}, `{"jwksUri":null}`},
		{"jwks value", membrane.UpdateOrgWorkspaceRequest{JWKSURI: membrane.Set("https://jwks.test")}, `{"jwksUri":"https://jwks.test"}`},
		{"settings false", membrane.UpdateOrgWorkspaceRequest{Settings: membrane.Set(membrane.WorkspaceSettings{
			EnableAPILogs: membrane.Set(false), AutoGenerateIntegrationsFromWebSearch: membrane.Set(true),
		})}, `{"settings":{"enableApiLogs":false,"autoGenerateIntegrationsFromWebSearch":true}}`},
		{"everything", membrane.UpdateOrgWorkspaceRequest{
			Type:                  membrane.Set(membrane.WorkspaceTypeProduction),
			PublicKeys:            membrane.Set([]membrane.PublicKey{{Name: "k", PublicKey: "PEM"}}),
			EnabledWebhookEvents:  membrane.Set([]string{"connection.created"}),
			Limits:                membrane.Set(map[string]membrane.Limit{"calls": {Value: 0, Unit: "per-day"}}),
			UserFieldsSchema:      membrane.Set(json.RawMessage(`{"type":"object"}`)),
			AlertDeliverySettings: membrane.Null[json.RawMessage](),
		}, `{"type":"production","publicKeys":[{"name":"k","publicKey":"PEM"}],"enabledWebhookEvents":["connection.created"],
			"limits":{"calls":{"value":0,"unit":"per-day"}},"userFieldsSchema":{"type":"object"},"alertDeliverySettings":null}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := answer(http.StatusOK, workspaceJSON("w1"))
			_, err := newClient(t, s).OrgWorkspaces.Update(t.Context(), "w1", &tt.req)
			require.NoError(t, err)
			assert.JSONEq(t, tt.want, string(s.Last(t).Body))
		})
	}
}

var uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestCreateIdempotencyKeys(t *testing.T) {
	t.Parallel()
	s := answer(http.StatusOK, workspaceJSON("w1"))
	c := newClient(t, s)
	ctx := t.Context()
	for range 2 {
		_, err := c.OrgWorkspaces.Create(ctx, &membrane.CreateOrgWorkspaceRequest{OrgID: "org1"})
		require.NoError(t, err)
	}
	_, err := c.OrgWorkspaces.Create(ctx, &membrane.CreateOrgWorkspaceRequest{OrgID: "org1"}, membrane.WithIdempotencyKey("mine-1"))
	require.NoError(t, err)

	reqs := s.Requests()
	require.Len(t, reqs, 3)
	first, second := reqs[0].Header.Get("Idempotency-Key"), reqs[1].Header.Get("Idempotency-Key")
	assert.Regexp(t, uuidPattern, first)
	assert.Regexp(t, uuidPattern, second)
	assert.NotEqual(t, first, second, "each call gets its own key")
	assert.Equal(t, "mine-1", reqs[2].Header.Get("Idempotency-Key"))
	assert.NotContains(t, string(reqs[2].Body), "mine-1", "the key is a header, not a field")
}

func TestAccessTokenAndRotateSecretAnswers(t *testing.T) {
	t.Parallel()
	s := newStub(func(_ int, w http.ResponseWriter, r *http.Request) error {
		if r.URL.Path == "/org-workspaces/w1/access-token" {
			writeJSON(w, http.StatusOK, map[string]any{"token": "eyJ.token"})
		} else {
			writeJSON(w, http.StatusOK, map[string]any{"secret": "fresh-secret"})
		}
		return nil
	})
	c := newClient(t, s)
	tok, err := c.OrgWorkspaces.AccessToken(t.Context(), "w1", nil)
	require.NoError(t, err)
	assert.Equal(t, "eyJ.token", tok)
	sec, err := c.OrgWorkspaces.RotateSecret(t.Context(), "w1")
	require.NoError(t, err)
	assert.Equal(t, "fresh-secret", sec.Reveal())

	empty := answer(http.StatusOK, map[string]any{})
	_, err = newClient(t, empty).OrgWorkspaces.AccessToken(t.Context(), "w1", nil)
	require.ErrorContains(t, err, "no token")
	_, err = newClient(t, empty).OrgWorkspaces.RotateSecret(t.Context(), "w1")
	require.ErrorContains(t, err, "no secret")
}

func TestMembraneInstancesList(t *testing.T) {
	t.Parallel()
	s := answer(http.StatusOK, map[string]any{"items": []any{
		map[string]any{"id": "hub", "name": "Hub", "apiBaseUri": "https://hub.test"},
		map[string]any{"id": "eu", "name": "EU", "apiBaseUri": "https://eu.test"},
	}})
	got, err := newClient(t, s).Instances.List(t.Context(), "org1")
	require.NoError(t, err)
	assert.Equal(t, []*membrane.Instance{
		{ID: "hub", Name: "Hub", APIBaseURI: "https://hub.test"},
		{ID: "eu", Name: "EU", APIBaseURI: "https://eu.test"},
	}, got)
}

func TestIDsThatWouldChangeThePathAreRejected(t *testing.T) {
	t.Parallel()
	calls := map[string]func(ctx context.Context, c *membrane.Client, wc *membrane.WorkspaceClient, id string) error{
		"OrgWorkspaces.Get": func(ctx context.Context, c *membrane.Client, _ *membrane.WorkspaceClient, id string) error {
			_, err := c.OrgWorkspaces.Get(ctx, id)
			return err
		},
		"OrgWorkspaces.RotateSecret": func(ctx context.Context, c *membrane.Client, _ *membrane.WorkspaceClient, id string) error {
			_, err := c.OrgWorkspaces.RotateSecret(ctx, id)
			return err
		},
		"OrgWorkspaces.AccessToken": func(ctx context.Context, c *membrane.Client, _ *membrane.WorkspaceClient, id string) error {
			_, err := c.OrgWorkspaces.AccessToken(ctx, id, nil)
			return err
		},
		"OrgWorkspaces.Archive": func(ctx context.Context, c *membrane.Client, _ *membrane.WorkspaceClient, id string) error {
			_, err := c.OrgWorkspaces.Archive(ctx, id)
			return err
		},
		"OrgWorkspaces.Client": func(ctx context.Context, c *membrane.Client, _ *membrane.WorkspaceClient, id string) error {
			_, err := c.OrgWorkspaces.Client(&membrane.OrgWorkspace{ID: id}, nil)
			return err
		},
		"Customers.Get": func(ctx context.Context, _ *membrane.Client, wc *membrane.WorkspaceClient, id string) error {
			_, err := wc.Customers.Get(ctx, id)
			return err
		},
		"Customers.Replace": func(ctx context.Context, _ *membrane.Client, wc *membrane.WorkspaceClient, id string) error {
			_, err := wc.Customers.Replace(ctx, id, &membrane.ReplaceCustomerRequest{Name: "n"})
			return err
		},
		"Customers.Restore": func(ctx context.Context, _ *membrane.Client, wc *membrane.WorkspaceClient, id string) error {
			_, err := wc.Customers.Restore(ctx, id)
			return err
		},
	}
	for op, call := range calls {
		for _, id := range []string{".", "..", "w1\n", "w\x001", "w\x7f1", "w\u00851"} {
			t.Run(fmt.Sprintf("%s %q", op, id), func(t *testing.T) {
				t.Parallel()
				s := answer(http.StatusOK, workspaceJSON("w1"))
				err := call(t.Context(), newClient(t, s), newWorkspaceClient(t, s), id)
				require.Error(t, err)
				assert.Contains(t, err.Error(), "membrane: "+op+": ")
				assert.Contains(t, err.Error(), fmt.Sprintf("%q", id))
				assert.Empty(t, s.Requests())
			})
		}
	}
	s := answer(http.StatusOK, workspaceJSON("w1"))
	for _, id := range []string{"...", ".a", "a..b", "a/../b"} {
		_, err := newClient(t, s).OrgWorkspaces.Get(t.Context(), id)
		require.NoError(t, err, "%q stays inside its path segment", id)
	}
	assert.Equal(t, "/org-workspaces/a%2F..%2Fb", s.Last(t).Path())
}
