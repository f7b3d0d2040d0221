package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// admin sends an admin or API request with token to base and decodes the answer.
func admin(t *testing.T, method, url, token, body string) map[string]any {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s %s: %s", method, url, b)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	return m
}

// waitForFile waits until the file exists and holds want (the saver runs on its own).
func waitForFile(t *testing.T, path, want string) []byte {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if b, err := os.ReadFile(path); err == nil && strings.Contains(string(b), want) {
			return b
		}
	}
	t.Fatalf("%s never held %q", path, want)
	return nil
}

// The state survives a restart, saved after each change and on shutdown; the same admin token
// keeps working; a reset goes back to the seed.
func TestStateFileKeepsTheStateAcrossRestarts(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "state.json")
	seed := filepath.Join(dir, "seed.json")
	require.NoError(t, os.WriteFile(seed, []byte(`{"orgs": [{"id": "acme", "name": "Acme",
		"members": [{"token": "pat-acme-admin", "role": "admin"}], "workspaces": [{"id": "ws1", "name": "Seeded"}]}]}`), 0o600))

	line, stop := started(t, "--instances", "eu", "--seed", seed, "--state-file", path, "--log-level", "error")
	hub, token := line["hubUrl"].(string), line["adminToken"].(string)
	waitForFile(t, path, `"ws1"`) // the first save comes without a change
	org := admin(t, "POST", hub+"/_fake/orgs", token, `{"name": "Suite"}`)
	orgToken := org["members"].([]any)[0].(map[string]any)["token"].(string)
	ws := admin(t, "POST", hub+"/org-workspaces", orgToken, `{"orgId": "`+org["id"].(string)+`", "name": "Mine", "membraneInstanceId": "eu"}`)
	waitForFile(t, path, ws["id"].(string)) // saved soon after the change, with no shutdown
	admin(t, "PATCH", hub+"/org-workspaces/"+ws["id"].(string), orgToken, `{"name": "Renamed"}`)
	require.Equal(t, 0, stop())
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Contains(t, string(b), "Renamed", "the shutdown saved the last change")
	info, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "the file holds secrets")

	line, _ = started(t, "--instances", "eu", "--seed", seed, "--state-file", path, "--log-level", "error")
	hub = line["hubUrl"].(string)
	assert.Equal(t, token, line["adminToken"], "the admin token survives the restart")
	got := admin(t, "GET", hub+"/org-workspaces/"+ws["id"].(string), orgToken, "")
	assert.Equal(t, "Renamed", got["name"])
	assert.Equal(t, ws["secret"], got["secret"])
	assert.Equal(t, ws["createdAt"], got["createdAt"])
	assert.Equal(t, "Seeded", admin(t, "GET", hub+"/org-workspaces/ws1", "pat-acme-admin", "")["name"])

	admin(t, "POST", hub+"/_fake/reset", token, "")
	state := admin(t, "GET", hub+"/_fake/state", token, "")
	orgs := state["orgs"].([]any)
	require.Len(t, orgs, 2, "the default org and the seed's")
	assert.Equal(t, token, state["adminToken"])
	waitForFile(t, path, `"acme"`)
}

// A state file that cannot be read or parsed stops the start with exit 1 and is left as it is.
func TestBadStateFileStopsTheStart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
		return p
	}
	tests := map[string]struct {
		args    []string
		path    string
		message string
	}{
		"not JSON":           {nil, write("garbage.json", `{"orgs": [`), "unexpected EOF"},
		"empty":              {nil, write("empty.json", ``), "empty"},
		"unknown field":      {nil, write("unknown.json", `{"orgs": [], "colour": 1}`), "unknown field"},
		"trailing data":      {nil, write("trailing.json", `{"orgs": []} {}`), "after"},
		"an instance's file": {nil, write("instance.json", `{"instanceId": "eu", "workspaces": []}`), "no hub state file"},
		"bad state":          {nil, write("bad.json", `{"orgs": [{"members": [{"token": "x", "role": "admin"}]}]}`), `must start with "pat-"`},
		"a hub's file":       {[]string{"instance", "--id", "eu", "--engine-token", "0123456789abcdef"}, write("hub.json", `{"orgs": []}`), "no instance state file"},
		"another instance's": {[]string{"instance", "--id", "us", "--engine-token", "0123456789abcdef"}, write("eu.json", `{"instanceId": "eu", "workspaces": []}`), `not "us"`},
		"a directory":        {nil, dir, "is a directory"},
		"no directory":       {nil, filepath.Join(dir, "none", "state.json"), "directory does not exist"},
		"an instance's wrong type": {[]string{"instance", "--id", "eu", "--engine-token", "0123456789abcdef"}, write("eu-type.json", `{"instanceId": "eu", "workspaces": "none"}`),
			"workspaces: a JSON string where an array is wanted"},
		"an instance's bad number": {[]string{"instance", "--id", "eu", "--engine-token", "0123456789abcdef"}, write("eu-num.json", `{"instanceId": 7, "workspaces": []}`),
			"instanceId: a JSON number where a string is wanted"},
		"an instance's unknown field": {[]string{"instance", "--id", "eu", "--engine-token", "0123456789abcdef"}, write("eu-unknown.json", `{"instanceId": "eu", "colour": 1}`),
			`unknown field "colour"`},
		"no such instance ws": {nil, write("inst.json", `{"orgs": [{"name": "a", "workspaces": [{"membraneInstanceId": "mars"}]}]}`), "no such instance"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			before, _ := os.ReadFile(tt.path)
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), append(tt.args, "--state-file", tt.path, "--log-level", "error"), noEnv, &stdout, &stderr)
			assert.Equal(t, 1, code)
			assert.Contains(t, stderr.String(), tt.message)
			assert.Contains(t, stderr.String(), "--state-file")
			assert.NotContains(t, stderr.String(), "Go ", "the message speaks of JSON, not Go types")
			assert.NotContains(t, stderr.String(), "fake.", "the message speaks of JSON, not Go types")
			assert.Empty(t, stdout.String())
			after, _ := os.ReadFile(tt.path)
			assert.Equal(t, before, after, "the file is never replaced")
		})
	}
}

// An instance that runs alone keeps its own file.
func TestInstanceStateFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "eu.json")
	args := []string{"instance", "--id", "eu", "--engine-token", "0123456789abcdef", "--state-file", path, "--log-level", "error"}
	line, stop := started(t, args...)
	url := line["url"].(string)
	admin(t, "POST", url+"/workspaces", "0123456789abcdef", `{"workspaceKey": "k1", "workspaceSecret": "secret-0123456789abcdef"}`)
	require.Equal(t, 0, stop())
	waitForFile(t, path, `"k1"`)
	line, _ = started(t, args...)
	got := admin(t, "GET", line["url"].(string)+"/workspaces/k1", "0123456789abcdef", "")
	assert.Equal(t, "k1", got["key"])
}

const childEnv = "MEMBRANE_FAKE_TEST_CHILD"

// TestChildProcess is not a test: it is the binary that TestKillBetweenWriteAndRename kills.
// It serves with a state file whose saves stop for good between the write and the rename once
// the state holds a second org.
func TestChildProcess(t *testing.T) {
	if os.Getenv(childEnv) == "" {
		t.Skip("run by TestKillBetweenWriteAndRename")
	}
	marker := os.Getenv(childEnv)
	block := func(tmp string) error {
		b, err := os.ReadFile(tmp)
		if err == nil && bytes.Count(b, []byte(`"members"`)) > 1 {
			_ = os.WriteFile(marker, []byte(tmp), 0o600)
			select {} // the write is done and synced; the kill comes before the rename
		}
		return nil
	}
	args := strings.Fields(os.Getenv(childEnv + "_ARGS"))
	os.Exit(runWith(context.Background(), args, noEnv, os.Stdout, io.Discard, hooks{beforeRename: block}))
}

// A process killed between writing the new state and renaming it over the file leaves the old
// file whole; the next start reads it and removes the leftover.
func TestKillBetweenWriteAndRename(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "state.json")
	marker := filepath.Join(dir, "blocked")
	cmd := exec.Command(os.Args[0], "-test.run=^TestChildProcess$")
	cmd.Env = append(os.Environ(), childEnv+"="+marker, childEnv+"_ARGS=--state-file "+path)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	var once sync.Once
	kill := func() { once.Do(func() { _ = cmd.Process.Signal(syscall.SIGKILL); _ = cmd.Wait() }) }
	t.Cleanup(kill)
	first, err := bufio.NewReader(stdout).ReadBytes('\n')
	require.NoError(t, err)
	var line map[string]any
	require.NoError(t, json.Unmarshal(first, &line))
	hub, token := line["hubUrl"].(string), line["adminToken"].(string)
	before := waitForFile(t, path, token)

	org := admin(t, "POST", hub+"/_fake/orgs", token, `{"name": "Lost"}`)
	waitForFile(t, marker, ".tmp-")
	kill()

	after, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, before, after, "the state file is the last one saved, whole")
	assert.NotContains(t, string(after), org["id"].(string))
	leftovers, err := filepath.Glob(filepath.Join(dir, ".state.json.tmp-*"))
	require.NoError(t, err)
	require.Len(t, leftovers, 1, "the half-done save is a temporary file beside it")

	line2, _ := started(t, "--state-file", path, "--log-level", "error")
	assert.Equal(t, token, line2["adminToken"], "the next start reads the old file")
	leftovers, err = filepath.Glob(filepath.Join(dir, ".state.json.tmp-*"))
	require.NoError(t, err)
	assert.Empty(t, leftovers, "and removes the leftover")
	state := admin(t, "GET", line2["hubUrl"].(string)+"/_fake/state", token, "")
	assert.Len(t, state["orgs"], 1, "the org made after the last save is lost, and only it")
}

// A save that fails leaves the file as it was.
func TestFailedSaveLeavesTheFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "state.json")
	require.NoError(t, os.WriteFile(path, []byte("old\n"), 0o600))
	sf := newStateFile(path, nil, hooks{beforeRename: func(string) error { return errors.New("power cut") }})
	sf.snapshot = func(context.Context) ([]byte, error) { return []byte("new\n"), nil }
	require.Error(t, sf.save(context.Background()))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "old\n", string(b))
}

// In the one-role-per-process mode each process keeps its own file, and a restart of them all
// finds the workspaces and their customers again.
func TestEachProcessKeepsItsOwnFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	const engine = "engine-token-0123456789"
	hubFile, euFile := filepath.Join(dir, "hub.json"), filepath.Join(dir, "eu.json")
	euArgs := []string{"instance", "--id", "eu", "--engine-token", engine, "--state-file", euFile, "--log-level", "error"}

	eu, stopEU := started(t, euArgs...)
	euURL := eu["url"].(string)
	hubArgs := []string{"hub", "--instance", "eu=" + euURL, "--engine-token", engine, "--state-file", hubFile, "--log-level", "error"}
	line, stopHub := started(t, hubArgs...)
	hub, token := line["hubUrl"].(string), line["adminToken"].(string)
	ws := admin(t, "POST", hub+"/org-workspaces", token, `{"orgId": "`+line["orgId"].(string)+`", "name": "Far", "membraneInstanceId": "eu"}`)
	access := admin(t, "POST", hub+"/org-workspaces/"+ws["id"].(string)+"/access-token", token, `{"isAdmin": true}`)
	customer := admin(t, "POST", hub+"/customers", access["token"].(string), `{"name": "Ann", "internalId": "ann"}`)
	require.Equal(t, 0, stopHub())
	require.Equal(t, 0, stopEU())

	hubSaved, err := os.ReadFile(hubFile)
	require.NoError(t, err)
	euSaved, err := os.ReadFile(euFile)
	require.NoError(t, err)
	assert.Contains(t, string(hubSaved), ws["id"].(string), "the hub keeps its record of the workspace")
	assert.NotContains(t, string(hubSaved), customer["id"].(string), "and not the instance's customers")
	assert.Contains(t, string(euSaved), customer["id"].(string), "the instance keeps them")

	_, _ = started(t, append(euArgs, "--addr", strings.TrimPrefix(euURL, "http://"))...)
	line, _ = started(t, hubArgs...)
	hub = line["hubUrl"].(string)
	assert.Equal(t, token, line["adminToken"])
	access = admin(t, "POST", hub+"/org-workspaces/"+ws["id"].(string)+"/access-token", token, `{"isAdmin": true}`)
	got := admin(t, "GET", hub+"/customers/"+customer["id"].(string), access["token"].(string), "")
	assert.Equal(t, "Ann", got["name"], "through the restarted hub to the restarted instance")
}
