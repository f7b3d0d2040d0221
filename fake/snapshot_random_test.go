package fake

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"
)

// After random sequences of changes, a snapshot replaced into a fresh server is that server's
// snapshot too, and both servers answer the lists of every org and workspace alike.
func TestSnapshotAfterRandomChanges(t *testing.T) {
	t.Parallel()
	for seed := uint64(1); seed <= 12; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			t.Parallel()
			rnd := rand.New(rand.NewPCG(seed, seed*7919))
			clock := &stepClock{t: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)}
			opts := []Option{WithClock(clock.now), WithInstances("eu"), WithSecretGracePeriod(time.Minute), WithSeed(seed)}
			orig, err := New(opts...)
			require.NoError(t, err)
			t.Cleanup(orig.Close)
			r := rt{t, orig}
			hub := orig.URL()
			orgs := []string{orig.OrgID(), orig.AddOrg("Second")}
			tokens := []string{orig.AdminToken(), orig.AddMember(orgs[1], RoleAdmin)}
			type wsRef struct {
				id, key, secret, base string
				org                   int
			}
			var wss []*wsRef
			var customers [][]string // per workspace
			for range 60 {
				clock.step()
				switch op := rnd.IntN(8); {
				case op == 0 || len(wss) == 0:
					o := rnd.IntN(2)
					body := map[string]any{"orgId": orgs[o], "name": fmt.Sprintf("W%d", len(wss))}
					if rnd.IntN(2) == 0 {
						body["membraneInstanceId"] = "eu"
					}
					w := r.ok("POST", hub+"/org-workspaces", tokens[o], body)
					wss = append(wss, &wsRef{w["id"].(string), w["key"].(string), w["secret"].(string), w["apiBaseUri"].(string), o})
					customers = append(customers, nil)
				default:
					i := rnd.IntN(len(wss))
					w := wss[i]
					tok := signHS(t, w.secret, jwt.MapClaims{"workspaceKey": w.key, "exp": clock.now().Add(time.Hour).Unix()})
					switch op {
					case 1:
						r.send("PATCH", hub+"/org-workspaces/"+w.id, tokens[w.org], map[string]any{
							"name": fmt.Sprintf("P%d", rnd.IntN(100)), "settings": map[string]any{"enableApiLogs": rnd.IntN(2) == 0},
							"webhookUri": "https://h.example/" + fmt.Sprint(rnd.IntN(9))})
					case 2:
						r.send("DELETE", hub+"/org-workspaces/"+w.id, tokens[w.org], nil)
					case 3:
						r.send("POST", hub+"/org-workspaces/"+w.id+"/restore", tokens[w.org], nil)
					case 4:
						if status, b, _ := r.send("POST", hub+"/org-workspaces/"+w.id+"/rotate-secret", tokens[w.org], nil); status == http.StatusOK {
							var m map[string]any
							require.NoError(t, json.Unmarshal(b, &m))
							w.secret = m["secret"].(string)
						}
					case 5, 6:
						status, b, _ := r.send("POST", w.base+"/customers", tok, map[string]any{
							"name": fmt.Sprintf("C%d", rnd.IntN(1000)), "internalId": fmt.Sprintf("c%d", rnd.IntN(1000))})
						if status == http.StatusOK {
							var m map[string]any
							require.NoError(t, json.Unmarshal(b, &m))
							customers[i] = append(customers[i], m["id"].(string))
						}
					case 7:
						if len(customers[i]) > 0 {
							r.send("DELETE", w.base+"/customers/"+customers[i][rnd.IntN(len(customers[i]))], tok, nil)
						} else {
							r.send("GET", w.base+"/self", signHS(t, w.secret, jwt.MapClaims{"workspaceKey": w.key, "tenantKey": "t",
								"exp": clock.now().Add(time.Hour).Unix()}), nil)
						}
					}
				}
			}
			snap, err := orig.Snapshot(context.Background())
			require.NoError(t, err)
			var nCustomers, nArchived int
			for _, o := range snap.Orgs {
				for _, w := range o.Workspaces {
					nCustomers += len(w.Customers)
					if w.ArchivedAt != nil {
						nArchived++
					}
				}
			}
			require.Positive(t, nCustomers, "the sequence made customers")
			t.Logf("%d workspaces, %d archived, %d customers", len(wss), nArchived, nCustomers)
			cp, err := New(opts...)
			require.NoError(t, err)
			t.Cleanup(cp.Close)
			require.NoError(t, cp.Replace(context.Background(), snap))
			again, err := cp.Snapshot(context.Background())
			require.NoError(t, err)
			a, err := json.Marshal(snap)
			require.NoError(t, err)
			b, err := json.Marshal(again)
			require.NoError(t, err)
			require.JSONEq(t, string(a), string(b), "a replaced snapshot is the copy's snapshot")

			for o, tok := range tokens {
				path := "/org-workspaces?includeArchived=true&limit=3&orgId=" + orgs[o]
				_, b1, _ := r.send("GET", hub+path, tok, nil)
				_, b2, _ := rt{t, cp}.send("GET", hub+path, tok, nil)
				require.Equal(t, string(b1), string(b2), path)
			}
			for i, w := range wss {
				tok := signHS(t, w.secret, jwt.MapClaims{"workspaceKey": w.key, "exp": clock.now().Add(time.Hour).Unix()})
				s1, b1, _ := r.send("GET", w.base+"/customers?includeArchived=true", tok, nil)
				s2, b2, _ := rt{t, cp}.send("GET", w.base+"/customers?includeArchived=true", tok, nil)
				require.Equal(t, s1, s2, "workspace %d", i)
				require.Equal(t, string(b1), string(b2), "workspace %d", i)
			}
		})
	}
}
