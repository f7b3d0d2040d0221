package fake_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tkClock is a clock for fake.WithClock that only moves when a test advances it.
type tkClock struct {
	mu sync.Mutex
	t  time.Time
}

func newTkClock() *tkClock {
	return &tkClock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *tkClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *tkClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// tkWS is an org workspace as a test needs it.
type tkWS struct{ id, key, secret string }

func tkNewWorkspace(t testing.TB, c caller, name string) tkWS {
	t.Helper()
	w := c.createWorkspace(name)
	return tkWS{id: w["id"].(string), key: w["key"].(string), secret: w["secret"].(string)}
}

// tkSign signs claims with method and key.
func tkSign(t testing.TB, method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	t.Helper()
	tok, err := jwt.NewWithClaims(method, claims).SignedString(key)
	require.NoError(t, err)
	return tok
}

// tkSelfMint signs an HS256 token of ws with its secret, valid for an hour from now.
func tkSelfMint(t testing.TB, ws tkWS, now time.Time, extra jwt.MapClaims) string {
	t.Helper()
	claims := jwt.MapClaims{"workspaceKey": ws.key, "exp": now.Add(time.Hour).Unix()}
	for k, v := range extra {
		claims[k] = v
	}
	return tkSign(t, jwt.SigningMethodHS256, []byte(ws.secret), claims)
}

// tkRequireUnauthenticated checks a 401 answer: its error body, and that it repeats none of
// the tokens and secrets given, nor any long part of them.
func tkRequireUnauthenticated(t testing.TB, r reply, hidden ...string) {
	t.Helper()
	require.Equal(t, http.StatusUnauthorized, r.Status, "%s", r.Raw)
	assert.Equal(t, "bad_request", r.Body["type"], "%s", r.Raw)
	assert.Equal(t, "not_authenticated", r.Body["key"], "%s", r.Raw)
	msg, _ := r.Body["message"].(string)
	assert.NotEmpty(t, msg, "%s", r.Raw)
	for _, h := range hidden {
		h = strings.TrimSpace(h)
		if len(h) < 8 {
			continue
		}
		assert.NotContains(t, string(r.Raw), h, "the error body repeats a token or secret")
		for _, part := range strings.Split(h, ".") {
			if len(part) >= 16 {
				assert.NotContains(t, string(r.Raw), part, "the error body repeats part of a token")
			}
		}
	}
}

// tkAt is c reporting to t, for use in a subtest.
func tkAt(t testing.TB, c caller) caller { c.t = t; return c }

func tkRequireAccessDenied(t testing.TB, r reply) {
	t.Helper()
	require.Equal(t, http.StatusForbidden, r.Status, "%s", r.Raw)
	assert.Equal(t, "bad_request", r.Body["type"], "%s", r.Raw)
	assert.Equal(t, "access_denied", r.Body["key"], "%s", r.Raw)
	assert.NotEmpty(t, r.Body["message"], "%s", r.Raw)
}

// tkCustomers lists the internal ids of a workspace's customers, archived ones included.
func tkCustomers(t testing.TB, admin caller) []string {
	t.Helper()
	body := admin.ok("GET", "/customers?includeArchived=true&limit=1000", nil)
	var out []string
	for _, it := range body["items"].([]any) {
		out = append(out, it.(map[string]any)["internalId"].(string))
	}
	return out
}
