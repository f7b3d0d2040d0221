package membrane

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"maps"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"
)

// WorkspaceType tells production workspaces from development ones.
type WorkspaceType string

// The workspace types.
const (
	WorkspaceTypeProduction  WorkspaceType = "production"
	WorkspaceTypeDevelopment WorkspaceType = "development"
)

// OrgWorkspace is a workspace of an org, as the hub knows it. Secret prints redacted; JSON
// carries it as it is.
type OrgWorkspace struct {
	ID                    string             `json:"id"`
	Name                  string             `json:"name"`
	OrgID                 string             `json:"orgId"`
	Key                   string             `json:"key"`
	Secret                Secret             `json:"secret"`
	CreatedAt             time.Time          `json:"createdAt"`
	UpdatedAt             time.Time          `json:"updatedAt"`
	ArchivedAt            *time.Time         `json:"archivedAt,omitempty"`
	MembraneInstanceID    string             `json:"membraneInstanceId,omitempty"`
	APIBaseURI            string             `json:"apiBaseUri,omitempty"`
	LogoURI               string             `json:"logoUri,omitempty"`
	Settings              *WorkspaceSettings `json:"settings,omitempty"`
	PublicKeys            []PublicKey        `json:"publicKeys,omitempty"`
	WebhookURI            string             `json:"webhookUri,omitempty"`
	EnabledWebhookEvents  []string           `json:"enabledWebhookEvents,omitempty"`
	JWKSURI               *string            `json:"jwksUri,omitempty"`
	Type                  WorkspaceType      `json:"type,omitempty"`
	IsReadOnly            bool               `json:"isReadOnly,omitempty"`
	Limits                map[string]Limit   `json:"limits,omitempty"`
	UserFieldsSchema      json.RawMessage    `json:"userFieldsSchema,omitempty"`
	AlertDeliverySettings json.RawMessage    `json:"alertDeliverySettings,omitempty"`
}

// LogValue logs the identifying fields of w, with the secret redacted, so that a JSON slog
// handler does not marshal the whole workspace (and its secret).
func (w OrgWorkspace) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("id", w.ID), slog.String("name", w.Name), slog.String("orgId", w.OrgID),
		slog.String("key", w.Key), slog.Any("secret", w.Secret),
		slog.String("membraneInstanceId", w.MembraneInstanceID), slog.String("apiBaseUri", w.APIBaseURI),
		slog.Bool("archived", w.ArchivedAt != nil),
	)
}

// Format prints w like fmt would, with the secret redacted whatever the verb. (Without it, a verb
// that does not suit a struct, such as %s on a []*OrgWorkspace, makes fmt print the fields raw.)
func (w OrgWorkspace) Format(f fmt.State, verb rune) {
	type plain OrgWorkspace // the same fields, without this method
	formatPlain(f, verb, plain(w), "membrane.OrgWorkspace")
}

// WorkspaceSettings are the switches of a workspace. Nil fields are unset (and, in an update,
// left as they are).
type WorkspaceSettings struct {
	EnableAPILogs                            *bool `json:"enableApiLogs,omitempty"`
	EnableWebhookLogs                        *bool `json:"enableWebhookLogs,omitempty"`
	EnableActionRunLogs                      *bool `json:"enableActionRunLogs,omitempty"`
	DisableSecretKeyAuth                     *bool `json:"disableSecretKeyAuth,omitempty"`
	UseMembraneUniverse                      *bool `json:"useMembraneUniverse,omitempty"`
	UseRemoteRepository                      *bool `json:"useRemoteRepository,omitempty"`
	AutoGenerateIntegrationsFromConnectors   *bool `json:"autoGenerateIntegrationsFromConnectors,omitempty"`
	AutoGenerateIntegrationsFromExternalApps *bool `json:"autoGenerateIntegrationsFromExternalApps,omitempty"`
	AutoGenerateIntegrationsFromWebSearch    *bool `json:"autoGenerateIntegrationsFromWebSearch,omitempty"`
}

// PublicKey is a named PEM public key that verifies asymmetrically signed workspace tokens.
type PublicKey struct {
	Name      string `json:"name"`
	PublicKey string `json:"publicKey"`
}

// Limit is a usage limit of a workspace.
type Limit struct {
	Value        float64  `json:"value"`
	DefaultValue *float64 `json:"defaultValue,omitempty"`
	Unit         string   `json:"unit,omitempty"`
}

// CreateOrgWorkspaceRequest is the body of OrgWorkspacesService.Create.
type CreateOrgWorkspaceRequest struct {
	// OrgID is the org that will own the workspace. Required.
	OrgID string `json:"orgId"`
	// Name is the display name; the server picks one when empty.
	Name    string `json:"name,omitempty"`
	LogoURI string `json:"logoUri,omitempty"`
	// MembraneInstanceID places the workspace on an instance; empty means the hub's own.
	MembraneInstanceID string `json:"membraneInstanceId,omitempty"`
	// IdempotencyKey makes the create happen once however often it is sent. When empty, a random
	// key is made for the call and reused by its retries. Set it to survive a restart of the caller.
	IdempotencyKey string `json:"-"`
}

// UpdateOrgWorkspaceRequest is the body of OrgWorkspacesService.Update. Unset fields (nil, or the
// zero Nullable) are left out and stay as they are; set fields are sent even when they hold
// false, "" or an empty list. Use Ptr to set them, for example IsReadOnly: Ptr(false),
// EnabledWebhookEvents: Ptr([]string{}); JWKSURI: Null[string]() clears the JWKS URI.
type UpdateOrgWorkspaceRequest struct {
	Name                 *string            `json:"name,omitempty"`
	LogoURI              *string            `json:"logoUri,omitempty"`
	Settings             *WorkspaceSettings `json:"settings,omitempty"`
	PublicKeys           *[]PublicKey       `json:"publicKeys,omitempty"`
	WebhookURI           *string            `json:"webhookUri,omitempty"`
	EnabledWebhookEvents *[]string          `json:"enabledWebhookEvents,omitempty"`
	JWKSURI              Nullable[string]   `json:"jwksUri,omitzero"`
	Type                 *WorkspaceType     `json:"type,omitempty"`
	IsReadOnly           *bool              `json:"isReadOnly,omitempty"`
	// Limits is sent when not nil; an empty, non-nil map sends {}.
	Limits map[string]Limit `json:"limits,omitzero"`
	// UserFieldsSchema and AlertDeliverySettings are sent as they are when not empty;
	// json.RawMessage("null") sends null.
	UserFieldsSchema      json.RawMessage `json:"userFieldsSchema,omitempty"`
	AlertDeliverySettings json.RawMessage `json:"alertDeliverySettings,omitempty"`
}

// ListOrgWorkspacesOptions filters and pages OrgWorkspacesService.List.
type ListOrgWorkspacesOptions struct {
	OrgID string `url:"orgId,omitempty"`
	// Search matches a substring of the name, ignoring case.
	Search string `url:"search,omitempty"`
	// Limit is the page size, 1 to 1000 (server default 100).
	Limit int `url:"limit,omitempty"`
	// Cursor is the Cursor of the previous page; empty for the first page.
	Cursor          string `url:"cursor,omitempty"`
	IncludeArchived bool   `url:"includeArchived,omitempty"`
}

// OrgWorkspaceList is one page of org workspaces.
type OrgWorkspaceList struct {
	Items []*OrgWorkspace `json:"items"`
	// Cursor fetches the next page; it is empty on the last page.
	Cursor string `json:"cursor,omitempty"`
}

// LogValue logs the page as OrgWorkspace.LogValue logs each workspace, secrets redacted.
func (l OrgWorkspaceList) LogValue() slog.Value { return logPage(l.Items, l.Cursor) }

// AccessTokenRequest is the body of OrgWorkspacesService.AccessToken. All fields are optional:
// without a tenant the token is workspace-level.
type AccessTokenRequest struct {
	IsAdmin   bool           `json:"isAdmin,omitempty"`
	TenantID  string         `json:"tenantId,omitempty"`
	TenantKey string         `json:"tenantKey,omitempty"`
	Name      string         `json:"name,omitempty"`
	Fields    map[string]any `json:"fields,omitempty"`
}

// OrgWorkspacesService calls the org workspace endpoints of the Management API.
type OrgWorkspacesService struct {
	api *apiClient
}

// Create creates an org workspace.
//
// POST /org-workspaces. It carries an Idempotency-Key, so its retries never create twice.
func (s *OrgWorkspacesService) Create(ctx context.Context, req *CreateOrgWorkspaceRequest) (*OrgWorkspace, error) {
	if req == nil {
		return nil, errors.New("membrane: OrgWorkspaces.Create: the request is nil")
	}
	if err := requireID("OrgWorkspaces.Create", "OrgID", req.OrgID); err != nil {
		return nil, err
	}
	key := req.IdempotencyKey
	if key == "" {
		key = newIdempotencyKey()
	}
	ws := new(OrgWorkspace)
	err := s.api.do(ctx, call{op: "OrgWorkspaces.Create", method: http.MethodPost, path: "/org-workspaces",
		body: req, idempotencyKey: key}, ws)
	if err != nil {
		return nil, err
	}
	return ws, nil
}

// Get fetches an org workspace.
//
// GET /org-workspaces/{id}.
func (s *OrgWorkspacesService) Get(ctx context.Context, id string) (*OrgWorkspace, error) {
	return s.one(ctx, "OrgWorkspaces.Get", http.MethodGet, id, "", nil)
}

// List fetches one page of org workspaces; opts may be nil.
//
// GET /org-workspaces.
func (s *OrgWorkspacesService) List(ctx context.Context, opts *ListOrgWorkspacesOptions) (*OrgWorkspaceList, error) {
	if opts == nil {
		opts = &ListOrgWorkspacesOptions{}
	}
	if err := checkLimit("OrgWorkspaces.List", opts.Limit); err != nil {
		return nil, err
	}
	page := new(OrgWorkspaceList)
	err := s.api.do(ctx, call{op: "OrgWorkspaces.List", method: http.MethodGet, path: "/org-workspaces",
		query: opts}, page)
	if err != nil {
		return nil, err
	}
	return page, nil
}

// All iterates over the org workspaces of every page, starting at opts.Cursor; opts may be nil
// and is never modified. On an error it yields the error once and stops.
//
// GET /org-workspaces, once per page.
func (s *OrgWorkspacesService) All(ctx context.Context, opts *ListOrgWorkspacesOptions) iter.Seq2[*OrgWorkspace, error] {
	var base ListOrgWorkspacesOptions
	if opts != nil {
		base = *opts
	}
	return paginate(base.Cursor, func(cursor string) ([]*OrgWorkspace, string, error) {
		o := base
		o.Cursor = cursor
		page, err := s.List(ctx, &o)
		if err != nil {
			return nil, "", err
		}
		return page.Items, page.Cursor, nil
	})
}

// Update changes the fields set in req and leaves the others as they are.
//
// PATCH /org-workspaces/{id}.
func (s *OrgWorkspacesService) Update(ctx context.Context, id string, req *UpdateOrgWorkspaceRequest) (*OrgWorkspace, error) {
	if req == nil {
		return nil, errors.New("membrane: OrgWorkspaces.Update: the request is nil")
	}
	return s.one(ctx, "OrgWorkspaces.Update", http.MethodPatch, id, "", req)
}

// Archive archives an org workspace; archiving an archived one changes nothing.
//
// DELETE /org-workspaces/{id}.
func (s *OrgWorkspacesService) Archive(ctx context.Context, id string) (*OrgWorkspace, error) {
	return s.one(ctx, "OrgWorkspaces.Archive", http.MethodDelete, id, "", nil)
}

// Restore brings an archived org workspace back; restoring a live one changes nothing.
//
// POST /org-workspaces/{id}/restore, with an Idempotency-Key made for the call and reused by its
// retries.
func (s *OrgWorkspacesService) Restore(ctx context.Context, id string) (*OrgWorkspace, error) {
	return s.one(ctx, "OrgWorkspaces.Restore", http.MethodPost, id, "/restore", nil)
}

// AccessToken mints a workspace token on the server, signed with the current secret; req may
// be nil for a workspace-level token.
//
// POST /org-workspaces/{id}/access-token, with an Idempotency-Key made for the call: a retry gets
// the token of the first attempt that the server completed.
func (s *OrgWorkspacesService) AccessToken(ctx context.Context, id string, req *AccessTokenRequest) (string, error) {
	const op = "OrgWorkspaces.AccessToken"
	if err := requireID(op, "id", id); err != nil {
		return "", err
	}
	if req == nil {
		req = &AccessTokenRequest{}
	}
	var out struct {
		Token string `json:"token"`
	}
	err := s.api.do(ctx, call{op: op, method: http.MethodPost, path: workspacePath(id, "/access-token"), body: req}, &out)
	if err != nil {
		return "", err
	}
	if out.Token == "" {
		return "", fmt.Errorf("membrane: %s: the answer holds no token", op)
	}
	return out.Token, nil
}

// RotateSecret replaces the workspace secret and returns the new one. Tokens signed with the old
// secret stop working (unless the server grants a grace period). A WorkspaceClient made by Client
// gets a new token by itself; one made with WithWorkspaceCredentials must be built again with the
// new secret.
//
// POST /org-workspaces/{id}/rotate-secret, with an Idempotency-Key made for the call: its retries
// rotate once, and return the secret of that one rotation.
func (s *OrgWorkspacesService) RotateSecret(ctx context.Context, id string) (Secret, error) {
	const op = "OrgWorkspaces.RotateSecret"
	if err := requireID(op, "id", id); err != nil {
		return "", err
	}
	var out struct {
		Secret Secret `json:"secret"`
	}
	err := s.api.do(ctx, call{op: op, method: http.MethodPost, path: workspacePath(id, "/rotate-secret")}, &out)
	if err != nil {
		return "", err
	}
	if out.Secret == "" {
		return "", fmt.Errorf("membrane: %s: the answer holds no secret", op)
	}
	return out.Secret, nil
}

// one performs a call on a single workspace that answers with the workspace.
func (s *OrgWorkspacesService) one(ctx context.Context, op, method, id, suffix string, body any) (*OrgWorkspace, error) {
	if err := requireID(op, "id", id); err != nil {
		return nil, err
	}
	ws := new(OrgWorkspace)
	if err := s.api.do(ctx, call{op: op, method: method, path: workspacePath(id, suffix), body: body}, ws); err != nil {
		return nil, err
	}
	return ws, nil
}

func workspacePath(id, suffix string) string {
	return "/org-workspaces/" + url.PathEscape(id) + suffix
}

// checkLimit rejects a page size the API would refuse, before any request.
func checkLimit(op string, limit int) error {
	if limit < 0 || limit > 1000 {
		return fmt.Errorf("membrane: %s: Limit is %d; it must be between 1 and 1000, or 0 for the default", op, limit)
	}
	return nil
}

// Client returns a client for the workspace API of ws, authenticated with tokens from
// AccessToken(ctx, ws.ID, req). It does no network I/O: the first request of the workspace client
// fetches the first token, so a refused token (say, for a read-only member) shows there, as
// ErrAccessDenied. A token is replaced shortly before it expires, and at once when the workspace
// API refuses it (after RotateSecret, for example): such a request is sent once more with the new
// token.
//
// Requests go to ws.APIBaseURI, or to the hub's base URL when that is empty (the hub forwards
// them). An APIBaseURI that would send the token in clear (http while this client uses https) is
// refused, unless its host is a loopback address. The workspace client shares this client's HTTP
// client, logger, retry policy and user agent.
//
// ctx is reserved: it must not be nil, but Client does nothing that would wait for it. Each call
// of the workspace client uses its own context, also for the token requests it makes.
func (s *OrgWorkspacesService) Client(ctx context.Context, ws *OrgWorkspace, req *AccessTokenRequest) (*WorkspaceClient, error) {
	const op = "OrgWorkspaces.Client"
	if ctx == nil {
		return nil, fmt.Errorf("membrane: %s: nil context", op)
	}
	if ws == nil {
		return nil, fmt.Errorf("membrane: %s: the workspace is nil", op)
	}
	if err := requireID(op, "workspace ID", ws.ID); err != nil {
		return nil, err
	}
	base := s.api.baseURL
	if ws.APIBaseURI != "" {
		u, err := parseBaseURL(ws.APIBaseURI)
		if err != nil {
			return nil, fmt.Errorf("membrane: %s: apiBaseUri of workspace %s: %w", op, ws.ID, err)
		}
		if base.Scheme == "https" && u.Scheme == "http" && !isLoopback(u.Hostname()) {
			return nil, fmt.Errorf("membrane: %s: apiBaseUri of workspace %s is %s: it would send the workspace "+
				"token in clear while %s uses https; only a loopback host may use http", op, ws.ID, redactedURL(u), redactedURL(base))
		}
		base = u
	}
	var tokenReq AccessTokenRequest
	if req != nil {
		tokenReq = *req
		tokenReq.Fields = maps.Clone(req.Fields)
	}
	id := ws.ID
	tokens := renewableToken{newCachedToken(time.Now, func(ctx context.Context) (string, time.Time, error) {
		tok, err := s.AccessToken(ctx, id, &tokenReq)
		if err != nil {
			return "", time.Time{}, err
		}
		return tok, jwtExpiry(tok), nil
	})}
	return newWorkspaceClient(s.api.derive(base, tokens)), nil
}

// isLoopback reports whether host (without port or brackets) names this machine: localhost, an
// address in 127.0.0.0/8, or ::1.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}
