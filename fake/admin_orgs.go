package fake

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// newOrgRequest is the body of POST /_fake/orgs.
type newOrgRequest struct {
	Name string `json:"name"`
	// Members are the members to add, each with its role; absent, one admin.
	Members *[]newOrgMember `json:"members"`
}

type newOrgMember struct {
	Role Role `json:"role"`
}

// newOrgResponse is the response of POST /_fake/orgs: the org's id and each member's platform
// token, in the order the request named them.
type newOrgResponse struct {
	ID      string              `json:"id"`
	Name    string              `json:"name"`
	Members []newMemberResponse `json:"members"`
}

type newMemberResponse struct {
	Role  Role   `json:"role"`
	Token string `json:"token"`
}

// maxNewOrgMembers bounds the members of one POST /_fake/orgs.
const maxNewOrgMembers = 100

// serveAddOrg serves POST /_fake/orgs: an org of its own for each test of a suite, as AddOrg
// and AddMember make one in Go.
func (s *Server) serveAddOrg(x *request) (any, *apiError) {
	if err := onlyParams(x.r.URL.Query()); err != nil {
		return nil, err
	}
	var req newOrgRequest
	if err := decodeAdminBody(x, "org", &req); err != nil {
		return nil, err
	}
	problems := map[string]string{}
	if strings.TrimSpace(req.Name) == "" {
		problems["name"] = "is required"
	} else if utf8.RuneCountInString(req.Name) > 200 {
		problems["name"] = "must be at most 200 characters"
	}
	members := []newOrgMember{{Role: RoleAdmin}}
	if req.Members != nil {
		members = *req.Members
	}
	if len(members) > maxNewOrgMembers {
		problems["members"] = fmt.Sprintf("must be at most %d", maxNewOrgMembers)
	}
	for i, m := range members {
		if !m.Role.valid() {
			problems[fmt.Sprintf("members[%d].role", i)] = "must be admin, member or read-only"
		}
	}
	if len(problems) > 0 {
		return nil, errFields(problems)
	}
	out := newOrgResponse{ID: s.AddOrg(req.Name), Name: req.Name, Members: make([]newMemberResponse, len(members))}
	for i, m := range members {
		out.Members[i] = newMemberResponse{Role: m.Role, Token: s.AddMember(out.ID, m.Role)}
	}
	s.changed()
	return out, nil
}

// valid reports whether r is one of the roles.
func (r Role) valid() bool { return r == RoleAdmin || r == RoleMember || r == RoleReadOnly }
