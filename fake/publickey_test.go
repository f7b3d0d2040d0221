package fake_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tkPEM encodes a public key as PEM (PKIX).
func tkPEM(t testing.TB, pub any) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	require.NoError(t, err)
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// tkSignKid signs claims with method and key, naming kid in the header.
func tkSignKid(t testing.TB, method jwt.SigningMethod, key any, kid string, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	tok.Header["kid"] = kid
	s, err := tok.SignedString(key)
	require.NoError(t, err)
	return s
}

// Tokens signed with a private key verify against the publicKeys of the workspace (spec §4).
func TestPublicKeyTokens(t *testing.T) {
	t.Parallel()
	_, c := newFake(t)
	ws := tkNewWorkspace(t, c, "Public keys")
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	edPub, edKey, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	strangerKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	rsaPEM := tkPEM(t, &rsaKey.PublicKey)
	c.ok("PATCH", "/org-workspaces/"+ws.id, map[string]any{"publicKeys": []map[string]string{
		{"name": "rsa", "publicKey": rsaPEM},
		{"name": "ec", "publicKey": tkPEM(t, &ecKey.PublicKey)},
		{"name": "ed", "publicKey": tkPEM(t, edPub)},
	}})
	claims := jwt.MapClaims{"workspaceKey": ws.key, "isAdmin": true, "exp": time.Now().Add(time.Hour).Unix()}
	tenant := jwt.MapClaims{"workspaceKey": ws.key, "tenantKey": "pk-tenant", "exp": time.Now().Add(time.Hour).Unix()}

	tests := []struct {
		name string
		tok  string
		ok   bool
	}{
		{"RS256", tkSign(t, jwt.SigningMethodRS256, rsaKey, claims), true},
		{"RS512", tkSign(t, jwt.SigningMethodRS512, rsaKey, claims), true},
		{"PS256", tkSign(t, jwt.SigningMethodPS256, rsaKey, claims), true},
		{"ES256", tkSign(t, jwt.SigningMethodES256, ecKey, claims), true},
		{"EdDSA", tkSign(t, jwt.SigningMethodEdDSA, edKey, claims), true},
		{"RS256 naming its key", tkSignKid(t, jwt.SigningMethodRS256, rsaKey, "rsa", claims), true},
		{"RS256 naming another key", tkSignKid(t, jwt.SigningMethodRS256, rsaKey, "ec", claims), false},
		{"RS256 naming no such key", tkSignKid(t, jwt.SigningMethodRS256, rsaKey, "gone", claims), false},
		{"ES256 of a key not registered", tkSign(t, jwt.SigningMethodES256, strangerKey, claims), false},
		{"HS256 with the public key as the secret", tkSign(t, jwt.SigningMethodHS256, []byte(rsaPEM), claims), false},
		{"the secret still works", tkSign(t, jwt.SigningMethodHS256, []byte(ws.secret), claims), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := tkAt(t, c)
			r := c.as(tt.tok).do("GET", "/customers", nil)
			if !tt.ok {
				tkRequireUnauthenticated(t, r, tt.tok, ws.secret)
				return
			}
			require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
		})
	}
	t.Run("tenant", func(t *testing.T) {
		t.Parallel()
		c := tkAt(t, c)
		self := c.as(tkSign(t, jwt.SigningMethodES256, ecKey, tenant)).ok("GET", "/self", nil)
		assert.Equal(t, "pk-tenant", self["internalId"])
	})
}

func TestRemovedPublicKeyNoLongerVerifies(t *testing.T) {
	t.Parallel()
	_, c := newFake(t)
	ws := tkNewWorkspace(t, c, "Removed key")
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tok := tkSign(t, jwt.SigningMethodES256, ecKey, jwt.MapClaims{"workspaceKey": ws.key, "exp": time.Now().Add(time.Hour).Unix()})
	tkRequireUnauthenticated(t, c.as(tok).do("GET", "/customers", nil), tok)

	c.ok("PATCH", "/org-workspaces/"+ws.id, map[string]any{"publicKeys": []map[string]string{{"name": "ec", "publicKey": tkPEM(t, &ecKey.PublicKey)}}})
	c.as(tok).ok("GET", "/customers", nil)
	c.ok("PATCH", "/org-workspaces/"+ws.id, map[string]any{"publicKeys": []any{}})
	tkRequireUnauthenticated(t, c.as(tok).do("GET", "/customers", nil), tok)
	c.ok("PATCH", "/org-workspaces/"+ws.id, map[string]any{"publicKeys": []map[string]string{{"name": "ec", "publicKey": tkPEM(t, &ecKey.PublicKey)}}})
	c.as(tok).ok("GET", "/customers", nil)
	c.ok("PATCH", "/org-workspaces/"+ws.id, map[string]any{"publicKeys": nil})
	tkRequireUnauthenticated(t, c.as(tok).do("GET", "/customers", nil), tok)
}

// With the setting disableSecretKeyAuth, secret-signed tokens are refused (spec §4); tokens of
// the workspace's public keys still work.
func TestDisableSecretKeyAuth(t *testing.T) {
	t.Parallel()
	_, c := newFake(t)
	ws := tkNewWorkspace(t, c, "No secret auth")
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	minted := c.mint(ws.id, map[string]any{"isAdmin": true})
	self := tkSign(t, jwt.SigningMethodHS512, []byte(ws.secret), jwt.MapClaims{"workspaceKey": ws.key, "exp": time.Now().Add(time.Hour).Unix()})
	signed := tkSign(t, jwt.SigningMethodES256, ecKey, jwt.MapClaims{"workspaceKey": ws.key, "exp": time.Now().Add(time.Hour).Unix()})
	c.as(minted).ok("GET", "/customers", nil)

	c.ok("PATCH", "/org-workspaces/"+ws.id, map[string]any{
		"settings":   map[string]any{"disableSecretKeyAuth": true},
		"publicKeys": []map[string]string{{"name": "ec", "publicKey": tkPEM(t, &ecKey.PublicKey)}},
	})
	for _, tok := range []string{minted, self} {
		tkRequireUnauthenticated(t, c.as(tok).do("GET", "/customers", nil), tok, ws.secret)
	}
	c.as(signed).ok("GET", "/customers", nil)

	c.ok("PATCH", "/org-workspaces/"+ws.id, map[string]any{"settings": map[string]any{"disableSecretKeyAuth": false}})
	c.as(minted).ok("GET", "/customers", nil)
	c.as(self).ok("GET", "/customers", nil)
	c.as(signed).ok("GET", "/customers", nil)
}

// With disableSecretKeyAuth a secret-signed token would be refused, so the hub mints none and
// says why; once the setting is off again, tenantId resolves the customer as before.
func TestAccessTokenRefusedWhenSecretAuthDisabled(t *testing.T) {
	t.Parallel()
	_, c := newFake(t)
	ws := tkNewWorkspace(t, c, "TenantID without secret auth")
	admin := c.as(c.mint(ws.id, map[string]any{"isAdmin": true}))
	custID := admin.ok("POST", "/customers", map[string]any{"name": "Initech", "internalId": "initech-7"})["id"].(string)
	c.ok("PATCH", "/org-workspaces/"+ws.id, map[string]any{"settings": map[string]any{"disableSecretKeyAuth": true}})

	path := "/org-workspaces/" + ws.id + "/access-token"
	for _, body := range []map[string]any{{}, {"tenantId": custID}, {"tenantKey": "k"}} {
		r := c.fails(http.StatusBadRequest, "", "POST", path, body)
		assert.Contains(t, r.Body["message"], "disableSecretKeyAuth")
	}

	c.ok("PATCH", "/org-workspaces/"+ws.id, map[string]any{"settings": map[string]any{"disableSecretKeyAuth": false}})
	c.fails(http.StatusNotFound, "not_found", "POST", path, map[string]any{"tenantId": "0123456789abcdef01234567"})
	tok := c.ok("POST", path, map[string]any{"tenantId": custID})["token"].(string)
	claims := jwt.MapClaims{}
	_, err := jwt.ParseWithClaims(tok, claims, func(*jwt.Token) (any, error) { return []byte(ws.secret), nil })
	require.NoError(t, err)
	assert.Equal(t, "initech-7", claims["tenantKey"])
}
