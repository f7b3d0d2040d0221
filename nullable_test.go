package membrane_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	membrane "github.com/membrane-community/membrane-go"
)

func TestOptional(t *testing.T) {
	t.Parallel()
	type body struct {
		S membrane.Optional[string]   `json:"s,omitzero"`
		B membrane.Optional[bool]     `json:"b,omitzero"`
		L membrane.Optional[[]string] `json:"l,omitzero"`
	}
	tests := []struct {
		name string
		in   body
		want string
	}{
		{"unset", body{}, `{}`},
		{"null", body{S: membrane.Null[string](), L: membrane.Null[[]string]()}, `{"s":null,"l":null}`},
		{"values", body{S: membrane.Set("x"), B: membrane.Set(true), L: membrane.Set([]string{"a"})}, `{"s":"x","b":true,"l":["a"]}`},
		{"zero values are sent", body{S: membrane.Set(""), B: membrane.Set(false), L: membrane.Set([]string{})}, `{"s":"","b":false,"l":[]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, err := json.Marshal(tt.in)
			require.NoError(t, err)
			assert.JSONEq(t, tt.want, string(b))
			var back body
			require.NoError(t, json.Unmarshal(b, &back))
			assert.Equal(t, tt.in, back, "a round trip keeps the state")
		})
	}

	b, err := json.Marshal(body{L: membrane.Set[[]string](nil)})
	require.NoError(t, err)
	assert.JSONEq(t, `{"l":[]}`, string(b), "Set of a nil list sends an empty one; Null sends null")

	v, ok := membrane.Set(0).Get()
	assert.True(t, ok)
	assert.Equal(t, 0, v)
	_, ok = membrane.Null[int]().Get()
	assert.False(t, ok)
	assert.True(t, membrane.Null[int]().IsNull())
	assert.True(t, membrane.Optional[int]{}.IsZero())
	assert.False(t, membrane.Set(0).IsZero())

	assert.Equal(t, "x unset null", fmt.Sprint(membrane.Set("x"), membrane.Optional[int]{}, membrane.Null[int]()))
	assert.Equal(t, `membrane.Set[string]("x")`, fmt.Sprintf("%#v", membrane.Set("x")))
	assert.Equal(t, `membrane.Null[int]()`, fmt.Sprintf("%#v", membrane.Null[int]()))

	var n membrane.Optional[int]
	require.Error(t, json.Unmarshal([]byte(`"x"`), &n))
}

// A nil json.RawMessage holds no JSON to send: an update that sets one fails before any request
// is made, and says to use Null.
func TestOptionalNilRawMessageIsRefused(t *testing.T) {
	t.Parallel()
	_, err := json.Marshal(membrane.Set(json.RawMessage(nil)))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "use Null()")

	hc := &http.Client{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) {
		t.Error("no request may be sent")
		return nil, errors.New("sent")
	})}
	c, err := membrane.NewClient(membrane.WithBaseURL("https://hub.test"), membrane.WithToken("pat-x"), membrane.WithHTTPClient(hc))
	require.NoError(t, err)
	_, err = c.OrgWorkspaces.Update(t.Context(), "w1", &membrane.UpdateOrgWorkspaceRequest{
		UserFieldsSchema: membrane.Set(json.RawMessage(nil))})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "use Null()")
	b, err := json.Marshal(membrane.Set(json.RawMessage(`{"a":1}`)))
	require.NoError(t, err)
	assert.JSONEq(t, `{"a":1}`, string(b))
}

// Only a nil slice or map is sent empty; a value that writes null by itself (a RawMessage that
// holds null, a nil pointer) is sent as null.
func TestOptionalSendsNullAsItsValueWritesIt(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		v    any
		want string
	}{
		{membrane.Set([]string(nil)), `[]`},
		{membrane.Set(map[string]bool(nil)), `{}`},
		{membrane.Set(json.RawMessage("null")), `null`},
		{membrane.Set((*string)(nil)), `null`},
		{membrane.Set([]string{}), `[]`},
	} {
		b, err := json.Marshal(tc.v)
		require.NoError(t, err)
		assert.Equal(t, tc.want, string(b), "%#v", tc.v)
	}
}
