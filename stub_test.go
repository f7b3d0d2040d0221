package membrane_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/membrane-community/membrane-go"
)

// stub is an in-process server: its RoundTrip hands each request straight to a handler through
// an httptest.ResponseRecorder, with no socket, and records what it received.
type stub struct {
	mu       sync.Mutex
	requests []*recorded
	// handle answers request number n (0-based). Returning an error makes the round trip fail
	// with it instead, as a broken connection would.
	handle func(n int, w http.ResponseWriter, r *http.Request) error
}

// recorded is one request as the stub received it.
type recorded struct {
	Method string
	URL    *url.URL
	Header http.Header
	Body   []byte
}

// Path returns the escaped path of the request.
func (r *recorded) Path() string { return r.URL.EscapedPath() }

// JSON decodes the request body into a generic map.
func (r *recorded) JSON(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(r.Body, &m), "body %q", r.Body)
	return m
}

func newStub(handle func(n int, w http.ResponseWriter, r *http.Request) error) *stub {
	return &stub{handle: handle}
}

// answer returns a stub that always answers status with body v encoded as JSON.
func answer(status int, v any) *stub {
	return newStub(func(_ int, w http.ResponseWriter, _ *http.Request) error {
		writeJSON(w, status, v)
		return nil
	})
}

func (s *stub) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		_ = req.Body.Close()
		body = b
	}
	s.mu.Lock()
	n := len(s.requests)
	s.requests = append(s.requests, &recorded{Method: req.Method, URL: req.URL, Header: req.Header.Clone(), Body: body})
	s.mu.Unlock()

	r := req.Clone(req.Context())
	r.Body = io.NopCloser(bytes.NewReader(body))
	rec := httptest.NewRecorder()
	if err := s.handle(n, rec, r); err != nil {
		return nil, err
	}
	resp := rec.Result()
	resp.Request = req
	return resp, nil
}

// Requests returns what the stub received so far.
func (s *stub) Requests() []*recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*recorded(nil), s.requests...)
}

// Last returns the last request; it fails the test when there is none.
func (s *stub) Last(t *testing.T) *recorded {
	t.Helper()
	reqs := s.Requests()
	require.NotEmpty(t, reqs, "no request reached the stub")
	return reqs[len(reqs)-1]
}

// HTTPClient returns an http.Client whose transport is the stub.
func (s *stub) HTTPClient() *http.Client { return &http.Client{Transport: s} }

const (
	testHubURL = "https://hub.test"
	testToken  = "pat-test-token-0123456789"
)

// newClient returns a Management API client that talks to s at testHubURL with testToken.
func newClient(t *testing.T, s *stub, opts ...membrane.Option) *membrane.Client {
	t.Helper()
	all := append([]membrane.Option{
		membrane.WithBaseURL(testHubURL),
		membrane.WithToken(testToken),
		membrane.WithHTTPClient(s.HTTPClient()),
	}, opts...)
	c, err := membrane.NewClient(all...)
	require.NoError(t, err)
	return c
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Request-Id", "req-1")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// apiError writes an error body of the wire contract.
func apiError(w http.ResponseWriter, status int, typ, key, message string) {
	body := map[string]any{"type": typ, "message": message}
	if key != "" {
		body["key"] = key
	}
	writeJSON(w, status, body)
}

// workspaceJSON is an org workspace as the server sends it.
func workspaceJSON(id string) map[string]any {
	return map[string]any{
		"id": id, "name": "Acme", "orgId": "0123456789abcdef01234567", "key": "key-" + id,
		"secret": "s3cr3t-value-of-" + id, "createdAt": "2025-01-02T03:04:05Z", "updatedAt": "2025-01-02T03:04:05Z",
	}
}

// syncBuffer is a bytes.Buffer that log handlers may write to from several goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
