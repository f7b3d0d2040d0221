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
	env         *env
	id, name    string
	engineToken string
	idem        *idempotency
	parser      *jwt.Parser

	mu         sync.RWMutex
	workspaces map[string]*workspace // by key
	// removed holds the keys the engine API removed (or was asked to remove before they were
	// created): a key, like a workspace, only moves forward, so a create of one of them, which
	// expects a key never used, is refused.
	removed map[string]bool
}

// workspace is a workspace as its instance holds it. Its fields are guarded by mu.
type workspace struct {
	key       string
	createdAt time.Time
	version   uint64 // counts the engine updates; the hub sends the one it expects

	// access is held for reading by a workspace API request from the check of its token to its
	// response, and for writing by an engine update, so that no request checked against a secret,
	// an archive state or keys that an update replaces is still served after the update.
	access sync.RWMutex

	mu         sync.RWMutex
	secret     []byte
	prevSecret []byte    // the secret before the last rotation, valid until prevUntil
	prevUntil  time.Time // the end of the rotation's grace period
	archivedAt *time.Time
	cfg        wsConfig
	keys       []verifyKey           // cfg.PublicKeys, parsed
	customers  map[string]*custEntry // by id
	byInternal map[string]*custEntry // by internal id (the tenant key)
	order      []*custEntry          // by creation
	seq        uint64
}

// newInstance makes an instance; an empty engineToken is drawn at random.
func newInstance(e *env, id, name, engineToken string) *instance {
	if engineToken == "" {
		engineToken = "eng-" + e.ids.secret()
	}
	return &instance{
		env: e, id: id, name: name,
		engineToken: engineToken,
		idem:        newIdempotency(e.clock),
		parser:      newTokenParser(e.clock),
		workspaces:  make(map[string]*workspace),
		removed:     make(map[string]bool),
	}
}

func (in *instance) workspace(key string) *workspace {
	in.mu.RLock()
	ws := in.workspaces[key]
	in.mu.RUnlock()
	return ws
}

// ServeHTTP serves the workspace API, the engine API and the health check.
func (in *instance) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	fail := func(err *apiError) { in.env.newRequest(w, r, in.idem).fail(err) }
	serveRoutes(in, instanceRoutes, w, r, fail, func() {
		fail(errNotFound("no route for %s %s", r.Method, r.URL.Path))
	})
}

// serveHealth serves GET / as the real API does: 200.
func (in *instance) serveHealth(w http.ResponseWriter, r *http.Request, _ params) {
	in.env.newRequest(w, r, in.idem).ok(map[string]string{"status": "ok", "instance": in.id})
}

// tenantHandler serves a workspace API request made with a verified workspace token.
type tenantHandler func(x *request, ws *workspace, tok *tokenInfo) (any, *apiError)

// serveTenant verifies the workspace token of r and serves it with fn.
func (in *instance) serveTenant(w http.ResponseWriter, r *http.Request, fn tenantHandler) {
	in.serveToken(w, r, false, fn)
}

// serveWorkspaceLevel serves a request that needs a workspace-level token (/customers): a
// tenant token without isAdmin is refused 403 before the request is taken in, so that the
// refusal, like the role checks of the hub, is not kept under an Idempotency-Key.
func (in *instance) serveWorkspaceLevel(w http.ResponseWriter, r *http.Request, fn tenantHandler) {
	in.serveToken(w, r, true, fn)
}

// serveToken verifies the workspace token of r, refuses a tenant token where workspaceLevel
// asks for a workspace-level one, and serves the request with fn.
func (in *instance) serveToken(w http.ResponseWriter, r *http.Request, workspaceLevel bool, fn tenantHandler) {
	x := in.env.newRequest(w, r, in.idem)
	ws, tok, err := in.authenticate(r)
	if err != nil {
		x.fail(err)
		return
	}
	defer ws.access.RUnlock()
	if workspaceLevel && tok.tenantKey != "" && !tok.isAdmin {
		x.fail(errAccessDenied("a tenant token may only use /self; /customers needs a workspace-level token"))
		return
	}
	x.caller = "ws:" + ws.key + "/" + tok.tenantKey
	x.run(func(x *request) (any, *apiError) { return fn(x, ws, tok) })
}

func (in *instance) checkEngineToken(r *http.Request) *apiError {
	tok := bearer(r)
	if tok == "" || subtle.ConstantTimeCompare([]byte(tok), []byte(in.engineToken)) != 1 {
		return errNotAuthenticated("the engine API needs this instance's engine token")
	}
	return nil
}
