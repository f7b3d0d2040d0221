package membrane_test

import (
	"errors"
	"fmt"
	"net/http"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/membrane-community/membrane-go"
)

// redirectOnce answers the first request with status and a Location of to, and every other one
// with a workspace.
func redirectOnce(status int, to string) *stub {
	return newStub(func(n int, w http.ResponseWriter, r *http.Request) error {
		if n == 0 {
			http.Redirect(w, r, to, status)
			return nil
		}
		writeJSON(w, http.StatusOK, workspaceJSON("w1"))
		return nil
	})
}

func TestRedirectKeepsCredentialsOnlyWithinTheOrigin(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		to   string
		keep bool
	}{
		{"same host", testHubURL + "/v2/org-workspaces/w1", true},
		{"same host, default port written out", "https://hub.test:443/v2/org-workspaces/w1", true},
		{"another host", "https://elsewhere.test/org-workspaces/w1", false},
		{"a subdomain", "https://evil.hub.test/org-workspaces/w1", false},
		{"another port", "https://hub.test:8443/org-workspaces/w1", false},
	}
	for _, tt := range tests {
		for _, status := range []int{http.StatusTemporaryRedirect, http.StatusPermanentRedirect, http.StatusFound} {
			t.Run(tt.name+" "+http.StatusText(status), func(t *testing.T) {
				t.Parallel()
				s := redirectOnce(status, tt.to)
				ws, err := newClient(t, s).OrgWorkspaces.Get(t.Context(), "w1")
				require.NoError(t, err)
				assert.Equal(t, "w1", ws.ID)

				reqs := s.Requests()
				require.Len(t, reqs, 2)
				assert.Equal(t, "Bearer "+testToken, reqs[0].Header.Get("Authorization"))
				if tt.keep {
					assert.Equal(t, "Bearer "+testToken, reqs[1].Header.Get("Authorization"))
				} else {
					assert.Empty(t, reqs[1].Header.Values("Authorization"), "the token does not leave the origin")
				}
				assert.Equal(t, membrane.APIVersion, reqs[1].Header.Get("membrane-api-version"), "other headers follow")
			})
		}
	}
}

// A retried attempt, whose Authorization header is set afresh, is redirected as the first one.
func TestRedirectOfARetriedAttemptDropsCredentials(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		s := newStub(func(n int, w http.ResponseWriter, r *http.Request) error {
			switch n {
			case 0:
				apiError(w, http.StatusServiceUnavailable, "internal", "", "busy")
			case 1:
				http.Redirect(w, r, "https://elsewhere.test/org-workspaces/w1", http.StatusTemporaryRedirect)
			default:
				writeJSON(w, http.StatusOK, workspaceJSON("w1"))
			}
			return nil
		})
		_, err := newClient(t, s).OrgWorkspaces.Get(t.Context(), "w1")
		require.NoError(t, err)
		reqs := s.Requests()
		require.Len(t, reqs, 3)
		assert.Equal(t, "2", reqs[1].Header.Get("X-Membrane-Attempt"))
		assert.Equal(t, "Bearer "+testToken, reqs[1].Header.Get("Authorization"))
		assert.Empty(t, reqs[2].Header.Values("Authorization"))
	})
}

// Once a redirect chain has left the origin, a redirect back to it does not bring the token back:
// the other host chose where it goes.
func TestRedirectBackToTheOriginStaysWithoutCredentials(t *testing.T) {
	t.Parallel()
	s := newStub(func(n int, w http.ResponseWriter, r *http.Request) error {
		switch n {
		case 0:
			http.Redirect(w, r, "https://elsewhere.test/hop", http.StatusTemporaryRedirect)
		case 1:
			http.Redirect(w, r, testHubURL+"/org-workspaces/w1", http.StatusTemporaryRedirect)
		default:
			writeJSON(w, http.StatusOK, workspaceJSON("w1"))
		}
		return nil
	})
	_, err := newClient(t, s).OrgWorkspaces.Get(t.Context(), "w1")
	require.NoError(t, err)
	reqs := s.Requests()
	require.Len(t, reqs, 3)
	assert.Empty(t, reqs[1].Header.Get("Authorization"))
	assert.Empty(t, reqs[2].Header.Get("Authorization"))
}

func TestRedirectToHTTPIsRefused(t *testing.T) {
	t.Parallel()
	for _, to := range []string{"http://hub.test/org-workspaces/w1", "http://elsewhere.test/org-workspaces/w1"} {
		t.Run(to, func(t *testing.T) {
			t.Parallel()
			s := redirectOnce(http.StatusTemporaryRedirect, to)
			_, err := newClient(t, s).OrgWorkspaces.Get(t.Context(), "w1")
			require.ErrorIs(t, err, membrane.ErrInsecureRedirect)
			assert.Contains(t, err.Error(), to)
			assert.Contains(t, err.Error(), "1 attempt", "a refused redirect is not retried")
			assert.NotContains(t, err.Error(), testToken)
			assert.Len(t, s.Requests(), 1, "the http URL is never asked")
		})
	}
}

// An http base URL may redirect to https; the token then stays only if the origin does not change,
// which it does (the scheme and port differ).
func TestRedirectFromHTTPToHTTPSDropsCredentials(t *testing.T) {
	t.Parallel()
	s := redirectOnce(http.StatusTemporaryRedirect, "https://hub.test/org-workspaces/w1")
	_, err := newClient(t, s, membrane.WithBaseURL("http://hub.test")).OrgWorkspaces.Get(t.Context(), "w1")
	require.NoError(t, err)
	reqs := s.Requests()
	require.Len(t, reqs, 2)
	assert.Empty(t, reqs[1].Header.Get("Authorization"))
}

// The caller's redirect policy keeps deciding, and the caller's http.Client is not modified.
func TestRedirectKeepsTheCallersPolicy(t *testing.T) {
	t.Parallel()
	t.Run("stop at the redirect", func(t *testing.T) {
		t.Parallel()
		s := redirectOnce(http.StatusTemporaryRedirect, testHubURL+"/v2/org-workspaces/w1")
		hc := s.HTTPClient()
		hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		c, err := membrane.NewClient(membrane.WithBaseURL(testHubURL), membrane.WithToken(testToken), membrane.WithHTTPClient(hc))
		require.NoError(t, err)
		_, err = c.OrgWorkspaces.Get(t.Context(), "w1")
		var apiErr *membrane.Error
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, http.StatusTemporaryRedirect, apiErr.StatusCode, "the caller's policy returned the 307 itself")
		assert.Len(t, s.Requests(), 1)
	})
	t.Run("refuse a host", func(t *testing.T) {
		t.Parallel()
		refused := errors.New("not that host")
		s := redirectOnce(http.StatusTemporaryRedirect, "https://elsewhere.test/org-workspaces/w1")
		hc := s.HTTPClient()
		var seen []string
		hc.CheckRedirect = func(req *http.Request, _ []*http.Request) error {
			seen = append(seen, req.URL.Host)
			return refused
		}
		c, err := membrane.NewClient(membrane.WithBaseURL(testHubURL), membrane.WithToken(testToken),
			membrane.WithHTTPClient(hc), membrane.WithRetryPolicy(membrane.NoRetries()))
		require.NoError(t, err)
		_, err = c.OrgWorkspaces.Get(t.Context(), "w1")
		require.ErrorIs(t, err, refused)
		assert.Equal(t, []string{"elsewhere.test"}, seen)
	})
	t.Run("the caller's client is not changed", func(t *testing.T) {
		t.Parallel()
		s := redirectOnce(http.StatusTemporaryRedirect, "http://hub.test/org-workspaces/w1")
		hc := s.HTTPClient()
		_ = newClient(t, s, membrane.WithHTTPClient(hc))
		assert.Nil(t, hc.CheckRedirect)
	})
}

func TestRedirectLimitWithoutACallerPolicy(t *testing.T) {
	t.Parallel()
	s := newStub(func(n int, w http.ResponseWriter, r *http.Request) error {
		http.Redirect(w, r, testHubURL+"/org-workspaces/w1", http.StatusTemporaryRedirect)
		return nil
	})
	_, err := newClient(t, s).OrgWorkspaces.Get(t.Context(), "w1")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "stopped after 10 redirects")
	assert.Contains(t, err.Error(), "(1 attempt)", "a redirect loop is not retried")
	assert.Len(t, s.Requests(), 10, "net/http's limit: ten requests")
}

// closeCounter counts the times it is asked to close its idle connections.
type closeCounter struct {
	http.RoundTripper
	closed int
}

func (c *closeCounter) CloseIdleConnections() { c.closed++ }

// A call that gives up must not close the idle connections of a transport the process shares.
func TestGivingUpKeepsTheCallersIdleConnections(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		s := failThen(100, http.StatusServiceUnavailable, "", nil)
		cc := &closeCounter{RoundTripper: s}
		c, err := membrane.NewClient(membrane.WithBaseURL(testHubURL), membrane.WithToken(testToken),
			membrane.WithHTTPClient(&http.Client{Transport: cc}),
			membrane.WithRetryPolicy(membrane.RetryPolicy{MaxAttempts: 2}))
		require.NoError(t, err)
		_, err = c.OrgWorkspaces.Get(t.Context(), "w1")
		var apiErr *membrane.Error
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, 2, apiErr.Attempts, "the call gave up")
		assert.Zero(t, cc.closed)
	})
}

// A change answered with a redirect that net/http would follow with a GET is refused at once:
// the GET's answer would be reported as the change's. 307 and 308 keep the method and are followed.
func TestRedirectThatChangesTheMethodOfAChangeIsRefused(t *testing.T) {
	t.Parallel()
	calls := map[string]func(*membrane.Client) error{
		"archive (DELETE)": func(c *membrane.Client) error {
			_, err := c.OrgWorkspaces.Archive(t.Context(), "w1")
			return err
		},
		"create (POST)": func(c *membrane.Client) error {
			_, err := c.OrgWorkspaces.Create(t.Context(), &membrane.CreateOrgWorkspaceRequest{OrgID: "o1"})
			return err
		},
	}
	for name, call := range calls {
		for _, status := range []int{http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther} {
			t.Run(fmt.Sprintf("%s %d", name, status), func(t *testing.T) {
				t.Parallel()
				s := redirectOnce(status, testHubURL+"/org-workspaces/w1")
				err := call(newClient(t, s))
				require.ErrorIs(t, err, membrane.ErrRedirectChangesMethod)
				assert.Contains(t, err.Error(), fmt.Sprintf("answered %d, to be followed with GET", status))
				assert.Contains(t, err.Error(), "1 attempt", "a refused redirect is not retried")
				assert.Len(t, s.Requests(), 1, "the GET is never sent")
			})
		}
		for _, status := range []int{http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
			t.Run(fmt.Sprintf("%s %d", name, status), func(t *testing.T) {
				t.Parallel()
				s := redirectOnce(status, testHubURL+"/org-workspaces/w1")
				require.NoError(t, call(newClient(t, s)))
				reqs := s.Requests()
				require.Len(t, reqs, 2)
				assert.Equal(t, reqs[0].Method, reqs[1].Method)
			})
		}
	}
}
