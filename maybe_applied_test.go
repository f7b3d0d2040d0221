package membrane_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	membrane "github.com/membrane-community/membrane-go"
	"github.com/membrane-community/membrane-go/fake"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A change whose first attempt got no complete answer after it may have reached the server
// fails with an error that says its outcome is unknown, whatever the last attempt answered; a
// failure that proves nothing was done, or a read, leaves the last answer as it is.
func TestMaybeAppliedAfterALostAnswer(t *testing.T) {
	t.Parallel()
	reset := errors.New("connection reset by peer")
	dial := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	create := func(ctx context.Context, c *membrane.Client) error {
		_, err := c.OrgWorkspaces.Create(ctx, &membrane.CreateOrgWorkspaceRequest{OrgID: "o1", Name: "W"})
		return err
	}
	update := func(ctx context.Context, c *membrane.Client) error {
		_, err := c.OrgWorkspaces.Update(ctx, "w1", &membrane.UpdateOrgWorkspaceRequest{Name: membrane.Set("N")})
		return err
	}
	archive := func(ctx context.Context, c *membrane.Client) error {
		_, err := c.OrgWorkspaces.Archive(ctx, "w1")
		return err
	}
	get := func(ctx context.Context, c *membrane.Client) error {
		_, err := c.OrgWorkspaces.Get(ctx, "w1")
		return err
	}
	tests := []struct {
		name     string
		first    error // the first attempt's round trip fails with it; nil: a 503 answer
		middle   int   // when not 0, the status of a second attempt, before the last
		status   int   // the last attempt's answer
		call     func(context.Context, *membrane.Client) error
		maybe    bool
		sentinel error
	}{
		{name: "POST lost then 401", first: reset, status: 401, call: create, maybe: true, sentinel: membrane.ErrNotAuthenticated},
		{name: "POST cut short then 400", first: io.ErrUnexpectedEOF, status: 400, call: create, maybe: true, sentinel: membrane.ErrBadRequest},
		{name: "PATCH lost then 404", first: reset, status: 404, call: update, maybe: true, sentinel: membrane.ErrNotFound},
		{name: "DELETE lost then 403", first: reset, status: 403, call: archive, maybe: true, sentinel: membrane.ErrAccessDenied},
		{name: "POST lost, 503, then 401", first: reset, middle: 503, status: 401, call: create, maybe: true, sentinel: membrane.ErrNotAuthenticated},
		{name: "PATCH lost, 429, then 400", first: reset, middle: 429, status: 400, call: update, maybe: true, sentinel: membrane.ErrBadRequest},
		{name: "POST 503 then 401", status: 401, call: create, sentinel: membrane.ErrNotAuthenticated},
		{name: "POST not sent then 401", first: dial, status: 401, call: create, sentinel: membrane.ErrNotAuthenticated},
		{name: "GET lost then 404", first: reset, status: 404, call: get, sentinel: membrane.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				s := newStub(func(n int, w http.ResponseWriter, _ *http.Request) error {
					if n == 0 {
						if tt.first != nil {
							return tt.first
						}
						apiError(w, http.StatusServiceUnavailable, "internal", "", "busy")
						return nil
					}
					if n == 1 && tt.middle != 0 {
						apiError(w, tt.middle, "internal", "", "busy")
						return nil
					}
					apiError(w, tt.status, "bad_request", "", "refused")
					return nil
				})
				err := tt.call(t.Context(), newClient(t, s))
				var apiErr *membrane.Error
				require.ErrorAs(t, err, &apiErr)
				assert.Equal(t, tt.status, apiErr.StatusCode)
				attempts := 2
				if tt.middle != 0 {
					attempts = 3
				}
				assert.Equal(t, attempts, apiErr.Attempts)
				assert.ErrorIs(t, err, tt.sentinel, "the last answer's sentinel still matches")
				assert.Equal(t, tt.maybe, apiErr.MaybeApplied)
				assert.Equal(t, tt.maybe, errors.Is(err, membrane.ErrNoResponse))
				if tt.maybe {
					assert.Contains(t, err.Error(), "outcome unknown")
					assert.Equal(t, s.Requests()[0].Header.Get("Idempotency-Key"), apiErr.IdempotencyKey)
				} else {
					assert.NotContains(t, err.Error(), "outcome unknown")
				}
			})
		})
	}
}

// Over a real socket: the answer of a customer create is lost, the workspace's secret is
// rotated before the retry, and the retry is refused 401. The customer exists, and the error
// says so may be: it matches ErrNoResponse beside ErrNotAuthenticated, and repeating the call
// under its key with a valid token answers the customer the first attempt made.
func TestSocketRetryRefusedAfterLostCreateIsMaybeApplied(t *testing.T) {
	t.Parallel()
	srv := fake.NewServer(t)
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	admin, err := membrane.NewClient(membrane.WithBaseURL(srv.URL()), membrane.WithToken(srv.AdminToken()),
		membrane.WithHTTPClient(&http.Client{Transport: tr}))
	require.NoError(t, err)
	ws, err := admin.OrgWorkspaces.Create(t.Context(), &membrane.CreateOrgWorkspaceRequest{OrgID: srv.OrgID(), Name: "Shop"})
	require.NoError(t, err)
	mintFor := func(ws *membrane.OrgWorkspace) string {
		tok, err := membrane.MintWorkspaceToken(ws.Key, ws.Secret, membrane.WorkspaceClaims{IsAdmin: true, ExpiresIn: time.Hour})
		require.NoError(t, err)
		return tok
	}
	hook := &betweenAttempts{next: tr, between: func() {
		if _, err := admin.OrgWorkspaces.RotateSecret(context.Background(), ws.ID); err != nil {
			t.Errorf("rotate between the attempts: %v", err)
		}
	}}
	wc, err := membrane.NewWorkspaceClient(membrane.WithBaseURL(ws.APIBaseURI), membrane.WithToken(mintFor(ws)),
		membrane.WithHTTPClient(&http.Client{Transport: hook}), fastRetries)
	require.NoError(t, err)
	addFault(t, srv, fake.Fault{Method: http.MethodPost, Path: "/customers", DropAnswer: true, Times: 1})

	req := &membrane.CreateCustomerRequest{Name: "Jane", InternalID: "jane"}
	_, err = wc.Customers.Create(t.Context(), req)
	var apiErr *membrane.Error
	require.ErrorAs(t, err, &apiErr)
	assert.ErrorIs(t, err, membrane.ErrNotAuthenticated)
	assert.ErrorIs(t, err, membrane.ErrNoResponse)
	assert.True(t, apiErr.MaybeApplied)
	assert.Equal(t, 401, apiErr.StatusCode)
	assert.Equal(t, 2, apiErr.Attempts)
	assert.Contains(t, err.Error(), "outcome unknown")
	require.NotEmpty(t, apiErr.IdempotencyKey)

	rotated, err := admin.OrgWorkspaces.Get(t.Context(), ws.ID)
	require.NoError(t, err)
	fresh, err := membrane.NewWorkspaceClient(membrane.WithBaseURL(ws.APIBaseURI), membrane.WithToken(mintFor(rotated)),
		membrane.WithHTTPClient(&http.Client{Transport: tr}))
	require.NoError(t, err)
	ids := func() []string {
		var ids []string
		for cu, err := range fresh.Customers.All(t.Context(), nil) {
			require.NoError(t, err)
			ids = append(ids, cu.ID)
		}
		return ids
	}
	made := ids()
	require.Len(t, made, 1, "the first attempt made the customer")

	again, err := fresh.Customers.Create(t.Context(), req, membrane.WithIdempotencyKey(apiErr.IdempotencyKey))
	require.NoError(t, err, "the repeat under the key is answered as the first attempt was")
	assert.Equal(t, made[0], again.ID)
	assert.Equal(t, made, ids(), "the repeat made no second customer")
}
