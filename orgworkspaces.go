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

// OrgWorkspace is a workspace of an org, as the hub knows it. Its Secret prints, logs and
// marshals to JSON as "[REDACTED]"; call Secret.Reveal for the value.
type OrgWorkspace struct {
	// ID is the workspace's id at the hub, used in the /org-workspaces paths.
	ID string `json:"id"`
	// Name is the workspace's display name.
	Name string `json:"name"`
	// OrgID is the org that owns the workspace.
	OrgID string `json:"orgId"`
	// Key is the workspace's key, the issuer of its tokens; it never changes.
	Key string `json:"key"`
	// Secret signs the workspace's HS256 tokens; RotateSecret replaces it.
	Secret Secret `json:"secret"`
	// CreatedAt is when the workspace was made (wire "createdAt", RFC 3339 in UTC).
	CreatedAt time.Time `json:"createdAt"`
	// UpdatedAt is when the workspace last changed: a PATCH, a secret rotation, an archive or a
	// restore moves it; a PATCH that names no known field, or a no-op archive or restore, does not.
	UpdatedAt time.Time `json:"updatedAt"`
	// ArchivedAt is when the workspace was archived; nil while it is not.
	ArchivedAt *time.Time `json:"archivedAt,omitempty"`
	// MembraneInstanceID is the instance that hosts the workspace, as given on create; empty
	// for the hub's own.
	MembraneInstanceID string `json:"membraneInstanceId,omitempty"`
	// APIBaseURI is the base URL of the workspace API of the workspace's instance: where its
	// workspace tokens are used.
	APIBaseURI string `json:"apiBaseUri,omitempty"`
	// LogoURI is the URL of the workspace's logo (wire "logoUri"), an absolute http or https
	// URL; empty when it has none.
	LogoURI string `json:"logoUri,omitempty"`
	// Settings are the workspace's switches; only those that are set are reported, none at
	// first. Nil when the answer carries no settings.
	Settings *WorkspaceSettings `json:"settings,omitempty"`
	// PublicKeys are the named PEM public keys that verify the workspace's tokens signed with a
	// private key (see WorkspaceClaims.Signer); none at first.
	PublicKeys []PublicKey `json:"publicKeys,omitempty"`
	// WebhookURI is the URL the workspace's webhooks are sent to (wire "webhookUri"), an
	// absolute http or https URL; empty when none is set.
	WebhookURI string `json:"webhookUri,omitempty"`
	// EnabledWebhookEvents are the names of the webhook events the workspace sends; none at
	// first.
	EnabledWebhookEvents []string `json:"enabledWebhookEvents,omitempty"`
	// JWKSURI is the URL of a JSON Web Key Set (wire "jwksUri"), an absolute http or https URL;
	// nil when none is set.
	JWKSURI *string `json:"jwksUri,omitempty"`
	// Type is WorkspaceTypeProduction (the default) or WorkspaceTypeDevelopment; empty only
	// when the answer leaves it out.
	Type WorkspaceType `json:"type,omitempty"`
	// IsReadOnly marks a read-only workspace; false at first.
	IsReadOnly bool `json:"isReadOnly,omitempty"`
	// Limits are the workspace's usage limits, by limit name; nil when none are set.
	Limits map[string]Limit `json:"limits,omitempty"`
	// UserFieldsSchema is a JSON object kept as it was sent (wire "userFieldsSchema"); nil when
	// none is set.
	UserFieldsSchema json.RawMessage `json:"userFieldsSchema,omitempty"`
	// AlertDeliverySettings is a JSON object kept as it was sent (wire
	// "alertDeliverySettings"); nil when none is set.
	AlertDeliverySettings json.RawMessage `json:"alertDeliverySettings,omitempty"`
}

// LogValue logs the identifying fields of w, with the secret redacted, so that a log line holds
// what tells the workspace apart rather than the whole workspace.
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

// WorkspaceSettings are the switches of a workspace. In an answer, a setting the server
// reports is set; in an update, unset settings stay as they are, Set(v) changes one and
// Null[bool]() resets it to the server's default. The fake keeps every setting and acts on
// DisableSecretKeyAuth alone.
type WorkspaceSettings struct {
	// EnableAPILogs is the setting "enableApiLogs", which switches the workspace's API logs on.
	EnableAPILogs Optional[bool] `json:"enableApiLogs,omitzero"`
	// EnableWebhookLogs is the setting "enableWebhookLogs", which switches its webhook logs on.
	EnableWebhookLogs Optional[bool] `json:"enableWebhookLogs,omitzero"`
	// EnableActionRunLogs is the setting "enableActionRunLogs", which switches its logs of
	// action runs on.
	EnableActionRunLogs Optional[bool] `json:"enableActionRunLogs,omitzero"`
	// DisableSecretKeyAuth is the setting "disableSecretKeyAuth": when true, the workspace
	// refuses tokens signed with its secret, so the fake refuses AccessToken with a 400; tokens
	// signed with a private key and verified by PublicKeys still work.
	DisableSecretKeyAuth Optional[bool] `json:"disableSecretKeyAuth,omitzero"`
	// UseMembraneUniverse is the setting "useMembraneUniverse".
	UseMembraneUniverse Optional[bool] `json:"useMembraneUniverse,omitzero"`
	// UseRemoteRepository is the setting "useRemoteRepository".
	UseRemoteRepository Optional[bool] `json:"useRemoteRepository,omitzero"`
	// AutoGenerateIntegrationsFromConnectors is the setting
	// "autoGenerateIntegrationsFromConnectors".
	AutoGenerateIntegrationsFromConnectors Optional[bool] `json:"autoGenerateIntegrationsFromConnectors,omitzero"`
	// AutoGenerateIntegrationsFromExternalApps is the setting
	// "autoGenerateIntegrationsFromExternalApps".
	AutoGenerateIntegrationsFromExternalApps Optional[bool] `json:"autoGenerateIntegrationsFromExternalApps,omitzero"`
	// AutoGenerateIntegrationsFromWebSearch is the setting
	// "autoGenerateIntegrationsFromWebSearch".
	AutoGenerateIntegrationsFromWebSearch Optional[bool] `json:"autoGenerateIntegrationsFromWebSearch,omitzero"`
}

// PublicKey is a named PEM public key that verifies asymmetrically signed workspace tokens.
type PublicKey struct {
	// Name names the key; a token signed by its private key picks it with the kid header
	// (WorkspaceClaims.KeyID).
	Name string `json:"name"`
	// PublicKey is the key in PEM (PKIX, or PKCS #1 for RSA); one that is not is refused
	// with a 400 naming "publicKeys[i].publicKey".
	PublicKey string `json:"publicKey"`
}

// Limit is a usage limit of a workspace.
type Limit struct {
	// Value is the limit in force.
	Value float64 `json:"value"`
	// DefaultValue is the limit the workspace has when none is set, if the server says.
	DefaultValue *float64 `json:"defaultValue,omitempty"`
	// Unit is what Value counts, if the server says.
	Unit string `json:"unit,omitempty"`
}

// CreateOrgWorkspaceRequest is the body of OrgWorkspacesService.Create.
type CreateOrgWorkspaceRequest struct {
	// OrgID is the org that will own the workspace. Required.
	OrgID string `json:"orgId"`
	// Name is the display name; the server picks one when empty.
	Name string `json:"name,omitempty"`
	// LogoURI is the URL of the workspace's logo, an absolute http or https URL; empty means
	// none. Any other value is refused with a 400 naming "logoUri".
	LogoURI string `json:"logoUri,omitempty"`
	// MembraneInstanceID places the workspace on an instance; empty means the hub's own.
	MembraneInstanceID string `json:"membraneInstanceId,omitempty"`
}

// UpdateOrgWorkspaceRequest is the body of OrgWorkspacesService.Update. Every field is an
// Optional: unset fields are left out and stay as they are; Set(v) sends v, even false, "" or an
// empty list; Null clears a field (JWKSURI, say). The refusals the fields name are the fake's
// checks (docs/contract.md); a real server may differ. For example:
//
//	&membrane.UpdateOrgWorkspaceRequest{
//		IsReadOnly:           membrane.Set(false),
//		EnabledWebhookEvents: membrane.Set([]string{}),
//		JWKSURI:              membrane.Null[string](),
//	}
type UpdateOrgWorkspaceRequest struct {
	// Name renames the workspace. It must hold a character that is not a space: Set(""),
	// Set("  ") and Null are refused with a 400 naming "name".
	Name Optional[string] `json:"name,omitzero"`
	// LogoURI sets the logo's URL, an absolute http or https URL; Set("") or Null removes it.
	LogoURI Optional[string] `json:"logoUri,omitzero"`
	// Settings merge setting by setting: the settings set in the WorkspaceSettings change, the
	// unset ones stay, a Null one goes back to unset; Null resets them all.
	Settings Optional[WorkspaceSettings] `json:"settings,omitzero"`
	// PublicKeys replaces the whole list of public keys; Set(nil) or Null leaves none. Each
	// PublicKey must hold a PEM public key.
	PublicKeys Optional[[]PublicKey] `json:"publicKeys,omitzero"`
	// WebhookURI sets the webhook URL, an absolute http or https URL; Set("") or Null removes it.
	WebhookURI Optional[string] `json:"webhookUri,omitzero"`
	// EnabledWebhookEvents replaces the whole list of event names; Set(nil) or Null leaves none.
	EnabledWebhookEvents Optional[[]string] `json:"enabledWebhookEvents,omitzero"`
	// JWKSURI sets the JSON Web Key Set URL, an absolute http or https URL; Set("") or Null
	// removes it.
	JWKSURI Optional[string] `json:"jwksUri,omitzero"`
	// Type sets WorkspaceTypeProduction or WorkspaceTypeDevelopment; any other value, and Null,
	// is refused with a 400 naming "type".
	Type Optional[WorkspaceType] `json:"type,omitzero"`
	// IsReadOnly makes the workspace read-only or not; Null is refused with a 400.
	IsReadOnly Optional[bool] `json:"isReadOnly,omitzero"`
	// Limits replaces the whole map of limits, by limit name; Null removes them all.
	Limits Optional[map[string]Limit] `json:"limits,omitzero"`
	// UserFieldsSchema sets a JSON object, sent as it is; Null removes it. A value that is not
	// an object is refused with a 400; Set(nil) fails before the request is sent.
	UserFieldsSchema Optional[json.RawMessage] `json:"userFieldsSchema,omitzero"`
	// AlertDeliverySettings sets a JSON object, sent as it is; Null removes it. A value that is
	// not an object is refused with a 400; Set(nil) fails before the request is sent.
	AlertDeliverySettings Optional[json.RawMessage] `json:"alertDeliverySettings,omitzero"`
}

// ListOrgWorkspacesOptions filters and pages OrgWorkspacesService.List.
type ListOrgWorkspacesOptions struct {
	// OrgID keeps the workspaces of that org.
	OrgID string `url:"orgId,omitempty"`
	// Search matches a substring of the name, ignoring case.
	Search string `url:"search,omitempty"`
	// Limit is the page size, 1 to 1000 (server default 100).
	Limit int `url:"limit,omitempty"`
	// Cursor is the Cursor of the previous page; empty for the first page.
	Cursor string `url:"cursor,omitempty"`
	// IncludeArchived lists archived workspaces too; they are left out by default.
	IncludeArchived bool `url:"includeArchived,omitempty"`
}

// OrgWorkspaceList is one page of org workspaces.
type OrgWorkspaceList struct {
	// Items are the workspaces of the page, oldest first; empty, never nil, when none match (a
	// page without "items" is an error).
	Items []*OrgWorkspace `json:"items"`
	// Cursor fetches the next page; it is empty on the last page.
	Cursor string `json:"cursor,omitempty"`
}

// LogValue logs the page as OrgWorkspace.LogValue logs each workspace, secrets redacted.
func (l OrgWorkspaceList) LogValue() slog.Value { return logPage(l.Items, l.Cursor) }

// AccessTokenRequest is the body of OrgWorkspacesService.AccessToken. All fields are optional:
// without a tenant the token is workspace-level.
type AccessTokenRequest struct {
	// IsAdmin gives a tenant token workspace-level rights.
	IsAdmin bool `json:"isAdmin,omitempty"`
	// TenantID names the tenant by its customer id (Customer.ID).
	TenantID string `json:"tenantId,omitempty"`
	// TenantKey names the tenant by its internal id (Customer.InternalID).
	TenantKey string `json:"tenantKey,omitempty"`
	// Name is the tenant's name when the token creates it on first use; empty sends none, and
	// the fake then names the tenant after its key.
	Name string `json:"name,omitempty"`
	// Fields are the tenant's custom fields when the token creates it on first use; they go in
	// the token's "fields" claim, and must encode as JSON. Nil or empty sends none.
	Fields map[string]any `json:"fields,omitempty"`
}

// OrgWorkspacesService calls the org workspace endpoints of the Management API.
type OrgWorkspacesService struct {
	api *apiClient
}

// Create creates an org workspace.
//
// POST /org-workspaces. It carries an Idempotency-Key (see WithIdempotencyKey), so its retries
// never create twice.
func (s *OrgWorkspacesService) Create(ctx context.Context, req *CreateOrgWorkspaceRequest, opts ...CallOption) (*OrgWorkspace, error) {
	const op = "OrgWorkspaces.Create"
	if req == nil {
		return nil, errors.New("membrane: " + op + ": the request is nil")
	}
	if err := requireID(op, "OrgID", req.OrgID); err != nil {
		return nil, err
	}
	ws := new(OrgWorkspace)
	err := s.api.do(ctx, call{op: op, method: http.MethodPost, path: "/org-workspaces", body: req, opts: opts}, ws)
	if err != nil {
		return nil, err
	}
	return ws, nil
}

// Get fetches an org workspace.
//
// GET /org-workspaces/{id}.
func (s *OrgWorkspacesService) Get(ctx context.Context, id string, opts ...CallOption) (*OrgWorkspace, error) {
	return s.one(ctx, "OrgWorkspaces.Get", http.MethodGet, id, "", nil, opts)
}

// List fetches one page of org workspaces; opts may be nil. Without OrgID, a token of one org
// lists that org's workspaces.
//
// GET /org-workspaces.
func (s *OrgWorkspacesService) List(ctx context.Context, opts *ListOrgWorkspacesOptions, callOpts ...CallOption) (*OrgWorkspaceList, error) {
	const op = "OrgWorkspaces.List"
	if opts == nil {
		opts = &ListOrgWorkspacesOptions{}
	}
	if err := checkLimit(op, opts.Limit); err != nil {
		return nil, err
	}
	page := new(OrgWorkspaceList)
	err := s.api.do(ctx, call{op: op, method: http.MethodGet, path: "/org-workspaces", query: opts, opts: callOpts}, page)
	if err != nil {
		return nil, err
	}
	return page, nil
}

// All iterates over the org workspaces of every page, starting at opts.Cursor; opts may be nil
// and is never modified. The call options apply to every page. On an error, a cursor the server
// already gave included, it yields the error once and stops.
//
// GET /org-workspaces, once per page.
func (s *OrgWorkspacesService) All(ctx context.Context, opts *ListOrgWorkspacesOptions, callOpts ...CallOption) iter.Seq2[*OrgWorkspace, error] {
	var base ListOrgWorkspacesOptions
	if opts != nil {
		base = *opts
	}
	return paginate(base.Cursor, func(cursor string) ([]*OrgWorkspace, string, error) {
		o := base
		o.Cursor = cursor
		page, err := s.List(ctx, &o, callOpts...)
		if err != nil {
			return nil, "", err
		}
		return page.Items, page.Cursor, nil
	})
}

// Update changes the fields set in req and leaves the others as they are.
//
// PATCH /org-workspaces/{id}.
func (s *OrgWorkspacesService) Update(ctx context.Context, id string, req *UpdateOrgWorkspaceRequest, opts ...CallOption) (*OrgWorkspace, error) {
	if req == nil {
		return nil, errors.New("membrane: OrgWorkspaces.Update: the request is nil")
	}
	return s.one(ctx, "OrgWorkspaces.Update", http.MethodPatch, id, "", req, opts)
}

// Archive archives an org workspace; archiving an archived one changes nothing.
//
// DELETE /org-workspaces/{id}.
func (s *OrgWorkspacesService) Archive(ctx context.Context, id string, opts ...CallOption) (*OrgWorkspace, error) {
	return s.one(ctx, "OrgWorkspaces.Archive", http.MethodDelete, id, "", nil, opts)
}

// Restore brings an archived org workspace back; restoring a live one changes nothing.
//
// POST /org-workspaces/{id}/restore, with an Idempotency-Key (see WithIdempotencyKey).
func (s *OrgWorkspacesService) Restore(ctx context.Context, id string, opts ...CallOption) (*OrgWorkspace, error) {
	return s.one(ctx, "OrgWorkspaces.Restore", http.MethodPost, id, "/restore", nil, opts)
}

// AccessToken mints a workspace token on the server, signed with the current secret; req may
// be nil for a workspace-level token.
//
// POST /org-workspaces/{id}/access-token, with an Idempotency-Key (see WithIdempotencyKey): a
// retry gets the token of the first attempt that the server completed.
func (s *OrgWorkspacesService) AccessToken(ctx context.Context, id string, req *AccessTokenRequest, opts ...CallOption) (string, error) {
	const op = "OrgWorkspaces.AccessToken"
	if err := requireID(op, "id", id); err != nil {
		return "", err
	}
	if req == nil {
		req = &AccessTokenRequest{}
	}
	var out tokenAnswer
	err := s.api.do(ctx, call{op: op, method: http.MethodPost, path: workspacePath(id, "/access-token"), body: req, opts: opts}, &out)
	if err != nil {
		return "", err
	}
	return out.Token, nil
}

// tokenAnswer is the answer of the access-token endpoint.
type tokenAnswer struct {
	Token string `json:"token"`
}

func (t *tokenAnswer) checkAnswer() error {
	if t.Token == "" {
		return errors.New("it holds no token")
	}
	return nil
}

// RotateSecret replaces the workspace secret and returns the new one. Tokens signed with the old
// secret stop working (unless the server grants a grace period). A WorkspaceClient made by Client
// gets a new token by itself; one made with WithWorkspaceCredentials must be built again with the
// new secret.
//
// POST /org-workspaces/{id}/rotate-secret, with an Idempotency-Key (see WithIdempotencyKey): its
// retries rotate once, and return the secret of that one rotation.
func (s *OrgWorkspacesService) RotateSecret(ctx context.Context, id string, opts ...CallOption) (Secret, error) {
	const op = "OrgWorkspaces.RotateSecret"
	if err := requireID(op, "id", id); err != nil {
		return "", err
	}
	var out secretAnswer
	err := s.api.do(ctx, call{op: op, method: http.MethodPost, path: workspacePath(id, "/rotate-secret"), opts: opts}, &out)
	if err != nil {
		return "", err
	}
	return out.Secret, nil
}

// secretAnswer is the answer of the rotate-secret endpoint.
type secretAnswer struct {
	Secret Secret `json:"secret"`
}

func (a *secretAnswer) checkAnswer() error {
	if a.Secret == "" {
		return errors.New("it holds no secret")
	}
	return nil
}

// checkAnswer reports an answer that is not a workspace: null, {} or one without an id.
func (w *OrgWorkspace) checkAnswer() error {
	if w.ID == "" {
		return errors.New("it is not a workspace: it has no id")
	}
	return nil
}

// checkAnswer reports a page without items, or with an item that is not a workspace.
func (l *OrgWorkspaceList) checkAnswer() error {
	return checkItems(l.Items)
}

// one performs a call on a single workspace that answers with the workspace.
func (s *OrgWorkspacesService) one(ctx context.Context, op, method, id, suffix string, body any, opts []CallOption) (*OrgWorkspace, error) {
	if err := requireID(op, "id", id); err != nil {
		return nil, err
	}
	ws := new(OrgWorkspace)
	if err := s.api.do(ctx, call{op: op, method: method, path: workspacePath(id, suffix), body: body, opts: opts}, ws); err != nil {
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
// It takes no context, as it does no I/O: each call of the workspace client uses its own context,
// also for the token requests it makes.
func (s *OrgWorkspacesService) Client(ws *OrgWorkspace, req *AccessTokenRequest) (*WorkspaceClient, error) {
	const op = "OrgWorkspaces.Client"
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
