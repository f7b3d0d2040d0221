package fake

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// api names the part of the fake a route belongs to, which decides who may call it.
type api string

const (
	apiManagement api = "management" // platform tokens, at the hub
	apiWorkspace  api = "workspace"  // workspace tokens, at an instance, and through the hub
	apiEngine     api = "engine"     // the instance's engine token: the hub calling an instance
	apiHealth     api = "health"     // anyone
	apiAdmin      api = "admin"      // the fake's own API, with the admin token, at the hub
	apiUI         api = "ui"         // the inspector page's files: anyone, at the hub
)

// params are the path segments that stand for the {…} parts of a route's pattern, in order.
type params [2]string

// route is one endpoint: its method and path pattern, and what serves it on a T.
type route[T any] struct {
	api     api
	method  string
	pattern string
	segs    []string
	serve   func(t T, w http.ResponseWriter, r *http.Request, p params)
}

func newRoute[T any](a api, method, pattern string, serve func(T, http.ResponseWriter, *http.Request, params)) route[T] {
	segs := strings.Split(strings.TrimPrefix(pattern, "/"), "/")
	if pattern == "/" {
		segs = nil
	}
	return route[T]{api: a, method: method, pattern: pattern, segs: segs, serve: serve}
}

// The routes of the hub, its instances and the fake's admin API: built once per process, and
// the list of every endpoint, which the tests walk.
var (
	hubRoutes = []route[*hub]{
		newRoute(apiManagement, "GET", "/org-workspaces", func(h *hub, w http.ResponseWriter, r *http.Request, _ params) {
			h.serve(w, r, h.listWorkspaces)
		}),
		newRoute(apiManagement, "POST", "/org-workspaces", func(h *hub, w http.ResponseWriter, r *http.Request, _ params) {
			h.serve(w, r, h.createWorkspace)
		}),
		newRoute(apiManagement, "GET", "/org-workspaces/{id}", func(h *hub, w http.ResponseWriter, r *http.Request, p params) {
			h.serveWS(w, r, p[0], permRead, h.getWorkspace)
		}),
		newRoute(apiManagement, "PATCH", "/org-workspaces/{id}", func(h *hub, w http.ResponseWriter, r *http.Request, p params) {
			h.serveWS(w, r, p[0], permWrite, h.patchWorkspace)
		}),
		newRoute(apiManagement, "DELETE", "/org-workspaces/{id}", func(h *hub, w http.ResponseWriter, r *http.Request, p params) {
			h.serveWS(w, r, p[0], permManage, h.archiveWorkspace)
		}),
		newRoute(apiManagement, "POST", "/org-workspaces/{id}/access-token", func(h *hub, w http.ResponseWriter, r *http.Request, p params) {
			h.serveWS(w, r, p[0], permWrite, h.accessToken)
		}),
		newRoute(apiManagement, "POST", "/org-workspaces/{id}/rotate-secret", func(h *hub, w http.ResponseWriter, r *http.Request, p params) {
			h.serveWS(w, r, p[0], permManage, h.rotateSecret)
		}),
		newRoute(apiManagement, "POST", "/org-workspaces/{id}/restore", func(h *hub, w http.ResponseWriter, r *http.Request, p params) {
			h.serveWS(w, r, p[0], permManage, h.restoreWorkspace)
		}),
		newRoute(apiManagement, "GET", "/membrane-instances", func(h *hub, w http.ResponseWriter, r *http.Request, _ params) {
			h.serve(w, r, h.listInstances)
		}),
	}

	instanceRoutes = []route[*instance]{
		newRoute(apiHealth, "GET", "/", (*instance).serveHealth),
		newRoute(apiHealth, "HEAD", "/", (*instance).serveHealth),
		newRoute(apiWorkspace, "GET", "/self", func(in *instance, w http.ResponseWriter, r *http.Request, _ params) {
			in.serveTenant(w, r, in.self)
		}),
		newRoute(apiWorkspace, "GET", "/customers", func(in *instance, w http.ResponseWriter, r *http.Request, _ params) {
			in.serveWorkspaceLevel(w, r, in.listCustomers)
		}),
		newRoute(apiWorkspace, "POST", "/customers", func(in *instance, w http.ResponseWriter, r *http.Request, _ params) {
			in.serveWorkspaceLevel(w, r, in.createCustomer)
		}),
		newRoute(apiWorkspace, "GET", "/customers/{id}", func(in *instance, w http.ResponseWriter, r *http.Request, p params) {
			in.serveWorkspaceLevel(w, r, customerAction(p[0], in.getCustomer))
		}),
		newRoute(apiWorkspace, "PATCH", "/customers/{id}", func(in *instance, w http.ResponseWriter, r *http.Request, p params) {
			in.serveWorkspaceLevel(w, r, customerAction(p[0], in.patchCustomer))
		}),
		newRoute(apiWorkspace, "PUT", "/customers/{id}", func(in *instance, w http.ResponseWriter, r *http.Request, p params) {
			in.serveWorkspaceLevel(w, r, customerAction(p[0], in.putCustomer))
		}),
		newRoute(apiWorkspace, "DELETE", "/customers/{id}", func(in *instance, w http.ResponseWriter, r *http.Request, p params) {
			in.serveWorkspaceLevel(w, r, customerAction(p[0], in.archiveCustomer))
		}),
		newRoute(apiWorkspace, "POST", "/customers/{id}/restore", func(in *instance, w http.ResponseWriter, r *http.Request, p params) {
			in.serveWorkspaceLevel(w, r, customerAction(p[0], in.restoreCustomer))
		}),
		newRoute(apiEngine, "GET", "/workspaces", func(in *instance, w http.ResponseWriter, r *http.Request, _ params) {
			in.serveEngine(w, r, func(*request) (any, *apiError) { return in.engineList(), nil })
		}),
		newRoute(apiEngine, "POST", "/workspaces", func(in *instance, w http.ResponseWriter, r *http.Request, _ params) {
			in.serveEngine(w, r, in.engineCreate)
		}),
		newRoute(apiEngine, "GET", "/workspaces/{key}", func(in *instance, w http.ResponseWriter, r *http.Request, p params) {
			in.serveEngine(w, r, func(x *request) (any, *apiError) { return in.engineGet(x, p[0]) })
		}),
		newRoute(apiEngine, "PATCH", "/workspaces/{key}", func(in *instance, w http.ResponseWriter, r *http.Request, p params) {
			in.serveEngine(w, r, func(x *request) (any, *apiError) { return in.enginePatch(x, p[0]) })
		}),
		newRoute(apiEngine, "DELETE", "/workspaces/{key}", func(in *instance, w http.ResponseWriter, r *http.Request, p params) {
			in.serveEngine(w, r, func(*request) (any, *apiError) { return in.engineDelete(p[0]) })
		}),
		newRoute(apiEngine, "GET", "/workspaces/{key}/customers/{id}", func(in *instance, w http.ResponseWriter, r *http.Request, p params) {
			in.serveEngine(w, r, func(*request) (any, *apiError) { return in.engineCustomer(p[0], p[1]) })
		}),
	}

	adminRoutes = []route[*Server]{
		newRoute(apiAdmin, "GET", "/_fake/faults", func(s *Server, w http.ResponseWriter, r *http.Request, _ params) {
			s.serveAdmin(w, r, noParams(func(*request) (any, *apiError) { return listJSON[Fault]{Items: s.env.faults.List()}, nil }))
		}),
		newRoute(apiAdmin, "POST", "/_fake/faults", func(s *Server, w http.ResponseWriter, r *http.Request, _ params) {
			s.serveAdmin(w, r, noParams(s.addFault))
		}),
		newRoute(apiAdmin, "DELETE", "/_fake/faults", func(s *Server, w http.ResponseWriter, r *http.Request, _ params) {
			s.serveAdmin(w, r, noParams(func(*request) (any, *apiError) { s.env.faults.Clear(); return map[string]any{}, nil }))
		}),
		newRoute(apiAdmin, "DELETE", "/_fake/faults/{id}", func(s *Server, w http.ResponseWriter, r *http.Request, p params) {
			s.serveAdmin(w, r, noParams(func(*request) (any, *apiError) {
				if !s.env.faults.Remove(p[0]) {
					return nil, errNotFound("fault %q not found", p[0])
				}
				return map[string]any{}, nil
			}))
		}),
		newRoute(apiAdmin, "POST", "/_fake/settle", func(s *Server, w http.ResponseWriter, r *http.Request, _ params) {
			s.serveAdmin(w, r, s.settle)
		}),
		newRoute(apiAdmin, "GET", "/_fake/journal", func(s *Server, w http.ResponseWriter, r *http.Request, _ params) {
			s.serveAdmin(w, r, s.serveJournal)
		}),
		newRoute(apiAdmin, "DELETE", "/_fake/journal", func(s *Server, w http.ResponseWriter, r *http.Request, _ params) {
			s.serveAdmin(w, r, noParams(func(*request) (any, *apiError) { s.ResetJournal(); return map[string]any{}, nil }))
		}),
		adminRoute("GET", "/_fake", func(s *Server) handlerFunc { return s.serveIndex }),
		adminRoute("POST", "/_fake/orgs", func(s *Server) handlerFunc { return s.serveAddOrg }),
		adminRoute("POST", "/_fake/reset", func(s *Server) handlerFunc { return s.serveReset }),
		adminRoute("GET", "/_fake/state", func(s *Server) handlerFunc { return s.serveGetState }),
		adminRoute("PUT", "/_fake/state", func(s *Server) handlerFunc { return s.servePutState }),
		adminRoute("GET", "/_fake/inspect", func(s *Server) handlerFunc { return s.inspect }),
		newRoute(apiAdmin, "GET", "/_fake/workspaces/{id}/secret", func(s *Server, w http.ResponseWriter, r *http.Request, p params) {
			s.serveAdmin(w, r, func(x *request) (any, *apiError) { return s.revealSecret(x, p[0]) })
		}),
		newRoute(apiUI, "GET", "/_fake/ui", func(s *Server, w http.ResponseWriter, r *http.Request, _ params) {
			s.serveUIFile(w, r, "index.html")
		}),
		newRoute(apiUI, "GET", "/_fake/ui/", func(s *Server, w http.ResponseWriter, r *http.Request, _ params) {
			if !s.refuseUIQuery(w, r) {
				http.Redirect(w, r, "/_fake/ui", http.StatusFound)
			}
		}),
		newRoute(apiUI, "GET", "/_fake/ui/{file}", func(s *Server, w http.ResponseWriter, r *http.Request, p params) {
			s.serveUIFile(w, r, p[0])
		}),
	}
)

// maxPathSegments is the most segments a route's path has.
const maxPathSegments = 4

// pathSegments splits the request's path into its segments, each unescaped, so that an escaped
// slash inside an id stays part of the id. ok is false when the path has more segments than any
// route, or cannot be unescaped: no route takes it.
func pathSegments(r *http.Request) (segs []string, ok bool) {
	p := strings.TrimPrefix(r.URL.EscapedPath(), "/")
	if p == "" {
		return nil, true
	}
	segs = strings.SplitN(p, "/", maxPathSegments+1)
	if len(segs) > maxPathSegments {
		return nil, false
	}
	for i, s := range segs {
		if !strings.Contains(s, "%") {
			continue
		}
		u, err := url.PathUnescape(s)
		if err != nil {
			return nil, false
		}
		segs[i] = u
	}
	return segs, true
}

// routeOf finds the route of routes for method and segs, with its parameters. When the path
// matches routes but none of them takes the method, it returns those routes' methods instead.
func routeOf[T any](routes []route[T], method string, segs []string) (*route[T], params, string) {
	var allow []string
	for i := range routes {
		rt := &routes[i]
		p, ok := rt.matchPath(segs)
		if !ok {
			continue
		}
		if rt.method == method {
			return rt, p, ""
		}
		if !slices.Contains(allow, rt.method) {
			allow = append(allow, rt.method)
		}
	}
	slices.Sort(allow)
	return nil, params{}, strings.Join(allow, ", ")
}

func (rt *route[T]) matchPath(segs []string) (params, bool) {
	var p params
	if len(segs) != len(rt.segs) {
		return p, false
	}
	n := 0
	for i, want := range rt.segs {
		if strings.HasPrefix(want, "{") {
			if segs[i] == "" {
				return p, false
			}
			p[n] = segs[i]
			n++
		} else if segs[i] != want {
			return p, false
		}
	}
	return p, true
}

// serveRoutes serves r with the route of routes it takes, 405 when the path is known but not
// the method, and otherwise hands it to miss.
func serveRoutes[T any](t T, routes []route[T], w http.ResponseWriter, r *http.Request, fail func(*apiError), miss func()) {
	segs, ok := pathSegments(r)
	if ok {
		rt, p, allow := routeOf(routes, r.Method, segs)
		if rt != nil {
			rt.serve(t, w, r, p)
			return
		}
		if allow != "" {
			w.Header().Set("Allow", allow)
			fail(errMethodNotAllowed(r.Method, r.URL.Path))
			return
		}
	}
	miss()
}
