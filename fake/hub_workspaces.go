package fake

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// response is the response about version w.
func (h *hub) response(w *orgWorkspace) workspaceResponse {
	return workspaceResponse{w, h.baseURIOf(w)}
}

// listWorkspaces serves GET /org-workspaces.
func (h *hub) listWorkspaces(x *request, m *member) (any, *apiError) {
	q := x.r.URL.Query()
	f := &form{}
	orgID := queryOrg(f, q, m)
	pq := readPage(f, q.Get("limit"), q.Get("cursor"))
	includeArchived := readBoolQuery(f, q.Get("includeArchived"), "includeArchived")
	if err := f.err(); err != nil {
		return nil, err
	}
	o, err := h.orgFor(m, orgID, permRead)
	if err != nil {
		return nil, err
	}
	search := strings.ToLower(q.Get("search"))
	o.mu.RLock()
	entries, cursor := page(o.order, pq, func(e *wsEntry) bool {
		return (includeArchived || e.cur.archivedAt == nil) && strings.Contains(e.cur.nameLower, search)
	})
	versions := make([]*orgWorkspace, len(entries))
	for i, e := range entries {
		versions[i] = e.cur
	}
	o.mu.RUnlock()
	out := listJSON[orgWorkspaceJSON]{Items: make([]orgWorkspaceJSON, len(versions)), Cursor: cursor}
	for i, w := range versions {
		out.Items[i] = workspaceJSON(w, h.baseURIOf(w))
	}
	return out, nil
}

// createWorkspace serves POST /org-workspaces: the instance creates the workspace first, and the
// hub records it only once the instance accepted it.
func (h *hub) createWorkspace(x *request, m *member) (any, *apiError) {
	f, err := parseForm(x.body)
	if err != nil {
		return nil, err
	}
	orgID, ok := f.nonEmpty("orgId")
	if !ok && !f.has("orgId") {
		f.fail("orgId", "is required")
	}
	if err := f.err(); err != nil {
		return nil, err
	}
	o, err := h.orgFor(m, orgID, permWrite)
	if err != nil {
		return nil, err
	}
	name := "Untitled workspace"
	if n, ok := f.nonEmpty("name"); ok {
		name = n
	}
	logo := readLogo(f, "")
	instanceID, _ := f.string("membraneInstanceId")
	if err := f.err(); err != nil {
		return nil, err
	}
	ref := h.instance(instanceID)
	if ref == nil {
		return nil, errNotFound("membrane instance %q not found", instanceID)
	}
	now := h.env.now()
	ws := &orgWorkspace{
		id: h.env.ids.objectID(), orgID: o.id, name: name, nameLower: strings.ToLower(name),
		key: h.env.ids.uuid(), secret: h.env.ids.secret(), instanceID: instanceID, logoURI: logo,
		createdAt: now, updatedAt: now, cfg: newConfig(),
	}
	if err := h.place(x.r.Context(), o, ws, ref, nil); err != nil {
		return nil, err
	}
	return h.response(ws), nil
}

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
	o.mu.Lock()
	o.seq++
	e := &wsEntry{org: o, cur: ws, seq: o.seq, gate: make(chan struct{}, 1)}
	o.order = append(o.order, e)
	o.mu.Unlock()
	h.mu.Lock()
	h.byWS[ws.id] = e
	h.keyHost[ws.key] = ref.id
	h.mu.Unlock()
	return nil
}

func readLogo(f *form, old string) string {
	if !f.has("logoUri") {
		return old
	}
	if f.isNull("logoUri") {
		return ""
	}
	s, ok := f.string("logoUri")
	if !ok || s == "" {
		return ""
	}
	if !checkURL(f, "logoUri", s) {
		return old
	}
	return s
}

// getWorkspace serves GET /org-workspaces/{id}.
func (h *hub) getWorkspace(x *request, o *org, e *wsEntry) (any, *apiError) {
	return h.response(current(o, e)), nil
}

// enter takes the workspace's gate, which lets one change at a time reach its instance, or
// gives up when ctx ends. The caller must call leave.
func (e *wsEntry) enter(ctx context.Context) *apiError {
	select {
	case e.gate <- struct{}{}:
		return nil
	case <-ctx.Done():
		return errUnavailable("the request ended while waiting for another change of this workspace")
	}
}

func (e *wsEntry) leave() { <-e.gate }

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

// patchWorkspace serves PATCH /org-workspaces/{id}.
func (h *hub) patchWorkspace(x *request, o *org, e *wsEntry) (any, *apiError) {
	f, err := parseForm(x.body)
	if err != nil {
		return nil, err
	}
	next, err := h.change(x.r.Context(), o, e, func(cur *orgWorkspace) (*orgWorkspace, map[string]any, *apiError) {
		if cur.archivedAt != nil {
			return nil, nil, errBadRequest("org workspace %q is archived: restore it before changing it", cur.id)
		}
		next := *cur
		if n, ok := f.nonEmpty("name"); ok {
			next.name, next.nameLower = n, strings.ToLower(n)
		}
		next.logoURI = readLogo(f, cur.logoURI)
		next.cfg = cur.cfg.patched(f, true)
		if err := f.err(); err != nil {
			return nil, nil, err
		}
		p := configPatch(f)
		if len(p) == 0 && !f.has("name") && !f.has("logoUri") {
			return cur, nil, nil // nothing the API knows was sent
		}
		next.updatedAt = h.env.now()
		// The instance gets the resulting values of the fields sent, not the merge to make.
		all := next.cfg.engineFields()
		update := make(map[string]any, len(p))
		for k := range p {
			update[k] = all[k]
		}
		return &next, update, nil
	})
	if err != nil {
		return nil, err
	}
	return h.response(next), nil
}

// archiveWorkspace serves DELETE /org-workspaces/{id}; archiving an archived workspace changes
// nothing.
func (h *hub) archiveWorkspace(x *request, o *org, e *wsEntry) (any, *apiError) {
	next, err := h.change(x.r.Context(), o, e, func(cur *orgWorkspace) (*orgWorkspace, map[string]any, *apiError) {
		if cur.archivedAt != nil {
			return cur, nil, nil
		}
		now := h.env.now()
		next := *cur
		next.archivedAt, next.updatedAt = &now, now
		return &next, map[string]any{"archivedAt": formatTime(now)}, nil
	})
	if err != nil {
		return nil, err
	}
	return h.response(next), nil
}

// restoreWorkspace serves POST /org-workspaces/{id}/restore; restoring a workspace that is not
// archived changes nothing.
func (h *hub) restoreWorkspace(x *request, o *org, e *wsEntry) (any, *apiError) {
	next, err := h.change(x.r.Context(), o, e, func(cur *orgWorkspace) (*orgWorkspace, map[string]any, *apiError) {
		if cur.archivedAt == nil {
			return cur, nil, nil
		}
		next := *cur
		next.archivedAt, next.updatedAt = nil, h.env.now()
		return &next, map[string]any{"archivedAt": nil}, nil
	})
	if err != nil {
		return nil, err
	}
	return h.response(next), nil
}

// rotateSecret serves POST /org-workspaces/{id}/rotate-secret: tokens signed with the old secret
// stop working at once.
func (h *hub) rotateSecret(x *request, o *org, e *wsEntry) (any, *apiError) {
	next, err := h.change(x.r.Context(), o, e, func(cur *orgWorkspace) (*orgWorkspace, map[string]any, *apiError) {
		now := h.env.now()
		next := *cur
		next.secret, next.updatedAt = h.env.ids.secret(), now
		next.prevSecret, next.prevUntil = "", time.Time{}
		if grace := h.env.secretGrace; grace > 0 {
			next.prevSecret, next.prevUntil = cur.secret, now.Add(grace)
		}
		return &next, next.secretFields(), nil
	})
	if err != nil {
		return nil, err
	}
	return map[string]string{"secret": next.secret}, nil
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
