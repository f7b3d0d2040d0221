package proof

import (
	"sync/atomic"
	"testing"
	"testing/synctest"

	"pgregory.net/rapid"
)

// TestModelInProcess runs random sequences through the SDK against the fake in process, in a
// synctest bubble so that the client's waits between retries take no time. -rapid.checks sets
// how many sequences (100 by default), -rapid.steps their average length.
func TestModelInProcess(t *testing.T) {
	t.Parallel()
	var n counts
	synctest.Test(t, func(t *testing.T) {
		rapid.Check(inBubble{t}, func(t *rapid.T) { run(t, false, &n) })
	})
	t.Logf("%d sequences, %d calls checked against the model", n.sequences.Load(), n.calls.Load())
}

// TestModelLoopback runs random sequences through the SDK against the fake listening on
// loopback ports.
func TestModelLoopback(t *testing.T) {
	t.Parallel()
	var n counts
	rapid.Check(t, func(t *rapid.T) { run(t, true, &n) })
	t.Logf("%d sequences, %d calls checked against the model", n.sequences.Load(), n.calls.Load())
}

// counts counts what a test checked: sequences (shrinking's included) and calls.
type counts struct{ sequences, calls atomic.Int64 }

// inBubble hides from rapid that it runs in a synctest bubble, where t.Deadline may not be
// called.
type inBubble struct{ *testing.T }
