package fake

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"
)

// JournalFilter picks journal entries. Every field that is set must match.
type JournalFilter struct {
	// Method matches the request's method ("" matches every method).
	Method string
	// Path is a path.Match pattern over the request's path, such as "/customers/*"
	// ("" matches every path).
	Path string
	// OrgID matches entries about that org (see JournalEntry.OrgID).
	OrgID string
	// Status matches the response's status: an exact status such as 404, or a class from 1 to 5
	// (4 matches every 4xx). 0 matches every status.
	Status int
	// Since keeps only the entries recorded after the one with this sequence number.
	Since uint64
}

// check reports what is wrong with the filter.
func (f JournalFilter) check() error {
	if f.Path != "" {
		if _, err := path.Match(f.Path, ""); err != nil {
			return fmt.Errorf("path %q is not a valid pattern: %v", f.Path, err)
		}
	}
	if f.Status < 0 || (f.Status > 5 && (f.Status < 100 || f.Status > 599)) {
		return fmt.Errorf("status %d: use a status from 100 to 599, or a class from 1 to 5", f.Status)
	}
	return nil
}

func (f JournalFilter) matches(e *JournalEntry) bool {
	if e.Seq <= f.Since {
		return false
	}
	if f.Method != "" && !strings.EqualFold(f.Method, e.Method) {
		return false
	}
	if f.Path != "" {
		if ok, _ := path.Match(f.Path, e.Path); !ok {
			return false
		}
	}
	if f.OrgID != "" && f.OrgID != e.OrgID {
		return false
	}
	switch {
	case f.Status == 0:
	case f.Status <= 5:
		if e.Status/100 != f.Status {
			return false
		}
	case f.Status != e.Status:
		return false
	}
	return true
}

// find returns the entries that match f, oldest first, the sequence number of the last entry
// recorded, and a channel that is closed when the next entry is added.
func (j *journal) find(f JournalFilter) (found []JournalEntry, last uint64, next <-chan struct{}) {
	j.mu.Lock()
	defer j.mu.Unlock()
	// Entries are numbered without gaps, oldest first from j.next: skip those up to f.Since
	// without reading them.
	n := len(j.entries)
	oldest := j.seq - uint64(n) + 1
	skip := 0
	if f.Since >= oldest {
		skip = int(min(f.Since-oldest+1, uint64(n)))
	}
	for k := skip; k < n; k++ {
		e := &j.entries[(j.next+k)%n]
		if f.matches(e) {
			found = append(found, *e)
		}
	}
	if j.changed == nil {
		j.changed = make(chan struct{})
	}
	return found, j.seq, j.changed
}

// JournalMatching returns the journal entries that match f, oldest first. A filter with a
// malformed path pattern or status is an error.
func (s *Server) JournalMatching(f JournalFilter) ([]JournalEntry, error) {
	if err := f.check(); err != nil {
		return nil, fmt.Errorf("fake: journal filter: %w", err)
	}
	found, _, _ := s.env.journal.find(f)
	return found, nil
}

// WaitForRequest blocks until the journal holds an entry that matches f, and returns the first
// such entry (the oldest one after f.Since): a test waits for its code's request instead of
// sleeping. It returns at once when a matching entry is already there. When ctx ends first, the
// error wraps ctx.Err(); when the server shuts down or closes first, it says so.
func (s *Server) WaitForRequest(ctx context.Context, f JournalFilter) (JournalEntry, error) {
	if err := f.check(); err != nil {
		return JournalEntry{}, fmt.Errorf("fake: journal filter: %w", err)
	}
	found, _, err := s.waitJournal(ctx, f)
	if err != nil {
		return JournalEntry{}, fmt.Errorf("fake: waiting for %s: %w", describeFilter(f), err)
	}
	return found[0], nil
}

// errShuttingDown ends a wait on the journal when the server shuts down or closes.
var errShuttingDown = errors.New("the server is shutting down")

// waitJournal waits until some entry matches f and returns every match, with the journal's
// last sequence number; or ctx.Err() when ctx ends first, or errShuttingDown when the server
// shuts down.
func (s *Server) waitJournal(ctx context.Context, f JournalFilter) ([]JournalEntry, uint64, error) {
	for {
		found, last, next := s.env.journal.find(f)
		if len(found) > 0 {
			return found, last, nil
		}
		// Entries after last are the only new candidates: skip the old ones next time.
		f.Since = max(f.Since, last)
		select {
		case <-next:
		case <-ctx.Done():
			return nil, last, ctx.Err()
		case <-s.waitsEnd:
			return nil, last, errShuttingDown
		}
	}
}

func describeFilter(f JournalFilter) string {
	var parts []string
	add := func(name, v string) {
		if v != "" {
			parts = append(parts, name+"="+v)
		}
	}
	add("method", f.Method)
	add("path", f.Path)
	add("orgId", f.OrgID)
	if f.Status != 0 {
		add("status", strconv.Itoa(f.Status))
	}
	if f.Since != 0 {
		add("since", strconv.FormatUint(f.Since, 10))
	}
	if len(parts) == 0 {
		return "any request"
	}
	return "a request with " + strings.Join(parts, " ")
}

// maxJournalWait is the longest wait GET /_fake/journal accepts.
const maxJournalWait = 60 * time.Second

// journalQuery reads the filter and the wait of GET /_fake/journal. Unknown parameters, and a
// parameter given twice, are refused.
func journalQuery(q url.Values) (JournalFilter, time.Duration, *apiError) {
	var f JournalFilter
	var wait time.Duration
	problems := map[string]string{}
	for name, vs := range q {
		if len(vs) != 1 {
			problems[name] = "is given more than once"
			continue
		}
		v := vs[0]
		switch name {
		case "method":
			f.Method = strings.ToUpper(v)
		case "path":
			f.Path = v
		case "orgId":
			f.OrgID = v
		case "status":
			n, ok := parseStatusFilter(v)
			if !ok {
				problems[name] = "must be a status such as 404, or a class such as 4xx"
			}
			f.Status = n
		case "since":
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				problems[name] = "must be the seq of a journal entry (a whole number)"
			}
			f.Since = n
		case "wait":
			d, err := time.ParseDuration(v)
			if err != nil || d < 0 || d > maxJournalWait {
				problems[name] = "must be a duration from 0s to 60s, such as 5s"
			}
			wait = d
		default:
			problems[name] = "is not a parameter of this endpoint (method, path, orgId, status, since, wait)"
		}
	}
	if f.Path != "" {
		if _, err := path.Match(f.Path, ""); err != nil {
			problems["path"] = "is not a valid path.Match pattern"
		}
	}
	if len(problems) > 0 {
		return f, 0, errFields(problems)
	}
	return f, wait, nil
}

// parseStatusFilter reads "404" as 404 and "4xx" as the class 4.
func parseStatusFilter(v string) (int, bool) {
	if len(v) == 3 && v[1] == 'x' && v[2] == 'x' && v[0] >= '1' && v[0] <= '5' {
		return int(v[0] - '0'), true
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 100 || n > 599 || len(v) != 3 {
		return 0, false
	}
	return n, true
}

// journalPage is the response of GET /_fake/journal: the matching entries, oldest first, and the
// seq of the last entry recorded, to pass as since on the next call.
type journalPage struct {
	Items   []JournalEntry `json:"items"`
	LastSeq uint64         `json:"lastSeq"`
}

// serveJournal serves GET /_fake/journal. With wait, it responds as soon as an entry matches,
// or with no items when the wait ends or the server shuts down.
func (s *Server) serveJournal(x *request) (any, *apiError) {
	f, wait, aerr := journalQuery(x.r.URL.Query())
	if aerr != nil {
		return nil, aerr
	}
	if wait <= 0 {
		found, last, _ := s.env.journal.find(f)
		return journalPage{Items: nonNil(found), LastSeq: last}, nil
	}
	ctx, cancel := context.WithTimeout(x.r.Context(), wait)
	defer cancel()
	found, last, err := s.waitJournal(ctx, f)
	if err != nil && x.r.Context().Err() != nil {
		return nil, &apiError{status: 499, Type: typeBadRequest, Message: "the client went away"}
	}
	return journalPage{Items: nonNil(found), LastSeq: last}, nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
