package fake

import (
	"encoding/json"
	"reflect"
	"testing"
)

// Every instance-level field goes from the hub to the instance and back unchanged: a field
// added to wsConfig without its validation in patched fails here.
func TestConfigFieldsSurviveTheEngineAPI(t *testing.T) {
	t.Parallel()
	jwks := "https://keys.example/jwks.json"
	value, def := 10.0, 5.0
	full := wsConfig{
		Settings: map[string]bool{"enableApiLogs": true, "disableSecretKeyAuth": false},
		PublicKeys: []publicKey{{Name: "k", PublicKey: "-----BEGIN PUBLIC KEY-----\n" +
			"MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n"}},
		WebhookURI:            "https://hooks.example/in",
		EnabledWebhookEvents:  []string{"connection.created"},
		JWKSURI:               &jwks,
		Type:                  workspaceTypeDevelopment,
		IsReadOnly:            true,
		Limits:                map[string]limit{"apiRequests": {Value: &value, DefaultValue: &def, Unit: "per-day"}},
		UserFieldsSchema:      json.RawMessage(`{"type":"object"}`),
		AlertDeliverySettings: json.RawMessage(`{"email":true}`),
	}
	v := reflect.ValueOf(full)
	for i := range v.NumField() {
		if v.Field(i).IsZero() {
			t.Fatalf("the test's config leaves %s unset: give it a value", v.Type().Field(i).Name)
		}
	}
	body, err := json.Marshal(full.engineFields())
	if err != nil {
		t.Fatal(err)
	}
	f, aerr := parseForm(body)
	if aerr != nil {
		t.Fatal(aerr)
	}
	got := newConfig().patched(f, false)
	if err := f.err(); err != nil {
		t.Fatalf("the engine API refuses what the hub sends: %v", err)
	}
	if !reflect.DeepEqual(got, full) {
		t.Errorf("a field did not survive:\n got %+v\nwant %+v", got, full)
	}
	if len(configFields) != v.NumField() {
		t.Errorf("configFields has %d names for %d fields", len(configFields), v.NumField())
	}
}
