package model

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"maps"
	"slices"
	"strings"
)

// Patch is the body of PATCH /org-workspaces/{id} (contract, Management API, "4. PATCH
// /org-workspaces/{id}"). A nil field is absent.
type Patch struct {
	Name    *string
	LogoURI *string // "" clears it (silent)
	// Settings merges key by key (silent); a nil value resets that setting. SettingsNull
	// resets them all.
	Settings             map[string]*bool
	SettingsNull         bool
	WebhookURI           *string // "" clears it
	EnabledWebhookEvents *[]string
	JWKSURI              *string // "" or JWKSURINull clears it (Management API, "4. PATCH")
	JWKSURINull          bool
	Type                 *string
	IsReadOnly           *bool
	// PublicKeys and Limits replace the whole field; their Null clears it.
	PublicKeys     *[]PublicKey
	PublicKeysNull bool
	Limits         map[string]Limit
	LimitsNull     bool
	// UserFieldsSchema and AlertDeliverySettings are JSON objects; "null" clears them.
	UserFieldsSchema      json.RawMessage
	AlertDeliverySettings json.RawMessage
}

// empty is true for a patch that names no field the API knows.
func (p Patch) empty() bool {
	return p.Name == nil && p.LogoURI == nil && !p.instanceLevel()
}

// instanceLevel is true when the patch names a field the instance holds (What a failure promises:
// everything but name and logoUri).
func (p Patch) instanceLevel() bool {
	return p.Settings != nil || p.SettingsNull || p.WebhookURI != nil || p.EnabledWebhookEvents != nil ||
		p.JWKSURI != nil || p.JWKSURINull || p.Type != nil || p.IsReadOnly != nil ||
		p.PublicKeys != nil || p.PublicKeysNull || p.Limits != nil || p.LimitsNull ||
		p.UserFieldsSchema != nil || p.AlertDeliverySettings != nil
}

// apply merges p into ws, and reports false (a 400, nothing changed) when a field is invalid.
func (p Patch) apply(ws *Workspace) bool {
	if p.Name != nil {
		if strings.TrimSpace(*p.Name) == "" { // name: optional, at least one character
			return false
		}
		ws.Name = *p.Name
	}
	ok := true
	setURL := func(dst *string, v *string) {
		if v == nil {
			return
		}
		if *v != "" && !isURL(*v) {
			ok = false
			return
		}
		*dst = *v
	}
	setURL(&ws.LogoURI, p.LogoURI)
	setURL(&ws.WebhookURI, p.WebhookURI)
	switch {
	case p.JWKSURINull:
		ws.JWKSURI = nil
	case p.JWKSURI != nil && *p.JWKSURI == "":
		ws.JWKSURI = nil
	case p.JWKSURI != nil:
		if !isURL(*p.JWKSURI) {
			return false
		}
		v := *p.JWKSURI
		ws.JWKSURI = &v
	}
	if p.SettingsNull {
		ws.Settings = map[string]bool{}
	}
	for name, v := range p.Settings {
		if v == nil {
			delete(ws.Settings, name)
		} else {
			ws.Settings[name] = *v
		}
	}
	if p.EnabledWebhookEvents != nil {
		ws.EnabledWebhookEvents = append([]string{}, *p.EnabledWebhookEvents...)
	}
	if p.Type != nil {
		if *p.Type != "production" && *p.Type != "development" { // Management API, "4. PATCH"
			return false
		}
		ws.Type = *p.Type
	}
	if p.IsReadOnly != nil {
		ws.IsReadOnly = *p.IsReadOnly
	}
	switch {
	case p.PublicKeysNull:
		ws.PublicKeys = []PublicKey{}
	case p.PublicKeys != nil:
		for _, k := range *p.PublicKeys {
			if !isPublicKey(k.PublicKey) { // "Objects": a PEM-encoded public key
				return false
			}
		}
		ws.PublicKeys = slices.Clone(*p.PublicKeys)
	}
	switch {
	case p.LimitsNull:
		ws.Limits = nil
	case p.Limits != nil:
		ws.Limits = maps.Clone(p.Limits)
	}
	ws.UserFieldsSchema = objectOrNull(ws.UserFieldsSchema, p.UserFieldsSchema)
	ws.AlertDeliverySettings = objectOrNull(ws.AlertDeliverySettings, p.AlertDeliverySettings)
	return ok
}

// isPublicKey reports whether s is a PEM-encoded public key (PKIX or PKCS #1).
func isPublicKey(s string) bool {
	block, _ := pem.Decode([]byte(s))
	if block == nil {
		return false
	}
	if _, err := x509.ParsePKIXPublicKey(block.Bytes); err == nil {
		return true
	}
	_, err := x509.ParsePKCS1PublicKey(block.Bytes)
	return err == nil
}

// objectOrNull is the new value of a JSON object field: unchanged when absent, cleared by null.
func objectOrNull(old, v json.RawMessage) json.RawMessage {
	switch {
	case v == nil:
		return old
	case bytes.Equal(bytes.TrimSpace(v), []byte("null")):
		return nil
	}
	return slices.Clone(v)
}
