package fake

import (
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/url"
	"reflect"
	"strings"
)

// wsConfig is a workspace's runtime configuration: the fields that live on the instance that
// hosts it. The hub keeps a copy that it commits only after the instance accepted a change. A
// wsConfig is never changed in place: a change makes a new one, so readers may share it.
type wsConfig struct {
	Settings              map[string]bool  `json:"settings"`
	PublicKeys            []publicKey      `json:"publicKeys"`
	WebhookURI            string           `json:"webhookUri,omitempty"`
	EnabledWebhookEvents  []string         `json:"enabledWebhookEvents"`
	JWKSURI               *string          `json:"jwksUri,omitempty"`
	Type                  string           `json:"type"`
	IsReadOnly            bool             `json:"isReadOnly"`
	Limits                map[string]limit `json:"limits,omitempty"`
	UserFieldsSchema      json.RawMessage  `json:"userFieldsSchema,omitempty"`
	AlertDeliverySettings json.RawMessage  `json:"alertDeliverySettings,omitempty"`
}

type publicKey struct {
	Name      string `json:"name"`
	PublicKey string `json:"publicKey"`
}

type limit struct {
	Value        *float64 `json:"value,omitempty"`
	DefaultValue *float64 `json:"defaultValue,omitempty"`
	Unit         string   `json:"unit,omitempty"`
}

const (
	workspaceTypeProduction  = "production"
	workspaceTypeDevelopment = "development"
)

// settingNames are the WorkspaceSettings booleans of the spec; other keys are ignored.
var settingNames = [...]string{
	"enableApiLogs", "enableWebhookLogs", "enableActionRunLogs", "disableSecretKeyAuth",
	"useMembraneUniverse", "useRemoteRepository", "autoGenerateIntegrationsFromConnectors",
	"autoGenerateIntegrationsFromExternalApps", "autoGenerateIntegrationsFromWebSearch",
}

// configFields are the JSON names of the instance-level fields, in wsConfig's order.
var configFields = jsonNames(reflect.TypeFor[wsConfig]())

// jsonNames returns the JSON names of the fields of struct type t.
func jsonNames(t reflect.Type) []string {
	names := make([]string, 0, t.NumField())
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name != "" && name != "-" {
			names = append(names, name)
		}
	}
	return names
}

func newConfig() wsConfig {
	return wsConfig{Settings: map[string]bool{}, PublicKeys: []publicKey{}, EnabledWebhookEvents: []string{},
		Type: workspaceTypeProduction}
}

// configPatch returns the instance-level fields present in f, as they were sent.
func configPatch(f *form) map[string]json.RawMessage {
	var p map[string]json.RawMessage
	for _, name := range configFields {
		if v, ok := f.raw[name]; ok {
			if p == nil {
				p = make(map[string]json.RawMessage, len(configFields))
			}
			p[name] = v
		}
	}
	return p
}

// patched returns c with the instance-level fields of f applied. Absent fields stay as they
// are; a field that is sent is replaced whole (null clears it), except that settings merge key
// by key when mergeSettings is set (null resets one setting, or all of them), as a user's PATCH
// does. Problems are recorded in f; when there are any, the returned config must not be used.
func (c wsConfig) patched(f *form, mergeSettings bool) wsConfig {
	if f.has("settings") {
		base := c.Settings
		if !mergeSettings {
			base = nil
		}
		c.Settings = patchSettings(base, f)
	}
	if f.has("publicKeys") {
		c.PublicKeys = readPublicKeys(f)
	}
	if f.has("webhookUri") {
		c.WebhookURI = ""
		if !f.isNull("webhookUri") {
			if s, ok := f.string("webhookUri"); ok && s != "" && checkURL(f, "webhookUri", s) {
				c.WebhookURI = s
			}
		}
	}
	if f.has("enabledWebhookEvents") {
		c.EnabledWebhookEvents = []string{}
		if !f.isNull("enabledWebhookEvents") {
			if ev, ok := f.strings("enabledWebhookEvents"); ok {
				c.EnabledWebhookEvents = ev
			}
		}
	}
	if f.has("jwksUri") {
		c.JWKSURI = nil
		if !f.isNull("jwksUri") {
			if s, ok := f.string("jwksUri"); ok && s != "" && checkURL(f, "jwksUri", s) {
				c.JWKSURI = &s
			}
		}
	}
	if f.has("type") {
		if t, ok := f.string("type"); ok {
			if t != workspaceTypeProduction && t != workspaceTypeDevelopment {
				f.fail("type", `must be "production" or "development"`)
			}
			c.Type = t
		}
	}
	if f.has("isReadOnly") {
		if b, ok := f.bool("isReadOnly"); ok {
			c.IsReadOnly = b
		}
	}
	if f.has("limits") {
		c.Limits = readLimits(f)
	}
	if f.has("userFieldsSchema") {
		c.UserFieldsSchema = readObjectOrNull(f, "userFieldsSchema")
	}
	if f.has("alertDeliverySettings") {
		c.AlertDeliverySettings = readObjectOrNull(f, "alertDeliverySettings")
	}
	return c
}

func patchSettings(old map[string]bool, f *form) map[string]bool {
	out := make(map[string]bool, len(settingNames))
	if f.isNull("settings") {
		return out
	}
	sub, ok := f.subForm("settings")
	if !ok {
		return old
	}
	for k, v := range old {
		out[k] = v
	}
	for _, name := range settingNames {
		if !sub.has(name) {
			continue
		}
		if sub.isNull(name) {
			delete(out, name)
			continue
		}
		if b, ok := sub.bool(name); ok {
			out[name] = b
		}
	}
	for k, problem := range sub.errs {
		f.fail("settings."+k, problem)
	}
	return out
}

func readPublicKeys(f *form) []publicKey {
	keys := []publicKey{}
	if f.isNull("publicKeys") {
		return keys
	}
	var items []map[string]json.RawMessage
	if err := json.Unmarshal(f.raw["publicKeys"], &items); err != nil {
		f.fail("publicKeys", `must be an array of {"name", "publicKey"} objects`)
		return keys
	}
	for i, item := range items {
		sub := &form{raw: item}
		name, _ := sub.string("name")
		pemText, ok := sub.string("publicKey")
		field := fmt.Sprintf("publicKeys[%d]", i)
		switch {
		case item == nil:
			f.fail(field, "must be an object")
		case len(sub.errs) > 0:
			for k, problem := range sub.errs {
				f.fail(field+"."+k, problem)
			}
		case !ok:
			f.fail(field+".publicKey", "is required")
		case !isPEMPublicKey(pemText):
			f.fail(field+".publicKey", "must be a PEM-encoded public key")
		default:
			keys = append(keys, publicKey{Name: name, PublicKey: pemText})
		}
	}
	return keys
}

// isPEMPublicKey tells whether s holds a PEM public key (PKIX, or PKCS #1 for RSA).
func isPEMPublicKey(s string) bool {
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

func readLimits(f *form) map[string]limit {
	if f.isNull("limits") {
		return nil
	}
	sub, ok := f.subForm("limits")
	if !ok {
		return nil
	}
	out := make(map[string]limit, len(sub.raw))
	for _, name := range sortedKeys(sub.raw) {
		entry, ok := sub.subForm(name)
		if !ok {
			continue
		}
		var l limit
		if v, ok := entry.number("value"); ok {
			l.Value = &v
		}
		if v, ok := entry.number("defaultValue"); ok {
			l.DefaultValue = &v
		}
		if u, ok := entry.string("unit"); ok {
			l.Unit = u
		}
		for k, problem := range entry.errs {
			sub.fail(name+"."+k, problem)
		}
		out[name] = l
	}
	for k, problem := range sub.errs {
		f.fail("limits."+k, problem)
	}
	return out
}

func readObjectOrNull(f *form, name string) json.RawMessage {
	if f.isNull(name) {
		return nil
	}
	v, _ := f.object(name)
	return v
}

// checkURL records a problem unless s is an absolute http or https URL.
func checkURL(f *form, name, s string) bool {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.ContainsAny(s, " \t\r\n") {
		f.fail(name, "must be an absolute http or https URL")
		return false
	}
	return true
}

// engineFields returns the instance-level fields of c as the engine API takes them, every one
// present (null where unset), so that an update sets exactly these values.
func (c wsConfig) engineFields() map[string]any {
	// Encoding cannot fail: the raw values in c were all checked by storedJSON.
	b, _ := encodeJSON(c)
	var present map[string]json.RawMessage
	_ = json.Unmarshal(b, &present)
	m := make(map[string]any, len(configFields))
	for _, name := range configFields {
		m[name] = nil
		if v, ok := present[name]; ok {
			m[name] = v
		}
	}
	return m
}
