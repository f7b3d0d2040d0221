package fake

import (
	"context"
	"crypto/sha256"
	"fmt"
	"sync"
	"time"
)

// idempotencyTTL is how long the response to a change is kept for replay under its
// Idempotency-Key.
const idempotencyTTL = 24 * time.Hour

// A store keeps at most maxIdemResponses responses, and responses of at most maxIdemBytes bytes in
// all (as encoded): past either, the oldest responses are forgotten before their TTL, and a
// repeat of a forgotten key runs as a new request. Requests in progress are not counted.
const (
	maxIdemResponses = 10000
	maxIdemBytes     = 64 << 20
)

// idempotency remembers the responses to changes (POST, PATCH, PUT, DELETE; see keyedMethod) sent
// with an Idempotency-Key, per caller, so that a repeat returns the first response instead of
// acting twice. Responses that mean nothing happened (429 and 5xx) are not kept: the next
// attempt runs again.
type idempotency struct {
	now func() time.Time

	mu      sync.Mutex
	entries map[idemKey]*idemEntry
	fifo    []*idemEntry // finished entries, oldest first, for expiry
	bytes   int          // the size of the responses in fifo
	limits  idemLimits
}

// idemLimits caps a store: maxIdemResponses and maxIdemBytes, smaller in tests.
type idemLimits struct{ responses, bytes int }

type idemKey struct{ caller, key string }

// idemEntry is a claimed key: in flight until finish, then the response to replay. The response is
// kept as the handler's value (an immutable version of the thing it made, which the store holds
// anyway) rather than its bytes, and encoded again on a replay: the same value makes the same
// bytes.
type idemEntry struct {
	key         idemKey
	fingerprint [32]byte
	done        chan struct{} // closed and dropped by finish; guarded by mu
	// Set before done is closed.
	kept  bool
	value any
	err   *apiError
	at    time.Time
	size  int // the encoded response's length
}

func newIdempotency(now func() time.Time) *idempotency {
	return &idempotency{now: now, entries: make(map[idemKey]*idemEntry),
		limits: idemLimits{responses: maxIdemResponses, bytes: maxIdemBytes}}
}

func fingerprint(method, path string, body []byte) [32]byte {
	h := sha256.New()
	h.Write([]byte(method))
	h.Write([]byte{0})
	h.Write([]byte(path))
	h.Write([]byte{0})
	h.Write(body)
	var fp [32]byte
	h.Sum(fp[:0])
	return fp
}

// begin claims (caller, key). It returns the earlier entry to replay, or a new entry that the
// caller must finish. A repeat with another request is an error; a repeat while the first is
// still running waits for it.
func (s *idempotency) begin(ctx context.Context, caller, key string, fp [32]byte) (replay, claimed *idemEntry, _ *apiError) {
	k := idemKey{caller, key}
	for {
		s.mu.Lock()
		s.expire()
		e := s.entries[k]
		if e == nil {
			e = &idemEntry{key: k, fingerprint: fp, done: make(chan struct{})}
			s.entries[k] = e
			s.mu.Unlock()
			return nil, e, nil
		}
		done := e.done
		s.mu.Unlock()
		if e.fingerprint != fp {
			e := errBadRequest("Idempotency-Key %q was already used with a different request", key)
			e.Key = keyIdempotencyKeyReused
			return nil, nil, e
		}
		if done != nil {
			select {
			case <-done:
			case <-ctx.Done():
				return nil, nil, errConflictInFlight(key)
			}
		}
		s.mu.Lock()
		kept := e.kept
		s.mu.Unlock()
		if kept {
			return e, nil, nil
		}
		// The first attempt did nothing; claim the key again.
	}
}

// finish records the response of a claimed entry, size bytes once encoded, and wakes any repeat
// waiting on it.
func (s *idempotency) finish(e *idemEntry, status int, value any, err *apiError, size int) {
	s.mu.Lock()
	if status == 429 || status >= 500 {
		if s.entries[e.key] == e {
			delete(s.entries, e.key)
		}
	} else {
		e.kept, e.value, e.err, e.at, e.size = true, value, err, s.now(), size
		s.fifo = append(s.fifo, e)
		s.bytes += size
		s.trim()
	}
	close(e.done)
	e.done = nil
	s.mu.Unlock()
}

// expire drops responses older than the TTL. Called with mu held.
func (s *idempotency) expire() {
	if len(s.fifo) == 0 {
		return
	}
	cutoff := s.now().Add(-idempotencyTTL)
	n := 0
	for n < len(s.fifo) && s.fifo[n].at.Before(cutoff) {
		n++
	}
	s.forget(n)
}

// trim forgets the oldest responses while the store holds more than its limits. Called with mu
// held.
func (s *idempotency) trim() {
	n, bytes := 0, s.bytes
	for n < len(s.fifo) && (len(s.fifo)-n > s.limits.responses || bytes > s.limits.bytes) {
		bytes -= s.fifo[n].size
		n++
	}
	s.forget(n)
}

// forget drops the n oldest responses. Called with mu held.
func (s *idempotency) forget(n int) {
	if n == 0 {
		return
	}
	for i, e := range s.fifo[:n] {
		if s.entries[e.key] == e {
			delete(s.entries, e.key)
		}
		s.bytes -= e.size
		e.kept = false // a repeat that found it before runs as a new request
		s.fifo[i] = nil
	}
	s.fifo = s.fifo[n:]
}

// The error keys of an Idempotency-Key that cannot be honoured.
const (
	keyIdempotencyKeyReused = "idempotency_key_reused" // 400: the key came with another request
	keyIdempotencyKeyInUse  = "idempotency_key_in_use" // 409: the first request is still running
)

func errConflictInFlight(key string) *apiError {
	return &apiError{status: 409, Type: typeBadRequest, Key: keyIdempotencyKeyInUse,
		Message: fmt.Sprintf("a request with Idempotency-Key %q is still in progress", key)}
}
