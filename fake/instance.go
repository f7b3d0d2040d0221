package fake

import (
	"crypto/subtle"
	"net/http"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// instance runs workspaces: their runtime configuration and their customers. It serves the
// workspace API (workspace tokens) and the engine API (the hub, with the engine token).
type instance struct {
	s           *Server
	id, name    string
	engineToken string
	idem        *idempotency
	parser      *jwt.Parser

	mu         sync.RWMutex
	workspaces map[string]*workspace // by key
}

// workspace is a workspace as its instance holds it. Its fields are guarded by mu.
type workspace struct {
	key       string
	createdAt time.Time
	version   uint64 // counts the engine updates; the hub sends the one it expects

	mu         sync.RWMutex
	secret     []byte
	archivedAt *time.Time
	cfg        wsConfig
	keys       []verifyKey           // cfg.PublicKeys, parsed
	customers  map[string]*custEntry // by id
	byInternal map[string]*custEntry // by internal id (the tenant key)
	order      []*custEntry          // by creation
	seq        uint64
}

func newInstance(s *Server, id, name string) *instance {
	engineToken := s.cfg.engineToken
	if engineToken == "" {
		engineToken = "eng-" + s.ids.secret()
	}
	return &instance{
		s: s, id: id, name: name,
		engineToken: engineToken,
		idem:        newIdempotency(s.cfg.now),
		parser:      newTokenParser(s.cfg.now),
		workspaces:  make(map[string]*workspace),
	}
}

func (in *instance) workspace(key string) *workspace {
	in.mu.RLock()
	ws := in.workspaces[key]
	in.mu.RUnlock()
	return ws
}

// ServeHTTP answers the workspace API, the engine API and the health check.
func (in *instance) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p, ok := pathParts(r)
	head, id, action := p[0], p[1], p[2]
	switch {
	case !ok:
	case head == "workspaces" && action == "customers" && p[3] != "":
		in.serveEngineCustomer(w, r, id, p[3])
		return
	case p[3] != "":
	case head == "" && id == "":
		x := in.s.newExchange(w, r, in.idem)
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			in.methodNotAllowed(x, "GET")
			return
		}
		x.ok(map[string]string{"status": "ok", "instance": in.id})
		return
	case head == "workspaces" && action == "":
		in.serveEngine(w, r, id)
		return
	case head == "self":
		in.serveWorkspaceAPI(w, r, in.route(id == "", r.Method, "GET", in.self))
		return
	case head == "customers":
		in.serveWorkspaceAPI(w, r, in.customersRoute(r.Method, id, action))
		return
	}
	x := in.s.newExchange(w, r, in.idem)
	x.fail(errNotFound("no route for %s %s", r.Method, r.URL.Path))
}

func (in *instance) methodNotAllowed(x *exchange, allow string) {
	x.w.Header().Set("Allow", allow)
	x.fail(errMethodNotAllowed(x.r.Method, x.r.URL.Path))
}

// tenantHandler answers a workspace API request made with a verified workspace token.
type tenantHandler func(x *exchange, ws *workspace, tok *tokenInfo) (any, *apiError)

// route is where a workspace API request goes: its handler, or the answer that no handler
// takes it.
type route struct {
	fn    tenantHandler
	allow string // for a method that is not allowed here
	miss  bool   // no such path
}

// route picks fn for a path that matched, when the request's method is the one allowed.
func (in *instance) route(matched bool, method, allow string, fn tenantHandler) route {
	switch {
	case !matched:
		return route{miss: true}
	case method != allow:
		return route{allow: allow}
	}
	return route{fn: fn}
}

// customersRoute routes /customers, /customers/{id} and /customers/{id}/restore.
func (in *instance) customersRoute(method, id, action string) route {
	switch {
	case id == "":
		switch method {
		case http.MethodGet:
			return route{fn: in.adminOnly(in.listCustomers)}
		case http.MethodPost:
			return route{fn: in.adminOnly(in.createCustomer)}
		}
		return route{allow: "GET, POST"}
	case action == "":
		var fn customerHandler
		switch method {
		case http.MethodGet:
			fn = in.getCustomer
		case http.MethodPatch:
			fn = in.patchCustomer
		case http.MethodPut:
			fn = in.putCustomer
		case http.MethodDelete:
			fn = in.archiveCustomer
		default:
			return route{allow: "DELETE, GET, PATCH, PUT"}
		}
		return route{fn: in.adminOnly(in.customerAction(id, fn))}
	case action == "restore":
		return in.route(true, method, http.MethodPost, in.adminOnly(in.customerAction(id, in.restoreCustomer)))
	}
	return route{miss: true}
}

func (in *instance) serveWorkspaceAPI(w http.ResponseWriter, r *http.Request, rt route) {
	x := in.s.newExchange(w, r, in.idem)
	switch {
	case rt.miss:
		x.fail(errNotFound("no route for %s %s", r.Method, r.URL.Path))
		return
	case rt.fn == nil:
		in.methodNotAllowed(x, rt.allow)
		return
	}
	ws, tok, err := in.authenticate(r)
	if err != nil {
		x.fail(err)
		return
	}
	x.caller = "ws:" + ws.key + "/" + tok.tenantKey
	x.run(func(x *exchange) (any, *apiError) { return rt.fn(x, ws, tok) })
}

// adminOnly refuses tenant tokens: /customers needs a workspace-level token.
func (in *instance) adminOnly(fn tenantHandler) tenantHandler {
	return func(x *exchange, ws *workspace, tok *tokenInfo) (any, *apiError) {
		if tok.tenantKey != "" && !tok.isAdmin {
			return nil, errAccessDenied("a tenant token may only use /self; /customers needs a workspace-level token")
		}
		return fn(x, ws, tok)
	}
}

func (in *instance) checkEngineToken(r *http.Request) *apiError {
	tok := bearer(r)
	if tok == "" || subtle.ConstantTimeCompare([]byte(tok), []byte(in.engineToken)) != 1 {
		return errNotAuthenticated("the engine API needs this instance's engine token")
	}
	return nil
}
