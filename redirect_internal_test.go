package membrane

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// authSeen is a transport that redirects the first request to its target and records the
// Authorization header of the request that follows.
type authSeen struct {
	target string

	mu   sync.Mutex
	auth []string
}

func (a *authSeen) RoundTrip(req *http.Request) (*http.Response, error) {
	a.mu.Lock()
	n := len(a.auth)
	a.auth = append(a.auth, req.Header.Get("Authorization"))
	a.mu.Unlock()
	rec := httptest.NewRecorder()
	if n == 0 {
		http.Redirect(rec, req, a.target, http.StatusTemporaryRedirect)
	} else {
		rec.Header().Set("Content-Type", "application/json")
		_, _ = rec.WriteString(`{}`)
	}
	resp := rec.Result()
	resp.Request = req
	return resp, nil
}

// What net/http alone does with the Authorization header that the SDK sets on each attempt
// (through go-retryablehttp): it drops it on a redirect to another host, but keeps it for a
// subdomain, another port or plain http on the same host. guardRedirects closes those gaps.
func TestNetHTTPAloneOnRedirects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		to          string
		keptByGo    bool
		keptByGuard bool // or, for http, refused
	}{
		{"https://hub.test/v2/x", true, true},
		{"https://elsewhere.test/x", false, false},
		{"https://evil.hub.test/x", true, false},
		{"https://hub.test:8443/x", true, false},
		{"http://hub.test/x", true, false},
	}
	for _, tt := range tests {
		for _, guarded := range []bool{false, true} {
			name := tt.to + " net/http"
			if guarded {
				name = tt.to + " guarded"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				seen := &authSeen{target: tt.to}
				cfg, err := newConfig([]Option{WithBaseURL("https://hub.test"), WithToken("pat-x"),
					WithHTTPClient(&http.Client{Transport: seen})})
				require.NoError(t, err)
				api := newAPIClient(cfg)
				want := tt.keptByGuard
				if !guarded {
					api.httpClient = cfg.httpClient
					want = tt.keptByGo
				}
				err = api.do(t.Context(), call{op: "test", method: http.MethodGet, path: "/x"}, nil)
				if guarded && strings.HasPrefix(tt.to, "http:") {
					require.ErrorIs(t, err, ErrInsecureRedirect)
					assert.Len(t, seen.auth, 1)
					return
				}
				require.NoError(t, err)
				require.Len(t, seen.auth, 2)
				assert.Equal(t, "Bearer pat-x", seen.auth[0])
				if want {
					assert.Equal(t, "Bearer pat-x", seen.auth[1])
				} else {
					assert.Empty(t, seen.auth[1])
				}
			})
		}
	}
}
