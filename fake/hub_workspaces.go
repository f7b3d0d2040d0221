package fake

import (
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
	// Each workspace is listed once the change of it in flight when the list began has ended,
	// as a GET answers it; changes that begin later are not waited for.
	o.mu.RLock()
	inFlight := make([]<-chan struct{}, 0, len(o.busy))
	for _, done := range o.busy {
		inFlight = append(inFlight, done)
	}
	o.mu.RUnlock()
	for _, done := range inFlight {
		if err := awaitChange(x.r.Context(), done); err != nil {
			return nil, err
		}
	}
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
	w, err := h.read(x.r.Context(), o, e)
	if err != nil {
		return nil, err
	}
	return h.response(w), nil
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
