package fake

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"sync"
)

// transport is an http.RoundTripper that hands each request for a host it knows straight to
// that host's handler, in process, with no socket. Requests for other hosts go to next, or fail
// when next is nil.
type transport struct {
	mu    sync.RWMutex
	hosts map[string]http.Handler
	next  http.RoundTripper
	// logger receives a handler's panic with its stack; nil: not logged.
	logger *slog.Logger
}

func newTransport() *transport {
	return &transport{hosts: make(map[string]http.Handler, 4)}
}

func (t *transport) set(host string, h http.Handler) {
	t.mu.Lock()
	t.hosts[host] = h
	t.mu.Unlock()
}

// clear forgets every host: requests fail from then on.
func (t *transport) clear() {
	t.mu.Lock()
	clear(t.hosts)
	t.mu.Unlock()
}

func (t *transport) handler(host string) http.Handler {
	t.mu.RLock()
	h := t.hosts[host]
	t.mu.RUnlock()
	return h
}

// RoundTrip serves req in process when its host is known.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	h := t.handler(req.URL.Host)
	if h == nil {
		if t.next != nil {
			return t.next.RoundTrip(req)
		}
		if req.Body != nil {
			_ = req.Body.Close()
		}
		return nil, fmt.Errorf("fake: no server for host %q in process", req.URL.Host)
	}
	if err := req.Context().Err(); err != nil {
		if req.Body != nil {
			_ = req.Body.Close()
		}
		return nil, err
	}
	sr := req.WithContext(req.Context())
	sr.RequestURI = req.URL.RequestURI()
	sr.RemoteAddr = "127.0.0.1:0"
	sr.Host = req.URL.Host
	if sr.Body == nil {
		sr.Body = http.NoBody
	}
	rec := &recorder{header: make(http.Header, 4)}
	panicked := t.serve(h, rec, sr)
	_ = sr.Body.Close()
	if panicked {
		return nil, fmt.Errorf("fake: %s %s: connection dropped: the handler panicked", req.Method, req.URL.Path)
	}
	if rec.aborted {
		return nil, errors.New("fake: connection reset by server")
	}
	return rec.response(req), nil
}

// serve runs h as net/http's server does: a panic ends the request without a response (the
// client sees a dropped connection) and is logged with its stack, unless it is
// http.ErrAbortHandler, which asks for exactly that silently. It reports whether h panicked.
func (t *transport) serve(h http.Handler, w http.ResponseWriter, r *http.Request) (panicked bool) {
	defer func() {
		v := recover()
		if v == nil {
			return
		}
		panicked = true
		if err, ok := v.(error); ok && errors.Is(err, http.ErrAbortHandler) {
			return
		}
		if t.logger != nil {
			t.logger.LogAttrs(r.Context(), slog.LevelError, "handler panic",
				slog.String("method", r.Method), slog.String("path", r.URL.Path),
				slog.Any("panic", v), slog.String("stack", string(debug.Stack())))
		}
	}()
	h.ServeHTTP(w, r)
	return false
}

// recorder is the ResponseWriter of an in-process request.
type recorder struct {
	header  http.Header
	status  int
	body    bytes.Buffer
	aborted bool
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) abort() { r.aborted = true }

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}

func (r *recorder) response(req *http.Request) *http.Response {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	body := r.body.Bytes()
	resp := &http.Response{
		Status:        strconv.Itoa(r.status) + " " + http.StatusText(r.status),
		StatusCode:    r.status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        r.header,
		ContentLength: int64(len(body)),
		Request:       req,
	}
	if req.Method == http.MethodHead {
		resp.Body = http.NoBody
	} else {
		resp.Body = io.NopCloser(bytes.NewReader(body))
	}
	return resp
}
