package fake

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// identity is the default org and the admin token of a server, replaced whole.
type identity struct {
	orgID, adminToken string
}

// stateControl orders the changes of the whole state (Load, Replace, Reset, Snapshot), and
// keeps the start state that Reset goes back to.
type stateControl struct {
	mu    sync.Mutex
	start Seed // the default org with its admin, and every seed loaded with Load, all filled in
}

// recordStart keeps the default org and its admin as the start of the start state.
func (s *Server) recordStart() {
	id := s.ident.Load()
	s.hub.mu.RLock()
	o := s.hub.orgs[id.orgID]
	s.hub.mu.RUnlock()
	created := o.createdAt
	s.state.start = Seed{DefaultOrgID: id.orgID, AdminToken: id.adminToken, Orgs: []SeedOrg{{
		ID: o.id, Name: o.name, CreatedAt: &created,
		Members: []SeedMember{{Token: id.adminToken, Role: RoleAdmin}},
	}}}
}

// Load adds the orgs, members and workspaces of seed (a hand-written seed, or a Snapshot) to
// what the server holds, and to its start state, which Reset goes back to. Everything is
// checked before anything is added, so a seed with a mistake adds nothing; ids, tokens and keys
// must be new to the server. Workspaces on instances of this process are placed at once, with
// their customers; a workspace on an instance of another process is created there through the
// engine API, as a create is, and an instance that fails then stops the load where it is.
// Load ignores the seed's DefaultOrgID and AdminToken: Replace adopts them.
func (s *Server) Load(ctx context.Context, seed Seed) error {
	s.state.mu.Lock()
	defer s.state.mu.Unlock()
	b, err := s.buildState(seed, true)
	if err != nil {
		return fmt.Errorf("fake: seed: %w", err)
	}
	h := s.hub
	h.mu.Lock()
	for _, bo := range b.orgs {
		h.orgs[bo.org.id] = bo.org
	}
	for d, m := range b.members {
		h.members[d] = m
	}
	h.mu.Unlock()
	record := s.seedOf(b)
	s.state.start.Orgs = append(s.state.start.Orgs, record.Orgs...)
	for _, bo := range b.orgs {
		for _, bw := range bo.workspaces {
			if bw.inst == nil {
				if err := h.place(ctx, bo.org, bw.hub, bw.ref, bw.config); err != nil {
					return fmt.Errorf("fake: seed: org %q, workspace %q: %s", bo.org.id, bw.hub.id, err.Message)
				}
				continue
			}
			bw.install()
			h.record(bo.org, bw.hub, bw.ref.id)
		}
	}
	s.changed()
	return nil
}

// record adds a workspace placed on the instance instID to the hub's records, in org o.
func (h *hub) record(o *org, ws *orgWorkspace, instID string) {
	o.mu.Lock()
	e := o.add(ws)
	o.mu.Unlock()
	h.mu.Lock()
	h.byWS[ws.id] = e
	h.keyHost[ws.key] = instID
	h.keyOrg[ws.key] = o.id
	h.mu.Unlock()
}

// add appends ws to the org's workspaces, last in creation order, and returns its entry. The
// caller holds o.mu, or o is not yet visible to any request.
func (o *org) add(ws *orgWorkspace) *wsEntry {
	o.seq++
	e := &wsEntry{org: o, cur: ws, seq: o.seq, gate: make(chan struct{}, 1)}
	o.order = append(o.order, e)
	return e
}

// install puts a workspace of an instance in this process in place there; a key it had removed
// is placed again on purpose.
func (bw *builtWorkspace) install() {
	bw.inst.mu.Lock()
	bw.inst.workspaces[bw.hub.key] = bw.local
	delete(bw.inst.removed, bw.hub.key)
	bw.inst.mu.Unlock()
}

// Replace makes state (a Snapshot, or a hand-written seed) the whole state of the server: every
// org, member, workspace and customer it held before is gone. It is all or nothing: a state
// that fails the checks changes nothing. The state's DefaultOrgID and AdminToken become the
// server's OrgID and AdminToken; without them, the server keeps its own, and its default org
// and admin are kept as they are named, empty. The journal, the faults and the start state stay.
//
// Workspaces on instances of other processes are set there through the engine API, after the
// hub's records were replaced: those the hub held and the state does not are removed, the
// others set to the state's version (created when missing). An instance that fails then is
// reported in the error: what it should no longer hold is removed once it answers again (by the
// background repairs, or Settle), and what it should hold is set by the next Replace. An instance never takes back a key it removed: such a workspace cannot come back
// there, and is reported too.
func (s *Server) Replace(ctx context.Context, state Seed) error {
	s.state.mu.Lock()
	defer s.state.mu.Unlock()
	err := s.replace(ctx, state, true)
	s.changed()
	return err
}

// Restore is Replace for a hub whose instances of other processes kept their own state (each
// process keeps its own state file): it replaces the hub's records of their workspaces without
// calling them. The binary uses it to start again from its state file.
func (s *Server) Restore(ctx context.Context, state Seed) error {
	s.state.mu.Lock()
	defer s.state.mu.Unlock()
	return s.replace(ctx, state, false)
}

// replace is Replace, with s.state.mu held.
func (s *Server) replace(ctx context.Context, state Seed, reachRemote bool) error {
	b, err := s.buildState(state, false)
	if err != nil {
		return fmt.Errorf("fake: state: %w", err)
	}
	id, err := s.identityFor(state, b)
	if err != nil {
		return fmt.Errorf("fake: state: %w", err)
	}
	h := s.hub
	orgs := make(map[string]*org, len(b.orgs))
	byWS := make(map[string]*wsEntry)
	keyHost, keyOrg := make(map[string]string), make(map[string]string)
	local := make(map[*instance]map[string]*workspace)
	for _, inst := range s.instances {
		local[inst.in] = make(map[string]*workspace)
	}
	var remote []*builtWorkspace // to create on instances of other processes
	var remoteOrgs []*org
	for _, bo := range b.orgs {
		o := bo.org
		orgs[o.id] = o
		for _, bw := range bo.workspaces {
			byWS[bw.hub.id] = o.add(bw.hub)
			keyHost[bw.hub.key], keyOrg[bw.hub.key] = bw.ref.id, o.id
			if bw.inst != nil {
				local[bw.inst][bw.hub.key] = bw.local
			} else {
				remote, remoteOrgs = append(remote, bw), append(remoteOrgs, o)
			}
		}
	}
	members := b.members
	if _, ok := orgs[id.orgID]; !ok { // the server's own default org, kept empty
		orgs[id.orgID] = &org{id: id.orgID, key: id.orgID, name: s.cfg.orgName, createdAt: s.env.now()}
	}
	if d := tokenDigest(id.adminToken); members[d] == nil {
		members[d] = &member{token: id.adminToken, userID: s.env.ids.objectID(), roles: map[string]Role{id.orgID: RoleAdmin}}
	}

	h.mu.Lock()
	gone := make(map[string]string, len(h.keyHost)) // the remote workspaces the hub held: key to instance
	for key, inst := range h.keyHost {
		if s.instances[inst] == nil {
			gone[key] = inst
		}
	}
	h.orgs, h.members, h.byWS, h.keyHost, h.keyOrg = orgs, members, byWS, keyHost, keyOrg
	h.mu.Unlock()
	h.repairs.mu.Lock()
	// Nothing of the old state is left to repair, but a half-made workspace on an instance of
	// another process is still there to remove.
	h.repairs.pending.Add(-int64(len(h.repairs.dirty)))
	clear(h.repairs.dirty)
	for inst := range h.repairs.orphans {
		if s.instances[inst] != nil {
			delete(h.repairs.orphans, inst)
		}
	}
	h.repairs.mu.Unlock()
	h.idem.clear()
	for inst, ws := range local {
		inst.mu.Lock()
		inst.workspaces = ws
		for key := range ws {
			delete(inst.removed, key) // placed again on purpose
		}
		inst.mu.Unlock()
		inst.idem.clear()
	}
	s.ident.Store(id)
	if !reachRemote {
		return nil
	}
	var errs []error
	for key, inst := range gone {
		if keyHost[key] == inst {
			continue // still there: set below
		}
		if err := h.removeRemote(ctx, inst, key); err != nil {
			errs = append(errs, err)
		}
	}
	for i, bw := range remote {
		if err := h.putRemote(ctx, remoteOrgs[i], bw); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("fake: state: %w", errors.Join(errs...))
	}
	return nil
}

// identityFor is the default org and admin token the server has once state is in place.
func (s *Server) identityFor(state Seed, b *builtState) (*identity, error) {
	if state.DefaultOrgID == "" && state.AdminToken == "" {
		return s.ident.Load(), nil
	}
	if state.DefaultOrgID == "" || state.AdminToken == "" {
		return nil, &SeedError{Problems: []string{"defaultOrgId and adminToken go together"}}
	}
	m := b.members[tokenDigest(state.AdminToken)]
	if m == nil || m.roles[state.DefaultOrgID] != RoleAdmin {
		return nil, &SeedError{Problems: []string{fmt.Sprintf("adminToken must be the token of an admin of the org defaultOrgId %q", state.DefaultOrgID)}}
	}
	return &identity{orgID: state.DefaultOrgID, adminToken: state.AdminToken}, nil
}

// clear forgets every response kept for replay.
func (s *idempotency) clear() {
	s.mu.Lock()
	s.entries = make(map[idemKey]*idemEntry)
	s.fifo, s.bytes = nil, 0
	s.mu.Unlock()
}

// changed tells the hook of WithChangeHook, if there is one, that the state may have changed.
func (s *Server) changed() { s.env.changed() }

// changed calls the change hook, if there is one.
func (e *env) changed() {
	if e.onChange != nil {
		e.onChange()
	}
}
