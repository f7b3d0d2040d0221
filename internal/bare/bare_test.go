package bare_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/membrane-community/membrane-go/internal/bare"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCreateThenRead(t *testing.T) {
	t.Parallel()
	h := bare.New()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/items", strings.NewReader(`{"name":"Acme","orgId":"o1"}`)))
	require.Equal(t, http.StatusOK, rec.Code)
	var created map[string]any
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &created))
	assert.Equal(t, "Acme", created["name"])
	assert.InDelta(t, 300, rec.Body.Len(), 100, "about 300 bytes of JSON")

	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/items/"+created["id"].(string), nil))
	require.Equal(t, http.StatusOK, rec.Code)
	assert.JSONEq(t, string(mustJSON(t, created)), rec.Body.String())

	for _, req := range []*http.Request{
		httptest.NewRequest("GET", "/items/404", nil),
		httptest.NewRequest("POST", "/items", strings.NewReader(`{`)),
		httptest.NewRequest("DELETE", "/items/1", nil),
	} {
		rec = httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		assert.NotEqual(t, http.StatusOK, rec.Code, req.Method+" "+req.URL.Path)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}
