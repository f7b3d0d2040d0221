package fake

import (
	"net/http"
	"testing"
)

// A Start that fails half way stops what it started, and can be tried again.
func TestStartIsAllOrNothing(t *testing.T) {
	t.Parallel()
	s, err := New(WithInstances("eu", "us"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	s.instances["us"].listener.addr = "256.0.0.1:1" // cannot listen there
	if err := s.Start(); err == nil {
		t.Fatal("Start succeeded on an address that cannot be listened on")
	}
	if s.listener.listening() || s.instances["eu"].listener.listening() {
		t.Fatal("a failed Start left a listener open")
	}
	if got := s.URL(); got != "http://"+inProcessHubHost {
		t.Fatalf("URL after a failed Start: %s", got)
	}
	s.instances["us"].listener.addr = "127.0.0.1:0"
	if err := s.Start(); err != nil {
		t.Fatalf("Start again: %v", err)
	}
	resp, err := http.Get(s.Instance("us").URL() + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("us answers %d", resp.StatusCode)
	}
}

// One WithSeed option used for two servers gives each the same stream, from its start.
func TestWithSeedOptionIsReusable(t *testing.T) {
	t.Parallel()
	opt := WithSeed(9)
	a, err := New(opt)
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(opt)
	if err != nil {
		t.Fatal(err)
	}
	if a.OrgID() != b.OrgID() || a.AdminToken() != b.AdminToken() {
		t.Fatal("two servers from one WithSeed option differ")
	}
}
