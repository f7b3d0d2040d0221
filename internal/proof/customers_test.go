package proof

import (
	"time"

	membrane "github.com/membrane-community/membrane-go"
	"github.com/membrane-community/membrane-go/internal/model"
	"pgregory.net/rapid"
)

// wrongSecret signs tokens that no workspace accepts.
const wrongSecret = "wrong-secret-wrong-secret-wrong-secret-0000"

// token draws a workspace token for ws (nil: a workspace that does not exist): signed with the
// current secret, the one before the last rotation, a wrong one; expired; a tenant token, with
// isAdmin or not; in the legacy claims; or the last one access-token gave.
func (m *machine) token(t *rapid.T, ws *model.Workspace) (string, model.Token) {
	now := m.w.m.Now
	tok := model.Token{WorkspaceKey: "00000000-0000-4000-8000-000000000000", Secret: wrongSecret, Expires: now.Add(time.Hour)}
	if ws != nil {
		tok.WorkspaceKey, tok.Secret = ws.Key, ws.Secret
	}
	issued, legacy := now, false
	switch kind := rapid.SampledFrom([]string{"current", "current", "previous", "wrong", "expired", "tenant",
		"admin tenant", "legacy tenant", "minted", "key", "key without kid", "key of another name"}).Draw(t, "token"); kind {
	case "key", "key without kid", "key of another name":
		tok.Secret, tok.KeyPEM = "", publicKeyPEM
		tok.KeyID = map[string]string{"key": "k1", "key without kid": "", "key of another name": "k2"}[kind]
	case "previous":
		tok.Secret = wrongSecret
		if ws != nil && ws.PrevSecret != "" {
			tok.Secret = ws.PrevSecret
		}
	case "wrong":
		tok.Secret = wrongSecret
	case "expired":
		issued = now.Add(-2 * time.Hour)
		tok.Expires = issued.Add(time.Hour)
	case "tenant", "admin tenant", "legacy tenant":
		tok.TenantKey = rapid.SampledFrom([]string{"t1", "t2", "c1"}).Draw(t, "tenant")
		tok.Name = rapid.SampledFrom([]string{"", "Jane"}).Draw(t, "tenant name")
		tok.Fields = drawFields(t, "tenant fields")
		tok.IsAdmin = kind == "admin tenant"
		legacy = kind == "legacy tenant"
	case "minted":
		if ws != nil {
			if mt, ok := m.minted[ws.ID]; ok {
				return mt.raw, mt.tok
			}
		}
	}
	raw, err := mint(tok, issued, legacy)
	if err != nil {
		t.Fatalf("mint: %v", err)
	}
	return raw, tok
}

// Customers calls the workspace API, at the hub or at an instance, with a random token.
func (m *machine) Customers(t *rapid.T) {
	var ws *model.Workspace
	if id := m.workspaceID(t); id != unknownID {
		ws = m.w.m.Workspaces[id]
	}
	raw, tok := m.token(t, ws)
	at := rapid.SampledFrom([]string{"host", "host", "hub", "eu", "us"}).Draw(t, "at")
	if at == "host" {
		at = model.HubInstance
		if ws != nil {
			at = ws.Host
		}
	}
	ids := []string{unknownID}
	if ws != nil {
		for _, cu := range ws.Customers {
			if cu.ID != "" {
				ids = append(ids, cu.ID)
			}
		}
	}
	wc := m.w.workspaceClient(t, at, raw)
	op := rapid.SampledFrom([]string{"create", "get", "list", "rename", "replace", "archive", "restore", "self"}).Draw(t, "operation")
	done := m.fault(t)
	cx, cancel := ctx()
	defer cancel()
	var (
		got  *membrane.Customer
		list []*membrane.Customer
		err  error
	)
	switch op {
	case "create":
		name := rapid.SampledFrom([]string{"Jane", "Bob"}).Draw(t, "name")
		internalID := rapid.SampledFrom([]string{"", "c1", "c2", "t1"}).Draw(t, "internalId")
		fields := drawFields(t, "fields")
		key := rapid.SampledFrom([]string{"", "", "ckey-1"}).Draw(t, "idempotency key")
		got, err = sdkCreateCustomer(cx, wc, name, internalID, fields, key)
		done()
		newID := ""
		if err == nil && m.customerIsNew(got.ID) {
			newID = got.ID
		}
		want, k := m.w.m.CreateCustomer(tok, at, name, internalID, fields, key, newID)
		if m.expect(t, "create customer", k, err) {
			same(t, "create customer", wantCustomer(want), got)
		}
		return
	case "list":
		search := rapid.SampledFrom([]string{"", "j", "c1"}).Draw(t, "search")
		archived := rapid.Bool().Draw(t, "include archived")
		limit := rapid.SampledFrom([]int{0, 1, 2}).Draw(t, "limit")
		list, err = sdkCustomers(cx, wc, search, archived, limit)
		done()
		want, k := m.w.m.ListCustomers(tok, at, search, archived)
		if m.expect(t, "list customers", k, err) {
			m.sameCustomers(t, "list customers", want, list)
		}
		return
	case "self":
		got, err = wc.Self(cx)
		done()
		want, k := m.w.m.Self(tok, at)
		if m.expect(t, "self", k, err) {
			m.sameCustomers(t, "self", []*model.Customer{want}, []*membrane.Customer{got})
		}
		return
	}
	id := rapid.SampledFrom(ids).Draw(t, "customer")
	var want *model.Customer
	var k model.Kind
	defer func() {
		if m.expect(t, op+" customer", k, err) {
			same(t, op+" customer", wantCustomer(want), got)
		}
	}()
	switch op {
	case "get":
		got, err = wc.Customers.Get(cx, id)
		done()
		want, k = m.w.m.GetCustomer(tok, at, id)
	case "rename":
		got, err = sdkRenameCustomer(cx, wc, id, "Renamed")
		done()
		want, k = m.w.m.RenameCustomer(tok, at, id, "Renamed")
	case "replace":
		name := rapid.SampledFrom([]string{"Jane", "Replaced"}).Draw(t, "name")
		internalID := rapid.SampledFrom([]string{"", "c1", "c3"}).Draw(t, "internalId")
		fields := drawFields(t, "fields")
		isTest := rapid.Bool().Draw(t, "isTest")
		got, err = sdkReplaceCustomer(cx, wc, id, name, internalID, fields, isTest)
		done()
		want, k = m.w.m.ReplaceCustomer(tok, at, id, name, internalID, fields, isTest)
	case "archive":
		got, err = wc.Customers.Archive(cx, id)
		done()
		want, k = m.w.m.ArchiveCustomer(tok, at, id)
	case "restore":
		got, err = wc.Customers.Restore(cx, id)
		done()
		want, k = m.w.m.RestoreCustomer(tok, at, id)
	}
}

// customerIsNew reports whether id is a well-formed customer id that no customer has yet.
func (m *machine) customerIsNew(id string) bool {
	if !objectID.MatchString(id) {
		return false
	}
	for _, ws := range m.w.m.Workspaces {
		for _, cu := range ws.Customers {
			if cu.ID == id {
				return false
			}
		}
	}
	return true
}

// sameCustomers compares customers with the model's, first learning the ids of tenants created
// on first use of their token, which only an answer can tell.
func (m *machine) sameCustomers(t *rapid.T, op string, want []*model.Customer, got []*membrane.Customer) {
	t.Helper()
	learnIDs(m.w.m, want, got)
	list := make([]*membrane.Customer, len(want))
	for i, cu := range want {
		list[i] = wantCustomer(cu)
	}
	same(t, op, list, got)
}

// learnIDs gives the model's tenants without an id the id the server shows at the same place,
// when it is well formed and new.
func learnIDs(s *model.State, want []*model.Customer, got []*membrane.Customer) {
	for i, cu := range want {
		if cu.ID != "" || i >= len(got) || got[i] == nil || !objectID.MatchString(got[i].ID) {
			continue
		}
		fresh := true
		for _, ws := range s.Workspaces {
			for _, other := range ws.Customers {
				fresh = fresh && other.ID != got[i].ID
			}
		}
		if fresh {
			cu.ID = got[i].ID
		}
	}
}

// drawFields draws a customer's fields: none, or a small object.
func drawFields(t *rapid.T, label string) map[string]any {
	switch rapid.IntRange(0, 2).Draw(t, label) {
	case 1:
		return map[string]any{"plan": "pro"}
	case 2:
		return map[string]any{"seats": 3.0, "tags": []any{"a", "b"}}
	}
	return nil
}
