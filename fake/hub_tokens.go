package fake

import (
	"encoding/json"
	"net/http"
	"net/url"

	"github.com/golang-jwt/jwt/v5"
)

// accessToken answers POST /org-workspaces/{id}/access-token with a workspace token: HS256,
// signed with the workspace's current secret.
func (h *hub) accessToken(x *exchange, o *org, e *wsEntry) (any, *apiError) {
	f, err := parseForm(x.body)
	if err != nil {
		return nil, err
	}
	isAdmin, _ := f.bool("isAdmin")
	tenantID, _ := f.string("tenantId")
	tenantKey, _ := f.string("tenantKey")
	name, _ := f.string("name")
	fields, hasFields := f.object("fields")
	if err := f.err(); err != nil {
		return nil, err
	}
	ws := current(o, e)
	if ws.archivedAt != nil {
		return nil, errBadRequest("org workspace %q is archived: restore it before minting tokens", ws.id)
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
	now := h.s.now()
	claims := jwt.MapClaims{
		"workspaceKey": ws.key,
		"iss":          ws.key,
		"iat":          now.Unix(),
		"exp":          now.Add(h.s.cfg.tokenTTL).Unix(),
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

// tenantKeyOf asks the hosting instance, through its workspace API and with a short-lived admin
// token, for the customer tenantID names, and returns that customer's internal id.
func (h *hub) tenantKeyOf(x *exchange, ws *orgWorkspace, tenantID string) (string, *apiError) {
	now := h.s.now()
	admin, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"workspaceKey": ws.key, "isAdmin": true, "iat": now.Unix(), "exp": now.Add(h.s.cfg.tokenTTL).Unix(),
	}).SignedString([]byte(ws.secret))
	if err != nil {
		return "", errInternal("could not sign the token")
	}
	ref := h.instance(ws.instanceID)
	if ref == nil {
		return "", errDependency("the instance hosting this workspace is not registered")
	}
	req, rerr := http.NewRequestWithContext(x.r.Context(), http.MethodGet, ref.url()+"/customers/"+url.PathEscape(tenantID), nil)
	if rerr != nil {
		return "", errInternal("could not build the call to instance %q", ref.id)
	}
	req.Header.Set("Authorization", "Bearer "+admin)
	resp, rerr := h.s.client.Do(req)
	if rerr != nil {
		return "", errDependency("instance %q cannot be reached", ref.id)
	}
	defer resp.Body.Close()
	var c struct {
		InternalID string `json:"internalId"`
	}
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return "", errNotFound("customer %q not found in this workspace", tenantID)
	case resp.StatusCode != http.StatusOK:
		return "", errDependency("instance %q failed (%d)", ref.id, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(&c); err != nil {
		return "", errDependency("instance %q answered with a broken customer", ref.id)
	}
	return c.InternalID, nil
}
