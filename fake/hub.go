package fake

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Role is what an org member may do in the org.
type Role string

// The roles of org members.
const (
	RoleAdmin    Role = "admin"     // everything
	RoleMember   Role = "member"    // read, create, patch, mint access tokens
	RoleReadOnly Role = "read-only" // read only
)

// permission is an operation class of the role table.
type permission int

const (
	permRead   permission = iota // list, get
	permWrite                    // create, patch, access-token
	permManage                   // rotate-secret, archive, restore
)

func (r Role) can(p permission) bool {
	switch r {
	case RoleAdmin:
		return true
	case RoleMember:
		return p <= permWrite
	case RoleReadOnly:
		return p == permRead
	}
	return false
}

// hub serves the Management API: orgs, members, org workspaces and the instance registry.
type hub struct {
	env  *env
	own  http.Handler // the instance the hub hosts, which serves the workspace side at its URL
	idem *idempotency

	mu        sync.RWMutex
	orgs      map[string]*org         // by id
	members   map[[32]byte]*member    // by the SHA-256 of their platform token
	byWS      map[string]*wsEntry     // org workspaces by id
	keyHost   map[string]string       // workspace key to the id of the instance hosting it
	keyOrg    map[string]string       // workspace key to the id of its org
	instances map[string]*instanceRef // by id
	instOrder []string                // ids, in the order they were registered (the hub's own first)

	repairs repairs
}

// member is a platform user: a token and a role in each org it belongs to. Never changed after
// it is added.
type member struct {
	token     string // kept for snapshots, never logged or sent outside the admin API
	userID    string
	roles     map[string]Role // by org id
	expiresAt time.Time       // zero: never; guarded by hub.mu
}

// tokenDigest is the key under which a platform token is kept: looking a token up by its hash
// takes no time that depends on how much of it matches a real one.
func tokenDigest(token string) [32]byte { return sha256.Sum256([]byte(token)) }

// org holds its workspaces under its own lock.
type org struct {
	id, key, name string
	createdAt     time.Time

	mu    sync.RWMutex
	order []*wsEntry // by creation
	seq   uint64
	// busy holds the workspaces whose gate is held, each with the channel that is closed when
	// it is left (see wsEntry.enter): what a read of one of them, or a list, waits for. Created
	// by the first change.
	busy map[*wsEntry]chan struct{}
}

// wsEntry is an org workspace's place in its org: the current version (read and replaced under
// the org's lock) and the gate that lets one change at a time reach its instance.
type wsEntry struct {
	org  *org
	cur  *orgWorkspace
	seq  uint64
	gate chan struct{} // held by the change or repair under way, with an entry in org.busy
	// dirty says that an update may or may not have reached the instance, which must be made
	// to hold cur again before anything else. Read and written with the gate held.
	dirty bool
}

func (e *wsEntry) sequence() uint64 { return e.seq }

// orgWorkspace is one version of an org workspace, as the hub holds it. Never changed in place.
type orgWorkspace struct {
	id, orgID, name, nameLower, key, secret string
	instanceID, logoURI                     string
	// prevSecret is the secret before the last rotation, which tokens may still use until
	// prevUntil (WithSecretGracePeriod); "" when there is none.
	prevSecret           string
	prevUntil            time.Time
	createdAt, updatedAt time.Time
	archivedAt           *time.Time
	cfg                  wsConfig
	version              uint64 // the instance's version of the workspace that holds this
}

func newHub(e *env, own http.Handler) *hub {
	return &hub{
		env:       e,
		own:       own,
		idem:      newIdempotency(e.clock),
		orgs:      make(map[string]*org),
		members:   make(map[[32]byte]*member),
		byWS:      make(map[string]*wsEntry),
		keyHost:   make(map[string]string),
		keyOrg:    make(map[string]string),
		instances: make(map[string]*instanceRef),
		repairs:   newRepairs(),
	}
}

func (h *hub) addOrg(id, name string) *org {
	now := h.env.now()
	o := &org{id: id, key: strings.ToLower(strings.ReplaceAll(name, " ", "-")), name: name, createdAt: now}
	h.mu.Lock()
	defer h.mu.Unlock()
	if existing := h.orgs[id]; existing != nil {
		return existing
	}
	h.orgs[id] = o
	return o
}

func (h *hub) addMember(token string, roles map[string]Role, expiresAt time.Time) {
	m := &member{token: token, userID: h.env.ids.objectID(), roles: roles, expiresAt: expiresAt}
	h.mu.Lock()
	h.members[tokenDigest(token)] = m
	h.mu.Unlock()
}

// expireMember makes the platform token of a member expire now, and reports whether there is
// such a member.
func (h *hub) expireMember(token string) bool {
	now := h.env.now()
	h.mu.Lock()
	defer h.mu.Unlock()
	m := h.members[tokenDigest(token)]
	if m == nil {
		return false
	}
	m.expiresAt = now
	return true
}

// authenticate finds the member of the request's platform token.
func (h *hub) authenticate(r *http.Request) (*member, *apiError) {
	tok := bearer(r)
	if tok == "" {
		return nil, errNotAuthenticated("missing bearer token: send Authorization: Bearer <platform token>")
	}
	h.mu.RLock()
	m := h.members[tokenDigest(tok)]
	var expiresAt time.Time
	if m != nil {
		expiresAt = m.expiresAt
	}
	h.mu.RUnlock()
	switch {
	case m == nil:
		return nil, errNotAuthenticated("unknown platform token")
	case !expiresAt.IsZero() && !h.env.now().Before(expiresAt):
		return nil, errNotAuthenticated("the platform token has expired")
	}
	return m, nil
}

// orgFor returns the org the member asks for, checking the member belongs to it and has p
// there. An org the member does not belong to gets 404, as if it did not exist.
func (h *hub) orgFor(m *member, orgID string, p permission) (*org, *apiError) {
	role, ok := m.roles[orgID]
	if !ok {
		return nil, errNotFound("org %q not found", orgID)
	}
	h.mu.RLock()
	o := h.orgs[orgID]
	h.mu.RUnlock()
	if o == nil {
		return nil, errNotFound("org %q not found", orgID)
	}
	if !role.can(p) {
		return nil, errAccessDenied("role " + string(role) + " may not do this in org " + orgID)
	}
	return o, nil
}

// workspaceFor finds an org workspace by id for the member, with the same rules as orgFor.
func (h *hub) workspaceFor(m *member, id string, p permission) (*org, *wsEntry, *apiError) {
	h.mu.RLock()
	e := h.byWS[id]
	h.mu.RUnlock()
	if e == nil {
		return nil, nil, errNotFound("org workspace %q not found", id)
	}
	o := e.org
	role, ok := m.roles[o.id]
	if !ok {
		return nil, nil, errNotFound("org workspace %q not found", id)
	}
	if !role.can(p) {
		return nil, nil, errAccessDenied("role " + string(role) + " may not do this in org " + o.id)
	}
	return o, e, nil
}

// queryOrg reads the orgId of a list request, recording problems in f: an empty one is refused,
// and a request that names none is about the member's only org.
func queryOrg(f *form, q url.Values, m *member) string {
	switch id := q.Get("orgId"); {
	case id != "":
		return id
	case q.Has("orgId"):
		f.fail("orgId", "must not be empty")
	default:
		if id, ok := defaultOrg(m); ok {
			return id
		}
		f.fail("orgId", "is required: the token belongs to several orgs")
	}
	return ""
}

// defaultOrg is the org of a list request that names none: the member's only org.
func defaultOrg(m *member) (string, bool) {
	if len(m.roles) != 1 {
		return "", false
	}
	for id := range m.roles {
		return id, true
	}
	return "", false
}

// ServeHTTP serves the Management API, and passes every other path to the workspace side:
// the hub's own instance, which the hub hosts as in a single-instance deployment, or the
// instance that hosts the workspace of a workspace token.
func (h *hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	serveRoutes(h, hubRoutes, w, r, func(err *apiError) { h.env.newRequest(w, r, h.idem).fail(err) },
		func() { h.serveWorkspaceSide(w, r) })
}

// orgHandler serves a request of an authenticated member.
type orgHandler func(x *request, m *member) (any, *apiError)

// wsHandler serves a request about one org workspace the member may act on.
type wsHandler func(x *request, o *org, e *wsEntry) (any, *apiError)

func (h *hub) serve(w http.ResponseWriter, r *http.Request, fn orgHandler) {
	x := h.env.newRequest(w, r, h.idem)
	m, err := h.authenticate(r)
	if err != nil {
		x.fail(err)
		return
	}
	x.caller = m.userID
	x.run(func(x *request) (any, *apiError) { return fn(x, m) })
}

func (h *hub) serveWS(w http.ResponseWriter, r *http.Request, id string, p permission, fn wsHandler) {
	x := h.env.newRequest(w, r, h.idem)
	m, err := h.authenticate(r)
	if err != nil {
		x.fail(err)
		return
	}
	o, e, err := h.workspaceFor(m, id, p)
	if err != nil {
		x.fail(err)
		return
	}
	x.caller = m.userID
	x.run(func(x *request) (any, *apiError) { return fn(x, o, e) })
}

// orgOf names the org a Management API request names itself (see journalOrg): its orgId, or
// the org of the workspace in its path.
func (h *hub) orgOf(r *http.Request) string {
	if id := r.URL.Query().Get("orgId"); id != "" {
		return id
	}
	segs, _ := pathSegments(r)
	if len(segs) == 0 || segs[0] != "org-workspaces" {
		return ""
	}
	if len(segs) > 1 {
		h.mu.RLock()
		e := h.byWS[segs[1]]
		h.mu.RUnlock()
		if e != nil {
			return e.org.id
		}
		return ""
	}
	if r.Method != http.MethodPost || r.Body == nil {
		return ""
	}
	// A create names its org in the body: read it, and leave the body for the handler.
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	r.Body = io.NopCloser(bytes.NewReader(b))
	if err != nil {
		return ""
	}
	var body struct {
		OrgID string `json:"orgId"`
	}
	_ = json.Unmarshal(b, &body)
	return body.OrgID
}
