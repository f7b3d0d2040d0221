package fake_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/membrane-community/membrane-go/fake"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSelfMintedTokens(t *testing.T) {
	t.Parallel()
	clock := newTkClock()
	_, c := newFake(t, fake.WithClock(clock.Now))
	ws := tkNewWorkspace(t, c, "Self-minted")
	otherKey := tkNewWorkspace(t, c, "Other").key
	now := clock.Now()
	hour := now.Add(time.Hour).Unix()

	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	secret := []byte(ws.secret)

	tests := []struct {
		name   string
		method jwt.SigningMethod
		key    any
		claims jwt.MapClaims
		tenant string // when set, GET /self must answer this tenant; else GET /customers
		ok     bool
	}{
		{"HS256 current form", jwt.SigningMethodHS256, secret, jwt.MapClaims{"workspaceKey": ws.key, "exp": hour}, "", true},
		{"HS384 current form", jwt.SigningMethodHS384, secret, jwt.MapClaims{"workspaceKey": ws.key, "exp": hour}, "", true},
		{"HS512 current form", jwt.SigningMethodHS512, secret, jwt.MapClaims{"workspaceKey": ws.key, "isAdmin": true, "exp": hour}, "", true},
		{"HS256 current form tenant", jwt.SigningMethodHS256, secret, jwt.MapClaims{"workspaceKey": ws.key, "tenantKey": "cur-256", "exp": hour}, "cur-256", true},
		{"HS384 current form tenant", jwt.SigningMethodHS384, secret, jwt.MapClaims{"workspaceKey": ws.key, "tenantKey": "cur-384", "exp": hour}, "cur-384", true},
		{"HS512 current form tenant", jwt.SigningMethodHS512, secret, jwt.MapClaims{"workspaceKey": ws.key, "tenantKey": "cur-512", "exp": hour}, "cur-512", true},
		{"legacy form", jwt.SigningMethodHS256, secret, jwt.MapClaims{"iss": ws.key, "exp": hour}, "", true},
		{"legacy form tenant", jwt.SigningMethodHS512, secret, jwt.MapClaims{"iss": ws.key, "id": "legacy-1", "exp": hour}, "legacy-1", true},
		{"both forms agree", jwt.SigningMethodHS256, secret, jwt.MapClaims{"workspaceKey": ws.key, "iss": ws.key, "tenantKey": "both-1", "id": "both-1", "exp": hour}, "both-1", true},
		{"workspaceKey and legacy id", jwt.SigningMethodHS256, secret, jwt.MapClaims{"workspaceKey": ws.key, "id": "mixed-1", "exp": hour}, "mixed-1", true},
		{"expired 29s ago", jwt.SigningMethodHS256, secret, jwt.MapClaims{"workspaceKey": ws.key, "exp": now.Add(-29 * time.Second).Unix()}, "", true},
		{"exp is now", jwt.SigningMethodHS256, secret, jwt.MapClaims{"workspaceKey": ws.key, "exp": now.Unix()}, "", true},

		{"workspaceKey and iss disagree", jwt.SigningMethodHS256, secret, jwt.MapClaims{"workspaceKey": ws.key, "iss": otherKey, "exp": hour}, "", false},
		{"iss and workspaceKey disagree", jwt.SigningMethodHS256, secret, jwt.MapClaims{"workspaceKey": otherKey, "iss": ws.key, "exp": hour}, "", false},
		{"tenantKey and id disagree", jwt.SigningMethodHS256, secret, jwt.MapClaims{"workspaceKey": ws.key, "tenantKey": "t-a", "id": "t-b", "exp": hour}, "t-a", false},
		{"alg none", jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, jwt.MapClaims{"workspaceKey": ws.key, "exp": hour}, "", false},
		{"RS256", jwt.SigningMethodRS256, rsaKey, jwt.MapClaims{"workspaceKey": ws.key, "exp": hour}, "", false},
		{"ES256", jwt.SigningMethodES256, ecKey, jwt.MapClaims{"workspaceKey": ws.key, "exp": hour}, "", false},
		{"wrong secret", jwt.SigningMethodHS256, []byte("not-the-workspace-secret-at-all-0123456789"), jwt.MapClaims{"workspaceKey": ws.key, "exp": hour}, "", false},
		{"secret of another workspace", jwt.SigningMethodHS256, secret, jwt.MapClaims{"workspaceKey": otherKey, "exp": hour}, "", false},
		{"no exp", jwt.SigningMethodHS256, secret, jwt.MapClaims{"workspaceKey": ws.key}, "", false},
		{"exp not a number", jwt.SigningMethodHS256, secret, jwt.MapClaims{"workspaceKey": ws.key, "exp": "tomorrow"}, "", false},
		{"expired 31s ago", jwt.SigningMethodHS256, secret, jwt.MapClaims{"workspaceKey": ws.key, "exp": now.Add(-31 * time.Second).Unix()}, "", false},
		{"expired an hour ago", jwt.SigningMethodHS256, secret, jwt.MapClaims{"workspaceKey": ws.key, "exp": now.Add(-time.Hour).Unix()}, "", false},
		{"not valid before a minute from now", jwt.SigningMethodHS256, secret, jwt.MapClaims{"workspaceKey": ws.key, "nbf": now.Add(time.Minute).Unix(), "exp": hour}, "", false},
		{"unknown workspace key", jwt.SigningMethodHS256, secret, jwt.MapClaims{"workspaceKey": "00000000-0000-4000-8000-000000000000", "exp": hour}, "", false},
		{"no workspace key", jwt.SigningMethodHS256, secret, jwt.MapClaims{"tenantKey": "nows", "exp": hour}, "", false},
		{"workspaceKey not a string", jwt.SigningMethodHS256, secret, jwt.MapClaims{"workspaceKey": 42, "exp": hour}, "", false},
		{"tenantKey not a string", jwt.SigningMethodHS256, secret, jwt.MapClaims{"workspaceKey": ws.key, "tenantKey": 42, "exp": hour}, "", false},
		{"isAdmin not a boolean", jwt.SigningMethodHS256, secret, jwt.MapClaims{"workspaceKey": ws.key, "isAdmin": "yes", "exp": hour}, "", false},
		{"fields not an object", jwt.SigningMethodHS256, secret, jwt.MapClaims{"workspaceKey": ws.key, "tenantKey": "badfields", "fields": "x", "exp": hour}, "badfields", false},
	}
	// The cases run in parallel within a group, so that what follows sees them all done.
	t.Run("cases", func(t *testing.T) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				c := tkAt(t, c)
				tok := tkSign(t, tt.method, tt.key, tt.claims)
				path := "/customers"
				if tt.tenant != "" {
					path = "/self"
				}
				r := c.as(tok).do("GET", path, nil)
				if !tt.ok {
					tkRequireUnauthenticated(t, r, tok, ws.secret)
					return
				}
				require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
				if tt.tenant != "" {
					assert.Equal(t, tt.tenant, r.Body["internalId"])
				} else {
					assert.IsType(t, []any{}, r.Body["items"])
				}
			})
		}
	})

	// Refused tokens created no tenant.
	admin := c.as(tkSelfMint(t, ws, now, nil))
	for _, key := range tkCustomers(t, admin) {
		assert.NotContains(t, []string{"t-a", "t-b", "nows", "badfields"}, key)
	}
}

func TestBadBearers(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t)
	ws := tkNewWorkspace(t, c, "Bearers")
	good := c.mint(ws.id, map[string]any{"isAdmin": true, "tenantKey": "bearer"})
	parts := strings.Split(good, ".")

	tests := []struct {
		name   string
		header string // the Authorization header; "" sends none
	}{
		{"no header", ""},
		{"empty bearer", "Bearer "},
		{"blank bearer", "Bearer     "},
		{"garbage", "Bearer garbage"},
		{"three dots of nothing", "Bearer .."},
		{"three garbage parts", "Bearer a.b.c"},
		{"basic auth", "Basic dXNlcjpwYXNzd29yZA=="},
		{"token without scheme", good},
		{"platform token", "Bearer " + srv.AdminToken()},
		{"token without signature", "Bearer " + parts[0] + "." + parts[1] + "."},
		{"token with another payload", "Bearer " + parts[0] + ".eyJ3b3Jrc3BhY2VLZXkiOiJ4In0." + parts[2]},
		{"token with two signatures", "Bearer " + good + "." + parts[2]},
		{"huge token", "Bearer " + strings.Repeat("a", 20000) + "." + parts[1] + "." + parts[2]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			anon := newCaller(t, srv, "")
			for _, path := range []string{"/customers", "/self", "/customers/0123456789abcdef01234567"} {
				var r reply
				if tt.header == "" {
					r = anon.do("GET", path, nil)
				} else {
					r = anon.do("GET", path, nil, "Authorization", tt.header)
				}
				tkRequireUnauthenticated(t, r, good, ws.secret, srv.AdminToken())
			}
		})
	}
}

func TestMintedTokenExpiresWithLeeway(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		after time.Duration // time since the token was minted
		ok    bool
	}{
		{"fresh", 0, true},
		{"just before exp", time.Hour - time.Second, true},
		{"at exp", time.Hour, true},
		{"29s after exp", time.Hour + 29*time.Second, true},
		{"31s after exp", time.Hour + 31*time.Second, false},
		{"a day later", 24 * time.Hour, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clock := newTkClock()
			_, c := newFake(t, fake.WithClock(clock.Now))
			ws := tkNewWorkspace(t, c, "Expiry")
			admin := c.as(c.mint(ws.id, map[string]any{"isAdmin": true}))
			tenant := c.as(c.mint(ws.id, map[string]any{"tenantKey": "exp-tenant"}))
			clock.Advance(tt.after)
			for _, r := range []struct {
				c    caller
				path string
			}{{admin, "/customers"}, {tenant, "/self"}} {
				got := r.c.do("GET", r.path, nil)
				if tt.ok {
					require.Equal(t, http.StatusOK, got.Status, "%s", got.Raw)
				} else {
					tkRequireUnauthenticated(t, got, r.c.token, ws.secret)
					assert.Contains(t, got.Body["message"], "expired")
				}
			}
		})
	}
}

func TestWorkspacesSeeOnlyTheirOwnCustomers(t *testing.T) {
	t.Parallel()
	_, c := newFake(t)
	a := tkNewWorkspace(t, c, "A")
	b := tkNewWorkspace(t, c, "B")
	adminA := c.as(c.mint(a.id, map[string]any{"isAdmin": true}))
	adminB := c.as(c.mint(b.id, map[string]any{"isAdmin": true}))

	a1 := adminA.ok("POST", "/customers", map[string]any{"name": "A one", "internalId": "a-1"})
	adminA.ok("POST", "/customers", map[string]any{"name": "A two", "internalId": "a-2"})
	b1 := adminB.ok("POST", "/customers", map[string]any{"name": "B one", "internalId": "b-1"})
	// The same internal id may exist in both workspaces.
	sharedA := adminA.ok("POST", "/customers", map[string]any{"name": "Shared in A", "internalId": "shared"})
	sharedB := adminB.ok("POST", "/customers", map[string]any{"name": "Shared in B", "internalId": "shared"})
	assert.NotEqual(t, sharedA["id"], sharedB["id"])

	assert.Equal(t, []string{"a-1", "a-2", "shared"}, tkCustomers(t, adminA))
	assert.Equal(t, []string{"b-1", "shared"}, tkCustomers(t, adminB))

	// A's token cannot reach B's customers by id, nor change them.
	adminA.fails(http.StatusNotFound, "not_found", "GET", "/customers/"+b1["id"].(string), nil)
	adminA.fails(http.StatusNotFound, "not_found", "PATCH", "/customers/"+b1["id"].(string), map[string]any{"name": "x"})
	adminA.fails(http.StatusNotFound, "not_found", "DELETE", "/customers/"+b1["id"].(string), nil)
	adminB.fails(http.StatusNotFound, "not_found", "GET", "/customers/"+a1["id"].(string), nil)
	assert.Equal(t, "B one", adminB.ok("GET", "/customers/"+b1["id"].(string), nil)["name"])
	assert.NotContains(t, adminB.ok("GET", "/customers/"+b1["id"].(string), nil), "archivedAt")

	// Tenant tokens with the same key find their own workspace's customer.
	assert.Equal(t, sharedA["id"], c.as(c.mint(a.id, map[string]any{"tenantKey": "shared"})).ok("GET", "/self", nil)["id"])
	assert.Equal(t, sharedB["id"], c.as(c.mint(b.id, map[string]any{"tenantKey": "shared"})).ok("GET", "/self", nil)["id"])

	// A token that names B but is signed with A's secret is refused.
	now := time.Now()
	forged := tkSign(t, jwt.SigningMethodHS256, []byte(a.secret), jwt.MapClaims{"workspaceKey": b.key, "isAdmin": true, "exp": now.Add(time.Hour).Unix()})
	tkRequireUnauthenticated(t, c.as(forged).do("GET", "/customers", nil), forged, a.secret, b.secret)
}

func TestRotateSecretRefusesOldTokens(t *testing.T) {
	t.Parallel()
	clock := newTkClock()
	_, c := newFake(t, fake.WithClock(clock.Now))
	ws := tkNewWorkspace(t, c, "Rotation")
	other := tkNewWorkspace(t, c, "Not rotated")
	oldMinted := c.mint(ws.id, map[string]any{"isAdmin": true})
	oldTenant := c.mint(ws.id, map[string]any{"tenantKey": "rot"})
	oldSelf := tkSelfMint(t, ws, clock.Now(), jwt.MapClaims{"isAdmin": true})
	otherTok := c.mint(other.id, map[string]any{"isAdmin": true})
	c.as(oldMinted).ok("GET", "/customers", nil)
	c.as(oldTenant).ok("GET", "/self", nil)

	newSecret := c.ok("POST", "/org-workspaces/"+ws.id+"/rotate-secret", nil)["secret"].(string)
	require.NotEmpty(t, newSecret)
	require.NotEqual(t, ws.secret, newSecret)
	assert.Equal(t, newSecret, c.ok("GET", "/org-workspaces/"+ws.id, nil)["secret"])

	for _, tok := range []string{oldMinted, oldSelf} {
		tkRequireUnauthenticated(t, c.as(tok).do("GET", "/customers", nil), tok, ws.secret, newSecret)
	}
	tkRequireUnauthenticated(t, c.as(oldTenant).do("GET", "/self", nil), oldTenant, ws.secret, newSecret)

	// Tokens minted now, and tokens signed with the new secret, work.
	minted := c.mint(ws.id, map[string]any{"isAdmin": true})
	_, err := jwt.Parse(minted, func(*jwt.Token) (any, error) { return []byte(newSecret), nil }, jwt.WithTimeFunc(clock.Now))
	require.NoError(t, err, "a token minted after rotation is signed with the new secret")
	c.as(minted).ok("GET", "/customers", nil)
	rotated := ws
	rotated.secret = newSecret
	c.as(tkSelfMint(t, rotated, clock.Now(), jwt.MapClaims{"isAdmin": true})).ok("GET", "/customers", nil)
	self := c.as(tkSelfMint(t, rotated, clock.Now(), jwt.MapClaims{"tenantKey": "rot"})).ok("GET", "/self", nil)
	assert.Equal(t, "rot", self["internalId"])

	// Another workspace is not affected.
	c.as(otherTok).ok("GET", "/customers", nil)
}

func TestArchivedWorkspaceTokens(t *testing.T) {
	t.Parallel()
	clock := newTkClock()
	_, c := newFake(t, fake.WithClock(clock.Now))
	ws := tkNewWorkspace(t, c, "Archived")
	admin := c.mint(ws.id, map[string]any{"isAdmin": true})
	tenant := c.mint(ws.id, map[string]any{"tenantKey": "arch"})
	self := tkSelfMint(t, ws, clock.Now(), nil)
	c.as(tenant).ok("GET", "/self", nil)

	archived := c.ok("DELETE", "/org-workspaces/"+ws.id, nil)
	require.NotEmpty(t, archived["archivedAt"])
	tkRequireUnauthenticated(t, c.as(admin).do("GET", "/customers", nil), admin, ws.secret)
	tkRequireUnauthenticated(t, c.as(self).do("GET", "/customers", nil), self, ws.secret)
	tkRequireUnauthenticated(t, c.as(tenant).do("GET", "/self", nil), tenant, ws.secret)

	r := c.fails(http.StatusBadRequest, "", "POST", "/org-workspaces/"+ws.id+"/access-token", map[string]any{"isAdmin": true})
	assert.Equal(t, "bad_request", r.Body["type"])
	assert.Contains(t, r.Body["message"], "archived")

	clock.Advance(10 * time.Minute)
	restored := c.ok("POST", "/org-workspaces/"+ws.id+"/restore", nil)
	assert.NotContains(t, restored, "archivedAt")
	c.as(admin).ok("GET", "/customers", nil)
	c.as(self).ok("GET", "/customers", nil)
	assert.Equal(t, "arch", c.as(tenant).ok("GET", "/self", nil)["internalId"])

	// A token that expired while the workspace was archived stays refused after restore.
	c.ok("DELETE", "/org-workspaces/"+ws.id, nil)
	clock.Advance(2 * time.Hour)
	c.ok("POST", "/org-workspaces/"+ws.id+"/restore", nil)
	r = c.as(admin).do("GET", "/customers", nil)
	tkRequireUnauthenticated(t, r, admin, ws.secret)
	assert.Contains(t, r.Body["message"], "expired")
	c.as(c.mint(ws.id, map[string]any{"isAdmin": true})).ok("GET", "/customers", nil)
}

func TestTokensStayOnTheirOwnAPI(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t)
	ws := tkNewWorkspace(t, c, "APIs")
	wsToken := c.mint(ws.id, map[string]any{"isAdmin": true, "tenantKey": "apis"})

	// A workspace token is no platform token.
	for _, req := range []struct{ method, path string }{
		{"GET", "/org-workspaces"},
		{"GET", "/org-workspaces/" + ws.id},
		{"POST", "/org-workspaces/" + ws.id + "/access-token"},
		{"POST", "/org-workspaces/" + ws.id + "/rotate-secret"},
		{"GET", "/membrane-instances"},
	} {
		r := c.as(wsToken).do(req.method, req.path, nil)
		tkRequireUnauthenticated(t, r, wsToken, ws.secret)
	}
	assert.Equal(t, ws.secret, c.ok("GET", "/org-workspaces/"+ws.id, nil)["secret"], "nothing was rotated")

	// A platform token is no workspace token.
	for _, path := range []string{"/customers", "/self"} {
		r := c.do("GET", path, nil)
		tkRequireUnauthenticated(t, r, srv.AdminToken())
	}
}
