package membrane_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

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

// BenchmarkHandWrittenGet is the same read as a hand-written net/http request (handWrittenGet),
// decoded into the same struct.
func BenchmarkHandWrittenGet(b *testing.B) {
	srv, _, ws := benchWorkspace(b)
	hc, url, auth := srv.HTTPClient(), srv.URL()+"/org-workspaces/"+ws.ID, "Bearer "+srv.AdminToken()
	b.ReportAllocs()
	for b.Loop() {
		if err := handWrittenGet(hc, url, auth); err != nil {
			b.Fatal(err)
		}
	}
}

// loopbackWorkspace starts the fake on a loopback port with one workspace, and returns a client
// of its own keep-alive transport.
func loopbackWorkspace(b *testing.B) (*fake.Server, *http.Client, *membrane.OrgWorkspace) {
	b.Helper()
	srv := fake.NewServer(b)
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	b.Cleanup(hc.CloseIdleConnections)
	client, err := membrane.NewClient(membrane.WithBaseURL(srv.URL()), membrane.WithToken(srv.AdminToken()),
		membrane.WithHTTPClient(hc))
	if err != nil {
		b.Fatal(err)
	}
	ws, err := client.OrgWorkspaces.Create(context.Background(), &membrane.CreateOrgWorkspaceRequest{OrgID: srv.OrgID(), Name: "Acme"})
	if err != nil {
		b.Fatal(err)
	}
	return srv, hc, ws
}

// BenchmarkSDKGetLoopback reads an org workspace through the SDK from the fake over a loopback
// socket. Compare with BenchmarkHandWrittenGetLoopback.
func BenchmarkSDKGetLoopback(b *testing.B) {
	srv, hc, ws := loopbackWorkspace(b)
	client, err := membrane.NewClient(membrane.WithBaseURL(srv.URL()), membrane.WithToken(srv.AdminToken()),
		membrane.WithHTTPClient(hc))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := client.OrgWorkspaces.Get(ctx, ws.ID); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGetLoopbackRatio alternates the SDK's Get and the hand-written request of
// BenchmarkHandWrittenGetLoopback, one of each per iteration over the same connection pool, and
// reports the time of each and their ratio: on a busy machine, the load falls on both alike.
// Which of the two goes first changes from one iteration to the next, as the first request of
// an iteration is the slower one, whatever sends it (by some 10% on a 2-core machine).
func BenchmarkGetLoopbackRatio(b *testing.B) {
	srv, hc, ws := loopbackWorkspace(b)
	client, err := membrane.NewClient(membrane.WithBaseURL(srv.URL()), membrane.WithToken(srv.AdminToken()),
		membrane.WithHTTPClient(hc))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	url, auth := srv.URL()+"/org-workspaces/"+ws.ID, "Bearer "+srv.AdminToken()
	sdkGet := func() error {
		_, err := client.OrgWorkspaces.Get(ctx, ws.ID)
		return err
	}
	handGet := func() error { return handWrittenGet(hc, url, auth) }
	var sdk, hand time.Duration
	first := true // whether the SDK goes first in this iteration
	for b.Loop() {
		a, c := sdkGet, handGet
		if !first {
			a, c = handGet, sdkGet
		}
		start := time.Now()
		if err := a(); err != nil {
			b.Fatal(err)
		}
		mid := time.Now()
		if err := c(); err != nil {
			b.Fatal(err)
		}
		end := time.Now()
		if first {
			sdk, hand = sdk+mid.Sub(start), hand+end.Sub(mid)
		} else {
			hand, sdk = hand+mid.Sub(start), sdk+end.Sub(mid)
		}
		first = !first
	}
	b.ReportMetric(float64(sdk.Nanoseconds())/float64(b.N), "sdk-ns/op")
	b.ReportMetric(float64(hand.Nanoseconds())/float64(b.N), "hand-ns/op")
	b.ReportMetric(float64(sdk)/float64(hand), "sdk/hand")
}

// handWrittenGet reads an org workspace with net/http alone, with the headers the API takes
// (the SDK sends the same ones: its version, User-Agent and the attempt number).
func handWrittenGet(hc *http.Client, url, auth string) error {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", auth)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", membrane.DefaultUserAgent)
	req.Header.Set("Membrane-Api-Version", membrane.APIVersion)
	req.Header.Set("X-Membrane-Attempt", "1")
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	var out membrane.OrgWorkspace
	err = json.NewDecoder(resp.Body).Decode(&out)
	resp.Body.Close()
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("status %d", resp.StatusCode)
	}
	return err
}

// BenchmarkHandWrittenGetLoopback is the same read as a hand-written net/http request over the
// same kind of socket, decoded into the same struct.
func BenchmarkHandWrittenGetLoopback(b *testing.B) {
	srv, hc, ws := loopbackWorkspace(b)
	url, auth := srv.URL()+"/org-workspaces/"+ws.ID, "Bearer "+srv.AdminToken()
	b.ReportAllocs()
	for b.Loop() {
		if err := handWrittenGet(hc, url, auth); err != nil {
			b.Fatal(err)
		}
	}
}
