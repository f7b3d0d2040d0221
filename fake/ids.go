package fake

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"sync"
)

// idSource draws ids, keys, secrets and tokens from one random stream. It is safe for
// concurrent use; reads are serialised so that a deterministic stream stays deterministic.
type idSource struct {
	mu sync.Mutex
	r  io.Reader
}

func (s *idSource) read(b []byte) {
	s.mu.Lock()
	_, err := io.ReadFull(s.r, b)
	s.mu.Unlock()
	if err != nil {
		// A caller's source that ran dry (a short bytes.Reader, say) must not break the
		// server: the rest comes from crypto/rand, which never fails.
		_, _ = rand.Read(b)
	}
}

// objectID returns 24 lowercase hex characters, the shape of the API's ids.
func (s *idSource) objectID() string {
	var b [12]byte
	s.read(b[:])
	return hex.EncodeToString(b[:])
}

// uuid returns a version 4 UUID.
func (s *idSource) uuid() string {
	var b [16]byte
	s.read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// secret returns 32 random bytes, URL-safe base64 without padding.
func (s *idSource) secret() string {
	var b [32]byte
	s.read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// token returns an opaque platform token.
func (s *idSource) platformToken() string {
	var b [24]byte
	s.read(b[:])
	return "pat-" + base64.RawURLEncoding.EncodeToString(b[:])
}
