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

// Sentinel errors, matched with errors.Is against an *Error returned by any call.
var (
	// ErrBadRequest matches every 400 answer, including ErrAlreadyExists.
	ErrBadRequest = errors.New("membrane: bad request")
	// ErrNotAuthenticated matches 401: the token is missing, unknown, expired or of the wrong kind.
	ErrNotAuthenticated = errors.New("membrane: not authenticated")
	// ErrAccessDenied matches 403: the caller's role may not do this.
	ErrAccessDenied = errors.New("membrane: access denied")
	// ErrNotFound matches 404: the object does not exist or the caller may not see it.
	ErrNotFound = errors.New("membrane: not found")
	// ErrAlreadyExists matches an answer whose key is "already_exists".
	ErrAlreadyExists = errors.New("membrane: already exists")
	// ErrRateLimited matches 429; see Error.RetryAfter.
	ErrRateLimited = errors.New("membrane: rate limited")
	// ErrInternal matches 500 and any answer whose type is "internal".
	ErrInternal = errors.New("membrane: internal server error")
	// ErrDependency matches 502 and any answer whose type is "dependency_error": the hub could not
	// reach the instance that hosts the workspace, and nothing was changed.
	ErrDependency = errors.New("membrane: dependency error")
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

// Error is an answer of the API with a non-2xx status. Match it with errors.Is and the
// sentinels (ErrNotFound, ...), or get at its fields with errors.As.
type Error struct {
	// StatusCode is the HTTP status of the answer.
	StatusCode int
	// Type is the error type of the body ("bad_request", "internal", "dependency_error"), or,
	// when the body says none, one derived from StatusCode.
	Type string
	// Key refines Type, e.g. "not_found", "already_exists", "rate_limit_exceeded". It may be empty.
	Key string
	// Message is the server's explanation, or a short snippet of a body that was not JSON.
	Message string
	// Data holds structured details; validation errors put {"fields": {...}} here (see FieldErrors).
	Data map[string]any
	// RequestID is the X-Request-Id header of the answer, for support requests.
	RequestID string
	// Method and URL name the call; URL never holds user information.
	Method string
	URL    string
	// Attempts is how many times the request was sent.
	Attempts int
	// RetryAfter is the wait the server asked for in a Retry-After header (429 or 503), or 0.
	RetryAfter time.Duration
}

// Error returns every fact of e on one line.
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "membrane: %s %s: %d %s", e.Method, e.URL, e.StatusCode, e.Type)
	if e.Key != "" {
		b.WriteString("/" + e.Key)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	b.WriteString(" (")
	if e.RequestID != "" {
		b.WriteString("request id " + e.RequestID + ", ")
	}
	fmt.Fprintf(&b, "%d attempt%s", e.Attempts, plural(e.Attempts))
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, ", retry after %s", e.RetryAfter)
	}
	b.WriteString(")")
	return b.String()
}

// Is makes errors.Is(err, ErrNotFound) and the other sentinels work.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrBadRequest:
		return e.StatusCode == http.StatusBadRequest
	case ErrNotAuthenticated:
		return e.StatusCode == http.StatusUnauthorized
	case ErrAccessDenied:
		return e.StatusCode == http.StatusForbidden
	case ErrNotFound:
		return e.StatusCode == http.StatusNotFound
	case ErrAlreadyExists:
		return e.Key == keyAlreadyExists
	case ErrRateLimited:
		return e.StatusCode == http.StatusTooManyRequests
	case ErrInternal:
		return e.StatusCode == http.StatusInternalServerError || e.Type == errorTypeInternal
	case ErrDependency:
		return e.StatusCode == http.StatusBadGateway || e.Type == errorTypeDependency
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
func newError(resp *http.Response, method, url string, attempts int) *Error {
	defer resp.Body.Close()
	raw, readErr := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	e := &Error{
		StatusCode: resp.StatusCode,
		RequestID:  resp.Header.Get("X-Request-Id"),
		Method:     method,
		URL:        url,
		Attempts:   attempts,
	}
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
		if readErr != nil {
			e.Message += " (reading the body failed: " + readErr.Error() + ")"
		}
	}
	return e
}

// typeForStatus derives an error type when the body gives none: gateway failures count as
// dependency errors, other 5xx as internal, the rest as bad requests (as the API does).
func typeForStatus(code int) string {
	switch {
	case code == http.StatusBadGateway || code == http.StatusGatewayTimeout:
		return errorTypeDependency
	case code >= 500:
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
