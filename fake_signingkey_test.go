package membrane_test

import (
	"crypto"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	membrane "github.com/membrane-community/membrane-go"
)

// registerKey adds the public key of signer to ws under the name kid.
func (e *fakeEnv) registerKey(t *testing.T, ws *membrane.OrgWorkspace, kid string, signer crypto.Signer) {
	t.Helper()
	keys := append(append([]membrane.PublicKey(nil), ws.PublicKeys...), membrane.PublicKey{Name: kid, PublicKey: publicKeyPEM(t, signer)})
	updated, err := e.admin.OrgWorkspaces.Update(t.Context(), ws.ID, &membrane.UpdateOrgWorkspaceRequest{PublicKeys: membrane.Set(keys)})
	require.NoError(t, err)
	require.Len(t, updated.PublicKeys, len(keys))
	ws.PublicKeys = updated.PublicKeys
}

func TestFakeAcceptsKeySignedTokens(t *testing.T) {
	t.Parallel()
	for _, tc := range keyCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newFakeEnv(t)
			ws := e.createWorkspace(t, tc.name)
			signer := tc.signer()
			e.registerKey(t, ws, "platform-key", signer)
			claims := membrane.WorkspaceClaims{Signer: signer, KeyID: "platform-key", Algorithm: tc.alg}
			wc := e.workspaceClient(t, membrane.WithWorkspaceCredentials(ws.Key, "", claims))

			cu := createCustomer(t, wc, &membrane.CreateCustomerRequest{Name: "signed with " + tc.want})
			page, err := wc.Customers.List(t.Context(), nil)
			require.NoError(t, err)
			assert.Equal(t, []*membrane.Customer{cu}, page.Items)
		})
	}
}

// After the workspace refuses secret-signed tokens, only key-signed ones work; a rotation of the
// secret does not touch them.
func TestFakeDisableSecretKeyAuthLeavesKeySignedTokens(t *testing.T) {
	t.Parallel()
	e := newFakeEnv(t)
	ws := e.createWorkspace(t, "keys only")
	e.registerKey(t, ws, "rsa-1", testRSAKey())
	e.registerKey(t, ws, "ec-1", testECKey())
	withKey := e.workspaceClient(t, membrane.WithWorkspaceCredentials(ws.Key, "", membrane.WorkspaceClaims{Signer: testRSAKey(), KeyID: "rsa-1"}))
	withSecret := e.workspaceClient(t, membrane.WithWorkspaceCredentials(ws.Key, ws.Secret, membrane.WorkspaceClaims{}))
	_, err := withKey.Customers.List(t.Context(), nil)
	require.NoError(t, err)
	_, err = withSecret.Customers.List(t.Context(), nil)
	require.NoError(t, err, "secrets work until the setting says otherwise")

	_, err = e.admin.OrgWorkspaces.Update(t.Context(), ws.ID, &membrane.UpdateOrgWorkspaceRequest{
		Settings: membrane.Set(membrane.WorkspaceSettings{DisableSecretKeyAuth: membrane.Set(true)}),
	})
	require.NoError(t, err)

	_, err = withSecret.Customers.List(t.Context(), nil)
	require.ErrorIs(t, err, membrane.ErrNotAuthenticated, "a secret-signed token is refused")
	for _, alg := range []string{"HS256", "HS512"} {
		tok, err := membrane.MintWorkspaceToken(ws.Key, ws.Secret, membrane.WorkspaceClaims{Algorithm: alg})
		require.NoError(t, err)
		_, err = e.workspaceClient(t, membrane.WithToken(tok)).Customers.List(t.Context(), nil)
		require.ErrorIs(t, err, membrane.ErrNotAuthenticated, alg)
	}

	cu := createCustomer(t, withKey, &membrane.CreateCustomerRequest{Name: "Still signed"})
	ec := e.workspaceClient(t, membrane.WithWorkspaceCredentials(ws.Key, "", membrane.WorkspaceClaims{Signer: testECKey(), KeyID: "ec-1"}))
	got, err := ec.Customers.Get(t.Context(), cu.ID)
	require.NoError(t, err)
	assert.Equal(t, cu, got)

	_, err = e.admin.OrgWorkspaces.RotateSecret(t.Context(), ws.ID)
	require.NoError(t, err)
	_, err = withKey.Customers.Get(t.Context(), cu.ID)
	require.NoError(t, err, "a rotation of the secret does not touch key-signed tokens")
}

func TestFakeRefusesKeySignedTokensTheWorkspaceCannotVerify(t *testing.T) {
	t.Parallel()
	e := newFakeEnv(t)
	ws := e.createWorkspace(t, "strict keys")
	e.registerKey(t, ws, "rsa-1", testRSAKey())
	e.registerKey(t, ws, "ec-1", testECKey())
	tests := map[string]membrane.WorkspaceClaims{
		"kid of another key":             {Signer: testRSAKey(), KeyID: "ec-1"},
		"kid of no key":                  {Signer: testRSAKey(), KeyID: "gone"},
		"key not registered":             {Signer: testEd25519Key(), KeyID: "ed-1"},
		"registered kid, stranger's key": {Signer: testP384Key(), KeyID: "ec-1"},
	}
	for name, claims := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := e.workspaceClient(t, membrane.WithWorkspaceCredentials(ws.Key, "", claims)).Customers.List(t.Context(), nil)
			require.ErrorIs(t, err, membrane.ErrNotAuthenticated)
		})
	}
}
