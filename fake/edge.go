package fake

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// attemptHeader is the header in which clients number their attempts of one call.
const attemptHeader = "X-Membrane-Attempt"

// serveEdge is what every request to a server of the fake passes through: the faults that
// match it fire, and the journal records it. server is "hub" or the instance id. Faults that
// name an org match on the org the journal records, at the hub only (orgFaults).
func (s *env) serveEdge(w http.ResponseWriter, r *http.Request, server string, orgFaults bool, h http.Handler) {
	sw := &statusWriter{ResponseWriter: w, env: s, req: r, server: server}
	if s.orgOf != nil {
		sw.orgID = s.orgOf(r, server)
	}
	if s.faults != nil {
		var org func() string
		if orgFaults {
			org = func() string { return sw.orgID }
		}
		sw.fault = s.faults.match(r, server, org)
	}
	if sw.fault == nil || s.applyFault(sw, r, sw.fault, h) {
		h.ServeHTTP(sw, r)
	}
	sw.record()
}

// applyFault makes the fault happen and reports whether the request is still to be served.
func (s *env) applyFault(w *statusWriter, r *http.Request, f *Fault, h http.Handler) bool {
	if f.Latency > 0 {
		if !sleep(r.Context(), f.Latency) {
			abort(w)
			return false
		}
	}
	switch {
	case f.Reset:
		abort(w)
		return false
	case f.DropAnswer:
		rec := &recorder{header: make(http.Header)}
		h.ServeHTTP(rec, r) // the work is done, the response lost
		w.Header().Set("X-Request-Id", rec.header.Get("X-Request-Id"))
		abort(w)
		return false
	case f.Status != 0:
		x := s.newRequest(w, r, nil)
		x.fail(faultError(f))
		return false
	}
	return true
}

func faultError(f *Fault) *apiError {
	e := &apiError{status: f.Status, Type: typeBadRequest, Message: f.Message}
	switch {
	case f.Status == http.StatusTooManyRequests:
		e.Key = keyRateLimited
	case f.Status == http.StatusUnauthorized:
		e.Key = keyNotAuthenticated
	case f.Status == http.StatusForbidden:
		e.Key = keyAccessDenied
	case f.Status == http.StatusNotFound:
		e.Key = keyNotFound
	case f.Status == http.StatusBadGateway:
		e.Type = typeDependency
	case f.Status >= 500:
		e.Type = typeInternal
	}
	e.retryAfter = f.RetryAfter
	if e.Message == "" {
		e.Message = "injected fault: " + strconv.Itoa(f.Status) + " " + http.StatusText(f.Status)
	}
	return e
}

// sleep waits d or until ctx ends, and reports whether it waited d.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// callerKind names the kind of credential a request carries, without the credential.
func callerKind(r *http.Request) string {
	tok := bearer(r)
	switch {
	case tok == "":
		return "none"
	case strings.HasPrefix(tok, "pat-"):
		return "platform"
	case strings.Count(tok, ".") == 2:
		return "workspace"
	}
	return "other"
}

// statusWriter remembers the status a handler wrote, and records the request in the journal
// once: when the handler is done, or before the connection is dropped, so that a client that
// retries at once (or a test that reads the journal as soon as its call fails) finds the failed
// attempt there, in the order it came.
type statusWriter struct {
	http.ResponseWriter
	status  int
	aborted bool

	env       *env
	req       *http.Request
	server    string // "hub" or the instance id
	orgID     string
	fault     *Fault // the fault that fired, if any
	journaled bool
}

// record adds the request to the journal, once.
func (w *statusWriter) record() {
	if w.journaled {
		return
	}
	w.journaled = true
	r := w.req
	e := JournalEntry{
		Time: w.env.now(), Instance: w.server, Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, OrgID: w.orgID,
		Status: w.status, Caller: callerKind(r), IdempotencyKey: r.Header.Get("Idempotency-Key"),
		Attempt: r.Header.Get(attemptHeader), RequestID: w.Header().Get("X-Request-Id"),
	}
	if w.aborted {
		e.Status = 0
	}
	if w.fault != nil {
		e.Fault = w.fault.ID
	}
	w.env.journal.add(e)
	w.env.changed()
}

func (w *statusWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// abort drops the connection of the writer underneath.
func (w *statusWriter) abort() {
	w.aborted = true
	w.record()
	abort(w.ResponseWriter)
}
