package fake

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/golang-jwt/jwt/v5"
)

// accessToken serves POST /org-workspaces/{id}/access-token with a workspace token: HS256,
// signed with the workspace's current secret.
func (h *hub) accessToken(x *request, o *org, e *wsEntry) (any, *apiError) {
	f, err := parseForm(x.body)
	if err != nil {
		return nil, err
	}
	isAdmin, _ := f.bool("isAdmin")
	tenantID, _ := f.string("tenantId")
	tenantKey, _ := f.string("tenantKey")
	if tenantKey != "" && strings.TrimSpace(tenantKey) == "" {
		f.fail("tenantKey", "must not be spaces only: it is a customer's internal id")
	}
	name, _ := f.string("name")
	fields, hasFields := f.object("fields")
	if err := f.err(); err != nil {
		return nil, err
	}
	// Read the secret behind the workspace's gate: a rotation in flight may already have
	// reached the instance, and a token signed with the old secret would be dead at birth.
	ws, err := h.settled(x.r.Context(), o, e)
	if err != nil {
		return nil, err
	}
	if ws.archivedAt != nil {
		return nil, errBadRequest("org workspace %q is archived: restore it before minting tokens", ws.id)
	}
	if ws.cfg.Settings["disableSecretKeyAuth"] {
		return nil, errBadRequest("org workspace %q refuses secret-signed tokens (settings.disableSecretKeyAuth): sign tokens with a key registered in publicKeys", ws.id)
	}
	if tenantID != "" {
		key, err := h.tenantKeyOf(x, ws, tenantID)
		if err != nil {
			return nil, err
		}
		if tenantKey != "" && tenantKey != key {
			return nil, errFields(map[string]string{"tenantKey": "does not match the customer that tenantId names"})
		}
		tenantKey = key
	}
	now := h.env.now()
	claims := jwt.MapClaims{
		"workspaceKey": ws.key,
		"iss":          ws.key,
		"iat":          now.Unix(),
		"exp":          now.Add(h.env.tokenTTL).Unix(),
	}
	if tenantKey != "" {
		claims["tenantKey"] = tenantKey
	}
	if name != "" {
		claims["name"] = name
	}
	if hasFields {
		claims["fields"] = fields
	}
	if isAdmin {
		claims["isAdmin"] = true
	}
	tok, serr := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(ws.secret))
	if serr != nil {
		return nil, errInternal("could not sign the token")
	}
	return map[string]string{"token": tok}, nil
}

// tenantKeyOf asks the hosting instance, through its engine API, for the customer tenantID
// names, and returns that customer's internal id.
func (h *hub) tenantKeyOf(x *request, ws *orgWorkspace, tenantID string) (string, *apiError) {
	b, err := h.engine(x.r.Context(), h.instance(ws.instanceID), http.MethodGet,
		"/workspaces/"+url.PathEscape(ws.key)+"/customers/"+url.PathEscape(tenantID), nil)
	if err != nil {
		if err.upstream == http.StatusNotFound {
			return "", errNotFound("customer %q not found in this workspace", tenantID)
		}
		return "", err
	}
	var c struct {
		InternalID string `json:"internalId"`
	}
	if jerr := json.Unmarshal(b.body, &c); jerr != nil || c.InternalID == "" {
		return "", errDependency("instance responded with a broken customer")
	}
	return c.InternalID, nil
}
