package membrane_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	membrane "github.com/membrane-community/membrane-go"
	"github.com/membrane-community/membrane-go/fake"
)

// A create that fails without a clear answer may still have happened: its error carries the
// Idempotency-Key it sent, and a repeat with that key returns what was done instead of doing it
// again.
func ExampleWithIdempotencyKey() {
	srv, client := newExampleClient()
	defer srv.Close()
	ctx := context.Background()
	// The next create is done, but its answer is lost; and this client does not retry.
	if _, err := srv.Faults().Add(fake.Fault{Method: "POST", Path: "/org-workspaces", DropAnswer: true, Times: 1}); err != nil {
		fmt.Println(err)
		return
	}
	once, err := membrane.NewClient(membrane.WithBaseURL(srv.URL()), membrane.WithToken(srv.AdminToken()),
		membrane.WithHTTPClient(srv.HTTPClient()), membrane.WithRetryPolicy(membrane.NoRetries()))
	if err != nil {
		fmt.Println(err)
		return
	}
	req := &membrane.CreateOrgWorkspaceRequest{OrgID: srv.OrgID(), Name: "Acme"}
	_, err = once.OrgWorkspaces.Create(ctx, req)
	var apiErr *membrane.Error
	if errors.Is(err, membrane.ErrNoResponse) && errors.As(err, &apiErr) {
		fmt.Println("no answer; repeating with the same key")
		_, err = once.OrgWorkspaces.Create(ctx, req, membrane.WithIdempotencyKey(apiErr.IdempotencyKey))
	}
	if err != nil {
		fmt.Println(err)
		return
	}
	page, err := client.OrgWorkspaces.List(ctx, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("workspaces:", len(page.Items))
	// Output:
	// no answer; repeating with the same key
	// workspaces: 1
}

// Do calls an endpoint the client does not wrap, with its authentication, retries and errors;
// WithResponseInto tells what the last answer was.
func ExampleClient_Do() {
	srv, client := newExampleClient()
	defer srv.Close()
	var out struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	var resp membrane.Response
	err := client.Do(context.Background(), http.MethodGet, "/membrane-instances?orgId="+srv.OrgID(), nil, &out,
		membrane.WithResponseInto(&resp))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("instances:", len(out.Items), out.Items[0].ID)
	fmt.Println("status:", resp.StatusCode, "attempts:", resp.Attempts, "request id set:", resp.RequestID != "")
	// Output:
	// instances: 1 hub
	// status: 200 attempts: 1 request id set: true
}
