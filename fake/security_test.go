package fake_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/membrane-community/membrane-go/fake"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSecretGracePeriod(t *testing.T) {
	t.Parallel()
	clock := newTkClock()
	srv, c := newFake(t, fake.WithClock(clock.Now), fake.WithSecretGracePeriod(10*time.Minute), fake.WithInstances("eu"))
	for _, instance := range []string{"", "eu"} {
		ws := c.ok("POST", "/org-workspaces", map[string]any{"orgId": srv.OrgID(), "membraneInstanceId": instance})
		path := "/org-workspaces/" + ws["id"].(string)
		old := c.mint(ws["id"].(string), map[string]any{"isAdmin": true})
		c.ok("POST", path+"/rotate-secret", nil)
		fresh := c.mint(ws["id"].(string), map[string]any{"isAdmin": true})

		c.as(old).ok("GET", "/customers", nil)
		c.as(fresh).ok("GET", "/customers", nil)
		clock.Advance(9 * time.Minute)
		c.as(old).ok("GET", "/customers", nil)
		clock.Advance(2 * time.Minute)
		c.as(old).fails(http.StatusUnauthorized, "not_authenticated", "GET", "/customers", nil)
		c.as(fresh).ok("GET", "/customers", nil)

		// A second rotation ends the first one's grace: only the latest old secret is kept.
		c.ok("POST", path+"/rotate-secret", nil)
		c.as(fresh).ok("GET", "/customers", nil)
		c.as(old).fails(http.StatusUnauthorized, "not_authenticated", "GET", "/customers", nil)
	}
}

func TestNoGracePeriodByDefault(t *testing.T) {
	t.Parallel()
	_, c := newFake(t)
	ws := c.createWorkspace("Acme")
	old := c.mint(ws["id"].(string), map[string]any{"isAdmin": true})
	c.ok("POST", "/org-workspaces/"+ws["id"].(string)+"/rotate-secret", nil)
	c.as(old).fails(http.StatusUnauthorized, "not_authenticated", "GET", "/customers", nil)
	_, err := fake.New(fake.WithSecretGracePeriod(-time.Second))
	assert.Error(t, err)
}

func TestExpiredPlatformToken(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t)
	tok := srv.AddMember(srv.OrgID(), fake.RoleAdmin)
	c.as(tok).ok("GET", "/org-workspaces", nil)
	require.True(t, srv.ExpireToken(tok))
	r := c.as(tok).fails(http.StatusUnauthorized, "not_authenticated", "GET", "/org-workspaces", nil)
	assert.Contains(t, r.Body["message"], "expired")
	assert.False(t, srv.ExpireToken("pat-unknown"))
	c.ok("GET", "/org-workspaces", nil) // the admin token is untouched
}

func TestOversizedTokenIsRefusedEarly(t *testing.T) {
	t.Parallel()
	_, c := newFake(t)
	big := "eyJhbGciOiJIUzI1NiJ9." + strings.Repeat("A", 64<<10) + ".sig"
	r := c.as(big).fails(http.StatusUnauthorized, "not_authenticated", "GET", "/customers", nil)
	assert.Contains(t, r.Body["message"], "too large")
	assert.NotContains(t, string(r.Raw), "AAAA", "the token is not repeated")
}

func TestDeeplyNestedJSONIsRefusedCleanly(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t)
	for _, body := range []string{
		`{"orgId": "` + srv.OrgID() + `", "name": ` + strings.Repeat("[", 200000) + strings.Repeat("]", 200000) + `}`,
		strings.Repeat(`{"a":`, 100000) + "1" + strings.Repeat("}", 100000),
	} {
		r := c.fails(http.StatusBadRequest, "", "POST", "/org-workspaces", body)
		assert.Less(t, len(r.Raw), 1000, "the answer does not echo the input")
	}
	assert.Empty(t, c.ok("GET", "/org-workspaces", nil)["items"])
}

func TestHeaderSizeIsBounded(t *testing.T) {
	t.Parallel()
	srv := fake.NewServer(t)
	req, err := http.NewRequest("GET", srv.URL()+"/org-workspaces?x="+strings.Repeat("a", 100<<10), nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+srv.AdminToken())
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusRequestHeaderFieldsTooLarge, resp.StatusCode)
}
