package fake_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCreateAndGetOrgWorkspace(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t)
	ws := c.createWorkspace("Acme")
	assert.Regexp(t, "^[0-9a-f]{24}$", ws["id"])
	assert.Equal(t, "Acme", ws["name"])
	assert.Equal(t, srv.OrgID(), ws["orgId"])
	assert.Regexp(t, "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", ws["key"])
	assert.GreaterOrEqual(t, len(ws["secret"].(string)), 43)
	assert.Equal(t, srv.URL(), ws["apiBaseUri"])
	assert.Equal(t, "production", ws["type"])
	assert.Equal(t, map[string]any{}, ws["settings"])
	assert.NotContains(t, ws, "archivedAt")
	created, err := time.Parse(time.RFC3339, ws["createdAt"].(string))
	require.NoError(t, err)
	assert.Equal(t, time.UTC, created.Location())

	got := c.ok("GET", "/org-workspaces/"+ws["id"].(string), nil)
	assert.Equal(t, ws, got)

	unnamed := c.ok("POST", "/org-workspaces", map[string]any{"orgId": srv.OrgID()})
	assert.NotEmpty(t, unnamed["name"])
	assert.NotEqual(t, ws["key"], unnamed["key"])
	assert.NotEqual(t, ws["secret"], unnamed["secret"])
}

func TestCreateOrgWorkspaceValidation(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t)
	org := srv.OrgID()
	tests := []struct {
		name   string
		body   any
		status int
		key    string
		field  string
	}{
		{"no orgId", map[string]any{"name": "x"}, 400, "", "orgId"},
		{"orgId not a string", map[string]any{"orgId": 5}, 400, "", "orgId"},
		{"empty name", map[string]any{"orgId": org, "name": ""}, 400, "", "name"},
		{"name not a string", map[string]any{"orgId": org, "name": true}, 400, "", "name"},
		{"logoUri not a URL", map[string]any{"orgId": org, "logoUri": "not a url"}, 400, "", "logoUri"},
		{"unknown instance", map[string]any{"orgId": org, "membraneInstanceId": "mars"}, 404, "not_found", ""},
		{"unknown org", map[string]any{"orgId": "0123456789abcdef01234567"}, 404, "not_found", ""},
		{"not JSON", "{nope", 400, "", ""},
		{"an array", "[]", 400, "", ""},
		{"null", "null", 400, "", ""},
	}
	// The cases run in parallel within a group, so that what follows sees them all done.
	t.Run("cases", func(t *testing.T) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				r := c.fails(tt.status, tt.key, "POST", "/org-workspaces", tt.body)
				if tt.field != "" {
					fields := r.Body["data"].(map[string]any)["fields"].(map[string]any)
					assert.Contains(t, fields, tt.field)
				}
			})
		}
	})

	list := c.ok("GET", "/org-workspaces", nil)
	assert.Empty(t, list["items"], "a refused create leaves nothing behind")
}

func TestPatchOrgWorkspace(t *testing.T) {
	t.Parallel()
	_, c := newFake(t)
	id := c.createWorkspace("Acme")["id"].(string)
	path := "/org-workspaces/" + id

	ws := c.ok("PATCH", path, map[string]any{
		"name":                 "Acme Corp",
		"webhookUri":           "https://acme.example/hooks",
		"settings":             map[string]any{"enableApiLogs": true, "disableSecretKeyAuth": false, "unknownSetting": 1},
		"enabledWebhookEvents": []string{"connection.created"},
		"jwksUri":              "https://acme.example/jwks.json",
		"type":                 "development",
		"isReadOnly":           true,
		"limits":               map[string]any{"apiRequests": map[string]any{"value": 10, "defaultValue": 5, "unit": "per-minute"}},
		"userFieldsSchema":     map[string]any{"type": "object"},
		"unknownField":         "ignored",
	})
	assert.Equal(t, "Acme Corp", ws["name"])
	assert.Equal(t, "https://acme.example/hooks", ws["webhookUri"])
	assert.Equal(t, map[string]any{"enableApiLogs": true, "disableSecretKeyAuth": false}, ws["settings"])
	assert.Equal(t, []any{"connection.created"}, ws["enabledWebhookEvents"])
	assert.Equal(t, "https://acme.example/jwks.json", ws["jwksUri"])
	assert.Equal(t, "development", ws["type"])
	assert.Equal(t, true, ws["isReadOnly"])
	assert.Equal(t, map[string]any{"apiRequests": map[string]any{"value": 10.0, "defaultValue": 5.0, "unit": "per-minute"}}, ws["limits"])
	assert.NotContains(t, ws, "unknownField")

	// A merge: what is not sent stays; false and empty are sent on purpose; null clears jwksUri.
	ws = c.ok("PATCH", path, map[string]any{"isReadOnly": false, "enabledWebhookEvents": []string{},
		"jwksUri": nil, "settings": map[string]any{"enableWebhookLogs": true}})
	assert.Equal(t, "Acme Corp", ws["name"])
	assert.Equal(t, false, ws["isReadOnly"])
	assert.Equal(t, []any{}, ws["enabledWebhookEvents"])
	assert.NotContains(t, ws, "jwksUri")
	assert.Equal(t, map[string]any{"enableApiLogs": true, "disableSecretKeyAuth": false, "enableWebhookLogs": true}, ws["settings"],
		"settings merge key by key")
	assert.Equal(t, "https://acme.example/hooks", ws["webhookUri"])

	ws = c.ok("PATCH", path, map[string]any{"webhookUri": ""})
	assert.NotContains(t, ws, "webhookUri", "an empty webhookUri clears it")

	assert.Equal(t, ws, c.ok("GET", path, nil), "the change is stored")
	assert.Equal(t, ws, c.ok("PATCH", path, map[string]any{}), "an empty patch changes nothing")
}

func TestPatchOrgWorkspaceValidationChangesNothing(t *testing.T) {
	t.Parallel()
	_, c := newFake(t)
	id := c.createWorkspace("Acme")["id"].(string)
	path := "/org-workspaces/" + id
	before := c.ok("GET", path, nil)
	tests := []struct {
		name  string
		body  any
		field string
	}{
		{"name empty", map[string]any{"name": ""}, "name"},
		{"name null", map[string]any{"name": nil}, "name"},
		{"bad type", map[string]any{"type": "staging"}, "type"},
		{"isReadOnly not bool", map[string]any{"isReadOnly": "yes"}, "isReadOnly"},
		{"webhookUri not URL", map[string]any{"webhookUri": "ftp://x"}, "webhookUri"},
		{"jwksUri not string", map[string]any{"jwksUri": 3}, "jwksUri"},
		{"settings not object", map[string]any{"settings": []int{1}}, "settings"},
		{"setting not bool", map[string]any{"settings": map[string]any{"enableApiLogs": "on"}}, "settings.enableApiLogs"},
		{"events not strings", map[string]any{"enabledWebhookEvents": []int{1}}, "enabledWebhookEvents"},
		{"public key not PEM", map[string]any{"publicKeys": []any{map[string]any{"name": "k", "publicKey": "abc"}}}, "publicKeys[0].publicKey"},
		{"limit not number", map[string]any{"limits": map[string]any{"x": map[string]any{"value": "many"}}}, "limits.x.value"},
		{"one bad field among good ones", map[string]any{"name": "New", "webhookUri": "https://ok.example", "type": "x"}, "type"},
	}
	// The cases run in parallel within a group, so that what follows sees them all done.
	t.Run("cases", func(t *testing.T) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				r := c.fails(http.StatusBadRequest, "", "PATCH", path, tt.body)
				fields := r.Body["data"].(map[string]any)["fields"].(map[string]any)
				assert.Contains(t, fields, tt.field)
			})
		}
	})

	assert.Equal(t, before, c.ok("GET", path, nil), "no refused patch changed anything")
}

func TestPatchOrgWorkspaceAcceptsPublicKeys(t *testing.T) {
	t.Parallel()
	_, c := newFake(t)
	id := c.createWorkspace("Acme")["id"].(string)
	ws := c.ok("PATCH", "/org-workspaces/"+id, map[string]any{"publicKeys": []any{map[string]any{"name": "main", "publicKey": testPublicKeyPEM}}})
	assert.Equal(t, []any{map[string]any{"name": "main", "publicKey": testPublicKeyPEM}}, ws["publicKeys"])
	ws = c.ok("PATCH", "/org-workspaces/"+id, map[string]any{"publicKeys": nil})
	assert.Equal(t, []any{}, ws["publicKeys"])
}

// testPublicKeyPEM is an Ed25519 public key.
const testPublicKeyPEM = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n"

func TestArchiveAndRestoreOrgWorkspace(t *testing.T) {
	t.Parallel()
	_, c := newFake(t)
	id := c.createWorkspace("Acme")["id"].(string)
	path := "/org-workspaces/" + id

	archived := c.ok("DELETE", path, nil)
	require.Contains(t, archived, "archivedAt")
	assert.Equal(t, archived, c.ok("DELETE", path, nil), "archiving twice is a no-op")
	assert.Equal(t, archived, c.ok("GET", path, nil))

	r := c.fails(http.StatusBadRequest, "", "PATCH", path, map[string]any{"name": "x"})
	assert.Contains(t, r.Body["message"], "archived")
	r = c.fails(http.StatusBadRequest, "", "POST", path+"/access-token", map[string]any{})
	assert.Contains(t, r.Body["message"], "archived")

	assert.Empty(t, c.ok("GET", "/org-workspaces", nil)["items"], "archived workspaces are hidden by default")
	assert.Len(t, c.ok("GET", "/org-workspaces?includeArchived=true", nil)["items"], 1)

	restored := c.ok("POST", path+"/restore", nil)
	assert.NotContains(t, restored, "archivedAt")
	assert.Equal(t, restored, c.ok("POST", path+"/restore", nil), "restoring twice is a no-op")
	c.ok("PATCH", path, map[string]any{"name": "x"})
}

func TestRotateSecret(t *testing.T) {
	t.Parallel()
	_, c := newFake(t)
	ws := c.createWorkspace("Acme")
	path := "/org-workspaces/" + ws["id"].(string)
	rotated := c.ok("POST", path+"/rotate-secret", nil)
	require.Len(t, rotated, 1)
	assert.NotEqual(t, ws["secret"], rotated["secret"])
	assert.Equal(t, rotated["secret"], c.ok("GET", path, nil)["secret"])
	assert.Equal(t, ws["key"], c.ok("GET", path, nil)["key"], "the key never changes")
}

func TestListOrgWorkspacesPagination(t *testing.T) {
	t.Parallel()
	_, c := newFake(t)
	var want []string
	for i := range 7 {
		want = append(want, c.createWorkspace(fmt.Sprintf("ws-%d", i))["id"].(string))
	}
	var got []string
	cursor := "0"
	for pages := 0; ; pages++ {
		require.Less(t, pages, 10)
		page := c.ok("GET", "/org-workspaces?limit=3&cursor="+cursor, nil)
		for _, it := range page["items"].([]any) {
			got = append(got, it.(map[string]any)["id"].(string))
		}
		if pages == 0 {
			// Changes between pages neither skip nor repeat an item that already existed.
			c.ok("DELETE", "/org-workspaces/"+want[1], nil)
			c.ok("DELETE", "/org-workspaces/"+want[4], nil)
			want = append(want, c.createWorkspace("late")["id"].(string))
		}
		next, ok := page["cursor"].(string)
		if !ok {
			assert.LessOrEqual(t, len(page["items"].([]any)), 3)
			break
		}
		cursor = next
	}
	// The first page held 0, 1, 2; 4 was archived before the second page.
	assert.Equal(t, []string{want[0], want[1], want[2], want[3], want[5], want[6], want[7]}, got)

	exact := c.ok("GET", "/org-workspaces?limit=6", nil) // six are not archived
	assert.Len(t, exact["items"], 6)
	assert.NotContains(t, exact, "cursor", "no cursor when the page ends the list")
}

func TestListOrgWorkspacesQuery(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t)
	c.createWorkspace("Alpha Store")
	c.createWorkspace("beta STORE")
	c.createWorkspace("Gamma")
	names := func(q string) []string {
		var out []string
		for _, it := range c.ok("GET", "/org-workspaces"+q, nil)["items"].([]any) {
			out = append(out, it.(map[string]any)["name"].(string))
		}
		return out
	}
	assert.Equal(t, []string{"Alpha Store", "beta STORE"}, names("?search=store"))
	assert.Equal(t, []string{"Alpha Store", "beta STORE", "Gamma"}, names("?orgId="+srv.OrgID()))
	assert.Empty(t, names("?search=zzz"))

	for _, q := range []string{"?limit=0", "?limit=1001", "?limit=x", "?cursor=abc", "?includeArchived=maybe"} {
		r := c.fails(http.StatusBadRequest, "", "GET", "/org-workspaces"+q, nil)
		assert.Contains(t, r.Body["data"], "fields", q)
	}
	c.fails(http.StatusNotFound, "not_found", "GET", "/org-workspaces?orgId=0123456789abcdef01234567", nil)
}

func TestMembraneInstances(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t)
	got := c.ok("GET", "/membrane-instances?orgId="+srv.OrgID(), nil)
	assert.Equal(t, []any{map[string]any{"id": "hub", "name": "Hub", "apiBaseUri": srv.URL()}}, got["items"])
	ws := c.ok("POST", "/org-workspaces", map[string]any{"orgId": srv.OrgID(), "membraneInstanceId": "hub"})
	assert.Equal(t, "hub", ws["membraneInstanceId"])
	assert.Equal(t, srv.URL(), ws["apiBaseUri"])
}
