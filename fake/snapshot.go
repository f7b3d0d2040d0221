package fake

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"slices"
	"strings"
)

// Snapshot returns the whole state of the server in the seed format: every org with its
// members (and their platform tokens), and every workspace with all its fields (key, secret,
// instance, archive state, timestamps, the previous secret of a rotation, its version) and its
// customers; and which org is the default one, with the admin token. Load or Replace takes it
// back: a fresh server that loads it responds to every request as this one did. Workspaces on
// instances of other processes come without customers, which those processes keep.
//
// It holds secrets and tokens: treat it as one. Each workspace is read whole; take it while
// no request is changing the state for a picture of one moment.
func (s *Server) Snapshot(ctx context.Context) (Seed, error) {
	if err := ctx.Err(); err != nil {
		return Seed{}, err
	}
	s.state.mu.Lock()
	defer s.state.mu.Unlock()
	return s.snapshot(), nil
}

// snapshot is Snapshot with s.state.mu held.
func (s *Server) snapshot() Seed {
	h := s.hub
	id := s.ident.Load()
	h.mu.RLock()
	orgs := make([]*org, 0, len(h.orgs))
	for _, o := range h.orgs {
		orgs = append(orgs, o)
	}
	members := make(map[string][]SeedMember, len(orgs))
	for _, m := range h.members {
		for orgID, role := range m.roles {
			sm := SeedMember{Token: m.token, Role: role}
			if !m.expiresAt.IsZero() {
				at := m.expiresAt
				sm.ExpiresAt = &at
			}
			members[orgID] = append(members[orgID], sm)
		}
	}
	h.mu.RUnlock()
	slices.SortFunc(orgs, func(a, b *org) int {
		if c := a.createdAt.Compare(b.createdAt); c != 0 {
			return c
		}
		return strings.Compare(a.id, b.id)
	})
	out := Seed{DefaultOrgID: id.orgID, AdminToken: id.adminToken, Orgs: make([]SeedOrg, 0, len(orgs))}
	for _, o := range orgs {
		created := o.createdAt
		so := SeedOrg{ID: o.id, Name: o.name, CreatedAt: &created, Members: members[o.id]}
		slices.SortFunc(so.Members, func(a, b SeedMember) int { return strings.Compare(a.Token, b.Token) })
		o.mu.RLock()
		entries := slices.Clone(o.order)
		versions := make([]*orgWorkspace, len(entries))
		for i, e := range entries {
			versions[i] = e.cur
		}
		o.mu.RUnlock()
		for _, w := range versions {
			var local *workspace
			if inst := s.instances[w.host()]; inst != nil {
				local = inst.in.workspace(w.key)
			}
			so.Workspaces = append(so.Workspaces, seedOfWorkspace(w, local))
		}
		out.Orgs = append(out.Orgs, so)
	}
	return out
}

// host is the id of the instance that hosts w: its membraneInstanceId, "hub" for the hub's own.
func (w *orgWorkspace) host() string { return cmp.Or(w.instanceID, hubInstanceID) }

// seedOf is the seed of a built state, everything generated filled in: what Reset loads again.
func (s *Server) seedOf(b *builtState) Seed {
	var out Seed
	for _, bo := range b.orgs {
		created := bo.org.createdAt
		so := SeedOrg{ID: bo.org.id, Name: bo.org.name, CreatedAt: &created, Members: bo.members}
		for _, bw := range bo.workspaces {
			so.Workspaces = append(so.Workspaces, seedOfWorkspace(bw.hub, bw.local))
		}
		out.Orgs = append(out.Orgs, so)
	}
	return out
}

// seedOfWorkspace is the seed of the hub's version of a workspace and, when its instance runs in
// this process, the instance's record of it.
func seedOfWorkspace(w *orgWorkspace, local *workspace) SeedWorkspace {
	created, updated := w.createdAt, w.updatedAt
	sw := SeedWorkspace{ID: w.id, Name: w.name, Key: w.key, Secret: w.secret, MembraneInstanceID: w.instanceID,
		LogoURI: w.logoURI, CreatedAt: &created, UpdatedAt: &updated, Version: w.version}
	if w.archivedAt != nil {
		at := *w.archivedAt
		sw.ArchivedAt = &at
	}
	if w.prevSecret != "" {
		until := w.prevUntil
		sw.PreviousSecret, sw.PreviousSecretUntil = w.prevSecret, &until
	}
	cfg, _ := json.Marshal(w.cfg)
	_ = json.Unmarshal(cfg, &sw.Config)
	if local == nil {
		return sw
	}
	local.mu.RLock()
	defer local.mu.RUnlock()
	for _, e := range local.order {
		c := e.cur
		active, billable := c.IsActive, c.IsBillable
		// Copies: what the caller does with the snapshot never reaches the server's state.
		sw.Customers = append(sw.Customers, SeedCustomer{
			ID: c.ID, Name: c.Name, InternalID: c.InternalID,
			Fields: bytes.Clone(c.Fields), Credentials: bytes.Clone(c.Credentials), Meta: bytes.Clone(c.Meta),
			IsTest: c.IsTest, IsActive: &active, IsBillable: &billable, AICreditsRolling30DayLimit: copyOf(c.AICredits),
			LastActiveAt: c.LastActiveAt, CreatedAt: c.CreatedAt, ArchivedAt: c.ArchivedAt,
		})
	}
	return sw
}

// copyOf returns a pointer to a copy of *p, or nil.
func copyOf[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// MarshalJSON writes the named fields and the configuration fields side by side, as the seed
// format has them.
func (w SeedWorkspace) MarshalJSON() ([]byte, error) {
	type named SeedWorkspace
	b, err := json.Marshal(named(w))
	if err != nil || len(w.Config) == 0 {
		return b, err
	}
	dst := b[:len(b)-1]
	for _, k := range configFields {
		v, ok := w.Config[k]
		if !ok {
			continue
		}
		if len(dst) > 1 {
			dst = append(dst, ',')
		}
		name, err := json.Marshal(k)
		if err != nil {
			return nil, err
		}
		dst = append(dst, name...)
		dst = append(dst, ':')
		dst = append(dst, v...)
	}
	return append(dst, '}'), nil
}
