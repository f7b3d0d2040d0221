package membrane_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/membrane-community/membrane-go"
)

// assertNoLeakOf checks that no fmt verb prints value out of v.
func assertNoLeakOf(t *testing.T, value string, v any) {
	t.Helper()
	for _, verb := range verbs {
		assert.NotContains(t, fmt.Sprintf(verb, v), value, verb)
	}
}

// clock is a settable clock for WorkspaceClaims.Now.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

func customerJSON(id string) map[string]any {
	return map[string]any{"id": id, "name": "Tenant", "createdAt": "2025-01-02T03:04:05Z"}
}

func bearer(r *recorded) string { return strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ") }

func TestNewWorkspaceClientRejectsBadOptions(t *testing.T) {
	t.Parallel()
	creds := membrane.WithWorkspaceCredentials(testWorkspaceKey, testWorkspaceSecret, membrane.WorkspaceClaims{})
	tests := []struct {
		name string
		opts []membrane.Option
		want string
	}{
		{"no credentials", nil, "no credentials"},
		{"two credentials", []membrane.Option{creds, membrane.WithToken("jwt")}, "WithToken"},
		{"empty key", []membrane.Option{membrane.WithWorkspaceCredentials("", testWorkspaceSecret, membrane.WorkspaceClaims{})}, "WithWorkspaceCredentials"},
		{"empty secret", []membrane.Option{membrane.WithWorkspaceCredentials(testWorkspaceKey, "", membrane.WorkspaceClaims{})}, "WithWorkspaceCredentials"},
		{"bad algorithm", []membrane.Option{membrane.WithWorkspaceCredentials(testWorkspaceKey, testWorkspaceSecret,
			membrane.WorkspaceClaims{Algorithm: "ES256"})}, "WithWorkspaceCredentials"},
		{"bad base URL", []membrane.Option{creds, membrane.WithBaseURL("mailto:x@y")}, "WithBaseURL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := membrane.NewWorkspaceClient(tt.opts...)
			require.Error(t, err)
			assert.Nil(t, c)
			assert.Contains(t, err.Error(), tt.want)
			assert.NotContains(t, err.Error(), testWorkspaceSecret.Reveal())
		})
	}
}

func TestWorkspaceClientWithToken(t *testing.T) {
	t.Parallel()
	s := answer(http.StatusOK, customerJSON("c1"))
	c, err := membrane.NewWorkspaceClient(membrane.WithBaseURL("https://eu.test/"), membrane.WithToken("eyJ.workspace.jwt"),
		membrane.WithHTTPClient(s.HTTPClient()))
	require.NoError(t, err)
	me, err := c.Self(t.Context())
	require.NoError(t, err)
	assert.Equal(t, "c1", me.ID)
	r := s.Last(t)
	assert.Equal(t, "GET", r.Method)
	assert.Equal(t, "https://eu.test/self", r.URL.String())
	assert.Equal(t, "Bearer eyJ.workspace.jwt", r.Header.Get("Authorization"))
	assert.Equal(t, "2025-10-21", r.Header.Get("membrane-api-version"))
}

func TestWorkspaceCredentialsMintAndRemintBeforeExpiry(t *testing.T) {
	t.Parallel()
	clk := &clock{now: mintTime}
	s := answer(http.StatusOK, customerJSON("c1"))
	claims := membrane.WorkspaceClaims{TenantKey: "tenant-1", Name: "Tenant", Now: clk.Now}
	c, err := membrane.NewWorkspaceClient(membrane.WithBaseURL("https://eu.test"),
		membrane.WithWorkspaceCredentials(testWorkspaceKey, testWorkspaceSecret, claims),
		membrane.WithHTTPClient(s.HTTPClient()))
	require.NoError(t, err)
	assert.Empty(t, s.Requests(), "no I/O in the constructor")
	assertNoLeakOf(t, testWorkspaceSecret.Reveal(), c)

	self := func() string {
		_, err := c.Self(t.Context())
		require.NoError(t, err)
		return bearer(s.Last(t))
	}
	first := self()
	got := parseToken(t, first, testWorkspaceSecret, "HS256", clk.Now())
	assert.Equal(t, testWorkspaceKey, got["workspaceKey"])
	assert.Equal(t, "tenant-1", got["tenantKey"])

	clk.Set(mintTime.Add(58 * time.Minute))
	assert.Equal(t, first, self(), "the token is reused while it has more than a minute left")

	clk.Set(mintTime.Add(59*time.Minute + time.Second))
	second := self()
	assert.NotEqual(t, first, second, "a new token is minted in the last minute")
	got = parseToken(t, second, testWorkspaceSecret, "HS256", clk.Now())
	assert.Equal(t, float64(clk.Now().Unix()), got["iat"])
	assert.Equal(t, float64(clk.Now().Add(time.Hour).Unix()), got["exp"])
}

// tokenServer serves a hub that mints workspace tokens (lifetime ttl, signed with
// testWorkspaceSecret) on access-token, and a workspace API with /self.
func tokenServer(ttl time.Duration) *stub {
	return newStub(func(_ int, w http.ResponseWriter, r *http.Request) error {
		switch {
		case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/access-token"):
			tok, err := membrane.MintWorkspaceToken(testWorkspaceKey, testWorkspaceSecret, membrane.WorkspaceClaims{ExpiresIn: ttl})
			if err != nil {
				return err
			}
			writeJSON(w, http.StatusOK, map[string]any{"token": tok})
		case r.URL.Path == "/self" || strings.HasSuffix(r.URL.Path, "/self"):
			writeJSON(w, http.StatusOK, customerJSON("c1"))
		default:
			apiError(w, http.StatusNotFound, "bad_request", "not_found", "no route")
		}
		return nil
	})
}

func accessTokenCalls(s *stub) int {
	n := 0
	for _, r := range s.Requests() {
		if strings.HasSuffix(r.URL.Path, "/access-token") {
			n++
		}
	}
	return n
}

func TestOrgWorkspaceClientFallsBackToTheHub(t *testing.T) {
	t.Parallel()
	s := tokenServer(time.Hour)
	hub := newClient(t, s, membrane.WithBaseURL("https://hub.test/api"), membrane.WithUserAgent("prov/1"))
	wc, err := hub.OrgWorkspaces.Client(&membrane.OrgWorkspace{ID: "w1"},
		&membrane.AccessTokenRequest{TenantKey: "t1"})
	require.NoError(t, err)
	assert.Equal(t, "https://hub.test/api", wc.BaseURL())
	_, err = wc.Self(t.Context())
	require.NoError(t, err)

	reqs := s.Requests()
	require.Len(t, reqs, 2)
	assert.Equal(t, "https://hub.test/api/org-workspaces/w1/access-token", reqs[0].URL.String())
	assert.Equal(t, "Bearer "+testToken, reqs[0].Header.Get("Authorization"))
	assert.JSONEq(t, `{"tenantKey":"t1"}`, string(reqs[0].Body))
	assert.Equal(t, "https://hub.test/api/self", reqs[1].URL.String())
	parseToken(t, bearer(reqs[1]), testWorkspaceSecret, "HS256", time.Now())
	assert.Equal(t, "prov/1", reqs[1].Header.Get("User-Agent"), "the workspace client shares the user agent")
}

func TestOrgWorkspaceClientUsesTheInstanceURL(t *testing.T) {
	t.Parallel()
	s := tokenServer(time.Hour)
	hub := newClient(t, s)
	wc, err := hub.OrgWorkspaces.Client(&membrane.OrgWorkspace{ID: "w1", APIBaseURI: "https://eu.test/v1/"}, nil)
	require.NoError(t, err)
	_, err = wc.Self(t.Context())
	require.NoError(t, err)
	assert.Equal(t, "https://eu.test/v1/self", s.Last(t).URL.String())
	assert.JSONEq(t, `{}`, string(s.Requests()[0].Body))

	_, err = hub.OrgWorkspaces.Client(&membrane.OrgWorkspace{ID: "w1", APIBaseURI: "ftp://eu.test"}, nil)
	assert.ErrorContains(t, err, "apiBaseUri")
}

func TestOrgWorkspaceClientDoesNoIO(t *testing.T) {
	t.Parallel()
	s := answer(http.StatusForbidden, map[string]any{"type": "bad_request", "key": "access_denied", "message": "read-only"})
	wc, err := newClient(t, s).OrgWorkspaces.Client(&membrane.OrgWorkspace{ID: "w1"}, nil)
	require.NoError(t, err)
	assert.Empty(t, s.Requests(), "no token is fetched before the first call")

	_, err = wc.Self(t.Context())
	require.ErrorIs(t, err, membrane.ErrAccessDenied, "the refused token shows at the first call")
	assert.Contains(t, err.Error(), "GET "+testHubURL+"/self: get token: ")
	require.Len(t, s.Requests(), 1)
	assert.Equal(t, "/org-workspaces/w1/access-token", s.Last(t).Path())
}

func TestOrgWorkspaceClientRefusesToSendTheTokenInClear(t *testing.T) {
	t.Parallel()
	tests := []struct {
		hub, instance string
		ok            bool
	}{
		{"https://hub.test", "http://eu.test", false},
		{"https://hub.test", "http://eu.test:443/v1", false},
		{"https://hub.test", "http://127.0.0.2:8080", true},
		{"https://hub.test", "http://localhost:9000", true},
		{"https://hub.test", "http://LOCALHOST", true},
		{"https://hub.test", "http://[::1]:8080", true},
		{"https://hub.test", "http://128.0.0.1", false},
		{"https://hub.test", "http://localhost.evil.test", false},
		{"https://hub.test", "https://eu.test", true},
		{"http://hub.test", "http://eu.test", true},
	}
	for _, tt := range tests {
		t.Run(tt.hub+" "+tt.instance, func(t *testing.T) {
			t.Parallel()
			s := tokenServer(time.Hour)
			hub := newClient(t, s, membrane.WithBaseURL(tt.hub))
			wc, err := hub.OrgWorkspaces.Client(&membrane.OrgWorkspace{ID: "w1", APIBaseURI: tt.instance}, nil)
			assert.Empty(t, s.Requests())
			if tt.ok {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Nil(t, wc)
			assert.ErrorContains(t, err, "OrgWorkspaces.Client: apiBaseUri of workspace w1 is "+tt.instance)
		})
	}
}

// rotatingServer serves a hub whose access-token mints with the current secret, and a /self that
// accepts only tokens signed with it. rotate changes the secret, as rotate-secret does.
type rotatingServer struct {
	*stub
	mu     sync.Mutex
	secret membrane.Secret
}

func newRotatingServer() *rotatingServer {
	rs := &rotatingServer{secret: "first-secret-0123456789abcdef0123"}
	rs.stub = newStub(func(_ int, w http.ResponseWriter, r *http.Request) error {
		rs.mu.Lock()
		secret := rs.secret
		rs.mu.Unlock()
		if strings.HasSuffix(r.URL.Path, "/access-token") {
			tok, err := membrane.MintWorkspaceToken(testWorkspaceKey, secret, membrane.WorkspaceClaims{})
			if err != nil {
				return err
			}
			writeJSON(w, http.StatusOK, map[string]any{"token": tok})
			return nil
		}
		if !verifies(bearer(&recorded{Header: r.Header}), secret) {
			apiError(w, http.StatusUnauthorized, "bad_request", "not_authenticated", "invalid token")
			return nil
		}
		writeJSON(w, http.StatusOK, customerJSON("c1"))
		return nil
	})
	return rs
}

// verifies reports whether token is an HS256 JWT signed with secret.
func verifies(token string, secret membrane.Secret) bool {
	_, err := jwt.Parse(token, func(*jwt.Token) (any, error) { return []byte(secret.Reveal()), nil },
		jwt.WithValidMethods([]string{"HS256"}))
	return err == nil
}

func (rs *rotatingServer) rotate(secret membrane.Secret) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	rs.secret = secret
}

// paths lists the paths of the requests received so far.
func (rs *rotatingServer) paths() []string {
	var out []string
	for _, r := range rs.Requests() {
		out = append(out, r.Path())
	}
	return out
}

func TestOrgWorkspaceClientRenewsARefusedToken(t *testing.T) {
	t.Parallel()
	rs := newRotatingServer()
	wc, err := newClient(t, rs.stub).OrgWorkspaces.Client(&membrane.OrgWorkspace{ID: "w1"}, nil)
	require.NoError(t, err)
	_, err = wc.Self(t.Context())
	require.NoError(t, err)
	rs.rotate("second-secret-0123456789abcdef012")

	_, err = wc.Self(t.Context())
	require.NoError(t, err, "the refused token was replaced")
	assert.Equal(t, []string{
		"/org-workspaces/w1/access-token", "/self",
		"/self", "/org-workspaces/w1/access-token", "/self",
	}, rs.paths())
	reqs := rs.Requests()
	assert.NotEqual(t, bearer(reqs[2]), bearer(reqs[4]))
	assert.NotEqual(t, reqs[3].Header.Get("Idempotency-Key"), reqs[0].Header.Get("Idempotency-Key"))

	_, err = wc.Self(t.Context())
	require.NoError(t, err)
	assert.Len(t, rs.Requests(), 6, "the new token is cached")
}

func TestOrgWorkspaceClientRenewsOncePerCall(t *testing.T) {
	t.Parallel()
	s := newStub(func(_ int, w http.ResponseWriter, r *http.Request) error {
		if strings.HasSuffix(r.URL.Path, "/access-token") {
			writeJSON(w, http.StatusOK, map[string]any{"token": "opaque-token"})
			return nil
		}
		apiError(w, http.StatusUnauthorized, "bad_request", "not_authenticated", "invalid token")
		return nil
	})
	wc, err := newClient(t, s).OrgWorkspaces.Client(&membrane.OrgWorkspace{ID: "w1"}, nil)
	require.NoError(t, err)
	_, err = wc.Customers.Create(t.Context(), &membrane.CreateCustomerRequest{Name: "A"})
	var apiErr *membrane.Error
	require.ErrorAs(t, err, &apiErr)
	assert.ErrorIs(t, err, membrane.ErrNotAuthenticated)
	assert.Equal(t, 2, apiErr.Attempts, "the first try and the one with a renewed token")
	reqs := s.Requests()
	require.Len(t, reqs, 4)
	assert.Equal(t, "/customers", reqs[1].Path())
	assert.Equal(t, "/customers", reqs[3].Path())
	assert.Equal(t, reqs[1].Header.Get("Idempotency-Key"), reqs[3].Header.Get("Idempotency-Key"),
		"the resent request is the same call")
}

func TestTokenRenewalIsAnAttemptBeyondTheBudget(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		// /self answers 503, then 401, then 503 for ever.
		var selfCalls int
		s := newStub(func(_ int, w http.ResponseWriter, r *http.Request) error {
			if strings.HasSuffix(r.URL.Path, "/access-token") {
				tok, err := membrane.MintWorkspaceToken(testWorkspaceKey, testWorkspaceSecret, membrane.WorkspaceClaims{})
				if err != nil {
					return err
				}
				writeJSON(w, http.StatusOK, map[string]any{"token": tok})
				return nil
			}
			selfCalls++
			if selfCalls == 2 {
				apiError(w, http.StatusUnauthorized, "bad_request", "not_authenticated", "invalid token")
			} else {
				apiError(w, http.StatusServiceUnavailable, "internal", "", "busy")
			}
			return nil
		})
		hub := newClient(t, s, membrane.WithRetryPolicy(membrane.RetryPolicy{MaxAttempts: 3}))
		wc, err := hub.OrgWorkspaces.Client(&membrane.OrgWorkspace{ID: "w1"}, nil)
		require.NoError(t, err)
		_, err = wc.Self(t.Context())
		var apiErr *membrane.Error
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, http.StatusServiceUnavailable, apiErr.StatusCode)
		assert.Equal(t, 4, apiErr.Attempts, "MaxAttempts, plus the one the renewal adds")
		assert.Equal(t, 4, selfCalls)
		assert.Equal(t, 2, accessTokenCalls(s))
	})
}

func TestWorkspaceCredentialsAreNotRenewed(t *testing.T) {
	t.Parallel()
	s := answer(http.StatusUnauthorized, map[string]any{"type": "bad_request", "key": "not_authenticated", "message": "invalid token"})
	c, err := membrane.NewWorkspaceClient(membrane.WithBaseURL("https://eu.test"),
		membrane.WithWorkspaceCredentials(testWorkspaceKey, testWorkspaceSecret, membrane.WorkspaceClaims{}),
		membrane.WithHTTPClient(s.HTTPClient()))
	require.NoError(t, err)
	_, err = c.Self(t.Context())
	var apiErr *membrane.Error
	require.ErrorAs(t, err, &apiErr)
	assert.ErrorIs(t, err, membrane.ErrNotAuthenticated)
	assert.Equal(t, 1, apiErr.Attempts)
	assert.Len(t, s.Requests(), 1, "minting again with the same secret cannot help")
}

func TestOrgWorkspaceClientRefreshesItsToken(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		s := tokenServer(10 * time.Minute)
		wc, err := newClient(t, s).OrgWorkspaces.Client(&membrane.OrgWorkspace{ID: "w1"}, nil)
		require.NoError(t, err)
		self := func() string {
			_, err := wc.Self(t.Context())
			require.NoError(t, err)
			return bearer(s.Last(t))
		}
		first := self()
		assert.Equal(t, 1, accessTokenCalls(s))

		time.Sleep(8 * time.Minute)
		assert.Equal(t, first, self())
		assert.Equal(t, 1, accessTokenCalls(s))

		time.Sleep(90 * time.Second) // 9m30s: less than a minute left
		second := self()
		assert.Equal(t, 2, accessTokenCalls(s))
		assert.NotEqual(t, first, second)
	})
}

func TestOrgWorkspaceClientIsSafeForConcurrentUse(t *testing.T) {
	t.Parallel()
	s := tokenServer(time.Hour)
	wc, err := newClient(t, s).OrgWorkspaces.Client(&membrane.OrgWorkspace{ID: "w1"}, nil)
	require.NoError(t, err)
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			_, err := wc.Self(t.Context())
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	assert.Equal(t, 1, accessTokenCalls(s))
	assert.Len(t, s.Requests(), 21)
}

func TestOptionsCanBeShared(t *testing.T) {
	t.Parallel()
	fields := map[string]any{"plan": "pro"}
	opts := []membrane.Option{
		membrane.WithWorkspaceCredentials(testWorkspaceKey, testWorkspaceSecret, membrane.WorkspaceClaims{Fields: fields}),
		membrane.WithRetryPolicy(membrane.RetryPolicy{MaxAttempts: 2}),
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			_, err := membrane.NewWorkspaceClient(opts...)
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	fields["plan"] = "changed after the option was made"

	s := answer(http.StatusOK, customerJSON("c1"))
	c, err := membrane.NewWorkspaceClient(append(opts, membrane.WithHTTPClient(s.HTTPClient()))...)
	require.NoError(t, err)
	_, err = c.Self(t.Context())
	require.NoError(t, err)
	got := parseToken(t, bearer(s.Last(t)), testWorkspaceSecret, "HS256", time.Now())
	assert.Equal(t, map[string]any{"plan": "pro"}, got["fields"])
}
