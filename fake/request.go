package fake

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// maxBodyBytes is the largest request body the API accepts (10 MB).
const maxBodyBytes = 10 << 20

// request is one request being served: what every handler of the hub and the instances
// needs, and the one place where responses are written.
type request struct {
	env    *env
	w      http.ResponseWriter
	r      *http.Request
	reqID  string
	start  time.Time
	body   []byte
	caller string       // who is asking, for idempotency; empty before authentication
	idem   *idempotency // the serving side's idempotency store
	limit  int64        // the largest body accepted; maxBodyBytes when 0
}

func (e *env) newRequest(w http.ResponseWriter, r *http.Request, idem *idempotency) *request {
	x := &request{env: e, w: w, r: r, reqID: e.requestID(), start: e.clock(), idem: idem}
	w.Header()["X-Request-Id"] = []string{x.reqID}
	return x
}

// readBody reads the request body, refusing one over the size limit before reading it whole.
func (x *request) readBody() *apiError {
	limit := x.limit
	if limit == 0 {
		limit = maxBodyBytes
	}
	if x.r.ContentLength > limit {
		return errTooLarge(limit)
	}
	b, err := readAtMost(x.r.Body, x.r.ContentLength, limit+1)
	if err != nil {
		return errBadRequest("could not read the request body")
	}
	if int64(len(b)) > limit {
		return errTooLarge(limit)
	}
	x.body = b
	return nil
}

// handlerFunc serves a request with a value to send as JSON with status 200, or an error.
type handlerFunc func(x *request) (any, *apiError)

// run reads the body when the method has one, applies the Idempotency-Key of a change (see
// keyedMethod), calls h and writes its response.
func (x *request) run(h handlerFunc) {
	if q := x.r.URL.RawQuery; q != "" {
		if _, err := url.ParseQuery(q); err != nil {
			x.fail(errBadRequest("the query string is malformed: %s", err))
			return
		}
	}
	if m := x.r.Method; m == http.MethodPost || m == http.MethodPatch || m == http.MethodPut {
		if err := x.readBody(); err != nil {
			x.fail(err)
			return
		}
	}
	key := x.r.Header.Get("Idempotency-Key")
	if !keyedMethod(x.r.Method) || key == "" || x.idem == nil {
		v, err := h(x)
		if err != nil {
			x.fail(err)
			return
		}
		x.ok(v)
		return
	}
	if len(key) > 255 {
		x.fail(errBadRequest("Idempotency-Key must be at most 255 characters"))
		return
	}
	store := x.idem
	replay, claimed, err := store.begin(x.r.Context(), x.caller, key, fingerprint(x.r.Method, x.r.URL.Path, x.body))
	if err != nil {
		x.fail(err)
		return
	}
	if replay != nil {
		x.w.Header().Set("Idempotent-Replayed", "true")
		x.write(x.encode(replay.value, replay.err))
		return
	}
	v, aerr := h(x)
	status, body := x.encode(v, aerr)
	store.finish(claimed, status, v, aerr, len(body))
	x.write(status, body)
}

// keyedMethod reports whether a request of method honours an Idempotency-Key: every method that
// changes something (POST, PATCH, PUT, DELETE). A PATCH, PUT or DELETE is idempotent alone only
// while nothing else happens between its attempts: a retry after another client's change (an
// archive between two attempts of an update) would get a different response from the first attempt, or
// change again, so its key is honoured as a POST's is.
func keyedMethod(method string) bool {
	switch method {
	case http.MethodPost, http.MethodPatch, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

func (x *request) ok(v any) {
	status, body := x.encode(v, nil)
	x.write(status, body)
}

func (x *request) fail(err *apiError) {
	status, body := x.encode(nil, err)
	x.write(status, body)
}

// encode returns the status and body of the response: v as JSON with 200, or the error.
func (x *request) encode(v any, aerr *apiError) (int, []byte) {
	if aerr == nil {
		var b []byte
		var err error
		if m, ok := v.(json.Marshaler); ok {
			// A value that encodes itself with encoding/json is asked directly: json.Marshal
			// would only check its bytes again and copy them.
			b, err = m.MarshalJSON()
		} else {
			b, err = json.Marshal(v)
		}
		if err == nil {
			return http.StatusOK, b
		}
		aerr = errInternal("could not encode the response")
	}
	if aerr.retryAfter > 0 {
		x.w.Header().Set("Retry-After", strconv.Itoa(aerr.retryAfter))
	}
	b, _ := json.Marshal(aerr)
	return aerr.status, b
}

func (x *request) write(status int, body []byte) {
	h := x.w.Header()
	h["Content-Type"] = []string{"application/json; charset=utf-8"}
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	x.w.WriteHeader(status)
	_, _ = x.w.Write(body)
	if l := x.env.logger; l != nil && l.Enabled(x.r.Context(), slog.LevelDebug) {
		l.LogAttrs(x.r.Context(), slog.LevelDebug, "request",
			slog.String("method", x.r.Method), slog.String("path", x.r.URL.Path),
			slog.Int("status", status), slog.String("requestId", x.reqID),
			slog.Duration("took", x.env.clock().Sub(x.start)))
	}
}

// bearer returns the token of the Authorization header, or "".
func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// readAtMost reads r to its end, or to limit bytes. A known length (n ≥ 0) sizes the buffer at
// once instead of growing it.
func readAtMost(r io.Reader, n, limit int64) ([]byte, error) {
	if n < 0 || n >= limit {
		return io.ReadAll(io.LimitReader(r, limit))
	}
	b := make([]byte, n, n+1)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, err
	}
	// A body longer than it said is read on, up to the limit.
	var one [1]byte
	if m, _ := r.Read(one[:]); m > 0 {
		rest, err := io.ReadAll(io.LimitReader(r, limit-n-1))
		return append(append(b, one[0]), rest...), err
	}
	return b, nil
}
