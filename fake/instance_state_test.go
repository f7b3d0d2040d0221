package fake_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/membrane-community/membrane-go/fake"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// An instance that runs alone keeps its own state: its snapshot restored into a fresh instance
// answers as the original did, and a state of another instance or with a mistake changes nothing.
func TestInstanceStateRoundTrip(t *testing.T) {
	t.Parallel()
	clock := newTkClock()
	opts := []fake.Option{fake.WithClock(clock.Now), fake.WithEngineToken("engine-token-0123456789")}
	orig, err := fake.NewInstance("eu", opts...)
	require.NoError(t, err)
	t.Cleanup(orig.Close)
	require.NoError(t, orig.Start())
	do := func(inst *fake.Instance, method, path, token string, body any) reply {
		var rd io.Reader = http.NoBody
		if body != nil {
			b, err := json.Marshal(body)
			require.NoError(t, err)
			rd = bytes.NewReader(b)
		}
		req, err := http.NewRequest(method, inst.URL()+path, rd)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		raw, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return reply{Status: resp.StatusCode, Raw: raw}
	}
	const secret = "secret-0123456789abcdef"
	require.Equal(t, 200, do(orig, "POST", "/workspaces", "engine-token-0123456789",
		map[string]any{"workspaceKey": "k1", "workspaceSecret": secret, "name": "W", "webhookUri": "https://x.example/h"}).Status)
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"workspaceKey": "k1", "exp": clock.Now().Add(time.Hour).Unix()}).SignedString([]byte(secret))
	require.NoError(t, err)
	clock.Advance(time.Second)
	require.Equal(t, 200, do(orig, "POST", "/customers", tok, map[string]any{"name": "A", "internalId": "a", "fields": map[string]any{"x": 1}}).Status)

	// A create the hub gave up on: its key is removed before the create arrives.
	require.Equal(t, 404, do(orig, "DELETE", "/workspaces/k-late", "engine-token-0123456789", nil).Status)

	snap, err := orig.Snapshot(context.Background())
	require.NoError(t, err)
	assert.Equal(t, []string{"k-late"}, snap.RemovedKeys)
	raw, err := json.Marshal(snap)
	require.NoError(t, err)
	var back fake.InstanceState
	require.NoError(t, json.Unmarshal(raw, &back))

	cp, err := fake.NewInstance("eu", opts...)
	require.NoError(t, err)
	t.Cleanup(cp.Close)
	require.NoError(t, cp.Start())
	require.NoError(t, cp.Restore(context.Background(), back))
	for _, get := range []struct{ path, token string }{
		{"/customers", tok}, {"/workspaces", "engine-token-0123456789"}, {"/workspaces/k1", "engine-token-0123456789"},
	} {
		a, b := do(orig, "GET", get.path, get.token, nil), do(cp, "GET", get.path, get.token, nil)
		assert.Equal(t, string(a.Raw), string(b.Raw), get.path)
	}
	late := do(cp, "POST", "/workspaces", "engine-token-0123456789",
		map[string]any{"workspaceKey": "k-late", "workspaceSecret": secret, "name": "Late"})
	assert.Equal(t, http.StatusConflict, late.Status, "the restored instance still refuses a removed key: %s", late.Raw)
	assert.Contains(t, string(late.Raw), "version_conflict")

	other, err := fake.NewInstance("us", opts...)
	require.NoError(t, err)
	t.Cleanup(other.Close)
	require.Error(t, other.Restore(context.Background(), back), "the state of another instance")
	bad := back
	bad.Workspaces = append([]fake.SeedWorkspace{{Key: "k2", Secret: "short"}}, back.Workspaces...)
	require.Error(t, cp.Restore(context.Background(), bad))
	for _, keys := range [][]string{{""}, {"k1"}} {
		bad := back
		bad.RemovedKeys = keys
		require.Error(t, cp.Restore(context.Background(), bad), "removed keys %q", keys)
	}
	after, err := cp.Snapshot(context.Background())
	require.NoError(t, err)
	assert.Equal(t, snap, after, "a refused state changes nothing")
}

// ParseInstanceState takes what Snapshot writes, and refuses anything else in JSON's words.
func TestParseInstanceState(t *testing.T) {
	t.Parallel()
	state, err := fake.ParseInstanceState([]byte(`{"instanceId": "eu", "workspaces": []}`))
	require.NoError(t, err)
	assert.Equal(t, "eu", state.InstanceID)

	for _, tc := range []struct{ body, want string }{
		{`{"instanceId": "eu", "extra": 1}`, `unknown field "extra"`},
		{`{"instanceId": "eu"} {}`, "after"},
		{`{"workspaces": "none"}`, "workspaces: a JSON string where"},
		{`{"instanceId": 7}`, "instanceId: a JSON number where"},
		{``, "EOF"},
	} {
		_, err := fake.ParseInstanceState([]byte(tc.body))
		require.Error(t, err, tc.body)
		assert.Contains(t, err.Error(), tc.want, tc.body)
		assert.NotContains(t, err.Error(), "Go ", tc.body)
	}
}
