package fake

import (
	"context"
	"errors"
	"fmt"
)

// ErrNoOrg is returned by ResetOrg for an org the server does not hold.
var ErrNoOrg = errors.New("fake: no such org")

// Reset brings the whole server back to its start state without a restart: the default org with
// its admin token, and the seeds given to Load, each as it was loaded (same ids, keys, secrets
// and timestamps); every other org, member, workspace and customer is gone. The journal and the
// faults are emptied too, and the responses kept for Idempotency-Key replays forgotten. The
// journal's sequence numbers keep growing.
//
// The server keeps its OrgID and AdminToken: when Replace or Restore changed them, the default
// org comes back empty under the id it has now.
func (s *Server) Reset(ctx context.Context) error {
	s.state.mu.Lock()
	err := s.replace(ctx, s.startForNow(), true)
	s.env.faults.Clear()
	s.env.journal.reset()
	s.state.mu.Unlock()
	s.changed()
	if err != nil {
		return fmt.Errorf("fake: reset: %w", err)
	}
	return nil
}

// ResetOrg brings one org back to its start state and leaves every other org untouched, for
// test suites that share one server: the org's workspaces (and their customers) are removed,
// and those the start state gives it are placed again as they were loaded. Its members stay, so
// the tokens a test holds keep working; the faults that match the org are removed. An org that
// is not in the start state is left empty. ResetOrg returns ErrNoOrg for an org the server does
// not hold.
func (s *Server) ResetOrg(ctx context.Context, orgID string) error {
	s.state.mu.Lock()
	defer s.state.mu.Unlock()
	defer s.changed()
	h := s.hub
	h.mu.RLock()
	old := h.orgs[orgID]
	h.mu.RUnlock()
	if old == nil {
		return fmt.Errorf("%w: %q", ErrNoOrg, orgID)
	}
	start := Seed{Orgs: []SeedOrg{{ID: old.id, Name: old.name, CreatedAt: &old.createdAt}}}
	for _, so := range s.state.start.Orgs {
		if so.ID == orgID {
			start.Orgs[0].Workspaces = so.Workspaces
		}
	}
	b, err := s.buildState(start, false)
	if err != nil {
		return fmt.Errorf("fake: reset org %q: %w", orgID, err)
	}
	o := b.orgs[0].org
	o.key = old.key

	old.mu.RLock()
	gone := make([]*orgWorkspace, len(old.order))
	for i, e := range old.order {
		gone[i] = e.cur
	}
	old.mu.RUnlock()
	h.mu.Lock()
	for _, w := range gone {
		delete(h.byWS, w.id)
		delete(h.keyHost, w.key)
		delete(h.keyOrg, w.key)
	}
	h.orgs[orgID] = o
	h.mu.Unlock()

	kept := map[string]bool{} // keys the start state gives the org again
	for _, bw := range b.orgs[0].workspaces {
		kept[bw.hub.key] = true
	}
	var errs []error
	for _, w := range gone {
		if inst := s.instances[w.host()]; inst != nil {
			inst.in.mu.Lock()
			delete(inst.in.workspaces, w.key)
			inst.in.mu.Unlock()
		} else if !kept[w.key] {
			if err := h.removeRemote(ctx, w.host(), w.key); err != nil {
				errs = append(errs, err)
			}
		}
	}
	for _, bw := range b.orgs[0].workspaces {
		if bw.inst != nil {
			bw.install()
		}
		h.record(o, bw.hub, bw.ref.id)
		if bw.inst == nil {
			if err := h.putRemote(ctx, o, bw); err != nil {
				errs = append(errs, err)
			}
		}
	}
	for _, f := range s.env.faults.List() {
		if f.Org == orgID {
			s.env.faults.Remove(f.ID)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("fake: reset org %q: %w", orgID, errors.Join(errs...))
	}
	return nil
}

// startForNow is the start state for the identity the server has now: the default org the
// server was made with is left out when the server has another one since, and Replace adds
// the current one back, empty, with its admin.
func (s *Server) startForNow() Seed {
	start := s.state.start
	out := Seed{Orgs: start.Orgs}
	if len(start.Orgs) > 0 && start.Orgs[0].ID != s.ident.Load().orgID {
		out.Orgs = start.Orgs[1:]
	}
	return out
}

// RememberSeed makes seed part of the start state that Reset goes back to, without loading it
// now: for a server whose state came from elsewhere (Restore from a state file) after it was
// first made with that seed. The seed is checked as Load checks it; a seed with a mistake is
// not remembered.
func (s *Server) RememberSeed(seed Seed) error {
	s.state.mu.Lock()
	defer s.state.mu.Unlock()
	b, err := s.buildState(seed, false)
	if err != nil {
		return fmt.Errorf("fake: seed: %w", err)
	}
	s.state.start.Orgs = append(s.state.start.Orgs, s.seedOf(b).Orgs...)
	return nil
}
