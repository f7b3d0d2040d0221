package fake

import (
	"context"
	"fmt"
	"sort"
)

// InstanceState is the whole state of an instance that runs alone (NewInstance): the
// workspaces it hosts, with their customers. It is what the binary's --state-file keeps in the
// one-role-per-process mode, where each process keeps its own. Of each SeedWorkspace, the
// instance uses the key, secret, timestamps, archive state, previous secret, version,
// configuration and customers; the hub's fields (id, name, logo, instance) stay empty.
type InstanceState struct {
	// InstanceID is the id of the instance the state belongs to; Restore refuses another's.
	InstanceID string `json:"instanceId"`
	// Workspaces are the workspaces the instance hosts, with their customers.
	Workspaces []SeedWorkspace `json:"workspaces"`
	// RemovedKeys are the workspace keys the engine API removed, sorted: the instance refuses a
	// create of one of them, so that a create the hub gave up on cannot land after a restart
	// either. None of them may be the key of one of Workspaces.
	RemovedKeys []string `json:"removedKeys,omitempty"`
}

// ParseInstanceState reads an InstanceState from JSON, as Snapshot's value is written with
// encoding/json: unknown fields and anything after the value are errors, and its errors speak
// of JSON, never of Go types.
func ParseInstanceState(b []byte) (InstanceState, error) {
	var state InstanceState
	if err := decodeStrict(b, &state); err != nil {
		return InstanceState{}, fmt.Errorf("fake: instance state: %w", jsonProblem{err})
	}
	return state, nil
}

// Snapshot returns the instance's workspaces and their customers, sorted by key.
func (i *Instance) Snapshot(ctx context.Context) (InstanceState, error) {
	if err := ctx.Err(); err != nil {
		return InstanceState{}, err
	}
	in := i.in
	in.mu.RLock()
	list := make([]*workspace, 0, len(in.workspaces))
	for _, ws := range in.workspaces {
		list = append(list, ws)
	}
	var removed []string
	if len(in.removed) > 0 {
		removed = sortedKeys(in.removed)
	}
	in.mu.RUnlock()
	sort.Slice(list, func(a, b int) bool { return list[a].key < list[b].key })
	out := InstanceState{InstanceID: in.id, Workspaces: make([]SeedWorkspace, len(list)), RemovedKeys: removed}
	for k, ws := range list {
		ws.mu.RLock()
		w := &orgWorkspace{key: ws.key, secret: string(ws.secret), createdAt: ws.createdAt, updatedAt: ws.createdAt,
			archivedAt: ws.archivedAt, cfg: ws.cfg, version: ws.version, prevSecret: string(ws.prevSecret), prevUntil: ws.prevUntil}
		ws.mu.RUnlock()
		sw := seedOfWorkspace(w, ws)
		sw.UpdatedAt = nil
		out.Workspaces[k] = sw
	}
	return out, nil
}

// Restore makes state the instance's whole state, all or nothing: a state that fails the
// checks changes nothing. The state must be of this instance (its InstanceID).
func (i *Instance) Restore(ctx context.Context, state InstanceState) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	in := i.in
	if state.InstanceID != in.id {
		return fmt.Errorf("fake: instance state: it is the state of instance %q, not %q", state.InstanceID, in.id)
	}
	var problems []string
	fail := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	now := in.env.now()
	next := make(map[string]*workspace, len(state.Workspaces))
	for k, w := range state.Workspaces {
		ww := fmt.Sprintf("workspaces[%d]", k)
		switch {
		case w.Key == "":
			fail("%s.key is required", ww)
			continue
		case next[w.Key] != nil:
			fail("%s.key %q is used twice", ww, w.Key)
		case len(w.Secret) < 16:
			fail("%s.secret must have at least 16 characters", ww)
		}
		if w.ID != "" || w.Name != "" || w.LogoURI != "" || w.MembraneInstanceID != "" || w.UpdatedAt != nil {
			fail("%s: id, name, logoUri, membraneInstanceId and updatedAt are the hub's, not the instance's", ww)
		}
		f := &form{raw: w.Config}
		cfg := newConfig().patched(f, false)
		for _, name := range sortedKeys(f.errs) {
			fail("%s.%s %s", ww, name, f.errs[name])
		}
		ws := &workspace{key: w.Key, createdAt: timeOr(w.CreatedAt, now), version: max(w.Version, 1),
			secret: []byte(w.Secret), cfg: cfg, keys: parsePublicKeys(cfg.PublicKeys)}
		if w.ArchivedAt != nil {
			at := timeOr(w.ArchivedAt, now)
			ws.archivedAt = &at
		}
		if (w.PreviousSecret != "") != (w.PreviousSecretUntil != nil) {
			fail("%s.previousSecret and previousSecretUntil go together", ww)
		} else if w.PreviousSecret != "" {
			ws.prevSecret, ws.prevUntil = []byte(w.PreviousSecret), w.PreviousSecretUntil.UTC()
		}
		ids, internal := map[string]bool{}, map[string]bool{}
		for c, sc := range w.Customers {
			cw := fmt.Sprintf("%s.customers[%d]", ww, c)
			cu := buildCustomer(cw, sc, now, in.env.ids, fail)
			if ids[cu.ID] || internal[cu.InternalID] {
				fail("%s: id %q or internalId %q is used twice", cw, cu.ID, cu.InternalID)
			}
			ids[cu.ID], internal[cu.InternalID] = true, true
			ws.insertCustomer(cu.index())
		}
		next[w.Key] = ws
	}
	removed := make(map[string]bool, len(state.RemovedKeys))
	for k, key := range state.RemovedKeys {
		switch {
		case key == "":
			fail("removedKeys[%d] is empty", k)
		case next[key] != nil:
			fail("removedKeys[%d] %q is the key of a workspace the instance hosts", k, key)
		}
		removed[key] = true
	}
	if len(problems) > 0 {
		return fmt.Errorf("fake: instance state: %w", &SeedError{Problems: problems})
	}
	in.mu.Lock()
	in.workspaces, in.removed = next, removed
	in.mu.Unlock()
	in.idem.clear()
	return nil
}
