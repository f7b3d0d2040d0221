package membrane_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	membrane "github.com/membrane-community/membrane-go"
	"github.com/membrane-community/membrane-go/fake"
)

// The columns of the role table.
const (
	permRead   = "read"   // list, get
	permWrite  = "write"  // create, update, access-token
	permManage = "manage" // rotate-secret, archive, restore
)

// roleMay is the role table of the API contract.
var roleMay = map[fake.Role][]string{
	fake.RoleAdmin:    {permRead, permWrite, permManage},
	fake.RoleMember:   {permRead, permWrite},
	fake.RoleReadOnly: {permRead},
}

// orgOperation is one org workspace operation of the role table. run makes the call as c on ws,
// and, when it succeeds, checks its outcome.
type orgOperation struct {
	name     string
	perm     string
	archived bool // start from an archived workspace
	run      func(t *testing.T, e *fakeEnv, c *membrane.Client, ws *membrane.OrgWorkspace) error
}

var orgOperations = []orgOperation{
	{name: "list", perm: permRead, run: func(t *testing.T, e *fakeEnv, c *membrane.Client, ws *membrane.OrgWorkspace) error {
		page, err := c.OrgWorkspaces.List(t.Context(), &membrane.ListOrgWorkspacesOptions{OrgID: e.srv.OrgID()})
		if err == nil {
			assert.Equal(t, []*membrane.OrgWorkspace{ws}, page.Items)
		}
		return err
	}},
	{name: "get", perm: permRead, run: func(t *testing.T, _ *fakeEnv, c *membrane.Client, ws *membrane.OrgWorkspace) error {
		got, err := c.OrgWorkspaces.Get(t.Context(), ws.ID)
		if err == nil {
			assert.Equal(t, ws, got)
		}
		return err
	}},
	{name: "instances", perm: permRead, run: func(t *testing.T, e *fakeEnv, c *membrane.Client, _ *membrane.OrgWorkspace) error {
		instances, err := c.Instances.List(t.Context(), e.srv.OrgID())
		if err == nil {
			assert.Len(t, instances, 1)
		}
		return err
	}},
	{name: "create", perm: permWrite, run: func(t *testing.T, e *fakeEnv, c *membrane.Client, ws *membrane.OrgWorkspace) error {
		created, err := c.OrgWorkspaces.Create(t.Context(), &membrane.CreateOrgWorkspaceRequest{OrgID: e.srv.OrgID(), Name: "by role"})
		if err == nil {
			assert.Equal(t, []string{ws.ID, created.ID}, e.workspaceIDs(t))
		}
		return err
	}},
	{name: "update", perm: permWrite, run: func(t *testing.T, e *fakeEnv, c *membrane.Client, ws *membrane.OrgWorkspace) error {
		_, err := c.OrgWorkspaces.Update(t.Context(), ws.ID, &membrane.UpdateOrgWorkspaceRequest{Name: membrane.Set("by role")})
		if err == nil {
			assert.Equal(t, "by role", e.getWorkspace(t, ws.ID).Name)
		}
		return err
	}},
	{name: "access token", perm: permWrite, run: func(t *testing.T, e *fakeEnv, c *membrane.Client, ws *membrane.OrgWorkspace) error {
		tok, err := c.OrgWorkspaces.AccessToken(t.Context(), ws.ID, nil)
		if err == nil {
			_, listErr := e.workspaceClient(t, membrane.WithToken(tok)).Customers.List(t.Context(), nil)
			assert.NoError(t, listErr, "the token works")
		}
		return err
	}},
	{name: "rotate secret", perm: permManage, run: func(t *testing.T, e *fakeEnv, c *membrane.Client, ws *membrane.OrgWorkspace) error {
		secret, err := c.OrgWorkspaces.RotateSecret(t.Context(), ws.ID)
		if err == nil {
			assert.Equal(t, secret.Reveal(), e.getWorkspace(t, ws.ID).Secret.Reveal())
		}
		return err
	}},
	{name: "archive", perm: permManage, run: func(t *testing.T, e *fakeEnv, c *membrane.Client, ws *membrane.OrgWorkspace) error {
		_, err := c.OrgWorkspaces.Archive(t.Context(), ws.ID)
		if err == nil {
			assert.NotNil(t, e.getWorkspace(t, ws.ID).ArchivedAt)
		}
		return err
	}},
	{name: "restore", perm: permManage, archived: true, run: func(t *testing.T, e *fakeEnv, c *membrane.Client, ws *membrane.OrgWorkspace) error {
		_, err := c.OrgWorkspaces.Restore(t.Context(), ws.ID)
		if err == nil {
			assert.Nil(t, e.getWorkspace(t, ws.ID).ArchivedAt)
		}
		return err
	}},
}

// prepareWorkspace creates the workspace an operation starts from.
func prepareWorkspace(t *testing.T, e *fakeEnv, archived bool) *membrane.OrgWorkspace {
	t.Helper()
	ws := e.createWorkspace(t, "role table")
	if !archived {
		return ws
	}
	ws, err := e.admin.OrgWorkspaces.Archive(t.Context(), ws.ID)
	require.NoError(t, err)
	return ws
}

func TestFakeRoleTable(t *testing.T) {
	t.Parallel()
	for _, role := range []fake.Role{fake.RoleAdmin, fake.RoleMember, fake.RoleReadOnly} {
		for _, op := range orgOperations {
			allowed := false
			for _, p := range roleMay[role] {
				allowed = allowed || p == op.perm
			}
			t.Run(fmt.Sprintf("%s/%s", role, op.name), func(t *testing.T) {
				t.Parallel()
				e := newFakeEnv(t)
				ws := prepareWorkspace(t, e, op.archived)
				c := e.platformClient(t, e.srv.AddMember(e.srv.OrgID(), role))

				err := op.run(t, e, c, ws)
				if allowed {
					require.NoError(t, err)
					return
				}
				require.ErrorIs(t, err, membrane.ErrAccessDenied)
				assert.Equal(t, ws, e.getWorkspace(t, ws.ID), "a refused operation changes nothing")
				assert.Equal(t, []string{ws.ID}, e.workspaceIDs(t))
			})
		}
	}
}

// TestFakeOtherOrgSeesNotFound checks that an admin of another org cannot tell the default org's
// workspace from one that does not exist.
func TestFakeOtherOrgSeesNotFound(t *testing.T) {
	t.Parallel()
	calls := []struct {
		name string
		call func(t *testing.T, c *membrane.Client, id string) error
	}{
		{"get", func(t *testing.T, c *membrane.Client, id string) error {
			_, err := c.OrgWorkspaces.Get(t.Context(), id)
			return err
		}},
		{"update", func(t *testing.T, c *membrane.Client, id string) error {
			_, err := c.OrgWorkspaces.Update(t.Context(), id, &membrane.UpdateOrgWorkspaceRequest{Name: membrane.Set("taken over")})
			return err
		}},
		{"archive", func(t *testing.T, c *membrane.Client, id string) error {
			_, err := c.OrgWorkspaces.Archive(t.Context(), id)
			return err
		}},
		{"restore", func(t *testing.T, c *membrane.Client, id string) error {
			_, err := c.OrgWorkspaces.Restore(t.Context(), id)
			return err
		}},
		{"access token", func(t *testing.T, c *membrane.Client, id string) error {
			_, err := c.OrgWorkspaces.AccessToken(t.Context(), id, nil)
			return err
		}},
		{"rotate secret", func(t *testing.T, c *membrane.Client, id string) error {
			_, err := c.OrgWorkspaces.RotateSecret(t.Context(), id)
			return err
		}},
	}
	for _, tc := range calls {
		for _, archived := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/archived=%t", tc.name, archived), func(t *testing.T) {
				t.Parallel()
				e := newFakeEnv(t)
				ws := prepareWorkspace(t, e, archived)
				other := e.platformClient(t, e.srv.AddMember(e.srv.AddOrg("Other"), fake.RoleAdmin))

				err := tc.call(t, other, ws.ID)
				require.ErrorIs(t, err, membrane.ErrNotFound)
				assert.NotErrorIs(t, err, membrane.ErrAccessDenied)
				assert.Equal(t, ws, e.getWorkspace(t, ws.ID), "nothing changed")
			})
		}
	}
}

func TestFakeOtherOrgListsOnlyItsOwn(t *testing.T) {
	t.Parallel()
	e := newFakeEnv(t)
	ours := e.createWorkspace(t, "ours")
	otherOrg := e.srv.AddOrg("Other")
	other := e.platformClient(t, e.srv.AddMember(otherOrg, fake.RoleMember))
	theirs, err := other.OrgWorkspaces.Create(t.Context(), &membrane.CreateOrgWorkspaceRequest{OrgID: otherOrg, Name: "theirs"})
	require.NoError(t, err)

	page, err := other.OrgWorkspaces.List(t.Context(), nil)
	require.NoError(t, err)
	assert.Equal(t, []*membrane.OrgWorkspace{theirs}, page.Items, "without orgId, the member's only org")
	page, err = other.OrgWorkspaces.List(t.Context(), &membrane.ListOrgWorkspacesOptions{OrgID: otherOrg, IncludeArchived: true})
	require.NoError(t, err)
	assert.Equal(t, []*membrane.OrgWorkspace{theirs}, page.Items)

	_, err = other.OrgWorkspaces.List(t.Context(), &membrane.ListOrgWorkspacesOptions{OrgID: e.srv.OrgID()})
	require.ErrorIs(t, err, membrane.ErrNotFound, "another org's list is hidden")
	_, err = other.OrgWorkspaces.Create(t.Context(), &membrane.CreateOrgWorkspaceRequest{OrgID: e.srv.OrgID(), Name: "intruder"})
	require.ErrorIs(t, err, membrane.ErrNotFound)
	_, err = other.Instances.List(t.Context(), e.srv.OrgID())
	require.ErrorIs(t, err, membrane.ErrNotFound)

	assert.Equal(t, []string{ours.ID}, e.workspaceIDs(t), "the default org still holds only its own")
}
