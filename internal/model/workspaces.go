package model

import (
	"encoding/json"
	"maps"
	"net/url"
	"slices"
	"strings"
)

// authenticated is the first refusal of "Platform tokens and roles": a missing, unknown or expired
// platform token is a 401.
func authenticated(c Caller) bool { return c.Known && !c.Expired }

// orgFor is the access rule of "Platform tokens and roles" for a request about an org: an org the
// caller is not a member of is a 404, as if it did not exist; a role that may not is a 403.
func (s *State) orgFor(c Caller, orgID string, p perm) Kind {
	role, ok := c.Roles[orgID]
	if !ok || !slices.Contains(s.Orgs, orgID) {
		return NotFound
	}
	if !role.may(p) {
		return AccessDenied
	}
	return OK
}

// workspaceFor is the same rule for a request about one org workspace (Management API).
func (s *State) workspaceFor(c Caller, id string, p perm) (*Workspace, Kind) {
	ws := s.Workspaces[id]
	if ws == nil {
		return nil, NotFound
	}
	if k := s.orgFor(c, ws.OrgID, p); k != OK {
		return nil, k
	}
	return ws, OK
}

// once answers a POST that carries an Idempotency-Key ("Idempotency"): the first answer of a
// caller's key is kept and answered again to a repeat of the same request; a repeat with
// another request is a 400. Answers of a failed instance (5xx) are not kept, as they changed
// nothing (silent). An empty key runs op every time.
func (s *State) once(caller, key, request string, op func() (any, Kind)) (any, Kind) {
	if key == "" {
		return op()
	}
	k := [2]string{caller, key}
	if kept, ok := s.Kept[k]; ok {
		if kept.Request != request {
			return nil, BadRequest
		}
		return kept.Value, kept.Kind
	}
	v, kind := op()
	if kind != Dependency && kind != NoResponse {
		s.Kept[k] = Kept{Request: request, Kind: kind, Value: v}
	}
	return v, kind
}

// CreateRequest is the body of POST /org-workspaces (Management API, "1. POST /org-workspaces").
type CreateRequest struct {
	OrgID, Name, LogoURI, InstanceID string
}

// Generated holds the values the server makes up for a new workspace.
type Generated struct{ ID, Key, Secret string }

// Create is POST /org-workspaces with an Idempotency-Key (which may be empty). The answer is a
// copy of the workspace as created.
func (s *State) Create(c Caller, r CreateRequest, key string, gen Generated) (*Workspace, Kind) {
	if !authenticated(c) {
		return nil, NotAuthenticated
	}
	req, _ := json.Marshal(r)
	v, kind := s.once(c.ID, key, "POST /org-workspaces "+string(req), func() (any, Kind) {
		ws, kind := s.create(c, r, gen)
		if ws != nil {
			return ws.copy(), kind
		}
		return nil, kind
	})
	ws, _ := v.(*Workspace)
	return ws, kind
}

func (s *State) create(c Caller, r CreateRequest, gen Generated) (*Workspace, Kind) {
	if k := s.orgFor(c, r.OrgID, permWrite); k != OK {
		return nil, k
	}
	// name: optional, at least one character (Management API, "1. POST /org-workspaces"); without
	// one, "Untitled workspace" (silent).
	name := "Untitled workspace"
	if r.Name != "" {
		if strings.TrimSpace(r.Name) == "" {
			return nil, BadRequest
		}
		name = r.Name
	}
	if r.LogoURI != "" && !isURL(r.LogoURI) {
		return nil, BadRequest
	}
	// "1. POST /org-workspaces": 404 for an unknown instance; 502 when it cannot be reached, and
	// nothing is recorded.
	in := s.Instance(r.InstanceID)
	if in == nil {
		return nil, NotFound
	}
	if in.Down {
		return nil, Dependency
	}
	ws := &Workspace{
		ID: gen.ID, OrgID: r.OrgID, Name: name, Key: gen.Key, Secret: gen.Secret,
		InstanceID: r.InstanceID, Host: in.ID, LogoURI: r.LogoURI,
		CreatedAt: s.Now, UpdatedAt: s.Now,
		Config: Config{Settings: map[string]bool{}, PublicKeys: []PublicKey{}, EnabledWebhookEvents: []string{},
			Type: "production"},
	}
	s.Workspaces[ws.ID] = ws
	s.Order = append(s.Order, ws.ID)
	return ws, OK
}

// Get is GET /org-workspaces/{id} (Management API, "3. GET /org-workspaces/{id}").
func (s *State) Get(c Caller, id string) (*Workspace, Kind) {
	if !authenticated(c) {
		return nil, NotAuthenticated
	}
	return s.workspaceFor(c, id, permRead)
}

// List is GET /org-workspaces (Management API, "2. GET /org-workspaces"), every page together: the
// workspaces of the org in creation order, without the archived ones unless asked, whose name holds
// search in any case.
func (s *State) List(c Caller, orgID, search string, includeArchived bool) ([]*Workspace, Kind) {
	if !authenticated(c) {
		return nil, NotAuthenticated
	}
	if k := s.orgFor(c, orgID, permRead); k != OK {
		return nil, k
	}
	out := []*Workspace{}
	for _, id := range s.Order {
		ws := s.Workspaces[id]
		if ws.OrgID == orgID && (includeArchived || ws.ArchivedAt == nil) &&
			strings.Contains(strings.ToLower(ws.Name), strings.ToLower(search)) {
			out = append(out, ws)
		}
	}
	return out, OK
}

// Instances is GET /membrane-instances (Management API, "9. GET /membrane-instances"): every
// instance, for any member of the org.
func (s *State) ListInstances(c Caller, orgID string) ([]*Instance, Kind) {
	if !authenticated(c) {
		return nil, NotAuthenticated
	}
	if k := s.orgFor(c, orgID, permRead); k != OK {
		return nil, k
	}
	return s.Instances, OK
}

// change applies a change that reaches the workspace's instance (What a failure promises): when the
// instance cannot be reached it is a 502, nothing changes, and the hub no longer knows what the
// instance holds until it is back.
func (s *State) change(ws *Workspace, apply func()) Kind {
	if s.Instance(ws.Host).Down {
		ws.Unsettled = true
		return Dependency
	}
	apply()
	return OK
}

// settled is the check the hub makes before it acts on a workspace whose last change may or
// may not have reached its instance: it first brings the instance back to the hub's state,
// which fails while the instance is down (contract, "What a failure promises": "before it mints
// a token for it, and before any further change of it"). Silent: this comes before the request
// is read, so a patch, archive, restore, rotation or access-token of such a workspace is a 502,
// whatever it asks, until the instance is back.
func (s *State) settled(ws *Workspace) Kind {
	if ws.Unsettled && s.Instance(ws.Host).Down {
		return Dependency
	}
	return OK
}

// Update is PATCH /org-workspaces/{id} (Management API, "4. PATCH /org-workspaces/{id}").
func (s *State) Update(c Caller, id string, p Patch) (*Workspace, Kind) {
	if !authenticated(c) {
		return nil, NotAuthenticated
	}
	ws, k := s.workspaceFor(c, id, permWrite)
	if k == OK {
		k = s.settled(ws)
	}
	if k != OK {
		return nil, k
	}
	// A PATCH of an archived workspace is a 400 (Management API, "4. PATCH").
	if ws.ArchivedAt != nil {
		return nil, BadRequest
	}
	next := ws.copy()
	if !p.apply(next) {
		return nil, BadRequest
	}
	// A patch that names no known field changes nothing, updatedAt included (silent).
	if p.empty() {
		return ws, OK
	}
	next.UpdatedAt = s.Now
	// Only name and logoUri stay at the hub; anything else reaches the instance ("4. PATCH").
	if p.instanceLevel() {
		if k := s.change(ws, func() {}); k != OK {
			return nil, k
		}
	}
	next.Customers, next.Unsettled = ws.Customers, ws.Unsettled
	*ws = *next
	return ws, OK
}

// Archive is DELETE /org-workspaces/{id} (Management API, "7. archive and 8. restore"): a no-op on
// an archived workspace.
func (s *State) Archive(c Caller, id string) (*Workspace, Kind) {
	if !authenticated(c) {
		return nil, NotAuthenticated
	}
	ws, k := s.workspaceFor(c, id, permManage)
	if k == OK {
		k = s.settled(ws)
	}
	if k != OK || ws.ArchivedAt != nil {
		return ws, k
	}
	return ws, s.change(ws, func() {
		now := s.Now
		ws.ArchivedAt, ws.UpdatedAt = &now, now
	})
}

// Restore is POST /org-workspaces/{id}/restore (Management API, "7. archive and 8. restore"): a
// no-op unless archived.
func (s *State) Restore(c Caller, id string) (*Workspace, Kind) {
	if !authenticated(c) {
		return nil, NotAuthenticated
	}
	ws, k := s.workspaceFor(c, id, permManage)
	if k == OK {
		k = s.settled(ws)
	}
	if k != OK || ws.ArchivedAt == nil {
		return ws, k
	}
	return ws, s.change(ws, func() { ws.ArchivedAt, ws.UpdatedAt = nil, s.Now })
}

// RotateSecret is POST /org-workspaces/{id}/rotate-secret (Management API, "6. rotate-secret"):
// tokens signed with the old secret stop working at once, or at the end of the server's grace
// period ("6. rotate-secret").
func (s *State) RotateSecret(c Caller, id, newSecret string) Kind {
	if !authenticated(c) {
		return NotAuthenticated
	}
	ws, k := s.workspaceFor(c, id, permManage)
	if k != OK {
		return k
	}
	return s.change(ws, func() {
		ws.PrevSecret, ws.PrevUntil = "", s.Now
		if s.Grace > 0 {
			ws.PrevSecret, ws.PrevUntil = ws.Secret, s.Now.Add(s.Grace)
		}
		ws.Secret, ws.UpdatedAt = newSecret, s.Now
	})
}

// TokenRequest is the body of POST /org-workspaces/{id}/access-token (Management API, "5.
// access-token").
type TokenRequest struct {
	IsAdmin                   bool
	TenantID, TenantKey, Name string
	Fields                    map[string]any
}

// Claims are the claims of a token minted by access-token (Workspace tokens), and the secret that
// signs it.
type Claims struct {
	WorkspaceKey, TenantKey, Name string
	Fields                        map[string]any
	IsAdmin                       bool
	IssuedAt, Expires             int64 // Unix seconds
	Secret                        string
}

// AccessToken is POST /org-workspaces/{id}/access-token (Management API, "5. access-token";
// Workspace tokens).
func (s *State) AccessToken(c Caller, id string, r TokenRequest) (*Claims, Kind) {
	if !authenticated(c) {
		return nil, NotAuthenticated
	}
	ws, k := s.workspaceFor(c, id, permWrite)
	if k != OK {
		return nil, k
	}
	// "The hub mints the token only once no other change of the workspace is in flight, so the
	// token is signed with the secret the instance holds."
	if k := s.settled(ws); k != OK {
		return nil, k
	}
	// access-token of an archived workspace is a 400 (Management API, "5. access-token"); a
	// workspace that refuses secret-signed tokens gets none (silent).
	if ws.ArchivedAt != nil || ws.Settings["disableSecretKeyAuth"] {
		return nil, BadRequest
	}
	tenant := r.TenantKey
	if r.TenantID != "" {
		// tenantId names a customer, which the instance knows: 404 if unknown, 400 if
		// tenantKey disagrees (Workspace tokens).
		if s.Instance(ws.Host).Down {
			return nil, Dependency
		}
		cu := ws.customerByID(r.TenantID)
		if cu == nil {
			return nil, NotFound
		}
		if r.TenantKey != "" && r.TenantKey != cu.InternalID {
			return nil, BadRequest
		}
		tenant = cu.InternalID
	}
	return &Claims{
		WorkspaceKey: ws.Key, TenantKey: tenant, Name: r.Name, Fields: r.Fields, IsAdmin: r.IsAdmin,
		IssuedAt: s.Now.Unix(), Expires: s.Now.Add(s.TokenTTL).Unix(), Secret: ws.Secret,
	}, OK
}

// isURL is the check of every URL field: an absolute http or https URL (silent: the field's
// problem is a 400).
func isURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" &&
		!strings.ContainsAny(s, " \t\r\n")
}

// copy is a copy of ws that shares nothing that a change replaces in place.
func (ws *Workspace) copy() *Workspace {
	c := *ws
	c.Settings = make(map[string]bool, len(ws.Settings))
	for k, v := range ws.Settings {
		c.Settings[k] = v
	}
	c.PublicKeys = slices.Clone(ws.PublicKeys)
	c.Limits = maps.Clone(ws.Limits)
	c.EnabledWebhookEvents = slices.Clone(ws.EnabledWebhookEvents)
	if ws.ArchivedAt != nil {
		t := *ws.ArchivedAt
		c.ArchivedAt = &t
	}
	c.Customers = nil
	return &c
}
