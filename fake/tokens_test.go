package fake_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/membrane-community/membrane-go/fake"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tkClock is a clock for fake.WithClock that only moves when a test advances it.
type tkClock struct {
	mu sync.Mutex
	t  time.Time
}

func newTkClock() *tkClock {
	return &tkClock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *tkClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *tkClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// tkWS is an org workspace as a test needs it.
type tkWS struct{ id, key, secret string }

func tkNewWorkspace(t testing.TB, c caller, name string) tkWS {
	t.Helper()
	w := c.createWorkspace(name)
	return tkWS{id: w["id"].(string), key: w["key"].(string), secret: w["secret"].(string)}
}

// tkSign signs claims with method and key.
func tkSign(t testing.TB, method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	t.Helper()
	tok, err := jwt.NewWithClaims(method, claims).SignedString(key)
	require.NoError(t, err)
	return tok
}

// tkSelfMint signs an HS256 token of ws with its secret, valid for an hour from now.
func tkSelfMint(t testing.TB, ws tkWS, now time.Time, extra jwt.MapClaims) string {
	t.Helper()
	claims := jwt.MapClaims{"workspaceKey": ws.key, "exp": now.Add(time.Hour).Unix()}
	for k, v := range extra {
		claims[k] = v
	}
	return tkSign(t, jwt.SigningMethodHS256, []byte(ws.secret), claims)
}

// tkRequireUnauthenticated checks a 401 answer: its error body, and that it repeats none of
// the tokens and secrets given, nor any long part of them.
func tkRequireUnauthenticated(t testing.TB, r reply, hidden ...string) {
	t.Helper()
	require.Equal(t, http.StatusUnauthorized, r.Status, "%s", r.Raw)
	assert.Equal(t, "bad_request", r.Body["type"], "%s", r.Raw)
	assert.Equal(t, "not_authenticated", r.Body["key"], "%s", r.Raw)
	msg, _ := r.Body["message"].(string)
	assert.NotEmpty(t, msg, "%s", r.Raw)
	for _, h := range hidden {
		h = strings.TrimSpace(h)
		if len(h) < 8 {
			continue
		}
		assert.NotContains(t, string(r.Raw), h, "the error body repeats a token or secret")
		for _, part := range strings.Split(h, ".") {
			if len(part) >= 16 {
				assert.NotContains(t, string(r.Raw), part, "the error body repeats part of a token")
			}
		}
	}
}

// tkAt is c reporting to t, for use in a subtest.
func tkAt(t testing.TB, c caller) caller { c.t = t; return c }

func tkRequireAccessDenied(t testing.TB, r reply) {
	t.Helper()
	require.Equal(t, http.StatusForbidden, r.Status, "%s", r.Raw)
	assert.Equal(t, "bad_request", r.Body["type"], "%s", r.Raw)
	assert.Equal(t, "access_denied", r.Body["key"], "%s", r.Raw)
	assert.NotEmpty(t, r.Body["message"], "%s", r.Raw)
}

// tkCustomers lists the internal ids of a workspace's customers, archived ones included.
func tkCustomers(t testing.TB, admin caller) []string {
	t.Helper()
	body := admin.ok("GET", "/customers?includeArchived=true&limit=1000", nil)
	var out []string
	for _, it := range body["items"].([]any) {
		out = append(out, it.(map[string]any)["internalId"].(string))
	}
	return out
}

func TestAccessTokenScopes(t *testing.T) {
	t.Parallel()
	_, c := newFake(t)
	ws := tkNewWorkspace(t, c, "Scopes")

	tests := []struct {
		name      string
		req       map[string]any
		customers int // status of GET /customers
		self      int // status of GET /self
	}{
		{"workspace token", map[string]any{}, http.StatusOK, http.StatusForbidden},
		{"isAdmin", map[string]any{"isAdmin": true}, http.StatusOK, http.StatusForbidden},
		{"tenantKey", map[string]any{"tenantKey": "scope-tenant"}, http.StatusForbidden, http.StatusOK},
		{"isAdmin and tenantKey", map[string]any{"isAdmin": true, "tenantKey": "scope-admin-tenant"}, http.StatusOK, http.StatusOK},
		{"isAdmin false and tenantKey", map[string]any{"isAdmin": false, "tenantKey": "scope-tenant-2"}, http.StatusForbidden, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := tkAt(t, c)
			wc := newCaller(t, c.srv, c.mint(ws.id, tt.req))
			r := wc.do("GET", "/customers", nil)
			if tt.customers == http.StatusOK {
				require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
				require.IsType(t, []any{}, r.Body["items"])
			} else {
				tkRequireAccessDenied(t, r)
			}
			// The other customer routes follow the same rule.
			r = wc.do("POST", "/customers", map[string]any{"name": "scope " + tt.name})
			if tt.customers == http.StatusOK {
				require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
			} else {
				tkRequireAccessDenied(t, r)
			}
			r = wc.do("GET", "/self", nil)
			if tt.self == http.StatusOK {
				require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
				assert.Equal(t, tt.req["tenantKey"], r.Body["internalId"])
			} else {
				tkRequireAccessDenied(t, r)
			}
		})
	}
}

func TestTenantKeyTokenCreatesTheTenantOnce(t *testing.T) {
	t.Parallel()
	_, c := newFake(t)
	ws := tkNewWorkspace(t, c, "Tenants")
	admin := c.as(c.mint(ws.id, map[string]any{"isAdmin": true}))
	require.Empty(t, tkCustomers(t, admin))

	first := c.as(c.mint(ws.id, map[string]any{
		"tenantKey": "acme", "name": "Acme Inc", "fields": map[string]any{"plan": "pro", "seats": 5},
	}))
	self := first.ok("GET", "/self", nil)
	assert.Equal(t, "acme", self["internalId"])
	assert.Equal(t, "Acme Inc", self["name"])
	assert.Equal(t, map[string]any{"plan": "pro", "seats": float64(5)}, self["fields"])
	assert.Regexp(t, `^[0-9a-f]{24}$`, self["id"])
	assert.Equal(t, true, self["isActive"])
	assert.NotContains(t, self, "archivedAt")

	// The tenant now exists for the admin too, with the same id.
	got := admin.ok("GET", "/customers/"+self["id"].(string), nil)
	assert.Equal(t, "acme", got["internalId"])
	assert.Equal(t, "Acme Inc", got["name"])

	// A second token with the same tenantKey finds the same customer, whatever its name.
	second := c.as(c.mint(ws.id, map[string]any{"tenantKey": "acme", "name": "Another name"}))
	again := second.ok("GET", "/self", nil)
	assert.Equal(t, self["id"], again["id"])
	assert.Equal(t, "Acme Inc", again["name"])
	assert.Equal(t, []string{"acme"}, tkCustomers(t, admin))

	// The first token still works and still names the same customer.
	assert.Equal(t, self["id"], first.ok("GET", "/self", nil)["id"])

	// A token with no name names the tenant after its key.
	bare := c.as(c.mint(ws.id, map[string]any{"tenantKey": "bare"}))
	assert.Equal(t, "bare", bare.ok("GET", "/self", nil)["name"])
	assert.ElementsMatch(t, []string{"acme", "bare"}, tkCustomers(t, admin))
}

func TestTenantFirstUseFromManyRequestsCreatesOneCustomer(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t)
	ws := tkNewWorkspace(t, c, "Race")
	tok := c.mint(ws.id, map[string]any{"tenantKey": "racer", "name": "Racer"})

	const n = 8
	type result struct {
		status int
		id     string
		err    error
	}
	results := make([]result, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			req, err := http.NewRequest("GET", srv.URL()+"/self", nil)
			if err != nil {
				results[i].err = err
				return
			}
			req.Header.Set("Authorization", "Bearer "+tok)
			resp, err := srv.HTTPClient().Do(req)
			if err != nil {
				results[i].err = err
				return
			}
			defer resp.Body.Close()
			var body struct {
				ID string `json:"id"`
			}
			results[i].status = resp.StatusCode
			results[i].err = json.NewDecoder(resp.Body).Decode(&body)
			results[i].id = body.ID
		})
	}
	wg.Wait()
	for _, r := range results {
		require.NoError(t, r.err)
		require.Equal(t, http.StatusOK, r.status)
		require.Equal(t, results[0].id, r.id)
	}
	admin := c.as(c.mint(ws.id, map[string]any{"isAdmin": true}))
	assert.Equal(t, []string{"racer"}, tkCustomers(t, admin))
}

func TestAccessTokenTenantID(t *testing.T) {
	t.Parallel()
	_, c := newFake(t)
	ws := tkNewWorkspace(t, c, "TenantID")
	admin := c.as(c.mint(ws.id, map[string]any{"isAdmin": true}))
	cust := admin.ok("POST", "/customers", map[string]any{"name": "Initech", "internalId": "initech-7"})
	admin.ok("POST", "/customers", map[string]any{"name": "Globex", "internalId": "globex-1"})
	custID := cust["id"].(string)

	tests := []struct {
		name   string
		req    map[string]any
		status int
		key    string // error key
		field  string // data.fields entry of a 400
	}{
		{"tenantId", map[string]any{"tenantId": custID}, http.StatusOK, "", ""},
		{"tenantId and the matching tenantKey", map[string]any{"tenantId": custID, "tenantKey": "initech-7"}, http.StatusOK, "", ""},
		{"tenantId with isAdmin", map[string]any{"tenantId": custID, "isAdmin": true}, http.StatusOK, "", ""},
		{"unknown tenantId", map[string]any{"tenantId": "0123456789abcdef01234567"}, http.StatusNotFound, "not_found", ""},
		{"tenantId of a customer that is not the tenantKey", map[string]any{"tenantId": custID, "tenantKey": "globex-1"}, http.StatusBadRequest, "", "tenantKey"},
		{"tenantId and an unknown tenantKey", map[string]any{"tenantId": custID, "tenantKey": "someone-else"}, http.StatusBadRequest, "", "tenantKey"},
		{"tenantId not a string", map[string]any{"tenantId": 7}, http.StatusBadRequest, "", "tenantId"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := tkAt(t, c)
			path := "/org-workspaces/" + ws.id + "/access-token"
			if tt.status != http.StatusOK {
				r := c.fails(tt.status, tt.key, "POST", path, tt.req)
				assert.Equal(t, "bad_request", r.Body["type"])
				if tt.field != "" {
					assert.NotEmpty(t, r.Body["data"].(map[string]any)["fields"].(map[string]any)[tt.field], "%s", r.Raw)
				}
				return
			}
			tok := c.ok("POST", path, tt.req)["token"].(string)
			claims := jwt.MapClaims{}
			_, err := jwt.ParseWithClaims(tok, claims, func(*jwt.Token) (any, error) { return []byte(ws.secret), nil })
			require.NoError(t, err)
			assert.Equal(t, "initech-7", claims["tenantKey"])
			self := c.as(tok).ok("GET", "/self", nil)
			assert.Equal(t, custID, self["id"])
			assert.Equal(t, "Initech", self["name"])
		})
	}
	// No customer was created by any of this.
	assert.ElementsMatch(t, []string{"initech-7", "globex-1"}, tkCustomers(t, admin))
}

// A tenantId is a customer id, not a path: one that holds a slash names no customer, so it is a
// 404 like any other unknown id, never a dependency error nor another customer.
func TestAccessTokenTenantIDIsNotAPath(t *testing.T) {
	t.Parallel()
	_, c := newFake(t)
	ws := tkNewWorkspace(t, c, "TenantID paths")
	admin := c.as(c.mint(ws.id, map[string]any{"isAdmin": true}))
	custID := admin.ok("POST", "/customers", map[string]any{"name": "Initech", "internalId": "initech-7"})["id"].(string)

	for _, tenantID := range []string{"nope/restore", custID + "/restore", custID + "/", "nope/x/y"} {
		t.Run(tenantID, func(t *testing.T) {
			t.Parallel()
			c := tkAt(t, c)
			c.fails(http.StatusNotFound, "not_found", "POST", "/org-workspaces/"+ws.id+"/access-token",
				map[string]any{"tenantId": tenantID})
		})
	}
}

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

func TestMintedTokenClaims(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts []fake.Option
		ttl  time.Duration
	}{
		{"default lifetime", nil, time.Hour},
		{"WithTokenTTL", []fake.Option{fake.WithTokenTTL(10 * time.Minute)}, 10 * time.Minute},
		{"WithTokenTTL long", []fake.Option{fake.WithTokenTTL(72 * time.Hour)}, 72 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clock := newTkClock()
			_, c := newFake(t, append([]fake.Option{fake.WithClock(clock.Now)}, tt.opts...)...)
			ws := tkNewWorkspace(t, c, "Claims")
			parse := func(tok string) (*jwt.Token, jwt.MapClaims) {
				claims := jwt.MapClaims{}
				parsed, err := jwt.ParseWithClaims(tok, claims, func(*jwt.Token) (any, error) { return []byte(ws.secret), nil },
					jwt.WithValidMethods([]string{"HS256"}), jwt.WithTimeFunc(clock.Now), jwt.WithExpirationRequired())
				require.NoError(t, err)
				return parsed, claims
			}
			iat := float64(clock.Now().Unix())

			full := c.mint(ws.id, map[string]any{
				"isAdmin": true, "tenantKey": "claims-1", "name": "Claims Co", "fields": map[string]any{"region": "eu", "n": 3},
			})
			parsed, claims := parse(full)
			assert.Equal(t, "HS256", parsed.Header["alg"])
			assert.Equal(t, jwt.MapClaims{
				"workspaceKey": ws.key,
				"iss":          ws.key,
				"tenantKey":    "claims-1",
				"name":         "Claims Co",
				"fields":       map[string]any{"region": "eu", "n": float64(3)},
				"isAdmin":      true,
				"iat":          iat,
				"exp":          iat + tt.ttl.Seconds(),
			}, claims)

			// Only the claims asked for are set.
			_, claims = parse(c.mint(ws.id, map[string]any{}))
			assert.Equal(t, jwt.MapClaims{"workspaceKey": ws.key, "iss": ws.key, "iat": iat, "exp": iat + tt.ttl.Seconds()}, claims)

			// The token lives exactly its lifetime (plus the leeway).
			admin := c.as(full)
			clock.Advance(tt.ttl + 29*time.Second)
			admin.ok("GET", "/customers", nil)
			clock.Advance(2 * time.Second)
			tkRequireUnauthenticated(t, admin.do("GET", "/customers", nil), full, ws.secret)
		})
	}
}

func TestAccessTokenRequestValidation(t *testing.T) {
	t.Parallel()
	_, c := newFake(t)
	ws := tkNewWorkspace(t, c, "Minting")
	tests := []struct {
		name  string
		body  any
		field string
	}{
		{"isAdmin not a boolean", map[string]any{"isAdmin": "yes"}, "isAdmin"},
		{"tenantKey not a string", map[string]any{"tenantKey": 5}, "tenantKey"},
		{"name not a string", map[string]any{"name": []string{"x"}}, "name"},
		{"fields not an object", map[string]any{"fields": "x"}, "fields"},
		{"fields an array", map[string]any{"fields": []int{1}}, "fields"},
		{"body not an object", "[1]", ""},
		{"body not JSON", "{", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := tkAt(t, c)
			r := c.fails(http.StatusBadRequest, "", "POST", "/org-workspaces/"+ws.id+"/access-token", tt.body)
			if tt.field != "" {
				assert.NotEmpty(t, r.Body["data"].(map[string]any)["fields"].(map[string]any)[tt.field], "%s", r.Raw)
			}
		})
	}
	c.fails(http.StatusNotFound, "not_found", "POST", "/org-workspaces/0123456789abcdef01234567/access-token", map[string]any{})
}

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
