package fake_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/membrane-community/membrane-go/fake"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// inspectView is GET /_fake/inspect as a test reads it.
type inspectView struct {
	DefaultOrgID string `json:"defaultOrgId"`
	Instances    []struct {
		ID             string `json:"id"`
		URL            string `json:"url"`
		InProcess      bool   `json:"inProcess"`
		Reachable      bool   `json:"reachable"`
		Workspaces     int    `json:"workspaces"`
		Held           *int   `json:"held"`
		AwaitingRepair int    `json:"awaitingRepair"`
		InAgreement    bool   `json:"inAgreement"`
	} `json:"instances"`
	Orgs []struct {
		ID      string `json:"id"`
		Name    string `json:"name"`
		Members []struct {
			UserID string `json:"userId"`
			Role   string `json:"role"`
		} `json:"members"`
		WorkspaceCount int `json:"workspaceCount"`
		Workspaces     []struct {
			ID             string          `json:"id"`
			Name           string          `json:"name"`
			Key            string          `json:"key"`
			InstanceID     string          `json:"membraneInstanceId"`
			ArchivedAt     *string         `json:"archivedAt"`
			AwaitingRepair bool            `json:"awaitingRepair"`
			Settings       map[string]bool `json:"settings"`
			WebhookURI     string          `json:"webhookUri"`
			PublicKeys     []struct {
				Name      string `json:"name"`
				PublicKey string `json:"publicKey"`
			} `json:"publicKeys"`
			CustomersKnown bool `json:"customersKnown"`
			CustomerCount  int  `json:"customerCount"`
			Customers      []struct {
				Name       string `json:"name"`
				InternalID string `json:"internalId"`
			} `json:"customers"`
		} `json:"workspaces"`
	} `json:"orgs"`
	Faults []struct {
		ID    string `json:"id"`
		Fired int    `json:"fired"`
	} `json:"faults"`
}

func inspect(t *testing.T, c caller) (inspectView, string) {
	t.Helper()
	r := c.do("GET", "/_fake/inspect", nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	assert.Equal(t, "application/json; charset=utf-8", r.Header.Get("Content-Type"))
	var v inspectView
	require.NoError(t, json.Unmarshal(r.Raw, &v))
	return v, string(r.Raw)
}

func TestInspectShowsWhatTheFakeHolds(t *testing.T) {
	t.Parallel()
	srv, err := fake.New(fake.WithInstances("eu"))
	require.NoError(t, err)
	t.Cleanup(srv.Close)
	admin := newCaller(t, srv, srv.AdminToken())
	member := srv.AddMember(srv.OrgID(), fake.RoleReadOnly)
	other := srv.AddOrg("Other")
	otherAdmin := srv.AddMember(other, fake.RoleAdmin)

	ws := admin.ok("POST", "/org-workspaces", map[string]any{"orgId": srv.OrgID(), "name": "EU shop", "membraneInstanceId": "eu"})
	id, secret := ws["id"].(string), ws["secret"].(string)
	admin.ok("PATCH", "/org-workspaces/"+id, map[string]any{"webhookUri": "https://shop.example/hook",
		"settings":   map[string]any{"enableApiLogs": true},
		"publicKeys": []any{map[string]any{"name": "main", "publicKey": testPublicKeyPEM}}})
	tok := admin.ok("POST", "/org-workspaces/"+id+"/access-token", map[string]any{"isAdmin": true})["token"].(string)
	admin.as(tok).at(srv.Instance("eu").URL()).ok("POST", "/customers",
		map[string]any{"name": "Jane", "internalId": "jane", "credentials": map[string]any{"apiKey": "jane-credential-123"}})
	onHub := admin.createWorkspace("On the hub")
	admin.ok("DELETE", "/org-workspaces/"+onHub["id"].(string), nil)

	v, raw := inspect(t, admin)

	for _, hidden := range []string{srv.AdminToken(), member, otherAdmin, tok, secret, onHub["secret"].(string), "jane-credential-123"} {
		assert.NotContains(t, raw, hidden, "GET /_fake/inspect shows a token, a secret or a credential")
	}
	require.Len(t, v.Instances, 2)
	hub, eu := v.Instances[0], v.Instances[1]
	assert.Equal(t, "hub", hub.ID)
	assert.Equal(t, 1, hub.Workspaces)
	assert.Equal(t, "eu", eu.ID)
	assert.Equal(t, srv.Instance("eu").URL(), eu.URL)
	assert.True(t, eu.InProcess && eu.Reachable && eu.InAgreement)
	assert.Equal(t, 1, eu.Workspaces)
	require.NotNil(t, eu.Held)
	assert.Equal(t, 1, *eu.Held)

	require.Len(t, v.Orgs, 2)
	assert.Equal(t, srv.OrgID(), v.Orgs[0].ID, "the default org comes first")
	assert.Equal(t, other, v.Orgs[1].ID)
	roles := []string{}
	for _, m := range v.Orgs[0].Members {
		roles = append(roles, m.Role)
		assert.NotEmpty(t, m.UserID)
	}
	assert.Equal(t, []string{"admin", "read-only"}, roles)
	require.Len(t, v.Orgs[0].Workspaces, 2)
	w := v.Orgs[0].Workspaces[0]
	assert.Equal(t, id, w.ID)
	assert.Equal(t, ws["key"], w.Key)
	assert.Equal(t, "EU shop", w.Name)
	assert.Equal(t, "eu", w.InstanceID)
	assert.Nil(t, w.ArchivedAt)
	assert.Equal(t, "https://shop.example/hook", w.WebhookURI)
	assert.True(t, w.Settings["enableApiLogs"])
	require.Len(t, w.PublicKeys, 1)
	assert.Equal(t, "main", w.PublicKeys[0].Name)
	assert.True(t, w.CustomersKnown)
	require.Len(t, w.Customers, 1)
	assert.Equal(t, "jane", w.Customers[0].InternalID)
	assert.NotNil(t, v.Orgs[0].Workspaces[1].ArchivedAt)
	assert.Empty(t, v.Orgs[1].Workspaces)

	// The secret is shown on purpose only.
	r := admin.do("GET", "/_fake/workspaces/"+id+"/secret", nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	assert.Equal(t, map[string]any{"workspaceId": id, "secret": secret}, r.Body)
	assert.Equal(t, "no-store", r.Header.Get("Cache-Control"))
	admin.fails(http.StatusNotFound, "not_found", "GET", "/_fake/workspaces/nope/secret", nil)
	admin.fails(http.StatusBadRequest, "", "GET", "/_fake/workspaces/"+id+"/secret?reveal=1", nil)
	admin.fails(http.StatusBadRequest, "", "GET", "/_fake/inspect?orgId="+srv.OrgID(), nil)
	admin.as(member).fails(http.StatusUnauthorized, "not_authenticated", "GET", "/_fake/workspaces/"+id+"/secret", nil)
}

func TestInspectShowsRepairsAndUnreachableInstances(t *testing.T) {
	t.Parallel()
	srv, err := fake.New(fake.WithInstances("eu"))
	require.NoError(t, err)
	t.Cleanup(srv.Close)
	admin := newCaller(t, srv, srv.AdminToken())
	id := admin.ok("POST", "/org-workspaces", map[string]any{"orgId": srv.OrgID(), "membraneInstanceId": "eu"})["id"].(string)
	faultID, err := srv.Faults().Add(fake.Fault{Path: "/nowhere", Status: 500})
	require.NoError(t, err)

	// The instance is down: the hub cannot learn whether the update reached it.
	srv.Instance("eu").Stop()
	r := admin.do("PATCH", "/org-workspaces/"+id, map[string]any{"webhookUri": "https://x.example"})
	require.GreaterOrEqual(t, r.Status, 500, "%s", r.Raw)

	v, _ := inspect(t, admin)
	eu := v.Instances[1]
	assert.False(t, eu.Reachable)
	assert.Equal(t, 1, eu.AwaitingRepair)
	assert.False(t, eu.InAgreement)
	assert.True(t, v.Orgs[0].Workspaces[0].AwaitingRepair)
	require.Len(t, v.Faults, 1)
	assert.Equal(t, faultID, v.Faults[0].ID)

	require.NoError(t, srv.Instance("eu").Start())
	require.NoError(t, srv.Settle(t.Context()))
	v, _ = inspect(t, admin)
	assert.True(t, v.Instances[1].Reachable && v.Instances[1].InAgreement)
	assert.False(t, v.Orgs[0].Workspaces[0].AwaitingRepair)
}

func TestInspectRemoteInstance(t *testing.T) {
	t.Parallel()
	const engineToken = "engine-token-0123456789"
	eu, err := fake.NewInstance("eu", fake.WithEngineToken(engineToken))
	require.NoError(t, err)
	require.NoError(t, eu.Start())
	t.Cleanup(eu.Close)
	srv, err := fake.New(fake.WithRemoteInstance("eu", eu.URL(), engineToken))
	require.NoError(t, err)
	t.Cleanup(srv.Close)
	admin := newCaller(t, srv, srv.AdminToken())
	admin.ok("POST", "/org-workspaces", map[string]any{"orgId": srv.OrgID(), "membraneInstanceId": "eu"})

	v, _ := inspect(t, admin)
	remote := v.Instances[1]
	assert.False(t, remote.InProcess)
	assert.True(t, remote.Reachable)
	assert.Nil(t, remote.Held)
	assert.Equal(t, 1, remote.Workspaces)
	assert.False(t, v.Orgs[0].Workspaces[0].CustomersKnown)

	eu.Stop()
	v, _ = inspect(t, admin)
	assert.False(t, v.Instances[1].Reachable)
}

func TestInspectorPageIsServedAndNotJournaled(t *testing.T) {
	t.Parallel()
	srv := fake.NewServer(t)
	get := func(path string) (*http.Response, string) {
		t.Helper()
		resp, err := http.Get(srv.URL() + path)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp, string(b)
	}
	for _, tc := range []struct{ path, ctype, holds string }{
		{"/_fake/ui", "text/html; charset=utf-8", `<script type="module" src="/_fake/ui/app.js"`},
		{"/_fake/ui/app.js", "text/javascript; charset=utf-8", `from "./overview.js"`},
		{"/_fake/ui/api.js", "text/javascript; charset=utf-8", "Authorization"},
		{"/_fake/ui/dom.js", "text/javascript; charset=utf-8", "textContent"},
		{"/_fake/ui/overview.js", "text/javascript; charset=utf-8", "/_fake/inspect"},
		{"/_fake/ui/faults.js", "text/javascript; charset=utf-8", "/_fake/faults"},
		{"/_fake/ui/journal.js", "text/javascript; charset=utf-8", "/_fake/journal"},
		{"/_fake/ui/actions.js", "text/javascript; charset=utf-8", "/_fake/reset"},
		{"/_fake/ui/app.css", "text/css; charset=utf-8", ":root"},
	} {
		resp, body := get(tc.path)
		assert.Equal(t, http.StatusOK, resp.StatusCode, tc.path)
		assert.Equal(t, tc.ctype, resp.Header.Get("Content-Type"), tc.path)
		assert.Contains(t, resp.Header.Get("Content-Security-Policy"), "default-src 'none'", tc.path)
		assert.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"), tc.path)
		assert.Contains(t, body, tc.holds, tc.path)
		assert.NotContains(t, body, srv.AdminToken(), tc.path)
		assert.NotContains(t, body, "http://", "%s loads nothing from elsewhere", tc.path)
		assert.NotContains(t, body, "https://", "%s loads nothing from elsewhere", tc.path)
	}
	resp, body := get("/_fake/ui/")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "/_fake/ui", resp.Request.URL.Path, "/_fake/ui/ leads to the page")
	assert.Contains(t, body, "<title>membrane-fake inspector</title>")
	for _, path := range []string{"/_fake/ui/nope.js", "/_fake/ui/ui.go", "/_fake/ui/..%2fui.go", "/_fake/ui/index.txt"} {
		resp, _ := get(path)
		assert.Equal(t, http.StatusNotFound, resp.StatusCode, path)
	}
	// The page and its files take no query parameter, as the admin endpoints refuse those they
	// do not take.
	for _, path := range []string{"/_fake/ui?x=1", "/_fake/ui?token=abc", "/_fake/ui/?x=1", "/_fake/ui/app.js?v=2",
		"/_fake/ui/app.css?a=1&a=2", "/_fake/ui?%zz", "/_fake/ui/nope.js?x=1"} {
		resp, body := get(path)
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode, path)
		assert.Contains(t, body, `"type":"bad_request"`, path)
	}
	admin := newCaller(t, srv, srv.AdminToken())
	admin.ok("GET", "/_fake/inspect", nil)
	admin.do("GET", "/_fake/workspaces/nope/secret", nil)
	for _, e := range srv.Journal() {
		assert.False(t, strings.HasPrefix(e.Path, "/_fake"), "the journal holds the inspector's request %s %s", e.Method, e.Path)
	}
}

func TestInspectListsTheNewestWorkspacesAndCustomers(t *testing.T) {
	t.Parallel()
	srv, err := fake.New()
	require.NoError(t, err)
	t.Cleanup(srv.Close)
	admin := newCaller(t, srv, srv.AdminToken())
	var last map[string]any
	for i := range 205 {
		last = admin.createWorkspace("ws-" + strconv.Itoa(i))
	}
	tok := admin.ok("POST", "/org-workspaces/"+last["id"].(string)+"/access-token", map[string]any{"isAdmin": true})["token"].(string)
	for i := range 103 {
		admin.as(tok).ok("POST", "/customers", map[string]any{"name": "c", "internalId": "c-" + strconv.Itoa(i)})
	}

	v, _ := inspect(t, admin)
	org := v.Orgs[0]
	assert.Equal(t, 205, org.WorkspaceCount)
	require.Len(t, org.Workspaces, 200)
	assert.Equal(t, "ws-5", org.Workspaces[0].Name, "the newest 200, oldest of them first")
	assert.Equal(t, "ws-204", org.Workspaces[199].Name)
	assert.Equal(t, 205, v.Instances[0].Workspaces, "the instance counts every workspace")
	newest := org.Workspaces[199]
	assert.Equal(t, 103, newest.CustomerCount)
	require.Len(t, newest.Customers, 100)
	assert.Equal(t, "c-3", newest.Customers[0].InternalID)
	assert.Equal(t, "c-102", newest.Customers[99].InternalID)
}
