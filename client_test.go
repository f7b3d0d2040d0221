package membrane_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/membrane-community/membrane-go"
)

func TestNewClientRejectsBadOptions(t *testing.T) {
	t.Parallel()
	tok := membrane.WithToken(testToken)
	tests := []struct {
		name string
		opts []membrane.Option
		want string // a part of the error message
	}{
		{"no credentials", nil, "WithToken or WithTokenSource"},
		{"empty base URL", []membrane.Option{tok, membrane.WithBaseURL("")}, "WithBaseURL"},
		{"unparsable base URL", []membrane.Option{tok, membrane.WithBaseURL("http://a b.test/%zz")}, "WithBaseURL"},
		{"ftp base URL", []membrane.Option{tok, membrane.WithBaseURL("ftp://hub.test")}, "WithBaseURL"},
		{"base URL without scheme", []membrane.Option{tok, membrane.WithBaseURL("hub.test/api")}, "WithBaseURL"},
		{"base URL without host", []membrane.Option{tok, membrane.WithBaseURL("http:///api")}, "WithBaseURL"},
		{"base URL with query", []membrane.Option{tok, membrane.WithBaseURL("http://hub.test/?a=1")}, "WithBaseURL"},
		{"nil http client", []membrane.Option{tok, membrane.WithHTTPClient(nil)}, "WithHTTPClient"},
		{"empty user agent", []membrane.Option{tok, membrane.WithUserAgent(" ")}, "WithUserAgent"},
		{"user agent with newline", []membrane.Option{tok, membrane.WithUserAgent("a\r\nX-Evil: 1")}, "WithUserAgent"},
		{"user agent with a control character", []membrane.Option{tok, membrane.WithUserAgent("agent\x01x")}, "WithUserAgent: the user agent holds a control character"},
		{"nil logger", []membrane.Option{tok, membrane.WithLogger(nil)}, "WithLogger"},
		{"negative attempts", []membrane.Option{tok, membrane.WithRetryPolicy(membrane.RetryPolicy{MaxAttempts: -1})}, "WithRetryPolicy"},
		{"negative min wait", []membrane.Option{tok, membrane.WithRetryPolicy(membrane.RetryPolicy{MinWait: -time.Second})}, "WithRetryPolicy"},
		{"negative max wait", []membrane.Option{tok, membrane.WithRetryPolicy(membrane.RetryPolicy{MaxWait: -time.Second})}, "WithRetryPolicy"},
		{"min wait above max wait", []membrane.Option{tok, membrane.WithRetryPolicy(membrane.RetryPolicy{MinWait: time.Minute, MaxWait: time.Second})}, "WithRetryPolicy"},
		{"empty token", []membrane.Option{membrane.WithToken("")}, "WithToken"},
		{"token with a line break", []membrane.Option{membrane.WithToken(testToken + "\n")}, "WithToken: the token holds a control character"},
		{"nil token source", []membrane.Option{membrane.WithTokenSource(nil)}, "WithTokenSource"},
		{"two credentials", []membrane.Option{tok, membrane.WithTokenSource(membrane.StaticToken("x"))}, "WithTokenSource"},
		{"workspace credentials", []membrane.Option{membrane.WithWorkspaceCredentials("key", "secret", membrane.WorkspaceClaims{})}, "WithWorkspaceCredentials"},
		{"nil option", []membrane.Option{tok, nil}, "option 1 is nil"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := membrane.NewClient(tt.opts...)
			require.Error(t, err)
			assert.Nil(t, c)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// A token source that returns a token no header can carry ends the call at once, with no
// request sent and no retry.
func TestTokenWithALineBreakIsNeverSent(t *testing.T) {
	t.Parallel()
	s := newStub(func(int, http.ResponseWriter, *http.Request) error {
		return errors.New("unexpected request")
	})
	ts := membrane.TokenSourceFunc(func(context.Context) (string, error) { return testToken + "\r\n", nil })
	c, err := membrane.NewClient(membrane.WithBaseURL(testHubURL), membrane.WithTokenSource(ts), membrane.WithHTTPClient(s.HTTPClient()))
	require.NoError(t, err)
	_, err = c.OrgWorkspaces.Get(t.Context(), "ws1")
	require.ErrorContains(t, err, "the token source returned a token that holds a control character")
	assert.NotContains(t, err.Error(), testToken)
	assert.False(t, errors.Is(err, membrane.ErrNoResponse), "no request was sent")
	assert.Empty(t, s.Requests())
}

func TestNewClientDoesNoIO(t *testing.T) {
	t.Parallel()
	s := newStub(func(int, http.ResponseWriter, *http.Request) error {
		return errors.New("unexpected request")
	})
	c := newClient(t, s)
	assert.Equal(t, testHubURL, c.BaseURL())
	assert.Empty(t, s.Requests())
}

func TestDefaultBaseURL(t *testing.T) {
	t.Parallel()
	c, err := membrane.NewClient(membrane.WithToken(testToken))
	require.NoError(t, err)
	assert.Equal(t, membrane.DefaultBaseURL, c.BaseURL())
}

func TestBaseURLPathIsKept(t *testing.T) {
	t.Parallel()
	tests := []struct{ base, want string }{
		{"http://hub.test", "http://hub.test/org-workspaces/w1"},
		{"http://hub.test/", "http://hub.test/org-workspaces/w1"},
		{"http://hub.test/api", "http://hub.test/api/org-workspaces/w1"},
		{"http://hub.test/api/", "http://hub.test/api/org-workspaces/w1"},
		{"https://hub.test:8443/a/b", "https://hub.test:8443/a/b/org-workspaces/w1"},
	}
	for _, tt := range tests {
		t.Run(tt.base, func(t *testing.T) {
			t.Parallel()
			s := answer(http.StatusOK, workspaceJSON("w1"))
			c := newClient(t, s, membrane.WithBaseURL(tt.base))
			_, err := c.OrgWorkspaces.Get(t.Context(), "w1")
			require.NoError(t, err)
			assert.Equal(t, tt.want, s.Last(t).URL.String())
		})
	}
}

func TestRequestHeaders(t *testing.T) {
	t.Parallel()
	s := answer(http.StatusOK, workspaceJSON("w1"))
	c := newClient(t, s)
	ctx := t.Context()

	_, err := c.OrgWorkspaces.Get(ctx, "w1")
	require.NoError(t, err)
	get := s.Last(t)
	assert.Equal(t, "Bearer "+testToken, get.Header.Get("Authorization"))
	assert.Equal(t, "application/json", get.Header.Get("Accept"))
	assert.Equal(t, "membrane-go/"+membrane.Version, get.Header.Get("User-Agent"))
	assert.Equal(t, "2025-10-21", get.Header.Get("membrane-api-version"))
	assert.Empty(t, get.Header.Get("Content-Type"), "a GET has no body")
	assert.Empty(t, get.Header.Get("Idempotency-Key"))
	assert.Empty(t, get.Body)

	_, err = c.OrgWorkspaces.Update(ctx, "w1", &membrane.UpdateOrgWorkspaceRequest{Name: membrane.Set("x")})
	require.NoError(t, err)
	assert.Equal(t, "application/json", s.Last(t).Header.Get("Content-Type"))
}

func TestWithUserAgent(t *testing.T) {
	t.Parallel()
	s := answer(http.StatusOK, workspaceJSON("w1"))
	c := newClient(t, s, membrane.WithUserAgent("provisioner/2.0"))
	_, err := c.OrgWorkspaces.Get(t.Context(), "w1")
	require.NoError(t, err)
	assert.Equal(t, "provisioner/2.0", s.Last(t).Header.Get("User-Agent"))
}

func TestWithHTTPClientIsUsedAsIs(t *testing.T) {
	t.Parallel()
	s := answer(http.StatusOK, workspaceJSON("w1"))
	hc := &http.Client{Transport: s, Timeout: 7 * time.Second}
	c, err := membrane.NewClient(membrane.WithToken(testToken), membrane.WithHTTPClient(hc))
	require.NoError(t, err)
	_, err = c.OrgWorkspaces.Get(t.Context(), "w1")
	require.NoError(t, err)
	assert.Len(t, s.Requests(), 1)
	assert.Same(t, s, hc.Transport, "the caller's transport stays in place")
	assert.Equal(t, 7*time.Second, hc.Timeout)
}

func TestTokenSourceIsAskedWithTheCallContext(t *testing.T) {
	t.Parallel()
	type key struct{}
	s := answer(http.StatusOK, workspaceJSON("w1"))
	var seen any
	ts := membrane.TokenSourceFunc(func(ctx context.Context) (string, error) {
		seen = ctx.Value(key{})
		return "pat-from-source", nil
	})
	c, err := membrane.NewClient(membrane.WithTokenSource(ts), membrane.WithHTTPClient(s.HTTPClient()))
	require.NoError(t, err)
	_, err = c.OrgWorkspaces.Get(context.WithValue(t.Context(), key{}, "marker"), "w1")
	require.NoError(t, err)
	assert.Equal(t, "marker", seen)
	assert.Equal(t, "Bearer pat-from-source", s.Last(t).Header.Get("Authorization"))
}

func TestTokenSourceErrorStopsTheCall(t *testing.T) {
	t.Parallel()
	s := answer(http.StatusOK, workspaceJSON("w1"))
	boom := errors.New("vault sealed")
	ts := membrane.TokenSourceFunc(func(context.Context) (string, error) { return "", boom })
	c, err := membrane.NewClient(membrane.WithTokenSource(ts), membrane.WithHTTPClient(s.HTTPClient()))
	require.NoError(t, err)
	_, err = c.OrgWorkspaces.Get(t.Context(), "w1")
	require.ErrorIs(t, err, boom)
	assert.Contains(t, err.Error(), "GET https://api.getmembrane.com/org-workspaces/w1")
	assert.Empty(t, s.Requests())
}

func TestNilContextIsAnError(t *testing.T) {
	t.Parallel()
	s := answer(http.StatusOK, workspaceJSON("w1"))
	c := newClient(t, s)
	//lint:ignore SA1012 a nil context is the point of the test
	_, err := c.OrgWorkspaces.Get(nil, "w1")
	require.Error(t, err)
	assert.Empty(t, s.Requests())
}

func TestRequestsAreLoggedWithoutSecrets(t *testing.T) {
	t.Parallel()
	s := answer(http.StatusOK, workspaceJSON("w1"))
	var buf syncBuffer
	logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c := newClient(t, s, membrane.WithLogger(logger), membrane.WithBaseURL("https://user:hunter2@hub.test"))
	_, err := c.OrgWorkspaces.Get(t.Context(), "w1")
	require.NoError(t, err)
	out := buf.String()
	assert.Contains(t, out, `"url":"https://hub.test/org-workspaces/w1"`)
	assert.NotContains(t, out, testToken)
	assert.NotContains(t, out, "hunter2")
	assert.NotContains(t, out, "user@")
}
