package fake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// Seed is state to load into a server with Load: orgs, their members (with the platform tokens
// they use) and their workspaces. It is the shape of the binary's --seed file:
//
//	{"orgs": [{"id": "...", "name": "Acme",
//	           "members": [{"token": "pat-acme-admin", "role": "admin"}],
//	           "workspaces": [{"name": "Prod", "membraneInstanceId": "eu", "webhookUri": "https://..."}]}]}
//
// A Snapshot is a Seed too, with everything filled in: timestamps, archive states, the
// previous secret of a rotation, customers, and which org is the default one.
type Seed struct {
	// DefaultOrgID and AdminToken name the default org and the admin token (see OrgID and
	// AdminToken). Snapshot fills them in; Replace makes them the server's; Load ignores them.
	DefaultOrgID string `json:"defaultOrgId,omitempty"`
	// AdminToken is the platform token of an admin of the org DefaultOrgID (wire "adminToken").
	// Replace takes both or neither (neither keeps the server's own), and refuses a token that
	// is not a member of the state with the admin role in that org.
	AdminToken string `json:"adminToken,omitempty"`
	// Orgs are the orgs to load, with their members and workspaces.
	Orgs []SeedOrg `json:"orgs"`
}

// SeedOrg is an org to load. An empty ID is generated.
type SeedOrg struct {
	// ID is the org's id: 1 to 64 letters, digits, '-' and '_', used once in the seed (and, for
	// Load, not held by the server already); empty makes a new one.
	ID string `json:"id,omitempty"`
	// Name is the org's display name; empty, or spaces only, makes it the ID.
	Name string `json:"name"`
	// CreatedAt is when the org was made (RFC 3339); nil is the time of the load.
	CreatedAt *time.Time `json:"createdAt,omitempty"`
	// Members are the platform users of the org, each with its token and role.
	Members []SeedMember `json:"members,omitempty"`
	// Workspaces are the org's workspaces, in the order they were created (the order lists
	// answer them in).
	Workspaces []SeedWorkspace `json:"workspaces,omitempty"`
}

// SeedMember is a platform user of an org: its token (starting with "pat-"), its role, and when
// the token expires (never when absent).
type SeedMember struct {
	// Token is the member's platform token: "pat-" and at least 8 characters in all, once per
	// org (and, for Load, not held by the server already). The same token in several orgs is one
	// user, with a role in each.
	Token string `json:"token"`
	// Role is RoleAdmin, RoleMember or RoleReadOnly; any other value is refused.
	Role Role `json:"role"`
	// ExpiresAt is when the token stops working (RFC 3339), after which it is a 401; nil is
	// never. The same token in several orgs must have the same ExpiresAt.
	ExpiresAt *time.Time `json:"expiresAt,omitempty"`
}

// SeedWorkspace is an org workspace to load. Empty ID, Key and Secret are generated, an absent
// CreatedAt is the time of the load and an absent UpdatedAt is CreatedAt; Config holds every
// other field, as a PATCH of the workspace would send it (settings, webhookUri, ...).
type SeedWorkspace struct {
	// ID is the workspace's id: 1 to 64 letters, digits, '-' and '_', used once in the seed
	// (and, for Load, not held by the server already); empty makes a new one.
	ID string `json:"id,omitempty"`
	// Name is the display name; empty, or spaces only, is "Untitled workspace".
	Name string `json:"name,omitempty"`
	// Key is the workspace key, the issuer of its tokens: unique (for Load, also among the
	// workspaces the server holds); empty makes a new version 4 UUID (an InstanceState needs it).
	Key string `json:"key,omitempty"`
	// Secret is the workspace secret, which signs its HMAC tokens: at least 16 characters;
	// empty makes a new one (an InstanceState needs it).
	Secret string `json:"secret,omitempty"`
	// MembraneInstanceID is the instance that hosts the workspace: empty or "hub" for the hub's
	// own, else the id of an instance of the server (WithInstances, WithRemoteInstance); any
	// other is refused.
	MembraneInstanceID string `json:"membraneInstanceId,omitempty"`
	// LogoURI is the logo's URL, an absolute http or https URL; empty means none.
	LogoURI string `json:"logoUri,omitempty"`
	// CreatedAt is when the workspace was made (RFC 3339, kept to the millisecond, in UTC); nil
	// is the time of the load.
	CreatedAt *time.Time `json:"createdAt,omitempty"`
	// UpdatedAt is when the workspace last changed (RFC 3339, kept to the millisecond, in UTC);
	// nil is CreatedAt.
	UpdatedAt *time.Time `json:"updatedAt,omitempty"`
	// ArchivedAt is set for an archived workspace.
	ArchivedAt *time.Time `json:"archivedAt,omitempty"`
	// PreviousSecret is the secret before the last rotation, still accepted until
	// PreviousSecretUntil (see WithSecretGracePeriod).
	PreviousSecret string `json:"previousSecret,omitempty"`
	// PreviousSecretUntil is when PreviousSecret stops verifying tokens (RFC 3339). It goes
	// with PreviousSecret: one without the other is refused.
	PreviousSecretUntil *time.Time `json:"previousSecretUntil,omitempty"`
	// Version counts the changes of the workspace on its instance (1 when absent).
	Version uint64 `json:"version,omitempty"`
	// Customers of the workspace, in the order they were created. A workspace on an instance of
	// another process keeps its customers there: they are neither saved nor loaded here.
	Customers []SeedCustomer `json:"customers,omitempty"`
	// Config holds the instance-level fields (settings, publicKeys, webhookUri, ...) by their
	// wire names, as raw JSON that a PATCH of the workspace would send, and checked as a PATCH
	// checks them. In JSON they sit beside the other fields; an unknown field is refused.
	Config map[string]json.RawMessage `json:"-"`
}

// SeedCustomer is a customer (a tenant) of a workspace, in its wire shape. An empty ID is
// generated, an empty Name is the InternalID, an absent CreatedAt is the time of the load, an
// absent IsBillable is true, and IsActive follows ArchivedAt. A seed is checked as the API checks
// a request: what the API would refuse, a seed refuses too.
type SeedCustomer struct {
	// ID is the customer's id: 1 to 64 letters, digits, '-' and '_', used once in the
	// workspace; empty makes a new one.
	ID string `json:"id,omitempty"`
	// Name is the customer's display name; empty is the InternalID, spaces only are refused.
	Name string `json:"name,omitempty"`
	// InternalID is the tenant key that tokens name. Required (not spaces only), and used once
	// in the workspace.
	InternalID string `json:"internalId"`
	// Fields are the customer's custom fields: a JSON object, or null or absent for none.
	Fields json.RawMessage `json:"fields,omitempty"`
	// Credentials are the customer's credentials: any JSON value, or null or absent for none.
	Credentials json.RawMessage `json:"credentials,omitempty"`
	// Meta is extra information about the customer: a JSON object, or null or absent for none.
	Meta json.RawMessage `json:"meta,omitempty"`
	// IsTest marks a customer made for testing.
	IsTest bool `json:"isTest"`
	// IsActive is false for an archived customer and true for any other; nil is what
	// ArchivedAt says, and a value that disagrees with it is refused.
	IsActive *bool `json:"isActive,omitempty"`
	// IsBillable tells whether the customer counts towards billing; nil is true.
	IsBillable *bool `json:"isBillable,omitempty"`
	// AICreditsRolling30DayLimit caps the AI credits the customer may use over any 30 days;
	// nil is no cap of its own. A negative value is refused.
	AICreditsRolling30DayLimit *float64 `json:"aiCreditsRolling30DayLimit,omitempty"`
	// LastActiveAt is when the customer's tenant token was last used, in RFC 3339 (such as
	// 2025-03-01T12:00:00.000Z; kept in UTC with milliseconds, as the API writes times); empty
	// is never.
	LastActiveAt string `json:"lastActiveAt,omitempty"`
	// CreatedAt is when the customer was made, in RFC 3339; empty is the time of the load.
	CreatedAt string `json:"createdAt,omitempty"`
	// ArchivedAt is when the customer was archived, in RFC 3339; empty while it is not.
	ArchivedAt string `json:"archivedAt,omitempty"`
}

// UnmarshalJSON reads the named fields and keeps the instance-level ones in Config.
func (w *SeedWorkspace) UnmarshalJSON(b []byte) error {
	type named SeedWorkspace
	var n named
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return err
	}
	for _, k := range sortedKeys(all) {
		switch k {
		case "id", "name", "key", "secret", "membraneInstanceId", "logoUri", "createdAt", "updatedAt",
			"archivedAt", "previousSecret", "previousSecretUntil", "version", "customers":
		default:
			if !slices.Contains(configFields[:], k) {
				return fmt.Errorf("unknown workspace field %q", k)
			}
		}
	}
	if raw, ok := all["customers"]; ok {
		// Customers are read strictly, as the rest of a seed is.
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&n.Customers); err != nil {
			return fmt.Errorf("customers: %w", err)
		}
	}
	*w = SeedWorkspace(n)
	w.Config = configPatch(&form{raw: all})
	return nil
}

// seedID is the id that a seed gives the org, workspace or customer at where: a new one when
// empty; one that validSeedID refuses is a problem.
func seedID(id, where string, ids *idSource, fail func(string, ...any)) string {
	if id == "" {
		return ids.objectID()
	}
	if !validSeedID(id) {
		fail("%s.id %q: use 1 to 64 letters, digits, '-' and '_'", where, id)
	}
	return id
}

// validSeedID reports whether id, given to an org, workspace or customer of a seed, is 1 to 64
// letters, digits, dashes and underscores.
func validSeedID(id string) bool {
	if len(id) < 1 || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func mergeRaw(m map[string]json.RawMessage, k, v string) map[string]json.RawMessage {
	out := make(map[string]json.RawMessage, len(m)+1)
	for mk, mv := range m {
		out[mk] = mv
	}
	b, _ := json.Marshal(v)
	out[k] = b
	return out
}

// ParseSeed reads a seed (or a snapshot) from JSON, refusing unknown fields, values of the
// wrong type, and anything after the object.
func ParseSeed(b []byte) (Seed, error) {
	var seed Seed
	if err := decodeStrict(b, &seed); err != nil {
		return Seed{}, fmt.Errorf("fake: seed: %w", jsonProblem{err})
	}
	return seed, nil
}
