package fake

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
)

// journalOrg names the org a request is about, for the journal: the org of a Management API
// request (its orgId, the org of its workspace, or the caller's only org), or the org of the
// workspace that a workspace token or an engine API path names; "" when the hub does not know.
func (h *hub) journalOrg(r *http.Request, server string) string {
	segs, _ := pathSegments(r)
	if server == hubInstanceID && len(segs) > 0 && segs[0] == "org-workspaces" {
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
		key = tokenWorkspaceKey(bearer(r))
	}
	if key == "" {
		return ""
	}
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.keyOrg[key]
}

// tokenWorkspaceKey reads the workspace key a workspace token names, without verifying it.
func tokenWorkspaceKey(token string) string {
	_, rest, ok := strings.Cut(token, ".")
	payload, _, ok2 := strings.Cut(rest, ".")
	if !ok || !ok2 || len(payload) > maxTokenBytes {
		return ""
	}
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return ""
	}
	var c struct {
		WorkspaceKey any `json:"workspaceKey"`
		Iss          any `json:"iss"`
	}
	if json.Unmarshal(raw, &c) != nil {
		return ""
	}
	if key, _ := c.WorkspaceKey.(string); key != "" {
		return key
	}
	key, _ := c.Iss.(string)
	return key
}
