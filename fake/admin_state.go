package fake

import (
	"errors"
	"net/http"
)

// serveReset serves POST /_fake/reset: the whole server back to its start state, or with
// ?orgId= one org. The body is empty or an empty JSON object.
func (s *Server) serveReset(x *request) (any, *apiError) {
	q := x.r.URL.Query()
	if err := onlyParams(q, "orgId"); err != nil {
		return nil, err
	}
	if err := emptyBody(x); err != nil {
		return nil, err
	}
	if q.Has("orgId") {
		id := q.Get("orgId")
		if id == "" {
			return nil, errFields(map[string]string{"orgId": "must not be empty: name the org to reset, or leave orgId out to reset everything"})
		}
		if err := s.ResetOrg(x.r.Context(), id); err != nil {
			if errors.Is(err, ErrNoOrg) {
				return nil, errNotFound("org %q not found", id)
			}
			return nil, errDependency("%s", err)
		}
		return map[string]string{"orgId": id}, nil
	}
	if err := s.Reset(x.r.Context()); err != nil {
		return nil, errDependency("%s", err)
	}
	return map[string]string{"orgId": s.OrgID()}, nil
}

// emptyBody refuses a body other than nothing (or JSON whitespace) or {}.
func emptyBody(x *request) *apiError {
	if len(trimJSONSpace(x.body)) == 0 {
		return nil
	}
	var none struct{}
	return decodeAdminBody(x, "body", &none)
}

// serveGetState serves GET /_fake/state: the Snapshot.
func (s *Server) serveGetState(x *request) (any, *apiError) {
	if err := onlyParams(x.r.URL.Query()); err != nil {
		return nil, err
	}
	snap, err := s.Snapshot(x.r.Context())
	if err != nil {
		return nil, errUnavailable("the request ended before the snapshot was taken")
	}
	return snap, nil
}

// servePutState serves PUT /_fake/state: Replace with the body, all or nothing. A state that
// fails the checks is a 400 whose data lists every problem.
func (s *Server) servePutState(x *request) (any, *apiError) {
	if err := onlyParams(x.r.URL.Query()); err != nil {
		return nil, err
	}
	var state Seed
	if err := decodeAdminBody(x, "state", &state); err != nil {
		return nil, err
	}
	if err := s.Replace(x.r.Context(), state); err != nil {
		var bad *SeedError
		if errors.As(err, &bad) {
			aerr := errBadRequest("state: %s", bad)
			aerr.Data = map[string]any{"problems": bad.Problems}
			return nil, aerr
		}
		return nil, errDependency("%s", err)
	}
	return map[string]string{"orgId": s.OrgID()}, nil
}

// adminRoute is a route of the admin API that serves it with fn.
func adminRoute(method, pattern string, fn func(s *Server) handlerFunc) route[*Server] {
	return newRoute(apiAdmin, method, pattern, func(s *Server, w http.ResponseWriter, r *http.Request, _ params) {
		s.serveAdmin(w, r, fn(s))
	})
}
