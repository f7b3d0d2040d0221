package fake_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/membrane-community/membrane-go/fake"
	"github.com/stretchr/testify/require"
)

// caller sends raw requests to a fake server with one bearer token, in process.
type caller struct {
	t     testing.TB
	srv   *fake.Server
	token string
	base  string       // where requests go; the hub's URL when empty
	http  *http.Client // how requests go; the server's in-process client when nil
}

// reply is a decoded answer.
type reply struct {
	Status int
	Header http.Header
	Raw    []byte
	Body   map[string]any
}

func newCaller(t testing.TB, srv *fake.Server, token string) caller {
	return caller{t: t, srv: srv, token: token}
}

func (c caller) as(token string) caller { c.token = token; return c }

// overSocket sends the caller's requests over loopback connections (the server must be
// started) instead of in process.
func (c caller) overSocket() caller {
	tr := &http.Transport{}
	c.t.Cleanup(tr.CloseIdleConnections)
	c.http = &http.Client{Transport: tr}
	return c
}

// at sends the caller's requests to base (an instance's URL) instead of the hub.
func (c caller) at(base string) caller { c.base = base; return c }

// do sends body (a string sent as is, or a value encoded as JSON) and decodes the answer.
func (c caller) do(method, path string, body any, headers ...string) reply {
	c.t.Helper()
	var rd io.Reader = http.NoBody
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewReader([]byte(b))
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		require.NoError(c.t, err)
		rd = bytes.NewReader(j)
	}
	base := c.base
	if base == "" {
		base = c.srv.URL()
	}
	req, err := http.NewRequest(method, base+path, rd)
	require.NoError(c.t, err)
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	client := c.http
	if client == nil {
		client = c.srv.HTTPClient()
	}
	resp, err := client.Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(c.t, err)
	r := reply{Status: resp.StatusCode, Header: resp.Header, Raw: raw}
	if len(raw) > 0 {
		require.NoError(c.t, json.Unmarshal(raw, &r.Body), "answer is not a JSON object: %s", raw)
	}
	require.NotEmpty(c.t, resp.Header.Get("X-Request-Id"), "every answer carries X-Request-Id")
	return r
}

// ok sends a request that must succeed and returns its body.
func (c caller) ok(method, path string, body any, headers ...string) map[string]any {
	c.t.Helper()
	r := c.do(method, path, body, headers...)
	require.Equal(c.t, http.StatusOK, r.Status, "%s %s: %s", method, path, r.Raw)
	return r.Body
}

// fails sends a request that must fail with status and error key ("" for none).
func (c caller) fails(status int, key, method, path string, body any, headers ...string) reply {
	c.t.Helper()
	r := c.do(method, path, body, headers...)
	require.Equal(c.t, status, r.Status, "%s %s: %s", method, path, r.Raw)
	if key == "" {
		require.NotContains(c.t, r.Body, "key", "%s %s: %s", method, path, r.Raw)
	} else {
		require.Equal(c.t, key, r.Body["key"], "%s %s: %s", method, path, r.Raw)
	}
	require.NotEmpty(c.t, r.Body["type"])
	require.NotEmpty(c.t, r.Body["message"])
	return r
}

// createWorkspace creates an org workspace in the server's default org.
func (c caller) createWorkspace(name string) map[string]any {
	c.t.Helper()
	return c.ok("POST", "/org-workspaces", map[string]any{"orgId": c.srv.OrgID(), "name": name})
}

// mint mints a workspace token through the access-token endpoint.
func (c caller) mint(wsID string, req map[string]any) string {
	c.t.Helper()
	return c.ok("POST", "/org-workspaces/"+wsID+"/access-token", req)["token"].(string)
}

func newFake(t testing.TB, opts ...fake.Option) (*fake.Server, caller) {
	t.Helper()
	srv, err := fake.New(opts...)
	require.NoError(t, err)
	t.Cleanup(srv.Close)
	return srv, newCaller(t, srv, srv.AdminToken())
}
