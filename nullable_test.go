package membrane_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/membrane-community/membrane-go"
)

func TestNullable(t *testing.T) {
	t.Parallel()
	type body struct {
		V membrane.Nullable[string] `json:"v,omitzero"`
	}
	tests := []struct {
		name      string
		in        membrane.Nullable[string]
		want      string
		null, has bool
	}{
		{"unset", membrane.Nullable[string]{}, `{}`, false, false},
		{"null", membrane.Null[string](), `{"v":null}`, true, false},
		{"value", membrane.NullableValue("x"), `{"v":"x"}`, false, true},
		{"empty value", membrane.NullableValue(""), `{"v":""}`, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, err := json.Marshal(body{V: tt.in})
			require.NoError(t, err)
			assert.JSONEq(t, tt.want, string(b))
			assert.Equal(t, tt.null, tt.in.IsNull())
			_, ok := tt.in.Get()
			assert.Equal(t, tt.has, ok)

			var back body
			require.NoError(t, json.Unmarshal(b, &back))
			assert.Equal(t, tt.in, back.V, "a round trip keeps the state")
		})
	}
	var n membrane.Nullable[int]
	require.Error(t, json.Unmarshal([]byte(`"x"`), &n))
}

func TestPtr(t *testing.T) {
	t.Parallel()
	p := membrane.Ptr(false)
	require.NotNil(t, p)
	assert.False(t, *p)
	assert.Equal(t, []string{}, *membrane.Ptr([]string{}))
}
