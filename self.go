package membrane

import (
	"context"
	"net/http"
)

// Self returns the customer (tenant) that the client's tenant token acts as.
//
// GET /self.
func (c *WorkspaceClient) Self(ctx context.Context, opts ...CallOption) (*Customer, error) {
	cu := new(Customer)
	if err := c.api.do(ctx, call{op: "Self", method: http.MethodGet, path: "/self", opts: opts}, cu); err != nil {
		return nil, err
	}
	return cu, nil
}
