package fake_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/membrane-community/membrane-go/fake"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// strictCallers returns the same kind of caller twice: in process, and over loopback.
func strictCallers(t *testing.T) map[string]func(t *testing.T) (*fake.Server, caller) {
	return map[string]func(t *testing.T) (*fake.Server, caller){
		"in process": func(t *testing.T) (*fake.Server, caller) { return newFake(t) },
		"over a socket": func(t *testing.T) (*fake.Server, caller) {
			srv := fake.NewServer(t)
			return srv, newCaller(t, srv, srv.AdminToken()).overSocket()
		},
	}
}

// A fault body with a misspelt field, or with more after it, is refused and adds nothing.
func TestStrictFaultBodies(t *testing.T) {
	t.Parallel()
	bodies := map[string]string{
		"unknown field":       `{"instnace": "eu", "status": 503}`,
		"trailing object":     `{"status": 503} {"status": 500}`,
		"trailing garbage":    `{"status": 503}x`,
		"vertical tab":        "\v",
		"form feed":           "\f{\"status\": 503}",
		"no-break space":      "\u00a0",
		"next line":           "{\"status\": 503}\u0085",
		"em space":            "\u2003",
		"empty":               "",
		"an array":            `[{"status": 503}]`,
		"unknown latency key": `{"latency": "1s", "latencyy": 1}`,
	}
	for mode, mk := range strictCallers(t) {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			srv, c := mk(t)
			for name, body := range bodies {
				r := c.fails(http.StatusBadRequest, "", "POST", "/_fake/faults", body)
				assert.NotEmpty(t, r.Body["message"], name)
				assert.Empty(t, srv.Faults().List(), "%s: nothing is added", name)
			}
			c.ok("POST", "/_fake/faults", " \t\r\n{\"status\": 503, \"times\": 1}\n ")
			assert.Len(t, srv.Faults().List(), 1, "JSON whitespace around a body is fine")
		})
	}
}

// A body of whitespace that JSON does not know is not an empty object.
func TestStrictWhitespaceAroundBodies(t *testing.T) {
	t.Parallel()
	for mode, mk := range strictCallers(t) {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			srv, c := mk(t)
			ws := c.createWorkspace("ws")
			path := "/org-workspaces/" + ws["id"].(string)
			for _, space := range []string{"\v", "\f", "\u00a0", "\u0085", "\u2003"} {
				for _, body := range []string{space, space + "{}", "{}" + space} {
					c.fails(http.StatusBadRequest, "", "PATCH", path, body)
					c.fails(http.StatusBadRequest, "", "POST", "/org-workspaces", strings.Replace(body, "{}", `{"orgId":"`+srv.OrgID()+`"}`, 1))
				}
			}
			for _, body := range []string{"", " ", "\t\r\n", " {} \n"} {
				c.ok("PATCH", path, body)
			}
			items := c.ok("GET", "/org-workspaces", nil)["items"].([]any)
			assert.Len(t, items, 1, "no refused create made a workspace")
		})
	}
}

// A query that cannot be read is a 400, never the default.
func TestStrictQueries(t *testing.T) {
	t.Parallel()
	for mode, mk := range strictCallers(t) {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			_, c := mk(t)
			ws := c.createWorkspace("ws")
			admin := c.as(c.mint(ws["id"].(string), map[string]any{"isAdmin": true}))
			for _, q := range []string{"limit=%ZZ", "limit=0;x", "cursor=%ZZ", "limit=10&x=%", "includeArchived=true;"} {
				c.fails(http.StatusBadRequest, "", "GET", "/org-workspaces?"+q, nil)
				c.fails(http.StatusBadRequest, "", "GET", "/membrane-instances?"+q, nil)
				admin.fails(http.StatusBadRequest, "", "GET", "/customers?"+q, nil)
				c.fails(http.StatusBadRequest, "", "GET", "/_fake/journal?"+q, nil)
			}
			c.ok("GET", "/org-workspaces?limit=1", nil)
		})
	}
}

// Fields are checked to the letter: a null in a list of strings, an empty orgId.
func TestStrictFields(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t)
	ws := c.createWorkspace("ws")
	path := "/org-workspaces/" + ws["id"].(string)
	cases := []struct {
		name, method, path, body, field string
	}{
		{"null in a list of strings", "PATCH", path, `{"enabledWebhookEvents": [null]}`, "enabledWebhookEvents"},
		{"null among strings", "PATCH", path, `{"enabledWebhookEvents": ["a", null]}`, "enabledWebhookEvents"},
		{"empty orgId", "POST", "/org-workspaces", `{"orgId": ""}`, "orgId"},
		{"empty orgId in a list", "GET", "/org-workspaces?orgId=", "", "orgId"},
		{"empty orgId in the instances", "GET", "/membrane-instances?orgId=", "", "orgId"},
		{"blank orgId", "POST", "/org-workspaces", `{"orgId": "  "}`, "orgId"},
		{"huge number in a schema", "PATCH", path, `{"userFieldsSchema": {"max": 1e400}}`, "userFieldsSchema"},
		{"huge number in alert settings", "PATCH", path, `{"alertDeliverySettings": {"a": [1, -1e999]}}`, "alertDeliverySettings"},
	}
	for _, tc := range cases {
		r := c.fails(http.StatusBadRequest, "", tc.method, tc.path, tc.body)
		assert.NotEmpty(t, cuFieldProblem(t, r, tc.field), tc.name)
	}
	got := c.ok("GET", path, nil)
	assert.Equal(t, ws, got, "no refused change was applied")
	assert.Len(t, c.ok("GET", "/org-workspaces", nil)["items"], 1)
	_ = srv
}

// Values kept as raw JSON go out as encoding/json reads them: valid UTF-8, each key once (the
// last wins), numbers with the digits they came with.
func TestStrictRawJSONValues(t *testing.T) {
	t.Parallel()
	admin, platform, ws := cuSetup(t)
	path := "/org-workspaces/" + ws.id
	body := "{\"userFieldsSchema\": {\"a\": 1, \"a\": 2, \"s\": \"bad \xff byte\", \"n\": 12345678901234567890}," +
		" \"alertDeliverySettings\": {\"k\": [1.50, {\"x\": true, \"x\": false}]}}"
	got := platform.do("PATCH", path, body)
	require.Equal(t, http.StatusOK, got.Status, "%s", got.Raw)
	for _, raw := range [][]byte{got.Raw, platform.do("GET", path, nil).Raw} {
		assert.Contains(t, string(raw), "\"userFieldsSchema\":{\"a\":2,\"n\":12345678901234567890,\"s\":\"bad \ufffd byte\"}")
		assert.Contains(t, string(raw), `"alertDeliverySettings":{"k":[1.50,{"x":false}]}`)
	}

	cust := "{\"name\": \"c\", \"fields\": {\"f\": 1, \"f\": \"two\", \"u\": \"\xfe\"}, \"credentials\": [\"\xc3\", 7, 7]}"
	r := admin.do("POST", "/customers", cust)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	assert.Contains(t, string(r.Raw), "\"fields\":{\"f\":\"two\",\"u\":\"\ufffd\"}")
	assert.Contains(t, string(r.Raw), "\"credentials\":[\"\ufffd\",7,7]")
	for _, bad := range []string{`{"name": "d", "fields": {"n": 1e400}}`, `{"name": "d", "credentials": 2e308}`} {
		admin.fails(http.StatusBadRequest, "", "POST", "/customers", bad)
	}
	assert.Len(t, admin.ok("GET", "/customers", nil)["items"], 1, "refused creates made nothing")
}

// A fault sends Retry-After only when it is given one.
func TestStrictFaultRetryAfter(t *testing.T) {
	t.Parallel()
	cases := []struct {
		fault fake.Fault
		want  []string
	}{
		{fake.Fault{Status: 503}, nil},
		{fake.Fault{Status: 429}, nil},
		{fake.Fault{Status: 500}, nil},
		{fake.Fault{Status: 503, RetryAfter: 3}, []string{"3"}},
		{fake.Fault{Status: 429, RetryAfter: 1}, []string{"1"}},
	}
	for mode, mk := range strictCallers(t) {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			srv, c := mk(t)
			for _, tc := range cases {
				tc.fault.Path, tc.fault.Times = "/membrane-instances", 1
				addFault(t, srv, tc.fault)
				r := c.do("GET", "/membrane-instances", nil)
				require.Equal(t, tc.fault.Status, r.Status)
				assert.Equal(t, tc.want, r.Header.Values("Retry-After"), "%+v", tc.fault)
			}
		})
	}
}

// A value of the wrong type in a body of the admin API is told by its field and the type wanted,
// and changes nothing.
func TestStrictWrongTypesNameTheField(t *testing.T) {
	t.Parallel()
	cases := []struct{ path, body, message string }{
		{"/_fake/faults", `{"status": "503"}`, `fault: status: a JSON string where a whole number in range is wanted`},
		{"/_fake/faults", `{"status": 1e30}`, `fault: status: a JSON number 1e30 where a whole number in range is wanted`},
		{"/_fake/faults", `{"status": 503, "reset": 1}`, `fault: reset: a JSON number where true or false is wanted`},
		{"/_fake/faults", `[]`, `fault: a JSON array where an object is wanted`},
		{"/_fake/orgs", `{"name": 5}`, `org: name: a JSON number where a string is wanted`},
		{"/_fake/orgs", `{"name": "A", "members": [{"role": true}]}`, `org: members.role: a JSON bool where a string is wanted`},
	}
	srv, c := newFake(t)
	orgs := func() int {
		snap, err := srv.Snapshot(t.Context())
		require.NoError(t, err)
		return len(snap.Orgs)
	}
	before := orgs()
	for _, tc := range cases {
		r := c.fails(http.StatusBadRequest, "", "POST", tc.path, tc.body)
		assert.Equal(t, tc.message, r.Body["message"], tc.body)
	}
	assert.Empty(t, srv.Faults().List(), "no fault is added")
	assert.Equal(t, before, orgs(), "no org is added")
}

// POST /_fake/settle takes no query parameter and no body but an empty object, as reset does.
func TestStrictSettle(t *testing.T) {
	t.Parallel()
	_, c := newFake(t)
	r := c.fails(http.StatusBadRequest, "", "POST", "/_fake/settle?x=1", nil)
	assert.Contains(t, r.Body["message"], "x is not a parameter of this endpoint")
	r = c.fails(http.StatusBadRequest, "", "POST", "/_fake/settle", `{"instance": "eu"}`)
	assert.Equal(t, `body: unknown field "instance"`, r.Body["message"])
	c.fails(http.StatusBadRequest, "", "POST", "/_fake/settle", `{} {}`)
	c.ok("POST", "/_fake/settle", `{}`)
	c.ok("POST", "/_fake/settle", nil)
}

// The endpoints whose body is empty or {} take a body of JSON whitespace as empty.
func TestStrictEmptyBodyMayBeWhitespace(t *testing.T) {
	t.Parallel()
	_, c := newFake(t)
	for _, path := range []string{"/_fake/reset", "/_fake/settle"} {
		c.ok("POST", path, " \r\n\t")
		c.fails(http.StatusBadRequest, "", "POST", path, "\v")
	}
}
