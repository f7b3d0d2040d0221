package fake

// hubInstanceID is the id of the instance the hub hosts itself.
const hubInstanceID = "hub"

// instanceRef is the hub's entry for an instance: where it is and how to call its engine API.
type instanceRef struct {
	id, name    string
	url         func() string
	engineToken string
}

// register adds an instance to the hub's registry.
func (h *hub) register(id, name string, url func() string, engineToken string) {
	h.mu.Lock()
	h.instances[id] = &instanceRef{id: id, name: name, url: url, engineToken: engineToken}
	h.instOrder = append(h.instOrder, id)
	h.mu.Unlock()
}

// baseURIOf is the apiBaseUri of a workspace: its instance's base URL.
func (h *hub) baseURIOf(w *orgWorkspace) string {
	if ref := h.instance(w.instanceID); ref != nil {
		return ref.url()
	}
	return ""
}

// instance finds a registered instance; "" is the hub's own.
func (h *hub) instance(id string) *instanceRef {
	if id == "" {
		id = hubInstanceID
	}
	h.mu.RLock()
	ref := h.instances[id]
	h.mu.RUnlock()
	return ref
}

// listInstances serves GET /membrane-instances.
func (h *hub) listInstances(x *request, m *member) (any, *apiError) {
	f := &form{}
	orgID := queryOrg(f, x.r.URL.Query(), m)
	if err := f.err(); err != nil {
		return nil, err
	}
	if _, err := h.orgFor(m, orgID, permRead); err != nil {
		return nil, err
	}
	h.mu.RLock()
	refs := make([]*instanceRef, 0, len(h.instances))
	for _, id := range h.instOrder {
		refs = append(refs, h.instances[id])
	}
	h.mu.RUnlock()
	out := listJSON[instanceJSON]{Items: make([]instanceJSON, len(refs))}
	for i, ref := range refs {
		out.Items[i] = instanceJSON{ID: ref.id, Name: ref.name, APIBaseURI: ref.url()}
	}
	return out, nil
}
