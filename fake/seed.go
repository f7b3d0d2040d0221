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
	AdminToken   string `json:"adminToken,omitempty"`
	// Orgs are the orgs to load, with their members and workspaces.
	Orgs []SeedOrg `json:"orgs"`
}

// SeedOrg is an org to load. An empty ID is generated.
type SeedOrg struct {
	ID         string          `json:"id,omitempty"`
	Name       string          `json:"name"`
	CreatedAt  *time.Time      `json:"createdAt,omitempty"`
	Members    []SeedMember    `json:"members,omitempty"`
	Workspaces []SeedWorkspace `json:"workspaces,omitempty"`
}

// SeedMember is a platform user of an org: its token (starting with "pat-"), its role, and when
// the token expires (never when absent).
type SeedMember struct {
	Token     string     `json:"token"`
	Role      Role       `json:"role"`
	ExpiresAt *time.Time `json:"expiresAt,omitempty"`
}

// SeedWorkspace is an org workspace to load. Empty ID, Key and Secret are generated, absent
// timestamps are the time of the load; Config holds every other field, as a PATCH of the
// workspace would send it (settings, webhookUri, ...).
type SeedWorkspace struct {
	ID                 string     `json:"id,omitempty"`
	Name               string     `json:"name,omitempty"`
	Key                string     `json:"key,omitempty"`
	Secret             string     `json:"secret,omitempty"`
	MembraneInstanceID string     `json:"membraneInstanceId,omitempty"`
	LogoURI            string     `json:"logoUri,omitempty"`
	CreatedAt          *time.Time `json:"createdAt,omitempty"`
	UpdatedAt          *time.Time `json:"updatedAt,omitempty"`
	// ArchivedAt is set for an archived workspace.
	ArchivedAt *time.Time `json:"archivedAt,omitempty"`
	// PreviousSecret is the secret before the last rotation, still accepted until
	// PreviousSecretUntil (see WithSecretGracePeriod).
	PreviousSecret      string     `json:"previousSecret,omitempty"`
	PreviousSecretUntil *time.Time `json:"previousSecretUntil,omitempty"`
	// Version counts the changes of the workspace on its instance (1 when absent).
	Version uint64 `json:"version,omitempty"`
	// Customers of the workspace, in the order they were created. A workspace on an instance of
	// another process keeps its customers there: they are neither saved nor loaded here.
	Customers []SeedCustomer             `json:"customers,omitempty"`
	Config    map[string]json.RawMessage `json:"-"`
}

// SeedCustomer is a customer (a tenant) of a workspace, in its wire shape. An empty ID is
// generated, an empty Name is the InternalID, an absent CreatedAt is the time of the load, and
// absent IsActive and IsBillable are true.
type SeedCustomer struct {
	ID                         string          `json:"id,omitempty"`
	Name                       string          `json:"name,omitempty"`
	InternalID                 string          `json:"internalId"`
	Fields                     json.RawMessage `json:"fields,omitempty"`
	Credentials                json.RawMessage `json:"credentials,omitempty"`
	Meta                       json.RawMessage `json:"meta,omitempty"`
	IsTest                     bool            `json:"isTest"`
	IsActive                   *bool           `json:"isActive,omitempty"`
	IsBillable                 *bool           `json:"isBillable,omitempty"`
	AICreditsRolling30DayLimit *float64        `json:"aiCreditsRolling30DayLimit,omitempty"`
	LastActiveAt               string          `json:"lastActiveAt,omitempty"`
	CreatedAt                  string          `json:"createdAt,omitempty"`
	ArchivedAt                 string          `json:"archivedAt,omitempty"`
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
