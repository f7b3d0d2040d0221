package fake_test

import (
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/membrane-community/membrane-go/fake"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A hub reuses its connections to an instance in another process.
func TestHubReusesConnectionsToAnInstance(t *testing.T) {
	t.Parallel()
	const engineToken = "engine-token-0123456789"
	inst, err := fake.NewInstance("eu", fake.WithEngineToken(engineToken))
	require.NoError(t, err)
	var conns atomic.Int32
	ts := httptest.NewUnstartedServer(inst)
	ts.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	ts.Start()
	t.Cleanup(ts.Close)

	srv, c := newFake(t, fake.WithRemoteInstance("eu", ts.URL, engineToken))
	for range 20 {
		ws := c.ok("POST", "/org-workspaces", map[string]any{"orgId": srv.OrgID(), "membraneInstanceId": "eu"})
		c.ok("PATCH", "/org-workspaces/"+ws["id"].(string), map[string]any{"webhookUri": "https://x.example"})
	}
	assert.Equal(t, int32(1), conns.Load(), "40 calls, one connection")
}

// Close leaves no goroutine behind: listeners, connections and instances all end.
func TestCloseLeavesNoGoroutine(t *testing.T) {
	// Not parallel: it counts the process's goroutines.
	before := runtime.NumGoroutine()
	for range 3 {
		srv, err := fake.New(fake.WithInstances("eu", "us"))
		require.NoError(t, err)
		require.NoError(t, srv.Start())
		c := newCaller(t, srv, srv.AdminToken())
		ws := c.ok("POST", "/org-workspaces", map[string]any{"orgId": srv.OrgID(), "membraneInstanceId": "eu"})
		tok := c.mint(ws["id"].(string), map[string]any{"isAdmin": true})
		for _, url := range []string{srv.URL(), srv.Instance("eu").URL()} {
			req, err := http.NewRequest("GET", url+"/customers", nil)
			require.NoError(t, err)
			req.Header.Set("Authorization", "Bearer "+tok)
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
		}
		srv.Close()
	}
	http.DefaultClient.CloseIdleConnections()
	// Connection goroutines end just after their connection closes: give them a moment.
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		runtime.Gosched()
		time.Sleep(time.Millisecond)
	}
	assert.LessOrEqual(t, runtime.NumGoroutine(), before)
}
