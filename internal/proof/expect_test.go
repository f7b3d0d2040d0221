package proof

import (
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"time"

	membrane "github.com/membrane-community/membrane-go"
	"github.com/membrane-community/membrane-go/internal/model"
)

// wantWorkspace is the OrgWorkspace the model says the server answers.
func (w *world) wantWorkspace(ws *model.Workspace) *membrane.OrgWorkspace {
	out := &membrane.OrgWorkspace{
		ID: ws.ID, Name: ws.Name, OrgID: ws.OrgID, Key: ws.Key, Secret: membrane.Secret(ws.Secret),
		CreatedAt: ws.CreatedAt, UpdatedAt: ws.UpdatedAt, ArchivedAt: ws.ArchivedAt,
		MembraneInstanceID: ws.InstanceID, APIBaseURI: w.m.Instance(ws.Host).BaseURI, LogoURI: ws.LogoURI,
		Settings: settingsOf(ws.Settings), WebhookURI: ws.WebhookURI, EnabledWebhookEvents: ws.EnabledWebhookEvents,
		JWKSURI: ws.JWKSURI, Type: membrane.WorkspaceType(ws.Type), IsReadOnly: ws.IsReadOnly,
		UserFieldsSchema: ws.UserFieldsSchema, AlertDeliverySettings: ws.AlertDeliverySettings,
	}
	for _, k := range ws.PublicKeys {
		out.PublicKeys = append(out.PublicKeys, membrane.PublicKey{Name: k.Name, PublicKey: k.PublicKey})
	}
	if len(ws.Limits) > 0 {
		out.Limits = map[string]membrane.Limit{}
		for name, l := range ws.Limits {
			v := 0.0
			if l.Value != nil {
				v = *l.Value
			}
			out.Limits[name] = membrane.Limit{Value: v, DefaultValue: l.DefaultValue, Unit: l.Unit}
		}
	}
	return out
}

// wantCustomer is the Customer the model says the server answers.
func wantCustomer(cu *model.Customer) *membrane.Customer {
	return &membrane.Customer{
		ID: cu.ID, Name: cu.Name, InternalID: cu.InternalID, Fields: cu.Fields, IsTest: cu.IsTest, IsActive: cu.IsActive(),
		IsBillable: true, LastActiveAt: cu.LastActiveAt, CreatedAt: cu.CreatedAt, ArchivedAt: cu.ArchivedAt,
	}
}

// diff compares two answers field by field, as JSON, and describes the fields that differ.
// Secrets are compared but never printed.
func diff(want, got any) string {
	a, b := canonical(want), canonical(got)
	if reflect.DeepEqual(a, b) {
		return ""
	}
	return describe("", a, b)
}

func canonical(v any) any {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("unencodable: %v", err)
	}
	var out any
	_ = json.Unmarshal(raw, &out)
	return sameTimes(out)
}

// sameTimes writes every time in one form, so that "…:00Z" and "…:00.000Z" compare equal.
func sameTimes(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			v[k] = sameTimes(x)
		}
	case []any:
		for i, x := range v {
			v[i] = sameTimes(x)
		}
	case string:
		if t, err := time.Parse(time.RFC3339Nano, v); err == nil && strings.Contains(v, "T") {
			return t.UTC().Format(time.RFC3339Nano)
		}
	}
	return v
}

// describe lists the paths at which a and b differ.
func describe(path string, a, b any) string {
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		keys := map[string]bool{}
		for k := range am {
			keys[k] = true
		}
		for k := range bm {
			keys[k] = true
		}
		var names []string
		for k := range keys {
			names = append(names, k)
		}
		sort.Strings(names)
		var out []string
		for _, k := range names {
			if !reflect.DeepEqual(am[k], bm[k]) {
				out = append(out, describe(path+"."+k, am[k], bm[k]))
			}
		}
		return strings.Join(out, "; ")
	}
	if strings.HasSuffix(path, ".secret") || strings.HasSuffix(path, ".token") {
		return path + ": the secrets differ"
	}
	return fmt.Sprintf("%s: model %s, server %s", path, show(a), show(b))
}

func show(v any) string {
	if v == nil {
		return "absent"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

var (
	objectID = regexp.MustCompile(`^[0-9a-f]{24}$`)
	uuidRe   = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	secretRe = regexp.MustCompile(`^[A-Za-z0-9_-]{43,}$`) // at least 32 random bytes, URL-safe base64
)

// generated reads the values the server made up for a new workspace, and checks their shape
// (contract §2 and §7) and that none was handed out before.
func (w *world) generated(ws *membrane.OrgWorkspace) (model.Generated, string) {
	g := model.Generated{ID: ws.ID, Key: ws.Key, Secret: ws.Secret.Reveal()}
	switch {
	case !objectID.MatchString(g.ID):
		return g, fmt.Sprintf("id %q is not 24 lowercase hex characters", g.ID)
	case !uuidRe.MatchString(g.Key):
		return g, fmt.Sprintf("key %q is not a UUID", g.Key)
	case !secretRe.MatchString(g.Secret):
		return g, "the secret is not at least 32 random bytes in URL-safe base64"
	}
	for _, old := range w.m.Workspaces {
		if old.ID == g.ID || old.Key == g.Key || old.Secret == g.Secret || old.PrevSecret == g.Secret {
			return g, "a generated id, key or secret was handed out before"
		}
	}
	return g, ""
}
