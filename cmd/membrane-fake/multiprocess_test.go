package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	membrane "github.com/membrane-community/membrane-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// buildBinary builds membrane-fake into a temporary folder.
func buildBinary(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go tool is not on PATH")
	}
	bin := filepath.Join(t.TempDir(), "membrane-fake")
	out, err := exec.Command(goTool, "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "%s", out)
	return bin
}

// process is a running membrane-fake and its first stdout line.
type process struct {
	cmd  *exec.Cmd
	line map[string]any
}

func startProcess(t *testing.T, bin string, args ...string) *process {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "MEMBRANE_FAKE_LOG_LEVEL=warn")
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	p := &process{cmd: cmd}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	lines := make(chan []byte, 1)
	go func() {
		b, _ := bufio.NewReader(stdout).ReadBytes('\n')
		lines <- b
	}()
	select {
	case b := <-lines:
		require.NoError(t, json.Unmarshal(b, &p.line), "first line: %q", b)
	case <-time.After(30 * time.Second):
		t.Fatalf("%v did not announce itself", args)
	}
	return p
}

// stop sends SIGTERM and returns the exit code.
func (p *process) stop(t *testing.T) int {
	t.Helper()
	require.NoError(t, p.cmd.Process.Signal(syscall.SIGTERM))
	err := p.cmd.Wait()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode()
	}
	require.NoError(t, err)
	return 0
}

// TestHubAndInstancesInSeparateProcesses runs the provisioning flow across a hub and two
// instances, each its own process.
func TestHubAndInstancesInSeparateProcesses(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	const engineToken = "engine-token-0123456789"
	eu := startProcess(t, bin, "instance", "--id", "eu", "--engine-token", engineToken)
	us := startProcess(t, bin, "instance", "--id", "us", "--engine-token", engineToken)
	euURL, usURL := eu.line["url"].(string), us.line["url"].(string)
	hub := startProcess(t, bin, "hub", "--engine-token", engineToken, "--instance", "eu="+euURL, "--instance", "us="+usURL)
	hubURL := hub.line["hubUrl"].(string)
	orgID := hub.line["orgId"].(string)

	ctx := context.Background()
	// No retries: the dependency error below must surface at once.
	client, err := membrane.NewClient(membrane.WithBaseURL(hubURL), membrane.WithToken(hub.line["adminToken"].(string)),
		membrane.WithRetryPolicy(membrane.RetryPolicy{MaxAttempts: 1}))
	require.NoError(t, err)

	instances, err := client.Instances.List(ctx, orgID)
	require.NoError(t, err)
	ids := map[string]string{}
	for _, in := range instances {
		ids[in.ID] = in.APIBaseURI
	}
	assert.Equal(t, map[string]string{"hub": hubURL, "eu": euURL, "us": usURL}, ids)

	ws, err := client.OrgWorkspaces.Create(ctx, &membrane.CreateOrgWorkspaceRequest{OrgID: orgID, Name: "EU customer", MembraneInstanceID: "eu"})
	require.NoError(t, err)
	assert.Equal(t, euURL, ws.APIBaseURI)
	ws, err = client.OrgWorkspaces.Update(ctx, ws.ID, &membrane.UpdateOrgWorkspaceRequest{WebhookURI: membrane.Set("https://eu.example/hook")})
	require.NoError(t, err)
	assert.Equal(t, "https://eu.example/hook", ws.WebhookURI)

	// Used through its instance's URL.
	wc, err := client.OrgWorkspaces.Client(ws, &membrane.AccessTokenRequest{IsAdmin: true})
	require.NoError(t, err)
	assert.Equal(t, euURL, wc.BaseURL())
	jane, err := wc.Customers.Create(ctx, &membrane.CreateCustomerRequest{Name: "Jane", InternalID: "jane"})
	require.NoError(t, err)

	// The same token through the hub, which forwards to eu; at us it is refused.
	token, err := client.OrgWorkspaces.AccessToken(ctx, ws.ID, &membrane.AccessTokenRequest{IsAdmin: true})
	require.NoError(t, err)
	viaHub, err := membrane.NewWorkspaceClient(membrane.WithBaseURL(hubURL), membrane.WithToken(token))
	require.NoError(t, err)
	got, err := viaHub.Customers.Get(ctx, jane.ID)
	require.NoError(t, err)
	assert.Equal(t, "Jane", got.Name)
	atUS, err := membrane.NewWorkspaceClient(membrane.WithBaseURL(usURL), membrane.WithToken(token))
	require.NoError(t, err)
	_, err = atUS.Customers.List(ctx, nil)
	assert.ErrorIs(t, err, membrane.ErrNotAuthenticated)

	// Rotation reaches eu: the old token stops working there.
	_, err = client.OrgWorkspaces.RotateSecret(ctx, ws.ID)
	require.NoError(t, err)
	_, err = viaHub.Customers.Get(ctx, jane.ID)
	assert.ErrorIs(t, err, membrane.ErrNotAuthenticated)

	// Archive and restore reach eu too; a second workspace lands on us.
	_, err = client.OrgWorkspaces.Archive(ctx, ws.ID)
	require.NoError(t, err)
	_, err = client.OrgWorkspaces.Restore(ctx, ws.ID)
	require.NoError(t, err)
	onUS, err := client.OrgWorkspaces.Create(ctx, &membrane.CreateOrgWorkspaceRequest{OrgID: orgID, MembraneInstanceID: "us"})
	require.NoError(t, err)
	assert.Equal(t, usURL, onUS.APIBaseURI)

	// An instance that goes away makes changes fail whole, as a dependency error.
	assert.Equal(t, 0, us.stop(t))
	_, err = client.OrgWorkspaces.Update(ctx, onUS.ID, &membrane.UpdateOrgWorkspaceRequest{
		Name: membrane.Set("renamed"), WebhookURI: membrane.Set("https://us.example/hook")})
	assert.ErrorIs(t, err, membrane.ErrDependency)
	after, err := client.OrgWorkspaces.Get(ctx, onUS.ID)
	require.NoError(t, err)
	assert.Equal(t, onUS.Name, after.Name)
	assert.Empty(t, after.WebhookURI)

	assert.Equal(t, 0, hub.stop(t))
	assert.Equal(t, 0, eu.stop(t))
}
