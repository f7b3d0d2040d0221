package fake

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// repairTimeout bounds a repair made right after a failed engine call.
const repairTimeout = 2 * time.Second

// repairs is what the hub must put right on its instances after engine calls whose outcome it
// could not learn (the connection broke, or the answer was lost): workspaces whose last update
// may have been applied, and workspaces whose create may have been.
type repairs struct {
	mu      sync.Mutex
	dirty   map[*wsEntry]*org
	orphans map[string]map[string]bool // instance id to the keys of workspaces to remove
}

// outcomeUnknown tells whether a failed engine call may still have done its work: only an
// answer from the instance proves it did not (it applies a change whole or not at all). A
// version conflict means the hub's idea of the instance is stale.
func outcomeUnknown(err *apiError) bool {
	return err.upstream == 0 || err.upstream == http.StatusConflict
}

// afterFailedUpdate marks the workspace for repair when the update may have reached the
// instance, and tries the repair at once. Called with e's gate held.
func (h *hub) afterFailedUpdate(ctx context.Context, o *org, e *wsEntry, err *apiError) {
	if !outcomeUnknown(err) {
		return
	}
	e.dirty = true
	h.repairs.mu.Lock()
	if h.repairs.dirty == nil {
		h.repairs.dirty = make(map[*wsEntry]*org)
	}
	h.repairs.dirty[e] = o
	h.repairs.mu.Unlock()
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), repairTimeout)
	defer cancel()
	_ = h.repairIfDirty(rctx, o, e)
}

// repairIfDirty makes the instance hold the hub's current version of a workspace marked dirty:
// it reads the instance's version and sets every instance-level field, the secret and the
// archive time to the hub's values. Called with e's gate held.
func (h *hub) repairIfDirty(ctx context.Context, o *org, e *wsEntry) *apiError {
	if !e.dirty {
		return nil
	}
	cur := current(o, e)
	ref := h.instance(cur.instanceID)
	path := "/workspaces/" + url.PathEscape(cur.key)
	b, err := h.engine(ctx, ref, http.MethodGet, path, nil)
	if err != nil {
		return err
	}
	state := cur.cfg.engineFields()
	state["secret"], state["archivedAt"], state["ifVersion"] = cur.secret, nil, b.version
	if cur.archivedAt != nil {
		state["archivedAt"] = formatTime(*cur.archivedAt)
	}
	if b, err = h.engine(ctx, ref, http.MethodPatch, path, state); err != nil {
		return err
	}
	fixed := *cur
	fixed.version = b.version
	o.mu.Lock()
	e.cur = &fixed
	o.mu.Unlock()
	e.dirty = false
	h.repairs.mu.Lock()
	delete(h.repairs.dirty, e)
	h.repairs.mu.Unlock()
	return nil
}

// afterFailedCreate records a workspace whose create may have reached the instance, so that it
// is removed there, and tries at once.
func (h *hub) afterFailedCreate(ctx context.Context, ref *instanceRef, key string, err *apiError) {
	if ref == nil || !outcomeUnknown(err) {
		return
	}
	h.repairs.mu.Lock()
	if h.repairs.orphans == nil {
		h.repairs.orphans = make(map[string]map[string]bool)
	}
	if h.repairs.orphans[ref.id] == nil {
		h.repairs.orphans[ref.id] = make(map[string]bool)
	}
	h.repairs.orphans[ref.id][key] = true
	h.repairs.mu.Unlock()
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), repairTimeout)
	defer cancel()
	_ = h.removeOrphans(rctx, ref)
}

// removeOrphans removes from the instance the workspaces whose create the hub gave up on.
func (h *hub) removeOrphans(ctx context.Context, ref *instanceRef) error {
	h.repairs.mu.Lock()
	keys := make([]string, 0, len(h.repairs.orphans[ref.id]))
	for k := range h.repairs.orphans[ref.id] {
		keys = append(keys, k)
	}
	h.repairs.mu.Unlock()
	var errs []error
	for _, key := range keys {
		_, err := h.engine(ctx, ref, http.MethodDelete, "/workspaces/"+url.PathEscape(key), nil)
		if err != nil && err.upstream != http.StatusNotFound {
			errs = append(errs, err)
			continue
		}
		h.repairs.mu.Lock()
		delete(h.repairs.orphans[ref.id], key)
		h.repairs.mu.Unlock()
	}
	return errors.Join(errs...)
}

// Settle puts right, now, what failed calls between the hub and its instances may have left
// behind: a workspace whose update may have reached its instance is set back to the hub's
// version there, and one whose create may have reached it is removed. The hub does this on its
// own at the next change of such a workspace; a test calls Settle to check that hub and
// instances agree. It returns an error while an instance is still unreachable.
func (s *Server) Settle(ctx context.Context) error {
	h := s.hub
	var errs []error
	h.mu.RLock()
	refs := make([]*instanceRef, 0, len(h.instances))
	for _, ref := range h.instances {
		refs = append(refs, ref)
	}
	h.mu.RUnlock()
	for _, ref := range refs {
		if err := h.removeOrphans(ctx, ref); err != nil {
			errs = append(errs, err)
		}
	}
	h.repairs.mu.Lock()
	dirty := make(map[*wsEntry]*org, len(h.repairs.dirty))
	for e, o := range h.repairs.dirty {
		dirty[e] = o
	}
	h.repairs.mu.Unlock()
	for e, o := range dirty {
		if err := e.enter(ctx); err != nil {
			errs = append(errs, err)
			continue
		}
		if err := h.repairIfDirty(ctx, o, e); err != nil {
			errs = append(errs, err)
		}
		e.leave()
	}
	return errors.Join(errs...)
}
