package membrane_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/membrane-community/membrane-go"
)

// Test keys, made once per test binary: RSA keys take a while to generate.
var (
	testRSAKey = sync.OnceValue(func() *rsa.PrivateKey {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		return k
	})
	testECKey      = sync.OnceValue(func() *ecdsa.PrivateKey { return newECKey(elliptic.P256()) })
	testP384Key    = sync.OnceValue(func() *ecdsa.PrivateKey { return newECKey(elliptic.P384()) })
	testEd25519Key = sync.OnceValue(func() ed25519.PrivateKey {
		_, k, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			panic(err)
		}
		return k
	})
)

func newECKey(c elliptic.Curve) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(c, rand.Reader)
	if err != nil {
		panic(err)
	}
	return k
}

// publicKeyPEM returns the PEM (PKIX) of the public key of s.
func publicKeyPEM(t *testing.T, s crypto.Signer) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(s.Public())
	require.NoError(t, err)
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// opaqueSigner hides the type of its key, as a key kept in a KMS would.
type opaqueSigner struct{ s crypto.Signer }

func (o opaqueSigner) Public() crypto.PublicKey { return o.s.Public() }

func (o opaqueSigner) Sign(r io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	return o.s.Sign(r, digest, opts)
}

// keyCase is a private key and an algorithm it signs, with the algorithm the token should carry.
type keyCase struct {
	name   string
	signer func() crypto.Signer
	alg    string // WorkspaceClaims.Algorithm
	want   string // the token's alg
}

var keyCases = []keyCase{
	{"RSA default", func() crypto.Signer { return testRSAKey() }, "", "RS256"},
	{"RS256", func() crypto.Signer { return testRSAKey() }, "RS256", "RS256"},
	{"RS512", func() crypto.Signer { return testRSAKey() }, "RS512", "RS512"},
	{"PS256", func() crypto.Signer { return testRSAKey() }, "PS256", "PS256"},
	{"ECDSA P-256 default", func() crypto.Signer { return testECKey() }, "", "ES256"},
	{"ES256", func() crypto.Signer { return testECKey() }, "ES256", "ES256"},
	{"ES384", func() crypto.Signer { return testP384Key() }, "", "ES384"},
	{"Ed25519 default", func() crypto.Signer { return testEd25519Key() }, "", "EdDSA"},
	{"EdDSA", func() crypto.Signer { return testEd25519Key() }, "EdDSA", "EdDSA"},
	{"RSA in a KMS, PS256", func() crypto.Signer { return opaqueSigner{testRSAKey()} }, "PS256", "PS256"},
	{"ECDSA in a KMS", func() crypto.Signer { return opaqueSigner{testECKey()} }, "", "ES256"},
	{"Ed25519 in a KMS", func() crypto.Signer { return opaqueSigner{testEd25519Key()} }, "", "EdDSA"},
}

func TestMintWorkspaceTokenWithKey(t *testing.T) {
	t.Parallel()
	for _, tc := range keyCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			signer := tc.signer()
			tok, err := membrane.MintWorkspaceToken(testWorkspaceKey, "", membrane.WorkspaceClaims{
				TenantKey: "tenant-1", IsAdmin: true, Algorithm: tc.alg, Signer: signer, KeyID: "main-key",
				Now: func() time.Time { return mintTime },
			})
			require.NoError(t, err)

			claims := jwt.MapClaims{}
			parsed, err := jwt.NewParser(jwt.WithValidMethods([]string{tc.want}), jwt.WithExpirationRequired(),
				jwt.WithTimeFunc(func() time.Time { return mintTime.Add(time.Minute) })).
				ParseWithClaims(tok, claims, func(*jwt.Token) (any, error) { return signer.Public(), nil })
			require.NoError(t, err)
			assert.True(t, parsed.Valid)
			assert.Equal(t, map[string]any{"alg": tc.want, "typ": "JWT", "kid": "main-key"}, parsed.Header)
			assert.Equal(t, jwt.MapClaims{
				"workspaceKey": testWorkspaceKey, "iss": testWorkspaceKey, "tenantKey": "tenant-1", "id": "tenant-1",
				"isAdmin": true, "iat": float64(mintTime.Unix()), "exp": float64(mintTime.Add(time.Hour).Unix()),
			}, claims)
		})
	}
}

func TestMintWorkspaceTokenWithKeyDoesNotVerifyWithAnotherKey(t *testing.T) {
	t.Parallel()
	tok, err := membrane.MintWorkspaceToken(testWorkspaceKey, "", membrane.WorkspaceClaims{Signer: testECKey()})
	require.NoError(t, err)
	other := newECKey(elliptic.P256())
	_, err = jwt.Parse(tok, func(*jwt.Token) (any, error) { return other.Public(), nil })
	assert.ErrorIs(t, err, jwt.ErrTokenSignatureInvalid)

	parsed, _, err := jwt.NewParser().ParseUnverified(tok, jwt.MapClaims{})
	require.NoError(t, err)
	assert.NotContains(t, parsed.Header, "kid", "no KeyID, no kid header")
}

// publicOnly is a Signer whose public key is of a kind tokens cannot use.
type publicOnly struct{ pub crypto.PublicKey }

func (p publicOnly) Public() crypto.PublicKey { return p.pub }

func (p publicOnly) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) {
	return nil, fmt.Errorf("cannot sign")
}

func TestMintWorkspaceTokenRejectsKeyMisuse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		secret membrane.Secret
		claims membrane.WorkspaceClaims
		want   string
	}{
		{"key and secret", testWorkspaceSecret, membrane.WorkspaceClaims{Signer: testECKey()}, "both the workspace secret and a Signer"},
		{"neither", "", membrane.WorkspaceClaims{}, "secret is empty"},
		{"kid with the secret", testWorkspaceSecret, membrane.WorkspaceClaims{KeyID: "k1"}, `KeyID "k1" names a public key`},
		{"RS256 with the secret", testWorkspaceSecret, membrane.WorkspaceClaims{Algorithm: "RS256"}, "set WorkspaceClaims.Signer"},
		{"HS256 with a key", "", membrane.WorkspaceClaims{Signer: testRSAKey(), Algorithm: "HS256"}, `"HS256" does not fit an RSA key`},
		{"ES256 with an RSA key", "", membrane.WorkspaceClaims{Signer: testRSAKey(), Algorithm: "ES256"}, `"ES256" does not fit an RSA key`},
		{"RS256 with an EC key", "", membrane.WorkspaceClaims{Signer: testECKey(), Algorithm: "RS256"}, `"RS256" does not fit an ECDSA P-256 key: use ES256`},
		{"ES384 with a P-256 key", "", membrane.WorkspaceClaims{Signer: testECKey(), Algorithm: "ES384"}, `"ES384" does not fit an ECDSA P-256 key`},
		{"PS256 with an Ed25519 key", "", membrane.WorkspaceClaims{Signer: testEd25519Key(), Algorithm: "PS256"}, `"PS256" does not fit an Ed25519 key`},
		{"none with a key", "", membrane.WorkspaceClaims{Signer: testRSAKey(), Algorithm: "none"}, `"none" does not fit`},
		{"nil RSA key", "", membrane.WorkspaceClaims{Signer: (*rsa.PrivateKey)(nil)}, "nil *rsa.PrivateKey"},
		{"short Ed25519 key", "", membrane.WorkspaceClaims{Signer: ed25519.PrivateKey(make([]byte, 12))}, "Ed25519 private key has 12 bytes"},
		{"P-224 key", "", membrane.WorkspaceClaims{Signer: newECKey(elliptic.P224())}, "curve is not supported"},
		{"no public key", "", membrane.WorkspaceClaims{Signer: publicOnly{}}, "has no public key"},
		{"strange public key", "", membrane.WorkspaceClaims{Signer: publicOnly{"a string"}}, "public key is a string is not supported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tok, err := membrane.MintWorkspaceToken(testWorkspaceKey, tt.secret, tt.claims)
			require.Error(t, err)
			assert.Empty(t, tok)
			assert.Contains(t, err.Error(), tt.want)
			assert.Contains(t, err.Error(), "MintWorkspaceToken")
			assert.NotContains(t, err.Error(), testWorkspaceSecret.Reveal())

			_, err = membrane.NewWorkspaceClient(membrane.WithWorkspaceCredentials(testWorkspaceKey, tt.secret, tt.claims))
			require.Error(t, err, "the option checks the same")
			assert.Contains(t, err.Error(), "WithWorkspaceCredentials: ")
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestMintWorkspaceTokenReportsASignerFailure(t *testing.T) {
	t.Parallel()
	_, err := membrane.MintWorkspaceToken(testWorkspaceKey, "", membrane.WorkspaceClaims{
		Signer: publicOnly{testRSAKey().Public()},
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "MintWorkspaceToken: sign with RS256: cannot sign")
}

func TestWorkspaceClaimsNeverPrintTheirKey(t *testing.T) {
	t.Parallel()
	ed := testEd25519Key()
	rsaKey := testRSAKey()
	ecKey := testECKey()
	leaks := map[string][]string{
		"Ed25519": {string(ed), fmt.Sprint([]byte(ed)), fmt.Sprintf("%x", []byte(ed)), base64.StdEncoding.EncodeToString(ed)},
		"RSA":     {rsaKey.D.String(), rsaKey.Primes[0].String(), fmt.Sprintf("%x", rsaKey.D.Bytes())},
		"ECDSA":   {fmt.Sprintf("%x", mustECBytes(t, ecKey))},
	}
	signers := map[string]crypto.Signer{"Ed25519": ed, "RSA": rsaKey, "ECDSA": ecKey}
	for name, signer := range signers {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := membrane.WorkspaceClaims{TenantKey: "tenant-1", Signer: signer, KeyID: "main-key"}
			var out strings.Builder
			for _, verb := range verbs {
				fmt.Fprintln(&out, fmt.Sprintf(verb, c), fmt.Sprintf(verb, &c), fmt.Sprintf(verb, []membrane.WorkspaceClaims{c}))
			}
			for _, h := range []func(io.Writer) slog.Handler{
				func(w io.Writer) slog.Handler { return slog.NewJSONHandler(w, nil) },
				func(w io.Writer) slog.Handler { return slog.NewTextHandler(w, nil) },
			} {
				slog.New(h(&out)).Info("claims", "claims", c, "ptr", &c)
			}
			for _, leak := range leaks[name] {
				assert.NotContains(t, out.String(), leak)
			}
			assert.Contains(t, fmt.Sprintf("%+v", c), "Signer:[REDACTED]")
			assert.Contains(t, fmt.Sprintf("%+v", c), "KeyID:main-key")
			assert.True(t, strings.HasPrefix(fmt.Sprintf("%#v", c), "membrane.WorkspaceClaims{"), fmt.Sprintf("%#v", c))
			assert.Contains(t, out.String(), `"keyId":"main-key"`, "the JSON log says which key")
		})
	}
	assert.Contains(t, fmt.Sprintf("%+v", membrane.WorkspaceClaims{}), "Signer:<nil>", "no signer shows as such")
}

func mustECBytes(t *testing.T, k *ecdsa.PrivateKey) []byte {
	t.Helper()
	b, err := k.Bytes()
	require.NoError(t, err)
	return b
}

// A private key given to WithWorkspaceCredentials signs the client's tokens.
func TestWorkspaceCredentialsWithKeySignTheRequests(t *testing.T) {
	t.Parallel()
	s := answer(200, map[string]any{"items": []any{}})
	wc, err := membrane.NewWorkspaceClient(membrane.WithBaseURL(testHubURL), membrane.WithHTTPClient(s.HTTPClient()),
		membrane.WithWorkspaceCredentials(testWorkspaceKey, "", membrane.WorkspaceClaims{Signer: testEd25519Key(), KeyID: "ed"}))
	require.NoError(t, err)
	_, err = wc.Customers.List(t.Context(), nil)
	require.NoError(t, err)

	tok := strings.TrimPrefix(s.Last(t).Header.Get("Authorization"), "Bearer ")
	parsed, err := jwt.Parse(tok, func(*jwt.Token) (any, error) { return testEd25519Key().Public(), nil },
		jwt.WithValidMethods([]string{"EdDSA"}))
	require.NoError(t, err)
	assert.Equal(t, "ed", parsed.Header["kid"])
	assertNoLeakOf(t, string(testEd25519Key()), wc)

	b, err := json.Marshal(parsed.Claims)
	require.NoError(t, err)
	assert.Contains(t, string(b), `"workspaceKey":"`+testWorkspaceKey+`"`)
}
