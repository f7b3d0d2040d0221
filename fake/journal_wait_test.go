package fake_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/membrane-community/membrane-go/fake"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestJournalFilters(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t)
	other := srv.AddOrg("Other")
	otherAdmin := c.as(srv.AddMember(other, fake.RoleAdmin))
	ws := c.createWorkspace("Mine")
	otherAdmin.ok("POST", "/org-workspaces", map[string]any{"orgId": other, "name": "Theirs"})
	c.ok("GET", "/org-workspaces/"+ws["id"].(string), nil)
	c.fails(http.StatusNotFound, "not_found", "GET", "/org-workspaces/nope", nil)
	otherAdmin.ok("GET", "/org-workspaces", nil)

	all, err := srv.JournalMatching(fake.JournalFilter{})
	require.NoError(t, err)
	for i, e := range all {
		assert.Equal(t, uint64(i+1), e.Seq, "entries are numbered from 1 in order")
	}

	tests := []struct {
		name  string
		f     fake.JournalFilter
		query string
		want  []string // method and path of the matches, oldest first
	}{
		{"org of a create (from its body)", fake.JournalFilter{OrgID: other, Path: "/org-workspaces"}, "orgId=" + other + "&path=/org-workspaces",
			[]string{"POST /org-workspaces", "GET /org-workspaces"}},
		{"org of a workspace path", fake.JournalFilter{OrgID: srv.OrgID(), Method: "GET", Path: "/org-workspaces/*"}, "orgId=" + srv.OrgID() + "&method=get&path=/org-workspaces/*",
			[]string{"GET /org-workspaces/" + ws["id"].(string)}},
		{"exact status", fake.JournalFilter{Status: 404}, "status=404", []string{"GET /org-workspaces/nope"}},
		{"status class", fake.JournalFilter{Status: 4}, "status=4xx", []string{"GET /org-workspaces/nope"}},
		{"since", fake.JournalFilter{Since: uint64(len(all) - 1)}, "since=" + strconv.Itoa(len(all)-1), []string{"GET /org-workspaces"}},
	}
	for _, tc := range tests {
		got, err := srv.JournalMatching(tc.f)
		require.NoError(t, err, tc.name)
		var names []string
		for _, e := range got {
			if e.Instance == "hub" {
				names = append(names, e.Method+" "+e.Path)
			}
		}
		assert.Equal(t, tc.want, names, tc.name)

		page := c.ok("GET", "/_fake/journal?"+tc.query, nil)
		names = nil
		for _, it := range page["items"].([]any) {
			e := it.(map[string]any)
			if e["instance"] == "hub" {
				names = append(names, e["method"].(string)+" "+e["path"].(string))
			}
		}
		assert.Equal(t, tc.want, names, "over HTTP: "+tc.name)
		assert.Equal(t, float64(len(all)), page["lastSeq"], tc.name)
	}

	// A workspace token's request is about its workspace's org.
	tok := c.mint(ws["id"].(string), map[string]any{"isAdmin": true})
	c.as(tok).ok("GET", "/customers", nil)
	seen, err := srv.JournalMatching(fake.JournalFilter{Path: "/customers", OrgID: srv.OrgID()})
	require.NoError(t, err)
	require.Len(t, seen, 1, "the workspace API request carries its org")
}

func TestJournalBadFilters(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t)
	for _, q := range []string{"status=abc", "status=4x", "status=99", "since=-1", "wait=forever", "wait=2m", "path=[", "colour=red", "method=GET&method=POST"} {
		c.fails(http.StatusBadRequest, "", "GET", "/_fake/journal?"+q, nil)
	}
	_, err := srv.JournalMatching(fake.JournalFilter{Path: "["})
	require.Error(t, err)
	_, err = srv.WaitForRequest(context.Background(), fake.JournalFilter{Status: 42})
	require.Error(t, err)
	c.as("").fails(http.StatusUnauthorized, "not_authenticated", "GET", "/_fake/journal?wait=1s", nil)
}

func TestWaitForRequest(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t)
	c.createWorkspace("Before")
	first, err := srv.WaitForRequest(context.Background(), fake.JournalFilter{Method: "POST", Path: "/org-workspaces"})
	require.NoError(t, err, "a request already in the journal is found at once")

	got := make(chan fake.JournalEntry, 1)
	go func() {
		e, err := srv.WaitForRequest(context.Background(), fake.JournalFilter{Method: "POST", Path: "/org-workspaces", Since: first.Seq})
		if err == nil {
			got <- e
		}
		close(got)
	}()
	c.createWorkspace("After")
	e, ok := <-got
	require.True(t, ok, "the wait ends with the new request")
	assert.Greater(t, e.Seq, first.Seq)
	assert.Equal(t, 200, e.Status)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = srv.WaitForRequest(ctx, fake.JournalFilter{Path: "/never"})
	require.ErrorIs(t, err, context.Canceled)
	assert.Contains(t, err.Error(), "path=/never")
}

func TestJournalLongPoll(t *testing.T) {
	t.Parallel()
	srv := fake.NewServer(t)
	c := newCaller(t, srv, srv.AdminToken())
	c.createWorkspace("Seen")
	last := c.ok("GET", "/_fake/journal", nil)["lastSeq"].(float64)

	type result struct {
		page map[string]any
		err  error
	}
	done := make(chan result, 1)
	go func() {
		req, _ := http.NewRequest("GET", srv.URL()+"/_fake/journal?wait=60s&path=/org-workspaces&since="+strconv.Itoa(int(last)), nil)
		req.Header.Set("Authorization", "Bearer "+srv.AdminToken())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- result{err: err}
			return
		}
		defer resp.Body.Close()
		var page map[string]any
		err = decodeJSON(resp, &page)
		done <- result{page: page, err: err}
	}()
	// The poll is waiting once the server has read it; nothing it could match exists yet, so
	// whenever the create lands, the answer must carry exactly it.
	c.createWorkspace("Awaited")
	r := <-done
	require.NoError(t, r.err)
	items := r.page["items"].([]any)
	require.Len(t, items, 1)
	assert.Equal(t, "POST", items[0].(map[string]any)["method"])
	assert.Greater(t, items[0].(map[string]any)["seq"], last)

	// A wait with nothing to match answers an empty page when it ends.
	empty := c.ok("GET", "/_fake/journal?wait=1ms&path=/nothing", nil)
	assert.Empty(t, empty["items"])
}

func decodeJSON(resp *http.Response, v any) error {
	if resp.StatusCode != http.StatusOK {
		return errors.New(resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// status=0 (Go: Dropped) finds the requests whose connection a fault dropped, in process and
// over a socket.
func TestJournalFilterDropped(t *testing.T) {
	t.Parallel()
	for _, socket := range []bool{false, true} {
		t.Run("socket="+strconv.FormatBool(socket), func(t *testing.T) {
			t.Parallel()
			srv, c := newFake(t)
			if socket {
				srv = fake.NewServer(t)
				c = newCaller(t, srv, srv.AdminToken()).overSocket()
			}
			c.ok("GET", "/org-workspaces", nil)
			addFault(t, srv, fake.Fault{Method: "POST", Path: "/org-workspaces", Reset: true, Times: 1})
			req, err := http.NewRequest("POST", srv.URL()+"/org-workspaces", strings.NewReader(`{"orgId":"`+srv.OrgID()+`"}`))
			require.NoError(t, err)
			req.Header.Set("Authorization", "Bearer "+srv.AdminToken())
			hc := srv.HTTPClient()
			if socket {
				hc = c.http
			}
			_, err = hc.Do(req)
			require.Error(t, err)

			got, err := srv.JournalMatching(fake.JournalFilter{Dropped: true})
			require.NoError(t, err)
			require.Len(t, got, 1)
			assert.Equal(t, "POST", got[0].Method)
			assert.Equal(t, 0, got[0].Status)

			page := c.ok("GET", "/_fake/journal?status=0", nil)
			items := page["items"].([]any)
			require.Len(t, items, 1)
			assert.Equal(t, "POST", items[0].(map[string]any)["method"])
			assert.Len(t, c.ok("GET", "/_fake/journal?status=2xx", nil)["items"], 1, "the dropped request is not a 2xx")

			_, err = srv.JournalMatching(fake.JournalFilter{Dropped: true, Status: 500})
			require.Error(t, err, "Dropped with a status is refused")
		})
	}
}
