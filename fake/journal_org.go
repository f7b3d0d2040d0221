package fake

import (
	"net/http"
)

// journalOrg names the org a request is about, for the journal and for the faults that name an
// org: the org of a Management API request (its orgId, the org of its workspace, or the
// caller's only org), or the org of the workspace that a workspace token or an engine API path
// names; "" when the hub does not know.
func (h *hub) journalOrg(r *http.Request, server string) string {
	segs, _ := pathSegments(r)
	if server == hubInstanceID && len(segs) > 0 && (segs[0] == "org-workspaces" || segs[0] == "membrane-instances") {
		if id := h.orgOf(r); id != "" {
			return id
		}
		if len(segs) == 1 && r.Method == http.MethodGet {
			if m, err := h.authenticate(r); err == nil {
				id, _ := defaultOrg(m)
				return id
			}
		}
		return ""
	}
	key := ""
	if server != hubInstanceID && len(segs) >= 2 && segs[0] == "workspaces" {
		key = segs[1] // the engine API names the workspace in its path
	} else {
		key = tokenKey(bearer(r))
	}
	if key == "" {
		return ""
	}
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.keyOrg[key]
}
