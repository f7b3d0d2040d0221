package membrane_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/membrane-community/membrane-go"
)

// answerAsTheContextEnds answers status with v, after ending the call's context: the answer
// arrives just as the deadline passes.
func answerAsTheContextEnds(cancel context.CancelFunc, status int, v any) *stub {
	return newStub(func(_ int, w http.ResponseWriter, _ *http.Request) error {
		cancel()
		writeJSON(w, status, v)
		return nil
	})
}

func TestFinalAnswerIsKeptWhenTheContextEnds(t *testing.T) {
	t.Parallel()
	t.Run("success", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		s := answerAsTheContextEnds(cancel, http.StatusOK, workspaceJSON("w1"))
		ws, err := newClient(t, s).OrgWorkspaces.Get(ctx, "w1")
		require.NoError(t, err)
		assert.Equal(t, "w1", ws.ID)
		require.Error(t, ctx.Err(), "the context had ended")
	})
	t.Run("client error", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		s := answerAsTheContextEnds(cancel, http.StatusNotFound,
			map[string]any{"type": "bad_request", "key": "not_found", "message": "no such workspace"})
		_, err := newClient(t, s).OrgWorkspaces.Get(ctx, "w1")
		var apiErr *membrane.Error
		require.ErrorAs(t, err, &apiErr)
		assert.ErrorIs(t, err, membrane.ErrNotFound)
		assert.Equal(t, "no such workspace", apiErr.Message)
		assert.Equal(t, "req-1", apiErr.RequestID)
		assert.NotErrorIs(t, err, context.Canceled)
	})
	t.Run("retryable answer", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		s := answerAsTheContextEnds(cancel, http.StatusServiceUnavailable, map[string]any{"type": "internal", "message": "busy"})
		_, err := newClient(t, s).OrgWorkspaces.Get(ctx, "w1")
		require.ErrorIs(t, err, context.Canceled, "no retry once the context has ended")
		assert.ErrorIs(t, err, membrane.ErrUnavailable, "the answer's facts are kept")
		assert.Equal(t, "membrane: GET "+testHubURL+"/org-workspaces/w1: 503 Service Unavailable: busy; "+
			"not retried: context canceled (request id req-1, 1 attempt)", err.Error())
		assert.Len(t, s.Requests(), 1)
	})
}

func TestTokenFailureBeforeARetryKeepsTheAnswer(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		errVault := errors.New("vault sealed")
		var n int
		ts := membrane.TokenSourceFunc(func(context.Context) (string, error) {
			n++
			if n > 1 {
				return "", errVault
			}
			return testToken, nil
		})
		s := failThen(100, http.StatusBadGateway, "", nil)
		c, err := membrane.NewClient(membrane.WithBaseURL(testHubURL), membrane.WithTokenSource(ts),
			membrane.WithHTTPClient(s.HTTPClient()))
		require.NoError(t, err)
		_, err = c.OrgWorkspaces.Get(t.Context(), "w1")
		require.ErrorIs(t, err, errVault)
		assert.Contains(t, err.Error(), "GET "+testHubURL+"/org-workspaces/w1: 502 Bad Gateway: ")
		assert.Contains(t, err.Error(), "not retried: get token: vault sealed (request id req-1, 1 attempt)")
		assert.Len(t, s.Requests(), 1)
	})
}
