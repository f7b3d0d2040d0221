package fake

// adminEndpoint is one endpoint of the admin API, as GET /_fake lists it.
type adminEndpoint struct {
	Method      string `json:"method"`
	Path        string `json:"path"`
	Description string `json:"description"`
}

// adminEndpoints describes every route of adminRoutes (a test keeps the two in step), for
// GET /_fake.
var adminEndpoints = []adminEndpoint{
	{"GET", "/_fake", "this index"},
	{"POST", "/_fake/orgs", `add an org with members: {"name": "Acme", "members": [{"role": "admin"}]} responds with {"id", "name", "members": [{"role", "token"}]}`},
	{"POST", "/_fake/reset", "back to the start state: the seed loaded again, journal and faults emptied; ?orgId= resets one org and leaves the others alone"},
	{"GET", "/_fake/state", "the whole state in the seed format: orgs, members and their tokens, workspaces with secrets, customers"},
	{"PUT", "/_fake/state", "replace the whole state with a snapshot or a seed, all or nothing"},
	{"GET", "/_fake/journal", "the requests served, oldest first; filters method, path (a path.Match pattern), orgId, status (404 or 4xx), since (a seq); wait=5s responds as soon as a match arrives"},
	{"DELETE", "/_fake/journal", "empty the journal"},
	{"GET", "/_fake/faults", "the faults, with how often each fired"},
	{"POST", "/_fake/faults", "add a fault: match method, path, instance, org; answer status, retryAfter, latency, reset, dropAnswer; times, probability"},
	{"DELETE", "/_fake/faults", "remove every fault"},
	{"DELETE", "/_fake/faults/{id}", "remove one fault"},
	{"POST", "/_fake/settle", "put right now what failed calls between the hub and its instances left behind; 502 while an instance cannot be reached"},
	{"GET", "/_fake/inspect", "what the fake holds, without tokens or secrets: instances (reachable, workspaces, awaiting repair), orgs with members and workspaces with customers, faults"},
	{"GET", "/_fake/workspaces/{id}/secret", "a workspace's secret, shown on purpose"},
	{"GET", "/_fake/ui", "the inspector page; it asks for the admin token, or reads it from the uiUrl's #token="},
	{"GET", "/_fake/ui/", "leads to /_fake/ui"},
	{"GET", "/_fake/ui/{file}", "the inspector page's scripts and styles"},
}

// adminIndex is the response of GET /_fake.
type adminIndex struct {
	Auth      string          `json:"auth"`
	Endpoints []adminEndpoint `json:"endpoints"`
}

// serveIndex serves GET /_fake: the admin API's endpoints.
func (s *Server) serveIndex(x *request) (any, *apiError) {
	if err := onlyParams(x.r.URL.Query()); err != nil {
		return nil, err
	}
	return adminIndex{Auth: "Authorization: Bearer <admin token>, the adminToken of the startup line", Endpoints: adminEndpoints}, nil
}
