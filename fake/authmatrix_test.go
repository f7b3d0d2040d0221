package fake

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// matrixRow says, for one route, what a valid request is and who may make it.
type matrixRow struct {
	perm   permission // Management API: what the role table asks for
	self   bool       // workspace API: /self, for tenant tokens
	object bool       // workspace API: the path names a customer of the workspace
	body   string     // a valid body; {org} is filled in
	query  string     // a query to add; {org} is filled in
}

// authMatrix has a row for every route of the fake. A route without a row fails the test, so
// an endpoint cannot be added without saying who may call it.
var authMatrix = map[string]matrixRow{
	"GET /org-workspaces":                     {perm: permRead, query: "?orgId={org}"},
	"POST /org-workspaces":                    {perm: permWrite, body: `{"orgId": "{org}"}`},
	"GET /org-workspaces/{id}":                {perm: permRead},
	"PATCH /org-workspaces/{id}":              {perm: permWrite, body: `{"name": "renamed"}`},
	"DELETE /org-workspaces/{id}":             {perm: permManage},
	"POST /org-workspaces/{id}/access-token":  {perm: permWrite, body: `{}`},
	"POST /org-workspaces/{id}/rotate-secret": {perm: permManage},
	"POST /org-workspaces/{id}/restore":       {perm: permManage},
	"GET /membrane-instances":                 {perm: permRead, query: "?orgId={org}"},

	"GET /":                        {},
	"HEAD /":                       {},
	"GET /self":                    {self: true},
	"GET /customers":               {},
	"POST /customers":              {body: `{"name": "New"}`},
	"GET /customers/{id}":          {object: true},
	"PATCH /customers/{id}":        {object: true, body: `{"name": "Renamed"}`},
	"PUT /customers/{id}":          {object: true, body: `{"name": "Replaced"}`},
	"DELETE /customers/{id}":       {object: true},
	"POST /customers/{id}/restore": {object: true},

	"GET /workspaces":                      {},
	"POST /workspaces":                     {body: `{"workspaceKey": "new-key", "workspaceSecret": "0123456789abcdef0123"}`},
	"GET /workspaces/{key}":                {},
	"PATCH /workspaces/{key}":              {body: `{"webhookUri": "https://x.example"}`},
	"DELETE /workspaces/{key}":             {},
	"GET /workspaces/{key}/customers/{id}": {},
	"GET /_fake/faults":                    {},
	"POST /_fake/faults":                   {body: `{"path": "/nowhere", "status": 500}`},
	"DELETE /_fake/faults":                 {},
	"DELETE /_fake/faults/{id}":            {},
	"GET /_fake/journal":                   {},
	"DELETE /_fake/journal":                {},
	"POST /_fake/reset":                    {},
	"GET /_fake":                           {},
	"POST /_fake/orgs":                     {body: `{"name": "Suite"}`},
	"GET /_fake/state":                     {},
	"PUT /_fake/state":                     {body: `{"orgs": []}`},
	"POST /_fake/settle":                   {},
	"GET /_fake/inspect":                   {},
	"GET /_fake/workspaces/{id}/secret":    {},
	"GET /_fake/ui":                        {},
	"GET /_fake/ui/":                       {},
	"GET /_fake/ui/{file}":                 {},
}

// matrixRoute is a route of any table, seen the same way.
type matrixRoute struct {
	api             api
	method, pattern string
}

func allRoutes() []matrixRoute {
	var out []matrixRoute
	for _, rt := range hubRoutes {
		out = append(out, matrixRoute{rt.api, rt.method, rt.pattern})
	}
	for _, rt := range instanceRoutes {
		out = append(out, matrixRoute{rt.api, rt.method, rt.pattern})
	}
	for _, rt := range adminRoutes {
		out = append(out, matrixRoute{rt.api, rt.method, rt.pattern})
	}
	return out
}

// The kinds of caller of the matrix.
var matrixCallers = []string{
	"no token", "garbage", "expired platform token", "other org's admin", "admin", "member", "read-only",
	"workspace token", "tenant token", "other workspace's token", "archived workspace's token",
	"pre-rotation token", "pre-rotation token in grace", "engine token",
}

// fixture is a server with everything a matrix case needs.
type fixture struct {
	s                         *Server
	tokens                    map[string]string
	wsID, wsKey, custID, orgA string
	faultID                   string
}

func newFixture(t *testing.T, grace bool) *fixture {
	t.Helper()
	opts := []Option{WithSeed(3)}
	if grace {
		opts = append(opts, WithSecretGracePeriod(time.Hour))
	}
	s, err := New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	f := &fixture{s: s, orgA: s.OrgID(), tokens: map[string]string{}}
	admin := s.AdminToken()
	do := func(tok, method, path, body string) map[string]any {
		t.Helper()
		status, out := f.send(t, tok, method, path, body)
		if status != http.StatusOK {
			t.Fatalf("fixture: %s %s: %d %v", method, path, status, out)
		}
		return out
	}
	newWS := func() (string, string) {
		ws := do(admin, "POST", "/org-workspaces", `{"orgId": "`+f.orgA+`"}`)
		return ws["id"].(string), ws["key"].(string)
	}
	mint := func(id, body string) string {
		return do(admin, "POST", "/org-workspaces/"+id+"/access-token", body)["token"].(string)
	}
	f.wsID, f.wsKey = newWS()
	wsToken := mint(f.wsID, `{"isAdmin": true}`)
	f.custID = do(wsToken, "POST", "/customers", `{"name": "Cust", "internalId": "cust"}`)["id"].(string)
	otherID, _ := newWS()
	archID, _ := newWS()
	rotID, _ := newWS()
	expired := s.AddMember(f.orgA, RoleAdmin)
	s.ExpireToken(expired)

	f.tokens["garbage"] = "garbage"
	f.tokens["expired platform token"] = expired
	f.tokens["other org's admin"] = s.AddMember(s.AddOrg("Other"), RoleAdmin)
	f.tokens["admin"] = admin
	f.tokens["member"] = s.AddMember(f.orgA, RoleMember)
	f.tokens["read-only"] = s.AddMember(f.orgA, RoleReadOnly)
	f.tokens["workspace token"] = wsToken
	f.tokens["tenant token"] = mint(f.wsID, `{"tenantKey": "cust"}`)
	f.tokens["other workspace's token"] = mint(otherID, `{"isAdmin": true}`)
	f.tokens["archived workspace's token"] = mint(archID, `{"isAdmin": true}`)
	do(admin, "DELETE", "/org-workspaces/"+archID, "")
	pre := mint(rotID, `{"isAdmin": true}`)
	do(admin, "POST", "/org-workspaces/"+rotID+"/rotate-secret", "")
	f.tokens["pre-rotation token"] = pre
	f.tokens["pre-rotation token in grace"] = pre
	f.tokens["engine token"] = s.hubInstance.EngineToken()
	fault, err := s.Faults().Add(Fault{Path: "/nowhere", Status: 500})
	if err != nil {
		t.Fatal(err)
	}
	f.faultID = fault
	return f
}

func (f *fixture) send(t *testing.T, tok, method, path, body string) (int, map[string]any) {
	t.Helper()
	var rd io.Reader = http.NoBody
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, f.s.URL()+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := f.s.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if len(bytes.TrimSpace(raw)) > 0 && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("%s %s: not JSON: %s", method, path, raw)
		}
	}
	return resp.StatusCode, out
}

// expect is the status and error key the matrix predicts.
func expect(rt matrixRoute, row matrixRow, caller string) (int, string) {
	denied := func() (int, string) { return http.StatusUnauthorized, keyNotAuthenticated }
	platform := map[string]Role{"admin": RoleAdmin, "member": RoleMember, "read-only": RoleReadOnly}
	switch rt.api {
	case apiHealth, apiUI:
		return http.StatusOK, ""
	case apiAdmin:
		if caller == "admin" {
			return http.StatusOK, ""
		}
		return denied()
	case apiEngine:
		if caller == "engine token" {
			return http.StatusOK, ""
		}
		return denied()
	case apiManagement:
		if role, ok := platform[caller]; ok {
			if role.can(row.perm) {
				return http.StatusOK, ""
			}
			return http.StatusForbidden, keyAccessDenied
		}
		if caller == "other org's admin" {
			return http.StatusNotFound, keyNotFound
		}
		return denied()
	}
	// The workspace API.
	switch caller {
	case "workspace token", "pre-rotation token in grace":
		if row.self {
			return http.StatusForbidden, keyAccessDenied
		}
		if row.object && caller != "workspace token" {
			return http.StatusNotFound, keyNotFound // its workspace has no such customer
		}
		return http.StatusOK, ""
	case "tenant token":
		if row.self {
			return http.StatusOK, ""
		}
		return http.StatusForbidden, keyAccessDenied
	case "other workspace's token":
		switch {
		case row.self:
			return http.StatusForbidden, keyAccessDenied
		case row.object:
			return http.StatusNotFound, keyNotFound
		}
		return http.StatusOK, ""
	}
	return denied()
}

func TestAuthMatrix(t *testing.T) {
	t.Parallel()
	routes := allRoutes()
	seen := map[string]bool{}
	for _, rt := range routes {
		name := rt.method + " " + rt.pattern
		seen[name] = true
		if _, ok := authMatrix[name]; !ok {
			t.Errorf("route %s has no row in the auth matrix", name)
		}
	}
	for name := range authMatrix {
		if !seen[name] {
			t.Errorf("the auth matrix has a row for %s, which is no route", name)
		}
	}
	for _, rt := range routes {
		row := authMatrix[rt.method+" "+rt.pattern]
		for _, caller := range matrixCallers {
			t.Run(rt.method+" "+rt.pattern+"/"+caller, func(t *testing.T) {
				t.Parallel()
				f := newFixture(t, caller == "pre-rotation token in grace")
				path := strings.Replace(rt.pattern, "{key}", f.wsKey, 1)
				path = strings.Replace(path, "{id}", f.idFor(rt), 1)
				path = strings.Replace(path, "{file}", "app.js", 1)
				path += strings.ReplaceAll(row.query, "{org}", f.orgA)
				body := strings.ReplaceAll(row.body, "{org}", f.orgA)
				wantStatus, wantKey := expect(rt, row, caller)
				status, out := f.send(t, f.tokens[caller], rt.method, path, body)
				if status != wantStatus {
					t.Fatalf("%s %s as %s: status %d, want %d: %v", rt.method, path, caller, status, wantStatus, out)
				}
				if wantKey != "" && out["key"] != wantKey {
					t.Fatalf("%s %s as %s: key %v, want %s", rt.method, path, caller, out["key"], wantKey)
				}
				if status >= 400 {
					for _, secret := range f.tokens {
						if secret != "" && secret != "garbage" && strings.Contains(out["message"].(string), secret) {
							t.Fatalf("the error message repeats a token")
						}
					}
				}
			})
		}
	}
}

// idFor is the {id} of a route: the workspace, the fault, or the customer.
func (f *fixture) idFor(rt matrixRoute) string {
	switch {
	case strings.HasPrefix(rt.pattern, "/org-workspaces/"), strings.HasPrefix(rt.pattern, "/_fake/workspaces/"):
		return f.wsID
	case strings.HasPrefix(rt.pattern, "/_fake/faults/"):
		return f.faultID
	}
	return f.custID
}
