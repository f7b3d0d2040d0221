package fake

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// engineResponse is an instance's response to an engine call: its body, and the version of the
// workspace it is about (from the versionHeader), when it is about one.
type engineResponse struct {
	body    []byte
	version uint64
}

// versionHeader carries the version of a workspace in an engine API response, so that the hub
// need not decode the body to learn it.
const versionHeader = "Membrane-Workspace-Version"

// engine calls the engine API of an instance over HTTP and returns its response. An instance that
// cannot be reached or that fails is a 502 dependency_error.
func (h *hub) engine(ctx context.Context, ref *instanceRef, method, path string, body any) (engineResponse, *apiError) {
	if ref == nil {
		return engineResponse{}, errDependency("the instance hosting this workspace is not registered")
	}
	var rd io.Reader = http.NoBody
	if body != nil {
		b, err := encodeJSON(body)
		if err != nil {
			return engineResponse{}, errInternal("could not encode the call to instance %q", ref.id)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, ref.url()+path, rd)
	if err != nil {
		return engineResponse{}, errInternal("could not build the call to instance %q", ref.id)
	}
	req.Header.Set("Authorization", "Bearer "+ref.engineToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := h.env.transport.RoundTrip(req)
	if err != nil {
		return engineResponse{}, errDependency("instance %q cannot be reached", ref.id)
	}
	defer resp.Body.Close()
	b, err := readAtMost(resp.Body, resp.ContentLength, maxEngineBodyBytes+1)
	if err != nil {
		return engineResponse{}, errDependency("instance %q broke off its response", ref.id)
	}
	if len(b) > maxEngineBodyBytes {
		return engineResponse{}, errDependency("instance %q sent more than %d bytes", ref.id, maxEngineBodyBytes)
	}
	if resp.StatusCode/100 != 2 {
		e := errDependency("instance %q failed (%d): %s", ref.id, resp.StatusCode, errBody(b))
		e.upstream = resp.StatusCode
		return engineResponse{}, e
	}
	v, err2 := strconv.ParseUint(resp.Header.Get(versionHeader), 10, 64)
	if err2 != nil { // a replayed response, say: the body says it too
		var brief struct {
			Version uint64 `json:"version"`
		}
		_ = json.Unmarshal(b, &brief)
		v = brief.Version
	}
	return engineResponse{body: b, version: v}, nil
}

// errBody reads the message of an error response, for a dependency error that passes it on.
func errBody(b []byte) string {
	var e apiError
	if json.Unmarshal(b, &e) == nil && e.Message != "" {
		return e.Message
	}
	return strings.TrimSpace(string(b[:min(len(b), 200)]))
}
