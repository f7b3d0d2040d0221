// Package bare is the reference the fake's speed is measured against: the least a stateful
// JSON API can do per request. A handler decodes a small JSON body, keeps it in a map behind a
// mutex, and answers about 300 bytes of JSON. Benchmarks of the fake report their figures as a
// ratio to this handler measured in the same run.
package bare

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// Handler is the reference handler: POST stores an item, GET /items/{id} reads one back.
type Handler struct {
	mu    sync.Mutex
	items map[string]item
	seq   int
}

type item struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	OrgID     string `json:"orgId"`
	Key       string `json:"key"`
	Secret    string `json:"secret"`
	CreatedAt string `json:"createdAt"`
	UpdatedAt string `json:"updatedAt"`
	Type      string `json:"type"`
	BaseURI   string `json:"apiBaseUri"`
}

// New returns an empty reference handler.
func New() *Handler { return &Handler{items: make(map[string]item)} }

// ServeHTTP answers POST /items (create) and GET /items/{id} (read).
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodPost:
		var in struct {
			Name  string `json:"name"`
			OrgID string `json:"orgId"`
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			http.Error(w, `{"message":"bad json"}`, http.StatusBadRequest)
			return
		}
		h.mu.Lock()
		h.seq++
		it := item{ID: strconv.Itoa(h.seq), Name: in.Name, OrgID: in.OrgID, Key: "6f1c2f9e-8a3b-4c5d-9e7f-0a1b2c3d4e5f",
			Secret: "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA", CreatedAt: "2026-01-02T03:04:05.000Z",
			UpdatedAt: "2026-01-02T03:04:05.000Z", Type: "production", BaseURI: "http://127.0.0.1:1"}
		h.items[it.ID] = it
		h.mu.Unlock()
		writeJSON(w, it)
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/items/"):
		h.mu.Lock()
		it, ok := h.items[strings.TrimPrefix(r.URL.Path, "/items/")]
		h.mu.Unlock()
		if !ok {
			http.Error(w, `{"message":"not found"}`, http.StatusNotFound)
			return
		}
		writeJSON(w, it)
	default:
		http.Error(w, `{"message":"no route"}`, http.StatusNotFound)
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}
