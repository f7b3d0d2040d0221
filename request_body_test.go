package membrane_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	membrane "github.com/membrane-community/membrane-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// roundTripFunc is a transport made of a function.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// The body decides where an answer ends: a transport that leaves out or misstates the length
// still gets its answer read whole.
func TestAnswerLengthIsOnlyAHint(t *testing.T) {
	t.Parallel()
	const body = `{"id":"abc","name":"Acme"}`
	for name, length := range map[string]int64{"none": 0, "unknown": -1, "too short": 3, "too long": 1 << 30} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
				return &http.Response{StatusCode: 200, ContentLength: length, Header: http.Header{},
					Body: io.NopCloser(strings.NewReader(body)), Request: r}, nil
			})}
			c, err := membrane.NewClient(membrane.WithBaseURL("https://hub.test"), membrane.WithToken("pat-x"), membrane.WithHTTPClient(hc))
			require.NoError(t, err)
			ws, err := c.OrgWorkspaces.Get(t.Context(), "abc")
			require.NoError(t, err)
			assert.Equal(t, "Acme", ws.Name)
		})
	}
}
