package fake

import (
	"fmt"
	"net/http"
)

// apiError is an error response in the API's error body shape:
// {"type": "...", "key": "...", "message": "...", "data": {...}}.
type apiError struct {
	status     int
	Type       string         `json:"type"`
	Key        string         `json:"key,omitempty"`
	Message    string         `json:"message"`
	Data       map[string]any `json:"data,omitempty"`
	retryAfter int
	upstream   int // for a dependency error: the status the instance responded with
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.status, e.Type, e.Message) }

const (
	typeBadRequest = "bad_request"
	typeInternal   = "internal"
	typeDependency = "dependency_error"

	keyNotAuthenticated = "not_authenticated"
	keyAccessDenied     = "access_denied"
	keyNotFound         = "not_found"
	keyAlreadyExists    = "already_exists"
	keyRateLimited      = "rate_limit_exceeded"
)

func errBadRequest(format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, Type: typeBadRequest, Message: fmt.Sprintf(format, args...)}
}

func errNotAuthenticated(msg string) *apiError {
	return &apiError{status: http.StatusUnauthorized, Type: typeBadRequest, Key: keyNotAuthenticated, Message: msg}
}

func errAccessDenied(msg string) *apiError {
	return &apiError{status: http.StatusForbidden, Type: typeBadRequest, Key: keyAccessDenied, Message: msg}
}

func errNotFound(format string, args ...any) *apiError {
	return &apiError{status: http.StatusNotFound, Type: typeBadRequest, Key: keyNotFound, Message: fmt.Sprintf(format, args...)}
}

func errDependency(format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadGateway, Type: typeDependency, Message: fmt.Sprintf(format, args...)}
}

func errInternal(format string, args ...any) *apiError {
	return &apiError{status: http.StatusInternalServerError, Type: typeInternal, Message: fmt.Sprintf(format, args...)}
}

func errTooLarge(limit int64) *apiError {
	return &apiError{status: http.StatusRequestEntityTooLarge, Type: typeBadRequest,
		Message: fmt.Sprintf("request body is larger than the limit of %d bytes", limit)}
}

func errMethodNotAllowed(method, path string) *apiError {
	return &apiError{status: http.StatusMethodNotAllowed, Type: typeBadRequest,
		Message: fmt.Sprintf("method %s is not allowed on %s", method, path)}
}

// errFields is a 400 whose data names each field that is wrong and what is wrong with it.
func errFields(fields map[string]string) *apiError {
	msg := "invalid request"
	for _, name := range sortedKeys(fields) {
		msg = fmt.Sprintf("invalid request: %s %s", name, fields[name])
		break
	}
	if len(fields) > 1 {
		msg += fmt.Sprintf(" (and %d more)", len(fields)-1)
	}
	return &apiError{status: http.StatusBadRequest, Type: typeBadRequest, Message: msg,
		Data: map[string]any{"fields": fields}}
}

// errAlreadyExists is a 400 with key already_exists naming the field that collides.
func errAlreadyExists(field, format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, Type: typeBadRequest, Key: keyAlreadyExists,
		Message: fmt.Sprintf(format, args...), Data: map[string]any{"fields": map[string]string{field: "already exists"}}}
}

func errUnavailable(msg string) *apiError {
	return &apiError{status: http.StatusServiceUnavailable, Type: typeInternal, Message: msg}
}
