package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"

	membrane "github.com/membrane-community/membrane-go"
	"github.com/membrane-community/membrane-go/fake"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestRunAgainstEmbeddedFake(t *testing.T) {
	t.Parallel()
	var out, progress bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"-n", "200", "-concurrency", "8", "-run-id", "t1"}, env(nil), &out, &progress))
	assert.Regexp(t, `^run t1: provisioned 200 workspaces in \S+ \([0-9,]+/s\) with concurrency 8; listed 200 back in \S+\n$`, out.String())
	assert.Contains(t, progress.String(), "\rprovisioned 200/200 (")
	assert.True(t, strings.HasSuffix(progress.String(), "\n"), "the progress line ends with a newline")
}

func TestRunAgainstConfiguredServerTwiceMakesNoDuplicates(t *testing.T) {
	t.Parallel()
	srv := fake.NewServer(t)
	e := env(map[string]string{"MEMBRANE_API_URL": srv.URL(), "MEMBRANE_TOKEN": srv.AdminToken(), "MEMBRANE_ORG_ID": srv.OrgID()})
	args := []string{"-n", "50", "-run-id", "again"}
	for range 2 {
		var out bytes.Buffer
		require.NoError(t, run(context.Background(), args, e, &out, &bytes.Buffer{}))
		assert.Contains(t, out.String(), "provisioned 50 workspaces")
		assert.Contains(t, out.String(), "listed 50 back")
	}

	client, err := membrane.NewClient(membrane.WithBaseURL(srv.URL()), membrane.WithToken(srv.AdminToken()))
	require.NoError(t, err)
	names := map[string]int{}
	for ws, err := range client.OrgWorkspaces.All(context.Background(), &membrane.ListOrgWorkspacesOptions{OrgID: srv.OrgID()}) {
		require.NoError(t, err)
		names[ws.Name]++
	}
	assert.Len(t, names, 50, "the second run replayed the first run's creates")
	for name, n := range names {
		assert.Equal(t, 1, n, name)
		assert.Regexp(t, regexp.MustCompile(`^bulk again #\d+$`), name)
	}
}

func TestRunReportsFailuresWithTheRunID(t *testing.T) {
	t.Parallel()
	srv := fake.NewServer(t)
	e := env(map[string]string{"MEMBRANE_API_URL": srv.URL(), "MEMBRANE_TOKEN": srv.AdminToken(), "MEMBRANE_ORG_ID": "no-such-org"})
	err := run(context.Background(), []string{"-n", "5", "-run-id", "r9"}, e, &bytes.Buffer{}, &bytes.Buffer{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "-run-id r9")
}

func TestRunRejectsBadFlags(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"-n", "0"},
		{"-n", "x"},
		{"-concurrency", "0"},
		{"-concurrency", "5000"},
		{"-run-id", "has space"},
		{"-nope"},
		{"extra"},
	} {
		var out, errOut bytes.Buffer
		err := run(context.Background(), args, env(nil), &out, &errOut)
		assert.Error(t, err, "%v", args)
		assert.Equal(t, 2, exitCode(err), "%v: bad flags exit with 2, as membrane-fake's do", args)
		assert.Empty(t, out.String(), "%v", args)
	}
}

func TestExitCodes(t *testing.T) {
	t.Parallel()
	srv := fake.NewServer(t)
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want int
	}{
		{"success", []string{"-n", "3", "-run-id", "ok"}, nil, 0},
		{"help", []string{"-h"}, nil, 0},
		{"unknown flag", []string{"-nope"}, nil, 2},
		{"bad value", []string{"-n", "0"}, nil, 2},
		{"extra argument", []string{"extra"}, nil, 2},
		{"the run fails", []string{"-n", "2", "-run-id", "f"},
			map[string]string{"MEMBRANE_API_URL": srv.URL(), "MEMBRANE_TOKEN": srv.AdminToken(), "MEMBRANE_ORG_ID": "no-such-org"}, 1},
		{"half the settings", nil, map[string]string{"MEMBRANE_TOKEN": "pat-x"}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := run(context.Background(), tc.args, env(tc.env), &bytes.Buffer{}, &bytes.Buffer{})
			assert.Equal(t, tc.want, exitCode(err), "%v", err)
		})
	}
}

func TestRunNeedsAllOrNoneOfTheSettings(t *testing.T) {
	t.Parallel()
	err := run(context.Background(), nil, env(map[string]string{"MEMBRANE_TOKEN": "pat-x"}), &bytes.Buffer{}, &bytes.Buffer{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "MEMBRANE_API_URL")
}

func TestThousands(t *testing.T) {
	t.Parallel()
	for in, want := range map[float64]string{0: "0", 7.4: "7", 999.6: "1,000", 3912.4: "3,912", 1234567: "1,234,567"} {
		assert.Equal(t, want, thousands(in), "%v", in)
	}
}
