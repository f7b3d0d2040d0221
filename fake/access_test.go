package fake_test

import (
	"net/http"
	"testing"

	"github.com/membrane-community/membrane-go/fake"
	"github.com/stretchr/testify/assert"
)

// TestRoleTable checks every Management API operation for every role against the role table.
func TestRoleTable(t *testing.T) {
	t.Parallel()
	type op struct {
		name   string
		method string
		path   func(id string) string
		body   any
		allow  map[fake.Role]bool
	}
	all := map[fake.Role]bool{fake.RoleAdmin: true, fake.RoleMember: true, fake.RoleReadOnly: true}
	write := map[fake.Role]bool{fake.RoleAdmin: true, fake.RoleMember: true}
	manage := map[fake.Role]bool{fake.RoleAdmin: true}
	ops := []op{
		{"list", "GET", func(string) string { return "/org-workspaces" }, nil, all},
		{"instances", "GET", func(string) string { return "/membrane-instances" }, nil, all},
		{"get", "GET", func(id string) string { return "/org-workspaces/" + id }, nil, all},
		{"create", "POST", func(string) string { return "/org-workspaces" }, "ORG", write},
		{"patch", "PATCH", func(id string) string { return "/org-workspaces/" + id }, map[string]any{"name": "n"}, write},
		{"access-token", "POST", func(id string) string { return "/org-workspaces/" + id + "/access-token" }, map[string]any{}, write},
		{"rotate-secret", "POST", func(id string) string { return "/org-workspaces/" + id + "/rotate-secret" }, nil, manage},
		{"archive", "DELETE", func(id string) string { return "/org-workspaces/" + id }, nil, manage},
		{"restore", "POST", func(id string) string { return "/org-workspaces/" + id + "/restore" }, nil, manage},
	}
	for _, role := range []fake.Role{fake.RoleAdmin, fake.RoleMember, fake.RoleReadOnly} {
		for _, o := range ops {
			t.Run(string(role)+"/"+o.name, func(t *testing.T) {
				t.Parallel()
				srv, admin := newFake(t)
				id := admin.createWorkspace("Acme")["id"].(string)
				c := admin.as(srv.AddMember(srv.OrgID(), role))
				body := o.body
				if body == "ORG" {
					body = map[string]any{"orgId": srv.OrgID()}
				}
				if o.allow[role] {
					c.ok(o.method, o.path(id), body)
				} else {
					c.fails(http.StatusForbidden, "access_denied", o.method, o.path(id), body)
					ws := admin.ok("GET", "/org-workspaces/"+id, nil)
					assert.Equal(t, "Acme", ws["name"], "a refused call changes nothing")
					assert.NotContains(t, ws, "archivedAt")
				}
			})
		}
	}
}

// TestOrgIsolation: another org's workspaces answer 404, exactly as if they did not exist.
func TestOrgIsolation(t *testing.T) {
	t.Parallel()
	srv, admin := newFake(t)
	id := admin.createWorkspace("Mine")["id"].(string)
	otherOrg := srv.AddOrg("Other")
	outsider := admin.as(srv.AddMember(otherOrg, fake.RoleAdmin))
	missing := "0123456789abcdef01234567"
	for _, wsID := range []string{id, missing} {
		for _, c := range []struct{ method, path string }{
			{"GET", "/org-workspaces/" + wsID},
			{"PATCH", "/org-workspaces/" + wsID},
			{"DELETE", "/org-workspaces/" + wsID},
			{"POST", "/org-workspaces/" + wsID + "/restore"},
			{"POST", "/org-workspaces/" + wsID + "/rotate-secret"},
			{"POST", "/org-workspaces/" + wsID + "/access-token"},
		} {
			r := outsider.fails(http.StatusNotFound, "not_found", c.method, c.path, map[string]any{})
			assert.NotContains(t, string(r.Raw), "Mine")
		}
	}
	outsider.fails(http.StatusNotFound, "not_found", "GET", "/org-workspaces?orgId="+srv.OrgID(), nil)
	outsider.fails(http.StatusNotFound, "not_found", "POST", "/org-workspaces", map[string]any{"orgId": srv.OrgID()})
	outsider.fails(http.StatusNotFound, "not_found", "GET", "/membrane-instances?orgId="+srv.OrgID(), nil)

	own := outsider.ok("POST", "/org-workspaces", map[string]any{"orgId": otherOrg, "name": "Theirs"})
	assert.Len(t, outsider.ok("GET", "/org-workspaces", nil)["items"], 1, "a member of one org lists it without naming it")
	admin.fails(http.StatusNotFound, "not_found", "GET", "/org-workspaces/"+own["id"].(string), nil)
	assert.Len(t, admin.ok("GET", "/org-workspaces", nil)["items"], 1)
}

func TestPlatformAuthentication(t *testing.T) {
	t.Parallel()
	srv, admin := newFake(t)
	id := admin.createWorkspace("Acme")["id"].(string)
	wsToken := admin.mint(id, map[string]any{"isAdmin": true})
	for _, tok := range []string{"", "pat-unknown", "garbage", wsToken} {
		c := admin.as(tok)
		c.fails(http.StatusUnauthorized, "not_authenticated", "GET", "/org-workspaces", nil)
		c.fails(http.StatusUnauthorized, "not_authenticated", "GET", "/org-workspaces/"+id, nil)
		c.fails(http.StatusUnauthorized, "not_authenticated", "POST", "/org-workspaces", map[string]any{"orgId": srv.OrgID()})
	}
	r := admin.as("Basic abc").do("GET", "/org-workspaces", nil, "Authorization", "Basic abc")
	assert.Equal(t, http.StatusUnauthorized, r.Status)
}

func TestMemberOfSeveralOrgsMustNameTheOrg(t *testing.T) {
	t.Parallel()
	srv, admin := newFake(t)
	// The admin token belongs to one org; a token made for a second org belongs to that one only.
	assert.Len(t, admin.ok("GET", "/org-workspaces", nil)["items"], 0)
	second := srv.AddOrg("Second")
	c := admin.as(srv.AddMember(second, fake.RoleReadOnly))
	assert.Len(t, c.ok("GET", "/org-workspaces", nil)["items"], 0)
	assert.Len(t, c.ok("GET", "/org-workspaces?orgId="+second, nil)["items"], 0)
}
