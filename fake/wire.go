package fake

import (
	"encoding/json"
	"time"
)

// This file declares the bodies the hub sends that more than one handler writes. The
// instance-level fields of a workspace have their own wire struct, wsConfig, which the hub's
// responses, the engine API and the seed all share.

// listJSON is a page of a list: its items and the cursor of the next page.
type listJSON[T any] struct {
	Items  []T    `json:"items"`
	Cursor string `json:"cursor,omitempty"`
}

// orgWorkspaceJSON is an OrgWorkspace on the wire.
type orgWorkspaceJSON struct {
	ID                 string `json:"id"`
	Name               string `json:"name"`
	OrgID              string `json:"orgId"`
	Key                string `json:"key"`
	Secret             string `json:"secret"`
	CreatedAt          string `json:"createdAt"`
	UpdatedAt          string `json:"updatedAt"`
	ArchivedAt         string `json:"archivedAt,omitempty"`
	MembraneInstanceID string `json:"membraneInstanceId,omitempty"`
	APIBaseURI         string `json:"apiBaseUri"`
	LogoURI            string `json:"logoUri,omitempty"`
	wsConfig
}

// workspaceJSON is version w of an org workspace on the wire, served at baseURI.
func workspaceJSON(w *orgWorkspace, baseURI string) orgWorkspaceJSON {
	out := orgWorkspaceJSON{
		ID: w.id, Name: w.name, OrgID: w.orgID, Key: w.key, Secret: w.secret,
		CreatedAt: formatTime(w.createdAt), UpdatedAt: formatTime(w.updatedAt),
		MembraneInstanceID: w.instanceID, APIBaseURI: baseURI, LogoURI: w.logoURI, wsConfig: w.cfg,
	}
	if w.archivedAt != nil {
		out.ArchivedAt = formatTime(*w.archivedAt)
	}
	return out
}

// workspaceResponse is the response about one version of an org workspace. It is small to keep
// (the idempotency record of a create keeps it) and encodes to the same bytes every time.
type workspaceResponse struct {
	ws   *orgWorkspace
	base string // the apiBaseUri when the response was made: a replay sends the same
}

// MarshalJSON writes the version as an OrgWorkspace.
func (r workspaceResponse) MarshalJSON() ([]byte, error) {
	return json.Marshal(workspaceJSON(r.ws, r.base))
}

// instanceJSON is a MembraneInstance on the wire.
type instanceJSON struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	APIBaseURI string `json:"apiBaseUri"`
}

// timeLayout is RFC 3339 in UTC with milliseconds, as the API writes times.
const timeLayout = "2006-01-02T15:04:05.000Z07:00"

// formatTime writes t in timeLayout.
func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }
