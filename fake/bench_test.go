package fake_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"testing"

	"github.com/membrane-community/membrane-go/fake"
	"github.com/membrane-community/membrane-go/internal/bare"
)

// The benchmarks of this file measure the fake against the bare reference handler of
// internal/bare, in the same run: compare each BenchmarkX with BenchmarkBareX. BENCHMARKS.md
// has the commands and this machine's figures.

func BenchmarkBareNewClose(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = bare.New()
	}
}

// BenchmarkNewClose builds the whole fake (a hub and two instances) in process and closes it.
func BenchmarkNewClose(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		srv, err := fake.New(fake.WithInstances("eu", "us"))
		if err != nil {
			b.Fatal(err)
		}
		srv.Close()
	}
}

// BenchmarkBareHTTPTestNewClose starts and closes three httptest servers: the listeners of a
// hub and two instances.
func BenchmarkBareHTTPTestNewClose(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		for range 3 {
			httptest.NewServer(bare.New()).Close()
		}
	}
}

// BenchmarkNewServerListeners is NewServer's work: the fake with a hub and two instances, each
// on its loopback port, then closed.
func BenchmarkNewServerListeners(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		srv, err := fake.New(fake.WithInstances("eu", "us"))
		if err != nil {
			b.Fatal(err)
		}
		if err := srv.Start(); err != nil {
			b.Fatal(err)
		}
		srv.Close()
	}
}

// serve runs one request through h in process and fails on an unexpected status.
func serve(b *testing.B, h http.Handler, method, url, token string, body []byte) *httptest.ResponseRecorder {
	var req *http.Request
	if body != nil {
		req = httptest.NewRequest(method, url, bytes.NewReader(body))
	} else {
		req = httptest.NewRequest(method, url, nil)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		b.Fatalf("%s %s: %d %s", method, url, rec.Code, rec.Body)
	}
	return rec
}

// loop sends the same request through h b.N times, with as little of its own work as it can
// (one request, one writer, reused), so that what is measured is the handler's.
func loop(b *testing.B, h http.Handler, method, url, token string, body []byte) {
	b.Helper()
	loopKeyed(b, h, method, url, token, body, false)
}

// loopKeyed is loop, with an Idempotency-Key of its own on each request when keyed is set, as
// the SDK sends.
func loopKeyed(b *testing.B, h http.Handler, method, url, token string, body []byte, keyed bool) {
	b.Helper()
	req := httptest.NewRequest(method, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rd := bytes.NewReader(body)
	w := &discardWriter{header: make(http.Header, 4)}
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		if keyed {
			n++
			req.Header["Idempotency-Key"] = []string{"bench-" + strconv.Itoa(n)}
		}
		if body != nil {
			rd.Reset(body)
			req.Body, req.ContentLength = io.NopCloser(rd), int64(len(body))
		}
		clear(w.header)
		w.code = 0
		h.ServeHTTP(w, req)
		if w.code != http.StatusOK {
			b.Fatalf("%s %s: %d", method, url, w.code)
		}
	}
}

// discardWriter is a ResponseWriter that keeps the status and drops the body.
type discardWriter struct {
	header http.Header
	code   int
}

func (w *discardWriter) Header() http.Header { return w.header }

func (w *discardWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
}

func (w *discardWriter) Write(p []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return len(p), nil
}

func BenchmarkBareGet(b *testing.B) {
	h := bare.New()
	serve(b, h, "POST", "/items", "", []byte(`{"name":"Acme","orgId":"o1"}`))
	loop(b, h, "GET", "/items/1", "", nil)
}

func BenchmarkBareCreate(b *testing.B) {
	loop(b, bare.New(), "POST", "/items", "", []byte(`{"name":"Acme","orgId":"o1"}`))
}

// benchFake is a fake with a hub and two instances, and one workspace on the hub's instance.
func benchFake(b *testing.B) (*fake.Server, string) {
	b.Helper()
	srv, err := fake.New(fake.WithInstances("eu", "us"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(srv.Close)
	rec := serve(b, srv.Handler(), "POST", srv.URL()+"/org-workspaces", srv.AdminToken(), []byte(`{"orgId":"`+srv.OrgID()+`","name":"Acme"}`))
	var ws struct{ ID string }
	if err := json.Unmarshal(rec.Body.Bytes(), &ws); err != nil {
		b.Fatal(err)
	}
	return srv, ws.ID
}

// BenchmarkGet reads an org workspace.
func BenchmarkGet(b *testing.B) {
	srv, id := benchFake(b)
	loop(b, srv.Handler(), "GET", srv.URL()+"/org-workspaces/"+id, srv.AdminToken(), nil)
}

// BenchmarkCreate creates org workspaces on the hub's own instance.
func BenchmarkCreate(b *testing.B) {
	srv, _ := benchFake(b)
	loop(b, srv.Handler(), "POST", srv.URL()+"/org-workspaces", srv.AdminToken(),
		[]byte(`{"orgId":"`+srv.OrgID()+`","name":"Acme"}`))
}

// BenchmarkCreateKeyed creates org workspaces on the hub's own instance, each request with an
// Idempotency-Key of its own, as the SDK sends.
func BenchmarkCreateKeyed(b *testing.B) {
	srv, _ := benchFake(b)
	loopKeyed(b, srv.Handler(), "POST", srv.URL()+"/org-workspaces", srv.AdminToken(),
		[]byte(`{"orgId":"`+srv.OrgID()+`","name":"Acme"}`), true)
}

// BenchmarkCreateTwoHops creates org workspaces on another instance: hub, then instance.
func BenchmarkCreateTwoHops(b *testing.B) {
	srv, _ := benchFake(b)
	loop(b, srv.Handler(), "POST", srv.URL()+"/org-workspaces", srv.AdminToken(),
		[]byte(`{"orgId":"`+srv.OrgID()+`","name":"Acme","membraneInstanceId":"eu"}`))
}

// BenchmarkAccessToken mints workspace tokens.
func BenchmarkAccessToken(b *testing.B) {
	srv, id := benchFake(b)
	loop(b, srv.Handler(), "POST", srv.URL()+"/org-workspaces/"+id+"/access-token", srv.AdminToken(),
		[]byte(`{"tenantKey":"t1"}`))
}

// BenchmarkScale reads, creates and lists with 0 to 100,000 workspaces stored, to show that
// each costs the same whatever the store holds.
func BenchmarkScale(b *testing.B) {
	for _, n := range []int{0, 1000, 10000, 100000} {
		srv, id := benchFake(b)
		h, tok := srv.Handler(), srv.AdminToken()
		body := []byte(`{"orgId":"` + srv.OrgID() + `","name":"Acme"}`)
		for range max(n, 100) {
			serve(b, h, "POST", srv.URL()+"/org-workspaces", tok, body)
		}
		b.Run(fmt.Sprintf("n=%d/get", n), func(b *testing.B) {
			loop(b, h, "GET", srv.URL()+"/org-workspaces/"+id, tok, nil)
		})
		b.Run(fmt.Sprintf("n=%d/list", n), func(b *testing.B) {
			// A full page from the middle of what is stored (from the start when empty).
			loop(b, h, "GET", srv.URL()+"/org-workspaces?limit=100&cursor="+fmt.Sprint(n/2), tok, nil)
		})
		b.Run(fmt.Sprintf("n=%d/create", n), func(b *testing.B) {
			loop(b, h, "POST", srv.URL()+"/org-workspaces", tok, body)
		})
	}
}

// BenchmarkMemoryPerWorkspace reports the heap each stored workspace costs (hub and instance
// together, with the idempotency record of the create that made it), as B/workspace, over
// 100,000 creates. It measures once, whatever -benchtime says.
func BenchmarkMemoryPerWorkspace(b *testing.B) {
	const n = 100000
	srv, err := fake.New()
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	h, url, tok := srv.Handler(), srv.URL()+"/org-workspaces", srv.AdminToken()
	body := []byte(`{"orgId":"` + srv.OrgID() + `","name":"Acme Workspace"}`)
	before := heapInUse()
	for i := range n {
		req := httptest.NewRequest("POST", url, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Idempotency-Key", fmt.Sprintf("bulk-run-%08d", i))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatal(rec.Code, rec.Body)
		}
	}
	srv.ResetJournal() // bounded, and no part of what a workspace costs
	perWorkspace := float64(heapInUse()-before) / n
	runtime.KeepAlive(srv)
	for b.Loop() {
	}
	b.ReportMetric(perWorkspace, "B/workspace")
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
