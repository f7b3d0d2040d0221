package fake_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/membrane-community/membrane-go/fake"
)

// A fake built with New has no socket: its HTTPClient reaches it in process.
func ExampleNew() {
	srv, err := fake.New(fake.WithSeed(1)) // a seed makes ids, keys and tokens repeat from run to run
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()

	body := strings.NewReader(`{"orgId": "` + srv.OrgID() + `", "name": "Acme"}`)
	req, err := http.NewRequest("POST", srv.URL()+"/org-workspaces", body)
	if err != nil {
		fmt.Println(err)
		return
	}
	req.Header.Set("Authorization", "Bearer "+srv.AdminToken())
	resp, err := srv.HTTPClient().Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, strings.Contains(string(b), `"name":"Acme"`))

	// A read-only member may look but not create.
	viewer := srv.AddMember(srv.OrgID(), fake.RoleReadOnly)
	req, _ = http.NewRequest("POST", srv.URL()+"/org-workspaces", strings.NewReader(`{"orgId": "`+srv.OrgID()+`"}`))
	req.Header.Set("Authorization", "Bearer "+viewer)
	resp, err = srv.HTTPClient().Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	b, _ = io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, strings.TrimSpace(string(b)))
	// Output:
	// 200 true
	// 403 {"type":"bad_request","key":"access_denied","message":"role read-only may not do this in org c8496db7fef55fe0e125750a"}
}

// Faults make the fake misbehave on purpose, so that a test can check its own error paths; the
// journal shows what the code under test sent.
func ExampleFaults() {
	srv, err := fake.New()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	// The next list is refused with 429 and a Retry-After of 30 seconds.
	if _, err := srv.Faults().Add(fake.Fault{Method: "GET", Path: "/org-workspaces", Status: 429, RetryAfter: 30, Times: 1}); err != nil {
		fmt.Println(err)
		return
	}
	for range 2 {
		req, _ := http.NewRequest("GET", srv.URL()+"/org-workspaces", nil)
		req.Header.Set("Authorization", "Bearer "+srv.AdminToken())
		resp, err := srv.HTTPClient().Do(req)
		if err != nil {
			fmt.Println(err)
			return
		}
		resp.Body.Close()
		fmt.Printf("status %d, Retry-After %q\n", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	for _, e := range srv.Journal() {
		fmt.Printf("journal: %s %s %d fault=%q\n", e.Method, e.Path, e.Status, e.Fault)
	}
	// Output:
	// status 429, Retry-After "30"
	// status 200, Retry-After ""
	// journal: GET /org-workspaces 429 fault="fault-1"
	// journal: GET /org-workspaces 200 fault=""
}
