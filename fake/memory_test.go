//go:build !race

// 100,000 requests take many seconds through the race detector: this test runs without it.

package fake_test

import (
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/membrane-community/membrane-go/fake"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// 100,000 POSTs, each with its own Idempotency-Key, do not grow the heap without bound: the
// store of kept answers is capped.
func TestKeyedPostsKeepMemoryBounded(t *testing.T) {
	srv, err := fake.New()
	require.NoError(t, err)
	defer srv.Close()
	h := srv.Handler()
	post := func(from, to int) {
		for i := from; i < to; i++ {
			// A 400 is kept for replay, like a 200, and creates nothing else that stays.
			req := httptest.NewRequest("POST", "/org-workspaces", strings.NewReader(`{}`))
			req.Header.Set("Authorization", "Bearer "+srv.AdminToken())
			req.Header.Set("Idempotency-Key", "key-"+strconv.Itoa(i)+"-"+strings.Repeat("x", 200))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			require.Equal(t, http.StatusBadRequest, rec.Code)
		}
	}
	liveHeap := func() uint64 {
		runtime.GC()
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	post(0, 20_000) // past the cap of kept answers, and of the journal
	before := liveHeap()
	post(20_000, 100_000)
	after := liveHeap()
	grown := int64(after) - int64(before)
	// Kept without a cap, 80,000 more answers and keys would take tens of megabytes.
	assert.Less(t, grown, int64(4<<20), "the heap grew by %d bytes over 80,000 keyed POSTs", grown)
}
