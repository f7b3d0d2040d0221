package membrane

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// CallOption steers one call: the trailing arguments of every service method and of Do.
// An invalid option makes the call fail before any request, with an error that names it.
type CallOption func(*callSettings) error

// callSettings collects what the options of one call say.
type callSettings struct {
	key    string      // WithIdempotencyKey
	header http.Header // WithHeader
	resp   *Response   // WithResponseInto
}

// Response describes the last answer of a call: given to WithResponseInto, it is filled when the
// call returns, on success and on failure alike.
type Response struct {
	// StatusCode is the status of the last answer, or 0 when there was none.
	StatusCode int
	// Header is the header of the last answer, or nil when there was none.
	Header http.Header
	// RequestID is the X-Request-Id of the last answer.
	RequestID string
	// Attempts is how many requests of the call were sent.
	Attempts int
}

// WithIdempotencyKey makes a change (a POST, PATCH, PUT or DELETE: a create, an update, an
// archive, a restore, an access token, a secret rotation) carry key as its Idempotency-Key
// instead of one made for the call. The server does a key once
// and answers its repeats with the first answer, so the call can be repeated with the same key,
// even from another process, without doing it twice: a key made from your own identifiers
// ("provision-" + customerID) survives a restart. Every attempt of the call carries the key, and
// a failed call reports it in Error.IdempotencyKey.
//
// The key must not be empty or hold a line break; it is refused on the methods that change
// nothing (GET, HEAD, OPTIONS) and on methods this package does not know.
func WithIdempotencyKey(key string) CallOption {
	return func(s *callSettings) error {
		if strings.TrimSpace(key) == "" {
			return errors.New("WithIdempotencyKey: the key is empty")
		}
		if !validHeaderValue(key) {
			return errors.New("WithIdempotencyKey: the key holds a control character")
		}
		s.key = key
		return nil
	}
}

// reservedHeaders are set by the client itself and refused by WithHeader.
var reservedHeaders = map[string]string{
	"Authorization":      "the client authenticates every request itself",
	"Idempotency-Key":    "use WithIdempotencyKey",
	"X-Membrane-Attempt": "the client numbers the attempts itself",
	"Content-Length":     "the client sets it",
	"Transfer-Encoding":  "the client sets it",
	"Host":               "it follows the base URL",
	"Connection":         "the transport manages connections",
}

// WithHeader adds a header to every request of the call (a tracing header, say). A second
// WithHeader with the same name adds another value. The headers the client sets itself
// (Authorization, Idempotency-Key, X-Membrane-Attempt, Content-Length, Transfer-Encoding, Host,
// Connection) are refused; Accept, Content-Type, User-Agent and Membrane-Api-Version are
// replaced.
func WithHeader(name, value string) CallOption {
	return func(s *callSettings) error {
		if !validHeaderName(name) {
			return fmt.Errorf("WithHeader: %q is not a valid header name", name)
		}
		canonical := http.CanonicalHeaderKey(name)
		if why, ok := reservedHeaders[canonical]; ok {
			return fmt.Errorf("WithHeader: %s is refused: %s", canonical, why)
		}
		if !validHeaderValue(value) {
			return fmt.Errorf("WithHeader: the value of %s holds a control character", canonical)
		}
		if s.header == nil {
			s.header = make(http.Header)
		}
		s.header[canonical] = append(s.header[canonical], value)
		return nil
	}
}

// WithResponseInto fills *resp with the facts of the call's last answer when the call returns,
// whether it succeeded or not.
func WithResponseInto(resp *Response) CallOption {
	return func(s *callSettings) error {
		if resp == nil {
			return errors.New("WithResponseInto: the Response is nil")
		}
		s.resp = resp
		return nil
	}
}

// applyCallOptions collects opts for a call of method.
func applyCallOptions(method string, opts []CallOption) (*callSettings, error) {
	s := &callSettings{}
	for i, opt := range opts {
		if opt == nil {
			return nil, fmt.Errorf("call option %d is nil", i)
		}
		if err := opt(s); err != nil {
			return nil, err
		}
	}
	if s.key != "" && !takesKey(method) {
		return nil, fmt.Errorf("WithIdempotencyKey: %s does not take an Idempotency-Key; only POST, PATCH, PUT and DELETE do", method)
	}
	return s, nil
}

// validHeaderName reports whether name is an HTTP token (RFC 9110, section 5.6.2).
func validHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for _, c := range []byte(name) {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// validHeaderValue reports whether v holds no control character but tab.
func validHeaderValue(v string) bool {
	for _, c := range []byte(v) {
		if (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}
