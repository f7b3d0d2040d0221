package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/membrane-community/membrane-go/fake"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestRunAgainstEmbeddedFake(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, env(nil)))
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 11, out.String())
	for i, want := range []string{
		"the fake, started in process at http://127.0.0.1:", "instances [hub eu us]",
		`created workspace "Acme Inc" on instance eu`, "configured it through the hub: webhook https://acme.example/membrane/webhooks",
		"minted a workspace admin token", `created tenant "Jane at Acme"`, "rotated the workspace secret",
		"the old token is refused now: 401 not_authenticated", "archived workspace",
		"1 workspace(s), 0 active, 1 archived", "archived=false",
	} {
		assert.Contains(t, lines[i], want)
	}
	assert.Equal(t, 2, strings.Count(out.String(), "[REDACTED]"), "secrets are printed redacted")
	// The workspace lives on eu: its API URL differs from the hub's, and the workspace client uses it.
	hub := regexp.MustCompile(`at (http://\S+)`).FindStringSubmatch(lines[0])[1]
	apiAt := regexp.MustCompile(`API at (http://\S+)$`).FindStringSubmatch(lines[2])[1]
	assert.NotEqual(t, hub, apiAt)
	assert.Contains(t, lines[4], "used at "+apiAt)
}

func TestRunAgainstConfiguredServer(t *testing.T) {
	t.Parallel()
	srv := fake.NewServer(t)
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, env(map[string]string{
		"MEMBRANE_API_URL": srv.URL(), "MEMBRANE_TOKEN": srv.AdminToken(), "MEMBRANE_ORG_ID": srv.OrgID(),
	})))
	assert.Contains(t, out.String(), "the server at "+srv.URL())
	assert.Contains(t, out.String(), "restored workspace")
}

func TestRunNeedsAllOrNoneOfTheSettings(t *testing.T) {
	t.Parallel()
	err := run(context.Background(), &bytes.Buffer{}, env(map[string]string{"MEMBRANE_API_URL": "http://127.0.0.1:1"}))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "MEMBRANE_TOKEN")
}
