package fake

import (
	"sync"
	"time"
)

// journalSize is how many requests the journal keeps; older ones are dropped.
const journalSize = 10000

// JournalEntry records one request a server of the fake served. It holds no token and no
// secret: the Authorization header and bodies are never recorded.
type JournalEntry struct {
	// Seq numbers the entries of a server from 1, in the order they were recorded; it keeps
	// growing across ResetJournal and Reset, so that "since" stays meaningful.
	Seq uint64 `json:"seq"`
	// Time is when the request was answered (or its connection dropped), on the server's clock.
	Time time.Time `json:"time"`
	// Instance is the server that received it: "hub" for the hub's URL, or an instance id.
	Instance string `json:"instance"`
	// Method is the request's method, such as "POST".
	Method string `json:"method"`
	// Path is the request's path, without the query, such as "/org-workspaces/abc".
	Path string `json:"path"`
	// Query is the request's raw query string, without the "?"; empty when it had none.
	Query string `json:"query,omitempty"`
	// OrgID is the org the request was about, when the hub knows it: the orgId of a Management
	// API request or the org of its workspace, or the org of the workspace a workspace token
	// names.
	OrgID string `json:"orgId,omitempty"`
	// Status is the response's status; 0 when the connection was dropped instead.
	Status int `json:"status"`
	// Caller is the kind of credential sent: "platform", "workspace" (a JWT), "other" (such
	// as the engine token) or "none".
	Caller string `json:"caller"`
	// IdempotencyKey is the Idempotency-Key header the request carried, if any.
	IdempotencyKey string `json:"idempotencyKey,omitempty"`
	// Attempt is the attempt number the client sent in its X-Membrane-Attempt header.
	Attempt string `json:"attempt,omitempty"`
	// RequestID is the X-Request-Id the server answered with; empty when it answered nothing.
	RequestID string `json:"requestId,omitempty"`
	// Fault is the id of the fault that fired on the request, if any.
	Fault string `json:"fault,omitempty"`
}

// journal keeps the last journalSize entries.
type journal struct {
	mu      sync.Mutex
	entries []JournalEntry // a ring once full
	next    int
	full    bool
	seq     uint64
	changed chan struct{} // closed when an entry is added; nil until someone waits
}

func (j *journal) add(e JournalEntry) {
	j.mu.Lock()
	j.seq++
	e.Seq = j.seq
	if !j.full && len(j.entries) < journalSize {
		j.entries = append(j.entries, e)
	} else {
		j.full = true
		j.entries[j.next] = e
		j.next = (j.next + 1) % journalSize
	}
	if j.changed != nil {
		close(j.changed)
		j.changed = nil
	}
	j.mu.Unlock()
}

func (j *journal) list() []JournalEntry {
	j.mu.Lock()
	defer j.mu.Unlock()
	out := make([]JournalEntry, 0, len(j.entries))
	out = append(out, j.entries[j.next:]...)
	return append(out, j.entries[:j.next]...)
}

func (j *journal) reset() {
	j.mu.Lock()
	j.entries, j.next, j.full = nil, 0, false
	j.mu.Unlock()
}

// Journal returns the requests the server and its instances served, oldest first (at most
// the last 10,000), so that a test can check how its code behaved: how many attempts, which
// idempotency keys, which statuses.
func (s *Server) Journal() []JournalEntry { return s.env.journal.list() }

// ResetJournal empties the journal.
func (s *Server) ResetJournal() { s.env.journal.reset() }
