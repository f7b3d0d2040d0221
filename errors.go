package membrane

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Sentinel errors, matched with errors.Is against the *Error that every failed call returns.
var (
	// ErrBadRequest matches every 400 answer, including ErrAlreadyExists and a reused
	// Idempotency-Key (key "idempotency_key_reused").
	ErrBadRequest = errors.New("membrane: bad request")
	// ErrNotAuthenticated matches 401: the token is missing, unknown, expired or of the wrong kind.
	ErrNotAuthenticated = errors.New("membrane: not authenticated")
	// ErrAccessDenied matches 403: the caller's role may not do this.
	ErrAccessDenied = errors.New("membrane: access denied")
	// ErrNotFound matches 404: the object does not exist or the caller may not see it.
	ErrNotFound = errors.New("membrane: not found")
	// ErrConflict matches 409: a request with the same Idempotency-Key is still in progress (key
	// "idempotency_key_in_use"), or a change raced with another one (key "version_conflict").
	// Nothing was done; the same call may be repeated.
	ErrConflict = errors.New("membrane: conflict")
	// ErrAlreadyExists matches an answer whose key is "already_exists".
	ErrAlreadyExists = errors.New("membrane: already exists")
	// ErrRateLimited matches 429; see Error.RetryAfter.
	ErrRateLimited = errors.New("membrane: rate limited")
	// ErrInternal matches 500, and any other answer whose type is "internal" except those that
	// match ErrUnavailable.
	ErrInternal = errors.New("membrane: internal server error")
	// ErrUnavailable matches 503 and 504, and a 502 that is not the API's own dependency error
	// (say, a proxy's HTML page): the server or a proxy in front of it could not serve the
	// request for now.
	ErrUnavailable = errors.New("membrane: service unavailable")
	// ErrDependency matches only the API's own answer of type "dependency_error": the hub could
	// not reach the instance that hosts the workspace, and nothing was changed.
	ErrDependency = errors.New("membrane: dependency error")
	// ErrNoResponse matches a call that got no complete answer: the connection was refused or
	// reset, the answer was cut short, or time ran out. Error.StatusCode is 0 when no status was
	// read, and the status of the answer when its body was cut. A change may still have been
	// done: repeat it with the same Error.IdempotencyKey (see WithIdempotencyKey) to do it at most
	// once. It also matches an error whose MaybeApplied is set: an earlier attempt of the call got
	// no complete answer, so the last attempt's answer does not say what was done.
	ErrNoResponse = errors.New("membrane: no response")
)

// Error types and keys of the wire contract.
const (
	errorTypeBadRequest = "bad_request"
	errorTypeInternal   = "internal"
	errorTypeDependency = "dependency_error"
	keyAlreadyExists    = "already_exists"
)

// maxErrorBody bounds how much of an error answer is read; maxSnippet bounds the part of a
// non-JSON answer that becomes the message.
const (
	maxErrorBody = 1 << 20
	maxSnippet   = 200
)

// Error is the error of every call that failed once it was under way: an answer with a non-2xx
// status, an answer that is not what the API promises, or no complete answer at all
// (ErrNoResponse). Match it with errors.Is and the sentinels (ErrNotFound, ...), or get at its
// fields with errors.As.
type Error struct {
	// StatusCode is the HTTP status of the last answer, or 0 when none was read.
	StatusCode int
	// Type is the error type of the body ("bad_request", "internal", "dependency_error"), or,
	// when the body says none, one derived from StatusCode. Empty without an answer.
	Type string
	// Key refines Type, e.g. "not_found", "already_exists", "rate_limit_exceeded". It may be empty.
	Key string
	// Message is the server's explanation, a short snippet of a body that was not JSON, or what
	// went wrong when there was no complete answer.
	Message string
	// Data holds structured details; validation errors put {"fields": {...}} here (see FieldErrors).
	Data map[string]any
	// RequestID is the X-Request-Id header of the last answer, for support requests.
	RequestID string
	// Method and URL name the call; URL never holds user information.
	Method string
	URL    string
	// IdempotencyKey is the Idempotency-Key that every attempt of a change (POST, PATCH, PUT,
	// DELETE) carried. Give it back with WithIdempotencyKey to repeat the call without the risk of
	// doing it twice.
	IdempotencyKey string
	// Attempts is how many requests of the call were sent.
	Attempts int
	// MaybeApplied reports that the outcome of a change (POST, PATCH, PUT, DELETE) is unknown: an
	// attempt of the call ended without a complete answer after its request may have reached the
	// server, so an earlier attempt may have made the change although the call failed (say, a
	// create whose answer was lost, then a retry refused 401 because the secret was rotated in
	// between). Such an error also matches ErrNoResponse, besides the sentinel of its status.
	// Once the cause is fixed, repeat the call with Error.IdempotencyKey (see WithIdempotencyKey)
	// to make the change at most once, or check whether it was made.
	MaybeApplied bool
	// RetryAfter is the wait the server asked for in a Retry-After header (429 or 503), or 0.
	RetryAfter time.Duration
	// Err is the cause of a failure without a complete answer (a connection error, the end of
	// the context, ...) or of an answer that could not be read; nil for an answer the server gave.
	Err error

	noResponse bool // no complete answer: matches ErrNoResponse
}

// Error returns every fact of e on one line, such as
// `membrane: GET https://api.example/org-workspaces/ws1: 404 not_found: no such workspace
// (request id r-1, 1 attempt)`.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("membrane: ")
	if e.Method != "" {
		b.WriteString(e.Method + " " + e.URL + ": ")
	}
	switch {
	case e.noResponse && e.StatusCode == 0:
		b.WriteString("no response")
	case e.noResponse:
		fmt.Fprintf(&b, "%d answer cut short", e.StatusCode)
	case e.StatusCode != 0:
		b.WriteString(strconv.Itoa(e.StatusCode))
		if e.Key != "" {
			b.WriteString(" " + e.Key)
		} else if t := http.StatusText(e.StatusCode); t != "" {
			b.WriteString(" " + t)
		}
	}
	if e.Message != "" {
		if b.Len() > len("membrane: ") && !strings.HasSuffix(b.String(), ": ") {
			b.WriteString(": ")
		}
		b.WriteString(e.Message)
	}
	var facts []string
	if e.RequestID != "" {
		facts = append(facts, "request id "+e.RequestID)
	}
	if e.IdempotencyKey != "" {
		facts = append(facts, "idempotency key "+e.IdempotencyKey)
	}
	if e.Attempts > 0 {
		facts = append(facts, fmt.Sprintf("%d attempt%s", e.Attempts, plural(e.Attempts)))
	}
	if e.MaybeApplied {
		facts = append(facts, "outcome unknown: an attempt whose answer was lost may have made the change")
	}
	if e.RetryAfter > 0 {
		facts = append(facts, "retry after "+e.RetryAfter.String())
	}
	if len(facts) > 0 {
		b.WriteString(" (" + strings.Join(facts, ", ") + ")")
	}
	return b.String()
}

// Unwrap returns the cause of a failure without a complete answer, so that errors.Is finds
// context.Canceled, context.DeadlineExceeded or a net.Error in it.
func (e *Error) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrNotFound) and the other sentinels work.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrNoResponse:
		return e.noResponse || e.MaybeApplied
	case ErrBadRequest:
		return e.StatusCode == http.StatusBadRequest
	case ErrNotAuthenticated:
		return e.StatusCode == http.StatusUnauthorized
	case ErrAccessDenied:
		return e.StatusCode == http.StatusForbidden
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	case ErrConflict:
		return e.StatusCode == http.StatusConflict
	case ErrAlreadyExists:
		return e.Key == keyAlreadyExists
	case ErrRateLimited:
		return e.StatusCode == http.StatusTooManyRequests
	case ErrUnavailable:
		return e.unavailable()
	case ErrInternal:
		return !e.unavailable() && (e.StatusCode == http.StatusInternalServerError || e.Type == errorTypeInternal)
	case ErrDependency:
		return e.Type == errorTypeDependency
	}
	return false
}

// unavailable reports a 503, a 504, or a 502 that is not the API's own dependency error.
func (e *Error) unavailable() bool {
	switch e.StatusCode {
	case http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	case http.StatusBadGateway:
		return e.Type != errorTypeDependency
	}
	return false
}

// FieldErrors returns the per-field problems of a validation error (data.fields), field name to
// problem, or nil when there are none.
func (e *Error) FieldErrors() map[string]string {
	fields, ok := e.Data["fields"].(map[string]any)
	if !ok || len(fields) == 0 {
		return nil
	}
	out := make(map[string]string, len(fields))
	for name, problem := range fields {
		if s, ok := problem.(string); ok {
			out[name] = s
		} else {
			out[name] = fmt.Sprint(problem)
		}
	}
	return out
}

// newError builds an *Error from a non-2xx answer, reading and closing its body.
func newError(resp *http.Response) *Error {
	defer resp.Body.Close()
	raw, readErr := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	e := &Error{StatusCode: resp.StatusCode, RequestID: resp.Header.Get("X-Request-Id")}
	if ra, ok := parseRetryAfter(resp.Header.Get("Retry-After")); ok {
		e.RetryAfter = ra
	}
	var body struct {
		Type    string         `json:"type"`
		Key     string         `json:"key"`
		Message string         `json:"message"`
		Data    map[string]any `json:"data"`
	}
	if json.Unmarshal(raw, &body) == nil {
		e.Type, e.Key, e.Message, e.Data = body.Type, body.Key, body.Message, body.Data
	} else {
		e.Message = snippet(raw)
	}
	if e.Type == "" {
		e.Type = typeForStatus(resp.StatusCode)
	}
	if e.Message == "" {
		e.Message = http.StatusText(resp.StatusCode)
		if e.Message == "" {
			e.Message = "HTTP status " + strconv.Itoa(resp.StatusCode)
		}
	}
	if readErr != nil {
		e.Message += " (reading the body failed: " + readErr.Error() + ")"
	}
	return e
}

// typeForStatus derives an error type when the body gives none: internal for 5xx, bad_request
// for the rest (as the API does). A dependency error is only ever the body's own type.
func typeForStatus(code int) string {
	if code >= 500 {
		return errorTypeInternal
	}
	return errorTypeBadRequest
}

// snippet turns a non-JSON body (say, a proxy's HTML page) into a short one-line message.
func snippet(raw []byte) string {
	s := strings.Join(strings.Fields(strings.ToValidUTF8(string(raw), "")), " ")
	if len(s) <= maxSnippet {
		return s
	}
	cut := maxSnippet
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
