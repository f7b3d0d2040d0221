package membrane_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	membrane "github.com/membrane-community/membrane-go"
	"github.com/membrane-community/membrane-go/fake"
)

// benchWorkspace starts an in-process fake with one workspace.
func benchWorkspace(b *testing.B) (*fake.Server, *membrane.Client, *membrane.OrgWorkspace) {
	b.Helper()
	srv, err := fake.New()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(srv.Close)
	client, err := membrane.NewClient(membrane.WithBaseURL(srv.URL()), membrane.WithToken(srv.AdminToken()),
		membrane.WithHTTPClient(srv.HTTPClient()))
	if err != nil {
		b.Fatal(err)
	}
	ws, err := client.OrgWorkspaces.Create(context.Background(), &membrane.CreateOrgWorkspaceRequest{OrgID: srv.OrgID(), Name: "Acme"})
	if err != nil {
		b.Fatal(err)
	}
	return srv, client, ws
}

// BenchmarkSDKGet reads an org workspace through the SDK, from the in-process fake. Compare
// with BenchmarkHandWrittenGet: the SDK's share is the difference.
func BenchmarkSDKGet(b *testing.B) {
	_, client, ws := benchWorkspace(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := client.OrgWorkspaces.Get(ctx, ws.ID); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHandWrittenGet is the same read as a hand-written net/http request, decoded into
// the same struct.
func BenchmarkHandWrittenGet(b *testing.B) {
	srv, _, ws := benchWorkspace(b)
	hc, url, auth := srv.HTTPClient(), srv.URL()+"/org-workspaces/"+ws.ID, "Bearer "+srv.AdminToken()
	b.ReportAllocs()
	for b.Loop() {
		req, err := http.NewRequest(http.MethodGet, url, nil)
		if err != nil {
			b.Fatal(err)
		}
		req.Header.Set("Authorization", auth)
		req.Header.Set("Accept", "application/json")
		resp, err := hc.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		var out membrane.OrgWorkspace
		err = json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			b.Fatal(resp.StatusCode, err)
		}
	}
}
