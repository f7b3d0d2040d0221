package fake_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/membrane-community/membrane-go/fake"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A lost answer between hub and instance leaves nothing half-applied: the hub answers 502 and
// sets the instance back to what the hub holds.
func TestLostEngineAnswersAreRepaired(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t, fake.WithInstances("eu"))
	ws := c.ok("POST", "/org-workspaces", map[string]any{"orgId": srv.OrgID(), "membraneInstanceId": "eu"})
	id, key := ws["id"].(string), ws["key"].(string)
	path := "/org-workspaces/" + id
	tok := c.mint(id, map[string]any{"isAdmin": true})
	onEU := func() map[string]any { return engine(t, srv, "eu", "GET", "/workspaces/"+key, nil).Body }

	calls := []struct {
		name         string
		method, path string
		body         any
	}{
		{"patch", "PATCH", path, map[string]any{"webhookUri": "https://lost.example", "settings": map[string]any{"enableApiLogs": true}}},
		{"rotate", "POST", path + "/rotate-secret", nil},
		{"archive", "DELETE", path, nil},
	}
	for _, call := range calls {
		addFault(t, srv, fake.Fault{Instance: "eu", Method: "PATCH", Path: "/workspaces/*", DropAnswer: true, Times: 1})
		r := c.fails(http.StatusBadGateway, "", call.method, call.path, call.body)
		assert.Equal(t, "dependency_error", r.Body["type"], call.name)
		assert.Equal(t, ws["webhookUri"], c.ok("GET", path, nil)["webhookUri"], call.name)
		state := onEU()
		assert.NotContains(t, state, "webhookUri", call.name)
		assert.NotContains(t, state, "archivedAt", call.name)
		assert.Equal(t, map[string]any{}, state["settings"], call.name)
		c.as(tok).ok("GET", "/customers", nil) // the secret is the old one on both sides
	}
	require.NoError(t, srv.Settle(context.Background()))

	// The same calls succeed afterwards, and both sides agree.
	c.ok("PATCH", path, map[string]any{"webhookUri": "https://ok.example"})
	assert.Equal(t, "https://ok.example", onEU()["webhookUri"])
	c.ok("POST", path+"/rotate-secret", nil)
	c.as(tok).fails(http.StatusUnauthorized, "not_authenticated", "GET", "/customers", nil)
}

func TestRepairWaitsForTheInstance(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		srv, c := newFake(t, fake.WithInstances("eu"))
		ws := c.ok("POST", "/org-workspaces", map[string]any{"orgId": srv.OrgID(), "membraneInstanceId": "eu"})
		path, key := "/org-workspaces/"+ws["id"].(string), ws["key"].(string)

		// The update lands, its answer is lost, and the instance is unreachable for the repair.
		addFault(t, srv, fake.Fault{Instance: "eu", Method: "PATCH", Path: "/workspaces/*", DropAnswer: true, Times: 1})
		addFault(t, srv, fake.Fault{Instance: "eu", Method: "PATCH", Path: "/workspaces/*", Reset: true, Times: 1})
		c.fails(http.StatusBadGateway, "", "PATCH", path, map[string]any{"webhookUri": "https://lost.example"})
		assert.Equal(t, "https://lost.example", engine(t, srv, "eu", "GET", "/workspaces/"+key, nil).Body["webhookUri"],
			"the instance still holds the lost update")

		srv.Instance("eu").Stop()
		assert.Error(t, srv.Settle(context.Background()), "an unreachable instance cannot be repaired yet")
		c.fails(http.StatusBadGateway, "", "PATCH", path, map[string]any{"name": "x"})
		require.NoError(t, srv.Instance("eu").Start())

		// The next change repairs first, then applies.
		got := c.ok("PATCH", path, map[string]any{"name": "renamed"})
		assert.Equal(t, "renamed", got["name"])
		assert.NotContains(t, got, "webhookUri")
		assert.NotContains(t, engine(t, srv, "eu", "GET", "/workspaces/"+key, nil).Body, "webhookUri")
		assert.NoError(t, srv.Settle(context.Background()))
	})
}

// A GET of a workspace awaiting repair makes the repair first: once it answers, the instance
// holds what it answered. While the instance is down, it answers the hub's state, as a list
// does (a list makes no repair).
func TestReadRepairsFirst(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		srv, c := newFake(t, fake.WithInstances("eu"))
		ws := c.ok("POST", "/org-workspaces", map[string]any{"orgId": srv.OrgID(), "membraneInstanceId": "eu"})
		path, key := "/org-workspaces/"+ws["id"].(string), ws["key"].(string)
		onEU := func() map[string]any { return engine(t, srv, "eu", "GET", "/workspaces/"+key, nil).Body }

		addFault(t, srv, fake.Fault{Instance: "eu", Method: "PATCH", Path: "/workspaces/*", DropAnswer: true, Times: 1})
		addFault(t, srv, fake.Fault{Instance: "eu", Method: "PATCH", Path: "/workspaces/*", Reset: true, Times: 1})
		c.fails(http.StatusBadGateway, "", "DELETE", path, nil)
		require.NotNil(t, onEU()["archivedAt"], "the instance holds the archive whose answer was lost")

		// The first GET repairs the instance, then answers.
		assert.NotContains(t, c.ok("GET", path, nil), "archivedAt")
		assert.NotContains(t, onEU(), "archivedAt", "the GET repaired the instance")

		// With the instance down, a GET and a list answer the hub's state.
		addFault(t, srv, fake.Fault{Instance: "eu", Method: "PATCH", Path: "/workspaces/*", DropAnswer: true, Times: 1})
		addFault(t, srv, fake.Fault{Instance: "eu", Method: "PATCH", Path: "/workspaces/*", Reset: true, Times: 1})
		c.fails(http.StatusBadGateway, "", "DELETE", path, nil)
		srv.Instance("eu").Stop()
		assert.NotContains(t, c.ok("GET", path, nil), "archivedAt")
		items := c.ok("GET", "/org-workspaces", nil)["items"].([]any)
		require.Len(t, items, 1)
		assert.NotContains(t, items[0], "archivedAt")
		require.NoError(t, srv.Instance("eu").Start())
		assert.NotContains(t, c.ok("GET", path, nil), "archivedAt")
		assert.NotContains(t, onEU(), "archivedAt")
	})
}

func TestLostCreateLeavesNoOrphan(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t, fake.WithInstances("eu"))
	addFault(t, srv, fake.Fault{Instance: "eu", Method: "POST", Path: "/workspaces", DropAnswer: true, Times: 1})
	addFault(t, srv, fake.Fault{Instance: "eu", Method: "DELETE", Reset: true, Times: 1})
	c.fails(http.StatusBadGateway, "", "POST", "/org-workspaces", map[string]any{"orgId": srv.OrgID(), "membraneInstanceId": "eu"})
	assert.Empty(t, c.ok("GET", "/org-workspaces", nil)["items"])

	var created string
	for _, e := range srv.Journal() {
		if e.Instance == "eu" && e.Method == "POST" && e.Path == "/workspaces" {
			created = e.RequestID
		}
	}
	require.NotEmpty(t, created, "the create reached eu")
	require.NoError(t, srv.Settle(context.Background()))
	deletes := 0
	for _, e := range srv.Journal() {
		if e.Instance == "eu" && e.Method == "DELETE" && e.Status == 200 {
			deletes++
		}
	}
	assert.Equal(t, 1, deletes, "the orphan was removed from eu")
	c.ok("POST", "/org-workspaces", map[string]any{"orgId": srv.OrgID(), "membraneInstanceId": "eu"})
}

// After a 502 the hub repairs the instance on its own, in the background, soon after the
// instance answers again: a lost archive does not leave the instance refusing the workspace's
// tokens, and a lost rotation does not leave it refusing the secret the hub reports.
func TestInstanceIsRepairedInTheBackground(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, method, path string
	}{
		{"archive", "DELETE", ""},
		{"rotate", "POST", "/rotate-secret"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				srv, c := newFake(t, fake.WithInstances("eu"))
				eu := srv.Instance("eu")
				ws := c.ok("POST", "/org-workspaces", map[string]any{"orgId": srv.OrgID(), "membraneInstanceId": "eu"})
				id, key := ws["id"].(string), ws["key"].(string)
				tok := c.mint(id, map[string]any{"isAdmin": true})

				// The change lands and its answer is lost; the immediate repair fails too, and
				// the instance goes down for a while.
				addFault(t, srv, fake.Fault{Instance: "eu", Method: "PATCH", Path: "/workspaces/*", DropAnswer: true, Times: 1})
				addFault(t, srv, fake.Fault{Instance: "eu", Method: "PATCH", Path: "/workspaces/*", Reset: true, Times: 1})
				c.fails(http.StatusBadGateway, "", tc.method, "/org-workspaces/"+id+tc.path, nil)
				c.as(tok).at(eu.URL()).fails(http.StatusUnauthorized, "not_authenticated", "GET", "/customers", nil)
				eu.Stop()
				time.Sleep(time.Minute)
				assert.Nil(t, c.ok("GET", "/org-workspaces/"+id, nil)["archivedAt"], "the hub's state is unchanged")

				require.NoError(t, eu.Start())
				time.Sleep(2 * time.Second)
				assert.Nil(t, engine(t, srv, "eu", "GET", "/workspaces/"+key, nil).Body["archivedAt"])
				c.as(tok).at(eu.URL()).ok("GET", "/customers", nil)
				assert.Equal(t, ws["secret"], c.ok("GET", "/org-workspaces/"+id, nil)["secret"])
			})
		})
	}
}

// Workspace-token traffic through the hub reaches the instance only once the instance holds
// the hub's version of the workspace.
func TestHubRepairsBeforeForwarding(t *testing.T) {
	t.Parallel()
	for _, inst := range []string{"eu", "hub"} {
		t.Run(inst, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				srv, c := newFake(t, fake.WithInstances("eu"))
				ws := c.ok("POST", "/org-workspaces", map[string]any{"orgId": srv.OrgID(), "membraneInstanceId": inst})
				id := ws["id"].(string)
				tok := c.mint(id, map[string]any{"isAdmin": true})
				addFault(t, srv, fake.Fault{Instance: inst, Method: "PATCH", Path: "/workspaces/*", DropAnswer: true, Times: 1})
				addFault(t, srv, fake.Fault{Instance: inst, Method: "PATCH", Path: "/workspaces/*", Reset: true, Times: 1})
				c.fails(http.StatusBadGateway, "", "DELETE", "/org-workspaces/"+id, nil)
				// No time has passed: the background repair has not run yet.
				c.as(tok).ok("GET", "/customers", nil)
			})
		})
	}
}

// While the repair a workspace is owed cannot be made, its workspace-token traffic through the
// hub is answered 502 and not forwarded, and no token is minted for it; once the instance answers
// again, both work.
func TestHubAnswers502WhileTheRepairCannotBeMade(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		srv, c := newFake(t, fake.WithInstances("eu"))
		ws := c.ok("POST", "/org-workspaces", map[string]any{"orgId": srv.OrgID(), "membraneInstanceId": "eu"})
		id := ws["id"].(string)
		tok := c.mint(id, map[string]any{"isAdmin": true})
		addFault(t, srv, fake.Fault{Instance: "eu", Method: "PATCH", Path: "/workspaces/*", DropAnswer: true, Times: 1})
		addFault(t, srv, fake.Fault{Instance: "eu", Method: "PATCH", Path: "/workspaces/*", Reset: true}) // every repair
		c.fails(http.StatusBadGateway, "", "DELETE", "/org-workspaces/"+id, nil)

		r := c.as(tok).fails(http.StatusBadGateway, "", "GET", "/customers", nil)
		assert.Equal(t, "dependency_error", r.Body["type"])
		seen, err := srv.JournalMatching(fake.JournalFilter{Path: "/customers"})
		require.NoError(t, err)
		require.NotEmpty(t, seen, "the hub journals the request it answered")
		for _, e := range seen {
			assert.NotEqual(t, "eu", e.Instance, "the request was not forwarded to the instance")
		}
		r = c.fails(http.StatusBadGateway, "", "POST", "/org-workspaces/"+id+"/access-token", map[string]any{})
		assert.Equal(t, "dependency_error", r.Body["type"])

		srv.Faults().Clear()
		c.as(tok).ok("GET", "/customers", nil)
		fresh := c.mint(id, map[string]any{"isAdmin": true})
		c.as(fresh).at(srv.Instance("eu").URL()).ok("GET", "/customers", nil)
	})
}

// A rotation's grace period survives a repair: the repair sends the previous secret and its end.
func TestRepairKeepsTheSecretGrace(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t, fake.WithInstances("eu"), fake.WithSecretGracePeriod(time.Hour))
	eu := srv.Instance("eu")
	ws := c.ok("POST", "/org-workspaces", map[string]any{"orgId": srv.OrgID(), "membraneInstanceId": "eu"})
	id := ws["id"].(string)
	old := c.mint(id, map[string]any{"isAdmin": true})
	c.ok("POST", "/org-workspaces/"+id+"/rotate-secret", nil)
	fresh := c.mint(id, map[string]any{"isAdmin": true})

	addFault(t, srv, fake.Fault{Instance: "eu", Method: "PATCH", Path: "/workspaces/*", DropAnswer: true, Times: 1})
	c.fails(http.StatusBadGateway, "", "PATCH", "/org-workspaces/"+id, map[string]any{"webhookUri": "https://lost.example"})
	require.NoError(t, srv.Settle(context.Background()))
	c.as(old).at(eu.URL()).ok("GET", "/customers", nil)
	c.as(fresh).at(eu.URL()).ok("GET", "/customers", nil)
}

// POST /_fake/settle repairs at once, and answers 502 while an instance cannot be repaired.
func TestSettleEndpoint(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		srv, c := newFake(t, fake.WithInstances("eu"))
		ws := c.ok("POST", "/org-workspaces", map[string]any{"orgId": srv.OrgID(), "membraneInstanceId": "eu"})
		id, key := ws["id"].(string), ws["key"].(string)
		addFault(t, srv, fake.Fault{Instance: "eu", Method: "PATCH", Path: "/workspaces/*", DropAnswer: true, Times: 1})
		addFault(t, srv, fake.Fault{Instance: "eu", Method: "PATCH", Path: "/workspaces/*", Reset: true, Times: 2})
		c.fails(http.StatusBadGateway, "", "PATCH", "/org-workspaces/"+id, map[string]any{"webhookUri": "https://lost.example"})
		r := c.fails(http.StatusBadGateway, "", "POST", "/_fake/settle", nil)
		assert.Equal(t, "dependency_error", r.Body["type"])
		c.as("pat-nobody").fails(http.StatusUnauthorized, "not_authenticated", "POST", "/_fake/settle", nil)
		c.ok("POST", "/_fake/settle", nil)
		assert.Nil(t, engine(t, srv, "eu", "GET", "/workspaces/"+key, nil).Body["webhookUri"])
	})
}

// A create the hub gave up on (its request was cancelled) that reaches the instance only after
// the hub removed its key there is refused: it leaves no orphan.
func TestLateCreateLeavesNoOrphan(t *testing.T) {
	t.Parallel()
	const engineToken = "engine-token-0123456789"
	inst, err := fake.NewInstance("eu", fake.WithEngineToken(engineToken))
	require.NoError(t, err)
	t.Cleanup(inst.Close)
	arrived, release, landed := make(chan struct{}), make(chan struct{}), make(chan int, 1)
	var once sync.Once
	remote := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != "POST" || r.URL.Path != "/workspaces" {
			inst.Handler().ServeHTTP(w, r)
			return
		}
		// The create is held on its way, and arrives after its sender gave up.
		body, _ := io.ReadAll(r.Body)
		once.Do(func() { close(arrived) })
		<-release
		late := r.Clone(context.WithoutCancel(r.Context()))
		late.Body = io.NopCloser(bytes.NewReader(body))
		rec := httptest.NewRecorder()
		inst.Handler().ServeHTTP(rec, late)
		landed <- rec.Code
	}))
	t.Cleanup(remote.Close)
	srv, c := newFake(t, fake.WithRemoteInstance("eu", remote.URL, engineToken))

	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-arrived; cancel() }()
	body := `{"orgId":"` + srv.OrgID() + `","membraneInstanceId":"eu"}`
	req, err := http.NewRequestWithContext(ctx, "POST", srv.URL()+"/org-workspaces", strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+srv.AdminToken())
	if resp, err := srv.HTTPClient().Do(req); err == nil {
		resp.Body.Close()
		assert.Equal(t, http.StatusBadGateway, resp.StatusCode)
	}
	close(release)
	assert.Equal(t, http.StatusConflict, <-landed, "the late create is refused")
	items := c.as(engineToken).at(remote.URL).ok("GET", "/workspaces", nil)["items"]
	assert.Empty(t, items, "no orphan on the instance")
	assert.Empty(t, c.ok("GET", "/org-workspaces", nil)["items"])
}

// After the whole state is replaced (Reset, Replace), a lost answer is still answered with a 502
// and repaired, again and again, as on a fresh server.
func TestRepairsWorkAfterTheStateIsReplaced(t *testing.T) {
	t.Parallel()
	replacers := map[string]func(t *testing.T, srv *fake.Server){
		"Reset": func(t *testing.T, srv *fake.Server) { require.NoError(t, srv.Reset(t.Context())) },
		"Replace": func(t *testing.T, srv *fake.Server) {
			snap, err := srv.Snapshot(t.Context())
			require.NoError(t, err)
			require.NoError(t, srv.Replace(t.Context(), snap))
		},
	}
	for name, replace := range replacers {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv, c := newFake(t, fake.WithInstances("eu"))
			replace(t, srv)
			ws := c.ok("POST", "/org-workspaces", map[string]any{"orgId": srv.OrgID(), "membraneInstanceId": "eu"})
			path, key := "/org-workspaces/"+ws["id"].(string), ws["key"].(string)
			for i, hook := range []string{"https://one.example", "https://two.example"} {
				addFault(t, srv, fake.Fault{Instance: "eu", Method: "PATCH", Path: "/workspaces/*", DropAnswer: true, Times: 1})
				r := c.fails(http.StatusBadGateway, "", "PATCH", path, map[string]any{"webhookUri": hook})
				assert.Equal(t, "dependency_error", r.Body["type"], i)
				require.NoError(t, srv.Settle(t.Context()))
				assert.NotContains(t, engine(t, srv, "eu", "GET", "/workspaces/"+key, nil).Body, "webhookUri", i)
			}
			c.ok("PATCH", path, map[string]any{"webhookUri": "https://ok.example"})
			assert.Equal(t, "https://ok.example", engine(t, srv, "eu", "GET", "/workspaces/"+key, nil).Body["webhookUri"])
		})
	}
}
