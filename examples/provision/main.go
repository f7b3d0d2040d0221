// Command provision walks the whole workspace-provisioning flow of the Membrane Management API:
// create a workspace for a customer, configure it, mint a token, create a tenant with it, rotate
// the secret and show the old token refused, archive, list and restore.
//
// With MEMBRANE_API_URL, MEMBRANE_TOKEN and MEMBRANE_ORG_ID set it talks to that server;
// otherwise it starts the fake in process, a hub with two instances (eu and us) on loopback, and
// talks to that. The workspace is placed on an instance (MEMBRANE_INSTANCE_ID, or the first one
// the hub lists besides its own), configured through the hub, and used at its instance's URL.
//
//	go run ./examples/provision
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"time"

	membrane "github.com/membrane-community/membrane-go"
	"github.com/membrane-community/membrane-go/fake"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "provision:", err)
		stop()
		os.Exit(1)
	}
}

// target is where the flow runs: a server's base URL, a platform token, an org, and the HTTP
// client that reaches them.
type target struct {
	url, token, orgID string
	httpClient        *http.Client
	describe          string
}

func chooseTarget(getenv func(string) string) (target, func(), error) {
	url, token, org := getenv("MEMBRANE_API_URL"), getenv("MEMBRANE_TOKEN"), getenv("MEMBRANE_ORG_ID")
	switch {
	case url != "" && token != "" && org != "":
		return target{url: url, token: token, orgID: org, httpClient: &http.Client{Timeout: time.Minute},
			describe: "the server at " + url}, func() {}, nil
	case url != "" || token != "" || org != "":
		return target{}, nil, errors.New("set all of MEMBRANE_API_URL, MEMBRANE_TOKEN and MEMBRANE_ORG_ID, or none of them to use the fake")
	}
	srv, err := fake.New(fake.WithInstances("eu", "us"))
	if err != nil {
		return target{}, nil, err
	}
	if err := srv.Start(); err != nil {
		return target{}, nil, err
	}
	return target{url: srv.URL(), token: srv.AdminToken(), orgID: srv.OrgID(), httpClient: srv.HTTPClient(),
		describe: "the fake, started in process at " + srv.URL() + " with instances eu and us" +
			" (set MEMBRANE_API_URL, MEMBRANE_TOKEN and MEMBRANE_ORG_ID for a real server)"}, srv.Close, nil
}

func run(ctx context.Context, out io.Writer, getenv func(string) string) error {
	tg, closeTarget, err := chooseTarget(getenv)
	if err != nil {
		return err
	}
	defer closeTarget()
	step := func(format string, args ...any) { fmt.Fprintf(out, "• "+format+"\n", args...) }
	step("using %s", tg.describe)

	client, err := membrane.NewClient(
		membrane.WithBaseURL(tg.url),
		membrane.WithToken(tg.token),
		membrane.WithHTTPClient(tg.httpClient),
	)
	if err != nil {
		return err
	}
	instanceID, err := chooseInstance(ctx, client, tg.orgID, getenv("MEMBRANE_INSTANCE_ID"), step)
	if err != nil {
		return err
	}
	ws, err := client.OrgWorkspaces.Create(ctx, &membrane.CreateOrgWorkspaceRequest{
		OrgID: tg.orgID, Name: "Acme Inc", MembraneInstanceID: instanceID,
	})
	if err != nil {
		return fmt.Errorf("create workspace: %w", err)
	}
	step("created workspace %q on instance %s: id %s, key %s, secret %v, API at %s",
		ws.Name, orHub(ws.MembraneInstanceID), ws.ID, ws.Key, ws.Secret, ws.APIBaseURI)

	ws, err = client.OrgWorkspaces.Update(ctx, ws.ID, &membrane.UpdateOrgWorkspaceRequest{
		WebhookURI: membrane.Set("https://acme.example/membrane/webhooks"),
		Settings:   membrane.Set(membrane.WorkspaceSettings{EnableAPILogs: membrane.Set(true), EnableWebhookLogs: membrane.Set(true)}),
		Type:       membrane.Set(membrane.WorkspaceTypeDevelopment),
	})
	if err != nil {
		return fmt.Errorf("configure workspace: %w", err)
	}
	step("configured it through the hub: webhook %s, API and webhook logs on, type %s", ws.WebhookURI, ws.Type)

	token, err := client.OrgWorkspaces.AccessToken(ctx, ws.ID, &membrane.AccessTokenRequest{IsAdmin: true})
	if err != nil {
		return fmt.Errorf("mint access token: %w", err)
	}
	wsClient, err := workspaceClient(ws, tg, token)
	if err != nil {
		return err
	}
	step("minted a workspace admin token (%d bytes); the workspace API is used at %s", len(token), wsClient.BaseURL())

	tenant, err := wsClient.Customers.Create(ctx, &membrane.CreateCustomerRequest{Name: "Jane at Acme", InternalID: "acme-user-1"})
	if err != nil {
		return fmt.Errorf("create tenant: %w", err)
	}
	step("created tenant %q (internal id %s) with that token, on the instance: id %s", tenant.Name, tenant.InternalID, tenant.ID)

	secret, err := client.OrgWorkspaces.RotateSecret(ctx, ws.ID)
	if err != nil {
		return fmt.Errorf("rotate secret: %w", err)
	}
	step("rotated the workspace secret (new secret %v)", secret)

	_, err = wsClient.Customers.Get(ctx, tenant.ID)
	var apiErr *membrane.Error
	switch {
	case errors.Is(err, membrane.ErrNotAuthenticated) && errors.As(err, &apiErr):
		step("the old token is refused now: %d %s", apiErr.StatusCode, apiErr.Key)
	case err != nil:
		return fmt.Errorf("use the old token: %w", err)
	default:
		return errors.New("the token signed with the old secret still works after rotation")
	}

	if ws, err = client.OrgWorkspaces.Archive(ctx, ws.ID); err != nil {
		return fmt.Errorf("archive: %w", err)
	}
	step("archived workspace %s at %s", ws.ID, ws.ArchivedAt.Format(time.RFC3339))

	active, all := 0, 0
	for w, err := range client.OrgWorkspaces.All(ctx, &membrane.ListOrgWorkspacesOptions{OrgID: tg.orgID, IncludeArchived: true}) {
		if err != nil {
			return fmt.Errorf("list: %w", err)
		}
		all++
		if w.ArchivedAt == nil {
			active++
		}
	}
	step("listed the org: %d workspace(s), %d active, %d archived", all, active, all-active)

	if ws, err = client.OrgWorkspaces.Restore(ctx, ws.ID); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	step("restored workspace %s: archived=%t", ws.ID, ws.ArchivedAt != nil)
	return nil
}

// chooseInstance picks where the workspace goes: the wanted instance, or the first one the hub
// lists besides its own, or the hub's own when it has no other.
func chooseInstance(ctx context.Context, client *membrane.Client, orgID, wanted string, step func(string, ...any)) (string, error) {
	instances, err := client.Instances.List(ctx, orgID)
	if err != nil {
		return "", fmt.Errorf("list instances: %w", err)
	}
	ids := make([]string, 0, len(instances))
	for _, in := range instances {
		ids = append(ids, in.ID)
	}
	step("the hub offers instances %v", ids)
	if wanted != "" {
		return wanted, nil
	}
	for _, id := range ids {
		if id != "hub" {
			return id, nil
		}
	}
	return "", nil
}

func orHub(instanceID string) string {
	if instanceID == "" {
		return "hub"
	}
	return instanceID
}

// workspaceClient reaches the workspace API of ws with a fixed token.
func workspaceClient(ws *membrane.OrgWorkspace, tg target, token string) (*membrane.WorkspaceClient, error) {
	base := ws.APIBaseURI
	if base == "" {
		base = tg.url
	}
	return membrane.NewWorkspaceClient(
		membrane.WithBaseURL(base),
		membrane.WithToken(token),
		membrane.WithHTTPClient(tg.httpClient),
	)
}
