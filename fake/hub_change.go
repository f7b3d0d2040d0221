package fake

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
)

// This file holds how a change of an org workspace reaches the instance that hosts it: the
// create that places a workspace, and the gate and version check that every later change goes
// through. The endpoints that make the changes are in hub_workspaces.go.

// engineCreate is the body of an engine create with no configuration.
type engineCreate struct {
	Key    string `json:"workspaceKey"`
	Secret string `json:"workspaceSecret"`
	Name   string `json:"name"`
}

// place creates ws on the instance ref, with the instance-level fields of config, and records it
// in org o once the instance accepted it.
func (h *hub) place(ctx context.Context, o *org, ws *orgWorkspace, ref *instanceRef, config map[string]json.RawMessage) *apiError {
	var engineBody any = engineCreate{Key: ws.key, Secret: ws.secret, Name: ws.name}
	if len(config) > 0 { // a seeded workspace comes with its configuration
		m := make(map[string]any, len(config)+3)
		for k, v := range config {
			m[k] = v
		}
		m["workspaceKey"], m["workspaceSecret"], m["name"] = ws.key, ws.secret, ws.name
		engineBody = m
	}
	h.removeOrphans(ctx, ref)
	b, err := h.engine(ctx, ref, http.MethodPost, "/workspaces", engineBody)
	if err != nil {
		h.afterFailedCreate(ctx, ref, ws.key, err)
		return err
	}
	ws.version = b.version
	h.record(o, ws, ref.id)
	return nil
}

// enter takes the workspace's gate, which lets one change at a time reach its instance, or
// gives up when ctx ends. The caller must call leave.
func (e *wsEntry) enter(ctx context.Context) *apiError {
	select {
	case e.gate <- struct{}{}:
		o := e.org
		o.mu.Lock() // before anything is sent to the instance
		if o.busy == nil {
			o.busy = make(map[*wsEntry]chan struct{})
		}
		o.busy[e] = make(chan struct{})
		o.mu.Unlock()
		return nil
	case <-ctx.Done():
		return errUnavailable("the request ended while waiting for another change of this workspace")
	}
}

func (e *wsEntry) leave() {
	o := e.org
	o.mu.Lock()
	done := o.busy[e]
	delete(o.busy, e)
	o.mu.Unlock()
	close(done)
	<-e.gate
}

// inFlight is what a read must wait for: closed when the change (or repair) that holds the
// workspace's gate now leaves it; nil when none does.
func (e *wsEntry) inFlight() <-chan struct{} {
	e.org.mu.RLock()
	defer e.org.mu.RUnlock()
	return e.org.busy[e]
}

// awaitChange waits until the change of the workspace in flight when it is called, if any, has
// ended, or gives up when ctx ends. A change holds the gate from before it calls the instance
// until the hub has committed it or given up on it; so a read made after awaitChange never
// answers a version older than one that the instance held when the read began.
func awaitChange(ctx context.Context, done <-chan struct{}) *apiError {
	if done == nil {
		return nil
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return errUnavailable("the request ended while waiting for a change of this workspace to end")
	}
}

// read answers the workspace as the hub holds it, once the change in flight when the read
// began has ended: never a version older than one its instance already holds. When the hub
// owes the instance a repair (the answer to a change was lost), the read makes it first, so
// that the instance holds what the read answers. A repair that cannot be made now (the instance
// is down) leaves the answer as it is: the hub's state, which the repair will set the instance
// back to, and which workspace-token traffic through the hub waits for.
func (h *hub) read(ctx context.Context, o *org, e *wsEntry) (*orgWorkspace, *apiError) {
	if err := awaitChange(ctx, e.inFlight()); err != nil {
		return nil, err
	}
	if h.repairs.pending.Load() > 0 {
		_ = h.repairKey(ctx, current(o, e).key) // the background repairs go on if it fails
	}
	return current(o, e), nil
}

// settled returns the current version once no change of it is in flight.
func (h *hub) settled(ctx context.Context, o *org, e *wsEntry) (*orgWorkspace, *apiError) {
	if err := e.enter(ctx); err != nil {
		return nil, err
	}
	defer e.leave()
	if err := h.repairIfDirty(ctx, o, e); err != nil {
		return nil, err
	}
	return current(o, e), nil
}

func current(o *org, e *wsEntry) *orgWorkspace {
	o.mu.RLock()
	defer o.mu.RUnlock()
	return e.cur
}

// change runs one change of an org workspace: it takes the workspace's gate (so changes reach
// the instance in the order the hub commits them), reads the current version, asks fn for the
// next version and the instance-level update that goes with it, sends that update to the
// instance, and commits the next version only if the instance accepted it. No lock is held
// while the instance is called.
func (h *hub) change(ctx context.Context, o *org, e *wsEntry,
	fn func(cur *orgWorkspace) (next *orgWorkspace, update map[string]any, err *apiError)) (*orgWorkspace, *apiError) {
	if err := e.enter(ctx); err != nil {
		return nil, err
	}
	defer e.leave()
	if err := h.repairIfDirty(ctx, o, e); err != nil {
		return nil, err
	}
	cur := current(o, e)
	next, update, err := fn(cur)
	if err != nil {
		return nil, err
	}
	if next == cur {
		return cur, nil
	}
	if len(update) > 0 {
		update["ifVersion"] = cur.version
		b, err := h.engine(ctx, h.instance(cur.instanceID), http.MethodPatch, "/workspaces/"+url.PathEscape(cur.key), update)
		if err != nil {
			h.afterFailedUpdate(ctx, o, e, err)
			return nil, err
		}
		next.version = b.version
	}
	o.mu.Lock()
	e.cur = next
	o.mu.Unlock()
	return next, nil
}

// secretFields are the engine fields that set the secret of w on its instance, with the grace of
// the secret before it: the instance accepts the previous secret until the time the hub set.
func (w *orgWorkspace) secretFields() map[string]any {
	m := map[string]any{"secret": w.secret, "previousSecret": nil, "previousSecretUntil": nil}
	if w.prevSecret != "" {
		m["previousSecret"], m["previousSecretUntil"] = w.prevSecret, formatTime(w.prevUntil)
	}
	return m
}
