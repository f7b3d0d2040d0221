package fake_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/membrane-community/membrane-go/fake"
	"github.com/stretchr/testify/require"
)

// fzCheck holds for every answer: no 5xx, and either a 200 or an error body with a type and a
// message.
func fzCheck(t *testing.T, r reply) {
	t.Helper()
	require.Less(t, r.Status, 500, "%s", r.Raw)
	require.NotEmpty(t, r.Raw, "every answer has a body")
	if r.Status == http.StatusOK {
		return
	}
	typ, _ := r.Body["type"].(string)
	msg, _ := r.Body["message"].(string)
	require.NotEmpty(t, typ, "error body has a type: %s", r.Raw)
	require.NotEmpty(t, msg, "error body has a message: %s", r.Raw)
	require.Equal(t, "bad_request", typ, "a 4xx is a bad_request: %s", r.Raw)
}

func FuzzCreateWorkspaceBody(f *testing.F) {
	srv, c := newFake(f, fake.WithSeed(1))
	org := srv.OrgID()
	for _, seed := range []string{
		`{"orgId":"` + org + `"}`,
		`{"orgId":"` + org + `","name":"Fuzz","logoUri":"https://example.com/logo.png"}`,
		`{"orgId":"` + org + `","name":"","logoUri":"ftp://x"}`,
		`{"orgId":"` + org + `","membraneInstanceId":"hub"}`,
		`{"orgId":"` + org + `","membraneInstanceId":"elsewhere"}`,
		`{"orgId":"` + org + `","name":null,"logoUri":null}`,
		`{"orgId":"0123456789abcdef01234567"}`,
		`{"orgId":5}`,
		`{}`,
		``,
		`[]`,
		`null`,
		`"x"`,
		`{"orgId":"` + org + `",`,
		"\xff\xfe{}",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		c := newCaller(t, srv, c.token)
		r := c.do("POST", "/org-workspaces", body)
		fzCheck(t, r)
		if r.Status != http.StatusOK {
			return
		}
		id, _ := r.Body["id"].(string)
		require.Regexp(t, `^[0-9a-f]{24}$`, id)
		require.Equal(t, org, r.Body["orgId"])
		require.NotEmpty(t, r.Body["key"])
		require.NotEmpty(t, r.Body["secret"])
		require.NotEmpty(t, r.Body["name"])
		got := c.do("GET", "/org-workspaces/"+id, nil)
		require.Equal(t, http.StatusOK, got.Status, "%s", got.Raw)
		require.JSONEq(t, string(r.Raw), string(got.Raw), "GET answers what the create answered")
	})
}

func FuzzPatchWorkspaceBody(f *testing.F) {
	_, c := newFake(f, fake.WithSeed(2))
	ws := tkNewWorkspace(f, c, "Fuzzed")
	for _, seed := range []string{
		`{"name":"Renamed"}`,
		`{"name":""}`,
		`{"name":null}`,
		`{"logoUri":"https://example.com/l.png"}`,
		`{"logoUri":"not a url"}`,
		`{"settings":{"enableApiLogs":true,"disableSecretKeyAuth":"x"}}`,
		`{"settings":null}`,
		`{"settings":[1]}`,
		`{"publicKeys":[{"name":"k","publicKey":"` + strings.ReplaceAll(fzPublicKeyPEM, "\n", `\n`) + `"}]}`,
		`{"publicKeys":[{"name":"k","publicKey":"nope"}]}`,
		`{"publicKeys":[null]}`,
		`{"webhookUri":"https://example.com/hook","enabledWebhookEvents":["a","b"]}`,
		`{"webhookUri":"javascript:alert(1)"}`,
		`{"enabledWebhookEvents":[1]}`,
		`{"jwksUri":null}`,
		`{"jwksUri":"https://example.com/.well-known/jwks.json"}`,
		`{"type":"development","isReadOnly":true}`,
		`{"type":"staging"}`,
		`{"limits":{"apiCalls":{"value":5,"defaultValue":1,"unit":"calls"}}}`,
		`{"limits":{"apiCalls":{"value":"x"}}}`,
		`{"limits":{"apiCalls":3}}`,
		`{"userFieldsSchema":{"type":"object"},"alertDeliverySettings":{"email":true}}`,
		`{"userFieldsSchema":"x"}`,
		`{"name":"ok","type":"bad"}`,
		`{"unknown":1}`,
		`{}`,
		``,
		`[]`,
		`{"name":`,
	} {
		f.Add([]byte(seed))
	}
	path := "/org-workspaces/" + ws.id
	f.Fuzz(func(t *testing.T, body []byte) {
		c := newCaller(t, c.srv, c.token)
		before := c.do("GET", path, nil)
		require.Equal(t, http.StatusOK, before.Status, "%s", before.Raw)
		r := c.do("PATCH", path, body)
		fzCheck(t, r)
		after := c.do("GET", path, nil)
		require.Equal(t, http.StatusOK, after.Status, "%s", after.Raw)
		if r.Status != http.StatusOK {
			require.Equal(t, string(before.Raw), string(after.Raw), "a failed PATCH leaves the workspace as it was")
			return
		}
		require.JSONEq(t, string(r.Raw), string(after.Raw), "GET answers what the PATCH answered")
		require.Equal(t, ws.key, after.Body["key"], "the key never changes")
		require.Equal(t, ws.secret, after.Body["secret"], "a PATCH never changes the secret")
	})
}

// fzPublicKeyPEM is an Ed25519 public key in PEM.
const fzPublicKeyPEM = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n"

func FuzzCustomerBody(f *testing.F) {
	_, c := newFake(f, fake.WithSeed(3))
	ws := tkNewWorkspace(f, c, "Fuzzed customers")
	admin := c.as(c.mint(ws.id, map[string]any{"isAdmin": true}))
	target := admin.ok("POST", "/customers", map[string]any{"name": "Target", "internalId": "target"})["id"].(string)
	admin.ok("POST", "/customers", map[string]any{"name": "Taken", "internalId": "taken"})
	for _, seed := range []string{
		`{"name":"A"}`,
		`{"name":"A","internalId":"a-1","fields":{"x":1},"credentials":{"k":"v"}}`,
		`{"name":"A","internalId":"taken"}`,
		`{"internalId":"taken"}`,
		`{"name":""}`,
		`{"name":null}`,
		`{"name":"A","fields":null}`,
		`{"name":"A","fields":[1]}`,
		`{"name":"A","credentials":null}`,
		`{"name":"A","credentials":"str"}`,
		`{"name":"A","isTest":true}`,
		`{"name":"A","isTest":"yes"}`,
		`{"aiCreditsRolling30DayLimit":10}`,
		`{"aiCreditsRolling30DayLimit":-1}`,
		`{"aiCreditsRolling30DayLimit":1e400}`,
		`{"aiCreditsRolling30DayLimit":null}`,
		`{"id":"x","createdAt":"y","archivedAt":"z"}`,
		`{}`,
		``,
		`[]`,
		`null`,
		`{"name":"A"`,
		"{\"name\":\"\xff\"}",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		admin := newCaller(t, admin.srv, admin.token)

		r := admin.do("POST", "/customers", body)
		fzCheck(t, r)
		if r.Status == http.StatusOK {
			id, _ := r.Body["id"].(string)
			require.Regexp(t, `^[0-9a-f]{24}$`, id)
			require.NotEmpty(t, r.Body["name"])
			require.NotEmpty(t, r.Body["internalId"])
			got := admin.do("GET", "/customers/"+id, nil)
			require.Equal(t, http.StatusOK, got.Status, "%s", got.Raw)
			require.JSONEq(t, string(r.Raw), string(got.Raw), "GET answers what the create answered")
		}

		for _, method := range []string{"PATCH", "PUT"} {
			before := admin.do("GET", "/customers/"+target, nil)
			require.Equal(t, http.StatusOK, before.Status, "%s", before.Raw)
			r := admin.do(method, "/customers/"+target, body)
			fzCheck(t, r)
			after := admin.do("GET", "/customers/"+target, nil)
			require.Equal(t, http.StatusOK, after.Status, "%s", after.Raw)
			if r.Status != http.StatusOK {
				require.Equal(t, string(before.Raw), string(after.Raw), "a failed %s leaves the customer as it was", method)
				continue
			}
			require.JSONEq(t, string(r.Raw), string(after.Raw), "GET answers what the %s answered", method)
			require.Equal(t, before.Body["id"], after.Body["id"])
			require.Equal(t, before.Body["createdAt"], after.Body["createdAt"])
			require.NotEmpty(t, after.Body["name"])
			require.NotEmpty(t, after.Body["internalId"])
		}
	})
}

func FuzzWorkspaceToken(f *testing.F) {
	srv, c := newFake(f, fake.WithSeed(4))
	ws := tkNewWorkspace(f, c, "Fuzzed tokens")
	now := time.Now()
	exp := now.Add(24 * time.Hour).Unix()
	sign := func(m jwt.SigningMethod, key any, claims jwt.MapClaims) string { return tkSign(f, m, key, claims) }
	secret := []byte(ws.secret)
	for _, seed := range []string{
		c.mint(ws.id, map[string]any{"isAdmin": true}),
		c.mint(ws.id, map[string]any{"tenantKey": "fuzz-tenant", "name": "Fuzz", "fields": map[string]any{"a": 1}}),
		c.mint(ws.id, map[string]any{}),
		sign(jwt.SigningMethodHS384, secret, jwt.MapClaims{"iss": ws.key, "id": "legacy", "exp": exp}),
		sign(jwt.SigningMethodHS512, secret, jwt.MapClaims{"workspaceKey": ws.key, "isAdmin": true, "tenantKey": "both", "exp": exp}),
		sign(jwt.SigningMethodHS256, secret, jwt.MapClaims{"workspaceKey": ws.key, "exp": now.Add(-time.Hour).Unix()}),
		sign(jwt.SigningMethodHS256, secret, jwt.MapClaims{"workspaceKey": ws.key}),
		sign(jwt.SigningMethodHS256, secret, jwt.MapClaims{"workspaceKey": ws.key, "fields": "x", "tenantKey": "t", "exp": exp}),
		sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, jwt.MapClaims{"workspaceKey": ws.key, "exp": exp}),
		sign(jwt.SigningMethodHS256, []byte("wrong"), jwt.MapClaims{"workspaceKey": ws.key, "exp": exp}),
		srv.AdminToken(),
		"",
		" ",
		"garbage",
		"a.b.c",
		"eyJhbGciOiJIUzI1NiJ9.e30.",
		"eyJhbGciOiJub25lIn0.eyJ3b3Jrc3BhY2VLZXkiOiJ4IiwiZXhwIjo5OTk5OTk5OTk5fQ.",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, token string) {
		anon := newCaller(t, srv, "")
		for _, path := range []string{"/customers", "/self"} {
			r := anon.do("GET", path, nil, "Authorization", "Bearer "+token)
			fzCheck(t, r)
			switch r.Status {
			case http.StatusOK, http.StatusForbidden:
			case http.StatusUnauthorized:
				require.Equal(t, "not_authenticated", r.Body["key"], "%s", r.Raw)
				if tok := strings.TrimSpace(token); len(tok) >= 32 && strings.Count(tok, ".") == 2 {
					require.NotContains(t, string(r.Raw), tok, "the error body repeats the token")
				}
				require.NotContains(t, string(r.Raw), ws.secret, "the error body repeats the secret")
			default:
				t.Fatalf("GET %s: unexpected status %d: %s", path, r.Status, r.Raw)
			}
		}
	})
}
