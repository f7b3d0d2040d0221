package membrane_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	membrane "github.com/membrane-community/membrane-go"
)

// FuzzErrorDecoding feeds the client any error answer: whatever the status, body and headers,
// the call returns an *Error (or, for a 2xx, a decoding error) without panicking, with the
// status and the facts it could read, and its message never repeats the token.
func FuzzErrorDecoding(f *testing.F) {
	f.Add(404, []byte(`{"type":"bad_request","key":"not_found","message":"no such workspace"}`), "", "req-1")
	f.Add(400, []byte(`{"type":"bad_request","message":"invalid","data":{"fields":{"name":"must not be empty"}}}`), "", "")
	f.Add(429, []byte(`{"type":"bad_request","key":"rate_limit_exceeded","message":"slow down"}`), "120", "r")
	f.Add(502, []byte("<html><body>Bad Gateway</body></html>"), "", "")
	f.Add(500, []byte(`{"type":7,"key":[1],"data":"x"}`), "Wed, 21 Oct 2015 07:28:00 GMT", "")
	f.Add(418, []byte{0xff, 0xfe, 0x00}, "-5", "\x00")
	f.Add(200, []byte(`{"id": 5}`), "", "")
	f.Fuzz(func(t *testing.T, status int, body []byte, retryAfter, requestID string) {
		if status < 200 || status > 599 {
			return
		}
		s := newStub(func(_ int, w http.ResponseWriter, _ *http.Request) error {
			if retryAfter != "" {
				w.Header()["Retry-After"] = []string{retryAfter}
			}
			w.Header()["X-Request-Id"] = []string{requestID}
			w.WriteHeader(status)
			_, _ = w.Write(body)
			return nil
		})
		c := newClient(t, s, membrane.WithRetryPolicy(membrane.NoRetries()))
		_, err := c.OrgWorkspaces.Get(t.Context(), "w1")
		var apiErr *membrane.Error
		switch {
		case status < 300:
			return // a decoding error or a workspace: either is fine
		case !errors.As(err, &apiErr):
			t.Fatalf("status %d: want an *Error, got %v", status, err)
		case apiErr.StatusCode != status:
			t.Fatalf("StatusCode %d, want %d", apiErr.StatusCode, status)
		case apiErr.Type == "" || apiErr.Message == "":
			t.Fatalf("an error without type or message: %#v", apiErr)
		case strings.Contains(apiErr.Error(), testToken):
			t.Fatalf("the error repeats the token: %s", apiErr.Error())
		case apiErr.RetryAfter < 0:
			t.Fatalf("negative RetryAfter %s", apiErr.RetryAfter)
		}
		_ = apiErr.FieldErrors()
		_ = errors.Is(err, membrane.ErrNotFound)
	})
}
