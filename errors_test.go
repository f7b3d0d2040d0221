package membrane_test

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/membrane-community/membrane-go"
)

var sentinels = []error{
	membrane.ErrBadRequest, membrane.ErrNotAuthenticated, membrane.ErrAccessDenied, membrane.ErrNotFound,
	membrane.ErrAlreadyExists, membrane.ErrRateLimited, membrane.ErrInternal, membrane.ErrDependency,
	membrane.ErrConflict, membrane.ErrUnavailable, membrane.ErrNoResponse,
}

func TestErrorStatuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status       int
		typ, key     string
		matches      []error
		retryAfter   string
		wantRetryAft time.Duration
	}{
		{status: 400, typ: "bad_request", matches: []error{membrane.ErrBadRequest}},
		{status: 400, typ: "bad_request", key: "already_exists", matches: []error{membrane.ErrBadRequest, membrane.ErrAlreadyExists}},
		{status: 401, typ: "bad_request", key: "not_authenticated", matches: []error{membrane.ErrNotAuthenticated}},
		{status: 403, typ: "bad_request", key: "access_denied", matches: []error{membrane.ErrAccessDenied}},
		{status: 404, typ: "bad_request", key: "not_found", matches: []error{membrane.ErrNotFound}},
		{status: 409, typ: "bad_request", key: "idempotency_key_in_use", matches: []error{membrane.ErrConflict}},
		{status: 409, typ: "bad_request", key: "version_conflict", matches: []error{membrane.ErrConflict}},
		{status: 413, typ: "bad_request"},
		{status: 429, typ: "bad_request", key: "rate_limit_exceeded", matches: []error{membrane.ErrRateLimited},
			retryAfter: "30", wantRetryAft: 30 * time.Second},
		{status: 500, typ: "internal", matches: []error{membrane.ErrInternal}},
		{status: 502, typ: "dependency_error", matches: []error{membrane.ErrDependency}},
		{status: 502, typ: "internal", matches: []error{membrane.ErrUnavailable}},
		{status: 503, typ: "internal", matches: []error{membrane.ErrUnavailable}, retryAfter: "5", wantRetryAft: 5 * time.Second},
		{status: 504, typ: "internal", matches: []error{membrane.ErrUnavailable}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d %s", tt.status, tt.key), func(t *testing.T) {
			t.Parallel()
			s := newStub(func(_ int, w http.ResponseWriter, _ *http.Request) error {
				if tt.retryAfter != "" {
					w.Header().Set("Retry-After", tt.retryAfter)
				}
				apiError(w, tt.status, tt.typ, tt.key, "what went wrong")
				return nil
			})
			c := newClient(t, s, membrane.WithRetryPolicy(membrane.RetryPolicy{MaxAttempts: 1}))
			_, err := c.OrgWorkspaces.Get(t.Context(), "w1")
			require.Error(t, err)

			var apiErr *membrane.Error
			require.ErrorAs(t, fmt.Errorf("outer: %w", err), &apiErr, "errors.As works through wrapping")
			assert.Equal(t, tt.status, apiErr.StatusCode)
			assert.Equal(t, tt.typ, apiErr.Type)
			assert.Equal(t, tt.key, apiErr.Key)
			assert.Equal(t, "what went wrong", apiErr.Message)
			assert.Equal(t, "req-1", apiErr.RequestID)
			assert.Equal(t, "GET", apiErr.Method)
			assert.Equal(t, testHubURL+"/org-workspaces/w1", apiErr.URL)
			assert.Equal(t, 1, apiErr.Attempts)
			assert.Equal(t, tt.wantRetryAft, apiErr.RetryAfter)
			for _, sentinel := range sentinels {
				want := false
				for _, m := range tt.matches {
					want = want || m == sentinel
				}
				assert.Equal(t, want, errors.Is(fmt.Errorf("wrapped: %w", err), sentinel), "errors.Is(%v)", sentinel)
			}
		})
	}
}

func TestErrorMessageHasEveryFactOnOneLine(t *testing.T) {
	t.Parallel()
	s := newStub(func(_ int, w http.ResponseWriter, _ *http.Request) error {
		apiError(w, http.StatusNotFound, "bad_request", "not_found", "workspace not found")
		return nil
	})
	c := newClient(t, s, membrane.WithBaseURL("https://admin:hunter2@hub.test/api"))
	_, err := c.OrgWorkspaces.Get(t.Context(), "w1")
	require.Error(t, err)
	msg := err.Error()
	assert.Equal(t, "membrane: GET https://hub.test/api/org-workspaces/w1: 404 not_found: "+
		"workspace not found (request id req-1, 1 attempt)", msg)
	assert.NotContains(t, msg, "\n")
	assert.NotContains(t, msg, "hunter2")
	assert.NotContains(t, msg, testToken)
}

func TestValidationErrorFields(t *testing.T) {
	t.Parallel()
	s := answer(http.StatusBadRequest, map[string]any{
		"type": "bad_request", "message": "invalid request",
		"data": map[string]any{"fields": map[string]any{"orgId": "is required", "limit": 5}},
	})
	_, err := newClient(t, s).OrgWorkspaces.Create(t.Context(), &membrane.CreateOrgWorkspaceRequest{OrgID: "o"})
	var apiErr *membrane.Error
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, map[string]string{"orgId": "is required", "limit": "5"}, apiErr.FieldErrors())
	assert.ErrorIs(t, err, membrane.ErrBadRequest)

	assert.Nil(t, (&membrane.Error{}).FieldErrors())
	assert.Nil(t, (&membrane.Error{Data: map[string]any{"fields": "nope"}}).FieldErrors())
}

func TestNonJSONErrorBody(t *testing.T) {
	t.Parallel()
	page := "<html>\n  <head><title>502 Bad Gateway</title></head>\n  <body>" + strings.Repeat("upstream down ", 100) + "</body>\n</html>"
	s := newStub(func(_ int, w http.ResponseWriter, _ *http.Request) error {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		_, _ = w.Write([]byte(page))
		return nil
	})
	c := newClient(t, s, membrane.WithRetryPolicy(membrane.RetryPolicy{MaxAttempts: 1}))
	_, err := c.OrgWorkspaces.Get(t.Context(), "w1")
	var apiErr *membrane.Error
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusBadGateway, apiErr.StatusCode)
	assert.Equal(t, "internal", apiErr.Type)
	assert.True(t, strings.HasPrefix(apiErr.Message, "<html> <head><title>502 Bad Gateway</title></head>"), apiErr.Message)
	assert.LessOrEqual(t, len(apiErr.Message), 210)
	assert.NotContains(t, apiErr.Message, "\n")
	assert.ErrorIs(t, err, membrane.ErrUnavailable, "a proxy's 502 is not the API's dependency error")
	assert.NotErrorIs(t, err, membrane.ErrDependency)
	assert.NotErrorIs(t, err, membrane.ErrInternal)
}

func TestEmptyErrorBodyUsesTheStatusText(t *testing.T) {
	t.Parallel()
	s := newStub(func(_ int, w http.ResponseWriter, _ *http.Request) error {
		w.WriteHeader(http.StatusForbidden)
		return nil
	})
	_, err := newClient(t, s).OrgWorkspaces.Get(t.Context(), "w1")
	var apiErr *membrane.Error
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "Forbidden", apiErr.Message)
	assert.Equal(t, "bad_request", apiErr.Type)
	assert.ErrorIs(t, err, membrane.ErrAccessDenied)
}

func TestErrorMatchesByTypeToo(t *testing.T) {
	t.Parallel()
	assert.ErrorIs(t, &membrane.Error{StatusCode: 503, Type: "dependency_error"}, membrane.ErrDependency)
	assert.ErrorIs(t, &membrane.Error{StatusCode: 418, Type: "internal"}, membrane.ErrInternal)
	assert.NotErrorIs(t, &membrane.Error{StatusCode: 503, Type: "internal"}, membrane.ErrInternal)
	assert.ErrorIs(t, &membrane.Error{StatusCode: 503, Type: "internal"}, membrane.ErrUnavailable)
	assert.ErrorIs(t, &membrane.Error{StatusCode: 502, Type: "dependency_error"}, membrane.ErrDependency)
	assert.NotErrorIs(t, &membrane.Error{StatusCode: 502, Type: "dependency_error"}, membrane.ErrUnavailable)
	assert.ErrorIs(t, &membrane.Error{StatusCode: 409}, membrane.ErrConflict)
	assert.NotErrorIs(t, &membrane.Error{StatusCode: 409}, membrane.ErrBadRequest)
}

// An error whose outcome is unknown matches ErrNoResponse beside its status's sentinel, and says
// so in its message.
func TestMaybeAppliedErrorMatchesNoResponse(t *testing.T) {
	t.Parallel()
	e := &membrane.Error{StatusCode: 401, Type: "bad_request", Key: "not_authenticated", Message: "invalid token",
		Method: "POST", URL: "https://ws.test/customers", IdempotencyKey: "k-1", Attempts: 2, MaybeApplied: true}
	assert.ErrorIs(t, e, membrane.ErrNotAuthenticated)
	assert.ErrorIs(t, fmt.Errorf("wrapped: %w", e), membrane.ErrNoResponse)
	assert.NotErrorIs(t, e, membrane.ErrBadRequest)
	assert.Equal(t, "membrane: POST https://ws.test/customers: 401 not_authenticated: invalid token "+
		"(idempotency key k-1, 2 attempts, outcome unknown: an attempt whose answer was lost may have made the change)", e.Error())

	e.MaybeApplied = false
	assert.NotErrorIs(t, e, membrane.ErrNoResponse)
	assert.NotContains(t, e.Error(), "outcome unknown")
}
