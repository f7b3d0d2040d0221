package fake

import (
	"crypto/subtle"
	"net/http"
	"strings"
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

	mu         sync.RWMutex
	secret     []byte
	archivedAt *time.Time
	cfg        wsConfig
	customers  map[string]*custEntry // by id
	byInternal map[string]*custEntry // by internal id (the tenant key)
	order      []*custEntry          // by creation
	seq        uint64
}

func newInstance(s *Server, id, name string) *instance {
	return &instance{
		s: s, id: id, name: name,
		engineToken: "eng-" + s.ids.secret(),
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
	path := r.URL.Path
	head, rest, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	switch head {
	case "":
		x := in.s.newExchange(w, r, in.idem)
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			in.methodNotAllowed(x, "GET")
			return
		}
		x.ok(map[string]string{"status": "ok", "instance": in.id})
	case "workspaces":
		in.serveEngine(w, r, rest)
	case "self":
		in.serveWorkspaceAPI(w, r, rest == "", map[string]tenantHandler{http.MethodGet: in.self})
	case "customers":
		id, action, _ := strings.Cut(rest, "/")
		switch {
		case id == "":
			in.serveWorkspaceAPI(w, r, true, map[string]tenantHandler{
				http.MethodGet: in.adminOnly(in.listCustomers), http.MethodPost: in.adminOnly(in.createCustomer)})
		case action == "":
			in.serveWorkspaceAPI(w, r, true, map[string]tenantHandler{
				http.MethodGet:    in.adminOnly(in.customerAction(id, in.getCustomer)),
				http.MethodPatch:  in.adminOnly(in.customerAction(id, in.patchCustomer)),
				http.MethodPut:    in.adminOnly(in.customerAction(id, in.putCustomer)),
				http.MethodDelete: in.adminOnly(in.customerAction(id, in.archiveCustomer)),
			})
		default:
			in.serveWorkspaceAPI(w, r, action == "restore", map[string]tenantHandler{
				http.MethodPost: in.adminOnly(in.customerAction(id, in.restoreCustomer))})
		}
	default:
		x := in.s.newExchange(w, r, in.idem)
		x.fail(errNotFound("no route for %s %s", r.Method, path))
	}
}

func (in *instance) methodNotAllowed(x *exchange, allow string) {
	x.w.Header().Set("Allow", allow)
	x.fail(errMethodNotAllowed(x.r.Method, x.r.URL.Path))
}

// tenantHandler answers a workspace API request made with a verified workspace token.
type tenantHandler func(x *exchange, ws *workspace, tok *tokenInfo) (any, *apiError)

func (in *instance) serveWorkspaceAPI(w http.ResponseWriter, r *http.Request, routed bool, methods map[string]tenantHandler) {
	x := in.s.newExchange(w, r, in.idem)
	if !routed {
		x.fail(errNotFound("no route for %s %s", r.Method, r.URL.Path))
		return
	}
	fn := methods[r.Method]
	if fn == nil {
		allow := make([]string, 0, len(methods))
		for m := range methods {
			allow = append(allow, m)
		}
		in.methodNotAllowed(x, strings.Join(sortedStrings(allow), ", "))
		return
	}
	ws, tok, err := in.authenticate(r)
	if err != nil {
		x.fail(err)
		return
	}
	x.caller = "ws:" + ws.key + "/" + tok.tenantKey
	x.run(func(x *exchange) (any, *apiError) { return fn(x, ws, tok) })
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

func sortedStrings(ss []string) []string {
	m := make(map[string]struct{}, len(ss))
	for _, s := range ss {
		m[s] = struct{}{}
	}
	return sortedKeys(m)
}
