package fake

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
)

// hubInstanceID is the id of the instance the hub hosts itself.
const hubInstanceID = "hub"

// instanceRef is the hub's entry for an instance: where it is and how to call its engine API.
type instanceRef struct {
	id, name    string
	url         func() string
	engineToken string
}

// engine calls the engine API of an instance over HTTP and returns the answer's body. An
// instance that cannot be reached or that fails is a 502 dependency_error.
func (h *hub) engine(ctx context.Context, ref *instanceRef, method, path string, body any) ([]byte, *apiError) {
	if ref == nil {
		return nil, errDependency("the instance hosting this workspace is not registered")
	}
	var rd io.Reader = http.NoBody
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, errInternal("could not encode the call to instance %q", ref.id)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, ref.url()+path, rd)
	if err != nil {
		return nil, errInternal("could not build the call to instance %q", ref.id)
	}
	req.Header.Set("Authorization", "Bearer "+ref.engineToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := h.s.transport.RoundTrip(req)
	if err != nil {
		return nil, errDependency("instance %q cannot be reached", ref.id)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBodyBytes))
	if err != nil {
		return nil, errDependency("instance %q broke off its answer", ref.id)
	}
	if resp.StatusCode/100 != 2 {
		e := errDependency("instance %q failed (%d): %s", ref.id, resp.StatusCode, errBody(b))
		e.upstream = resp.StatusCode
		return nil, e
	}
	return b, nil
}
