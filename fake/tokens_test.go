package fake_test

import (
	"encoding/json"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/membrane-community/membrane-go/fake"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

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
	// The cases run in parallel within a group, so that what follows sees them all done.
	t.Run("cases", func(t *testing.T) {
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
	})

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
		{"tenantKey of spaces", map[string]any{"tenantKey": "  "}, "tenantKey"},
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
