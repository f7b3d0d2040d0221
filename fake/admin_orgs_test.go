package fake_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/membrane-community/membrane-go/fake"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Each test of a suite gets an org of its own from POST /_fake/orgs, over a real socket: the
// members' tokens work in that org and in no other.
func TestAddOrgOverHTTP(t *testing.T) {
	t.Parallel()
	srv := fake.NewServer(t)
	c := newCaller(t, srv, srv.AdminToken())
	req, err := http.NewRequest("POST", srv.URL()+"/_fake/orgs", strings.NewReader(`{"name": "Suite A", "members": [{"role": "admin"}, {"role": "read-only"}]}`))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+srv.AdminToken())
	resp, err := http.DefaultClient.Do(req) // over the socket
	require.NoError(t, err)
	defer resp.Body.Close()
	var got map[string]any
	require.NoError(t, decodeJSON(resp, &got))
	orgID := got["id"].(string)
	assert.Equal(t, "Suite A", got["name"])
	members := got["members"].([]any)
	require.Len(t, members, 2)
	admin := c.as(members[0].(map[string]any)["token"].(string))
	viewer := c.as(members[1].(map[string]any)["token"].(string))
	assert.Equal(t, "read-only", members[1].(map[string]any)["role"])

	ws := admin.ok("POST", "/org-workspaces", map[string]any{"orgId": orgID, "name": "W"})
	assert.Equal(t, orgID, ws["orgId"])
	viewer.ok("GET", "/org-workspaces/"+ws["id"].(string), nil)
	viewer.fails(http.StatusForbidden, "access_denied", "POST", "/org-workspaces", map[string]any{"orgId": orgID})
	c.fails(http.StatusNotFound, "not_found", "GET", "/org-workspaces/"+ws["id"].(string), nil)
	admin.fails(http.StatusNotFound, "not_found", "GET", "/org-workspaces?orgId="+srv.OrgID(), nil)

	one := c.ok("POST", "/_fake/orgs", `{"name": "Suite B"}`)
	require.Len(t, one["members"], 1, "without members, one admin")
	assert.Equal(t, "admin", one["members"].([]any)[0].(map[string]any)["role"])
	assert.NotEqual(t, orgID, one["id"])

	none := c.ok("POST", "/_fake/orgs", `{"name": "Suite C", "members": []}`)
	assert.Empty(t, none["members"])

	// 200 characters, not bytes: 200 "é" are 400 bytes.
	long := strings.Repeat("é", 200)
	assert.Equal(t, long, c.ok("POST", "/_fake/orgs", `{"name": "`+long+`"}`)["name"])
}

func TestAddOrgRefusesBadInput(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t)
	for _, body := range []string{
		`{}`, `{"name": ""}`, `{"name": 1}`, `{"name": "a", "members": [{"role": "owner"}]}`,
		`{"name": "a", "members": {"role": "admin"}}`, `{"name": "a", "roles": ["admin"]}`, `{"name": "a"} {}`, `[]`, ``,
		fmt.Sprintf(`{"name": "a", "members": [%s{"role": "admin"}]}`, strings.Repeat(`{"role": "admin"},`, 100)),
		`{"name": "` + strings.Repeat("a", 201) + `"}`,
	} {
		c.fails(http.StatusBadRequest, "", "POST", "/_fake/orgs", body)
	}
	c.fails(http.StatusBadRequest, "", "POST", "/_fake/orgs?x=1", `{"name": "a"}`)
	c.as("").fails(http.StatusUnauthorized, "not_authenticated", "POST", "/_fake/orgs", `{"name": "a"}`)
	snap := c.ok("GET", "/_fake/state", nil)
	assert.Len(t, snap["orgs"], 1, "no org was added")
	_ = srv
}

func TestAdminIndex(t *testing.T) {
	t.Parallel()
	srv := fake.NewServer(t)
	c := newCaller(t, srv, srv.AdminToken())
	idx := c.ok("GET", "/_fake", nil)
	eps := idx["endpoints"].([]any)
	paths := map[string]bool{}
	for _, e := range eps {
		m := e.(map[string]any)
		paths[m["method"].(string)+" "+m["path"].(string)] = true
		assert.NotEmpty(t, m["description"])
	}
	for _, want := range []string{"POST /_fake/orgs", "POST /_fake/reset", "GET /_fake/state", "PUT /_fake/state", "GET /_fake/journal"} {
		assert.True(t, paths[want], want)
	}
	c.as("").fails(http.StatusUnauthorized, "not_authenticated", "GET", "/_fake", nil)
	c.fails(http.StatusBadRequest, "", "GET", "/_fake?x=1", nil)
}
