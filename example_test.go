package membrane_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	membrane "github.com/membrane-community/membrane-go"
	"github.com/membrane-community/membrane-go/fake"
)

// newExampleClient starts an in-process fake and returns a client for it.
func newExampleClient() (*fake.Server, *membrane.Client) {
	srv, err := fake.New()
	if err != nil {
		panic(err)
	}
	client, err := membrane.NewClient(
		membrane.WithBaseURL(srv.URL()),
		membrane.WithToken(srv.AdminToken()),
		membrane.WithHTTPClient(srv.HTTPClient()),
	)
	if err != nil {
		panic(err)
	}
	return srv, client
}

func ExampleOrgWorkspacesService_Create() {
	srv, client := newExampleClient()
	defer srv.Close()
	ctx := context.Background()

	ws, err := client.OrgWorkspaces.Create(ctx, &membrane.CreateOrgWorkspaceRequest{OrgID: srv.OrgID(), Name: "Acme Inc"})
	if err != nil {
		fmt.Println(err)
		return
	}
	ws, err = client.OrgWorkspaces.Update(ctx, ws.ID, &membrane.UpdateOrgWorkspaceRequest{
		WebhookURI: membrane.Set("https://acme.example/hooks"),
		Settings:   membrane.Set(membrane.WorkspaceSettings{EnableAPILogs: membrane.Set(true)}),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("name:", ws.Name)
	fmt.Println("webhook:", ws.WebhookURI)
	fmt.Println("api logs:", ws.Settings.EnableAPILogs)
	fmt.Println("secret:", ws.Secret)
	fmt.Println("secret length:", len(ws.Secret.Reveal()))
	// Output:
	// name: Acme Inc
	// webhook: https://acme.example/hooks
	// api logs: true
	// secret: [REDACTED]
	// secret length: 43
}

func ExampleOrgWorkspacesService_All() {
	srv, client := newExampleClient()
	defer srv.Close()
	ctx := context.Background()
	for _, name := range []string{"Alpha", "Beta", "Gamma", "Delta", "Epsilon"} {
		if _, err := client.OrgWorkspaces.Create(ctx, &membrane.CreateOrgWorkspaceRequest{OrgID: srv.OrgID(), Name: name}); err != nil {
			fmt.Println(err)
			return
		}
	}
	// Two per page: All fetches the next page when the loop needs it.
	for ws, err := range client.OrgWorkspaces.All(ctx, &membrane.ListOrgWorkspacesOptions{OrgID: srv.OrgID(), Limit: 2}) {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(ws.Name)
	}
	// Output:
	// Alpha
	// Beta
	// Gamma
	// Delta
	// Epsilon
}

func ExampleOrgWorkspacesService_Client() {
	srv, client := newExampleClient()
	defer srv.Close()
	ctx := context.Background()
	ws, err := client.OrgWorkspaces.Create(ctx, &membrane.CreateOrgWorkspaceRequest{OrgID: srv.OrgID(), Name: "Acme Inc"})
	if err != nil {
		fmt.Println(err)
		return
	}
	// A workspace client at the workspace's instance, with a token the hub mints (and re-mints).
	wc, err := client.OrgWorkspaces.Client(ws, &membrane.AccessTokenRequest{IsAdmin: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	c, err := wc.Customers.Create(ctx, &membrane.CreateCustomerRequest{Name: "Jane", InternalID: "user-1"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.Name, c.InternalID)

	_, err = wc.Customers.Create(ctx, &membrane.CreateCustomerRequest{Name: "Jane again", InternalID: "user-1"})
	fmt.Println("duplicate:", errors.Is(err, membrane.ErrAlreadyExists))
	// Output:
	// Jane user-1
	// duplicate: true
}

func ExampleMintWorkspaceToken() {
	srv, client := newExampleClient()
	defer srv.Close()
	ctx := context.Background()
	ws, err := client.OrgWorkspaces.Create(ctx, &membrane.CreateOrgWorkspaceRequest{OrgID: srv.OrgID()})
	if err != nil {
		fmt.Println(err)
		return
	}
	// Whoever holds the workspace secret mints tokens offline. A tenant key the workspace does not
	// know yet creates that tenant on first use.
	token, err := membrane.MintWorkspaceToken(ws.Key, ws.Secret, membrane.WorkspaceClaims{TenantKey: "user-42", Name: "Ada"})
	if err != nil {
		fmt.Println(err)
		return
	}
	wc, err := membrane.NewWorkspaceClient(
		membrane.WithBaseURL(ws.APIBaseURI),
		membrane.WithToken(token),
		membrane.WithHTTPClient(srv.HTTPClient()),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	self, err := wc.Self(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(self.Name, self.InternalID)
	// Output:
	// Ada user-42
}

func ExampleError() {
	srv, client := newExampleClient()
	defer srv.Close()
	_, err := client.OrgWorkspaces.Get(context.Background(), "000000000000000000000000")
	fmt.Println(errors.Is(err, membrane.ErrNotFound))

	var apiErr *membrane.Error
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.StatusCode, apiErr.Key, apiErr.Attempts)
	}
	// Output:
	// true
	// 404 not_found 1
}

// A create whose answer is lost on the way back is retried with the same Idempotency-Key, and
// the server answers the retry with the workspace it made the first time: one workspace.
func ExampleRetryPolicy() {
	srv, err := fake.New()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	// The fake makes the next create happen but drops its answer.
	if _, err := srv.Faults().Add(fake.Fault{Method: "POST", Path: "/org-workspaces", DropAnswer: true, Times: 1}); err != nil {
		fmt.Println(err)
		return
	}
	client, err := membrane.NewClient(
		membrane.WithBaseURL(srv.URL()),
		membrane.WithToken(srv.AdminToken()),
		membrane.WithHTTPClient(srv.HTTPClient()),
		membrane.WithRetryPolicy(membrane.RetryPolicy{MaxAttempts: 5, MinWait: time.Millisecond, MaxWait: 10 * time.Millisecond}),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	if _, err := client.OrgWorkspaces.Create(ctx, &membrane.CreateOrgWorkspaceRequest{OrgID: srv.OrgID(), Name: "Acme"}); err != nil {
		fmt.Println(err)
		return
	}
	list, err := client.OrgWorkspaces.List(ctx, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("workspaces:", len(list.Items))
	for _, e := range srv.Journal() {
		if e.Method == "POST" && e.Path == "/org-workspaces" {
			fmt.Printf("attempt %s: status %d, same key: %t\n", e.Attempt, e.Status, e.IdempotencyKey != "")
		}
	}
	// Output:
	// workspaces: 1
	// attempt 1: status 0, same key: true
	// attempt 2: status 200, same key: true
}

// A test that sets the fake's clock (fake.WithClock) mints workspace tokens offline with that
// same clock: the fake checks a token's exp against its own time, so a token minted with the
// wall clock is expired in the fake's year 2100.
func ExampleMintWorkspaceToken_fakeClock() {
	clock := func() time.Time { return time.Date(2100, 1, 1, 12, 0, 0, 0, time.UTC) }
	srv, err := fake.New(fake.WithClock(clock))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	ctx := context.Background()
	client, err := membrane.NewClient(membrane.WithBaseURL(srv.URL()), membrane.WithToken(srv.AdminToken()),
		membrane.WithHTTPClient(srv.HTTPClient()))
	if err != nil {
		fmt.Println(err)
		return
	}
	ws, err := client.OrgWorkspaces.Create(ctx, &membrane.CreateOrgWorkspaceRequest{OrgID: srv.OrgID(), Name: "Acme"})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, mint := range []struct {
		name   string
		claims membrane.WorkspaceClaims
	}{
		{"the wall clock", membrane.WorkspaceClaims{}},
		{"the fake's clock", membrane.WorkspaceClaims{Now: clock}},
	} {
		token, err := membrane.MintWorkspaceToken(ws.Key, ws.Secret, mint.claims)
		if err != nil {
			fmt.Println(err)
			return
		}
		wc, err := membrane.NewWorkspaceClient(membrane.WithBaseURL(srv.URL()), membrane.WithToken(token),
			membrane.WithHTTPClient(srv.HTTPClient()))
		if err != nil {
			fmt.Println(err)
			return
		}
		_, err = wc.Customers.List(ctx, nil)
		fmt.Printf("minted with %s: accepted %t\n", mint.name, err == nil)
	}
	// Output:
	// minted with the wall clock: accepted false
	// minted with the fake's clock: accepted true
}
