package membrane_test

import (
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/membrane-community/membrane-go"
)

// cutFirst is a transport whose first answer is a 200 that breaks off half-way through its
// body; the answers after it are whole. It records the headers of every request.
type cutFirst struct {
	mu      sync.Mutex
	headers []http.Header
}

func (c *cutFirst) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		_ = req.Body.Close()
	}
	c.mu.Lock()
	c.headers = append(c.headers, req.Header.Clone())
	n := len(c.headers)
	c.mu.Unlock()
	const whole = `{"id":"w1","name":"One"}`
	var body io.Reader = strings.NewReader(whole)
	if n == 1 {
		body = io.MultiReader(strings.NewReader(whole[:8]), errReader{io.ErrUnexpectedEOF})
	}
	return &http.Response{
		StatusCode: http.StatusOK, Status: "200 OK", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:  http.Header{"Content-Type": {"application/json"}, "X-Request-Id": {"req-cut"}},
		Body:    io.NopCloser(body),
		Request: req,
	}, nil
}

// errReader fails every read with err.
type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// A 200 whose body breaks off is a failure like a lost connection: retried under the same key
// when a repeat cannot do the thing twice, final otherwise; a whole body reaches the caller.
func TestCutSuccessIsRetriedOnlyWhenARepeatIsSafe(t *testing.T) {
	t.Parallel()
	tests := []struct {
		method   string
		retried  bool
		sameKeys bool
	}{
		{method: http.MethodGet, retried: true},
		{method: http.MethodPut, retried: true},
		{method: http.MethodPost, retried: true, sameKeys: true},
		{method: "LINK", retried: false}, // neither idempotent nor keyed
	}
	for _, tt := range tests {
		t.Run(tt.method, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				tr := &cutFirst{}
				c, err := membrane.NewClient(membrane.WithBaseURL(testHubURL), membrane.WithToken(testToken),
					membrane.WithHTTPClient(&http.Client{Transport: tr}))
				require.NoError(t, err)
				var out struct{ ID, Name string }
				var resp membrane.Response
				err = c.Do(t.Context(), tt.method, "/org-workspaces/w1", nil, &out, membrane.WithResponseInto(&resp))
				if !tt.retried {
					require.ErrorIs(t, err, membrane.ErrNoResponse)
					var apiErr *membrane.Error
					require.ErrorAs(t, err, &apiErr)
					assert.Equal(t, http.StatusOK, apiErr.StatusCode, "the status was read; the body was cut")
					assert.Equal(t, "req-cut", apiErr.RequestID)
					assert.Equal(t, 1, apiErr.Attempts)
					assert.Len(t, tr.headers, 1)
					return
				}
				require.NoError(t, err)
				assert.Equal(t, "w1", out.ID)
				assert.Equal(t, "One", out.Name)
				assert.Equal(t, 2, resp.Attempts)
				require.Len(t, tr.headers, 2)
				assert.Equal(t, "1", tr.headers[0].Get("X-Membrane-Attempt"))
				assert.Equal(t, "2", tr.headers[1].Get("X-Membrane-Attempt"))
				if tt.sameKeys {
					assert.NotEmpty(t, tr.headers[0].Get("Idempotency-Key"))
					assert.Equal(t, tr.headers[0].Get("Idempotency-Key"), tr.headers[1].Get("Idempotency-Key"))
				}
			})
		})
	}
}
