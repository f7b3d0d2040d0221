package proof

import (
	"context"
	"slices"
	"time"

	"github.com/golang-jwt/jwt/v5"
	membrane "github.com/membrane-community/membrane-go"
	"github.com/membrane-community/membrane-go/internal/model"
	"pgregory.net/rapid"
)

// unknownID is an org workspace or customer id that nothing has.
const unknownID = "ffffffffffffffffffffffff"

// machine draws calls by random callers, with random faults, and checks each answer against
// the model: the same outcome (success, or the sentinel of the model's error) and, on success,
// every field.
type machine struct {
	w *world
	n *counts
	// minted holds the last token access-token gave for each workspace, and its claims.
	minted map[string]mintedToken
}

type mintedToken struct {
	raw string
	tok model.Token
}

func newMachine(t *rapid.T, loopback bool, n *counts) *machine {
	w := newWorld(t, loopback, rapid.Uint64().Draw(t, "seed"), grace)
	n.sequences.Add(1)
	return &machine{w: w, n: n, minted: map[string]mintedToken{}}
}

// run draws and checks a sequence, then stops the faults and checks that hub and instances
// agree with the model.
func run(t *rapid.T, loopback bool, n *counts) {
	m := newMachine(t, loopback, n)
	defer m.w.close()
	t.Repeat(rapid.StateMachineActions(m))
	m.w.heal(t)
	m.w.agree(t)
}

func ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 5*time.Minute)
}

// expect checks the outcome of a call against the model's, and reports whether both succeeded.
// An error whose outcome is unknown (maybeApplied) stands for either outcome: its sentinel, or
// the success the model predicts; in the second case the state afterwards decides, checked at
// once.
func (m *machine) expect(t *rapid.T, op string, want model.Kind, err error) bool {
	t.Helper()
	m.n.calls.Add(1)
	got := kindOf(err)
	if got != want && want == model.OK && maybeApplied(err) {
		m.w.heal(t)
		m.w.agree(t)
		return false
	}
	if got != want {
		t.Fatalf("%s: the model says %s, the SDK and the fake say %s", op, want, got)
	}
	return want == model.OK
}

// same fails when an answer differs from the model's in any field.
func same(t *rapid.T, op string, want, got any) {
	t.Helper()
	if d := diff(want, got); d != "" {
		t.Fatalf("%s: the answer differs from the model: %s", op, d)
	}
}

func (m *machine) caller(t *rapid.T) *caller {
	names := make([]string, len(m.w.callers))
	for i, c := range m.w.callers {
		names[i] = c.name
	}
	name := rapid.SampledFrom(names).Draw(t, "caller")
	return m.w.callers[slices.Index(names, name)]
}

func (m *machine) org(t *rapid.T) string {
	return rapid.SampledFrom([]string{m.w.orgA, m.w.orgB}).Draw(t, "org")
}

// workspaceID draws a workspace of the model, or one that does not exist.
func (m *machine) workspaceID(t *rapid.T) string {
	return rapid.SampledFrom(append(slices.Clone(m.w.m.Order), unknownID)).Draw(t, "workspace")
}

// fault draws whether the next call meets a fault, and which, and arms it. The returned
// function removes what is left of it.
func (m *machine) fault(t *rapid.T) func() {
	if rapid.IntRange(0, 3).Draw(t, "faulty") != 0 {
		return func() {}
	}
	kinds := []string{"500", "502", "reset", "lost answer"}
	if !m.w.loopback { // a Retry-After costs nothing in the synctest bubble
		kinds = append(kinds, "429", "503")
	}
	f := fault{At: rapid.SampledFrom(append([]string{"hub"}, instanceIDs...)).Draw(t, "fault at"),
		Times: rapid.IntRange(1, 2).Draw(t, "fault times")}
	switch k := rapid.SampledFrom(kinds).Draw(t, "fault"); k {
	case "reset":
		f.Reset = true
	case "lost answer":
		f.Drop = true
	default:
		f.Status = map[string]int{"429": 429, "500": 500, "502": 502, "503": 503}[k]
	}
	return m.w.arm(t, f)
}

// Create creates an org workspace, under an idempotency key that may repeat an earlier one.
func (m *machine) Create(t *rapid.T) {
	c := m.caller(t)
	r := model.CreateRequest{
		OrgID:      m.org(t),
		Name:       rapid.SampledFrom([]string{"", "Acme", "  ", "Beta Works"}).Draw(t, "name"),
		LogoURI:    rapid.SampledFrom([]string{"", "https://logo.example/a.png", "not a url"}).Draw(t, "logo"),
		InstanceID: rapid.SampledFrom([]string{"", "hub", "eu", "us", "mars"}).Draw(t, "instance"),
	}
	key := rapid.SampledFrom([]string{"", "", "key-1", "key-2"}).Draw(t, "idempotency key")
	done := m.fault(t)
	cx, cancel := ctx()
	got, err := sdkCreate(cx, c.client, r, key)
	cancel()
	done()
	var gen model.Generated
	if err == nil && m.w.m.Workspaces[got.ID] == nil {
		var problem string
		if gen, problem = m.w.generated(got); problem != "" {
			t.Fatalf("create: %s", problem)
		}
	}
	want, k := m.w.m.Create(c.model, r, key, gen)
	if m.expect(t, "create", k, err) {
		same(t, "create", m.w.wantWorkspace(want), got)
	}
}

// Get reads an org workspace.
func (m *machine) Get(t *rapid.T) {
	c, id := m.caller(t), m.workspaceID(t)
	done := m.fault(t)
	cx, cancel := ctx()
	got, err := c.client.OrgWorkspaces.Get(cx, id)
	cancel()
	done()
	want, k := m.w.m.Get(c.model, id)
	if m.expect(t, "get", k, err) {
		same(t, "get", m.w.wantWorkspace(want), got)
	}
}

// List reads every page of an org's workspaces.
func (m *machine) List(t *rapid.T) {
	c, org := m.caller(t), m.org(t)
	search := rapid.SampledFrom([]string{"", "acme", "WORKS", "zz"}).Draw(t, "search")
	archived := rapid.Bool().Draw(t, "include archived")
	limit := rapid.SampledFrom([]int{0, 1, 2}).Draw(t, "limit")
	done := m.fault(t)
	cx, cancel := ctx()
	got, err := sdkList(cx, c.client, org, search, archived, limit)
	cancel()
	done()
	want, k := m.w.m.List(c.model, org, search, archived)
	if m.expect(t, "list", k, err) {
		list := make([]*membrane.OrgWorkspace, len(want))
		for i, ws := range want {
			list[i] = m.w.wantWorkspace(ws)
		}
		same(t, "list", list, got)
	}
}

// Update patches an org workspace with a random set of fields, valid or not.
func (m *machine) Update(t *rapid.T) {
	c, id := m.caller(t), m.workspaceID(t)
	p := drawPatch(t)
	done := m.fault(t)
	cx, cancel := ctx()
	got, err := sdkUpdate(cx, c.client, id, p)
	cancel()
	done()
	want, k := m.w.m.Update(c.model, id, p)
	if m.expect(t, "update", k, err) {
		same(t, "update", m.w.wantWorkspace(want), got)
	}
}

// Archive archives an org workspace.
func (m *machine) Archive(t *rapid.T) {
	c, id := m.caller(t), m.workspaceID(t)
	done := m.fault(t)
	cx, cancel := ctx()
	got, err := c.client.OrgWorkspaces.Archive(cx, id)
	cancel()
	done()
	want, k := m.w.m.Archive(c.model, id)
	if m.expect(t, "archive", k, err) {
		same(t, "archive", m.w.wantWorkspace(want), got)
	}
}

// Restore restores an org workspace.
func (m *machine) Restore(t *rapid.T) {
	c, id := m.caller(t), m.workspaceID(t)
	done := m.fault(t)
	cx, cancel := ctx()
	got, err := c.client.OrgWorkspaces.Restore(cx, id)
	cancel()
	done()
	want, k := m.w.m.Restore(c.model, id)
	if m.expect(t, "restore", k, err) {
		same(t, "restore", m.w.wantWorkspace(want), got)
	}
}

// Rotate rotates a workspace's secret.
func (m *machine) Rotate(t *rapid.T) {
	c, id := m.caller(t), m.workspaceID(t)
	done := m.fault(t)
	cx, cancel := ctx()
	got, err := c.client.OrgWorkspaces.RotateSecret(cx, id)
	cancel()
	done()
	secret := got.Reveal()
	if err == nil && !secretRe.MatchString(secret) {
		t.Fatalf("rotate: the new secret is not at least 32 random bytes in URL-safe base64")
	}
	k := m.w.m.RotateSecret(c.model, id, secret)
	m.expect(t, "rotate", k, err)
}

// AccessToken mints a workspace token at the hub, and checks every claim.
func (m *machine) AccessToken(t *rapid.T) {
	c, id := m.caller(t), m.workspaceID(t)
	r := model.TokenRequest{
		IsAdmin:   rapid.Bool().Draw(t, "isAdmin"),
		TenantKey: rapid.SampledFrom([]string{"", "", "t1", "t2"}).Draw(t, "tenantKey"),
		Name:      rapid.SampledFrom([]string{"", "Jane"}).Draw(t, "name"),
		Fields:    drawFields(t, "fields"),
	}
	if ws := m.w.m.Workspaces[id]; ws != nil && rapid.IntRange(0, 2).Draw(t, "by tenantId") == 0 {
		ids := []string{unknownID}
		for _, cu := range ws.Customers {
			if cu.ID != "" {
				ids = append(ids, cu.ID)
			}
		}
		r.TenantID = rapid.SampledFrom(ids).Draw(t, "tenantId")
	}
	done := m.fault(t)
	cx, cancel := ctx()
	got, err := sdkAccessToken(cx, c.client, id, r)
	cancel()
	done()
	want, k := m.w.m.AccessToken(c.model, id, r)
	if !m.expect(t, "access-token", k, err) {
		return
	}
	claims := jwt.MapClaims{}
	_, perr := jwt.NewParser(jwt.WithValidMethods([]string{"HS256"}), jwt.WithTimeFunc(m.w.clk.Now)).
		ParseWithClaims(got, claims, func(*jwt.Token) (any, error) { return []byte(want.Secret), nil })
	if perr != nil {
		t.Fatalf("access-token: the token does not verify with the workspace's secret: %v", perr)
	}
	wantClaims := map[string]any{"workspaceKey": want.WorkspaceKey, "iss": want.WorkspaceKey,
		"iat": float64(want.IssuedAt), "exp": float64(want.Expires)}
	if want.TenantKey != "" {
		wantClaims["tenantKey"] = want.TenantKey
	}
	if want.Name != "" {
		wantClaims["name"] = want.Name
	}
	if want.IsAdmin {
		wantClaims["isAdmin"] = true
	}
	if want.Fields != nil {
		wantClaims["fields"] = want.Fields
	}
	same(t, "access-token claims", wantClaims, map[string]any(claims))
	m.minted[id] = mintedToken{raw: got, tok: model.Token{WorkspaceKey: want.WorkspaceKey, TenantKey: want.TenantKey,
		Name: want.Name, Fields: want.Fields, IsAdmin: want.IsAdmin, Expires: time.Unix(want.Expires, 0), Secret: want.Secret}}
}

// Instances lists the instances an org can use.
func (m *machine) Instances(t *rapid.T) {
	c, org := m.caller(t), m.org(t)
	done := m.fault(t)
	cx, cancel := ctx()
	got, err := sdkInstances(cx, c.client, org)
	cancel()
	done()
	want, k := m.w.m.ListInstances(c.model, org)
	if m.expect(t, "instances", k, err) {
		list := make([]*membrane.Instance, len(want))
		for i, in := range want {
			list[i] = &membrane.Instance{ID: in.ID, Name: in.Name, APIBaseURI: in.BaseURI}
		}
		same(t, "instances", list, got)
	}
}

// Tick moves the clock of the fake and the model.
func (m *machine) Tick(t *rapid.T) {
	d := rapid.SampledFrom([]time.Duration{time.Millisecond, time.Second, 31 * time.Second, 61 * time.Second, 2 * time.Hour}).
		Draw(t, "tick")
	m.w.m.Now = m.w.clk.advance(d)
}

// Stop stops an instance: from now on it cannot be reached.
func (m *machine) Stop(t *rapid.T) {
	id := rapid.SampledFrom(instanceIDs).Draw(t, "stop")
	if !m.w.m.Instance(id).Down {
		m.w.setDown(t, id, true)
	}
}

// Heal ends every fault, and checks that hub and instances agree with the model.
func (m *machine) Heal(t *rapid.T) {
	m.w.heal(t)
	m.w.agree(t)
}

// drawPatch draws a patch of random fields, some of them invalid.
func drawPatch(t *rapid.T) model.Patch {
	var p model.Patch
	str := func(label string, values ...string) *string {
		if !rapid.Bool().Draw(t, label+" set") {
			return nil
		}
		v := rapid.SampledFrom(values).Draw(t, label)
		return &v
	}
	p.Name = str("name", "Acme", "Beta Works", " ")
	p.LogoURI = str("logoUri", "", "https://logo.example/b.png", "nope")
	p.WebhookURI = str("webhookUri", "", "https://hooks.example/x", "ftp://hooks.example")
	if rapid.IntRange(0, 3).Draw(t, "settings set") == 0 {
		if rapid.IntRange(0, 4).Draw(t, "settings null") == 0 {
			p.SettingsNull = true
		} else {
			p.Settings = map[string]*bool{}
			for _, name := range []string{"enableApiLogs", "disableSecretKeyAuth", "useMembraneUniverse"} {
				switch rapid.IntRange(0, 3).Draw(t, name) {
				case 1:
					p.Settings[name] = nil // reset
				case 2, 3:
					v := rapid.Bool().Draw(t, name+" value")
					p.Settings[name] = &v
				}
			}
		}
	}
	if rapid.IntRange(0, 3).Draw(t, "events set") == 0 {
		ev := rapid.SampledFrom([][]string{{}, {"connection.created"}, {"a", "b"}}).Draw(t, "events")
		p.EnabledWebhookEvents = &ev
	}
	switch rapid.IntRange(0, 5).Draw(t, "jwksUri") {
	case 0:
		p.JWKSURINull = true
	case 1:
		p.JWKSURI = str("jwksUri value", "", "https://keys.example/jwks.json", "keys")
	}
	p.Type = str("type", "production", "development", "staging")
	switch rapid.IntRange(0, 7).Draw(t, "publicKeys") {
	case 0:
		p.PublicKeysNull = true
	case 1:
		p.PublicKeys = &[]model.PublicKey{{Name: "k1", PublicKey: publicKeyPEM}}
	case 2:
		p.PublicKeys = &[]model.PublicKey{{Name: "k1", PublicKey: publicKeyPEM}, {Name: "bad", PublicKey: "not a key"}}
	}
	five, fifty := 5.0, 50.0
	switch rapid.IntRange(0, 7).Draw(t, "limits") {
	case 0:
		p.LimitsNull = true
	case 1:
		p.Limits = map[string]model.Limit{"seats": {Value: &five, Unit: "seats"}}
	case 2:
		p.Limits = map[string]model.Limit{"runs": {Value: &fifty, DefaultValue: &five}}
	}
	if rapid.IntRange(0, 3).Draw(t, "isReadOnly set") == 0 {
		v := rapid.Bool().Draw(t, "isReadOnly")
		p.IsReadOnly = &v
	}
	obj := func(label string) []byte {
		if rapid.IntRange(0, 4).Draw(t, label+" set") != 0 {
			return nil
		}
		return []byte(rapid.SampledFrom([]string{`null`, `{"type":"object"}`, `{"email":{"enabled":true}}`}).Draw(t, label))
	}
	p.UserFieldsSchema = obj("userFieldsSchema")
	p.AlertDeliverySettings = obj("alertDeliverySettings")
	return p
}

// Check runs after every step. Each step checks its own answer; agreement of hub and instances
// is checked when the faults stop (Heal, and the end of the sequence).
func (m *machine) Check(*rapid.T) {}

// publicKeyPEM and privateKeyPEM are an ECDSA P-256 key pair, made for these tests only.
const (
	publicKeyPEM = `-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEhWejkwSMJNJL0aHy5VEm74oohRAm
hNpJkjJbklw13rTaDLFKN0GMoDi2Iy6tulvyD1+LEulo6t60QD9V4AZC/A==
-----END PUBLIC KEY-----
`
	privateKeyPEM = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgmFqCGkLOcf+89W2s
+3isN7L0VF9T1TWthkdh5kIhf7GhRANCAASFZ6OTBIwk0kvRofLlUSbviiiFECaE
2kmSMluSXDXetNoMsUo3QYygOLYjLq26W/IPX4sS6Wjq3rRAP1XgBkL8
-----END PRIVATE KEY-----
`
)
