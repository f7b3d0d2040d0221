package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func noEnv(string) string { return "" }

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestParseSettings(t *testing.T) {
	t.Parallel()
	st, err := parseSettings([]string{"--instances", "eu, us", "--token-ttl", "30m", "--log-level", "info", "--secret-grace", "5m"}, noEnv, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, 5*time.Minute, st.grace)
	assert.Equal(t, "all", st.mode)
	assert.Equal(t, []string{"eu", "us"}, st.instances)
	assert.Equal(t, 30*time.Minute, st.tokenTTL)
	assert.Equal(t, "127.0.0.1:0", st.addr)

	st, err = parseSettings(nil, envOf(map[string]string{"MEMBRANE_FAKE_ADDR": "127.0.0.1:7000", "MEMBRANE_FAKE_INSTANCES": "eu"}), io.Discard)
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:7000", st.addr)
	assert.Equal(t, []string{"eu"}, st.instances)

	st, err = parseSettings([]string{"hub", "--instance", "eu=http://127.0.0.1:9001", "--instance", "us=http://127.0.0.1:9002,ap=http://127.0.0.1:9003",
		"--engine-token", "0123456789abcdef"}, envOf(map[string]string{"MEMBRANE_FAKE_INSTANCE": "xx=http://127.0.0.1:1"}), io.Discard)
	require.NoError(t, err)
	assert.Equal(t, []idAndURL{{"eu", "http://127.0.0.1:9001"}, {"us", "http://127.0.0.1:9002"}, {"ap", "http://127.0.0.1:9003"}}, st.remotes,
		"flags replace the environment's list")

	st, err = parseSettings([]string{"hub"}, envOf(map[string]string{"MEMBRANE_FAKE_INSTANCE": "eu=http://127.0.0.1:1",
		"MEMBRANE_FAKE_ENGINE_TOKEN": "0123456789abcdef"}), io.Discard)
	require.NoError(t, err)
	assert.Equal(t, []idAndURL{{"eu", "http://127.0.0.1:1"}}, st.remotes)

	st, err = parseSettings([]string{"instance", "--id", "eu", "--engine-token", "0123456789abcdef"}, noEnv, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, "instance", st.mode)
	assert.Equal(t, "eu", st.id)
}

func TestBadSettings(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"--token-ttl", "soon"},
		{"--token-ttl", "-1h"},
		{"--log-level", "loud"},
		{"--secret-grace", "-1m"},
		{"--nope"},
		{"extra"},
		{"hub", "--instance", "eu"},
		{"hub", "--instance", "eu=http://127.0.0.1:1"},
		{"hub", "--wait", "x"},
		{"instance", "--engine-token", "0123456789abcdef"},
		{"instance", "--id", "eu"},
	} {
		var stderr bytes.Buffer
		code := run(context.Background(), args, noEnv, io.Discard, &stderr)
		assert.Equal(t, 2, code, "%v", args)
		assert.Contains(t, stderr.String(), "membrane-fake", "%v", args)
	}
	var stderr bytes.Buffer
	assert.Equal(t, 0, run(context.Background(), []string{"-h"}, noEnv, io.Discard, &stderr))
	assert.Contains(t, stderr.String(), "-instances")
}

// A flag value the server refuses exits with 2, like a flag the command does not know, and
// announces nothing.
func TestBadFlagValues(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	badSeed := filepath.Join(dir, "bad.json")
	require.NoError(t, os.WriteFile(badSeed, []byte(`{"orgs": [{"name": "a", "members": [{"token": "x", "role": "admin"}]}]}`), 0o600))
	unknownInstance := filepath.Join(dir, "unknown.json")
	require.NoError(t, os.WriteFile(unknownInstance, []byte(`{"orgs": [{"name": "a", "workspaces": [{"membraneInstanceId": "mars"}]}]}`), 0o600))
	tests := map[string]struct {
		args    []string
		message string
	}{
		"instance twice":            {[]string{"--instances", "eu,eu"}, "twice"},
		"hub as an instance":        {[]string{"--instances", "hub"}, "twice"},
		"bad instance id":           {[]string{"--instances", "EU!"}, "instance id"},
		"missing seed":              {[]string{"--seed", filepath.Join(dir, "none.json")}, "no such file"},
		"bad seed":                  {[]string{"--seed", badSeed}, `must start with "pat-"`},
		"seed names no instance":    {[]string{"--seed", unknownInstance}, "mars"},
		"address without port":      {[]string{"--addr", "localhost"}, "-addr"},
		"remote twice":              {[]string{"hub", "--instance", "eu=http://127.0.0.1:1,eu=http://127.0.0.1:2", "--engine-token", "0123456789abcdef"}, "twice"},
		"remote with a bad URL":     {[]string{"hub", "--instance", "eu=ftp://x", "--engine-token", "0123456789abcdef"}, "base URL"},
		"lone instance with bad id": {[]string{"instance", "--id", "EU", "--engine-token", "0123456789abcdef"}, "instance id"},
		"short engine token":        {[]string{"instance", "--id", "eu", "--engine-token", "short"}, "16"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tt.args, noEnv, &stdout, &stderr)
			assert.Equal(t, 2, code, "%s", stderr.String())
			assert.Contains(t, stderr.String(), tt.message)
			assert.Empty(t, stdout.String(), "nothing is announced")
		})
	}
}

func TestUsageNeverShowsTheEngineToken(t *testing.T) {
	t.Parallel()
	const secret = "engine-secret-0123456789"
	env := envOf(map[string]string{"MEMBRANE_FAKE_ENGINE_TOKEN": secret})
	for _, args := range [][]string{{"instance", "--bogus"}, {"hub", "-h"}, {"instance", "-h"}} {
		var stderr bytes.Buffer
		run(context.Background(), args, env, io.Discard, &stderr)
		assert.NotContains(t, stderr.String(), secret, "%v", args)
	}
	st, err := parseSettings([]string{"instance", "--id", "eu"}, env, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, secret, st.engineToken, "the environment still gives the token")
}

func TestStartFailures(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	badSeed := filepath.Join(dir, "bad.json")
	require.NoError(t, os.WriteFile(badSeed, []byte(`{"orgs": [{"name": "a", "members": [{"token": "x", "role": "admin"}]}]}`), 0o600))
	tests := map[string]struct {
		args    []string
		message string
	}{
		"bad address":          {[]string{"--addr", "256.1.1.1:0"}, "listen"},
		"unreachable instance": {[]string{"hub", "--instance", "eu=http://127.0.0.1:1", "--engine-token", "0123456789abcdef", "--wait", "300ms"}, "unreachable"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), tt.args, noEnv, &stdout, &stderr)
			assert.Equal(t, 1, code)
			assert.Contains(t, stderr.String(), tt.message)
			assert.Empty(t, stdout.String(), "nothing is announced when the start fails")
		})
	}
}

// started runs the command until the test ends and returns its first stdout line.
func started(t *testing.T, args ...string) (line map[string]any, stop func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	var code int
	var wg sync.WaitGroup
	wg.Go(func() {
		code = run(ctx, args, noEnv, pw, io.Discard)
		pw.Close()
	})
	first, err := bufio.NewReader(pr).ReadBytes('\n')
	require.NoError(t, err)
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	require.NoError(t, json.Unmarshal(first, &line))
	var once sync.Once
	stop = func() int {
		once.Do(func() { cancel(); wg.Wait() })
		return code
	}
	t.Cleanup(func() { stop() })
	return line, stop
}

func TestServeAllInOneProcess(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	seed := filepath.Join(dir, "seed.json")
	require.NoError(t, os.WriteFile(seed, []byte(`{"orgs": [{"id": "acme", "name": "Acme",
		"members": [{"token": "pat-acme-admin", "role": "admin"}],
		"workspaces": [{"id": "ws1", "name": "Seeded", "membraneInstanceId": "eu"}]}]}`), 0o600))
	line, stop := started(t, "--instances", "eu,us", "--seed", seed, "--log-level", "error")
	hub := line["hubUrl"].(string)
	assert.True(t, strings.HasPrefix(hub, "http://127.0.0.1:"))
	assert.Regexp(t, "^[0-9a-f]{24}$", line["orgId"])
	assert.True(t, strings.HasPrefix(line["adminToken"].(string), "pat-"))
	assert.Equal(t, hub+"/_fake/ui#token="+line["adminToken"].(string), line["uiUrl"],
		"the inspector's address carries the token in its fragment only")
	instances := line["instances"].([]any)
	require.Len(t, instances, 2)
	eu := instances[0].(map[string]any)
	assert.Equal(t, "eu", eu["id"])

	for _, base := range []string{hub, eu["url"].(string), instances[1].(map[string]any)["url"].(string)} {
		resp, err := http.Get(base + "/")
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode, base)
	}

	req, err := http.NewRequest("GET", hub+"/org-workspaces/ws1", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer pat-acme-admin")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	var ws map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&ws))
	resp.Body.Close()
	assert.Equal(t, eu["url"], ws["apiBaseUri"], "the seeded workspace lives on eu")

	assert.Equal(t, 0, stop(), "a signal shuts it down cleanly")
	_, err = http.Get(hub + "/")
	assert.Error(t, err)
}
