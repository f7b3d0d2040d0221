package fake_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/membrane-community/membrane-go/fake"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const seedJSON = `{"orgs": [{
  "id": "acme", "name": "Acme",
  "members": [{"token": "pat-acme-admin", "role": "admin"}, {"token": "pat-acme-viewer", "role": "read-only"}],
  "workspaces": [
    {"id": "ws-prod", "name": "Prod", "key": "key-prod", "secret": "secret-prod-0123456789", "membraneInstanceId": "eu",
     "webhookUri": "https://acme.example/hook", "settings": {"enableApiLogs": true}},
    {"name": "Dev", "logoUri": "https://acme.example/logo.png", "type": "development"}
  ]}]}`

func TestLoadSeed(t *testing.T) {
	t.Parallel()
	seed, err := fake.ParseSeed([]byte(seedJSON))
	require.NoError(t, err)
	srv, _ := newFake(t, fake.WithInstances("eu"))
	require.NoError(t, srv.Load(context.Background(), seed))

	c := newCaller(t, srv, "pat-acme-admin")
	prod := c.ok("GET", "/org-workspaces/ws-prod", nil)
	assert.Equal(t, "Prod", prod["name"])
	assert.Equal(t, "acme", prod["orgId"])
	assert.Equal(t, "key-prod", prod["key"])
	assert.Equal(t, "secret-prod-0123456789", prod["secret"])
	assert.Equal(t, srv.Instance("eu").URL(), prod["apiBaseUri"])
	assert.Equal(t, "https://acme.example/hook", prod["webhookUri"])
	assert.Equal(t, map[string]any{"enableApiLogs": true}, prod["settings"])
	onEU := engine(t, srv, "eu", "GET", "/workspaces/key-prod", nil)
	assert.Equal(t, "https://acme.example/hook", onEU.Body["webhookUri"])

	list := c.ok("GET", "/org-workspaces", nil)["items"].([]any)
	require.Len(t, list, 2)
	dev := list[1].(map[string]any)
	assert.Equal(t, "development", dev["type"])
	assert.Equal(t, "https://acme.example/logo.png", dev["logoUri"])

	c.as("pat-acme-viewer").fails(http.StatusForbidden, "access_denied", "POST", "/org-workspaces", map[string]any{"orgId": "acme"})
	c.as(srv.AdminToken()).fails(http.StatusNotFound, "not_found", "GET", "/org-workspaces/ws-prod", nil)

	// Loading the same seed again collides with what it added, and adds nothing.
	err = srv.Load(context.Background(), seed)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `orgs[0].id "acme" is used twice`)
	assert.Len(t, c.ok("GET", "/org-workspaces", nil)["items"], 2)
}

func TestBadSeedsAreRefusedWhole(t *testing.T) {
	t.Parallel()
	tests := map[string]struct{ json, problem string }{
		"unknown top field": {`{"orgz": []}`, "unknown field"},
		"unknown ws field":  {`{"orgs": [{"name": "a", "workspaces": [{"webhookURI": "x"}]}]}`, `unknown workspace field "webhookURI"`},
		"bad role":          {`{"orgs": [{"name": "a", "members": [{"token": "pat-abcdefgh", "role": "owner"}]}]}`, `role "owner"`},
		"bad token":         {`{"orgs": [{"name": "a", "members": [{"token": "abc", "role": "admin"}]}]}`, `must start with "pat-"`},
		"token twice":       {`{"orgs": [{"name": "a", "members": [{"token": "pat-abcdefgh", "role": "admin"}, {"token": "pat-abcdefgh", "role": "admin"}]}]}`, "used twice"},
		"unknown instance":  {`{"orgs": [{"name": "a", "workspaces": [{"membraneInstanceId": "mars"}]}]}`, `"mars": no such instance`},
		"bad config":        {`{"orgs": [{"name": "a", "workspaces": [{"type": "staging"}]}]}`, "workspaces[0].type"},
		"short secret":      {`{"orgs": [{"name": "a", "workspaces": [{"secret": "s"}]}]}`, "at least 16"},
		"key twice":         {`{"orgs": [{"name": "a", "workspaces": [{"key": "k"}, {"key": "k"}]}]}`, `key "k" is used twice`},
		"bad org id":        {`{"orgs": [{"id": "a/b", "name": "a"}]}`, `orgs[0].id "a/b"`},
		"not JSON":          {`{`, "unexpected EOF"},
		"negative credits":  {customerSeed(`"aiCreditsRolling30DayLimit": -1`), "customers[0].aiCreditsRolling30DayLimit must not be negative"},
		"blank name":        {customerSeed(`"name": "   "`), "customers[0].name must not be empty"},
		"active archived":   {customerSeed(`"isActive": true, "archivedAt": "2025-03-01T12:00:00.000Z"`), "customers[0].isActive is true"},
		"fields not object": {customerSeed(`"fields": [1]`), "customers[0].fields must be an object"},
		"huge number":       {customerSeed(`"credentials": {"n": 1e400}`), "customers[0].credentials holds the number 1e400"},
		"bad time":          {customerSeed(`"createdAt": "yesterday"`), `customers[0].createdAt "yesterday"`},
		"good then bad org": {`{"orgs": [{"id": "good", "name": "g"}, {"name": "b", "members": [{"token": "x", "role": "admin"}]}]}`, "orgs[1].members[0]"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv, c := newFake(t)
			seed, err := fake.ParseSeed([]byte(tt.json))
			if err == nil {
				err = srv.Load(context.Background(), seed)
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.problem)
			assert.Empty(t, c.ok("GET", "/org-workspaces", nil)["items"])
			c.as("pat-abcdefgh").fails(http.StatusUnauthorized, "not_authenticated", "GET", "/org-workspaces", nil)
		})
	}
}

// customerSeed is a seed of one workspace with one customer, whose other fields are extra.
func customerSeed(extra string) string {
	return `{"orgs": [{"name": "a", "workspaces": [{"customers": [{"internalId": "c1", ` + extra + `}]}]}]}`
}

// A seeded customer's credentials may be any JSON value, as the API takes them; its times may
// have any offset and precision, and are kept as the API writes them; isActive follows archivedAt.
func TestSeedCustomersAreReadAsTheAPIReadsThem(t *testing.T) {
	t.Parallel()
	seed, err := fake.ParseSeed([]byte(`{"orgs": [{"id": "acme", "name": "Acme",
	  "members": [{"token": "pat-acme-admin", "role": "admin"}],
	  "workspaces": [{"id": "w", "key": "key-w", "secret": "secret-w-0123456789", "customers": [
	    {"id": "c1", "internalId": "one", "credentials": "tok", "createdAt": "2025-03-01T14:00:00+02:00"},
	    {"id": "c2", "internalId": "two", "credentials": [1, "x"], "archivedAt": "2025-03-02T12:00:00.5Z"}]}]}]}`))
	require.NoError(t, err)
	srv, _ := newFake(t)
	require.NoError(t, srv.Load(context.Background(), seed))
	snap, err := srv.Snapshot(context.Background())
	require.NoError(t, err)
	var cs []fake.SeedCustomer
	for _, o := range snap.Orgs {
		if o.ID == "acme" {
			require.Len(t, o.Workspaces, 1)
			cs = o.Workspaces[0].Customers
		}
	}
	require.Len(t, cs, 2)
	assert.JSONEq(t, `"tok"`, string(cs[0].Credentials))
	assert.Equal(t, "2025-03-01T12:00:00.000Z", cs[0].CreatedAt)
	require.NotNil(t, cs[0].IsActive)
	assert.True(t, *cs[0].IsActive)
	assert.JSONEq(t, `[1, "x"]`, string(cs[1].Credentials))
	assert.Equal(t, "2025-03-02T12:00:00.500Z", cs[1].ArchivedAt)
	require.NotNil(t, cs[1].IsActive)
	assert.False(t, *cs[1].IsActive)
}

// A seed with a value of the wrong type is told by its field and the JSON type wanted, without
// Go's type names, and the error of encoding/json is still there to inspect.
func TestParseSeedNamesTheFieldOfAWrongType(t *testing.T) {
	t.Parallel()
	_, err := fake.ParseSeed([]byte(`{"orgs": [{"id": "a", "workspaces": [{"version": "x"}]}]}`))
	require.EqualError(t, err, "fake: seed: orgs.workspaces.version: a JSON string where a whole number in range is wanted")
	var te *json.UnmarshalTypeError
	assert.ErrorAs(t, err, &te)
	_, err = fake.ParseSeed([]byte(`{"orgs": []} {}`))
	require.EqualError(t, err, "fake: seed: unexpected data after the JSON object")
}
