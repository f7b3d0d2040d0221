package fake

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
)

// serveWorkspaceSide serves a request that is not for the Management API. Workspace-token
// traffic for a workspace on another instance is forwarded there; everything else (the hub's
// own workspaces, its engine API, the health check, unknown paths) is the hub's own instance's.
func (h *hub) serveWorkspaceSide(w http.ResponseWriter, r *http.Request) {
	if segs, ok := pathSegments(r); ok {
		if rt, _, _ := routeOf(instanceRoutes, r.Method, segs); rt != nil && rt.api == apiWorkspace {
			key := tokenKey(bearer(r))
			// An instance that may hold another version of the workspace than the hub is
			// repaired before it gets the workspace's traffic.
			if err := h.repairKey(r.Context(), key); err != nil {
				h.env.newRequest(w, r, h.idem).fail(err)
				return
			}
			if id := h.hostOf(key); id != "" && id != hubInstanceID {
				if ref := h.instance(id); ref != nil {
					h.forward(w, r, ref)
					return
				}
			}
		}
	}
	h.own.ServeHTTP(w, r)
}

// tokenKey returns the workspace key a workspace token names, or "". The token is only read
// here, not verified: the instance that gets it verifies it.
func tokenKey(token string) string {
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
	key, _ := c.WorkspaceKey.(string)
	if key == "" {
		key, _ = c.Iss.(string)
	}
	return key
}

// hostOf returns the id of the instance hosting the workspace of key, or "" when the hub knows
// no such workspace.
func (h *hub) hostOf(key string) string {
	if key == "" {
		return ""
	}
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.keyHost[key]
}

// hopHeaders are not passed on by a proxy (RFC 9110, section 7.6.1).
var hopHeaders = [...]string{"Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authorization",
	"Te", "Trailer", "Transfer-Encoding", "Upgrade"}

// forward sends r on to the instance and its response back, as a reverse proxy does. An instance
// that cannot be reached is a 502 dependency_error.
func (h *hub) forward(w http.ResponseWriter, r *http.Request, ref *instanceRef) {
	out, err := http.NewRequestWithContext(r.Context(), r.Method, ref.url()+r.URL.RequestURI(), r.Body)
	if err != nil {
		h.env.newRequest(w, r, h.idem).fail(errInternal("could not build the request to instance %q", ref.id))
		return
	}
	out.ContentLength = r.ContentLength
	out.Header = r.Header.Clone()
	for _, k := range hopHeaders {
		out.Header.Del(k)
	}
	resp, err := h.env.transport.RoundTrip(out)
	if err != nil {
		h.env.newRequest(w, r, h.idem).fail(errDependency("instance %q cannot be reached", ref.id))
		return
	}
	defer resp.Body.Close()
	for k, vs := range resp.Header {
		w.Header()[k] = vs
	}
	for _, k := range hopHeaders {
		w.Header().Del(k)
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
}
