package fake

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"io"
	"net/http"
	"strings"
)

// serveAdmin answers a request of the fake's own API under /_fake/ (see adminRoutes), for tests
// that drive the fake over HTTP (the binary's users): faults and the journal. It needs the
// admin token of the default org.
//
//	POST   /_fake/faults        add a fault (a Fault as JSON); answers it with its id
//	GET    /_fake/faults        {"items": [faults]}
//	DELETE /_fake/faults        remove every fault
//	DELETE /_fake/faults/{id}   remove one
//	GET    /_fake/journal       {"items": [journal entries]}
//	DELETE /_fake/journal       empty the journal
func (s *Server) serveAdmin(w http.ResponseWriter, r *http.Request, fn handlerFunc) {
	x := s.newExchange(w, r, nil)
	tok := bearer(r)
	if tok == "" || subtle.ConstantTimeCompare([]byte(tok), []byte(s.AdminToken())) != 1 {
		x.fail(errNotAuthenticated("the fake's admin API needs the admin token of the default org"))
		return
	}
	x.run(fn)
}

func (s *Server) addFault(x *exchange) (any, *apiError) {
	var f Fault
	if err := decodeAdminBody(x, "fault", &f); err != nil {
		return nil, err
	}
	id, err := s.faults.Add(f)
	if err != nil {
		return nil, errBadRequest("%s", strings.TrimPrefix(err.Error(), "fake: "))
	}
	for _, got := range s.faults.List() {
		if got.ID == id {
			return got, nil
		}
	}
	return nil, errInternal("fault %q vanished", id)
}

// orgOf names the org a Management API request is about, for faults that match an org: its
// orgId, or the org of the workspace in its path.
func (h *hub) orgOf(r *http.Request) string {
	if id := r.URL.Query().Get("orgId"); id != "" {
		return id
	}
	segs, _ := pathSegments(r)
	if len(segs) == 0 || segs[0] != "org-workspaces" {
		return ""
	}
	if len(segs) > 1 {
		h.mu.RLock()
		e := h.byWS[segs[1]]
		h.mu.RUnlock()
		if e != nil {
			return e.org.id
		}
		return ""
	}
	if r.Method != http.MethodPost || r.Body == nil {
		return ""
	}
	// A create names its org in the body: read it, and leave the body for the handler.
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	r.Body = io.NopCloser(bytes.NewReader(b))
	if err != nil {
		return ""
	}
	var body struct {
		OrgID string `json:"orgId"`
	}
	_ = json.Unmarshal(b, &body)
	return body.OrgID
}
