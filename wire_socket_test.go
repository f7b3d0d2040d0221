package membrane_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	membrane "github.com/membrane-community/membrane-go"
	"github.com/membrane-community/membrane-go/fake"
)

// socketEnv is the fake on loopback ports, reached through a real http.Transport that keeps
// connections alive.
type socketEnv struct {
	srv       *fake.Server
	transport *http.Transport
}

func newSocketEnv(t *testing.T) *socketEnv {
	t.Helper()
	srv := fake.NewServer(t)
	tr := &http.Transport{MaxIdleConnsPerHost: 4}
	t.Cleanup(tr.CloseIdleConnections)
	return &socketEnv{srv: srv, transport: tr}
}

// client is a Management API client of the fake at base (the fake's URL when empty).
func (e *socketEnv) client(t *testing.T, base string, opts ...membrane.Option) *membrane.Client {
	t.Helper()
	if base == "" {
		base = e.srv.URL()
	}
	all := append([]membrane.Option{membrane.WithBaseURL(base), membrane.WithToken(e.srv.AdminToken()),
		membrane.WithHTTPClient(&http.Client{Transport: e.transport})}, opts...)
	c, err := membrane.NewClient(all...)
	require.NoError(t, err)
	return c
}

// workspaceCount counts the default org's workspaces, archived ones included.
func (e *socketEnv) workspaceCount(t *testing.T) int {
	t.Helper()
	n := 0
	admin := e.client(t, "")
	for _, err := range admin.OrgWorkspaces.All(t.Context(), &membrane.ListOrgWorkspacesOptions{IncludeArchived: true}) {
		require.NoError(t, err)
		n++
	}
	return n
}

// fastRetries retries at once: over sockets, where testing/synctest cannot hold the clock.
var fastRetries = membrane.WithRetryPolicy(membrane.RetryPolicy{MinWait: time.Microsecond, MaxWait: time.Microsecond})

// attemptsOf returns the attempt numbers of the hub's journal entries for method and path.
func attemptsOf(srv *fake.Server, method, path string) []string {
	var out []string
	for _, e := range journalOf(srv, method, path) {
		out = append(out, e.Attempt)
	}
	return out
}

// A POST that meets a kept-alive connection the server dropped is not sent again behind the
// retry policy's back: net/http's Transport would resend a request with an Idempotency-Key under
// the same X-Membrane-Attempt, and with a one-time fault report success after "1 attempt".
func TestSocketNoRetriesSendsOneRequestOnADroppedKeepAliveConnection(t *testing.T) {
	t.Parallel()
	e := newSocketEnv(t)
	c := e.client(t, "", membrane.WithRetryPolicy(membrane.NoRetries()))
	_, err := c.OrgWorkspaces.List(t.Context(), nil) // leaves a kept-alive connection behind
	require.NoError(t, err)
	addFault(t, e.srv, fake.Fault{Method: "POST", Path: "/org-workspaces", Reset: true, Times: 1})

	var resp membrane.Response
	_, err = c.OrgWorkspaces.Create(t.Context(), &membrane.CreateOrgWorkspaceRequest{OrgID: e.srv.OrgID()},
		membrane.WithResponseInto(&resp))
	require.ErrorIs(t, err, membrane.ErrNoResponse)
	var apiErr *membrane.Error
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, 0, apiErr.StatusCode, "no status was read")
	assert.Equal(t, 1, apiErr.Attempts)
	assert.NotEmpty(t, apiErr.IdempotencyKey)
	assert.Equal(t, 1, resp.Attempts)
	assert.Equal(t, 0, resp.StatusCode)

	assert.Equal(t, []string{"1"}, attemptsOf(e.srv, "POST", "/org-workspaces"), "one request reached the server")
	assert.Equal(t, 0, e.workspaceCount(t))

	// The key the error carries repeats the call safely.
	ws, err := c.OrgWorkspaces.Create(t.Context(), &membrane.CreateOrgWorkspaceRequest{OrgID: e.srv.OrgID()},
		membrane.WithIdempotencyKey(apiErr.IdempotencyKey))
	require.NoError(t, err)
	assert.NotEmpty(t, ws.ID)
	assert.Equal(t, 1, e.workspaceCount(t))
}

// With retries, every request that reaches the wire has its own attempt number, and Attempts
// counts exactly the requests the server saw.
func TestSocketAttemptsAreNumberedAndCountedAsTheServerSawThem(t *testing.T) {
	t.Parallel()
	e := newSocketEnv(t)
	c := e.client(t, "", fastRetries)
	// Two kept-alive connections, so that the second attempt meets a reused one too.
	for range 2 {
		_, err := c.OrgWorkspaces.List(t.Context(), nil)
		require.NoError(t, err)
	}
	addFault(t, e.srv, fake.Fault{Method: "POST", Path: "/org-workspaces", Reset: true, Times: 2})

	var resp membrane.Response
	ws, err := c.OrgWorkspaces.Create(t.Context(), &membrane.CreateOrgWorkspaceRequest{OrgID: e.srv.OrgID()},
		membrane.WithResponseInto(&resp))
	require.NoError(t, err)
	assert.Equal(t, []string{"1", "2", "3"}, attemptsOf(e.srv, "POST", "/org-workspaces"))
	assert.Equal(t, 3, resp.Attempts)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.NotEmpty(t, resp.RequestID)
	assert.Equal(t, 1, e.workspaceCount(t))

	entries := journalOf(e.srv, "POST", "/org-workspaces")
	for _, entry := range entries {
		assert.Equal(t, entries[0].IdempotencyKey, entry.IdempotencyKey, "one key for every attempt")
	}
	got, err := c.OrgWorkspaces.Get(t.Context(), ws.ID)
	require.NoError(t, err)
	assert.Equal(t, ws.ID, got.ID)
}

// cutter is a proxy in front of the fake that cuts the body of chosen answers: it sends the
// fake's status and headers (the true Content-Length included), half the body, and then either
// closes the connection or stalls until the client gives up.
type cutter struct {
	target *url.URL
	cut    func(r *http.Request) bool // whether to cut the answer to r
	stall  bool                       // stall half-way instead of closing
	reset  bool                       // close with a TCP reset rather than a FIN
	cuts   atomic.Int32
}

func (c *cutter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	out, err := http.NewRequestWithContext(r.Context(), r.Method, c.target.String()+r.URL.RequestURI(), r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	out.Header = r.Header.Clone()
	resp, err := http.DefaultTransport.RoundTrip(out)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	if !c.cut(r) {
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		_, _ = w.Write(body)
		return
	}
	c.cuts.Add(1)
	if c.stall {
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.Header().Set("X-Request-Id", resp.Header.Get("X-Request-Id"))
		w.WriteHeader(resp.StatusCode)
		_, _ = w.Write(body[:len(body)/2])
		w.(http.Flusher).Flush()
		<-r.Context().Done() // until the client gives up
		return
	}
	conn, buf, err := w.(http.Hijacker).Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	writeCut(buf, resp, body)
	if tcp, ok := conn.(*net.TCPConn); ok && c.reset {
		_ = tcp.SetLinger(0) // Close sends a reset
	}
}

// writeCut writes resp's status line and headers, with the length of the whole body, then half
// of the body.
func writeCut(buf *bufio.ReadWriter, resp *http.Response, body []byte) {
	fmt.Fprintf(buf, "HTTP/1.1 %d %s\r\n", resp.StatusCode, http.StatusText(resp.StatusCode))
	fmt.Fprintf(buf, "Content-Type: application/json\r\nX-Request-Id: %s\r\nContent-Length: %d\r\n\r\n",
		resp.Header.Get("X-Request-Id"), len(body))
	_, _ = buf.Write(body[:len(body)/2])
	_ = buf.Flush()
}

// newCutter starts a cutting proxy in front of e's fake; cut chooses the answers to cut.
func newCutter(t *testing.T, e *socketEnv, stall bool, cut func(*http.Request) bool) (*cutter, string) {
	t.Helper()
	target, err := url.Parse(e.srv.URL())
	require.NoError(t, err)
	c := &cutter{target: target, cut: cut, stall: stall}
	proxy := httptest.NewServer(c)
	t.Cleanup(proxy.Close)
	return c, proxy.URL
}

// firstOf returns a cut choice that cuts the first n answers to method.
func firstOf(method string, n int32) func(*http.Request) bool {
	var seen atomic.Int32
	return func(r *http.Request) bool { return r.Method == method && seen.Add(1) <= n }
}

// A create whose answer is cut short is retried under the same key: it makes one workspace,
// and the caller gets it.
func TestSocketCreateWithACutAnswerMakesOneWorkspace(t *testing.T) {
	t.Parallel()
	e := newSocketEnv(t)
	cut, base := newCutter(t, e, false, firstOf(http.MethodPost, 1))
	c := e.client(t, base, fastRetries)

	var resp membrane.Response
	ws, err := c.OrgWorkspaces.Create(t.Context(), &membrane.CreateOrgWorkspaceRequest{OrgID: e.srv.OrgID(), Name: "Once"},
		membrane.WithResponseInto(&resp))
	require.NoError(t, err)
	assert.Equal(t, int32(1), cut.cuts.Load())
	assert.Equal(t, 2, resp.Attempts)
	assert.Equal(t, "Once", ws.Name)
	assert.Equal(t, 1, e.workspaceCount(t), "the second attempt replayed the first create")
	assert.Equal(t, []string{"1", "2"}, attemptsOf(e.srv, "POST", "/org-workspaces"))
}

// Without retries, a cut answer is an ErrNoResponse that keeps the status it read and the key
// to repeat the call with.
func TestSocketCutAnswerWithoutRetriesIsErrNoResponse(t *testing.T) {
	t.Parallel()
	e := newSocketEnv(t)
	_, base := newCutter(t, e, false, firstOf(http.MethodPost, 1))
	c := e.client(t, base, membrane.WithRetryPolicy(membrane.NoRetries()))

	req := &membrane.CreateOrgWorkspaceRequest{OrgID: e.srv.OrgID(), Name: "Once"}
	_, err := c.OrgWorkspaces.Create(t.Context(), req)
	require.ErrorIs(t, err, membrane.ErrNoResponse)
	var apiErr *membrane.Error
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusOK, apiErr.StatusCode, "the status was read; the body was cut")
	assert.NotEmpty(t, apiErr.RequestID)
	assert.Equal(t, 1, apiErr.Attempts)
	require.NotEmpty(t, apiErr.IdempotencyKey)
	assert.Contains(t, err.Error(), "200 answer cut short")
	assert.Contains(t, err.Error(), "idempotency key "+apiErr.IdempotencyKey)

	// The create did happen; repeating it under its key gives that workspace, not a second one.
	ws, err := c.OrgWorkspaces.Create(t.Context(), req, membrane.WithIdempotencyKey(apiErr.IdempotencyKey))
	require.NoError(t, err)
	assert.Equal(t, "Once", ws.Name)
	assert.Equal(t, 1, e.workspaceCount(t))
}

// A GET whose answer is reset half-way is retried.
func TestSocketGetWithAResetAnswerIsRetried(t *testing.T) {
	t.Parallel()
	e := newSocketEnv(t)
	ws, err := e.client(t, "").OrgWorkspaces.Create(t.Context(), &membrane.CreateOrgWorkspaceRequest{OrgID: e.srv.OrgID()})
	require.NoError(t, err)
	target, err := url.Parse(e.srv.URL())
	require.NoError(t, err)
	cut := &cutter{target: target, cut: firstOf(http.MethodGet, 1), reset: true}
	proxy := httptest.NewServer(cut)
	t.Cleanup(proxy.Close)

	var resp membrane.Response
	got, err := e.client(t, proxy.URL, fastRetries).OrgWorkspaces.Get(t.Context(), ws.ID, membrane.WithResponseInto(&resp))
	require.NoError(t, err)
	assert.Equal(t, ws.ID, got.ID)
	assert.Equal(t, int32(1), cut.cuts.Load())
	assert.Equal(t, 2, resp.Attempts)
}

// A GET whose answer stalls half-way until the per-attempt timeout is retried.
func TestSocketGetWithAStalledAnswerIsRetried(t *testing.T) {
	t.Parallel()
	e := newSocketEnv(t)
	ws, err := e.client(t, "").OrgWorkspaces.Create(t.Context(), &membrane.CreateOrgWorkspaceRequest{OrgID: e.srv.OrgID()})
	require.NoError(t, err)
	cut, base := newCutter(t, e, true, firstOf(http.MethodGet, 1))
	c, err := membrane.NewClient(membrane.WithBaseURL(base), membrane.WithToken(e.srv.AdminToken()), fastRetries,
		membrane.WithHTTPClient(&http.Client{Transport: e.transport, Timeout: 500 * time.Millisecond}))
	require.NoError(t, err)

	var resp membrane.Response
	got, err := c.OrgWorkspaces.Get(t.Context(), ws.ID, membrane.WithResponseInto(&resp))
	require.NoError(t, err)
	assert.Equal(t, ws.ID, got.ID)
	assert.Equal(t, int32(1), cut.cuts.Load())
	assert.Equal(t, 2, resp.Attempts)
}

// A GET is not sent again behind the retry policy's back either.
func TestSocketNoRetriesSendsOneGetOnADroppedKeepAliveConnection(t *testing.T) {
	t.Parallel()
	e := newSocketEnv(t)
	c := e.client(t, "", membrane.WithRetryPolicy(membrane.NoRetries()))
	ws, err := c.OrgWorkspaces.Create(t.Context(), &membrane.CreateOrgWorkspaceRequest{OrgID: e.srv.OrgID()})
	require.NoError(t, err)
	addFault(t, e.srv, fake.Fault{Method: "GET", Path: "/org-workspaces/*", Reset: true, Times: 1})
	_, err = c.OrgWorkspaces.Get(t.Context(), ws.ID)
	require.ErrorIs(t, err, membrane.ErrNoResponse)
	assert.Equal(t, []string{"1"}, attemptsOf(e.srv, "GET", "/org-workspaces/"+ws.ID))
}

// What the client's requests look like on the wire: a GET or DELETE without a body has neither
// Content-Length nor Transfer-Encoding, as net/http sends it; a POST without a body of its own
// has an empty chunked one; a POST with a body has its Content-Length.
func TestSocketRequestFraming(t *testing.T) {
	t.Parallel()
	type framing struct {
		te     []string
		length int64
		body   string
	}
	seen := make(chan framing, 3)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		seen <- framing{r.TransferEncoding, r.ContentLength, string(b)}
		writeJSON(w, http.StatusOK, workspaceJSON("w1"))
	}))
	t.Cleanup(srv.Close)
	c, err := membrane.NewClient(membrane.WithBaseURL(srv.URL), membrane.WithToken(testToken))
	require.NoError(t, err)
	_, err = c.OrgWorkspaces.Get(t.Context(), "w1")
	require.NoError(t, err)
	assert.Equal(t, framing{nil, 0, ""}, <-seen)
	_, err = c.OrgWorkspaces.Archive(t.Context(), "w1")
	require.NoError(t, err)
	assert.Equal(t, framing{nil, 0, ""}, <-seen)
	_, err = c.OrgWorkspaces.Restore(t.Context(), "w1")
	require.NoError(t, err)
	assert.Equal(t, framing{[]string{"chunked"}, -1, ""}, <-seen)
	_, err = c.OrgWorkspaces.Create(t.Context(), &membrane.CreateOrgWorkspaceRequest{OrgID: "o1"})
	require.NoError(t, err)
	assert.Equal(t, framing{nil, int64(len(`{"orgId":"o1"}`)), `{"orgId":"o1"}`}, <-seen)
}

// Over HTTP/2 (TLS), every call reaches the server once, with its method and its body (none for
// a GET, DELETE or a POST without one).
func TestSocketHTTP2Requests(t *testing.T) {
	t.Parallel()
	type seenRequest struct{ proto, method, body string }
	seen := make(chan seenRequest, 4)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		seen <- seenRequest{r.Proto, r.Method, string(b)}
		writeJSON(w, http.StatusOK, workspaceJSON("w1"))
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	c, err := membrane.NewClient(membrane.WithBaseURL(srv.URL), membrane.WithToken(testToken),
		membrane.WithHTTPClient(srv.Client()))
	require.NoError(t, err)
	_, err = c.OrgWorkspaces.Get(t.Context(), "w1")
	require.NoError(t, err)
	assert.Equal(t, seenRequest{"HTTP/2.0", "GET", ""}, <-seen)
	_, err = c.OrgWorkspaces.Archive(t.Context(), "w1")
	require.NoError(t, err)
	assert.Equal(t, seenRequest{"HTTP/2.0", "DELETE", ""}, <-seen)
	_, err = c.OrgWorkspaces.Restore(t.Context(), "w1")
	require.NoError(t, err)
	assert.Equal(t, seenRequest{"HTTP/2.0", "POST", ""}, <-seen)
	_, err = c.OrgWorkspaces.Create(t.Context(), &membrane.CreateOrgWorkspaceRequest{OrgID: "o1"})
	require.NoError(t, err)
	assert.Equal(t, seenRequest{"HTTP/2.0", "POST", `{"orgId":"o1"}`}, <-seen)
	assert.Empty(t, seen, "no request was sent twice")
}
