package membrane_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	membrane "github.com/membrane-community/membrane-go"
	"github.com/membrane-community/membrane-go/fake"
)

// fakeSentinels are every sentinel error of the SDK, to check that an error matches the
// expected ones and no other.
var fakeSentinels = []error{
	membrane.ErrBadRequest, membrane.ErrNotAuthenticated, membrane.ErrAccessDenied, membrane.ErrNotFound,
	membrane.ErrAlreadyExists, membrane.ErrRateLimited, membrane.ErrInternal, membrane.ErrDependency,
}

// failedCall is what a call that the fake refused reports, and where it was sent.
type failedCall struct {
	err    error
	method string
	url    string
}

// apiErrorCase is one refused call: run sets up the fake and makes the call; the rest is what the
// *membrane.Error must say.
type apiErrorCase struct {
	name      string
	run       func(t *testing.T, e *fakeEnv) failedCall
	sentinels []error
	status    int
	key       string
	field     string // the field FieldErrors must name, if any
	inMessage string // a part of the message, if any
	unchanged func(t *testing.T, e *fakeEnv)
}

// unknownID has the shape of an id but names nothing.
const unknownID = "0123456789abcdef01234567"

func (e *fakeEnv) workspaceURL(id string) string { return e.srv.URL() + "/org-workspaces/" + id }

var fakeAPIErrorCases = []apiErrorCase{
	{
		name: "unknown platform token",
		run: func(t *testing.T, e *fakeEnv) failedCall {
			ws := e.createWorkspace(t, "x")
			_, err := e.platformClient(t, "pat-not-a-real-token").OrgWorkspaces.Get(t.Context(), ws.ID)
			return failedCall{err, http.MethodGet, e.workspaceURL(ws.ID)}
		},
		sentinels: []error{membrane.ErrNotAuthenticated}, status: http.StatusUnauthorized, key: "not_authenticated",
	},
	{
		name: "workspace token at the Management API",
		run: func(t *testing.T, e *fakeEnv) failedCall {
			ws := e.createWorkspace(t, "x")
			tok, err := e.admin.OrgWorkspaces.AccessToken(t.Context(), ws.ID, nil)
			require.NoError(t, err)
			_, err = e.platformClient(t, tok).OrgWorkspaces.Get(t.Context(), ws.ID)
			return failedCall{err, http.MethodGet, e.workspaceURL(ws.ID)}
		},
		sentinels: []error{membrane.ErrNotAuthenticated}, status: http.StatusUnauthorized, key: "not_authenticated",
	},
	{
		name: "workspace token signed with another secret",
		run: func(t *testing.T, e *fakeEnv) failedCall {
			ws := e.createWorkspace(t, "x")
			wc := e.workspaceClient(t, membrane.WithWorkspaceCredentials(ws.Key, "not-the-workspace-secret", membrane.WorkspaceClaims{}))
			_, err := wc.Customers.List(t.Context(), nil)
			return failedCall{err, http.MethodGet, e.srv.URL() + "/customers"}
		},
		sentinels: []error{membrane.ErrNotAuthenticated}, status: http.StatusUnauthorized, key: "not_authenticated",
	},
	{
		name: "read-only member creates",
		run: func(t *testing.T, e *fakeEnv) failedCall {
			c := e.platformClient(t, e.srv.AddMember(e.srv.OrgID(), fake.RoleReadOnly))
			_, err := c.OrgWorkspaces.Create(t.Context(), &membrane.CreateOrgWorkspaceRequest{OrgID: e.srv.OrgID(), Name: "x"})
			return failedCall{err, http.MethodPost, e.srv.URL() + "/org-workspaces"}
		},
		sentinels: []error{membrane.ErrAccessDenied}, status: http.StatusForbidden, key: "access_denied",
		unchanged: func(t *testing.T, e *fakeEnv) { assert.Empty(t, e.workspaceIDs(t)) },
	},
	{
		name: "tenant token lists customers",
		run: func(t *testing.T, e *fakeEnv) failedCall {
			ws := e.createWorkspace(t, "x")
			_, err := e.tokenClient(t, ws, &membrane.AccessTokenRequest{TenantKey: "tenant"}).Customers.List(t.Context(), nil)
			return failedCall{err, http.MethodGet, ws.APIBaseURI + "/customers"}
		},
		sentinels: []error{membrane.ErrAccessDenied}, status: http.StatusForbidden, key: "access_denied",
	},
	{
		name: "unknown org workspace",
		run: func(t *testing.T, e *fakeEnv) failedCall {
			_, err := e.admin.OrgWorkspaces.Get(t.Context(), unknownID)
			return failedCall{err, http.MethodGet, e.workspaceURL(unknownID)}
		},
		sentinels: []error{membrane.ErrNotFound}, status: http.StatusNotFound, key: "not_found",
	},
	{
		name: "another org's workspace",
		run: func(t *testing.T, e *fakeEnv) failedCall {
			other := e.srv.AddOrg("Other")
			oc := e.platformClient(t, e.srv.AddMember(other, fake.RoleAdmin))
			ows, err := oc.OrgWorkspaces.Create(t.Context(), &membrane.CreateOrgWorkspaceRequest{OrgID: other, Name: "theirs"})
			require.NoError(t, err)
			_, err = e.admin.OrgWorkspaces.Get(t.Context(), ows.ID)
			return failedCall{err, http.MethodGet, e.workspaceURL(ows.ID)}
		},
		sentinels: []error{membrane.ErrNotFound}, status: http.StatusNotFound, key: "not_found",
	},
	{
		name: "unknown customer",
		run: func(t *testing.T, e *fakeEnv) failedCall {
			ws := e.createWorkspace(t, "x")
			_, err := e.adminWorkspaceClient(t, ws).Customers.Get(t.Context(), unknownID)
			return failedCall{err, http.MethodGet, ws.APIBaseURI + "/customers/" + unknownID}
		},
		sentinels: []error{membrane.ErrNotFound}, status: http.StatusNotFound, key: "not_found",
	},
	{
		name: "update with an unknown workspace type",
		run: func(t *testing.T, e *fakeEnv) failedCall {
			ws := e.createWorkspace(t, "typed")
			_, err := e.admin.OrgWorkspaces.Update(t.Context(), ws.ID, &membrane.UpdateOrgWorkspaceRequest{
				Name: membrane.Set("renamed"), Type: membrane.Set(membrane.WorkspaceType("staging")),
			})
			return failedCall{err, http.MethodPatch, e.workspaceURL(ws.ID)}
		},
		sentinels: []error{membrane.ErrBadRequest}, status: http.StatusBadRequest, field: "type",
		unchanged: func(t *testing.T, e *fakeEnv) {
			ws := e.getWorkspace(t, e.workspaceIDs(t)[0])
			assert.Equal(t, "typed", ws.Name, "nothing of a refused update is applied")
			assert.Equal(t, membrane.WorkspaceTypeProduction, ws.Type)
		},
	},
	{
		name: "update a customer's name to empty",
		run: func(t *testing.T, e *fakeEnv) failedCall {
			ws := e.createWorkspace(t, "x")
			wc := e.adminWorkspaceClient(t, ws)
			cu := createCustomer(t, wc, &membrane.CreateCustomerRequest{Name: "Named"})
			_, err := wc.Customers.Update(t.Context(), cu.ID, &membrane.UpdateCustomerRequest{Name: membrane.Set("")})
			return failedCall{err, http.MethodPatch, ws.APIBaseURI + "/customers/" + cu.ID}
		},
		sentinels: []error{membrane.ErrBadRequest}, status: http.StatusBadRequest, field: "name",
	},
	{
		name: "negative AI credit limit",
		run: func(t *testing.T, e *fakeEnv) failedCall {
			ws := e.createWorkspace(t, "x")
			wc := e.adminWorkspaceClient(t, ws)
			cu := createCustomer(t, wc, &membrane.CreateCustomerRequest{Name: "Limited"})
			_, err := wc.Customers.Update(t.Context(), cu.ID, &membrane.UpdateCustomerRequest{
				AICreditsRolling30DayLimit: membrane.Set(-1.0),
			})
			return failedCall{err, http.MethodPatch, ws.APIBaseURI + "/customers/" + cu.ID}
		},
		sentinels: []error{membrane.ErrBadRequest}, status: http.StatusBadRequest, field: "aiCreditsRolling30DayLimit",
	},
	{
		name: "duplicate customer internal id",
		run: func(t *testing.T, e *fakeEnv) failedCall {
			ws := e.createWorkspace(t, "x")
			wc := e.adminWorkspaceClient(t, ws)
			createCustomer(t, wc, &membrane.CreateCustomerRequest{Name: "First", InternalID: "dup"})
			_, err := wc.Customers.Create(t.Context(), &membrane.CreateCustomerRequest{Name: "Second", InternalID: "dup"})
			return failedCall{err, http.MethodPost, ws.APIBaseURI + "/customers"}
		},
		sentinels: []error{membrane.ErrBadRequest, membrane.ErrAlreadyExists}, status: http.StatusBadRequest,
		key: "already_exists", field: "internalId",
	},
	{
		name: "update an archived workspace",
		run: func(t *testing.T, e *fakeEnv) failedCall {
			ws := e.createWorkspace(t, "archived")
			_, err := e.admin.OrgWorkspaces.Archive(t.Context(), ws.ID)
			require.NoError(t, err)
			_, err = e.admin.OrgWorkspaces.Update(t.Context(), ws.ID, &membrane.UpdateOrgWorkspaceRequest{Name: membrane.Set("renamed")})
			return failedCall{err, http.MethodPatch, e.workspaceURL(ws.ID)}
		},
		sentinels: []error{membrane.ErrBadRequest}, status: http.StatusBadRequest, inMessage: "archived",
		unchanged: func(t *testing.T, e *fakeEnv) {
			assert.Equal(t, "archived", e.getWorkspace(t, e.workspaceIDs(t)[0]).Name)
		},
	},
	{
		name: "access token of an archived workspace",
		run: func(t *testing.T, e *fakeEnv) failedCall {
			ws := e.createWorkspace(t, "archived")
			_, err := e.admin.OrgWorkspaces.Archive(t.Context(), ws.ID)
			require.NoError(t, err)
			_, err = e.admin.OrgWorkspaces.AccessToken(t.Context(), ws.ID, nil)
			return failedCall{err, http.MethodPost, e.workspaceURL(ws.ID) + "/access-token"}
		},
		sentinels: []error{membrane.ErrBadRequest}, status: http.StatusBadRequest, inMessage: "archived",
	},
	{
		name: "idempotency key reused for another request",
		run: func(t *testing.T, e *fakeEnv) failedCall {
			req := membrane.CreateOrgWorkspaceRequest{OrgID: e.srv.OrgID(), Name: "first"}
			_, err := e.admin.OrgWorkspaces.Create(t.Context(), &req, membrane.WithIdempotencyKey("reused"))
			require.NoError(t, err)
			req.Name = "second"
			_, err = e.admin.OrgWorkspaces.Create(t.Context(), &req, membrane.WithIdempotencyKey("reused"))
			return failedCall{err, http.MethodPost, e.srv.URL() + "/org-workspaces"}
		},
		sentinels: []error{membrane.ErrBadRequest}, status: http.StatusBadRequest, key: "idempotency_key_reused",
		inMessage: "Idempotency-Key", unchanged: func(t *testing.T, e *fakeEnv) { assert.Len(t, e.workspaceIDs(t), 1) },
	},
}

func TestFakeAPIErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range fakeAPIErrorCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newFakeEnv(t)
			got := tc.run(t, e)
			requestID := e.tap.lastRequestID()
			require.Error(t, got.err)

			for _, sentinel := range fakeSentinels {
				assert.Equal(t, slices.Contains(tc.sentinels, sentinel), errors.Is(got.err, sentinel), "errors.Is(err, %v)", sentinel)
			}
			var apiErr *membrane.Error
			require.ErrorAs(t, got.err, &apiErr)
			assert.Equal(t, tc.status, apiErr.StatusCode)
			assert.Equal(t, "bad_request", apiErr.Type)
			assert.Equal(t, tc.key, apiErr.Key)
			assert.NotEmpty(t, apiErr.Message)
			assert.Contains(t, apiErr.Message, tc.inMessage)
			assert.NotEmpty(t, apiErr.RequestID)
			assert.Equal(t, requestID, apiErr.RequestID, "the X-Request-Id the fake sent")
			assert.Equal(t, got.method, apiErr.Method)
			assert.Equal(t, got.url, apiErr.URL)
			assert.Equal(t, 1, apiErr.Attempts, "a 4xx is not retried")
			if tc.field != "" {
				assert.Contains(t, apiErr.FieldErrors(), tc.field)
			} else {
				assert.Nil(t, apiErr.FieldErrors())
			}
			if tc.unchanged != nil {
				tc.unchanged(t, e)
			}
		})
	}
}

// TestFakeSDKValidatesBeforeAnyRequest checks that calls the SDK can tell are wrong never reach
// the fake.
func TestFakeSDKValidatesBeforeAnyRequest(t *testing.T) {
	t.Parallel()
	calls := []struct {
		name string
		call func(ctx context.Context, e *fakeEnv, wc *membrane.WorkspaceClient) error
	}{
		{"create without org", func(ctx context.Context, e *fakeEnv, _ *membrane.WorkspaceClient) error {
			_, err := e.admin.OrgWorkspaces.Create(ctx, &membrane.CreateOrgWorkspaceRequest{Name: "orphan"})
			return err
		}},
		{"create with a nil request", func(ctx context.Context, e *fakeEnv, _ *membrane.WorkspaceClient) error {
			_, err := e.admin.OrgWorkspaces.Create(ctx, nil)
			return err
		}},
		{"get with an empty id", func(ctx context.Context, e *fakeEnv, _ *membrane.WorkspaceClient) error {
			_, err := e.admin.OrgWorkspaces.Get(ctx, "")
			return err
		}},
		{"update with a blank id", func(ctx context.Context, e *fakeEnv, _ *membrane.WorkspaceClient) error {
			_, err := e.admin.OrgWorkspaces.Update(ctx, "  ", &membrane.UpdateOrgWorkspaceRequest{Name: membrane.Set("x")})
			return err
		}},
		{"update with a nil request", func(ctx context.Context, e *fakeEnv, _ *membrane.WorkspaceClient) error {
			_, err := e.admin.OrgWorkspaces.Update(ctx, unknownID, nil)
			return err
		}},
		{"archive with an empty id", func(ctx context.Context, e *fakeEnv, _ *membrane.WorkspaceClient) error {
			_, err := e.admin.OrgWorkspaces.Archive(ctx, "")
			return err
		}},
		{"restore with an empty id", func(ctx context.Context, e *fakeEnv, _ *membrane.WorkspaceClient) error {
			_, err := e.admin.OrgWorkspaces.Restore(ctx, "")
			return err
		}},
		{"access token with an empty id", func(ctx context.Context, e *fakeEnv, _ *membrane.WorkspaceClient) error {
			_, err := e.admin.OrgWorkspaces.AccessToken(ctx, "", nil)
			return err
		}},
		{"rotate secret with an empty id", func(ctx context.Context, e *fakeEnv, _ *membrane.WorkspaceClient) error {
			_, err := e.admin.OrgWorkspaces.RotateSecret(ctx, "")
			return err
		}},
		{"list with a limit above 1000", func(ctx context.Context, e *fakeEnv, _ *membrane.WorkspaceClient) error {
			_, err := e.admin.OrgWorkspaces.List(ctx, &membrane.ListOrgWorkspacesOptions{Limit: 1001})
			return err
		}},
		{"instances with an org id of control characters", func(ctx context.Context, e *fakeEnv, _ *membrane.WorkspaceClient) error {
			_, err := e.admin.Instances.List(ctx, "o\n1")
			return err
		}},
		{"client for a workspace without id", func(ctx context.Context, e *fakeEnv, _ *membrane.WorkspaceClient) error {
			_, err := e.admin.OrgWorkspaces.Client(&membrane.OrgWorkspace{}, nil)
			return err
		}},
		{"create a customer without name", func(ctx context.Context, _ *fakeEnv, wc *membrane.WorkspaceClient) error {
			_, err := wc.Customers.Create(ctx, &membrane.CreateCustomerRequest{InternalID: "nameless"})
			return err
		}},
		{"get a customer with an empty id", func(ctx context.Context, _ *fakeEnv, wc *membrane.WorkspaceClient) error {
			_, err := wc.Customers.Get(ctx, "")
			return err
		}},
		{"list customers with a negative limit", func(ctx context.Context, _ *fakeEnv, wc *membrane.WorkspaceClient) error {
			_, err := wc.Customers.List(ctx, &membrane.ListCustomersOptions{Limit: -1})
			return err
		}},
	}
	for _, tc := range calls {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newFakeEnv(t)
			ws := e.createWorkspace(t, "x")
			wc := e.workspaceClient(t, membrane.WithWorkspaceCredentials(ws.Key, ws.Secret, membrane.WorkspaceClaims{}))
			sent := e.tap.count()

			err := tc.call(t.Context(), e, wc)
			require.Error(t, err)
			var apiErr *membrane.Error
			assert.False(t, errors.As(err, &apiErr), "the SDK refused the call itself: %v", err)
			assert.Equal(t, sent, e.tap.count(), "no request reached the fake")
			assert.Equal(t, []string{ws.ID}, e.workspaceIDs(t))
		})
	}
}
