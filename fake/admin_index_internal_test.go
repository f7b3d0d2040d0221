package fake

import "testing"

// GET /_fake lists every admin route, and nothing else.
func TestAdminIndexListsEveryRoute(t *testing.T) {
	t.Parallel()
	listed := map[string]bool{}
	for _, e := range adminEndpoints {
		if e.Description == "" {
			t.Errorf("%s %s has no description", e.Method, e.Path)
		}
		listed[e.Method+" "+e.Path] = true
	}
	for _, rt := range adminRoutes {
		k := rt.method + " " + rt.pattern
		if !listed[k] {
			t.Errorf("route %s is missing from GET /_fake", k)
		}
		delete(listed, k)
	}
	for k := range listed {
		t.Errorf("GET /_fake lists %s, which is no route", k)
	}
}
