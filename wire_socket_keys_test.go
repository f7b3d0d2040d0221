package membrane_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"

	membrane "github.com/membrane-community/membrane-go"
	"github.com/membrane-community/membrane-go/fake"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// betweenAttempts is a transport that runs between once, after the first attempt that got no
// answer and before the client sees that: another client's change lands between two attempts
// of one call.
type betweenAttempts struct {
	next    http.RoundTripper
	once    sync.Once
	between func()
}

func (b *betweenAttempts) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := b.next.RoundTrip(req)
	if err != nil {
		b.once.Do(b.between)
	}
	return resp, err
}

// entriesOf returns the journal entries of every server for method and path, in order.
func entriesOf(srv *fake.Server, method, path string) []fake.JournalEntry {
	var out []fake.JournalEntry
	for _, e := range srv.Journal() {
		if e.Method == method && e.Path == path {
			out = append(out, e)
		}
	}
	return out
}

// A PATCH, PUT or DELETE whose answer is lost is retried under the Idempotency-Key of its first
// attempt, over a real socket; another client's change between the attempts does not turn the
// retry into a second change or into a refusal of what the first attempt did.
func TestSocketChangesRetryUnderOneKey(t *testing.T) {
	t.Parallel()
	type setup struct {
		path    string
		call    func(ctx context.Context) error
		between func(ctx context.Context) error
		check   func(t *testing.T)
	}
	tests := []struct {
		name   string
		method string
		setup  func(t *testing.T, org string, admin *membrane.Client, wc func(*membrane.OrgWorkspace) *membrane.WorkspaceClient) setup
	}{
		{
			name: "update across an archive", method: http.MethodPatch,
			setup: func(t *testing.T, org string, admin *membrane.Client, _ func(*membrane.OrgWorkspace) *membrane.WorkspaceClient) setup {
				ws, err := admin.OrgWorkspaces.Create(t.Context(), &membrane.CreateOrgWorkspaceRequest{OrgID: org, Name: "Before"})
				require.NoError(t, err)
				return setup{
					path: "/org-workspaces/" + ws.ID,
					call: func(ctx context.Context) error {
						got, err := admin.OrgWorkspaces.Update(ctx, ws.ID, &membrane.UpdateOrgWorkspaceRequest{Name: membrane.Set("After")})
						if err == nil && (got.Name != "After" || got.ArchivedAt != nil) {
							return errors.New("the answer is not the first attempt's")
						}
						return err
					},
					between: func(ctx context.Context) error { _, err := admin.OrgWorkspaces.Archive(ctx, ws.ID); return err },
					check: func(t *testing.T) {
						got, err := admin.OrgWorkspaces.Get(t.Context(), ws.ID)
						require.NoError(t, err)
						assert.Equal(t, "After", got.Name)
						assert.NotNil(t, got.ArchivedAt, "the archive in between stays")
					},
				}
			},
		},
		{
			name: "archive across a restore", method: http.MethodDelete,
			setup: func(t *testing.T, org string, admin *membrane.Client, _ func(*membrane.OrgWorkspace) *membrane.WorkspaceClient) setup {
				ws, err := admin.OrgWorkspaces.Create(t.Context(), &membrane.CreateOrgWorkspaceRequest{OrgID: org, Name: "Once"})
				require.NoError(t, err)
				return setup{
					path: "/org-workspaces/" + ws.ID,
					call: func(ctx context.Context) error {
						got, err := admin.OrgWorkspaces.Archive(ctx, ws.ID)
						if err == nil && got.ArchivedAt == nil {
							return errors.New("the answer is not the first attempt's")
						}
						return err
					},
					between: func(ctx context.Context) error { _, err := admin.OrgWorkspaces.Restore(ctx, ws.ID); return err },
					check: func(t *testing.T) {
						got, err := admin.OrgWorkspaces.Get(t.Context(), ws.ID)
						require.NoError(t, err)
						assert.Nil(t, got.ArchivedAt, "the retry does not archive again")
					},
				}
			},
		},
		{
			name: "customer replace across an update", method: http.MethodPut,
			setup: func(t *testing.T, org string, admin *membrane.Client, wc func(*membrane.OrgWorkspace) *membrane.WorkspaceClient) setup {
				ws, err := admin.OrgWorkspaces.Create(t.Context(), &membrane.CreateOrgWorkspaceRequest{OrgID: org, Name: "Customers"})
				require.NoError(t, err)
				c := wc(ws)
				cu := createCustomer(t, c, &membrane.CreateCustomerRequest{Name: "Before"})
				return setup{
					path: "/customers/" + cu.ID,
					call: func(ctx context.Context) error {
						got, err := c.Customers.Replace(ctx, cu.ID, &membrane.ReplaceCustomerRequest{Name: "After"})
						if err == nil && got.Name != "After" {
							return errors.New("the answer is not the first attempt's")
						}
						return err
					},
					between: func(ctx context.Context) error {
						_, err := c.Customers.Update(ctx, cu.ID, &membrane.UpdateCustomerRequest{Name: membrane.Set("Between")})
						return err
					},
					check: func(t *testing.T) {
						got, err := c.Customers.Get(t.Context(), cu.ID)
						require.NoError(t, err)
						assert.Equal(t, "Between", got.Name, "the retry does not replace again")
					},
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := fake.NewServer(t)
			tr := &http.Transport{}
			t.Cleanup(tr.CloseIdleConnections)
			hook := &betweenAttempts{next: tr}
			hc := &http.Client{Transport: hook}
			admin, err := membrane.NewClient(membrane.WithBaseURL(srv.URL()), membrane.WithToken(srv.AdminToken()),
				membrane.WithHTTPClient(hc), fastRetries)
			require.NoError(t, err)
			wc := func(ws *membrane.OrgWorkspace) *membrane.WorkspaceClient {
				c, err := admin.OrgWorkspaces.Client(ws, nil)
				require.NoError(t, err)
				return c
			}
			s := tt.setup(t, srv.OrgID(), admin, wc)
			hook.between = func() {
				if err := s.between(context.Background()); err != nil {
					t.Errorf("the change between the attempts: %v", err)
				}
			}
			addFault(t, srv, fake.Fault{Method: tt.method, Path: s.path, DropAnswer: true, Times: 1})

			require.NoError(t, s.call(t.Context()), "the retry is answered with the first attempt's answer")
			s.check(t)
			attempts := entriesOf(srv, tt.method, s.path)
			require.Len(t, attempts, 2)
			assert.Equal(t, 0, attempts[0].Status, "the first answer was dropped")
			assert.Equal(t, 200, attempts[1].Status)
			assert.NotEmpty(t, attempts[0].IdempotencyKey)
			assert.Equal(t, attempts[0].IdempotencyKey, attempts[1].IdempotencyKey, "every attempt carries the call's key")
			assert.Equal(t, []string{"1", "2"}, []string{attempts[0].Attempt, attempts[1].Attempt})
		})
	}
}

// A failed PATCH reports its key in Error.IdempotencyKey; given back with WithIdempotencyKey, a
// later call is answered as the first was, even after another change.
func TestFakeFailedUpdateRepeatsUnderItsKey(t *testing.T) {
	t.Parallel()
	e := newFakeEnv(t)
	once := e.platformClient(t, e.srv.AdminToken(), membrane.WithRetryPolicy(membrane.NoRetries()))
	ws := e.createWorkspace(t, "Before")
	addFault(t, e.srv, fake.Fault{Method: http.MethodPatch, DropAnswer: true, Times: 1})
	req := &membrane.UpdateOrgWorkspaceRequest{Name: membrane.Set("After")}
	_, err := once.OrgWorkspaces.Update(t.Context(), ws.ID, req)
	var apiErr *membrane.Error
	require.ErrorAs(t, err, &apiErr)
	require.ErrorIs(t, err, membrane.ErrNoResponse)
	require.NotEmpty(t, apiErr.IdempotencyKey)
	assert.Equal(t, apiErr.IdempotencyKey, entriesOf(e.srv, http.MethodPatch, "/org-workspaces/"+ws.ID)[0].IdempotencyKey)

	_, err = e.admin.OrgWorkspaces.Archive(t.Context(), ws.ID)
	require.NoError(t, err)
	got, err := once.OrgWorkspaces.Update(t.Context(), ws.ID, req, membrane.WithIdempotencyKey(apiErr.IdempotencyKey))
	require.NoError(t, err, "the repeat is answered as the first attempt was")
	assert.Equal(t, "After", got.Name)
	assert.Nil(t, got.ArchivedAt)

	// The key with another change is refused, and changes nothing.
	_, err = once.OrgWorkspaces.Update(t.Context(), ws.ID, &membrane.UpdateOrgWorkspaceRequest{Name: membrane.Set("Other")},
		membrane.WithIdempotencyKey(apiErr.IdempotencyKey))
	require.ErrorIs(t, err, membrane.ErrBadRequest)
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "idempotency_key_reused", apiErr.Key)
	assert.Equal(t, "After", e.getWorkspace(t, ws.ID).Name)
}
