package fake

import (
	"cmp"
	"context"
	"net/http"
	"slices"
	"sync"
	"time"
)

// The most workspaces of an org, and customers of a workspace, the view lists: the newest. The
// counts are always whole, so a store of 100,000 workspaces stays readable and cheap to poll.
const (
	inspectMaxWorkspaces = 200
	inspectMaxCustomers  = 100
)

// healthTimeout bounds the health check of an instance in another process, made for the
// inspector's view.
const healthTimeout = 500 * time.Millisecond

// inspectView is what GET /_fake/inspect responds with: everything the fake holds, for the inspector
// page and for a person reading it with curl. It holds no platform token and no workspace
// secret; a secret is read on purpose with GET /_fake/workspaces/{id}/secret.
type inspectView struct {
	Time         time.Time         `json:"time"`
	HubURL       string            `json:"hubUrl"`
	DefaultOrgID string            `json:"defaultOrgId"`
	Instances    []inspectInstance `json:"instances"`
	Orgs         []inspectOrg      `json:"orgs"`
	Faults       []Fault           `json:"faults"`
}

// inspectInstance is an instance as the hub sees it, and whether the two agree.
type inspectInstance struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	URL  string `json:"url"`
	// InProcess says that the instance runs in this process, so its own state can be read.
	InProcess bool `json:"inProcess"`
	Reachable bool `json:"reachable"`
	// Workspaces is how many workspaces the hub places on the instance.
	Workspaces int `json:"workspaces"`
	// Held is how many workspaces the instance holds itself; absent for an instance in
	// another process.
	Held *int `json:"held,omitempty"`
	// AwaitingRepair counts the workspaces whose last change may or may not have reached the
	// instance, and the creates the hub gave up on that the instance may still hold.
	AwaitingRepair int `json:"awaitingRepair"`
	// InAgreement says that nothing awaits repair and, when the instance runs in this process,
	// that it holds as many workspaces as the hub places on it.
	InAgreement bool `json:"inAgreement"`
}

type inspectOrg struct {
	ID        string          `json:"id"`
	Name      string          `json:"name"`
	CreatedAt time.Time       `json:"createdAt"`
	Members   []inspectMember `json:"members"`
	// WorkspaceCount counts the org's workspaces; Workspaces lists the newest of them (at most
	// 200), in the order they were created.
	WorkspaceCount int                `json:"workspaceCount"`
	Workspaces     []inspectWorkspace `json:"workspaces"`
}

// inspectMember is a platform user of an org, without the token.
type inspectMember struct {
	UserID    string     `json:"userId"`
	Role      Role       `json:"role"`
	ExpiresAt *time.Time `json:"expiresAt,omitempty"`
	Expired   bool       `json:"expired"`
}

// inspectWorkspace is an org workspace without its secret, with the customers its instance
// holds.
type inspectWorkspace struct {
	ID                   string          `json:"id"`
	Name                 string          `json:"name"`
	Key                  string          `json:"key"`
	InstanceID           string          `json:"membraneInstanceId"`
	CreatedAt            time.Time       `json:"createdAt"`
	UpdatedAt            time.Time       `json:"updatedAt"`
	ArchivedAt           *time.Time      `json:"archivedAt,omitempty"`
	AwaitingRepair       bool            `json:"awaitingRepair"`
	Type                 string          `json:"type"`
	IsReadOnly           bool            `json:"isReadOnly"`
	Settings             map[string]bool `json:"settings"`
	WebhookURI           string          `json:"webhookUri,omitempty"`
	EnabledWebhookEvents []string        `json:"enabledWebhookEvents"`
	PublicKeys           []inspectKey    `json:"publicKeys"`
	// CustomerCount counts the workspace's customers; Customers lists the newest of them (at
	// most 100), in the order they were created.
	CustomerCount int               `json:"customerCount"`
	Customers     []inspectCustomer `json:"customers"`
	// CustomersKnown is false when the workspace's instance runs in another process: its
	// customers cannot be listed from here.
	CustomersKnown bool `json:"customersKnown"`
}

type inspectKey struct {
	Name      string `json:"name"`
	PublicKey string `json:"publicKey"`
}

// inspectCustomer is a customer without its credentials.
type inspectCustomer struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	InternalID   string `json:"internalId"`
	IsTest       bool   `json:"isTest"`
	IsActive     bool   `json:"isActive"`
	CreatedAt    string `json:"createdAt"`
	LastActiveAt string `json:"lastActiveAt,omitempty"`
	ArchivedAt   string `json:"archivedAt,omitempty"`
}

// revealedSecret is the response of GET /_fake/workspaces/{id}/secret.
type revealedSecret struct {
	WorkspaceID string `json:"workspaceId"`
	Secret      string `json:"secret"`
}

// inspect serves GET /_fake/inspect.
func (s *Server) inspect(x *request) (any, *apiError) {
	if err := onlyParams(x.r.URL.Query()); err != nil {
		return nil, err
	}
	return s.inspectView(x.r.Context()), nil
}

// inspectView reads what the server holds. Each org is read under its own lock; nothing is
// locked while an instance in another process is asked whether it is up.
func (s *Server) inspectView(ctx context.Context) inspectView {
	h := s.hub
	now := s.env.now()

	h.mu.RLock()
	orgs := make([]*org, 0, len(h.orgs))
	for _, o := range h.orgs {
		orgs = append(orgs, o)
	}
	members := make(map[string][]inspectMember, len(orgs))
	for _, m := range h.members {
		for orgID, role := range m.roles {
			im := inspectMember{UserID: m.userID, Role: role}
			if !m.expiresAt.IsZero() {
				at := m.expiresAt
				im.ExpiresAt, im.Expired = &at, !now.Before(at)
			}
			members[orgID] = append(members[orgID], im)
		}
	}
	refs := make([]*instanceRef, 0, len(h.instOrder))
	for _, id := range h.instOrder {
		refs = append(refs, h.instances[id])
	}
	h.mu.RUnlock()

	dirty, orphans := s.awaitingRepair()

	defaultOrg := s.OrgID()
	slices.SortFunc(orgs, func(a, b *org) int {
		if a.id == defaultOrg || b.id == defaultOrg {
			return boolOrder(a.id == defaultOrg, b.id == defaultOrg)
		}
		return cmp.Or(a.createdAt.Compare(b.createdAt), cmp.Compare(a.id, b.id))
	})
	view := inspectView{Time: now, HubURL: s.URL(), DefaultOrgID: defaultOrg,
		Orgs: make([]inspectOrg, 0, len(orgs)), Faults: s.env.faults.List()}
	placed := map[string]int{}
	for _, o := range orgs {
		ms := members[o.id]
		if ms == nil {
			ms = []inspectMember{}
		}
		slices.SortFunc(ms, func(a, b inspectMember) int {
			return cmp.Or(cmp.Compare(roleRank(a.Role), roleRank(b.Role)), cmp.Compare(a.UserID, b.UserID))
		})
		vo := inspectOrg{ID: o.id, Name: o.name, CreatedAt: o.createdAt, Members: ms, Workspaces: []inspectWorkspace{}}
		o.mu.RLock()
		entries := make([]*wsEntry, len(o.order))
		versions := make([]*orgWorkspace, len(o.order))
		for i, e := range o.order {
			entries[i], versions[i] = e, e.cur
		}
		o.mu.RUnlock()
		vo.WorkspaceCount = len(versions)
		for i, w := range versions {
			placed[w.host()]++
			if i < len(versions)-inspectMaxWorkspaces {
				continue
			}
			iw := s.inspectWorkspace(w)
			iw.AwaitingRepair = dirty[entries[i]]
			vo.Workspaces = append(vo.Workspaces, iw)
		}
		view.Orgs = append(view.Orgs, vo)
	}
	view.Instances = s.inspectInstances(ctx, refs, placed, dirty, orphans)
	return view
}

// inspectInstances describes each registered instance. Instances in other processes are asked
// whether they are up, all at once.
func (s *Server) inspectInstances(ctx context.Context, refs []*instanceRef, placed map[string]int,
	dirty map[*wsEntry]bool, orphans map[string]int) []inspectInstance {
	repairsOf := map[string]int{}
	for e := range dirty {
		repairsOf[current(e.org, e).host()]++
	}
	out := make([]inspectInstance, len(refs))
	var wg sync.WaitGroup
	for i, ref := range refs {
		ii := inspectInstance{ID: ref.id, Name: ref.name, URL: ref.url(), Workspaces: placed[ref.id],
			AwaitingRepair: repairsOf[ref.id] + orphans[ref.id]}
		local := s.instances[ref.id]
		if local != nil {
			held := local.in.workspaceCount()
			ii.InProcess, ii.Reachable, ii.Held = true, !local.stopped.Load(), &held
		}
		ii.InAgreement = ii.AwaitingRepair == 0 && (ii.Held == nil || *ii.Held == ii.Workspaces)
		out[i] = ii
		if local == nil {
			wg.Go(func() { out[i].Reachable = s.healthy(ctx, ref) })
		}
	}
	wg.Wait()
	return out
}

// healthy reports whether an instance in another process responds to its health check.
func (s *Server) healthy(ctx context.Context, ref *instanceRef) bool {
	ctx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ref.url()+"/", nil)
	if err != nil {
		return false
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return false
	}
	_ = resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// awaitingRepair returns the workspaces marked for repair, and how many abandoned creates
// each instance may still hold.
func (s *Server) awaitingRepair() (map[*wsEntry]bool, map[string]int) {
	r := &s.hub.repairs
	r.mu.Lock()
	defer r.mu.Unlock()
	dirty := make(map[*wsEntry]bool, len(r.dirty))
	for _, e := range r.dirty {
		dirty[e] = true
	}
	orphans := make(map[string]int, len(r.orphans))
	for id, keys := range r.orphans {
		orphans[id] = len(keys)
	}
	return dirty, orphans
}

// inspectWorkspace describes version w of an org workspace, without its secret, with the
// customers its instance holds when that instance runs in this process.
func (s *Server) inspectWorkspace(w *orgWorkspace) inspectWorkspace {
	iw := inspectWorkspace{ID: w.id, Name: w.name, Key: w.key, InstanceID: w.instanceID,
		CreatedAt: w.createdAt, UpdatedAt: w.updatedAt, ArchivedAt: w.archivedAt,
		Type: w.cfg.Type, IsReadOnly: w.cfg.IsReadOnly, Settings: w.cfg.Settings, WebhookURI: w.cfg.WebhookURI,
		EnabledWebhookEvents: w.cfg.EnabledWebhookEvents, PublicKeys: make([]inspectKey, len(w.cfg.PublicKeys)),
		Customers: []inspectCustomer{}}
	if iw.Settings == nil {
		iw.Settings = map[string]bool{}
	}
	if iw.EnabledWebhookEvents == nil {
		iw.EnabledWebhookEvents = []string{}
	}
	for i, k := range w.cfg.PublicKeys {
		iw.PublicKeys[i] = inspectKey(k)
	}
	local := s.instances[w.host()]
	if local == nil {
		return iw
	}
	iw.CustomersKnown = true
	ws := local.in.workspace(w.key)
	if ws == nil {
		return iw
	}
	ws.mu.RLock()
	defer ws.mu.RUnlock()
	iw.CustomerCount = len(ws.order)
	for _, e := range ws.order[max(0, len(ws.order)-inspectMaxCustomers):] {
		c := e.cur
		iw.Customers = append(iw.Customers, inspectCustomer{ID: c.ID, Name: c.Name, InternalID: c.InternalID,
			IsTest: c.IsTest, IsActive: c.IsActive, CreatedAt: c.CreatedAt, LastActiveAt: c.LastActiveAt,
			ArchivedAt: c.ArchivedAt})
	}
	return iw
}

// revealSecret serves GET /_fake/workspaces/{id}/secret: the one place where the fake's admin
// API shows a workspace secret, for the inspector's reveal button.
func (s *Server) revealSecret(x *request, id string) (any, *apiError) {
	if err := onlyParams(x.r.URL.Query()); err != nil {
		return nil, err
	}
	h := s.hub
	h.mu.RLock()
	e := h.byWS[id]
	h.mu.RUnlock()
	if e == nil {
		return nil, errNotFound("org workspace %q not found", id)
	}
	x.w.Header().Set("Cache-Control", "no-store")
	return revealedSecret{WorkspaceID: id, Secret: current(e.org, e).secret}, nil
}

// workspaceCount is how many workspaces the instance holds.
func (in *instance) workspaceCount() int {
	in.mu.RLock()
	defer in.mu.RUnlock()
	return len(in.workspaces)
}

func roleRank(r Role) int {
	switch r {
	case RoleAdmin:
		return 0
	case RoleMember:
		return 1
	}
	return 2
}

// boolOrder orders true before false.
func boolOrder(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return -1
	}
	return 1
}
