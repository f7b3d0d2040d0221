package fake

import (
	"encoding/json"
	"testing"
	"time"
)

// orgWorkspaceJSON is the OrgWorkspace object on the wire as a struct: encoding/json's
// encoding of it is what appendWorkspace must write.
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

// render is the reference rendering of version w.
func (h *hub) render(w *orgWorkspace) orgWorkspaceJSON {
	out := orgWorkspaceJSON{
		ID: w.id, Name: w.name, OrgID: w.orgID, Key: w.key, Secret: w.secret,
		CreatedAt: formatTime(w.createdAt), UpdatedAt: formatTime(w.updatedAt),
		MembraneInstanceID: w.instanceID, LogoURI: w.logoURI, wsConfig: w.cfg,
	}
	if w.archivedAt != nil {
		out.ArchivedAt = formatTime(*w.archivedAt)
	}
	out.APIBaseURI = h.baseURIOf(w)
	return out
}

// The hand-written encoder writes what encoding/json writes, byte for byte.
func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	uri := "https://jwks.example/<keys>?a=1&b=2"
	ts := time.Date(2026, 1, 2, 3, 4, 5, 6000000, time.UTC)
	tricky := []string{"", "plain", `quote " and \ backslash`, "tab\tnew\nline\r\b\f\x00\x1f", "<script>&amp;",
		"snow ☃ and 😀", "bad \xff utf8 \xc3", "line\u2028para\u2029", "\x7f del"}
	cases := []orgWorkspace{
		{id: "a", name: "Acme", cfg: newConfig()},
		{id: "b", archivedAt: &ts, instanceID: "eu", logoURI: "https://x.example/l.png", cfg: wsConfig{}},
		{id: "c", cfg: wsConfig{
			Settings:              map[string]bool{"enableApiLogs": true, "disableSecretKeyAuth": false},
			PublicKeys:            []publicKey{{Name: "k<1>", PublicKey: "-----BEGIN PUBLIC KEY-----\nAAA\n-----END PUBLIC KEY-----\n"}},
			WebhookURI:            "https://hooks.example/a?b=<c>",
			EnabledWebhookEvents:  []string{"a", "b&c"},
			JWKSURI:               &uri,
			Type:                  workspaceTypeDevelopment,
			IsReadOnly:            true,
			Limits:                map[string]limit{"x": {Unit: "per-<min>"}},
			UserFieldsSchema:      json.RawMessage(`{"a":"<b>"}`),
			AlertDeliverySettings: json.RawMessage(`[1,2]`),
		}},
	}
	for _, s := range tricky {
		cases = append(cases, orgWorkspace{id: s, name: s, key: s, secret: s, instanceID: s, logoURI: s,
			cfg: wsConfig{Settings: map[string]bool{s: true}, EnabledWebhookEvents: []string{s}, WebhookURI: s, Type: s}})
	}
	base := "http://hub/<api>"
	h := &hub{instances: map[string]*instanceRef{hubInstanceID: {id: hubInstanceID, url: func() string { return base }}}}
	page := workspacePage{h: h, cursor: "42"}
	var rendered []orgWorkspaceJSON
	for _, ws := range cases {
		ws.createdAt, ws.updatedAt = ts, ts.Add(time.Hour)
		ws.instanceID = "" // all on the hub's own instance, so that they share its URL
		w := h.render(&ws)
		want, err := json.Marshal(w)
		if err != nil {
			t.Fatal(err)
		}
		got, err := h.appendWorkspace(nil, &ws, base)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("appendWorkspace:\n got %s\nwant %s", got, want)
		}
		page.items = append(page.items, &ws)
		rendered = append(rendered, w)
	}
	want, _ := json.Marshal(listJSON[orgWorkspaceJSON]{Items: rendered, Cursor: "42"})
	got, _ := page.appendJSON(nil)
	if string(got) != string(want) {
		t.Errorf("a page differs:\n got %s\nwant %s", got, want)
	}
}

func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", "a", "<>&", "\xff", "\u2028", "\x00\x1f\x7f", "😀"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := appendJSONString(nil, s); string(got) != string(want) {
			t.Fatalf("%q: got %s, want %s", s, got, want)
		}
	})
}

// plainString reads what encoding/json reads, whenever it reads at all.
func FuzzPlainString(f *testing.F) {
	for _, s := range []string{`"a"`, `""`, `"a\"b"`, `"\u00e9"`, `"é"`, `"x`, `1`, `"tab	"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		got, ok := plainString(raw)
		if !ok {
			return
		}
		var want string
		if err := json.Unmarshal(raw, &want); err != nil || got != want {
			t.Fatalf("%q: plainString %q, encoding/json %q (%v)", raw, got, want, err)
		}
	})
}

// splitObject reads a body as encoding/json reads it into a map, whenever it reads at all.
func FuzzSplitObject(f *testing.F) {
	for _, s := range []string{`{}`, ` { "a" : 1 , "b":[1,{"c":"]}"}], "d":"x\"}" } `, `{"a":1,"a":2}`, `[]`, `{"é":1}`,
		`{"k\"":1}`, `{"a":{"b":{"c":[true,false,null]}},"z":-1.5e3}`, `{"a":"\\"}`, `{`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got, ok := splitObject(body)
		if !ok {
			return
		}
		var want map[string]json.RawMessage
		if err := json.Unmarshal(body, &want); err != nil {
			t.Fatalf("%q: splitObject read it, encoding/json says %v", body, err)
		}
		if len(got) != len(want) {
			t.Fatalf("%q: %d members, want %d", body, len(got), len(want))
		}
		for k, v := range want {
			if string(got[k]) != string(v) {
				t.Fatalf("%q: member %q is %q, want %q", body, k, got[k], v)
			}
		}
	})
}
