package fake

import (
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// engineWorkspaceJSON is a workspace as the engine API shows it to the hub.
type engineWorkspaceJSON struct {
	Key        string `json:"key"`
	Version    uint64 `json:"version"`
	CreatedAt  string `json:"createdAt"`
	ArchivedAt string `json:"archivedAt,omitempty"`
	wsConfig
}

// response sets the version header of an engine response about ws and returns ws as the engine API
// shows it. Called with ws.mu held.
func (ws *workspace) response(x *request) engineWorkspaceJSON {
	x.w.Header()[versionHeader] = []string{strconv.FormatUint(ws.version, 10)}
	return ws.engineJSON()
}

// brief sets the version header and responds to a create or update with the workspace's key and
// version only: the hub, which made the change, knows the rest. Called with ws.mu held.
func (ws *workspace) brief(x *request) engineBrief {
	x.w.Header()[versionHeader] = []string{strconv.FormatUint(ws.version, 10)}
	return engineBrief{Key: ws.key, Version: ws.version}
}

// engineBrief is the response to an engine create or update.
type engineBrief struct {
	Key     string `json:"key"`
	Version uint64 `json:"version"`
}

func (ws *workspace) engineJSON() engineWorkspaceJSON {
	out := engineWorkspaceJSON{Key: ws.key, Version: ws.version, CreatedAt: formatTime(ws.createdAt), wsConfig: ws.cfg}
	if ws.archivedAt != nil {
		out.ArchivedAt = formatTime(*ws.archivedAt)
	}
	return out
}

// maxEngineBodyBytes is the largest engine API request body an instance accepts. The hub
// writes again, as JSON, values it took in public requests of at most maxBodyBytes, and a value
// may grow up to six times on the way (a byte that is not valid UTF-8 becomes \ufffd, U+2028
// becomes \u2028); the hub adds a few fields of its own (key, secret, version). An engine
// request is made from one public request, or is one part of a repair that holds one field or
// more, each taken from one public request: so every engine request the hub sends fits.
const maxEngineBodyBytes = 6*maxBodyBytes + 1<<20

// serveEngine serves an engine API request, which needs the instance's engine token.
func (in *instance) serveEngine(w http.ResponseWriter, r *http.Request, fn handlerFunc) {
	x := in.env.newRequest(w, r, in.idem)
	x.limit = maxEngineBodyBytes
	if err := in.checkEngineToken(r); err != nil {
		x.fail(err)
		return
	}
	x.caller = "engine"
	x.run(fn)
}

// engineCustomer serves GET /workspaces/{key}/customers/{id}: the hub reads a customer with its
// engine token, which works whatever tokens the workspace accepts.
func (in *instance) engineCustomer(key, id string) (any, *apiError) {
	ws := in.workspace(key)
	if ws == nil {
		return nil, errNotFound("workspace %q not found on instance %q", key, in.id)
	}
	ws.mu.RLock()
	defer ws.mu.RUnlock()
	e := ws.customers[id]
	if e == nil {
		return nil, errNotFound("customer %q not found", id)
	}
	return e.cur, nil
}

func (in *instance) engineCreate(x *request) (any, *apiError) {
	f, err := parseForm(x.body)
	if err != nil {
		return nil, err
	}
	key, ok := f.nonEmpty("workspaceKey")
	if !ok && !f.has("workspaceKey") {
		f.fail("workspaceKey", "is required")
	}
	secret, ok := f.nonEmpty("workspaceSecret")
	if !ok && !f.has("workspaceSecret") {
		f.fail("workspaceSecret", "is required")
	}
	cfg := newConfig().patched(f, false)
	if err := f.err(); err != nil {
		return nil, err
	}
	ws := &workspace{
		key: key, createdAt: in.env.now(), version: 1, secret: []byte(secret), cfg: cfg, keys: parsePublicKeys(cfg.PublicKeys),
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.workspaces[key] != nil {
		return nil, errAlreadyExists("workspaceKey", "workspace %q already exists on instance %q", key, in.id)
	}
	if in.removed[key] {
		// A create that arrives after the hub gave up on it, and removed its key, lands nowhere.
		return nil, &apiError{status: http.StatusConflict, Type: typeBadRequest, Key: "version_conflict",
			Message: fmt.Sprintf("workspace %q was removed from instance %q: its key is not used again", key, in.id)}
	}
	in.workspaces[key] = ws
	return ws.brief(x), nil
}

// engineList serves GET /workspaces: the key and version of every workspace the instance
// hosts, sorted by key, so that a hub (or a test) can check what lives here.
func (in *instance) engineList() listJSON[engineBrief] {
	in.mu.RLock()
	keys := sortedKeys(in.workspaces)
	list := make([]*workspace, len(keys))
	for i, k := range keys {
		list[i] = in.workspaces[k]
	}
	in.mu.RUnlock()
	out := listJSON[engineBrief]{Items: make([]engineBrief, len(list))}
	for i, ws := range list {
		ws.mu.RLock()
		out.Items[i] = engineBrief{Key: ws.key, Version: ws.version}
		ws.mu.RUnlock()
	}
	return out
}

func (in *instance) engineGet(x *request, key string) (any, *apiError) {
	ws := in.workspace(key)
	if ws == nil {
		return nil, errNotFound("workspace %q not found on instance %q", key, in.id)
	}
	ws.mu.RLock()
	defer ws.mu.RUnlock()
	return ws.response(x), nil
}

// engineDelete removes a workspace: the hub undoes with it a create whose response it lost. The
// key is remembered, even when no workspace has it yet, so that the create, if it is still on
// its way, is refused when it arrives.
func (in *instance) engineDelete(key string) (any, *apiError) {
	in.mu.Lock()
	defer in.mu.Unlock()
	ws := in.workspaces[key]
	in.removed[key] = true
	if ws == nil {
		return nil, errNotFound("workspace %q not found on instance %q", key, in.id)
	}
	delete(in.workspaces, key)
	return map[string]any{}, nil
}

// errVersionConflict refuses an update that expected another version of the workspace.
func errVersionConflict(key string, want, have uint64) *apiError {
	return &apiError{status: http.StatusConflict, Type: typeBadRequest, Key: "version_conflict",
		Message: fmt.Sprintf("workspace %q is at version %d, not %d", key, have, want)}
}

// enginePatch applies an update all or nothing: every field is checked before any is applied.
// With ifVersion it applies only to that version of the workspace.
func (in *instance) enginePatch(x *request, key string) (any, *apiError) {
	f, err := parseForm(x.body)
	if err != nil {
		return nil, err
	}
	ws := in.workspace(key)
	if ws == nil {
		return nil, errNotFound("workspace %q not found on instance %q", key, in.id)
	}
	secret, hasSecret := f.nonEmpty("secret")
	var archivedAt *time.Time
	if f.has("archivedAt") && !f.isNull("archivedAt") {
		if s, ok := f.string("archivedAt"); ok {
			t, perr := time.Parse(time.RFC3339Nano, s)
			if perr != nil {
				f.fail("archivedAt", "must be an RFC 3339 time or null")
			}
			archivedAt = &t
		}
	}
	var prevSecret string
	var prevUntil time.Time
	if hasSecret && !f.isNull("previousSecret") {
		prevSecret, _ = f.nonEmpty("previousSecret")
		if s, ok := f.string("previousSecretUntil"); ok {
			t, perr := time.Parse(time.RFC3339Nano, s)
			if perr != nil {
				f.fail("previousSecretUntil", "must be an RFC 3339 time")
			}
			prevUntil = t
		} else if prevSecret != "" {
			f.fail("previousSecretUntil", "is required with previousSecret")
		}
	}
	var ifVersion float64
	hasIf := f.has("ifVersion")
	if hasIf {
		ifVersion, _ = f.number("ifVersion")
	}
	ws.access.Lock() // after the requests checked against what this may replace
	defer ws.access.Unlock()
	ws.mu.Lock()
	defer ws.mu.Unlock()
	cfg := ws.cfg.patched(f, false)
	if err := f.err(); err != nil {
		return nil, err
	}
	if hasIf && uint64(ifVersion) != ws.version {
		return nil, errVersionConflict(key, uint64(ifVersion), ws.version)
	}
	ws.version++
	if hasSecret {
		// The hub says which earlier secret stays valid, and until when: a rotation with a
		// grace period sends it, and so does a repair, so that it does not end the grace.
		ws.prevSecret, ws.prevUntil = nil, time.Time{}
		if prevSecret != "" {
			ws.prevSecret, ws.prevUntil = []byte(prevSecret), prevUntil
		}
	}
	ws.cfg = cfg
	if f.has("publicKeys") {
		ws.keys = parsePublicKeys(cfg.PublicKeys)
	}
	if hasSecret {
		ws.secret = []byte(secret)
	}
	if f.has("archivedAt") {
		ws.archivedAt = archivedAt
	}
	return ws.brief(x), nil
}
