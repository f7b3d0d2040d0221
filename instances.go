package membrane

import (
	"context"
	"net/http"
)

// MembraneInstance is an instance that can host workspaces. APIBaseURI is where its workspace
// API is served.
type MembraneInstance struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	APIBaseURI string `json:"apiBaseUri"`
}

// MembraneInstancesService calls the instance registry of the Management API.
type MembraneInstancesService struct {
	api *apiClient
}

// List returns the instances that a workspace of the org can be placed on.
//
// GET /membrane-instances?orgId={orgID}.
func (s *MembraneInstancesService) List(ctx context.Context, orgID string) ([]*MembraneInstance, error) {
	const op = "MembraneInstances.List"
	if err := requireID(op, "orgID", orgID); err != nil {
		return nil, err
	}
	q := struct {
		OrgID string `url:"orgId"`
	}{orgID}
	var out struct {
		Items []*MembraneInstance `json:"items"`
	}
	if err := s.api.do(ctx, call{op: op, method: http.MethodGet, path: "/membrane-instances", query: q}, &out); err != nil {
		return nil, err
	}
	return out.Items, nil
}
