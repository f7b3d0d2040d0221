package fake_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/membrane-community/membrane-go/fake"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// resetBy resets the whole server, or one org, in Go or over HTTP.
type resetBy struct {
	name  string
	all   func(t *testing.T, srv *fake.Server, c caller)
	org   func(t *testing.T, srv *fake.Server, c caller, orgID string)
	state func(t *testing.T, srv *fake.Server, c caller) fake.Seed
}

var resetWays = []resetBy{
	{
		name: "Go",
		all:  func(t *testing.T, srv *fake.Server, _ caller) { require.NoError(t, srv.Reset(context.Background())) },
		org: func(t *testing.T, srv *fake.Server, _ caller, orgID string) {
			require.NoError(t, srv.ResetOrg(context.Background(), orgID))
		},
		state: func(t *testing.T, srv *fake.Server, _ caller) fake.Seed {
			s, err := srv.Snapshot(context.Background())
			require.NoError(t, err)
			return s
		},
	},
	{
		name: "HTTP",
		all: func(t *testing.T, srv *fake.Server, c caller) {
			assert.Equal(t, srv.OrgID(), c.ok("POST", "/_fake/reset", nil)["orgId"])
		},
		org: func(t *testing.T, srv *fake.Server, c caller, orgID string) {
			assert.Equal(t, orgID, c.ok("POST", "/_fake/reset?orgId="+orgID, "{}")["orgId"])
		},
		state: func(t *testing.T, srv *fake.Server, c caller) fake.Seed {
			r := c.do("GET", "/_fake/state", nil)
			require.Equal(t, http.StatusOK, r.Status)
			s, err := fake.ParseSeed(r.Raw)
			require.NoError(t, err)
			return s
		},
	},
}

func TestResetGoesBackToTheStartState(t *testing.T) {
	t.Parallel()
	for _, way := range resetWays {
		t.Run(way.name, func(t *testing.T) {
			t.Parallel()
			srv, c := newFake(t, fake.WithInstances("eu"))
			seed, err := fake.ParseSeed([]byte(seedJSON))
			require.NoError(t, err)
			require.NoError(t, srv.Load(context.Background(), seed))
			start := way.state(t, srv, c)

			acme := c.as("pat-acme-admin")
			acme.ok("PATCH", "/org-workspaces/ws-prod", map[string]any{"name": "Renamed"})
			acme.ok("POST", "/org-workspaces", map[string]any{"orgId": "acme", "name": "Extra", "membraneInstanceId": "eu"})
			c.createWorkspace("Mine")
			late := srv.AddMember(srv.OrgID(), fake.RoleMember)
			_, err = srv.Faults().Add(fake.Fault{Path: "/nowhere", Status: 500})
			require.NoError(t, err)
			before := srv.Journal()
			require.NotEmpty(t, before)

			way.all(t, srv, c)

			assert.Equal(t, start, way.state(t, srv, c), "the state is the start state again")
			assert.Equal(t, "Prod", acme.ok("GET", "/org-workspaces/ws-prod", nil)["name"])
			assert.Len(t, acme.ok("GET", "/org-workspaces", nil)["items"], 2)
			assert.Empty(t, c.ok("GET", "/org-workspaces", nil)["items"])
			c.as(late).fails(http.StatusUnauthorized, "not_authenticated", "GET", "/org-workspaces", nil)
			assert.Empty(t, srv.Faults().List())
			after := srv.Journal()
			require.Len(t, after, 4, "the journal holds only the four GETs made since")
			assert.Greater(t, after[0].Seq, before[len(before)-1].Seq, "seq keeps growing")
			onEU := engine(t, srv, "eu", "GET", "/workspaces", nil)
			assert.Len(t, onEU.Body["items"], 1, "the instance holds the seeded workspace only")
		})
	}
}

func TestResetOrgLeavesOtherOrgsAlone(t *testing.T) {
	t.Parallel()
	for _, way := range resetWays {
		t.Run(way.name, func(t *testing.T) {
			t.Parallel()
			srv, c := newFake(t, fake.WithInstances("eu"))
			seed, err := fake.ParseSeed([]byte(seedJSON))
			require.NoError(t, err)
			require.NoError(t, srv.Load(context.Background(), seed))
			acme := c.as("pat-acme-admin")
			mine := c.createWorkspace("Mine")
			acme.ok("PATCH", "/org-workspaces/ws-prod", map[string]any{"name": "Renamed"})
			extra := acme.ok("POST", "/org-workspaces", map[string]any{"orgId": "acme", "name": "Extra", "membraneInstanceId": "eu"})
			acmeMember := srv.AddMember("acme", fake.RoleMember)
			_, err = srv.Faults().Add(fake.Fault{Org: "acme", Status: 500})
			require.NoError(t, err)
			_, err = srv.Faults().Add(fake.Fault{Org: srv.OrgID(), Path: "/nowhere", Status: 500})
			require.NoError(t, err)

			way.org(t, srv, c, "acme")

			assert.Equal(t, "Prod", acme.ok("GET", "/org-workspaces/ws-prod", nil)["name"], "the seeded workspace is back as seeded")
			acme.fails(http.StatusNotFound, "not_found", "GET", "/org-workspaces/"+extra["id"].(string), nil)
			assert.Len(t, acme.ok("GET", "/org-workspaces", nil)["items"], 2)
			c.as(acmeMember).ok("GET", "/org-workspaces", nil) // members stay
			assert.Equal(t, "Mine", c.ok("GET", "/org-workspaces/"+mine["id"].(string), nil)["name"], "another org is untouched")
			require.Len(t, srv.Faults().List(), 1, "only the faults of the org are removed")
			onEU := engine(t, srv, "eu", "GET", "/workspaces", nil)
			assert.Len(t, onEU.Body["items"], 1, "the extra workspace is gone from its instance")

			// An org not in the start state is left empty.
			way.org(t, srv, c, srv.OrgID())
			assert.Empty(t, c.ok("GET", "/org-workspaces", nil)["items"])
			assert.Len(t, acme.ok("GET", "/org-workspaces", nil)["items"], 2)
		})
	}
}

func TestResetOrgUnknown(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t)
	require.ErrorIs(t, srv.ResetOrg(context.Background(), "nope"), fake.ErrNoOrg)
	c.fails(http.StatusNotFound, "not_found", "POST", "/_fake/reset?orgId=nope", nil)
}

// A state that fails its checks changes nothing, in Go and over HTTP, and says every problem.
func TestBadStateChangesNothing(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t)
	ws := c.createWorkspace("Kept")
	before, err := srv.Snapshot(context.Background())
	require.NoError(t, err)
	bad := `{"orgs": [{"id": "a", "members": [{"token": "pat-abcdefgh", "role": "owner"}],
	  "workspaces": [{"key": "k", "customers": [{"internalId": ""}]}, {"key": "k"}]}]}`
	r := c.fails(http.StatusBadRequest, "", "PUT", "/_fake/state", bad)
	problems := r.Body["data"].(map[string]any)["problems"].([]any)
	assert.Len(t, problems, 3, "%v", problems)

	seed, err := fake.ParseSeed([]byte(bad))
	require.NoError(t, err)
	err = srv.Replace(context.Background(), seed)
	var seedErr *fake.SeedError
	require.ErrorAs(t, err, &seedErr)
	assert.Len(t, seedErr.Problems, 3)
	err = srv.Replace(context.Background(), fake.Seed{DefaultOrgID: "x", AdminToken: "pat-abcdefgh", Orgs: []fake.SeedOrg{{ID: "x"}}})
	require.ErrorAs(t, err, &seedErr, "the admin token must be an admin of the default org")

	after, err := srv.Snapshot(context.Background())
	require.NoError(t, err)
	assert.Equal(t, before, after)
	assert.Equal(t, "Kept", c.ok("GET", "/org-workspaces/"+ws["id"].(string), nil)["name"])
}

// Every admin endpoint refuses unknown fields and parameters, wrong types and trailing data with
// a 400 and the error body, and a request without the admin token with a 401.
func TestAdminEndpointsRefuseBadInput(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t)
	// Something for a refused reset, fault or journal removal to lose.
	c.createWorkspace("Kept")
	addFault(t, srv, fake.Fault{Path: "/nowhere", Status: 503})
	before, err := srv.Snapshot(context.Background())
	require.NoError(t, err)
	faults, journal := srv.Faults().List(), srv.Journal()
	require.NotEmpty(t, journal)
	tests := []struct{ method, path, body string }{
		{"PUT", "/_fake/state", `{"orgs": [], "colour": "red"}`},
		{"PUT", "/_fake/state", `{"orgs": {}}`},
		{"PUT", "/_fake/state", `{"orgs": []} {"orgs": []}`},
		{"PUT", "/_fake/state", `{"orgs": []}x`},
		{"PUT", "/_fake/state", ``},
		{"PUT", "/_fake/state", `{"orgs": [{"name": "a", "workspaces": [{"customers": [{"internalId": "x", "colour": 1}]}]}]}`},
		{"PUT", "/_fake/state?force=true", `{"orgs": []}`},
		{"GET", "/_fake/state?pretty=1", ``},
		{"POST", "/_fake/reset", `{"orgId": "x"}`},
		{"POST", "/_fake/reset", `{}{}`},
		{"POST", "/_fake/reset", `[]`},
		{"POST", "/_fake/reset?org=x", ``},
		{"POST", "/_fake/reset?orgId=a&orgId=b", ``},
		{"POST", "/_fake/reset?orgId=", ``},
		{"POST", "/_fake/faults", `{"status": 500} trailing`},
		{"POST", "/_fake/faults", `{"status": "500"}`},
		{"GET", "/_fake/journal?colour=red", ``},
		{"GET", "/_fake/faults?all=1", ``},
		{"DELETE", "/_fake/faults?all=1", ``},
		{"DELETE", "/_fake/journal?all=1", ``},
		{"POST", "/_fake/faults?x=1", `{"status": 500}`},
	}
	for _, tc := range tests {
		r := c.fails(http.StatusBadRequest, "", tc.method, tc.path, tc.body)
		assert.Equal(t, "bad_request", r.Body["type"], "%s %s %s", tc.method, tc.path, tc.body)
	}
	c.fails(http.StatusNotFound, "not_found", "GET", "/_fake/nosuch", nil)
	r := c.fails(http.StatusMethodNotAllowed, "", "PATCH", "/_fake/state", `{}`)
	assert.Contains(t, r.Header.Get("Allow"), "PUT")
	after, err := srv.Snapshot(context.Background())
	require.NoError(t, err)
	assert.Equal(t, before, after, "nothing was replaced or reset")
	assert.Equal(t, faults, srv.Faults().List(), "no fault was added or removed")
	assert.Equal(t, journal, srv.Journal()[:len(journal)], "the journal was not emptied")
	for _, rt := range []struct{ method, path string }{{"GET", "/_fake/state"}, {"PUT", "/_fake/state"}, {"POST", "/_fake/reset"}, {"GET", "/_fake/journal"}} {
		c.as("").fails(http.StatusUnauthorized, "not_authenticated", rt.method, rt.path, `{"orgs": []}`)
		c.as(srv.AddMember(srv.OrgID(), fake.RoleAdmin)).fails(http.StatusUnauthorized, "not_authenticated", rt.method, rt.path, `{"orgs": []}`)
	}
	after, err = srv.Snapshot(context.Background())
	require.NoError(t, err)
	assert.Equal(t, len(before.Orgs), len(after.Orgs), "nothing was replaced or reset")
	assert.Equal(t, faults, srv.Faults().List())
}

// GET /_fake/state answers the snapshot in the seed format, secrets and tokens included.
func TestStateOverHTTPIsTheSnapshot(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t)
	ws := c.createWorkspace("One")
	r := c.do("GET", "/_fake/state", nil)
	require.Equal(t, http.StatusOK, r.Status)
	var got map[string]any
	require.NoError(t, json.Unmarshal(r.Raw, &got))
	assert.Equal(t, srv.OrgID(), got["defaultOrgId"])
	assert.Equal(t, srv.AdminToken(), got["adminToken"])
	org := got["orgs"].([]any)[0].(map[string]any)
	w := org["workspaces"].([]any)[0].(map[string]any)
	assert.Equal(t, ws["secret"], w["secret"])
	assert.Equal(t, ws["key"], w["key"])
	assert.Equal(t, ws["createdAt"], snapTime(t, w["createdAt"]))
	assert.Equal(t, map[string]any{}, w["settings"])
	snap, err := srv.Snapshot(context.Background())
	require.NoError(t, err)
	want, err := json.Marshal(snap)
	require.NoError(t, err)
	assert.JSONEq(t, string(want), string(r.Raw))
}

// snapTime is a time of a snapshot in the API's format.
func snapTime(t *testing.T, v any) string {
	t.Helper()
	at, err := time.Parse(time.RFC3339Nano, v.(string))
	require.NoError(t, err)
	return at.UTC().Format("2006-01-02T15:04:05.000Z07:00")
}

// A reset after a state that brought its own admin token keeps that token: the caller is not
// locked out of the admin API it just used.
func TestResetKeepsTheAdoptedAdminToken(t *testing.T) {
	t.Parallel()
	other, oc := newFake(t)
	oc.createWorkspace("Theirs")
	state := oc.do("GET", "/_fake/state", nil)
	require.Equal(t, http.StatusOK, state.Status)

	srv, c := newFake(t)
	c.ok("PUT", "/_fake/state", string(state.Raw))
	require.Equal(t, other.AdminToken(), srv.AdminToken())
	require.Equal(t, other.OrgID(), srv.OrgID())
	adopted := c.as(other.AdminToken())
	assert.Len(t, adopted.ok("GET", "/org-workspaces", nil)["items"], 1)

	adopted.ok("POST", "/_fake/reset", nil)
	assert.Equal(t, other.AdminToken(), srv.AdminToken())
	assert.Empty(t, adopted.ok("GET", "/org-workspaces", nil)["items"], "the default org is back, empty")
	c.fails(http.StatusUnauthorized, "not_authenticated", "GET", "/_fake/state", nil)
}
