package fake_test

import (
	"encoding/json"
	"net/http"
	"strings"
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

// Two Idempotency-Key headers on one change are a 400 that names the header, and nothing runs;
// a request that ignores the key (a GET) is served. In process and over a socket.
func TestTwoIdempotencyKeysAreRefused(t *testing.T) {
	t.Parallel()
	for _, socket := range []bool{false, true} {
		t.Run(map[bool]string{false: "in process", true: "socket"}[socket], func(t *testing.T) {
			t.Parallel()
			srv, c := newFake(t)
			if socket {
				srv = fake.NewServer(t)
				c = newCaller(t, srv, srv.AdminToken()).overSocket()
			}
			hc := srv.HTTPClient()
			if socket {
				hc = c.http
			}
			ws := c.createWorkspace("Keep")
			wsPath := "/org-workspaces/" + ws["id"].(string)
			tok := c.mint(ws["id"].(string), map[string]any{"isAdmin": true})
			send := func(method, path, token, body string) (int, map[string]any) {
				t.Helper()
				req, err := http.NewRequest(method, srv.URL()+path, strings.NewReader(body))
				require.NoError(t, err)
				req.Header.Set("Authorization", "Bearer "+token)
				req.Header.Add("Idempotency-Key", "k-1")
				req.Header.Add("Idempotency-Key", "k-2")
				resp, err := hc.Do(req)
				require.NoError(t, err)
				defer resp.Body.Close()
				var out map[string]any
				_ = json.NewDecoder(resp.Body).Decode(&out)
				return resp.StatusCode, out
			}
			for _, tc := range []struct {
				name, method, path, token, body string
			}{
				{"hub POST", "POST", "/org-workspaces", srv.AdminToken(), `{"orgId":"` + srv.OrgID() + `","name":"Twice"}`},
				{"hub PATCH", "PATCH", wsPath, srv.AdminToken(), `{"name":"Changed"}`},
				{"hub DELETE", "DELETE", wsPath, srv.AdminToken(), ``},
				{"instance POST", "POST", "/customers", tok, `{"name":"c","internalId":"c-1"}`},
			} {
				status, body := send(tc.method, tc.path, tc.token, tc.body)
				assert.Equal(t, http.StatusBadRequest, status, tc.name)
				assert.Equal(t, "bad_request", body["type"], tc.name)
				assert.Contains(t, body["message"], "Idempotency-Key", tc.name)
			}
			assert.Len(t, c.ok("GET", "/org-workspaces", nil)["items"], 1, "no workspace was made")
			got := c.ok("GET", wsPath, nil)
			assert.Equal(t, "Keep", got["name"], "nothing was changed")
			assert.Nil(t, got["archivedAt"], "nothing was archived")
			assert.Empty(t, c.as(tok).ok("GET", "/customers", nil)["items"], "no customer was made")

			status, _ := send("GET", "/org-workspaces", srv.AdminToken(), "")
			assert.Equal(t, http.StatusOK, status, "a GET ignores the key")
		})
	}
}

// A reset forgets the answers kept for replay: the same keyed create makes a new workspace. A
// reset of one org keeps them, as it keeps every other org's: a repeat answers as the first
// time, the workspace it names gone.
func TestResetForgetsTheKeys(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t)
	body := map[string]any{"orgId": srv.OrgID(), "name": "Keyed"}
	first := c.do("POST", "/org-workspaces", body, "Idempotency-Key", "create-1")
	require.Equal(t, http.StatusOK, first.Status, "%s", first.Raw)

	require.NoError(t, srv.ResetOrg(t.Context(), srv.OrgID()))
	again := c.do("POST", "/org-workspaces", body, "Idempotency-Key", "create-1")
	assert.Equal(t, "true", again.Header.Get("Idempotent-Replayed"))
	assert.Equal(t, string(first.Raw), string(again.Raw))

	require.NoError(t, srv.Reset(t.Context()))
	fresh := c.do("POST", "/org-workspaces", body, "Idempotency-Key", "create-1")
	require.Equal(t, http.StatusOK, fresh.Status, "%s", fresh.Raw)
	assert.Empty(t, fresh.Header.Get("Idempotent-Replayed"))
	assert.NotEqual(t, first.Body["id"], fresh.Body["id"])
	assert.Len(t, c.ok("GET", "/org-workspaces", nil)["items"], 1)
}

// An Idempotency-Key holds at most 255 characters: a valid create under a longer one is a 400
// that makes nothing.
func TestIdempotencyKeyLength(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t)
	body := map[string]any{"orgId": srv.OrgID(), "name": "Keyed"}
	c.fails(http.StatusBadRequest, "", "POST", "/org-workspaces", body, "Idempotency-Key", strings.Repeat("k", 256))
	assert.Empty(t, c.ok("GET", "/org-workspaces", nil)["items"], "the refused create made nothing")
	c.ok("POST", "/org-workspaces", body, "Idempotency-Key", strings.Repeat("k", 255))
	assert.Len(t, c.ok("GET", "/org-workspaces", nil)["items"], 1)
}
