package membrane_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/membrane-community/membrane-go"
)

// failThen answers the first n requests with status (and Retry-After when given), then 200.
func failThen(n, status int, retryAfter string, ok any) *stub {
	return newStub(func(i int, w http.ResponseWriter, _ *http.Request) error {
		if i < n {
			if retryAfter != "" {
				w.Header().Set("Retry-After", retryAfter)
			}
			apiError(w, status, "bad_request", "", fmt.Sprintf("failure %d", i+1))
			return nil
		}
		writeJSON(w, http.StatusOK, ok)
		return nil
	})
}

var errRefused = &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}

func TestTransientStatusesAreRetried(t *testing.T) {
	t.Parallel()
	for _, status := range []int{429, 500, 502, 503, 504} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				s := failThen(2, status, "", workspaceJSON("w1"))
				ws, err := newClient(t, s).OrgWorkspaces.Get(t.Context(), "w1")
				require.NoError(t, err)
				assert.Equal(t, "w1", ws.ID)
				assert.Len(t, s.Requests(), 3)
			})
		})
	}
}

func TestClientErrorsAreNotRetried(t *testing.T) {
	t.Parallel()
	for _, status := range []int{400, 401, 403, 404, 413} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			t.Parallel()
			s := failThen(1, status, "", workspaceJSON("w1"))
			_, err := newClient(t, s).OrgWorkspaces.Get(t.Context(), "w1")
			var apiErr *membrane.Error
			require.ErrorAs(t, err, &apiErr)
			assert.Equal(t, status, apiErr.StatusCode)
			assert.Equal(t, 1, apiErr.Attempts)
			assert.Len(t, s.Requests(), 1)
		})
	}
}

func TestIdempotentMethodsSurfaceTheLastAnswer(t *testing.T) {
	t.Parallel()
	calls := map[string]func(context.Context, *membrane.Client) error{
		"GET": func(ctx context.Context, c *membrane.Client) error {
			_, err := c.OrgWorkspaces.Get(ctx, "w1")
			return err
		},
		"PATCH": func(ctx context.Context, c *membrane.Client) error {
			_, err := c.OrgWorkspaces.Update(ctx, "w1", &membrane.UpdateOrgWorkspaceRequest{Name: membrane.Set("n")})
			return err
		},
		"DELETE": func(ctx context.Context, c *membrane.Client) error {
			_, err := c.OrgWorkspaces.Archive(ctx, "w1")
			return err
		},
		"POST create": func(ctx context.Context, c *membrane.Client) error {
			_, err := c.OrgWorkspaces.Create(ctx, &membrane.CreateOrgWorkspaceRequest{OrgID: "o"})
			return err
		},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				s := failThen(100, http.StatusInternalServerError, "", nil)
				err := call(t.Context(), newClient(t, s))
				var apiErr *membrane.Error
				require.ErrorAs(t, err, &apiErr)
				assert.Equal(t, 4, apiErr.Attempts)
				assert.Equal(t, "failure 4", apiErr.Message, "the last answer's body is kept")
				assert.Equal(t, "req-1", apiErr.RequestID)
				assert.Contains(t, err.Error(), "4 attempts")
				assert.ErrorIs(t, err, membrane.ErrInternal)
				assert.Len(t, s.Requests(), 4)
			})
		})
	}
}

// postCalls are the POSTs that are not creates: each carries an Idempotency-Key all the same.
var postCalls = map[string]func(context.Context, *membrane.Client, *membrane.WorkspaceClient) error{
	"restore": func(ctx context.Context, c *membrane.Client, _ *membrane.WorkspaceClient) error {
		_, err := c.OrgWorkspaces.Restore(ctx, "w1")
		return err
	},
	"rotate-secret": func(ctx context.Context, c *membrane.Client, _ *membrane.WorkspaceClient) error {
		_, err := c.OrgWorkspaces.RotateSecret(ctx, "w1")
		return err
	},
	"access-token": func(ctx context.Context, c *membrane.Client, _ *membrane.WorkspaceClient) error {
		_, err := c.OrgWorkspaces.AccessToken(ctx, "w1", nil)
		return err
	},
	"customer restore": func(ctx context.Context, _ *membrane.Client, wc *membrane.WorkspaceClient) error {
		_, err := wc.Customers.Restore(ctx, "c1")
		return err
	},
}

func TestEveryPostIsRetriedWithOneKey(t *testing.T) {
	t.Parallel()
	ok := map[string]any{"id": "w1", "name": "n", "createdAt": "2025-01-02T03:04:05Z", "token": "t", "secret": "s"}
	for name, call := range postCalls {
		for _, status := range []int{500, 502, 503, 429} {
			t.Run(fmt.Sprint(name, " ", status), func(t *testing.T) {
				t.Parallel()
				synctest.Test(t, func(t *testing.T) {
					s := failThen(2, status, "1", ok)
					require.NoError(t, call(t.Context(), newClient(t, s), newWorkspaceClient(t, s)))
					reqs := s.Requests()
					require.Len(t, reqs, 3)
					key := reqs[0].Header.Get("Idempotency-Key")
					assert.Regexp(t, uuidPattern, key)
					for _, r := range reqs {
						assert.Equal(t, key, r.Header.Get("Idempotency-Key"), "every attempt sends the same key")
					}
				})
			})
		}
	}
}

func TestRotateSecretRetriedOn503ReusesItsKey(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		s := failThen(1, http.StatusServiceUnavailable, "", map[string]any{"secret": "fresh"})
		c := newClient(t, s)
		secret, err := c.OrgWorkspaces.RotateSecret(t.Context(), "w1")
		require.NoError(t, err)
		assert.Equal(t, "fresh", secret.Reveal())
		_, err = c.OrgWorkspaces.RotateSecret(t.Context(), "w1")
		require.NoError(t, err)

		reqs := s.Requests()
		require.Len(t, reqs, 3)
		first := reqs[0].Header.Get("Idempotency-Key")
		assert.Regexp(t, uuidPattern, first)
		assert.Equal(t, first, reqs[1].Header.Get("Idempotency-Key"), "the retry reuses the key")
		assert.NotEqual(t, first, reqs[2].Header.Get("Idempotency-Key"), "another call makes another key")
		assert.Regexp(t, uuidPattern, reqs[2].Header.Get("Idempotency-Key"))
	})
}

func TestPostIsRetriedWhenTheRequestWasNeverSent(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		s := newStub(func(n int, w http.ResponseWriter, _ *http.Request) error {
			if n == 0 {
				return errRefused
			}
			writeJSON(w, http.StatusOK, workspaceJSON("w1"))
			return nil
		})
		_, err := newClient(t, s).OrgWorkspaces.Restore(t.Context(), "w1")
		require.NoError(t, err)
		assert.Len(t, s.Requests(), 2)
	})
}

func TestPostIsRetriedAfterTheConnectionBroke(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		s := newStub(func(n int, w http.ResponseWriter, _ *http.Request) error {
			if n == 0 {
				return io.ErrUnexpectedEOF // the request may have been done: the key makes a retry safe
			}
			writeJSON(w, http.StatusOK, map[string]any{"secret": "fresh"})
			return nil
		})
		_, err := newClient(t, s).OrgWorkspaces.RotateSecret(t.Context(), "w1")
		require.NoError(t, err)
		reqs := s.Requests()
		require.Len(t, reqs, 2)
		assert.Equal(t, reqs[0].Header.Get("Idempotency-Key"), reqs[1].Header.Get("Idempotency-Key"))
	})
}

func TestConnectionFailureAfterAllAttempts(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		s := newStub(func(int, http.ResponseWriter, *http.Request) error { return errRefused })
		_, err := newClient(t, s).OrgWorkspaces.Get(t.Context(), "w1")
		require.Error(t, err)
		assert.ErrorIs(t, err, syscall.ECONNREFUSED)
		assert.ErrorIs(t, err, membrane.ErrNoResponse)
		assert.Contains(t, err.Error(), "GET "+testHubURL+"/org-workspaces/w1: no response: ")
		assert.Contains(t, err.Error(), "(4 attempts)")
		var apiErr *membrane.Error
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, 0, apiErr.StatusCode)
		assert.Equal(t, 4, apiErr.Attempts)
		assert.Len(t, s.Requests(), 4)
	})
}

func TestCreateRetriesReuseTheIdempotencyKey(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		s := newStub(func(n int, w http.ResponseWriter, _ *http.Request) error {
			switch n {
			case 0:
				return errors.New("connection reset by peer")
			case 1:
				apiError(w, http.StatusServiceUnavailable, "internal", "", "busy")
			default:
				writeJSON(w, http.StatusOK, workspaceJSON("w1"))
			}
			return nil
		})
		c := newClient(t, s)
		_, err := c.OrgWorkspaces.Create(t.Context(), &membrane.CreateOrgWorkspaceRequest{OrgID: "org1", Name: "A"})
		require.NoError(t, err)
		_, err = c.OrgWorkspaces.Create(t.Context(), &membrane.CreateOrgWorkspaceRequest{OrgID: "org1", Name: "A"})
		require.NoError(t, err)

		reqs := s.Requests()
		require.Len(t, reqs, 4)
		key := reqs[0].Header.Get("Idempotency-Key")
		assert.Regexp(t, uuidPattern, key)
		for _, r := range reqs[:3] {
			assert.Equal(t, key, r.Header.Get("Idempotency-Key"))
			assert.JSONEq(t, `{"orgId":"org1","name":"A"}`, string(r.Body), "every attempt sends the whole body")
		}
		assert.NotEqual(t, key, reqs[3].Header.Get("Idempotency-Key"))
	})
}

func TestRetryAfterIsHonoured(t *testing.T) {
	t.Parallel()
	for _, status := range []int{http.StatusTooManyRequests, http.StatusServiceUnavailable} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			t.Parallel()
			realStart := time.Now()
			synctest.Test(t, func(t *testing.T) {
				start := time.Now()
				s := failThen(1, status, "30", workspaceJSON("w1"))
				_, err := newClient(t, s).OrgWorkspaces.Get(t.Context(), "w1")
				require.NoError(t, err)
				assert.Equal(t, 30*time.Second, time.Since(start), "above MaxWait's cap too")
			})
			assert.Less(t, time.Since(realStart), 5*time.Second, "no real waiting")
		})
	}
}

func TestRetryAfterAsAnHTTPDate(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		when := start.Add(90 * time.Second).UTC().Format(http.TimeFormat)
		s := failThen(1, http.StatusTooManyRequests, when, workspaceJSON("w1"))
		_, err := newClient(t, s).OrgWorkspaces.Get(t.Context(), "w1")
		require.NoError(t, err)
		assert.Equal(t, 90*time.Second, time.Since(start))
	})
}

func TestRetryAfterBeyondTheBoundIsLeftToTheCaller(t *testing.T) {
	t.Parallel()
	s := failThen(1, http.StatusTooManyRequests, "3600", workspaceJSON("w1"))
	_, err := newClient(t, s).OrgWorkspaces.Get(t.Context(), "w1")
	var apiErr *membrane.Error
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, time.Hour, apiErr.RetryAfter)
	assert.Equal(t, 1, apiErr.Attempts)
	assert.ErrorIs(t, err, membrane.ErrRateLimited)
	assert.Contains(t, err.Error(), "retry after 1h0m0s")
}

func TestRetryAfterBeyondTheDeadlineIsLeftToTheCaller(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		s := failThen(1, http.StatusTooManyRequests, "60", workspaceJSON("w1"))
		_, err := newClient(t, s).OrgWorkspaces.Get(ctx, "w1")
		var apiErr *membrane.Error
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, time.Minute, apiErr.RetryAfter)
		assert.Len(t, s.Requests(), 1)
	})
}

func TestCancelEndsTheWaitAtOnce(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		s := failThen(100, http.StatusServiceUnavailable, "", nil)
		c := newClient(t, s, membrane.WithRetryPolicy(membrane.RetryPolicy{MinWait: time.Minute, MaxWait: time.Minute}))
		ctx, cancel := context.WithCancel(t.Context())
		start := time.Now()
		var (
			err   error
			ended time.Duration
			wg    sync.WaitGroup
		)
		wg.Go(func() {
			_, err = c.OrgWorkspaces.Get(ctx, "w1")
			ended = time.Since(start)
		})
		time.Sleep(time.Second)
		cancel()
		wg.Wait()
		require.ErrorIs(t, err, context.Canceled)
		assert.Equal(t, time.Second, ended)
		assert.Len(t, s.Requests(), 1)
	})
}

func TestDeadlineDuringBackoff(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		s := failThen(100, http.StatusBadGateway, "", nil)
		c := newClient(t, s, membrane.WithRetryPolicy(membrane.RetryPolicy{MinWait: time.Minute, MaxWait: time.Minute}))
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		start := time.Now()
		_, err := c.OrgWorkspaces.Get(ctx, "w1")
		// A wait that would outlast the deadline is not begun: the last answer comes back at once.
		require.ErrorIs(t, err, membrane.ErrUnavailable)
		var apiErr *membrane.Error
		require.ErrorAs(t, err, &apiErr)
		assert.Equal(t, 1, apiErr.Attempts)
		assert.Zero(t, time.Since(start))
		assert.Contains(t, err.Error(), "GET "+testHubURL+"/org-workspaces/w1")
	})
}

func TestBackoffGrowsWithinBounds(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var (
			mu    sync.Mutex
			times []time.Time
		)
		s := newStub(func(_ int, w http.ResponseWriter, _ *http.Request) error {
			mu.Lock()
			times = append(times, time.Now())
			mu.Unlock()
			apiError(w, http.StatusBadGateway, "dependency_error", "", "instance down")
			return nil
		})
		policy := membrane.RetryPolicy{MaxAttempts: 7, MinWait: time.Second, MaxWait: 10 * time.Second}
		_, err := newClient(t, s, membrane.WithRetryPolicy(policy)).OrgWorkspaces.Get(t.Context(), "w1")
		require.ErrorIs(t, err, membrane.ErrDependency)
		require.Len(t, times, 7)
		for i := 1; i < len(times); i++ {
			wait := times[i].Sub(times[i-1])
			ceiling := min(policy.MaxWait, policy.MinWait<<(i-1))
			assert.GreaterOrEqual(t, wait, policy.MinWait, "wait %d", i)
			assert.LessOrEqual(t, wait, ceiling, "wait %d", i)
		}
	})
}

func TestMaxAttemptsOneDisablesRetries(t *testing.T) {
	t.Parallel()
	s := failThen(1, http.StatusServiceUnavailable, "", workspaceJSON("w1"))
	_, err := newClient(t, s, membrane.WithRetryPolicy(membrane.RetryPolicy{MaxAttempts: 1})).OrgWorkspaces.Get(t.Context(), "w1")
	var apiErr *membrane.Error
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, http.StatusServiceUnavailable, apiErr.StatusCode)
	assert.Len(t, s.Requests(), 1)
}

func TestEveryAttemptAsksForAToken(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		s := failThen(1, http.StatusServiceUnavailable, "", workspaceJSON("w1"))
		var n int
		ts := membrane.TokenSourceFunc(func(context.Context) (string, error) {
			n++
			return fmt.Sprintf("pat-%d", n), nil
		})
		c, err := membrane.NewClient(membrane.WithTokenSource(ts), membrane.WithHTTPClient(s.HTTPClient()))
		require.NoError(t, err)
		_, err = c.OrgWorkspaces.Get(t.Context(), "w1")
		require.NoError(t, err)
		reqs := s.Requests()
		require.Len(t, reqs, 2)
		assert.Equal(t, "Bearer pat-1", reqs[0].Header.Get("Authorization"))
		assert.Equal(t, "Bearer pat-2", reqs[1].Header.Get("Authorization"))
	})
}

func TestRetryDecisionsAreLogged(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var buf syncBuffer
		logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
		s := failThen(1, http.StatusServiceUnavailable, "2", workspaceJSON("w1"))
		c := newClient(t, s, membrane.WithLogger(logger))
		_, err := c.OrgWorkspaces.Get(t.Context(), "w1")
		require.NoError(t, err)
		out := buf.String()
		assert.Contains(t, out, `msg="membrane: retrying" method=GET url=https://hub.test/org-workspaces/w1 status=503 attempt=1 reason="status 503" wait=2s`)

		buf2 := &syncBuffer{}
		c2 := newClient(t, failThen(1, http.StatusTooManyRequests, "3600", nil),
			membrane.WithLogger(slog.New(slog.NewTextHandler(buf2, &slog.HandlerOptions{Level: slog.LevelDebug}))))
		_, err = c2.OrgWorkspaces.RotateSecret(t.Context(), "w1")
		require.Error(t, err)
		assert.Contains(t, buf2.String(), `msg="membrane: not retrying" method=POST`)
		assert.Contains(t, buf2.String(), `reason="Retry-After is above MaxRetryAfter"`)

		for _, log := range []string{out, buf2.String()} {
			assert.NotContains(t, log, testToken)
			assert.NotContains(t, log, "Authorization")
		}
	})
}
