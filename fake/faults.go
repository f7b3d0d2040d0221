package fake

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Fault makes matching requests misbehave: respond with an error, wait, drop the connection, or do the
// work and drop the response. Add one with Faults().Add. Every match field that is set must match.
type Fault struct {
	// ID is assigned by Add.
	ID string `json:"id,omitempty"`

	// Method matches the request's method, in any case ("" matches every method).
	Method string `json:"method,omitempty"`
	// Path is a path.Match pattern over the request's path, such as
	// "/org-workspaces/*/rotate-secret" ("" matches every path); it starts with "/".
	Path string `json:"path,omitempty"`
	// Instance matches the server that receives the request: "hub" for everything served at the
	// hub's URL, or an instance id (the engine calls the hub makes to it included). Add refuses
	// an id the server does not have.
	Instance string `json:"instance,omitempty"`
	// Org matches requests at the hub about that org, the org the journal records for them:
	// its orgId, a workspace of it in the path, the caller's only org for a list without orgId,
	// or the workspace a workspace token names.
	Org string `json:"org,omitempty"`

	// Times is how often the fault fires before it is spent (0: on every match).
	Times int `json:"times,omitempty"`
	// Probability is the chance that a match fires (0 means 1). Draws use the server's random
	// source, so WithSeed makes them repeat.
	Probability float64 `json:"probability,omitempty"`

	// Status responds with this status and an error body instead of serving the request.
	Status int `json:"status,omitempty"`
	// RetryAfter, when set with Status, adds a Retry-After header of that many seconds (at most
	// 86400, a day); without it the response has none.
	RetryAfter int `json:"retryAfter,omitempty"`
	// Message replaces the message of the error body Status answers with.
	Message string `json:"message,omitempty"`
	// Latency waits this long before going on (or until the request's context ends).
	Latency time.Duration `json:"-"`
	// Reset drops the connection before serving the request: nothing happens.
	Reset bool `json:"reset,omitempty"`
	// DropAnswer serves the request, so its change is made, then drops the connection instead of
	// responding: the client cannot tell whether it happened.
	DropAnswer bool `json:"dropAnswer,omitempty"`

	// Fired counts how often the fault fired.
	Fired int `json:"fired"`
}

// faultJSON is Fault on the wire, with Latency as a duration string such as "250ms".
type faultJSON struct {
	faultFields
	Latency string `json:"latency,omitempty"`
}

type faultFields Fault

// MarshalJSON writes Latency as a duration string.
func (f Fault) MarshalJSON() ([]byte, error) {
	j := faultJSON{faultFields: faultFields(f)}
	if f.Latency > 0 {
		j.Latency = f.Latency.String()
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads Latency as a duration string ("250ms") or a number of milliseconds. A
// field Fault does not have, or anything after the object, is an error: a misspelt field would
// otherwise make a fault that matches every request.
func (f *Fault) UnmarshalJSON(b []byte) error {
	var j struct {
		faultFields
		Latency json.RawMessage `json:"latency,omitempty"`
	}
	if err := decodeStrict(b, &j); err != nil {
		if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
			te.Field = strings.TrimPrefix(te.Field, "faultFields.") // the embedded struct is no field on the wire
		}
		return err
	}
	*f = Fault(j.faultFields)
	if len(j.Latency) == 0 || string(j.Latency) == "null" {
		return nil
	}
	var s string
	if json.Unmarshal(j.Latency, &s) == nil {
		d, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("latency: %w", err)
		}
		f.Latency = d
		return nil
	}
	var ms float64
	if err := json.Unmarshal(j.Latency, &ms); err != nil {
		return errors.New(`latency: want a duration such as "250ms" or a number of milliseconds`)
	}
	f.Latency = time.Duration(ms * float64(time.Millisecond))
	return nil
}

// maxRetryAfter is the longest Retry-After a fault may ask for, in seconds: a day.
const maxRetryAfter = 24 * 60 * 60

func (f *Fault) check() error {
	actions := 0
	for _, set := range []bool{f.Status != 0, f.Reset, f.DropAnswer} {
		if set {
			actions++
		}
	}
	switch {
	case actions > 1:
		return errors.New("give at most one of status, reset and dropAnswer")
	case actions == 0 && f.Latency <= 0:
		return errors.New("give status, latency, reset or dropAnswer")
	case f.Status != 0 && (f.Status < 400 || f.Status > 599):
		return fmt.Errorf("status %d: want a 4xx or 5xx status", f.Status)
	case f.Times < 0:
		return errors.New("times must not be negative")
	case f.Probability < 0 || f.Probability > 1:
		return errors.New("probability must be between 0 and 1")
	case f.Latency < 0 || f.Latency > 10*time.Minute:
		return errors.New("latency must be between 0 and 10m")
	case f.RetryAfter < 0 || f.RetryAfter > maxRetryAfter:
		return fmt.Errorf("retryAfter %d: want seconds from 0 to %d (24h)", f.RetryAfter, maxRetryAfter)
	}
	if f.Path != "" {
		if _, err := path.Match(f.Path, "/"); err != nil {
			return fmt.Errorf("path %q: %w", f.Path, err)
		}
		if !strings.HasPrefix(f.Path, "/") {
			return fmt.Errorf("path %q: a request's path starts with /, so this pattern would never match", f.Path)
		}
	}
	return nil
}

// Faults holds a server's faults. It is safe for concurrent use.
type Faults struct {
	ids     *idSource    // draws for Probability
	active  atomic.Int32 // how many faults are held: 0 lets requests skip the lock
	withOrg atomic.Int32 // how many of them name an org
	servers []string     // what Instance may name: "hub" and the instance ids; set before use

	mu     sync.Mutex
	faults []*Fault
	seq    int
}

// Faults returns the server's faults, to add, list and remove.
func (s *Server) Faults() *Faults { return s.env.faults }

// Add adds f and returns its id. A fault that makes no sense is an error, and nothing is added.
func (fs *Faults) Add(f Fault) (string, error) {
	f.Method = strings.ToUpper(f.Method) // methods match in any case, as in the journal's filter
	if err := f.check(); err != nil {
		return "", fmt.Errorf("fake: fault: %w", err)
	}
	if f.Instance != "" && fs.servers != nil && !slices.Contains(fs.servers, f.Instance) {
		return "", fmt.Errorf("fake: fault: instance %q: no such instance (%s), so the fault would never fire",
			f.Instance, strings.Join(fs.servers, ", "))
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.seq++
	f.ID, f.Fired = "fault-"+strconv.Itoa(fs.seq), 0
	fs.faults = append(fs.faults, &f)
	fs.count()
	return f.ID, nil
}

// List returns a copy of the faults, in the order they were added, with their counts.
func (fs *Faults) List() []Fault {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	out := make([]Fault, len(fs.faults))
	for i, f := range fs.faults {
		out[i] = *f
	}
	return out
}

// Remove removes the fault with that id and reports whether there was one.
func (fs *Faults) Remove(id string) bool {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	i := slices.IndexFunc(fs.faults, func(f *Fault) bool { return f.ID == id })
	if i < 0 {
		return false
	}
	fs.faults = slices.Delete(fs.faults, i, i+1)
	fs.count()
	return true
}

// Clear removes every fault.
func (fs *Faults) Clear() {
	fs.mu.Lock()
	fs.faults = nil
	fs.count()
	fs.mu.Unlock()
}

// count updates the counters that let requests skip work. Called with mu held.
func (fs *Faults) count() {
	n := 0
	for _, f := range fs.faults {
		if f.Org != "" {
			n++
		}
	}
	fs.active.Store(int32(len(fs.faults)))
	fs.withOrg.Store(int32(n))
}

// match returns a copy of the first fault that fires for the request, counting the firing, or
// nil. org is consulted only when a fault names one, and before the lock is taken: finding the
// org may read the request's body.
func (fs *Faults) match(r *http.Request, server string, org func() string) *Fault {
	if fs.active.Load() == 0 {
		return nil
	}
	reqOrg := ""
	if fs.withOrg.Load() > 0 && org != nil {
		reqOrg = org()
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for _, f := range fs.faults {
		if (f.Times > 0 && f.Fired >= f.Times) ||
			(f.Method != "" && f.Method != r.Method) ||
			(f.Instance != "" && f.Instance != server) {
			continue
		}
		if f.Path != "" {
			if ok, _ := path.Match(f.Path, r.URL.Path); !ok {
				continue
			}
		}
		if f.Org != "" && reqOrg != f.Org {
			continue
		}
		if f.Probability > 0 && f.Probability < 1 && fs.draw() >= f.Probability {
			continue
		}
		f.Fired++
		fired := *f
		return &fired
	}
	return nil
}

// draw returns a number in [0, 1) from the server's random source.
func (fs *Faults) draw() float64 {
	var b [8]byte
	fs.ids.read(b[:])
	return float64(binary.LittleEndian.Uint64(b[:])>>11) / (1 << 53)
}
