package fake_test

import (
	"fmt"
	"runtime"
	"testing"
	"testing/synctest"
	"time"

	"github.com/membrane-community/membrane-go/fake"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fatalRecorder is a testing.TB whose Fatalf records the message and ends the goroutine, as
// the real one does, without failing the test that runs it.
type fatalRecorder struct {
	testing.TB
	msg      string
	cleanups []func()
}

func (r *fatalRecorder) Fatalf(format string, args ...any) {
	r.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (r *fatalRecorder) Cleanup(f func()) { r.cleanups = append(r.cleanups, f) }

// NewServer inside a testing/synctest bubble fails the test at once, pointing to New and
// HTTPClient, instead of hanging on a real socket; New works there.
func TestNewServerInsideABubble(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		rec := &fatalRecorder{TB: t}
		done := make(chan *fake.Server)
		go func() {
			defer close(done)
			done <- fake.NewServer(rec)
		}()
		srv := <-done
		for _, f := range rec.cleanups {
			f()
		}
		assert.Nil(t, srv)
		assert.Contains(t, rec.msg, "fake.New")
		assert.Contains(t, rec.msg, "HTTPClient")

		// The in-process server works in the bubble, latency included.
		srv2, c := newFake(t)
		addFault(t, srv2, fake.Fault{Path: "/org-workspaces", Latency: 30 * time.Second, Times: 1})
		require.Empty(t, c.ok("GET", "/org-workspaces", nil)["items"])
	})
}
