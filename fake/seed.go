package fake

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Seed is state to load into a server with Load: orgs, their members (with the platform tokens
// they use) and their workspaces. It is the shape of the binary's --seed file:
//
//	{"orgs": [{"id": "...", "name": "Acme",
//	           "members": [{"token": "pat-acme-admin", "role": "admin"}],
//	           "workspaces": [{"name": "Prod", "membraneInstanceId": "eu", "webhookUri": "https://..."}]}]}
type Seed struct {
	Orgs []SeedOrg `json:"orgs"`
}

// SeedOrg is an org to load. An empty ID is generated.
type SeedOrg struct {
	ID         string          `json:"id,omitempty"`
	Name       string          `json:"name"`
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

// SeedWorkspace is an org workspace to load. Empty ID, Key and Secret are generated; Config
// holds every other field, as a PATCH of the workspace would send it (settings, webhookUri, ...).
type SeedWorkspace struct {
	ID                 string                     `json:"id,omitempty"`
	Name               string                     `json:"name,omitempty"`
	Key                string                     `json:"key,omitempty"`
	Secret             string                     `json:"secret,omitempty"`
	MembraneInstanceID string                     `json:"membraneInstanceId,omitempty"`
	LogoURI            string                     `json:"logoUri,omitempty"`
	Config             map[string]json.RawMessage `json:"-"`
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
		case "id", "name", "key", "secret", "membraneInstanceId", "logoUri":
		default:
			if !slices.Contains(configFields[:], k) {
				return fmt.Errorf("unknown workspace field %q", k)
			}
		}
	}
	*w = SeedWorkspace(n)
	w.Config = configPatch(&form{raw: all})
	return nil
}

var seedIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// Load adds the orgs, members and workspaces of seed. Everything is checked before anything is
// added, so a seed with a mistake adds nothing; an instance that fails while its workspaces are
// being placed stops the load where it is. Workspaces are placed through the engine API of their
// instance, as creates are.
func (s *Server) Load(ctx context.Context, seed Seed) error {
	plans, err := s.checkSeed(seed)
	if err != nil {
		return fmt.Errorf("fake: seed: %w", err)
	}
	for _, p := range plans {
		o := s.hub.addOrg(p.org.ID, p.org.Name)
		for _, m := range p.org.Members {
			var expiresAt time.Time
			if m.ExpiresAt != nil {
				expiresAt = *m.ExpiresAt
			}
			s.hub.addMember(m.Token, map[string]Role{o.id: m.Role}, expiresAt)
		}
		for _, w := range p.workspaces {
			if err := s.hub.place(ctx, o, w.ws, w.ref, w.config); err != nil {
				return fmt.Errorf("fake: seed: org %q, workspace %q: %s", o.id, w.ws.id, err.Message)
			}
		}
	}
	return nil
}

type seedPlan struct {
	org        SeedOrg
	workspaces []seedWorkspacePlan
}

type seedWorkspacePlan struct {
	ws     *orgWorkspace
	ref    *instanceRef
	config map[string]json.RawMessage
}

// checkSeed validates seed and fills in what is generated.
func (s *Server) checkSeed(seed Seed) ([]seedPlan, error) {
	var problems []string
	fail := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	seen := map[string]bool{}
	taken := func(kind, v string) bool {
		k := kind + "\x00" + v
		if seen[k] {
			return true
		}
		seen[k] = true
		return false
	}
	exists := func(kind, v string) bool {
		s.hub.mu.RLock()
		defer s.hub.mu.RUnlock()
		switch kind {
		case "org":
			return s.hub.orgs[v] != nil
		case "token":
			return s.hub.members[tokenDigest(v)] != nil
		case "workspace":
			return s.hub.byWS[v] != nil
		case "key":
			return s.hub.keyHost[v] != ""
		}
		return false
	}

	now := s.env.now()
	plans := make([]seedPlan, 0, len(seed.Orgs))
	for i, org := range seed.Orgs {
		where := fmt.Sprintf("orgs[%d]", i)
		if org.ID == "" {
			org.ID = s.env.ids.objectID()
		} else if !seedIDPattern.MatchString(org.ID) {
			fail("%s.id %q: use 1 to 64 letters, digits, '-' and '_'", where, org.ID)
		}
		if taken("org", org.ID) || exists("org", org.ID) {
			fail("%s.id %q is used twice", where, org.ID)
		}
		if strings.TrimSpace(org.Name) == "" {
			org.Name = org.ID
		}
		for j, m := range org.Members {
			mw := fmt.Sprintf("%s.members[%d]", where, j)
			if !strings.HasPrefix(m.Token, "pat-") || len(m.Token) < 8 {
				fail("%s.token must start with \"pat-\" and have at least 8 characters", mw)
			} else if taken("token", m.Token) || exists("token", m.Token) {
				fail("%s.token is used twice", mw)
			}
			if m.Role != RoleAdmin && m.Role != RoleMember && m.Role != RoleReadOnly {
				fail("%s.role %q: use admin, member or read-only", mw, m.Role)
			}
		}
		plan := seedPlan{org: org}
		for j, w := range org.Workspaces {
			ww := fmt.Sprintf("%s.workspaces[%d]", where, j)
			ws := &orgWorkspace{id: w.ID, orgID: org.ID, name: w.Name, key: w.Key, secret: w.Secret,
				instanceID: w.MembraneInstanceID, createdAt: now, updatedAt: now}
			if ws.id == "" {
				ws.id = s.env.ids.objectID()
			} else if !seedIDPattern.MatchString(ws.id) {
				fail("%s.id %q: use 1 to 64 letters, digits, '-' and '_'", ww, ws.id)
			}
			if taken("workspace", ws.id) || exists("workspace", ws.id) {
				fail("%s.id %q is used twice", ww, ws.id)
			}
			if ws.key == "" {
				ws.key = s.env.ids.uuid()
			} else if taken("key", ws.key) || exists("key", ws.key) {
				fail("%s.key %q is used twice", ww, ws.key)
			}
			if ws.secret == "" {
				ws.secret = s.env.ids.secret()
			} else if len(ws.secret) < 16 {
				fail("%s.secret must have at least 16 characters", ww)
			}
			if strings.TrimSpace(ws.name) == "" {
				ws.name = "Untitled workspace"
			}
			ws.nameLower = strings.ToLower(ws.name)
			ref := s.hub.instance(ws.instanceID)
			if ref == nil {
				fail("%s.membraneInstanceId %q: no such instance", ww, ws.instanceID)
			}
			f := &form{raw: w.Config}
			if w.LogoURI != "" {
				f.raw = mergeRaw(w.Config, "logoUri", w.LogoURI)
			}
			ws.logoURI = readLogo(f, "")
			ws.cfg = newConfig().patched(f, false)
			for _, k := range sortedKeys(f.errs) {
				fail("%s.%s %s", ww, k, f.errs[k])
			}
			plan.workspaces = append(plan.workspaces, seedWorkspacePlan{ws: ws, ref: ref, config: w.Config})
		}
		plans = append(plans, plan)
	}
	if len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "; "))
	}
	return plans, nil
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

// ParseSeed reads a seed from JSON, refusing unknown top-level and org fields.
func ParseSeed(b []byte) (Seed, error) {
	var seed Seed
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&seed); err != nil {
		return Seed{}, fmt.Errorf("fake: seed: %w", err)
	}
	return seed, nil
}
