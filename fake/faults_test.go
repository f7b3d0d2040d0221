package fake_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/membrane-community/membrane-go/fake"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func addFault(t *testing.T, srv *fake.Server, f fake.Fault) string {
	t.Helper()
	id, err := srv.Faults().Add(f)
	require.NoError(t, err)
	return id
}

// raw sends a request and returns the transport error, if any, instead of failing.
func (c caller) raw(method, path string, body string) (*http.Response, error) {
	req, err := http.NewRequest(method, c.srv.URL()+path, strings.NewReader(body))
	require.NoError(c.t, err)
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.srv.HTTPClient().Do(req)
	if err == nil {
		resp.Body.Close()
	}
	return resp, err
}

func TestFaultAnswersAStatus(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t)
	id := addFault(t, srv, fake.Fault{Method: "POST", Path: "/org-workspaces", Status: 429, RetryAfter: 7, Times: 1})
	r := c.fails(http.StatusTooManyRequests, "rate_limit_exceeded", "POST", "/org-workspaces", map[string]any{"orgId": srv.OrgID()})
	assert.Equal(t, "7", r.Header.Get("Retry-After"))
	assert.Empty(t, c.ok("GET", "/org-workspaces", nil)["items"], "the request was not served")
	c.createWorkspace("second try")
	faults := srv.Faults().List()
	require.Len(t, faults, 1)
	assert.Equal(t, id, faults[0].ID)
	assert.Equal(t, 1, faults[0].Fired)

	addFault(t, srv, fake.Fault{Path: "/org-workspaces/*", Status: 503})
	r = c.fails(http.StatusServiceUnavailable, "", "GET", "/org-workspaces/abc", nil)
	assert.Equal(t, "internal", r.Body["type"])
	assert.Empty(t, r.Header.Values("Retry-After"), "no RetryAfter, no Retry-After header")
	c.ok("GET", "/org-workspaces", nil) // the pattern matches one segment
}

func TestFaultResetAndDropAnswer(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t)
	body := `{"orgId": "` + srv.OrgID() + `"}`
	addFault(t, srv, fake.Fault{Method: "POST", Path: "/org-workspaces", Reset: true, Times: 1})
	_, err := c.raw("POST", "/org-workspaces", body)
	require.Error(t, err)
	assert.Empty(t, c.ok("GET", "/org-workspaces", nil)["items"], "a reset happens before the work")

	addFault(t, srv, fake.Fault{Method: "POST", Path: "/org-workspaces", DropAnswer: true, Times: 1})
	_, err = c.raw("POST", "/org-workspaces", body)
	require.Error(t, err)
	assert.Len(t, c.ok("GET", "/org-workspaces", nil)["items"], 1, "a dropped answer follows the work")
}

func TestFaultLatencyInABubble(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		srv, c := newFake(t)
		addFault(t, srv, fake.Fault{Path: "/org-workspaces", Latency: 30 * time.Second, Times: 1})
		start := time.Now()
		c.ok("GET", "/org-workspaces", nil)
		assert.GreaterOrEqual(t, time.Since(start), 30*time.Second, "the wait happens on the bubble's clock")

		addFault(t, srv, fake.Fault{Path: "/org-workspaces", Latency: 5 * time.Minute, Times: 1})
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, "GET", srv.URL()+"/org-workspaces", nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+srv.AdminToken())
		_, err = srv.HTTPClient().Do(req)
		assert.Error(t, err, "a request whose context ends stops waiting")
	})
}

func TestFaultOnAnInstanceFailsTheHubChangeWhole(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t, fake.WithInstances("eu"))
	ws := c.ok("POST", "/org-workspaces", map[string]any{"orgId": srv.OrgID(), "membraneInstanceId": "eu"})
	path := "/org-workspaces/" + ws["id"].(string)
	addFault(t, srv, fake.Fault{Instance: "eu", Method: "PATCH", Path: "/workspaces/*", Status: 500, Times: 1})
	r := c.fails(http.StatusBadGateway, "", "PATCH", path, map[string]any{"webhookUri": "https://x.example"})
	assert.Equal(t, "dependency_error", r.Body["type"])
	assert.Equal(t, ws, c.ok("GET", path, nil))
	c.ok("PATCH", path, map[string]any{"webhookUri": "https://x.example"})
}

func TestFaultMatchesAnOrg(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t)
	other := srv.AddOrg("Other")
	otherAdmin := c.as(srv.AddMember(other, fake.RoleAdmin))
	theirs := otherAdmin.ok("POST", "/org-workspaces", map[string]any{"orgId": other})
	theirToken := otherAdmin.mint(theirs["id"].(string), map[string]any{})
	mine := c.createWorkspace("mine")
	myToken := c.mint(mine["id"].(string), map[string]any{})
	addFault(t, srv, fake.Fault{Org: other, Status: 500})

	c.ok("GET", "/org-workspaces/"+mine["id"].(string), nil)
	c.ok("GET", "/membrane-instances?orgId="+srv.OrgID(), nil)
	c.as(myToken).ok("GET", "/customers", nil)
	otherAdmin.fails(http.StatusInternalServerError, "", "POST", "/org-workspaces", map[string]any{"orgId": other})
	otherAdmin.fails(http.StatusInternalServerError, "", "GET", "/org-workspaces?orgId="+other, nil)
	otherAdmin.fails(http.StatusInternalServerError, "", "GET", "/org-workspaces", nil) // its only org
	otherAdmin.fails(http.StatusInternalServerError, "", "GET", "/org-workspaces/"+theirs["id"].(string), nil)
	otherAdmin.fails(http.StatusInternalServerError, "", "GET", "/membrane-instances?orgId="+other, nil)
	c.as(theirToken).fails(http.StatusInternalServerError, "", "GET", "/customers", nil) // through the hub
}

func TestFaultProbabilityRepeatsWithASeed(t *testing.T) {
	t.Parallel()
	count := func() int {
		srv, c := newFake(t, fake.WithSeed(7))
		addFault(t, srv, fake.Fault{Path: "/org-workspaces", Status: 503, Probability: 0.3})
		failed := 0
		for range 200 {
			if c.do("GET", "/org-workspaces", nil).Status == 503 {
				failed++
			}
		}
		return failed
	}
	n := count()
	assert.Equal(t, n, count())
	assert.Greater(t, n, 20)
	assert.Less(t, n, 100)
}

// A retryAfter beyond a day is refused over HTTP with a 400 that names the field.
func TestFaultRetryAfterIsCapped(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t)
	for _, body := range []string{
		`{"status": 503, "retryAfter": 86401}`,
		`{"status": 503, "retryAfter": 9999999999}`,
		`{"status": 503, "retryAfter": -5}`,
	} {
		r := c.fails(http.StatusBadRequest, "", "POST", "/_fake/faults", body)
		assert.Contains(t, r.Body["message"], "retryAfter", body)
	}
	assert.Empty(t, srv.Faults().List(), "nothing is added")
	f := c.ok("POST", "/_fake/faults", `{"status": 503, "retryAfter": 86400}`)
	assert.Equal(t, float64(86400), f["retryAfter"])
}

func TestFaultsAreCheckedAndRemovable(t *testing.T) {
	t.Parallel()
	srv, _ := newFake(t)
	for name, f := range map[string]fake.Fault{
		"nothing to do":         {Path: "/x"},
		"two actions":           {Status: 500, Reset: true},
		"status 200":            {Status: 200},
		"bad probability":       {Status: 500, Probability: 2},
		"negative times":        {Status: 500, Times: -1},
		"bad pattern":           {Status: 500, Path: "/x/["},
		"negative latency":      {Latency: -time.Second},
		"negative retryAfter":   {Status: 503, RetryAfter: -1},
		"retryAfter over a day": {Status: 503, RetryAfter: 24*60*60 + 1},
	} {
		_, err := srv.Faults().Add(f)
		assert.Error(t, err, name)
	}
	assert.Empty(t, srv.Faults().List())
	addFault(t, srv, fake.Fault{Status: 503, RetryAfter: 24 * 60 * 60}) // a day is allowed
	srv.Faults().Clear()
	a := addFault(t, srv, fake.Fault{Status: 500})
	b := addFault(t, srv, fake.Fault{Reset: true})
	assert.NotEqual(t, a, b)
	assert.True(t, srv.Faults().Remove(a))
	assert.False(t, srv.Faults().Remove(a))
	assert.Len(t, srv.Faults().List(), 1)
	srv.Faults().Clear()
	assert.Empty(t, srv.Faults().List())
}

func TestJournal(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t, fake.WithInstances("eu"))
	ws := c.ok("POST", "/org-workspaces", map[string]any{"orgId": srv.OrgID(), "membraneInstanceId": "eu"},
		"Idempotency-Key", "key-1", "X-Membrane-Attempt", "2")
	tok := c.mint(ws["id"].(string), map[string]any{"isAdmin": true})
	c.as(tok).fails(http.StatusNotFound, "not_found", "GET", "/customers/nope", nil)

	entries := srv.Journal()
	require.NotEmpty(t, entries)
	create := entries[0]
	assert.Equal(t, "eu", create.Instance, "the hub's engine call to eu is recorded first, as it ends first")
	assert.Equal(t, "POST", create.Method)
	assert.Equal(t, "/workspaces", create.Path)
	assert.Equal(t, "other", create.Caller)
	var hubCreate fake.JournalEntry
	for _, e := range entries {
		if e.Instance == "hub" && e.Path == "/org-workspaces" {
			hubCreate = e
		}
	}
	assert.Equal(t, 200, hubCreate.Status)
	assert.Equal(t, "key-1", hubCreate.IdempotencyKey)
	assert.Equal(t, "2", hubCreate.Attempt)
	assert.Equal(t, "platform", hubCreate.Caller)
	assert.NotEmpty(t, hubCreate.RequestID)
	last := entries[len(entries)-1]
	assert.Equal(t, "hub", last.Instance, "the forwarded request is recorded at the hub")
	assert.Equal(t, 404, last.Status)
	assert.Equal(t, "workspace", last.Caller)

	b, err := json.Marshal(entries)
	require.NoError(t, err)
	for _, secret := range []string{srv.AdminToken(), tok, ws["secret"].(string), srv.Instance("eu").EngineToken()} {
		assert.NotContains(t, string(b), secret, "the journal holds no token and no secret")
	}
	srv.ResetJournal()
	assert.Empty(t, srv.Journal())
}

func TestFakeAdminAPI(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t)
	member := c.as(srv.AddMember(srv.OrgID(), fake.RoleAdmin))
	member.fails(http.StatusUnauthorized, "not_authenticated", "GET", "/_fake/faults", nil)
	c.as("").fails(http.StatusUnauthorized, "not_authenticated", "GET", "/_fake/journal", nil)

	f := c.ok("POST", "/_fake/faults", `{"method": "GET", "path": "/org-workspaces", "status": 502, "times": 2, "latency": "1ms"}`)
	assert.Equal(t, "fault-1", f["id"])
	assert.Equal(t, "1ms", f["latency"])
	c.fails(http.StatusBadRequest, "", "POST", "/_fake/faults", `{"status": 200}`)
	c.fails(http.StatusBadRequest, "", "POST", "/_fake/faults", `{"stauts": 500}`)
	c.fails(http.StatusBadGateway, "", "GET", "/org-workspaces", nil)
	list := c.ok("GET", "/_fake/faults", nil)["items"].([]any)
	require.Len(t, list, 1)
	assert.Equal(t, 1.0, list[0].(map[string]any)["fired"])

	journal := c.ok("GET", "/_fake/journal", nil)["items"].([]any)
	require.Len(t, journal, 1, "the admin API itself is not recorded")
	assert.Equal(t, "fault-1", journal[0].(map[string]any)["fault"])

	c.ok("DELETE", "/_fake/faults/fault-1", nil)
	c.fails(http.StatusNotFound, "not_found", "DELETE", "/_fake/faults/fault-1", nil)
	c.ok("GET", "/org-workspaces", nil)
	c.ok("POST", "/_fake/faults", `{"status": 500}`)
	c.ok("DELETE", "/_fake/faults", nil)
	c.ok("GET", "/org-workspaces", nil)
	c.ok("DELETE", "/_fake/journal", nil)
	assert.Empty(t, c.ok("GET", "/_fake/journal", nil)["items"])
}

// A fault's method matches in any case, as the journal's filter does; a path pattern that does
// not start with "/" could never match, and is refused.
func TestFaultMethodInAnyCaseAndPathFromTheRoot(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t)
	addFault(t, srv, fake.Fault{Method: "post", Path: "/org-workspaces", Status: 503, Times: 1})
	assert.Equal(t, "POST", srv.Faults().List()[0].Method)
	c.fails(http.StatusServiceUnavailable, "", "POST", "/org-workspaces", map[string]any{"orgId": srv.OrgID()})

	_, err := srv.Faults().Add(fake.Fault{Path: "org-workspaces", Status: 503})
	require.ErrorContains(t, err, `path "org-workspaces": a request's path starts with /`)
	r := c.fails(http.StatusBadRequest, "", "POST", "/_fake/faults", `{"path": "*", "status": 503}`)
	assert.Contains(t, r.Body["message"], "starts with /")
	assert.Len(t, srv.Faults().List(), 1, "nothing is added")
}

// A fault that names an instance the server does not have could never fire: it is refused.
func TestFaultOnAnUnknownInstanceIsRefused(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t, fake.WithInstances("eu"))
	_, err := srv.Faults().Add(fake.Fault{Instance: "EU", Status: 503})
	require.EqualError(t, err, `fake: fault: instance "EU": no such instance (hub, eu), so the fault would never fire`)
	r := c.fails(http.StatusBadRequest, "", "POST", "/_fake/faults", `{"instance": "us", "status": 503}`)
	assert.Equal(t, `fault: instance "us": no such instance (hub, eu), so the fault would never fire`, r.Body["message"])
	assert.Empty(t, srv.Faults().List())
	for _, inst := range []string{"hub", "eu"} {
		addFault(t, srv, fake.Fault{Instance: inst, Status: 503})
	}
}

// A request whose connection a fault drops is in the journal before the client learns of it.
func TestDroppedRequestIsJournaledFirst(t *testing.T) {
	t.Parallel()
	for _, fault := range []fake.Fault{{Reset: true}, {DropAnswer: true}} {
		for range 10 {
			srv := fake.NewServer(t)
			c := newCaller(t, srv, srv.AdminToken()).overSocket()
			c.ok("GET", "/membrane-instances", nil) // a kept-alive connection
			fault.Method, fault.Path, fault.Times = "POST", "/org-workspaces", 1
			addFault(t, srv, fault)
			req, err := http.NewRequest("POST", srv.URL()+"/org-workspaces", strings.NewReader(`{"orgId":"`+srv.OrgID()+`"}`))
			require.NoError(t, err)
			req.Header.Set("Authorization", "Bearer "+srv.AdminToken())
			_, err = c.http.Do(req)
			require.Error(t, err)
			var found bool
			for _, e := range srv.Journal() {
				found = found || (e.Method == "POST" && e.Status == 0)
			}
			require.True(t, found, "%+v: the dropped request is journaled", fault)
		}
	}
}
