package membrane

import (
	"context"
	"errors"
	"net/http"
)

// Instance is a Membrane instance that can host workspaces (the API calls it a membrane
// instance). APIBaseURI is where its workspace API is served.
type Instance struct {
	// ID names the instance, as OrgWorkspace.MembraneInstanceID and CreateOrgWorkspaceRequest do.
	ID string `json:"id"`
	// Name is the instance's display name.
	Name string `json:"name"`
	// APIBaseURI is the base URL of the instance's workspace API.
	APIBaseURI string `json:"apiBaseUri"`
}

// checkAnswer reports an item that is not an instance: null, {} or one without an id.
func (i *Instance) checkAnswer() error {
	if i.ID == "" {
		return errors.New("it is not an instance: it has no id")
	}
	return nil
}

// InstancesService calls the instance registry of the Management API.
type InstancesService struct {
	api *apiClient
}

// instanceList is the answer of GET /membrane-instances.
type instanceList struct {
	Items []*Instance `json:"items"`
}

func (l *instanceList) checkAnswer() error { return checkItems(l.Items) }

// List returns the instances that a workspace of the org can be placed on. With an empty
// orgID, a token of one org lists that org's instances (a token of several orgs gets an error
// that asks for the org).
//
// GET /membrane-instances?orgId={orgID}.
func (s *InstancesService) List(ctx context.Context, orgID string, opts ...CallOption) ([]*Instance, error) {
	const op = "Instances.List"
	if orgID != "" {
		if err := requireID(op, "orgID", orgID); err != nil {
			return nil, err
		}
	}
	q := struct {
		OrgID string `url:"orgId,omitempty"`
	}{orgID}
	var out instanceList
	if err := s.api.do(ctx, call{op: op, method: http.MethodGet, path: "/membrane-instances", query: q, opts: opts}, &out); err != nil {
		return nil, err
	}
	return out.Items, nil
}
