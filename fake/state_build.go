package fake

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// builtState is a seed checked and turned into the fake's own records, ready to be put in
// place at once: nothing of it is visible until then.
type builtState struct {
	orgs    []*builtOrg
	members map[[32]byte]*member // by the digest of their token
}

// builtOrg is an org of a seed, with its workspaces in order.
type builtOrg struct {
	org        *org
	members    []SeedMember
	workspaces []*builtWorkspace
}

// builtWorkspace is an org workspace of a seed: the hub's version of it, and its record on its
// instance when that instance runs in this process.
type builtWorkspace struct {
	hub    *orgWorkspace
	ref    *instanceRef
	inst   *instance  // nil for an instance of another process
	local  *workspace // the instance's record, when inst is set
	config map[string]json.RawMessage
}

// buildState checks seed and builds its records; generated ids, keys and secrets are filled in.
// With additive set (Load), ids, tokens and keys must not be taken by what the server holds
// already, and workspaces on instances of other processes are created there as new, so they
// cannot come archived or with customers. Otherwise (Replace) the seed replaces everything and
// need only agree with itself. Every problem is reported, in one error.
func (s *Server) buildState(seed Seed, additive bool) (*builtState, error) {
	var problems []string
	fail := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	seen := map[string]bool{}
	taken := func(kind, v string) bool {
		k := kind + "\x00" + v
		if seen[k] {
			return true
		}
		seen[k] = true
		return additive && s.holds(kind, v)
	}

	now := s.env.now()
	b := &builtState{members: map[[32]byte]*member{}}
	for i, so := range seed.Orgs {
		where := fmt.Sprintf("orgs[%d]", i)
		so.ID = seedID(so.ID, where, s.env.ids, fail)
		if taken("org", so.ID) {
			fail("%s.id %q is used twice", where, so.ID)
		}
		if strings.TrimSpace(so.Name) == "" {
			so.Name = so.ID
		}
		o := &org{id: so.ID, key: strings.ToLower(strings.ReplaceAll(so.Name, " ", "-")), name: so.Name,
			createdAt: timeOr(so.CreatedAt, now)}
		// A copy: the caller's seed may change after it was loaded, what Reset loads again may not.
		members := slices.Clone(so.Members)
		for j := range members {
			members[j].ExpiresAt = copyOf(members[j].ExpiresAt)
		}
		bo := &builtOrg{org: o, members: members}
		inOrg := map[string]bool{}
		for j, m := range so.Members {
			mw := fmt.Sprintf("%s.members[%d]", where, j)
			if m.Role != RoleAdmin && m.Role != RoleMember && m.Role != RoleReadOnly {
				fail("%s.role %q: use admin, member or read-only", mw, m.Role)
			}
			if !strings.HasPrefix(m.Token, "pat-") || len(m.Token) < 8 {
				fail("%s.token must start with \"pat-\" and have at least 8 characters", mw)
				continue
			}
			d := tokenDigest(m.Token)
			if inOrg[m.Token] || (additive && s.holds("token", m.Token)) {
				fail("%s.token is used twice", mw)
				continue
			}
			inOrg[m.Token] = true
			var expiresAt time.Time
			if m.ExpiresAt != nil {
				expiresAt = m.ExpiresAt.UTC()
			}
			if prev := b.members[d]; prev != nil {
				// The same user in another org of the seed: one member with a role in each.
				if !prev.expiresAt.Equal(expiresAt) {
					fail("%s.expiresAt differs from that of the same token in another org", mw)
				}
				prev.roles[o.id] = m.Role
				continue
			}
			b.members[d] = &member{token: m.Token, userID: s.env.ids.objectID(), roles: map[string]Role{o.id: m.Role}, expiresAt: expiresAt}
		}
		for j, w := range so.Workspaces {
			bw := s.buildWorkspace(fmt.Sprintf("%s.workspaces[%d]", where, j), o, w, now, additive, taken, fail)
			if bw != nil {
				bo.workspaces = append(bo.workspaces, bw)
			}
		}
		b.orgs = append(b.orgs, bo)
	}
	if len(problems) > 0 {
		return nil, &SeedError{Problems: problems}
	}
	return b, nil
}

// SeedError is a seed or state that Load, Replace or PUT /_fake/state refused, with every
// problem found, each naming where it is (such as "orgs[0].workspaces[1].key").
type SeedError struct {
	// Problems are the problems found, at least one, each a sentence that names where it is
	// and what is wrong.
	Problems []string
}

// Error lists the problems, separated by semicolons.
func (e *SeedError) Error() string { return strings.Join(e.Problems, "; ") }

// holds reports whether the server holds an org, platform token, workspace or key already.
func (s *Server) holds(kind, v string) bool {
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

func timeOr(t *time.Time, def time.Time) time.Time {
	if t == nil {
		return def
	}
	return t.UTC().Truncate(time.Millisecond)
}

func (s *Server) buildWorkspace(ww string, o *org, w SeedWorkspace, now time.Time, additive bool,
	taken func(kind, v string) bool, fail func(string, ...any)) *builtWorkspace {
	created := timeOr(w.CreatedAt, now)
	ws := &orgWorkspace{id: w.ID, orgID: o.id, name: w.Name, key: w.Key, secret: w.Secret,
		instanceID: w.MembraneInstanceID, createdAt: created, updatedAt: timeOr(w.UpdatedAt, created), version: w.Version}
	if ws.version == 0 {
		ws.version = 1
	}
	if w.ArchivedAt != nil {
		at := timeOr(w.ArchivedAt, now)
		ws.archivedAt = &at
	}
	ws.id = seedID(ws.id, ww, s.env.ids, fail)
	if taken("workspace", ws.id) {
		fail("%s.id %q is used twice", ww, ws.id)
	}
	if ws.key == "" {
		ws.key = s.env.ids.uuid()
	} else if taken("key", ws.key) {
		fail("%s.key %q is used twice", ww, ws.key)
	}
	if ws.secret == "" {
		ws.secret = s.env.ids.secret()
	} else if len(ws.secret) < 16 {
		fail("%s.secret must have at least 16 characters", ww)
	}
	if w.PreviousSecret != "" && len(w.PreviousSecret) < 16 {
		fail("%s.previousSecret must have at least 16 characters", ww)
	}
	if (w.PreviousSecret != "") != (w.PreviousSecretUntil != nil) {
		fail("%s.previousSecret and previousSecretUntil go together", ww)
	} else if w.PreviousSecret != "" {
		ws.prevSecret, ws.prevUntil = w.PreviousSecret, w.PreviousSecretUntil.UTC()
	}
	if strings.TrimSpace(ws.name) == "" {
		ws.name = "Untitled workspace"
	}
	ws.nameLower = strings.ToLower(ws.name)
	ref := s.hub.instance(ws.instanceID)
	if ref == nil {
		fail("%s.membraneInstanceId %q: no such instance", ww, ws.instanceID)
		return nil
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
	bw := &builtWorkspace{hub: ws, ref: ref, config: w.Config}
	local := s.instances[ref.id]
	if local == nil {
		if len(w.Customers) > 0 {
			fail("%s.customers: instance %q runs in another process, which keeps its customers", ww, ref.id)
		}
		if additive && (ws.archivedAt != nil || w.PreviousSecret != "") {
			fail("%s: a workspace loaded onto instance %q of another process is created there as new: it cannot come archived or with a previous secret", ww, ref.id)
		}
		return bw
	}
	bw.inst = local.in
	lw := &workspace{key: ws.key, createdAt: ws.createdAt, version: ws.version, secret: []byte(ws.secret),
		archivedAt: ws.archivedAt, cfg: ws.cfg, keys: parsePublicKeys(ws.cfg.PublicKeys)}
	if w.PreviousSecret != "" && w.PreviousSecretUntil != nil {
		lw.prevSecret, lw.prevUntil = []byte(w.PreviousSecret), w.PreviousSecretUntil.UTC()
	}
	ids, internal := map[string]bool{}, map[string]bool{}
	for k, c := range w.Customers {
		cw := fmt.Sprintf("%s.customers[%d]", ww, k)
		cu := buildCustomer(cw, c, now, s.env.ids, fail)
		if ids[cu.ID] {
			fail("%s.id %q is used twice", cw, cu.ID)
		}
		if internal[cu.InternalID] {
			fail("%s.internalId %q is used twice", cw, cu.InternalID)
		}
		ids[cu.ID], internal[cu.InternalID] = true, true
		lw.insertCustomer(cu.index())
	}
	bw.local = lw
	return bw
}

// buildCustomer checks a seeded customer and makes its record. The fields a request may carry
// are read by readCustomer, as the API reads a request; the rest is the seed's own.
func buildCustomer(cw string, c SeedCustomer, now time.Time, ids *idSource, fail func(string, ...any)) *customer {
	// A customer is active exactly while it is not archived, as the API keeps it.
	cu := &customer{ID: seedID(c.ID, cw, ids, fail), IsTest: c.IsTest, IsActive: c.ArchivedAt == "", IsBillable: true}
	f := &form{raw: map[string]json.RawMessage{}}
	f.raw["internalId"], _ = json.Marshal(c.InternalID) // required: "" is refused
	if c.Name != "" {
		f.raw["name"], _ = json.Marshal(c.Name)
	}
	if c.AICreditsRolling30DayLimit != nil {
		f.raw["aiCreditsRolling30DayLimit"], _ = json.Marshal(*c.AICreditsRolling30DayLimit)
	}
	for name, v := range map[string]json.RawMessage{"fields": c.Fields, "credentials": c.Credentials, "meta": c.Meta} {
		if len(trimJSONSpace(v)) > 0 {
			f.raw[name] = v
		}
	}
	readCustomer(f, cu)
	if f.has("meta") { // a seed's alone: the API writes it, and takes none
		cu.Meta = readObjectOrNull(f, "meta")
	}
	for _, name := range sortedKeys(f.errs) {
		fail("%s.%s %s", cw, name, f.errs[name])
	}
	if cu.Name == "" {
		cu.Name = cu.InternalID
	}
	if c.IsActive != nil && *c.IsActive != cu.IsActive {
		fail("%s.isActive is %t, but a customer is active exactly when it has no archivedAt", cw, *c.IsActive)
	}
	if c.IsBillable != nil {
		cu.IsBillable = *c.IsBillable
	}
	// Times are read as RFC 3339 and kept as the API writes them: UTC, with milliseconds.
	for _, t := range []struct {
		name, in string
		out      *string
	}{{"createdAt", c.CreatedAt, &cu.CreatedAt}, {"lastActiveAt", c.LastActiveAt, &cu.LastActiveAt}, {"archivedAt", c.ArchivedAt, &cu.ArchivedAt}} {
		if t.in == "" {
			continue
		}
		v, err := time.Parse(time.RFC3339Nano, t.in)
		if err != nil {
			fail("%s.%s %q: use RFC 3339, such as 2025-03-01T12:00:00.000Z", cw, t.name, t.in)
			continue
		}
		*t.out = formatTime(v)
	}
	if cu.CreatedAt == "" {
		cu.CreatedAt = formatTime(now)
	}
	return cu
}
