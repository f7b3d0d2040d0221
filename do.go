package membrane

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"unicode"
)

// Do sends a request to an endpoint of the Management API that this package does not wrap, with
// everything the wrapped calls get: authentication, retries (a POST, PATCH, PUT or DELETE gets an
// Idempotency-Key), call options, *Error values and the redaction of secrets in logs.
//
// path is relative to the base URL, escaped, and starts with "/"; it may end with a query
// ("/org-workspaces?orgId=o1"). body, when not nil, is sent as JSON (a json.RawMessage as it is).
// A Secret or Credentials given as the body, in a map or slice of it, or in a request type of
// this package is sent with its value; in a struct type of your own it marshals as "[REDACTED]",
// so put its Reveal() there. A 2xx answer is decoded into out when out is not nil (a
// *json.RawMessage takes it as it is).
func (c *Client) Do(ctx context.Context, method, path string, body, out any, opts ...CallOption) error {
	return doRaw(ctx, c.api, method, path, body, out, opts)
}

// Do sends a request to an endpoint of the workspace API that this package does not wrap, as
// Client.Do does for the Management API.
func (c *WorkspaceClient) Do(ctx context.Context, method, path string, body, out any, opts ...CallOption) error {
	return doRaw(ctx, c.api, method, path, body, out, opts)
}

func doRaw(ctx context.Context, api *apiClient, method, path string, body, out any, opts []CallOption) error {
	const op = "Do"
	if method == "" || !validHeaderName(method) {
		return fmt.Errorf("membrane: %s: %q is not an HTTP method", op, method)
	}
	switch {
	case !strings.HasPrefix(path, "/"):
		return fmt.Errorf("membrane: %s: the path %q does not start with /", op, path)
	case strings.HasPrefix(path, "//"):
		return fmt.Errorf("membrane: %s: the path %q would name another host", op, path)
	case strings.ContainsFunc(path, unicode.IsControl) || strings.ContainsAny(path, " #"):
		return fmt.Errorf("membrane: %s: the path %q holds a space, a # or a control character; escape it", op, path)
	}
	for _, seg := range strings.Split(strings.SplitN(path, "?", 2)[0], "/") {
		if seg == "." || seg == ".." {
			return fmt.Errorf("membrane: %s: the path %q holds a %q segment", op, path, seg)
		}
	}
	if out != nil {
		if v := reflect.ValueOf(out); v.Kind() != reflect.Pointer || v.IsNil() {
			return fmt.Errorf("membrane: %s: out is a %T; it must be a non-nil pointer", op, out)
		}
	}
	return api.do(ctx, call{op: op, method: method, path: path, body: body, opts: opts}, out)
}
