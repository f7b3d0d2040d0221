package membrane_test

import (
	"fmt"
	"net/http"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/membrane-community/membrane-go"
)

// pagedWorkspaces serves total workspaces, two per page, with the cursor of the contract (the
// sequence number of the last item). failAt, when positive, makes that request answer 404.
func pagedWorkspaces(total, failAt int) *stub {
	return newStub(func(n int, w http.ResponseWriter, r *http.Request) error {
		if failAt > 0 && n == failAt {
			apiError(w, http.StatusNotFound, "bad_request", "not_found", "org not found")
			return nil
		}
		start := 0
		if c := r.URL.Query().Get("cursor"); c != "" {
			start, _ = strconv.Atoi(c)
		}
		end := min(start+2, total)
		items := []any{}
		for i := start; i < end; i++ {
			items = append(items, workspaceJSON(fmt.Sprintf("w%d", i+1)))
		}
		body := map[string]any{"items": items}
		if end < total {
			body["cursor"] = strconv.Itoa(end)
		}
		writeJSON(w, http.StatusOK, body)
		return nil
	})
}

func TestAllWalksEveryPage(t *testing.T) {
	t.Parallel()
	s := pagedWorkspaces(5, 0)
	c := newClient(t, s)
	opts := &membrane.ListOrgWorkspacesOptions{OrgID: "org1", Limit: 2}
	var ids []string
	for ws, err := range c.OrgWorkspaces.All(t.Context(), opts) {
		require.NoError(t, err)
		ids = append(ids, ws.ID)
	}
	assert.Equal(t, []string{"w1", "w2", "w3", "w4", "w5"}, ids)
	assert.Equal(t, &membrane.ListOrgWorkspacesOptions{OrgID: "org1", Limit: 2}, opts, "the caller's options are not modified")

	reqs := s.Requests()
	require.Len(t, reqs, 3)
	assert.Equal(t, "limit=2&orgId=org1", reqs[0].URL.RawQuery)
	assert.Equal(t, "cursor=2&limit=2&orgId=org1", reqs[1].URL.RawQuery)
	assert.Equal(t, "cursor=4&limit=2&orgId=org1", reqs[2].URL.RawQuery)
}

func TestAllStopsWhenTheConsumerBreaks(t *testing.T) {
	t.Parallel()
	s := pagedWorkspaces(10, 0)
	var ids []string
	for ws, err := range newClient(t, s).OrgWorkspaces.All(t.Context(), nil) {
		require.NoError(t, err)
		ids = append(ids, ws.ID)
		if len(ids) == 3 {
			break
		}
	}
	assert.Equal(t, []string{"w1", "w2", "w3"}, ids)
	assert.Len(t, s.Requests(), 2, "no page is fetched after the break")
}

func TestAllYieldsAnErrorOnceAndStops(t *testing.T) {
	t.Parallel()
	s := pagedWorkspaces(10, 2)
	var ids []string
	var errs []error
	for ws, err := range newClient(t, s).OrgWorkspaces.All(t.Context(), nil) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		ids = append(ids, ws.ID)
	}
	assert.Equal(t, []string{"w1", "w2", "w3", "w4"}, ids)
	require.Len(t, errs, 1)
	assert.ErrorIs(t, errs[0], membrane.ErrNotFound)
	assert.Len(t, s.Requests(), 3)
}

func TestAllRefusesACursorThatDoesNotMove(t *testing.T) {
	t.Parallel()
	s := answer(http.StatusOK, map[string]any{"items": []any{workspaceJSON("w1")}, "cursor": "7"})
	var errs []error
	count := 0
	for _, err := range newClient(t, s).OrgWorkspaces.All(t.Context(), nil) {
		if err != nil {
			errs = append(errs, err)
		} else {
			count++
		}
	}
	assert.Equal(t, 2, count)
	require.Len(t, errs, 1)
	assert.ErrorContains(t, errs[0], `cursor "7", which an earlier page gave`)
}

func TestAllStartsAtTheGivenCursorEachTime(t *testing.T) {
	t.Parallel()
	s := pagedWorkspaces(4, 0)
	seq := newClient(t, s).OrgWorkspaces.All(t.Context(), &membrane.ListOrgWorkspacesOptions{Cursor: "2"})
	for range 2 { // an iterator can be run again and starts over
		var ids []string
		for ws, err := range seq {
			require.NoError(t, err)
			ids = append(ids, ws.ID)
		}
		assert.Equal(t, []string{"w3", "w4"}, ids)
	}
}
