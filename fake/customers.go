package fake

import (
	"encoding/json"
	"strings"
)

// customer is one version of a customer (a tenant), in its wire shape. Never changed in place.
type customer struct {
	ID           string          `json:"id"`
	Name         string          `json:"name"`
	InternalID   string          `json:"internalId"`
	Fields       json.RawMessage `json:"fields,omitempty"`
	Credentials  json.RawMessage `json:"credentials,omitempty"`
	Meta         json.RawMessage `json:"meta,omitempty"`
	IsTest       bool            `json:"isTest"`
	IsActive     bool            `json:"isActive"`
	IsBillable   bool            `json:"isBillable"`
	AICredits    *float64        `json:"aiCreditsRolling30DayLimit,omitempty"`
	LastActiveAt string          `json:"lastActiveAt,omitempty"`
	CreatedAt    string          `json:"createdAt"`
	ArchivedAt   string          `json:"archivedAt,omitempty"`

	nameLower, internalLower string
}

// custEntry is a customer's place in its workspace; cur is read and replaced under the
// workspace's lock.
type custEntry struct {
	cur *customer
	seq uint64
}

func (e *custEntry) sequence() uint64 { return e.seq }

func (c *customer) index() *customer {
	c.nameLower, c.internalLower = strings.ToLower(c.Name), strings.ToLower(c.InternalID)
	return c
}

// insertCustomer adds c to ws. Called with ws.mu held for writing.
func (ws *workspace) insertCustomer(c *customer) {
	if ws.customers == nil {
		ws.customers, ws.byInternal = make(map[string]*custEntry), make(map[string]*custEntry)
	}
	ws.seq++
	e := &custEntry{cur: c, seq: ws.seq}
	ws.customers[c.ID] = e
	ws.byInternal[c.InternalID] = e
	ws.order = append(ws.order, e)
}

// ensureTenant finds the customer a tenant token names by its internal id, creating it on first
// use with the token's name and fields. A tenant that was archived may not sign in.
func (in *instance) ensureTenant(ws *workspace, tok *tokenInfo) *apiError {
	now := formatTime(in.env.now())
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if e := ws.byInternal[tok.tenantKey]; e != nil {
		if e.cur.ArchivedAt != "" {
			return errNotAuthenticated("the customer of this token is archived")
		}
		if e.cur.LastActiveAt != now {
			next := *e.cur
			next.LastActiveAt = now
			e.cur = &next
		}
		return nil
	}
	name := tok.name
	if strings.TrimSpace(name) == "" { // a customer's name has a character other than a space
		name = tok.tenantKey
	}
	ws.insertCustomer((&customer{
		ID: in.env.ids.objectID(), Name: name, InternalID: tok.tenantKey, Fields: tok.fields,
		IsActive: true, IsBillable: true, LastActiveAt: now, CreatedAt: now,
	}).index())
	return nil
}

// self serves GET /self: the customer of a tenant token.
func (in *instance) self(x *request, ws *workspace, tok *tokenInfo) (any, *apiError) {
	if tok.tenantKey == "" {
		return nil, errAccessDenied("/self needs a tenant token: this token names no tenant")
	}
	ws.mu.RLock()
	defer ws.mu.RUnlock()
	e := ws.byInternal[tok.tenantKey]
	if e == nil {
		return nil, errNotFound("customer %q not found", tok.tenantKey)
	}
	return e.cur, nil
}

// listCustomers serves GET /customers.
func (in *instance) listCustomers(x *request, ws *workspace, _ *tokenInfo) (any, *apiError) {
	q := x.r.URL.Query()
	f := &form{}
	pq := readPage(f, q.Get("limit"), q.Get("cursor"))
	includeArchived := readBoolQuery(f, q.Get("includeArchived"), "includeArchived")
	isTest, filterTest := q.Get("isTest"), q.Has("isTest")
	wantTest := readBoolQuery(f, isTest, "isTest")
	isActive, filterActive := q.Get("isActive"), q.Has("isActive")
	wantActive := readBoolQuery(f, isActive, "isActive")
	if err := f.err(); err != nil {
		return nil, err
	}
	search := strings.ToLower(q.Get("search"))
	ws.mu.RLock()
	entries, cursor := page(ws.order, pq, func(e *custEntry) bool {
		c := e.cur
		return (includeArchived || c.ArchivedAt == "") &&
			(!filterTest || c.IsTest == wantTest) &&
			(!filterActive || c.IsActive == wantActive) &&
			(search == "" || strings.Contains(c.nameLower, search) || strings.Contains(c.internalLower, search))
	})
	out := listJSON[*customer]{Items: make([]*customer, len(entries)), Cursor: cursor}
	for i, e := range entries {
		out.Items[i] = e.cur
	}
	ws.mu.RUnlock()
	return out, nil
}

// createCustomer serves POST /customers.
func (in *instance) createCustomer(x *request, ws *workspace, _ *tokenInfo) (any, *apiError) {
	f, err := parseForm(x.body)
	if err != nil {
		return nil, err
	}
	now := formatTime(in.env.now())
	c := &customer{ID: in.env.ids.objectID(), IsActive: true, IsBillable: true, CreatedAt: now}
	if !f.has("name") {
		f.fail("name", "is required")
	}
	readCustomer(f, c)
	if c.InternalID == "" {
		c.InternalID = c.ID
	}
	if err := f.err(); err != nil {
		return nil, err
	}
	c.index()
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if ws.byInternal[c.InternalID] != nil {
		return nil, errAlreadyExists("internalId", "a customer with internalId %q already exists", c.InternalID)
	}
	ws.insertCustomer(c)
	return c, nil
}

// readCustomer applies the writable fields present in f to c, recording problems in f.
func readCustomer(f *form, c *customer) {
	if s, ok := f.nonEmpty("name"); ok {
		c.Name = s
	}
	if f.has("internalId") {
		if s, ok := f.nonEmpty("internalId"); ok {
			c.InternalID = s
		}
	}
	if f.has("fields") {
		c.Fields = readObjectOrNull(f, "fields")
	}
	if f.has("credentials") {
		c.Credentials = nil
		if v, _ := f.anyJSON("credentials"); !isNullRaw(v) {
			c.Credentials = v
		}
	}
	if f.has("isTest") {
		if b, ok := f.bool("isTest"); ok {
			c.IsTest = b
		}
	}
	if f.has("aiCreditsRolling30DayLimit") {
		c.AICredits = nil
		if !f.isNull("aiCreditsRolling30DayLimit") {
			if n, ok := f.number("aiCreditsRolling30DayLimit"); ok {
				if n < 0 {
					f.fail("aiCreditsRolling30DayLimit", "must not be negative")
				}
				c.AICredits = &n
			}
		}
	}
}

// customerHandler serves a request about one customer.
type customerHandler func(x *request, ws *workspace, e *custEntry) (any, *apiError)

func customerAction(id string, fn customerHandler) tenantHandler {
	return func(x *request, ws *workspace, _ *tokenInfo) (any, *apiError) {
		ws.mu.RLock()
		e := ws.customers[id]
		ws.mu.RUnlock()
		if e == nil {
			return nil, errNotFound("customer %q not found", id)
		}
		return fn(x, ws, e)
	}
}

// getCustomer serves GET /customers/{id}.
func (in *instance) getCustomer(_ *request, ws *workspace, e *custEntry) (any, *apiError) {
	ws.mu.RLock()
	defer ws.mu.RUnlock()
	return e.cur, nil
}

// patchCustomer serves PATCH /customers/{id}: a merge of the fields sent.
func (in *instance) patchCustomer(x *request, ws *workspace, e *custEntry) (any, *apiError) {
	return in.updateCustomer(x, ws, e, false)
}

// putCustomer serves PUT /customers/{id}: the whole customer, with what is not sent cleared.
func (in *instance) putCustomer(x *request, ws *workspace, e *custEntry) (any, *apiError) {
	return in.updateCustomer(x, ws, e, true)
}

func (in *instance) updateCustomer(x *request, ws *workspace, e *custEntry, replace bool) (any, *apiError) {
	f, err := parseForm(x.body)
	if err != nil {
		return nil, err
	}
	if replace && !f.has("name") {
		f.fail("name", "is required")
	}
	ws.mu.Lock()
	defer ws.mu.Unlock()
	cur := e.cur
	if cur.ArchivedAt != "" {
		return nil, errBadRequest("customer %q is archived: restore it before changing it", cur.ID)
	}
	next := *cur
	if replace {
		// internalId is the tenant key that tokens name: a PUT without it keeps it.
		next.Fields, next.Credentials, next.IsTest, next.AICredits = nil, nil, false, nil
	}
	readCustomer(f, &next)
	if err := f.err(); err != nil {
		return nil, err
	}
	if next.InternalID != cur.InternalID {
		if ws.byInternal[next.InternalID] != nil {
			return nil, errAlreadyExists("internalId", "a customer with internalId %q already exists", next.InternalID)
		}
		delete(ws.byInternal, cur.InternalID)
		ws.byInternal[next.InternalID] = e
	}
	e.cur = next.index()
	return e.cur, nil
}

// archiveCustomer serves DELETE /customers/{id}; archiving twice changes nothing.
func (in *instance) archiveCustomer(_ *request, ws *workspace, e *custEntry) (any, *apiError) {
	now := formatTime(in.env.now())
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if e.cur.ArchivedAt == "" {
		next := *e.cur
		next.ArchivedAt, next.IsActive = now, false
		e.cur = &next
	}
	return e.cur, nil
}

// restoreCustomer serves POST /customers/{id}/restore; restoring an active customer changes
// nothing.
func (in *instance) restoreCustomer(_ *request, ws *workspace, e *custEntry) (any, *apiError) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if e.cur.ArchivedAt != "" {
		next := *e.cur
		next.ArchivedAt, next.IsActive = "", true
		e.cur = &next
	}
	return e.cur, nil
}
