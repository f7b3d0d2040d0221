package proof

import (
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"time"

	"github.com/golang-jwt/jwt/v5"
	membrane "github.com/membrane-community/membrane-go"
	"github.com/membrane-community/membrane-go/internal/model"
)

// This file is the one place that knows the SDK's calls and errors: the model's outcomes map to
// sentinels here, and model requests to SDK requests.

// kindOf is the model outcome an SDK error stands for; anything else is reported as it is.
func kindOf(err error) model.Kind {
	switch {
	case err == nil:
		return model.OK
	case errors.Is(err, membrane.ErrAlreadyExists):
		return model.AlreadyExists
	case errors.Is(err, membrane.ErrBadRequest):
		return model.BadRequest
	case errors.Is(err, membrane.ErrNotAuthenticated):
		return model.NotAuthenticated
	case errors.Is(err, membrane.ErrAccessDenied):
		return model.AccessDenied
	case errors.Is(err, membrane.ErrNotFound):
		return model.NotFound
	case errors.Is(err, membrane.ErrDependency):
		return model.Dependency
	case errors.Is(err, membrane.ErrNoResponse):
		return model.NoResponse // no answer at all: a connection refused or reset, every attempt
	}
	return model.Kind("unexpected error: " + err.Error())
}

// maybeApplied reports an SDK error whose outcome is unknown: an attempt whose answer was lost
// may have made the change, although the last attempt's answer says otherwise.
func maybeApplied(err error) bool {
	var apiErr *membrane.Error
	return errors.As(err, &apiErr) && apiErr.MaybeApplied
}

// sdkCreate creates an org workspace under an Idempotency-Key ("" for one of the client's).
func sdkCreate(ctx context.Context, c *membrane.Client, r model.CreateRequest, key string) (*membrane.OrgWorkspace, error) {
	var opts []membrane.CallOption
	if key != "" {
		opts = append(opts, membrane.WithIdempotencyKey(key))
	}
	return c.OrgWorkspaces.Create(ctx, &membrane.CreateOrgWorkspaceRequest{OrgID: r.OrgID, Name: r.Name, LogoURI: r.LogoURI, MembraneInstanceID: r.InstanceID}, opts...)
}

// sdkList reads every page, limit at a time (0: the server's default).
func sdkList(ctx context.Context, c *membrane.Client, orgID, search string, archived bool, limit int) ([]*membrane.OrgWorkspace, error) {
	out := []*membrane.OrgWorkspace{}
	for ws, err := range c.OrgWorkspaces.All(ctx, &membrane.ListOrgWorkspacesOptions{
		OrgID: orgID, Search: search, IncludeArchived: archived, Limit: limit}) {
		if err != nil {
			return nil, err
		}
		out = append(out, ws)
	}
	return out, nil
}

// sdkInstances lists the instances an org may use.
func sdkInstances(ctx context.Context, c *membrane.Client, orgID string) ([]*membrane.Instance, error) {
	return c.Instances.List(ctx, orgID)
}

// sdkUpdate patches an org workspace.
func sdkUpdate(ctx context.Context, c *membrane.Client, id string, p model.Patch) (*membrane.OrgWorkspace, error) {
	return c.OrgWorkspaces.Update(ctx, id, updateRequest(p))
}

// sdkCreateCustomer creates a customer under an Idempotency-Key ("" for one of the client's).
func sdkCreateCustomer(ctx context.Context, wc *membrane.WorkspaceClient, name, internalID string, fields map[string]any, key string) (*membrane.Customer, error) {
	var opts []membrane.CallOption
	if key != "" {
		opts = append(opts, membrane.WithIdempotencyKey(key))
	}
	return wc.Customers.Create(ctx, &membrane.CreateCustomerRequest{Name: name, InternalID: internalID, Fields: fields}, opts...)
}

// sdkRenameCustomer patches a customer's name.
func sdkRenameCustomer(ctx context.Context, wc *membrane.WorkspaceClient, id, name string) (*membrane.Customer, error) {
	return wc.Customers.Update(ctx, id, &membrane.UpdateCustomerRequest{Name: membrane.Set(name)})
}

// sdkReplaceCustomer replaces a customer with PUT.
func sdkReplaceCustomer(ctx context.Context, wc *membrane.WorkspaceClient, id, name, internalID string, fields map[string]any, isTest bool) (*membrane.Customer, error) {
	return wc.Customers.Replace(ctx, id, &membrane.ReplaceCustomerRequest{Name: name, InternalID: internalID,
		Fields: fields, IsTest: isTest})
}

// updateRequest is the SDK request of a model patch.
func updateRequest(p model.Patch) *membrane.UpdateOrgWorkspaceRequest {
	r := &membrane.UpdateOrgWorkspaceRequest{}
	set := func(v *string) membrane.Optional[string] {
		if v == nil {
			return membrane.Optional[string]{}
		}
		return membrane.Set(*v)
	}
	r.Name, r.LogoURI, r.WebhookURI = set(p.Name), set(p.LogoURI), set(p.WebhookURI)
	if p.EnabledWebhookEvents != nil {
		r.EnabledWebhookEvents = membrane.Set(*p.EnabledWebhookEvents)
	}
	if p.IsReadOnly != nil {
		r.IsReadOnly = membrane.Set(*p.IsReadOnly)
	}
	raw := func(v json.RawMessage) membrane.Optional[json.RawMessage] {
		switch {
		case v == nil:
			return membrane.Optional[json.RawMessage]{}
		case string(v) == "null":
			return membrane.Null[json.RawMessage]()
		}
		return membrane.Set(v)
	}
	r.UserFieldsSchema, r.AlertDeliverySettings = raw(p.UserFieldsSchema), raw(p.AlertDeliverySettings)
	if p.Type != nil {
		r.Type = membrane.Set(membrane.WorkspaceType(*p.Type))
	}
	switch {
	case p.JWKSURINull:
		r.JWKSURI = membrane.Null[string]()
	case p.JWKSURI != nil:
		r.JWKSURI = membrane.Set(*p.JWKSURI)
	}
	switch {
	case p.PublicKeysNull:
		r.PublicKeys = membrane.Null[[]membrane.PublicKey]()
	case p.PublicKeys != nil:
		keys := []membrane.PublicKey{}
		for _, k := range *p.PublicKeys {
			keys = append(keys, membrane.PublicKey{Name: k.Name, PublicKey: k.PublicKey})
		}
		r.PublicKeys = membrane.Set(keys)
	}
	switch {
	case p.LimitsNull:
		r.Limits = membrane.Null[map[string]membrane.Limit]()
	case p.Limits != nil:
		limits := map[string]membrane.Limit{}
		for name, l := range p.Limits {
			limits[name] = membrane.Limit{Value: *l.Value, DefaultValue: l.DefaultValue, Unit: l.Unit}
		}
		r.Limits = membrane.Set(limits)
	}
	switch {
	case p.SettingsNull:
		r.Settings = membrane.Null[membrane.WorkspaceSettings]()
	case p.Settings != nil:
		set := map[string]any{}
		for k, v := range p.Settings {
			set[k] = nil // null resets the setting
			if v != nil {
				set[k] = *v
			}
		}
		var ws membrane.WorkspaceSettings
		b, _ := json.Marshal(set)
		_ = json.Unmarshal(b, &ws)
		r.Settings = membrane.Set(ws)
	}
	return r
}

// settingsOf is the SDK's settings of a map of the set ones.
func settingsOf(m map[string]bool) *membrane.WorkspaceSettings {
	var s membrane.WorkspaceSettings
	b, _ := json.Marshal(m)
	_ = json.Unmarshal(b, &s)
	return &s
}

func sdkAccessToken(ctx context.Context, c *membrane.Client, id string, r model.TokenRequest) (string, error) {
	return c.OrgWorkspaces.AccessToken(ctx, id, &membrane.AccessTokenRequest{
		IsAdmin: r.IsAdmin, TenantID: r.TenantID, TenantKey: r.TenantKey, Name: r.Name, Fields: r.Fields})
}

// sdkCustomers reads every customer, limit at a time.
func sdkCustomers(ctx context.Context, wc *membrane.WorkspaceClient, search string, archived bool, limit int) ([]*membrane.Customer, error) {
	out := []*membrane.Customer{}
	for cu, err := range wc.Customers.All(ctx, &membrane.ListCustomersOptions{Search: search, IncludeArchived: archived, Limit: limit}) {
		if err != nil {
			return nil, err
		}
		out = append(out, cu)
	}
	return out, nil
}

// mint signs a workspace token. legacy writes the claims iss and id instead of workspaceKey and
// tenantKey.
func mint(t model.Token, issued time.Time, legacy bool) (string, error) {
	if t.KeyPEM != "" {
		block, _ := pem.Decode([]byte(privateKeyPEM))
		if block == nil {
			return "", errors.New("the test's private key is not PEM")
		}
		key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return "", err
		}
		return membrane.MintWorkspaceToken(t.WorkspaceKey, "", membrane.WorkspaceClaims{
			TenantKey: t.TenantKey, Name: t.Name, Fields: t.Fields, IsAdmin: t.IsAdmin, ExpiresIn: t.Expires.Sub(issued),
			Signer: key.(*ecdsa.PrivateKey), KeyID: t.KeyID, Now: func() time.Time { return issued },
		})
	}
	if legacy {
		claims := jwt.MapClaims{"iss": t.WorkspaceKey, "exp": t.Expires.Unix(), "iat": issued.Unix()}
		if t.TenantKey != "" {
			claims["id"] = t.TenantKey
		}
		if t.Name != "" {
			claims["name"] = t.Name
		}
		if t.IsAdmin {
			claims["isAdmin"] = true
		}
		if t.Fields != nil {
			claims["fields"] = t.Fields
		}
		return jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(t.Secret))
	}
	return membrane.MintWorkspaceToken(t.WorkspaceKey, membrane.Secret(t.Secret), membrane.WorkspaceClaims{
		TenantKey: t.TenantKey, Name: t.Name, Fields: t.Fields, IsAdmin: t.IsAdmin, ExpiresIn: t.Expires.Sub(issued),
		Now: func() time.Time { return issued },
	})
}
