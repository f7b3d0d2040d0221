package proof

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"time"

	membrane "github.com/membrane-community/membrane-go"
	"github.com/membrane-community/membrane-go/internal/model"
)

// agree checks, once no fault is left, that the hub and every instance hold what the model
// holds: every org workspace at the hub, every workspace on its instance and on no other, with
// the same configuration, archive state and secret, and the same customers.
func (w *world) agree(t tb) {
	t.Helper()
	cx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, org := range []string{w.orgA, w.orgB} {
		admin := w.admins[org]
		got, err := sdkList(cx, admin.client, org, "", true, 0)
		if err != nil {
			t.Fatalf("agree: list the workspaces of an org at the hub: %v", err)
		}
		want, _ := w.m.List(admin.model, org, "", true)
		list := make([]*membrane.OrgWorkspace, len(want))
		for i, ws := range want {
			list[i] = w.wantWorkspace(ws)
		}
		if d := diff(list, got); d != "" {
			t.Fatalf("agree: the hub differs from the model: %s", d)
		}
	}
	for _, in := range w.m.Instances {
		var keys []string
		for _, id := range w.m.Order {
			if ws := w.m.Workspaces[id]; ws.Host == in.ID {
				keys = append(keys, ws.Key)
			}
		}
		var list struct {
			Items []struct {
				Key string `json:"key"`
			} `json:"items"`
		}
		w.engine(t, in.ID, "/workspaces", &list)
		var held []string
		for _, it := range list.Items {
			held = append(held, it.Key)
		}
		slices.Sort(keys)
		slices.Sort(held)
		if !slices.Equal(keys, held) {
			t.Fatalf("agree: instance %s holds %d workspaces, the model %d (a half-made or lost workspace)", in.ID, len(held), len(keys))
		}
	}
	for _, id := range w.m.Order {
		w.agreeWorkspace(t, cx, w.m.Workspaces[id])
	}
}

// agreeWorkspace checks one workspace on its instance: its configuration and archive state
// through the engine API, its secret and customers through the workspace API.
func (w *world) agreeWorkspace(t tb, cx context.Context, ws *model.Workspace) {
	t.Helper()
	var held map[string]any
	w.engine(t, ws.Host, "/workspaces/"+ws.Key, &held)
	all := canonical(w.wantWorkspace(ws)).(map[string]any)
	want := map[string]any{}
	for _, k := range []string{"settings", "publicKeys", "webhookUri", "enabledWebhookEvents", "jwksUri", "type",
		"isReadOnly", "limits", "userFieldsSchema", "alertDeliverySettings", "archivedAt", "createdAt"} {
		if v, ok := all[k]; ok {
			want[k] = v
		}
	}
	got := map[string]any{}
	for k, v := range held {
		if k != "key" && k != "version" {
			got[k] = v
		}
	}
	want, got = bare(want), bare(got)
	if !equalJSON(want, got) {
		t.Fatalf("agree: workspace %s on instance %s differs from the model: %s", ws.ID, ws.Host, describe("", want, got))
	}
	if ws.ArchivedAt != nil || ws.Settings["disableSecretKeyAuth"] {
		return
	}
	raw, err := mint(model.Token{WorkspaceKey: ws.Key, Secret: ws.Secret, Expires: w.m.Now.Add(time.Hour)}, w.m.Now, false)
	if err != nil {
		t.Fatalf("mint: %v", err)
	}
	list, err := sdkCustomers(cx, w.workspaceClient(t, ws.Host, raw), "", true, 0)
	if err != nil {
		t.Fatalf("agree: workspace %s on instance %s refuses a token of the model's secret, or fails: %v", ws.ID, ws.Host, err)
	}
	learnIDs(w.m, ws.Customers, list)
	want2 := make([]*membrane.Customer, len(ws.Customers))
	for i, cu := range ws.Customers {
		want2[i] = wantCustomer(cu)
	}
	if d := diff(want2, list); d != "" {
		t.Fatalf("agree: the customers of workspace %s differ from the model: %s", ws.ID, d)
	}
}

func equalJSON(a, b any) bool { return diff(a, b) == "" }

// bare drops the fields that hold nothing (null, false, or an empty list), which the two sides of the
// engine API write differently.
func bare(m map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		if l, ok := v.([]any); v == nil || v == false || (ok && len(l) == 0) {
			continue
		}
		out[k] = v
	}
	return out
}

// engine reads path from an instance's engine API, as the hub does.
func (w *world) engine(t tb, id, path string, out any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, w.baseURL(id)+path, nil)
	if err != nil {
		t.Fatalf("engine request: %v", err)
	}
	req.Header.Set("Authorization", "Bearer "+w.srv.Instance(id).EngineToken())
	resp, err := w.hc.Do(req)
	if err != nil {
		t.Fatalf("engine GET %s at %s: %v", path, id, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("engine GET %s at %s: %s", path, id, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatalf("engine GET %s at %s: %v", path, id, fmt.Sprint(err))
	}
}
