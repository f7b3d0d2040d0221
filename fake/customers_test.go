package fake_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/membrane-community/membrane-go/fake"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// cuSetup builds a server with one workspace and returns a caller holding an admin token of
// that workspace, and the platform caller.
func cuSetup(t testing.TB, opts ...fake.Option) (admin, platform caller, ws tkWS) {
	t.Helper()
	_, platform = newFake(t, opts...)
	ws = tkNewWorkspace(t, platform, "Customers")
	return platform.as(platform.mint(ws.id, map[string]any{"isAdmin": true})), platform, ws
}

// cuFieldProblem returns data.fields[name] of an error answer.
func cuFieldProblem(t testing.TB, r reply, name string) string {
	t.Helper()
	data, _ := r.Body["data"].(map[string]any)
	require.NotNil(t, data, "no data in %s", r.Raw)
	fields, _ := data["fields"].(map[string]any)
	require.NotNil(t, fields, "no data.fields in %s", r.Raw)
	p, _ := fields[name].(string)
	require.NotEmpty(t, p, "no data.fields.%s in %s", name, r.Raw)
	return p
}

// cuPage lists one page and returns the ids on it and the cursor ("" when there is none).
func cuPage(t testing.TB, admin caller, query url.Values) ([]string, string) {
	t.Helper()
	body := admin.ok("GET", "/customers?"+query.Encode(), nil)
	items, ok := body["items"].([]any)
	require.True(t, ok, "items is an array: %v", body)
	ids := make([]string, len(items))
	for i, it := range items {
		ids[i] = it.(map[string]any)["id"].(string)
	}
	cursor := ""
	if v, ok := body["cursor"]; ok {
		cursor, _ = v.(string)
		require.NotEmpty(t, cursor, "a cursor, when there is one, is a non-empty string")
	}
	return ids, cursor
}

// cuAll lists every customer matching query, one page of limit at a time.
func cuAll(t testing.TB, admin caller, query url.Values, limit int) (ids []string, pages int) {
	t.Helper()
	q := url.Values{}
	for k, v := range query {
		q[k] = v
	}
	q.Set("limit", fmt.Sprint(limit))
	q.Set("cursor", "0")
	ids = []string{}
	for {
		page, cursor := cuPage(t, admin, q)
		pages++
		require.LessOrEqual(t, len(page), limit)
		ids = append(ids, page...)
		if cursor == "" {
			return ids, pages
		}
		require.Len(t, page, limit, "only the last page may be short")
		require.Less(t, pages, 1000, "pagination does not end")
		q.Set("cursor", cursor)
	}
}

func cuCreate(t testing.TB, admin caller, name, internalID string) map[string]any {
	t.Helper()
	body := map[string]any{"name": name}
	if internalID != "" {
		body["internalId"] = internalID
	}
	return admin.ok("POST", "/customers", body)
}

func TestCreateAndGetCustomer(t *testing.T) {
	t.Parallel()
	clock := newTkClock()
	admin, _, _ := cuSetup(t, fake.WithClock(clock.Now))

	created := admin.ok("POST", "/customers", map[string]any{
		"name": "Acme", "internalId": "acme-1",
		"fields":      map[string]any{"plan": "pro", "nested": map[string]any{"a": []any{1, "x"}}},
		"credentials": map[string]any{"apiKey": "k"},
	})
	id, _ := created["id"].(string)
	assert.Regexp(t, `^[0-9a-f]{24}$`, id)
	assert.Equal(t, "Acme", created["name"])
	assert.Equal(t, "acme-1", created["internalId"])
	assert.Equal(t, map[string]any{"plan": "pro", "nested": map[string]any{"a": []any{float64(1), "x"}}}, created["fields"])
	assert.Equal(t, map[string]any{"apiKey": "k"}, created["credentials"])
	assert.Equal(t, true, created["isActive"])
	assert.Equal(t, false, created["isTest"])
	assert.Equal(t, "2025-03-01T12:00:00.000Z", created["createdAt"])
	assert.NotContains(t, created, "archivedAt")

	got := admin.ok("GET", "/customers/"+id, nil)
	assert.Equal(t, created, got)

	// Without internalId the customer still gets one, unique in the workspace.
	bare := cuCreate(t, admin, "Bare", "")
	assert.NotEmpty(t, bare["internalId"])
	assert.NotEqual(t, bare["id"], id)

	// Names need not be unique.
	cuCreate(t, admin, "Acme", "acme-2")

	admin.fails(http.StatusNotFound, "not_found", "GET", "/customers/0123456789abcdef01234567", nil)
	admin.fails(http.StatusNotFound, "not_found", "GET", "/customers/not-an-id", nil)
	admin.fails(http.StatusNotFound, "not_found", "PATCH", "/customers/0123456789abcdef01234567", map[string]any{"name": "x"})
	admin.fails(http.StatusNotFound, "not_found", "PUT", "/customers/0123456789abcdef01234567", map[string]any{"name": "x"})
	admin.fails(http.StatusNotFound, "not_found", "DELETE", "/customers/0123456789abcdef01234567", nil)
	admin.fails(http.StatusNotFound, "not_found", "POST", "/customers/0123456789abcdef01234567/restore", nil)
}

func TestCreateCustomerValidation(t *testing.T) {
	t.Parallel()
	admin, _, _ := cuSetup(t)
	taken := cuCreate(t, admin, "Taken", "taken-1")

	tests := []struct {
		name  string
		body  any
		key   string // error key
		field string // data.fields entry
	}{
		{"no name", map[string]any{"internalId": "x-1"}, "", "name"},
		{"empty body", nil, "", "name"},
		{"empty name", map[string]any{"name": ""}, "", "name"},
		{"blank name", map[string]any{"name": "   "}, "", "name"},
		{"null name", map[string]any{"name": nil}, "", "name"},
		{"name a number", map[string]any{"name": 5}, "", "name"},
		{"fields a string", map[string]any{"name": "A", "fields": "x"}, "", "fields"},
		{"fields an array", map[string]any{"name": "A", "fields": []any{1}}, "", "fields"},
		{"fields a number", map[string]any{"name": "A", "fields": 1}, "", "fields"},
		{"internalId empty", map[string]any{"name": "A", "internalId": ""}, "", "internalId"},
		{"internalId a number", map[string]any{"name": "A", "internalId": 7}, "", "internalId"},
		{"isTest a string", map[string]any{"name": "A", "isTest": "yes"}, "", "isTest"},
		{"internalId taken", map[string]any{"name": "Other", "internalId": "taken-1"}, "already_exists", "internalId"},
		{"body an array", "[]", "", ""},
		{"body null", "null", "", ""},
		{"body not JSON", `{"name":`, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			admin := tkAt(t, admin)
			r := admin.fails(http.StatusBadRequest, tt.key, "POST", "/customers", tt.body)
			assert.Equal(t, "bad_request", r.Body["type"])
			if tt.field != "" {
				cuFieldProblem(t, r, tt.field)
			}
		})
	}
	t.Run("nothing was created", func(t *testing.T) {
		t.Parallel()
		admin := tkAt(t, admin)
		// Runs in parallel with the cases above; none of them may create anything.
		for range 3 {
			ids, _ := cuPage(t, admin, url.Values{"includeArchived": {"true"}})
			require.Equal(t, []string{taken["id"].(string)}, ids)
		}
	})
	// A field problem names every wrong field at once.
	r := admin.fails(http.StatusBadRequest, "", "POST", "/customers", map[string]any{"fields": 1, "isTest": "x"})
	cuFieldProblem(t, r, "name")
	cuFieldProblem(t, r, "fields")
	cuFieldProblem(t, r, "isTest")
}

func TestPatchCustomer(t *testing.T) {
	t.Parallel()
	admin, platform, ws := cuSetup(t)
	c := cuCreate(t, admin, "Acme", "acme-1")
	id := c["id"].(string)
	cuCreate(t, admin, "Globex", "globex-1")
	admin.ok("PATCH", "/customers/"+id, map[string]any{"fields": map[string]any{"plan": "pro"}, "credentials": map[string]any{"k": 1}})

	// Absent fields stay as they were.
	got := admin.ok("PATCH", "/customers/"+id, map[string]any{"name": "Acme Corp"})
	assert.Equal(t, "Acme Corp", got["name"])
	assert.Equal(t, "acme-1", got["internalId"])
	assert.Equal(t, map[string]any{"plan": "pro"}, got["fields"])
	assert.Equal(t, map[string]any{"k": float64(1)}, got["credentials"])
	assert.Equal(t, c["createdAt"], got["createdAt"])
	assert.Equal(t, got, admin.ok("GET", "/customers/"+id, nil))

	// An empty patch changes nothing.
	assert.Equal(t, got, admin.ok("PATCH", "/customers/"+id, map[string]any{}))

	got = admin.ok("PATCH", "/customers/"+id, map[string]any{"isTest": true, "aiCreditsRolling30DayLimit": 12.5})
	assert.Equal(t, true, got["isTest"])
	assert.Equal(t, 12.5, got["aiCreditsRolling30DayLimit"])
	assert.Equal(t, "Acme Corp", got["name"])

	// null clears fields.
	got = admin.ok("PATCH", "/customers/"+id, map[string]any{"fields": nil})
	assert.Nil(t, got["fields"])
	assert.Equal(t, map[string]any{"k": float64(1)}, got["credentials"])
	assert.Nil(t, admin.ok("GET", "/customers/"+id, nil)["fields"])

	before := admin.ok("GET", "/customers/"+id, nil)
	failures := []struct {
		name  string
		body  any
		key   string
		field string
	}{
		{"internalId taken", map[string]any{"internalId": "globex-1", "name": "Renamed"}, "already_exists", "internalId"},
		{"empty name", map[string]any{"name": ""}, "", "name"},
		{"null name", map[string]any{"name": nil}, "", "name"},
		{"fields a string", map[string]any{"fields": "x", "name": "Renamed"}, "", "fields"},
		{"negative credits", map[string]any{"aiCreditsRolling30DayLimit": -1}, "", "aiCreditsRolling30DayLimit"},
		{"empty internalId", map[string]any{"internalId": ""}, "", "internalId"},
		{"body an array", "[]", "", ""},
	}
	for _, f := range failures {
		r := admin.fails(http.StatusBadRequest, f.key, "PATCH", "/customers/"+id, f.body)
		if f.field != "" {
			cuFieldProblem(t, r, f.field)
		}
		assert.Equal(t, before, admin.ok("GET", "/customers/"+id, nil), "a failed PATCH (%s) changes nothing", f.name)
	}

	// Changing internalId to a free one moves the tenant key with it.
	got = admin.ok("PATCH", "/customers/"+id, map[string]any{"internalId": "acme-new"})
	assert.Equal(t, "acme-new", got["internalId"])
	self := platform.as(platform.mint(ws.id, map[string]any{"tenantKey": "acme-new"})).ok("GET", "/self", nil)
	assert.Equal(t, id, self["id"])
	// The old key is free again.
	cuCreate(t, admin, "Takes the old key", "acme-1")

	// An archived customer cannot be changed.
	admin.ok("DELETE", "/customers/"+id, nil)
	archived := admin.ok("GET", "/customers/"+id, nil)
	r := admin.fails(http.StatusBadRequest, "", "PATCH", "/customers/"+id, map[string]any{"name": "Ghost"})
	assert.Contains(t, r.Body["message"], "archived")
	admin.fails(http.StatusBadRequest, "", "PUT", "/customers/"+id, map[string]any{"name": "Ghost"})
	assert.Equal(t, archived, admin.ok("GET", "/customers/"+id, nil))
}

func TestPutCustomerReplacesIt(t *testing.T) {
	t.Parallel()
	admin, _, _ := cuSetup(t)
	c := admin.ok("POST", "/customers", map[string]any{
		"name": "Acme", "internalId": "acme-1", "fields": map[string]any{"a": 1},
		"credentials": map[string]any{"k": "v"}, "isTest": true, "aiCreditsRolling30DayLimit": 3,
	})
	id := c["id"].(string)
	cuCreate(t, admin, "Globex", "globex-1")
	before := admin.ok("GET", "/customers/"+id, nil)

	r := admin.fails(http.StatusBadRequest, "", "PUT", "/customers/"+id, map[string]any{"fields": map[string]any{"b": 2}})
	cuFieldProblem(t, r, "name")
	r = admin.fails(http.StatusBadRequest, "", "PUT", "/customers/"+id, map[string]any{"name": ""})
	cuFieldProblem(t, r, "name")
	r = admin.fails(http.StatusBadRequest, "already_exists", "PUT", "/customers/"+id, map[string]any{"name": "X", "internalId": "globex-1"})
	cuFieldProblem(t, r, "internalId")
	assert.Equal(t, before, admin.ok("GET", "/customers/"+id, nil), "a failed PUT changes nothing")

	got := admin.ok("PUT", "/customers/"+id, map[string]any{"name": "Acme Two"})
	assert.Equal(t, "Acme Two", got["name"])
	assert.Equal(t, id, got["id"])
	assert.Equal(t, c["createdAt"], got["createdAt"])
	for _, cleared := range []string{"fields", "credentials", "aiCreditsRolling30DayLimit"} {
		assert.Nil(t, got[cleared], "%s is cleared when not sent", cleared)
	}
	assert.Equal(t, false, got["isTest"])
	assert.Equal(t, got, admin.ok("GET", "/customers/"+id, nil))

	got = admin.ok("PUT", "/customers/"+id, map[string]any{"name": "Acme Three", "internalId": "acme-3", "fields": map[string]any{"c": true}, "isTest": true})
	assert.Equal(t, "acme-3", got["internalId"])
	assert.Equal(t, map[string]any{"c": true}, got["fields"])
	assert.Equal(t, true, got["isTest"])
}

func TestArchiveAndRestoreCustomer(t *testing.T) {
	t.Parallel()
	clock := newTkClock()
	admin, platform, ws := cuSetup(t, fake.WithClock(clock.Now))
	c := cuCreate(t, admin, "Acme", "acme-1")
	id := c["id"].(string)
	other := cuCreate(t, admin, "Globex", "globex-1")

	clock.Advance(time.Minute)
	archived := admin.ok("DELETE", "/customers/"+id, nil)
	assert.Equal(t, "2025-03-01T12:01:00.000Z", archived["archivedAt"])
	assert.Equal(t, false, archived["isActive"])
	assert.Equal(t, "Acme", archived["name"])
	assert.Equal(t, archived, admin.ok("GET", "/customers/"+id, nil))

	// Archiving twice changes nothing.
	clock.Advance(time.Minute)
	assert.Equal(t, archived, admin.ok("DELETE", "/customers/"+id, nil))

	ids, _ := cuPage(t, admin, url.Values{})
	assert.Equal(t, []string{other["id"].(string)}, ids)
	ids, _ = cuPage(t, admin, url.Values{"includeArchived": {"true"}})
	assert.Equal(t, []string{id, other["id"].(string)}, ids)

	// Its tenant cannot sign in, and its internalId stays taken.
	tenant := platform.as(platform.mint(ws.id, map[string]any{"tenantKey": "acme-1"}))
	tkRequireUnauthenticated(t, tenant.do("GET", "/self", nil))
	admin.fails(http.StatusBadRequest, "already_exists", "POST", "/customers", map[string]any{"name": "Again", "internalId": "acme-1"})

	restored := admin.ok("POST", "/customers/"+id+"/restore", nil)
	assert.NotContains(t, restored, "archivedAt")
	assert.Equal(t, true, restored["isActive"])
	assert.Equal(t, c["createdAt"], restored["createdAt"])
	assert.Equal(t, restored, admin.ok("POST", "/customers/"+id+"/restore", nil), "restoring twice changes nothing")
	ids, _ = cuPage(t, admin, url.Values{})
	assert.Equal(t, []string{id, other["id"].(string)}, ids)
	assert.Equal(t, id, tenant.ok("GET", "/self", nil)["id"])
	admin.ok("PATCH", "/customers/"+id, map[string]any{"name": "Acme again"})
}

func TestListCustomersFilters(t *testing.T) {
	t.Parallel()
	admin, _, _ := cuSetup(t)
	acme := cuCreate(t, admin, "Acme Corp", "tenant-ACME")["id"].(string)
	globex := admin.ok("POST", "/customers", map[string]any{"name": "Globex", "internalId": "g-2", "isTest": true})["id"].(string)
	initech := cuCreate(t, admin, "Initech", "init-3")["id"].(string)
	hooli := admin.ok("POST", "/customers", map[string]any{"name": "Hooli", "internalId": "h-4", "isTest": true})["id"].(string)
	admin.ok("DELETE", "/customers/"+initech, nil)
	admin.ok("DELETE", "/customers/"+hooli, nil)

	tests := []struct {
		query string
		want  []string
	}{
		{"", []string{acme, globex}},
		{"search=acme", []string{acme}},
		{"search=ACME+c", []string{acme}},
		{"search=TENANT", []string{acme}}, // by internalId only
		{"search=g-2", []string{globex}},
		{"search=o", []string{acme, globex}},
		{"search=zzz", []string{}},
		{"search=init", []string{}},
		{"search=init&includeArchived=true", []string{initech}},
		{"includeArchived=true", []string{acme, globex, initech, hooli}},
		{"includeArchived=false", []string{acme, globex}},
		{"isTest=true", []string{globex}},
		{"isTest=false", []string{acme}},
		{"isTest=true&includeArchived=true", []string{globex, hooli}},
		{"isActive=true", []string{acme, globex}},
		{"isActive=false", []string{}},
		{"isActive=false&includeArchived=true", []string{initech, hooli}},
		{"isActive=false&isTest=false&includeArchived=true", []string{initech}},
		{"isActive=true&includeArchived=true&search=o", []string{acme, globex}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			t.Parallel()
			admin := tkAt(t, admin)
			q, err := url.ParseQuery(tt.query)
			require.NoError(t, err)
			ids, cursor := cuPage(t, admin, q)
			assert.Equal(t, tt.want, ids)
			assert.Empty(t, cursor)
		})
	}
	for _, bad := range []string{"includeArchived=yes", "isTest=maybe", "isActive=2", "cursor=abc", "cursor=-1"} {
		t.Run(bad, func(t *testing.T) {
			t.Parallel()
			admin := tkAt(t, admin)
			r := admin.fails(http.StatusBadRequest, "", "GET", "/customers?"+bad, nil)
			q, _ := url.ParseQuery(bad)
			for name := range q {
				cuFieldProblem(t, r, name)
			}
		})
	}
}

func TestListCustomersLimit(t *testing.T) {
	t.Parallel()
	admin, _, _ := cuSetup(t)
	for i := range 3 {
		cuCreate(t, admin, fmt.Sprintf("C%d", i), "")
	}
	tests := []struct {
		limit string
		n     int // items on the first page; -1 for a 400
	}{
		{"0", -1},
		{"1001", -1},
		{"x", -1},
		{"-1", -1},
		{"1.5", -1},
		{"1e2", -1},
		{"1", 1},
		{"2", 2},
		{"1000", 3},
		{"", 3},
	}
	for _, tt := range tests {
		t.Run("limit="+tt.limit, func(t *testing.T) {
			t.Parallel()
			admin := tkAt(t, admin)
			path := "/customers?limit=" + url.QueryEscape(tt.limit)
			if tt.n < 0 {
				r := admin.fails(http.StatusBadRequest, "", "GET", path, nil)
				cuFieldProblem(t, r, "limit")
				return
			}
			body := admin.ok("GET", path, nil)
			assert.Len(t, body["items"], tt.n)
			if tt.n < 3 {
				assert.NotEmpty(t, body["cursor"])
			} else {
				assert.NotContains(t, body, "cursor")
			}
		})
	}
}

func TestListCustomersPagination(t *testing.T) {
	t.Parallel()
	tests := []struct {
		customers, limit, pages int
	}{
		{0, 2, 1},
		{1, 2, 1},
		{2, 2, 1},
		{5, 2, 3},
		{6, 2, 3},
		{7, 2, 4},
		{7, 1, 7},
		{7, 7, 1},
		{7, 1000, 1},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d by %d", tt.customers, tt.limit), func(t *testing.T) {
			t.Parallel()
			admin, _, _ := cuSetup(t)
			want := []string{}
			for i := range tt.customers {
				want = append(want, cuCreate(t, admin, fmt.Sprintf("Customer %d", i), "")["id"].(string))
			}
			got, pages := cuAll(t, admin, nil, tt.limit)
			assert.Equal(t, want, got, "every customer exactly once, in creation order")
			assert.Equal(t, tt.pages, pages)

			// Starting with no cursor is the same as starting with "0".
			first, _ := cuPage(t, admin, url.Values{"limit": {fmt.Sprint(tt.limit)}})
			assert.Equal(t, want[:min(tt.limit, len(want))], first)
		})
	}

	t.Run("with a search", func(t *testing.T) {
		t.Parallel()
		admin, _, _ := cuSetup(t)
		var want []string
		for i := range 9 {
			name := fmt.Sprintf("other %d", i)
			if i%2 == 0 {
				name = fmt.Sprintf("Match %d", i)
			}
			id := cuCreate(t, admin, name, "")["id"].(string)
			if i%2 == 0 {
				want = append(want, id)
			}
		}
		got, pages := cuAll(t, admin, url.Values{"search": {"match"}}, 2)
		assert.Equal(t, want, got)
		assert.Equal(t, 3, pages)
	})
}

func TestListCustomersCursorIsStable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name            string
		includeArchived bool
	}{
		{"active only", false},
		{"archived included", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			admin, _, _ := cuSetup(t)
			var ids []string
			for i := range 8 {
				ids = append(ids, cuCreate(t, admin, fmt.Sprintf("C%d", i), "")["id"].(string))
			}
			q := url.Values{"limit": {"2"}}
			if tt.includeArchived {
				q.Set("includeArchived", "true")
			}
			var seen []string
			var created []string
			for round := 0; ; round++ {
				page, cursor := cuPage(t, admin, q)
				seen = append(seen, page...)
				if cursor == "" {
					break
				}
				require.Less(t, round, 20)
				// Between pages: archive one customer already seen, create a new one, and (when
				// archived ones are listed) archive one not seen yet.
				admin.ok("DELETE", "/customers/"+page[0], nil)
				created = append(created, cuCreate(t, admin, fmt.Sprintf("New %d", round), "")["id"].(string))
				if tt.includeArchived && round < 3 {
					admin.ok("DELETE", "/customers/"+ids[2*round+3], nil)
				}
				q.Set("cursor", cursor)
			}
			counts := map[string]int{}
			for _, id := range seen {
				counts[id]++
			}
			for _, id := range ids {
				assert.Equal(t, 1, counts[id], "customer %s that existed before the listing is listed once", id)
			}
			for id, n := range counts {
				assert.Equal(t, 1, n, "customer %s is listed once", id)
			}
			// Those that existed come first, in creation order; new ones follow.
			assert.Equal(t, ids, seen[:len(ids)])
			for _, id := range seen[len(ids):] {
				assert.Contains(t, created, id)
			}
		})
	}
}

func TestCreateCustomerIdempotencyKey(t *testing.T) {
	t.Parallel()
	admin, platform, ws := cuSetup(t)
	body := map[string]any{"name": "Once", "internalId": "once-1", "fields": map[string]any{"a": 1}}

	first := admin.do("POST", "/customers", body, "Idempotency-Key", "create-once")
	require.Equal(t, http.StatusOK, first.Status, "%s", first.Raw)
	second := admin.do("POST", "/customers", body, "Idempotency-Key", "create-once")
	require.Equal(t, http.StatusOK, second.Status, "%s", second.Raw)
	assert.Equal(t, first.Body["id"], second.Body["id"])
	assert.Equal(t, string(first.Raw), string(second.Raw))
	assert.Equal(t, "true", second.Header.Get("Idempotent-Replayed"))

	// Another admin token of the same workspace is the same caller.
	other := platform.as(platform.mint(ws.id, map[string]any{"isAdmin": true}))
	third := other.do("POST", "/customers", body, "Idempotency-Key", "create-once")
	require.Equal(t, http.StatusOK, third.Status, "%s", third.Raw)
	assert.Equal(t, first.Body["id"], third.Body["id"])

	ids, _ := cuPage(t, admin, url.Values{"includeArchived": {"true"}})
	assert.Equal(t, []string{first.Body["id"].(string)}, ids, "only one customer")

	// The same key with another body is refused and creates nothing.
	r := admin.fails(http.StatusBadRequest, "idempotency_key_reused", "POST", "/customers",
		map[string]any{"name": "Twice", "internalId": "twice-1"}, "Idempotency-Key", "create-once")
	assert.Equal(t, "bad_request", r.Body["type"])
	ids, _ = cuPage(t, admin, url.Values{"includeArchived": {"true"}})
	assert.Len(t, ids, 1)

	// Without the key, the same body is a second create, refused for its internalId.
	admin.fails(http.StatusBadRequest, "already_exists", "POST", "/customers", body)
	// Another key is another create.
	fresh := admin.ok("POST", "/customers", map[string]any{"name": "Once"}, "Idempotency-Key", "create-twice")
	assert.NotEqual(t, first.Body["id"], fresh["id"])
	ids, _ = cuPage(t, admin, url.Values{"includeArchived": {"true"}})
	assert.Len(t, ids, 2)

	// A failed create is replayed as the same failure.
	bad := admin.do("POST", "/customers", map[string]any{"fields": 1}, "Idempotency-Key", "bad-once")
	require.Equal(t, http.StatusBadRequest, bad.Status)
	again := admin.do("POST", "/customers", map[string]any{"fields": 1}, "Idempotency-Key", "bad-once")
	assert.Equal(t, bad.Status, again.Status)
	assert.Equal(t, string(bad.Raw), string(again.Raw))
}
