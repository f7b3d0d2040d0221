package fake_test

import (
	"net/http"
	"testing"

	"github.com/membrane-community/membrane-go/fake"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A PATCH, PUT or DELETE with an Idempotency-Key is kept as a POST is: a repeat is answered with
// the first answer even after another change, and the key with another request is refused.
func TestChangesHonourTheIdempotencyKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// setup makes the object and returns the caller, the path of the change and a way to
		// change the object between the two attempts.
		setup func(t *testing.T) (c caller, path string, between func())
		// method and body of the change, and another body for the same key.
		method      string
		body, other any
		// check reads the object after the repeat and says whether the change was done twice.
		check func(t *testing.T, c caller, path string)
	}{
		{
			name: "hub PATCH across an archive",
			setup: func(t *testing.T) (caller, string, func()) {
				_, c := newFake(t)
				c = tkAt(t, c)
				path := "/org-workspaces/" + c.createWorkspace("Before")["id"].(string)
				return c, path, func() { c.ok("DELETE", path, nil) }
			},
			method: "PATCH", body: map[string]any{"name": "After"}, other: map[string]any{"name": "Other"},
			check: func(t *testing.T, c caller, path string) {
				got := c.ok("GET", path, nil)
				assert.Equal(t, "After", got["name"])
				assert.NotNil(t, got["archivedAt"], "the archive in between stays")
			},
		},
		{
			name: "hub DELETE across a restore",
			setup: func(t *testing.T) (caller, string, func()) {
				_, c := newFake(t)
				c = tkAt(t, c)
				path := "/org-workspaces/" + c.createWorkspace("Once")["id"].(string)
				return c, path, func() { c.ok("POST", path+"/restore", nil) }
			},
			method: "DELETE",
			check: func(t *testing.T, c caller, path string) {
				assert.Nil(t, c.ok("GET", path, nil)["archivedAt"], "the repeat does not archive again")
			},
		},
		{
			name: "instance PATCH across an archive",
			setup: func(t *testing.T) (caller, string, func()) {
				admin, _, _ := cuSetup(t)
				admin = tkAt(t, admin)
				path := "/customers/" + cuCreate(t, admin, "Before", "c-1")["id"].(string)
				return admin, path, func() { admin.ok("DELETE", path, nil) }
			},
			method: "PATCH", body: map[string]any{"name": "After"}, other: map[string]any{"name": "Other"},
			check: func(t *testing.T, c caller, path string) {
				got := c.ok("GET", path, nil)
				assert.Equal(t, "After", got["name"])
				assert.NotNil(t, got["archivedAt"], "the archive in between stays")
			},
		},
		{
			name: "instance PUT across a PATCH",
			setup: func(t *testing.T) (caller, string, func()) {
				admin, _, _ := cuSetup(t)
				admin = tkAt(t, admin)
				path := "/customers/" + cuCreate(t, admin, "Before", "c-1")["id"].(string)
				return admin, path, func() { admin.ok("PATCH", path, map[string]any{"name": "Between"}) }
			},
			method: "PUT", body: map[string]any{"name": "After"}, other: map[string]any{"name": "Other"},
			check: func(t *testing.T, c caller, path string) {
				assert.Equal(t, "Between", c.ok("GET", path, nil)["name"], "the repeat does not replace again")
			},
		},
		{
			name: "instance DELETE across a restore",
			setup: func(t *testing.T) (caller, string, func()) {
				admin, _, _ := cuSetup(t)
				admin = tkAt(t, admin)
				path := "/customers/" + cuCreate(t, admin, "Once", "c-1")["id"].(string)
				return admin, path, func() { admin.ok("POST", path+"/restore", nil) }
			},
			method: "DELETE",
			check: func(t *testing.T, c caller, path string) {
				assert.Nil(t, c.ok("GET", path, nil)["archivedAt"], "the repeat does not archive again")
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, path, between := tt.setup(t)
			first := c.do(tt.method, path, tt.body, "Idempotency-Key", "change-1")
			require.Equal(t, http.StatusOK, first.Status, "%s", first.Raw)
			between()

			again := c.do(tt.method, path, tt.body, "Idempotency-Key", "change-1")
			require.Equal(t, http.StatusOK, again.Status, "the repeat is the first answer: %s", again.Raw)
			assert.Equal(t, string(first.Raw), string(again.Raw))
			assert.Equal(t, "true", again.Header.Get("Idempotent-Replayed"))
			tt.check(t, c, path)

			// The key with another request is refused, and changes nothing.
			if tt.other != nil {
				c.fails(http.StatusBadRequest, "idempotency_key_reused", tt.method, path, tt.other, "Idempotency-Key", "change-1")
			}
			c.fails(http.StatusBadRequest, "idempotency_key_reused", "POST", path+"/restore", nil, "Idempotency-Key", "change-1")
			tt.check(t, c, path)
		})
	}
}

// The key of a PATCH belongs to its caller: another member's PATCH with it is a change of its own.
func TestChangeKeysBelongToTheirCaller(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t)
	path := "/org-workspaces/" + c.createWorkspace("Before")["id"].(string)
	c.ok("PATCH", path, map[string]any{"name": "Mine"}, "Idempotency-Key", "k")
	member := c.as(srv.AddMember(srv.OrgID(), fake.RoleMember))
	theirs := member.do("PATCH", path, map[string]any{"name": "Theirs"}, "Idempotency-Key", "k")
	require.Equal(t, http.StatusOK, theirs.Status, "%s", theirs.Raw)
	assert.Empty(t, theirs.Header.Get("Idempotent-Replayed"))
	assert.Equal(t, "Theirs", c.ok("GET", path, nil)["name"])
}
