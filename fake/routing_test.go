package fake_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/membrane-community/membrane-go/fake"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// engine reads a workspace from an instance's engine API, as the hub does.
func engine(t *testing.T, srv *fake.Server, instanceID, method, path string, body any) reply {
	t.Helper()
	inst := srv.Instance(instanceID)
	require.NotNil(t, inst)
	c := caller{t: t, srv: srv, token: inst.EngineToken()}
	return c.at(inst.URL()).do(method, path, body)
}

func TestInstancesAreListedAndHostWorkspaces(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t, fake.WithInstances("eu", "us"))
	got := c.ok("GET", "/membrane-instances", nil)["items"].([]any)
	require.Len(t, got, 3)
	urls := map[string]string{}
	for _, it := range got {
		m := it.(map[string]any)
		urls[m["id"].(string)] = m["apiBaseUri"].(string)
	}
	assert.Equal(t, srv.URL(), urls["hub"])
	assert.Equal(t, srv.Instance("eu").URL(), urls["eu"])
	assert.Equal(t, srv.Instance("us").URL(), urls["us"])
	assert.NotEqual(t, urls["eu"], urls["us"])

	ws := c.ok("POST", "/org-workspaces", map[string]any{"orgId": srv.OrgID(), "name": "EU", "membraneInstanceId": "eu"})
	assert.Equal(t, "eu", ws["membraneInstanceId"])
	assert.Equal(t, srv.Instance("eu").URL(), ws["apiBaseUri"])
	key := ws["key"].(string)

	assert.Equal(t, http.StatusOK, engine(t, srv, "eu", "GET", "/workspaces/"+key, nil).Status)
	assert.Equal(t, http.StatusNotFound, engine(t, srv, "us", "GET", "/workspaces/"+key, nil).Status)
	assert.Equal(t, http.StatusNotFound, engine(t, srv, "hub", "GET", "/workspaces/"+key, nil).Status)

	// Configuration made through the hub lands on the hosting instance.
	c.ok("PATCH", "/org-workspaces/"+ws["id"].(string), map[string]any{"webhookUri": "https://eu.example/hook",
		"settings": map[string]any{"enableApiLogs": true}})
	onEU := engine(t, srv, "eu", "GET", "/workspaces/"+key, nil).Body
	assert.Equal(t, "https://eu.example/hook", onEU["webhookUri"])
	assert.Equal(t, map[string]any{"enableApiLogs": true}, onEU["settings"])
}

func TestEngineAPINeedsTheEngineToken(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t, fake.WithInstances("eu"))
	eu := c.at(srv.Instance("eu").URL())
	for _, tok := range []string{"", srv.AdminToken(), srv.Instance("hub").EngineToken()} {
		eu.as(tok).fails(http.StatusUnauthorized, "not_authenticated", "GET", "/workspaces/x", nil)
		eu.as(tok).fails(http.StatusUnauthorized, "not_authenticated", "POST", "/workspaces", map[string]any{})
	}
	assert.NotEqual(t, srv.Instance("eu").EngineToken(), srv.Instance("hub").EngineToken())
}

func TestWorkspaceTokensAtTheInstanceAndThroughTheHub(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t, fake.WithInstances("eu", "us"))
	ws := c.ok("POST", "/org-workspaces", map[string]any{"orgId": srv.OrgID(), "membraneInstanceId": "eu"})
	tok := c.mint(ws["id"].(string), map[string]any{"isAdmin": true})

	atEU := c.at(srv.Instance("eu").URL()).as(tok)
	created := atEU.ok("POST", "/customers", map[string]any{"name": "Jane", "internalId": "u1"})
	atHub := c.as(tok)
	assert.Equal(t, created, atHub.ok("GET", "/customers/"+created["id"].(string), nil), "the hub forwards to the instance")
	viaHub := atHub.ok("POST", "/customers", map[string]any{"name": "Joe", "internalId": "u2"})
	assert.Len(t, atEU.ok("GET", "/customers", nil)["items"], 2, "a customer created through the hub lives on the instance")
	assert.Equal(t, viaHub["id"], atEU.ok("GET", "/customers/"+viaHub["id"].(string), nil)["id"])

	r := c.at(srv.Instance("us").URL()).as(tok).fails(http.StatusUnauthorized, "not_authenticated", "GET", "/customers", nil)
	assert.Contains(t, r.Body["message"], "does not host")

	tenant := c.mint(ws["id"].(string), map[string]any{"tenantKey": "u1"})
	assert.Equal(t, created["id"], c.as(tenant).ok("GET", "/self", nil)["id"])

	// access-token with tenantId resolves the customer on the hosting instance.
	byID := c.mint(ws["id"].(string), map[string]any{"tenantId": created["id"]})
	assert.Equal(t, created["id"], atEU.as(byID).ok("GET", "/self", nil)["id"])
}

func TestStoppedInstanceChangesNothing(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t, fake.WithInstances("eu"))
	ws := c.ok("POST", "/org-workspaces", map[string]any{"orgId": srv.OrgID(), "name": "Before", "membraneInstanceId": "eu"})
	id, key := ws["id"].(string), ws["key"].(string)
	path := "/org-workspaces/" + id
	tok := c.mint(id, map[string]any{"isAdmin": true})
	eu := srv.Instance("eu")

	eu.Stop()
	for _, call := range []struct {
		method, path string
		body         any
	}{
		{"POST", "/org-workspaces", map[string]any{"orgId": srv.OrgID(), "membraneInstanceId": "eu"}},
		{"PATCH", path, map[string]any{"name": "After", "webhookUri": "https://x.example"}},
		{"POST", path + "/rotate-secret", nil},
		{"DELETE", path, nil},
		{"POST", path + "/access-token", map[string]any{"tenantId": "0123456789abcdef01234567"}},
	} {
		r := c.fails(http.StatusBadGateway, "", call.method, call.path, call.body)
		assert.Equal(t, "dependency_error", r.Body["type"])
		assert.Contains(t, r.Body["message"], `"eu"`)
	}
	c.as(tok).fails(http.StatusBadGateway, "", "GET", "/customers", nil)
	_, err := srv.HTTPClient().Get(eu.URL() + "/")
	assert.Error(t, err, "a stopped instance cannot be reached")

	// Reads of the hub still work, and nothing changed on either side.
	assert.Equal(t, ws, c.ok("GET", path, nil))
	assert.Len(t, c.ok("GET", "/org-workspaces", nil)["items"], 1)

	require.NoError(t, eu.Start())
	assert.Equal(t, ws, c.ok("GET", path, nil))
	c.as(tok).ok("GET", "/customers", nil) // the secret was not rotated
	onEU := engine(t, srv, "eu", "GET", "/workspaces/"+key, nil).Body
	assert.NotContains(t, onEU, "webhookUri")
	assert.NotContains(t, onEU, "archivedAt")

	// Once back, the same calls succeed, and hub and instance agree.
	after := c.ok("PATCH", path, map[string]any{"name": "After", "webhookUri": "https://x.example"})
	assert.Equal(t, "https://x.example", after["webhookUri"])
	assert.Equal(t, "https://x.example", engine(t, srv, "eu", "GET", "/workspaces/"+key, nil).Body["webhookUri"])
	c.ok("POST", path+"/rotate-secret", nil)
	c.as(tok).fails(http.StatusUnauthorized, "not_authenticated", "GET", "/customers", nil)
	archived := c.ok("DELETE", path, nil)
	assert.Equal(t, archived["archivedAt"], engine(t, srv, "eu", "GET", "/workspaces/"+key, nil).Body["archivedAt"])
}

func TestStoppingTheHubInstance(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t, fake.WithInstances("eu"))
	srv.Instance("hub").Stop()
	r := c.fails(http.StatusBadGateway, "", "POST", "/org-workspaces", map[string]any{"orgId": srv.OrgID()})
	assert.Contains(t, r.Body["message"], `"hub"`)
	c.ok("POST", "/org-workspaces", map[string]any{"orgId": srv.OrgID(), "membraneInstanceId": "eu"})
	require.NoError(t, srv.Instance("hub").Start())
	c.createWorkspace("back")
}

func TestInstancesListenOnTheirOwnPorts(t *testing.T) {
	t.Parallel()
	srv := fake.NewServer(t, fake.WithInstances("eu"))
	eu := srv.Instance("eu")
	require.True(t, strings.HasPrefix(eu.URL(), "http://127.0.0.1:"), eu.URL())
	require.NotEqual(t, srv.URL(), eu.URL())
	c := newCaller(t, srv, srv.AdminToken())
	ws := c.ok("POST", "/org-workspaces", map[string]any{"orgId": srv.OrgID(), "membraneInstanceId": "eu"})
	assert.Equal(t, eu.URL(), ws["apiBaseUri"])
	tok := c.mint(ws["id"].(string), map[string]any{"isAdmin": true})

	get := func() (*http.Response, error) {
		req, err := http.NewRequest("GET", eu.URL()+"/customers", nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+tok)
		return http.DefaultClient.Do(req)
	}
	resp, err := get()
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)

	url := eu.URL()
	eu.Stop()
	_, err = get()
	assert.Error(t, err, "the port is closed")
	require.NoError(t, eu.Start())
	assert.Equal(t, url, eu.URL(), "the instance comes back at the same URL")
	resp, err = get()
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode, "with its state")
}

func TestInstanceOptionsAreChecked(t *testing.T) {
	t.Parallel()
	for name, opt := range map[string]fake.Option{
		"bad id":               fake.WithInstances("EU!"),
		"hub taken":            fake.WithInstances("hub"),
		"twice":                fake.WithInstances("eu", "eu"),
		"remote bad url":       fake.WithRemoteInstance("eu", "ftp://x", "0123456789abcdef"),
		"remote no token":      fake.WithRemoteInstance("eu", "http://127.0.0.1:1", ""),
		"short engine token":   fake.WithEngineToken("short"),
		"remote and local too": fake.WithRemoteInstance("", "http://127.0.0.1:1", "0123456789abcdef"),
	} {
		_, err := fake.New(opt)
		assert.Error(t, err, name)
	}
	_, err := fake.New(fake.WithInstances("eu"), fake.WithRemoteInstance("eu", "http://127.0.0.1:1", "0123456789abcdef"))
	assert.Error(t, err)
	srv, _ := newFake(t)
	assert.Nil(t, srv.Instance("mars"))
}

// An engine update with ifVersion applies only at that version: a stale one is a 409
// version_conflict that changes nothing; the version moves by one with each update.
func TestEngineUpdateIfVersion(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t, fake.WithInstances("eu"))
	ws := c.ok("POST", "/org-workspaces", map[string]any{"orgId": srv.OrgID(), "membraneInstanceId": "eu"})
	path := "/workspaces/" + ws["key"].(string)
	before := engine(t, srv, "eu", "GET", path, nil)
	require.Equal(t, http.StatusOK, before.Status)
	v := before.Body["version"].(float64)
	assert.Equal(t, strconv.Itoa(int(v)), before.Header.Get("Membrane-Workspace-Version"))

	stale := engine(t, srv, "eu", "PATCH", path, map[string]any{"webhookUri": "https://stale.example/h", "ifVersion": v - 1})
	assert.Equal(t, http.StatusConflict, stale.Status, "%s", stale.Raw)
	assert.Equal(t, "version_conflict", stale.Body["key"])
	assert.Equal(t, string(before.Raw), string(engine(t, srv, "eu", "GET", path, nil).Raw), "a stale update changes nothing")

	now := engine(t, srv, "eu", "PATCH", path, map[string]any{"webhookUri": "https://now.example/h", "ifVersion": v})
	require.Equal(t, http.StatusOK, now.Status, "%s", now.Raw)
	assert.Equal(t, v+1, now.Body["version"])
	late := engine(t, srv, "eu", "PATCH", path, map[string]any{"webhookUri": "https://late.example/h", "ifVersion": v})
	assert.Equal(t, http.StatusConflict, late.Status, "an update on its way at the old version is refused once another applied")
	assert.Equal(t, "https://now.example/h", engine(t, srv, "eu", "GET", path, nil).Body["webhookUri"])
}
