package fake

import (
	"crypto/subtle"
	"net/http"
	"strings"
)

// maxAdminBodyBytes is the largest body of the control plane, read only once the admin token is
// checked: a state taken with GET /_fake/state goes back whole with PUT, however many
// workspaces it holds, where the API's own bodies stop at maxBodyBytes.
const maxAdminBodyBytes = 1 << 30

// serveAdmin serves a request of the fake's own API under /_fake/ (its routes are adminRoutes,
// and GET /_fake lists them), for tests that drive the fake over HTTP. It needs the admin token
// of the default org, checked before the body is read.
func (s *Server) serveAdmin(w http.ResponseWriter, r *http.Request, fn handlerFunc) {
	x := s.env.newRequest(w, r, nil)
	tok := bearer(r)
	if tok == "" || subtle.ConstantTimeCompare([]byte(tok), []byte(s.AdminToken())) != 1 {
		x.fail(errNotAuthenticated("the fake's admin API needs the admin token of the default org"))
		return
	}
	x.limit = maxAdminBodyBytes
	x.run(fn)
}

func (s *Server) addFault(x *request) (any, *apiError) {
	var f Fault
	if err := decodeStrict(x.body, &f); err != nil {
		return nil, errBadRequest("fault: %s", cleanJSONError(err))
	}
	id, err := s.env.faults.Add(f)
	if err != nil {
		return nil, errBadRequest("%s", strings.TrimPrefix(err.Error(), "fake: "))
	}
	for _, got := range s.env.faults.List() {
		if got.ID == id {
			return got, nil
		}
	}
	return nil, errInternal("fault %q vanished", id)
}

// settle serves POST /_fake/settle: Settle, with the error of an instance that cannot be
// repaired yet as a 502 dependency_error.
func (s *Server) settle(x *request) (any, *apiError) {
	if err := onlyParams(x.r.URL.Query()); err != nil {
		return nil, err
	}
	if err := emptyBody(x); err != nil {
		return nil, err
	}
	if err := s.Settle(x.r.Context()); err != nil {
		return nil, errDependency("%s", err.Error())
	}
	return map[string]any{}, nil
}
