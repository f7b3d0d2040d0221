//go:build !race

// Bodies of ten megabytes take minutes through the race detector: these tests run without it.

package fake_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/membrane-community/membrane-go/fake"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A body the hub accepts is never refused by an instance for its size, although the hub writes
// it again as JSON on the way and adds fields to it.
func TestInstancesTakeWhatTheHubAccepts(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t, fake.WithInstances("eu"))
	for _, tc := range []struct {
		name string
		size int
	}{
		{"2 MB", 2 << 20},
	} {
		for _, inst := range []string{"eu", "hub"} {
			name := strings.Repeat("<", tc.size)
			body := `{"orgId":"` + srv.OrgID() + `","membraneInstanceId":"` + inst + `","name":"` + name + `"}`
			require.LessOrEqual(t, len(body), 10<<20)
			ws := c.ok("POST", "/org-workspaces", body)
			assert.Equal(t, name, ws["name"], "%s on %s", tc.name, inst)
		}
	}
}

// A repair sends the whole state of a workspace, which may be larger than any one request: it
// is sent in parts, and the workspace keeps working.
func TestLargeStateIsRepaired(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		srv, c := newFake(t, fake.WithInstances("eu"))
		ws := c.ok("POST", "/org-workspaces", map[string]any{"orgId": srv.OrgID(), "membraneInstanceId": "eu"})
		id, key := ws["id"].(string), ws["key"].(string)
		path := "/org-workspaces/" + id
		big := func(field string) string {
			return `{"` + field + `":{"v":"` + strings.Repeat("a", 6<<20) + `"}}`
		}
		c.ok("PATCH", path, big("userFieldsSchema"))
		c.ok("PATCH", path, big("alertDeliverySettings"))

		addFault(t, srv, fake.Fault{Instance: "eu", Method: "PATCH", Path: "/workspaces/*", DropAnswer: true, Times: 1})
		c.fails(http.StatusBadGateway, "", "PATCH", path, map[string]any{"webhookUri": "https://lost.example"})
		state := engine(t, srv, "eu", "GET", "/workspaces/"+key, nil).Body
		assert.Nil(t, state["webhookUri"], "the repair went through")
		assert.Len(t, state["userFieldsSchema"].(map[string]any)["v"], 6<<20, "the hub's state, whole")
		assert.Len(t, state["alertDeliverySettings"].(map[string]any)["v"], 6<<20, "the hub's state, whole")

		// Every kind of change works afterwards.
		c.ok("PATCH", path, map[string]any{"webhookUri": "https://ok.example"})
		tok := c.mint(id, map[string]any{"isAdmin": true})
		c.as(tok).ok("GET", "/customers", nil)
		c.ok("POST", path+"/rotate-secret", nil)
		c.ok("DELETE", path, nil)
		c.ok("POST", path+"/restore", nil)
		require.NoError(t, srv.Settle(t.Context()))
	})
}

// A state taken with GET /_fake/state is put back with PUT /_fake/state however large it is: the
// 10 MB limit of the API's bodies does not apply to the fake's own control plane.
func TestLargeStateGoesBackWhole(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t)
	org := fake.SeedOrg{ID: "big", Name: "Big", Members: []fake.SeedMember{{Token: "pat-big-admin", Role: fake.RoleAdmin}}}
	fields := json.RawMessage(`{"notes": "` + strings.Repeat("n", 4<<20) + `"}`)
	for i := range 3 {
		org.Workspaces = append(org.Workspaces, fake.SeedWorkspace{Name: "workspace " + strconv.Itoa(i),
			Customers: []fake.SeedCustomer{{InternalID: "c", Fields: fields}}})
	}
	require.NoError(t, srv.Load(t.Context(), fake.Seed{Orgs: []fake.SeedOrg{org}}))
	state := c.do("GET", "/_fake/state", nil)
	require.Equal(t, http.StatusOK, state.Status)
	require.Greater(t, len(state.Raw), 10<<20, "the state is over the API's body limit")
	c.ok("PUT", "/_fake/state", json.RawMessage(state.Raw))
	again := c.do("GET", "/_fake/state", nil)
	assert.Equal(t, string(state.Raw), string(again.Raw))
}
