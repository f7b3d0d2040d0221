package fake

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"io"
	"net/http"
	"strings"
)

// serveAdmin answers the fake's own API under /_fake/, for tests that drive the fake over HTTP
// (the binary's users): faults and the journal. It needs the admin token of the default org.
//
//	POST   /_fake/faults        add a fault (a Fault as JSON); answers it with its id
//	GET    /_fake/faults        {"items": [faults]}
//	DELETE /_fake/faults        remove every fault
//	DELETE /_fake/faults/{id}   remove one
//	GET    /_fake/journal       {"items": [journal entries]}
//	DELETE /_fake/journal       empty the journal
func (s *Server) serveAdmin(w http.ResponseWriter, r *http.Request) {
	x := s.newExchange(w, r, nil)
	tok := bearer(r)
	if tok == "" || subtle.ConstantTimeCompare([]byte(tok), []byte(s.adminToken)) != 1 {
		x.fail(errNotAuthenticated("the fake's admin API needs the admin token of the default org"))
		return
	}
	p, ok := pathParts(r)
	if !ok || p[0] != "_fake" || p[3] != "" {
		x.fail(errNotFound("no route for %s %s", r.Method, r.URL.Path))
		return
	}
	switch {
	case p[1] == "faults" && p[2] == "":
		switch r.Method {
		case http.MethodPost:
			x.run(s.addFault)
		case http.MethodGet:
			x.ok(listJSON[Fault]{Items: s.faults.List()})
		case http.MethodDelete:
			s.faults.Clear()
			x.ok(map[string]any{})
		default:
			w.Header().Set("Allow", "DELETE, GET, POST")
			x.fail(errMethodNotAllowed(r.Method, r.URL.Path))
		}
	case p[1] == "faults" && r.Method == http.MethodDelete:
		if !s.faults.Remove(p[2]) {
			x.fail(errNotFound("fault %q not found", p[2]))
			return
		}
		x.ok(map[string]any{})
	case p[1] == "journal" && p[2] == "" && r.Method == http.MethodGet:
		x.ok(listJSON[JournalEntry]{Items: s.Journal()})
	case p[1] == "journal" && p[2] == "" && r.Method == http.MethodDelete:
		s.ResetJournal()
		x.ok(map[string]any{})
	default:
		x.fail(errNotFound("no route for %s %s", r.Method, r.URL.Path))
	}
}

func (s *Server) addFault(x *exchange) (any, *apiError) {
	var f Fault
	dec := json.NewDecoder(bytes.NewReader(x.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, errBadRequest("fault: %s", cleanJSONError(err))
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
	p, _ := pathParts(r)
	if p[0] != "org-workspaces" {
		return ""
	}
	if p[1] != "" {
		h.mu.RLock()
		o := h.byWS[p[1]]
		h.mu.RUnlock()
		if o != nil {
			return o.id
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
