package membrane_test

import (
	"context"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/membrane-community/membrane-go"
)

const (
	testWorkspaceKey    = "6a1f0a3c-1b2d-4e5f-8a9b-0c1d2e3f4a5b"
	testWorkspaceSecret = membrane.Secret("workspace-secret-0123456789abcdef0123456789")
)

var mintTime = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// parseToken verifies token with secret at instant now, accepting only alg, and returns its claims.
func parseToken(t *testing.T, token string, secret membrane.Secret, alg string, now time.Time) jwt.MapClaims {
	t.Helper()
	claims := jwt.MapClaims{}
	parsed, err := jwt.NewParser(jwt.WithValidMethods([]string{alg}), jwt.WithTimeFunc(func() time.Time { return now }),
		jwt.WithExpirationRequired(), jwt.WithIssuedAt()).
		ParseWithClaims(token, claims, func(*jwt.Token) (any, error) { return []byte(secret.Reveal()), nil })
	require.NoError(t, err)
	require.True(t, parsed.Valid)
	assert.Equal(t, alg, parsed.Header["alg"])
	return claims
}

func TestMintWorkspaceToken(t *testing.T) {
	t.Parallel()
	for _, alg := range []string{"", "HS256", "HS384", "HS512"} {
		t.Run("alg "+alg, func(t *testing.T) {
			t.Parallel()
			tok, err := membrane.MintWorkspaceToken(testWorkspaceKey, testWorkspaceSecret, membrane.WorkspaceClaims{
				TenantKey: "tenant-1", Name: "Tenant One", Fields: map[string]any{"plan": "pro"}, IsAdmin: true,
				Algorithm: alg, Now: func() time.Time { return mintTime },
			})
			require.NoError(t, err)
			want := alg
			if want == "" {
				want = "HS256"
			}
			claims := parseToken(t, tok, testWorkspaceSecret, want, mintTime.Add(time.Minute))
			assert.Equal(t, jwt.MapClaims{
				"workspaceKey": testWorkspaceKey,
				"iss":          testWorkspaceKey,
				"tenantKey":    "tenant-1",
				"id":           "tenant-1",
				"name":         "Tenant One",
				"fields":       map[string]any{"plan": "pro"},
				"isAdmin":      true,
				"iat":          float64(mintTime.Unix()),
				"exp":          float64(mintTime.Add(time.Hour).Unix()),
			}, claims)
		})
	}
}

func TestMintWorkspaceLevelToken(t *testing.T) {
	t.Parallel()
	tok, err := membrane.MintWorkspaceToken(testWorkspaceKey, testWorkspaceSecret, membrane.WorkspaceClaims{
		ExpiresIn: 10 * time.Minute, Now: func() time.Time { return mintTime },
	})
	require.NoError(t, err)
	claims := parseToken(t, tok, testWorkspaceSecret, "HS256", mintTime)
	assert.Equal(t, jwt.MapClaims{
		"workspaceKey": testWorkspaceKey, "iss": testWorkspaceKey,
		"iat": float64(mintTime.Unix()), "exp": float64(mintTime.Add(10 * time.Minute).Unix()),
	}, claims)

	_, err = jwt.Parse(tok, func(*jwt.Token) (any, error) { return []byte("another secret"), nil },
		jwt.WithTimeFunc(func() time.Time { return mintTime }))
	assert.ErrorIs(t, err, jwt.ErrTokenSignatureInvalid)
}

func TestMintWorkspaceTokenRejectsBadInput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		key    string
		secret membrane.Secret
		claims membrane.WorkspaceClaims
		want   string
	}{
		{"empty key", "", testWorkspaceSecret, membrane.WorkspaceClaims{}, "key is empty"},
		{"empty secret", testWorkspaceKey, "", membrane.WorkspaceClaims{}, "secret is empty"},
		{"RS256", testWorkspaceKey, testWorkspaceSecret, membrane.WorkspaceClaims{Algorithm: "RS256"}, `"RS256" is not supported`},
		{"none", testWorkspaceKey, testWorkspaceSecret, membrane.WorkspaceClaims{Algorithm: "none"}, `"none" is not supported`},
		{"lower case", testWorkspaceKey, testWorkspaceSecret, membrane.WorkspaceClaims{Algorithm: "hs256"}, "not supported"},
		{"negative lifetime", testWorkspaceKey, testWorkspaceSecret, membrane.WorkspaceClaims{ExpiresIn: -time.Second}, "ExpiresIn"},
		{"sub-second lifetime", testWorkspaceKey, testWorkspaceSecret, membrane.WorkspaceClaims{ExpiresIn: time.Millisecond}, "ExpiresIn"},
		{"tenant key of spaces", testWorkspaceKey, testWorkspaceSecret, membrane.WorkspaceClaims{TenantKey: " \t"}, "TenantKey is spaces only"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tok, err := membrane.MintWorkspaceToken(tt.key, tt.secret, tt.claims)
			require.Error(t, err)
			assert.Empty(t, tok)
			assert.Contains(t, err.Error(), tt.want)
			assert.Contains(t, err.Error(), "MintWorkspaceToken")
			assert.NotContains(t, err.Error(), testWorkspaceSecret.Reveal())
		})
	}
}

func TestStaticTokenIsNotPrinted(t *testing.T) {
	t.Parallel()
	ts := membrane.StaticToken("pat-abc-123")
	tok, err := ts.Token(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "pat-abc-123", tok)
	assertNoLeakOf(t, "pat-abc-123", ts)
}
