package membrane_test

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	membrane "github.com/membrane-community/membrane-go"
	"github.com/membrane-community/membrane-go/fake"
)

// secretScan collects what the SDK logged, what its values and errors print, and the
// credentials that must appear in none of it.
type secretScan struct {
	logs    syncBuffer
	mu      sync.Mutex
	printed strings.Builder
	creds   map[string]string // what it is → its value
}

func newSecretScan() *secretScan { return &secretScan{creds: map[string]string{}} }

// logger logs every level, Debug included, to both a JSON and a text handler.
func (s *secretScan) logger() *slog.Logger {
	opts := &slog.HandlerOptions{Level: slog.LevelDebug}
	return slog.New(slog.NewMultiHandler(slog.NewJSONHandler(&s.logs, opts), slog.NewTextHandler(&s.logs, opts)))
}

// credential adds a value that must not leak.
func (s *secretScan) credential(name, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.creds[name] = value
}

// print formats each value with every verb, and logs it at every level. A plain slice is only
// formatted: slog's JSON handler marshals it as JSON, which carries secrets (see Secret).
func (s *secretScan) print(values ...any) {
	log := s.logger()
	for _, v := range values {
		for _, verb := range verbs {
			out := fmt.Sprintf(verb, v)
			s.mu.Lock()
			s.printed.WriteString(out + "\n")
			s.mu.Unlock()
		}
		if reflect.ValueOf(v).Kind() == reflect.Slice {
			continue
		}
		for _, level := range []slog.Level{slog.LevelDebug, slog.LevelInfo, slog.LevelWarn, slog.LevelError} {
			log.Log(context.Background(), level, "value", "v", v, slog.Any("any", v), slog.Group("g", "v", v))
		}
	}
}

// fail records an error: its message, and how it prints.
func (s *secretScan) fail(err error) {
	s.print(err, err.Error())
	var apiErr *membrane.Error
	if errors.As(err, &apiErr) {
		s.print(apiErr, *apiErr)
	}
}

// check asserts that no credential, in plain text or hex, is in the logs or in what was printed.
func (s *secretScan) check(t *testing.T) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]string{"the logs": s.logs.String(), "the printed values and errors": s.printed.String()}
	for where, text := range out {
		require.NotEmpty(t, text, where)
		for name, value := range s.creds {
			require.NotEmpty(t, value, name)
			for _, form := range []string{value, hex.EncodeToString([]byte(value)), strings.ToUpper(hex.EncodeToString([]byte(value))), fmt.Sprintf("% x", value)} {
				assert.False(t, strings.Contains(text, form), "the %s leaks into %s", name, where)
			}
		}
	}
}

// TestFakeFlowNeverLeaksCredentials runs every operation against the fake, with every client
// logging at Debug level, goes through a rejected token, a 404 and a retried 503, and checks that
// no token, secret or private key shows in the logs, in an error or in any printed value or client.
func TestFakeFlowNeverLeaksCredentials(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		scan := newSecretScan()
		log := scan.logger()
		ctx := t.Context()
		e := newFakeEnv(t)
		admin := e.platformClient(t, e.srv.AdminToken(), membrane.WithLogger(log))
		workspaceClient := func(opts ...membrane.Option) *membrane.WorkspaceClient {
			return e.workspaceClient(t, append(opts, membrane.WithLogger(log))...)
		}

		// Management API, with a create retried after a 503.
		addFault(t, e.srv, fake.Fault{Status: 503, Times: 1, Path: "/org-workspaces"})
		createReq := &membrane.CreateOrgWorkspaceRequest{OrgID: e.srv.OrgID(), Name: "secrets"}
		ws, err := admin.OrgWorkspaces.Create(ctx, createReq)
		require.NoError(t, err)
		require.Contains(t, scan.logs.String(), `"reason":"status 503"`, "the create was retried")
		kid := "platform-key"
		keys := []membrane.PublicKey{{Name: kid, PublicKey: publicKeyPEM(t, testEd25519Key())}}
		updateReq := &membrane.UpdateOrgWorkspaceRequest{WebhookURI: membrane.Set("https://hooks.example/flow"), PublicKeys: membrane.Set(keys)}
		updated, err := admin.OrgWorkspaces.Update(ctx, ws.ID, updateReq)
		require.NoError(t, err)
		tokenReq := &membrane.AccessTokenRequest{TenantKey: "flow-tenant", Name: "Flow tenant"}
		accessToken, err := admin.OrgWorkspaces.AccessToken(ctx, ws.ID, tokenReq)
		require.NoError(t, err)
		instances, err := admin.Instances.List(ctx, e.srv.OrgID())
		require.NoError(t, err)

		// Workspace API, with each kind of credentials.
		wc, err := admin.OrgWorkspaces.Client(ws, nil)
		require.NoError(t, err)
		customerReq := &membrane.CreateCustomerRequest{Name: "Flow customer", InternalID: "flow", Credentials: map[string]any{"apiKey": "customer-api-key-0123456789"}}
		cu, err := wc.Customers.Create(ctx, customerReq)
		require.NoError(t, err)
		customerUpdate := &membrane.UpdateCustomerRequest{Name: membrane.Set("Flow Corp"), Credentials: membrane.Set[any](map[string]any{"apiKey": "customer-api-key-rotated-9876543210"})}
		cuUpdated, err := wc.Customers.Update(ctx, cu.ID, customerUpdate)
		require.NoError(t, err)
		cuArchived, err := wc.Customers.Archive(ctx, cu.ID)
		require.NoError(t, err)
		cuRestored, err := wc.Customers.Restore(ctx, cu.ID)
		require.NoError(t, err)
		customers, err := wc.Customers.List(ctx, &membrane.ListCustomersOptions{IncludeArchived: true})
		require.NoError(t, err)

		tenant := workspaceClient(membrane.WithToken(accessToken))
		self, err := tenant.Self(ctx)
		require.NoError(t, err)
		mintClaims := membrane.WorkspaceClaims{TenantKey: "flow-tenant", Algorithm: "HS512"}
		minted, err := membrane.MintWorkspaceToken(ws.Key, ws.Secret, mintClaims)
		require.NoError(t, err)
		mintedSelf, err := workspaceClient(membrane.WithToken(minted)).Self(ctx)
		require.NoError(t, err)
		offlineClaims := membrane.WorkspaceClaims{IsAdmin: true}
		offline := workspaceClient(membrane.WithWorkspaceCredentials(ws.Key, ws.Secret, offlineClaims))
		offlinePage, err := offline.Customers.List(ctx, nil)
		require.NoError(t, err)
		keyClaims := membrane.WorkspaceClaims{Signer: testEd25519Key(), KeyID: kid}
		keyMinted, err := membrane.MintWorkspaceToken(ws.Key, "", keyClaims)
		require.NoError(t, err)
		signed := workspaceClient(membrane.WithWorkspaceCredentials(ws.Key, "", keyClaims))
		signedCustomer, err := signed.Customers.Get(ctx, cu.ID)
		require.NoError(t, err)

		// Rotation: the offline client is refused, the others go on.
		secret, err := admin.OrgWorkspaces.RotateSecret(ctx, ws.ID)
		require.NoError(t, err)
		_, staleErr := offline.Customers.List(ctx, nil)
		require.ErrorIs(t, staleErr, membrane.ErrNotAuthenticated)
		renewedPage, err := wc.Customers.List(ctx, nil)
		require.NoError(t, err, "the client made by OrgWorkspaces.Client gets a new token")
		require.Contains(t, scan.logs.String(), "renewing the token")
		rotatedClient := workspaceClient(membrane.WithWorkspaceCredentials(ws.Key, secret, offlineClaims))
		rotatedPage, err := rotatedClient.Customers.List(ctx, nil)
		require.NoError(t, err)
		_, err = signed.Customers.Get(ctx, cu.ID)
		require.NoError(t, err)

		archived, err := admin.OrgWorkspaces.Archive(ctx, ws.ID)
		require.NoError(t, err)
		_, archivedErr := signed.Customers.List(ctx, nil)
		require.ErrorIs(t, archivedErr, membrane.ErrNotAuthenticated)
		restored, err := admin.OrgWorkspaces.Restore(ctx, ws.ID)
		require.NoError(t, err)
		list, err := admin.OrgWorkspaces.List(ctx, nil)
		require.NoError(t, err)
		got, err := admin.OrgWorkspaces.Get(ctx, ws.ID)
		require.NoError(t, err)

		// Error paths: a bad platform token, a 404 on each API, a 503 answered twice.
		badToken := "pat-not-a-real-token-0123456789abcdef"
		bad := e.platformClient(t, badToken, membrane.WithLogger(log))
		_, badErr := bad.OrgWorkspaces.List(ctx, nil)
		require.ErrorIs(t, badErr, membrane.ErrNotAuthenticated)
		_, notFoundErr := admin.OrgWorkspaces.Get(ctx, "ffffffffffffffffffffffff")
		require.ErrorIs(t, notFoundErr, membrane.ErrNotFound)
		_, noCustomerErr := wc.Customers.Get(ctx, "ffffffffffffffffffffffff")
		require.ErrorIs(t, noCustomerErr, membrane.ErrNotFound)
		addFault(t, e.srv, fake.Fault{Status: 503, Times: 2, Path: "/org-workspaces/*/rotate-secret"})
		once := e.platformClient(t, e.srv.AdminToken(), membrane.WithLogger(log), membrane.WithRetryPolicy(membrane.RetryPolicy{MaxAttempts: 2}))
		_, unavailableErr := once.OrgWorkspaces.RotateSecret(ctx, ws.ID)
		require.Error(t, unavailableErr)
		assert.Contains(t, unavailableErr.Error(), "2 attempts")
		_, bothErr := membrane.MintWorkspaceToken(ws.Key, secret, keyClaims)
		require.Error(t, bothErr, "a secret and a Signer together are refused")

		require.Contains(t, scan.logs.String(), "membrane: request done", "the SDK logged the flow")
		for _, err := range []error{staleErr, archivedErr, badErr, notFoundErr, noCustomerErr, unavailableErr, bothErr} {
			scan.fail(err)
		}
		scan.print(
			// What the calls returned.
			ws, *ws, updated, instances, cu, cuUpdated, cuArchived, cuRestored, customers, customers.Items,
			self, mintedSelf, offlinePage, signedCustomer, secret, renewedPage, rotatedPage, archived, restored,
			list, list.Items, got, []membrane.OrgWorkspace{*got},
			// What was given to them.
			createReq, updateReq, tokenReq, customerReq, *customerReq, customerUpdate, mintClaims, keyClaims, &keyClaims,
			offlineClaims, membrane.DefaultRetryPolicy(), membrane.StaticToken(e.srv.AdminToken()),
			membrane.Secret(e.srv.AdminToken()),
			// The clients and their services.
			admin, admin.OrgWorkspaces, admin.Instances, *admin, bad, once,
			wc, wc.Customers, *wc, tenant, offline, signed, rotatedClient, *signed,
		)

		for name, tok := range e.tap.namedTokens() {
			scan.credential(name, tok)
		}
		scan.credential("platform token", e.srv.AdminToken())
		scan.credential("bad platform token", badToken)
		scan.credential("first secret", ws.Secret.Reveal())
		scan.credential("rotated secret", secret.Reveal())
		scan.credential("current secret", got.Secret.Reveal())
		scan.credential("access token", accessToken)
		scan.credential("minted token", minted)
		scan.credential("key-signed token", keyMinted)
		scan.credential("private key", string(testEd25519Key()))
		scan.credential("private key, base64", base64.StdEncoding.EncodeToString(testEd25519Key()))
		scan.credential("customer credentials", "customer-api-key-0123456789")
		scan.credential("updated customer credentials", "customer-api-key-rotated-9876543210")
		require.Greater(t, len(scan.creds), 15, "the wire carried several tokens")
		scan.check(t)

		b, err := json.Marshal(restored)
		require.NoError(t, err)
		assert.Contains(t, string(b), `"secret":"[REDACTED]"`, "JSON carries no secret")
	})
}
