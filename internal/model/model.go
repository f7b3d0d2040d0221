// Package model is a sequential reference model of the contract in docs/contract.md: orgs and
// their members, org workspaces with every field, their placement on instances, archive state,
// the workspace secret and its grace period, customers, workspace tokens and idempotency.
//
// It is written to be checked against the contract line by line, not to be fast: no HTTP, no
// goroutines, no locks, plain maps and slices. Each rule carries a comment naming the part of the
// contract it follows, by the name of its section in docs/contract.md; a rule marked "silent" is
// a choice made where Membrane documents nothing (marked [fake] in docs/contract.md). The tests in internal/proof
// drive the SDK against the fake and this model side by side and compare every answer.
//
// Values the server generates (ids, keys, secrets) cannot be predicted: the caller passes them
// in, read from the server's answer after checking their shape. Time is the model's clock, which
// the tests share with the fake (fake.WithClock), so every timestamp is predicted exactly.
package model

import (
	"encoding/json"
	"time"
)

// Kind is the outcome of an operation: success, or the error the contract gives.
type Kind string

// The outcomes (Errors, and the sentinels of the SDK that stand for them).
const (
	OK               Kind = "ok"
	BadRequest       Kind = "bad_request"       // 400
	AlreadyExists    Kind = "already_exists"    // 400 with key already_exists
	NotAuthenticated Kind = "not_authenticated" // 401
	AccessDenied     Kind = "access_denied"     // 403
	NotFound         Kind = "not_found"         // 404
	Dependency       Kind = "dependency_error"  // 502: the instance cannot be reached
	NoResponse       Kind = "no_response"       // no answer at all: a server that is down
)

// Role is a member's role in an org (Management API).
type Role string

// The roles.
const (
	Admin    Role = "admin"
	Member   Role = "member"
	ReadOnly Role = "read-only"
)

// perm is a class of operations of the role table ("Platform tokens and roles").
type perm int

const (
	permRead   perm = iota // list / get org workspaces, list instances
	permWrite              // create, patch, access-token
	permManage             // rotate-secret, archive, restore
)

// may is the role table ("Platform tokens and roles").
func (r Role) may(p perm) bool {
	switch r {
	case Admin:
		return true
	case Member:
		return p == permRead || p == permWrite
	case ReadOnly:
		return p == permRead
	}
	return false
}

// Caller is who sends a Management API request: a platform token.
type Caller struct {
	// ID tells callers apart for idempotency ("Idempotency": a key belongs to its caller).
	ID string
	// Known is false for a token the server never issued, and for a workspace JWT sent to the
	// Management API ("Platform tokens and roles": both 401).
	Known bool
	// Expired is true for a platform token past its expiry (silent: a 401).
	Expired bool
	// Roles is the caller's role in each org it belongs to.
	Roles map[string]Role
}

// Instance is a registered instance (Parts and hosts, Management API, "9. GET
// /membrane-instances").
type Instance struct {
	ID, Name, BaseURI string
	// Down is true while the instance cannot be reached.
	Down bool
}

// HubInstance is the id of the instance the hub hosts (Parts and hosts).
const HubInstance = "hub"

// Workspace is an org workspace, hub and instance sides together (Objects).
type Workspace struct {
	ID, OrgID, Name, Key, Secret string
	// InstanceID is membraneInstanceId as given on create (silent: echoed as given).
	InstanceID string
	// Host is the id of the instance that hosts it ("" and "hub" are the hub's own).
	Host                 string
	LogoURI              string
	CreatedAt, UpdatedAt time.Time
	ArchivedAt           *time.Time
	Config

	// PrevSecret verifies tokens until PrevUntil, after a rotation ("6. rotate-secret": grace
	// period).
	PrevSecret string
	PrevUntil  time.Time
	// Unsettled is true when a change failed because the host could not be reached: the hub
	// cannot tell whether it arrived, and mints no token until it has checked (silent).
	Unsettled bool

	// Customers of the workspace, in creation order (Workspace API).
	Customers []*Customer
}

// Config holds the instance-level fields of a workspace (Management API: everything PATCH takes
// but name and logoUri).
type Config struct {
	Settings              map[string]bool // only the settings that were set
	PublicKeys            []PublicKey
	WebhookURI            string
	EnabledWebhookEvents  []string
	JWKSURI               *string
	Type                  string
	IsReadOnly            bool
	Limits                map[string]Limit
	UserFieldsSchema      json.RawMessage
	AlertDeliverySettings json.RawMessage
}

// PublicKey is a named PEM public key of a workspace.
type PublicKey struct{ Name, PublicKey string }

// Limit is one entry of a workspace's limits.
type Limit struct {
	Value, DefaultValue *float64
	Unit                string
}

// Customer is a tenant of a workspace (Workspace API, Objects).
type Customer struct {
	// ID is "" for a tenant created on first use of its token until an answer shows its id.
	ID, Name, InternalID string
	Fields               map[string]any // nil: none
	IsTest               bool
	LastActiveAt         *time.Time
	CreatedAt            time.Time
	ArchivedAt           *time.Time
}

// IsActive is false while the customer is archived (silent).
func (c *Customer) IsActive() bool { return c.ArchivedAt == nil }

// State is the whole model.
type State struct {
	// Now is the clock the server reads.
	Now time.Time
	// Grace is how long a rotated-out secret still verifies ("6. rotate-secret": a grace
	// configured on the server").
	Grace time.Duration
	// TokenTTL is the lifetime of tokens minted by access-token (Workspace tokens: 1 hour unless
	// configured).
	TokenTTL time.Duration

	Instances []*Instance // in registration order, the hub's own first
	Orgs      []string    // org ids
	// Workspaces by id, and their ids in creation order.
	Workspaces map[string]*Workspace
	Order      []string

	// Kept holds the first answer to each POST that carried an Idempotency-Key, by caller and
	// key ("Idempotency").
	Kept map[[2]string]Kept
}

// Kept is a kept answer: what was asked (method, path and body, in a form the caller chooses)
// and what was answered.
type Kept struct {
	Request string
	Kind    Kind
	Value   any // a copy of the answer's object, as it was then
}

// New is a model with the hub's own instance, the given instances, and the orgs given.
func New(now time.Time, hubURL string, instances []Instance, orgs ...string) *State {
	s := &State{Now: now, TokenTTL: time.Hour, Workspaces: map[string]*Workspace{}, Orgs: orgs,
		Kept: map[[2]string]Kept{}}
	s.Instances = append(s.Instances, &Instance{ID: HubInstance, Name: "Hub", BaseURI: hubURL})
	for _, in := range instances {
		s.Instances = append(s.Instances, &in)
	}
	return s
}

// Instance finds an instance by id; "" is the hub's own (Parts and hosts).
func (s *State) Instance(id string) *Instance {
	if id == "" {
		id = HubInstance
	}
	for _, in := range s.Instances {
		if in.ID == id {
			return in
		}
	}
	return nil
}

// SetDown marks an instance down or back up. Once it is back, the hub can check what it holds
// again, so no workspace of it stays unsettled ("What a failure promises": "within 2 seconds of the
// instance answering again").
func (s *State) SetDown(id string, down bool) {
	s.Instance(id).Down = down
	if down {
		return
	}
	for _, ws := range s.Workspaces {
		if ws.Host == id {
			ws.Unsettled = false
		}
	}
}
