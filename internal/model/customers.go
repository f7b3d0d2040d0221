package model

import (
	"encoding/json"
	"strings"
	"time"
)

// Leeway is the clock leeway on a workspace token's exp (Workspace tokens: 30 seconds).
const Leeway = 30 * time.Second

// Token is a workspace token (Workspace tokens): what it claims and the secret that signs it
// (HS256). Claims in their legacy form (iss, id) mean the same.
type Token struct {
	WorkspaceKey, TenantKey, Name string
	Fields                        map[string]any
	IsAdmin                       bool
	Expires                       time.Time
	Secret                        string
	// KeyPEM, when set, is the public key of the private key that signs the token instead of a
	// secret, and KeyID its kid header ("" for none).
	KeyPEM, KeyID string
}

// At is where a workspace API request is sent: the hub (HubInstance) or an instance id.
type At = string

// authenticate checks a token as "Workspace tokens" says, for a request sent at at: it finds the
// workspace the token names, checks the token, and creates the tenant a tenant token names on first
// use (Workspace API). It returns the tenant, if any.
func (s *State) authenticate(t Token, at At) (*Workspace, *Customer, Kind) {
	ws := s.byKey(t.WorkspaceKey)
	host := at
	if at == HubInstance && ws != nil {
		// "The hub also takes workspace-token traffic ... for any workspace and passes it on
		// to the instance that hosts it" ("Workspace traffic at the hub"); an instance that
		// cannot be reached makes it a 502.
		host = ws.Host
		if s.Instance(host).Down {
			return nil, nil, Dependency
		}
	} else if s.Instance(at).Down {
		return nil, nil, NoResponse // the instance's own URL, while it is down
	}
	// The instance that hosts the workspace verifies the token (Workspace tokens): another instance
	// does not know the key. Expired, wrong secret, unknown workspace, archived workspace: 401.
	if ws == nil || ws.Host != host || ws.ArchivedAt != nil {
		return nil, nil, NotAuthenticated
	}
	if t.KeyPEM != "" {
		// A key-signed token verifies with the workspace's publicKeys: the one its kid names,
		// else any of them; disableSecretKeyAuth does not refuse it (Workspace tokens).
		if !ws.hasKey(t.KeyPEM, t.KeyID) {
			return nil, nil, NotAuthenticated
		}
	} else {
		inGrace := ws.PrevSecret != "" && t.Secret == ws.PrevSecret && s.Now.Before(ws.PrevUntil)
		if (t.Secret != ws.Secret && !inGrace) || ws.Settings["disableSecretKeyAuth"] {
			return nil, nil, NotAuthenticated
		}
	}
	if s.Now.After(t.Expires.Add(Leeway)) {
		return nil, nil, NotAuthenticated
	}
	if t.TenantKey == "" {
		return ws, nil, OK
	}
	cu := ws.customerByInternalID(t.TenantKey)
	switch {
	case cu == nil: // created on first use, from the token's name and fields (Workspace API)
		name := t.Name
		if name == "" {
			name = t.TenantKey // silent
		}
		now := s.Now
		cu = &Customer{Name: name, InternalID: t.TenantKey, Fields: t.Fields, CreatedAt: now, LastActiveAt: &now}
		ws.Customers = append(ws.Customers, cu)
	case cu.ArchivedAt != nil: // the tenant token of an archived customer (silent)
		return nil, nil, NotAuthenticated
	default: // using a tenant token sets lastActiveAt (silent)
		now := s.Now
		cu.LastActiveAt = &now
	}
	return ws, cu, OK
}

// workspaceLevel authenticates a request to /customers, which needs a workspace-level token:
// no tenant, or isAdmin (Workspace API); a tenant token gets 403.
func (s *State) workspaceLevel(t Token, at At) (*Workspace, Kind) {
	ws, cu, k := s.authenticate(t, at)
	if k != OK {
		return nil, k
	}
	if cu != nil && !t.IsAdmin {
		return nil, AccessDenied
	}
	return ws, OK
}

// Self is GET /self (Workspace API): the tenant of a tenant token; a workspace-level token gets 403
// (silent).
func (s *State) Self(t Token, at At) (*Customer, Kind) {
	_, cu, k := s.authenticate(t, at)
	if k != OK {
		return nil, k
	}
	if cu == nil {
		return nil, AccessDenied
	}
	return cu, OK
}

// CreateCustomer is POST /customers (Workspace API) with an Idempotency-Key (which may be empty):
// internalId is unique per workspace (400 already_exists), and defaults to the id (silent).
func (s *State) CreateCustomer(t Token, at At, name, internalID string, fields map[string]any, key, newID string) (*Customer, Kind) {
	ws, k := s.workspaceLevel(t, at)
	if k != OK {
		return nil, k
	}
	caller := "ws:" + ws.Key + "/" + t.TenantKey
	body, _ := json.Marshal([]any{name, internalID, fields})
	v, k := s.once(caller, key, "POST /customers "+string(body), func() (any, Kind) {
		if internalID == "" {
			internalID = newID
		}
		if ws.customerByInternalID(internalID) != nil {
			return nil, AlreadyExists
		}
		cu := &Customer{ID: newID, Name: name, InternalID: internalID, Fields: fields, CreatedAt: s.Now}
		ws.Customers = append(ws.Customers, cu)
		c := *cu
		return &c, OK
	})
	cu, _ := v.(*Customer)
	return cu, k
}

// GetCustomer is GET /customers/{id} (Workspace API).
func (s *State) GetCustomer(t Token, at At, id string) (*Customer, Kind) {
	ws, k := s.workspaceLevel(t, at)
	if k != OK {
		return nil, k
	}
	if cu := ws.customerByID(id); cu != nil {
		return cu, OK
	}
	return nil, NotFound
}

// ListCustomers is GET /customers (Workspace API), every page together, in creation order.
func (s *State) ListCustomers(t Token, at At, search string, includeArchived bool) ([]*Customer, Kind) {
	ws, k := s.workspaceLevel(t, at)
	if k != OK {
		return nil, k
	}
	out := []*Customer{}
	search = strings.ToLower(search)
	for _, cu := range ws.Customers {
		if (includeArchived || cu.ArchivedAt == nil) && (strings.Contains(strings.ToLower(cu.Name), search) ||
			strings.Contains(strings.ToLower(cu.InternalID), search)) {
			out = append(out, cu)
		}
	}
	return out, OK
}

// RenameCustomer is PATCH /customers/{id} with a name (Workspace API): 400 while archived (silent).
func (s *State) RenameCustomer(t Token, at At, id, name string) (*Customer, Kind) {
	cu, k := s.GetCustomer(t, at, id)
	if k != OK {
		return nil, k
	}
	if cu.ArchivedAt != nil {
		return nil, BadRequest
	}
	cu.Name = name
	return cu, OK
}

// ReplaceCustomer is PUT /customers/{id} (Workspace API: "the whole Customer"): what the body
// leaves out is reset, but internalId, which is kept (silent); 400 while archived (silent); a new
// internalId must be unique (400 already_exists).
func (s *State) ReplaceCustomer(t Token, at At, id, name, internalID string, fields map[string]any, isTest bool) (*Customer, Kind) {
	ws, k := s.workspaceLevel(t, at)
	if k != OK {
		return nil, k
	}
	cu := ws.customerByID(id)
	switch {
	case cu == nil:
		return nil, NotFound
	case cu.ArchivedAt != nil:
		return nil, BadRequest
	}
	if internalID != "" && internalID != cu.InternalID {
		if ws.customerByInternalID(internalID) != nil {
			return nil, AlreadyExists
		}
		cu.InternalID = internalID
	}
	cu.Name, cu.Fields, cu.IsTest = name, fields, isTest
	return cu, OK
}

// ArchiveCustomer is DELETE /customers/{id} (Workspace API): a no-op when archived.
func (s *State) ArchiveCustomer(t Token, at At, id string) (*Customer, Kind) {
	cu, k := s.GetCustomer(t, at, id)
	if k == OK && cu.ArchivedAt == nil {
		now := s.Now
		cu.ArchivedAt = &now
	}
	return cu, k
}

// RestoreCustomer is POST /customers/{id}/restore (Workspace API): a no-op unless archived.
func (s *State) RestoreCustomer(t Token, at At, id string) (*Customer, Kind) {
	cu, k := s.GetCustomer(t, at, id)
	if k == OK {
		cu.ArchivedAt = nil
	}
	return cu, k
}

// byKey finds a workspace by key.
func (s *State) byKey(key string) *Workspace {
	for _, ws := range s.Workspaces {
		if ws.Key == key {
			return ws
		}
	}
	return nil
}

// hasKey reports whether a token signed with the private key of the public key keyPEM, with kid
// header kid, verifies with one of the workspace's public keys.
func (ws *Workspace) hasKey(keyPEM, kid string) bool {
	for _, k := range ws.PublicKeys {
		if kid != "" && k.Name != kid {
			continue
		}
		if k.PublicKey == keyPEM {
			return true
		}
	}
	return false
}

func (ws *Workspace) customerByID(id string) *Customer {
	for _, cu := range ws.Customers {
		if cu.ID != "" && cu.ID == id {
			return cu
		}
	}
	return nil
}

func (ws *Workspace) customerByInternalID(internalID string) *Customer {
	for _, cu := range ws.Customers {
		if cu.InternalID == internalID {
			return cu
		}
	}
	return nil
}
