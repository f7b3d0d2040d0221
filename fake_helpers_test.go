package membrane_test

import (
	"crypto/ed25519"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

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
	wc, err := e.admin.OrgWorkspaces.Client(ws, nil)
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

func createCustomer(t *testing.T, wc *membrane.WorkspaceClient, req *membrane.CreateCustomerRequest, opts ...membrane.CallOption) *membrane.Customer {
	t.Helper()
	cu, err := wc.Customers.Create(t.Context(), req, opts...)
	require.NoError(t, err)
	return cu
}
