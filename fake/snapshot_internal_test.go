package fake

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"
)

// stepClock is a clock that moves only when told.
type stepClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *stepClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *stepClock) step() {
	c.mu.Lock()
	c.t = c.t.Add(1234 * time.Millisecond)
	c.mu.Unlock()
}

// rt is one request to a server of the fake, in process.
type rt struct {
	t   testing.TB
	srv *Server
}

func (r rt) send(method, url, token string, body any) (int, []byte, http.Header) {
	r.t.Helper()
	var rd io.Reader = http.NoBody
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		require.NoError(r.t, err)
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, url, rd)
	require.NoError(r.t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := r.srv.HTTPClient().Do(req)
	require.NoError(r.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(r.t, err)
	return resp.StatusCode, b, resp.Header
}

func (r rt) ok(method, url, token string, body any) map[string]any {
	r.t.Helper()
	status, b, _ := r.send(method, url, token, body)
	require.Equal(r.t, http.StatusOK, status, "%s %s: %s", method, url, b)
	var m map[string]any
	require.NoError(r.t, json.Unmarshal(b, &m))
	return m
}

func signHS(t testing.TB, secret string, claims jwt.MapClaims) string {
	t.Helper()
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(secret))
	require.NoError(t, err)
	return tok
}

// A snapshot loaded into a fresh server answers every GET route of the hub, the instances and
// the engine API byte for byte as the original did: over every org, workspace (on the hub's own
// instance and on another, archived or not, rotated within its grace period, reconfigured) and
// customer (active, archived, made by a tenant token), with pages and filters.
func TestSnapshotAnswersEveryGETAsTheOriginal(t *testing.T) {
	t.Parallel()
	clock := &stepClock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
	opts := []Option{WithClock(clock.now), WithInstances("eu"), WithEngineToken("engine-token-0123456789"),
		WithSecretGracePeriod(time.Hour)}
	orig, err := New(opts...)
	require.NoError(t, err)
	t.Cleanup(orig.Close)
	o := rt{t, orig}
	hub, eu := orig.URL(), orig.Instance("eu").URL()
	admin := orig.AdminToken()
	other := orig.AddOrg("Other Org")
	otherAdmin := orig.AddMember(other, RoleAdmin)
	reader := orig.AddMember(orig.OrgID(), RoleReadOnly)
	orig.ExpireToken(reader)

	type wsInfo struct{ id, key, secret, base string }
	var wss []wsInfo
	create := func(token, orgID, name, inst string, extra map[string]any) wsInfo {
		body := map[string]any{"orgId": orgID, "name": name}
		if inst != "" {
			body["membraneInstanceId"] = inst
		}
		for k, v := range extra {
			body[k] = v
		}
		clock.step()
		w := o.ok("POST", hub+"/org-workspaces", token, body)
		info := wsInfo{w["id"].(string), w["key"].(string), w["secret"].(string), w["apiBaseUri"].(string)}
		wss = append(wss, info)
		return info
	}
	a := create(admin, orig.OrgID(), "Alpha <&>", "", map[string]any{"settings": map[string]any{"enableApiLogs": true}, "webhookUri": "https://a.example/h"})
	b := create(admin, orig.OrgID(), "Beta", "eu", map[string]any{"type": "development", "logoUri": "https://b.example/logo.png"})
	c := create(admin, orig.OrgID(), "Gamma", "eu", nil)
	d := create(otherAdmin, other, "Delta", "", nil)
	clock.step()
	o.ok("PATCH", hub+"/org-workspaces/"+a.id, admin, map[string]any{"settings": nil, "publicKeys": nil, "enabledWebhookEvents": []string{"x"}})
	clock.step()
	o.ok("DELETE", hub+"/org-workspaces/"+c.id, admin, nil)
	clock.step()
	rotated := o.ok("POST", hub+"/org-workspaces/"+b.id+"/rotate-secret", admin, nil)
	oldB := b.secret
	b.secret = rotated["secret"].(string)

	wsToken := func(w wsInfo, secret string, extra jwt.MapClaims) string {
		claims := jwt.MapClaims{"workspaceKey": w.key, "exp": clock.now().Add(time.Hour).Unix()}
		for k, v := range extra {
			claims[k] = v
		}
		return signHS(t, secret, claims)
	}
	var customers []string
	for i, w := range []wsInfo{a, b, d} {
		tok := wsToken(w, w.secret, nil)
		for j, name := range []string{"Zed", "Ann", "Bob"} {
			clock.step()
			cu := o.ok("POST", w.base+"/customers", tok, map[string]any{"name": name, "internalId": name + string(rune('0'+i)),
				"fields": map[string]any{"plan": "p<" + name + ">", "n": j}, "isTest": j == 1,
				"credentials": []any{"tok-" + name, j}}) // any JSON value, not only an object
			customers = append(customers, cu["id"].(string))
		}
		clock.step()
		o.ok("DELETE", w.base+"/customers/"+customers[len(customers)-1], tok, nil)
	}
	clock.step()
	o.ok("GET", b.base+"/self", wsToken(b, oldB, jwt.MapClaims{"tenantKey": "tenant-1", "name": "Tenant One"}), nil)

	// The snapshot goes through its JSON, as it does over HTTP and in a state file.
	snap, err := orig.Snapshot(context.Background())
	require.NoError(t, err)
	raw, err := json.Marshal(snap)
	require.NoError(t, err)
	parsed, err := ParseSeed(raw)
	require.NoError(t, err)

	for _, how := range []string{"Replace", "Load", "PUT /_fake/state"} {
		t.Run(how, func(t *testing.T) {
			cp, err := New(opts...)
			require.NoError(t, err)
			t.Cleanup(cp.Close)
			switch how {
			case "Replace":
				require.NoError(t, cp.Replace(context.Background(), parsed))
			case "Load":
				require.NoError(t, cp.Load(context.Background(), parsed))
			default:
				rt{t, cp}.ok("PUT", cp.URL()+"/_fake/state", cp.AdminToken(), string(raw))
				require.Equal(t, orig.AdminToken(), cp.AdminToken(), "the state's admin token is the server's now")
			}

			covered := map[string]bool{}
			same := func(pattern, path, token string) {
				t.Helper()
				covered[pattern] = true
				for _, base := range []string{hub, eu} {
					if strings.HasPrefix(pattern, "/org-workspaces") || pattern == "/membrane-instances" {
						if base != hub {
							continue
						}
					}
					s1, b1, h1 := o.send("GET", base+path, token, nil)
					s2, b2, h2 := rt{t, cp}.send("GET", base+path, token, nil)
					require.Equal(t, s1, s2, "GET %s%s: %s / %s", base, path, b1, b2)
					require.Equal(t, string(b1), string(b2), "GET %s%s", base, path)
					require.Equal(t, h1.Get(versionHeader), h2.Get(versionHeader), "GET %s%s", base, path)
				}
			}
			for _, tok := range []string{admin, otherAdmin, reader} {
				same("/org-workspaces", "/org-workspaces", tok)
				same("/org-workspaces", "/org-workspaces?orgId="+orig.OrgID()+"&includeArchived=true&limit=1", tok)
				same("/org-workspaces", "/org-workspaces?orgId="+orig.OrgID()+"&includeArchived=true&limit=1&cursor=1", tok)
				same("/org-workspaces", "/org-workspaces?orgId="+orig.OrgID()+"&isArchived=true", tok)
				same("/membrane-instances", "/membrane-instances", tok)
				for _, w := range wss {
					same("/org-workspaces/{id}", "/org-workspaces/"+w.id, tok)
				}
			}
			same("/", "/", "")
			for _, w := range []wsInfo{a, b, c, d} {
				for _, secret := range []string{w.secret, oldB} {
					tok := wsToken(w, secret, nil)
					same("/customers", "/customers", tok)
					same("/customers", "/customers?includeArchived=true&limit=2", tok)
					same("/customers", "/customers?includeArchived=true&limit=2&cursor=2", tok)
					same("/customers", "/customers?search=ann&isTest=true", tok)
					for _, id := range customers {
						same("/customers/{id}", "/customers/"+id, tok)
					}
					if w == b { // a tenant token of another workspace would make a customer there, with a random id
						same("/self", "/self", wsToken(w, secret, jwt.MapClaims{"tenantKey": "tenant-1"}))
					}
				}
				same("/workspaces", "/workspaces", "engine-token-0123456789")
				same("/workspaces/{key}", "/workspaces/"+w.key, "engine-token-0123456789")
				for _, id := range customers {
					same("/workspaces/{key}/customers/{id}", "/workspaces/"+w.key+"/customers/"+id, "engine-token-0123456789")
				}
			}
			for _, r := range hubRoutes {
				if r.method == "GET" {
					require.True(t, covered[r.pattern], "GET %s is not compared", r.pattern)
				}
			}
			for _, r := range instanceRoutes {
				if r.method == "GET" {
					require.True(t, covered[r.pattern], "GET %s is not compared", r.pattern)
				}
			}
		})
	}
}
