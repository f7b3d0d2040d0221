package fake

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A tenant token makes its customer as POST /customers would: a name of spaces only is the tenant
// key, a tenant key of spaces only is refused; so every customer a token makes loads back from a
// snapshot.
func TestTenantTokensMakeCustomersASnapshotKeeps(t *testing.T) {
	t.Parallel()
	srv, err := New()
	require.NoError(t, err)
	t.Cleanup(srv.Close)
	r := rt{t, srv}
	ws := r.ok("POST", srv.URL()+"/org-workspaces", srv.AdminToken(), map[string]any{"orgId": srv.OrgID()})
	key, secret, base := ws["key"].(string), ws["secret"].(string), ws["apiBaseUri"].(string)
	token := func(claims jwt.MapClaims) string {
		claims["workspaceKey"], claims["exp"] = key, time.Now().Add(time.Hour).Unix()
		return signHS(t, secret, claims)
	}

	self := r.ok("GET", base+"/self", token(jwt.MapClaims{"tenantKey": "t1", "name": "   "}), nil)
	assert.Equal(t, "t1", self["name"])
	for _, claims := range []jwt.MapClaims{{"tenantKey": "  "}, {"id": "\t"}} {
		status, body, _ := r.send("GET", base+"/self", token(claims), nil)
		assert.Equal(t, http.StatusUnauthorized, status, "%v: %s", claims, body)
		assert.Contains(t, string(body), "spaces only")
	}

	snap, err := srv.Snapshot(context.Background())
	require.NoError(t, err)
	cp, err := New()
	require.NoError(t, err)
	t.Cleanup(cp.Close)
	require.NoError(t, cp.Replace(context.Background(), snap))
}

// A snapshot is the caller's to change: it shares no memory with the server, and neither does a
// seed once loaded.
func TestSnapshotsAndSeedsShareNoMemory(t *testing.T) {
	t.Parallel()
	limit := 5.0
	expires := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	seed := Seed{Orgs: []SeedOrg{{ID: "acme", Name: "Acme",
		Members: []SeedMember{{Token: "pat-acme-admin", Role: RoleAdmin, ExpiresAt: &expires}},
		Workspaces: []SeedWorkspace{{ID: "w", Key: "key-w", Secret: "secret-w-0123456789", Customers: []SeedCustomer{
			{ID: "c1", InternalID: "one", AICreditsRolling30DayLimit: &limit, Credentials: json.RawMessage(`{"k":"v"}`)}}}}}}}
	srv, err := New()
	require.NoError(t, err)
	t.Cleanup(srv.Close)
	require.NoError(t, srv.Load(context.Background(), seed))
	limit, expires = -42, time.Time{} // the caller's variables, changed after the load

	first, err := srv.Snapshot(context.Background())
	require.NoError(t, err)
	firstJSON, err := json.Marshal(first)
	require.NoError(t, err)
	for _, o := range first.Orgs {
		for _, w := range o.Workspaces {
			for _, c := range w.Customers {
				*c.AICreditsRolling30DayLimit = 7
				copy(c.Credentials, bytes.Repeat([]byte("x"), len(c.Credentials)))
			}
		}
	}
	second, err := srv.Snapshot(context.Background())
	require.NoError(t, err)
	secondJSON, err := json.Marshal(second)
	require.NoError(t, err)
	assert.JSONEq(t, string(firstJSON), string(secondJSON))
	assert.Contains(t, string(secondJSON), `"aiCreditsRolling30DayLimit":5`)
	assert.Contains(t, string(secondJSON), `"credentials":{"k":"v"}`)

	require.NoError(t, srv.Reset(context.Background()))
	status, _, _ := rt{t, srv}.send("GET", srv.URL()+"/org-workspaces?orgId=acme", "pat-acme-admin", nil)
	assert.Equal(t, http.StatusOK, status, "the member loaded again by Reset keeps the expiry it was loaded with")
}

// A raw JSON value given in Go is one JSON value, or it is refused: nothing after it is dropped
// silently.
func TestStoredJSONIsOneValue(t *testing.T) {
	t.Parallel()
	for _, in := range []string{`1 2`, `{"a":1} junk`, `"x"}`, `[1] [2]`} {
		_, err := storedJSON(json.RawMessage(in))
		assert.Error(t, err, in)
	}
	for _, in := range []string{` 1 `, `{"a":1}`, "\t\"x\"\n", `null`} {
		_, err := storedJSON(json.RawMessage(in))
		assert.NoError(t, err, in)
	}
}
