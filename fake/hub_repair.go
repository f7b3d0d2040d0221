package fake

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// repairTimeout bounds one repair: the one made right after a failed engine call, and each pass
// of the background repairs.
const repairTimeout = 2 * time.Second

// The background repairs try again after repairFirstDelay, then wait twice as long after each
// pass that failed, up to repairMaxDelay: an instance that responds again is repaired well within
// two seconds.
const (
	repairFirstDelay = 20 * time.Millisecond
	repairMaxDelay   = 500 * time.Millisecond
)

// repairs is what the hub must put right on its instances after engine calls whose outcome it
// could not learn (the connection broke, or the response was lost): workspaces whose last update
// may have been applied, and workspaces whose create may have been. While there is any, a
// goroutine works on them in the background until they are done or the server closes.
type repairs struct {
	ctx  context.Context // ends when the server closes: the background repairs stop
	stop context.CancelFunc

	pending atomic.Int64 // how many workspaces are dirty: lets requests skip the lock when none is

	mu      sync.Mutex
	dirty   map[string]*wsEntry        // the workspaces to repair, by key
	orphans map[string]map[string]bool // instance id to the keys of workspaces to remove
	running bool                       // the background goroutine runs
}

func newRepairs() repairs {
	ctx, stop := context.WithCancel(context.Background())
	return repairs{ctx: ctx, stop: stop, dirty: make(map[string]*wsEntry), orphans: make(map[string]map[string]bool)}
}

// outcomeUnknown tells whether a failed engine call may still have done its work: only an
// response from the instance proves it did not (it applies a change whole or not at all). A
// version conflict means the hub's idea of the instance is stale.
func outcomeUnknown(err *apiError) bool {
	return err.upstream == 0 || err.upstream == http.StatusConflict
}

// afterFailedUpdate marks the workspace for repair when the update may have reached the
// instance, and tries the repair at once; the background repairs go on if it fails. Called with
// e's gate held.
func (h *hub) afterFailedUpdate(ctx context.Context, o *org, e *wsEntry, err *apiError) {
	if !outcomeUnknown(err) {
		return
	}
	e.dirty = true
	key := current(o, e).key
	h.repairs.mu.Lock()
	if h.repairs.dirty[key] == nil {
		h.repairs.dirty[key] = e
		h.repairs.pending.Add(1)
	}
	h.repairs.mu.Unlock()
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), repairTimeout)
	defer cancel()
	if h.repairIfDirty(rctx, o, e) != nil {
		h.repairInBackground()
	}
}

// repairIfDirty makes the instance hold the hub's current version of a workspace marked dirty:
// every instance-level field, the secret with its grace, and the archive time, set to the hub's
// values. Called with e's gate held.
//
// The first part of the repair is sent without ifVersion: whatever the instance holds is
// replaced, and its version moves past every version the hub ever sent an update for, so that
// an update still on its way is refused when it arrives. A state too large for one engine
// request is sent in parts (see repairParts), each part expecting the version the one before
// it made.
func (h *hub) repairIfDirty(ctx context.Context, o *org, e *wsEntry) *apiError {
	if !e.dirty {
		return nil
	}
	cur := current(o, e)
	h.mu.RLock()
	held := h.byWS[cur.id] == e
	h.mu.RUnlock()
	if !held { // the hub no longer holds the workspace (its state was replaced): nothing to repair
		h.markRepaired(e, cur.key)
		return nil
	}
	version, err := h.sendState(ctx, h.instance(cur.instanceID), cur)
	if err != nil {
		return err
	}
	fixed := *cur
	fixed.version = version
	o.mu.Lock()
	e.cur = &fixed
	o.mu.Unlock()
	h.markRepaired(e, cur.key)
	return nil
}

// sendState makes the instance ref hold w's whole instance-level state, in parts that each fit
// an engine request (see repairParts), and returns the workspace's version there.
func (h *hub) sendState(ctx context.Context, ref *instanceRef, w *orgWorkspace) (uint64, *apiError) {
	path := "/workspaces/" + url.PathEscape(w.key)
	parts, encErr := repairParts(w, maxEngineBodyBytes-1<<10)
	if encErr != nil {
		return 0, errInternal("could not encode the state of workspace %q", w.key)
	}
	var version uint64
	for i, part := range parts {
		if i > 0 {
			part["ifVersion"] = json.RawMessage(strconv.FormatUint(version, 10))
		}
		b, err := h.engine(ctx, ref, http.MethodPatch, path, part)
		if err != nil {
			return 0, err
		}
		version = b.version
	}
	return version, nil
}

// markRepaired takes the workspace off the list of repairs. Called with e's gate held.
func (h *hub) markRepaired(e *wsEntry, key string) {
	e.dirty = false
	h.repairs.mu.Lock()
	if h.repairs.dirty[key] == e {
		delete(h.repairs.dirty, key)
		h.repairs.pending.Add(-1)
	}
	h.repairs.mu.Unlock()
}

// repairParts is the whole instance-level state of w as engine updates of at most budget bytes
// each (the engine API's body limit, less room for braces and ifVersion). Every value comes
// from one public request (or from the hub itself), so each fits alone; values are packed
// into as few parts as fit.
func repairParts(w *orgWorkspace, budget int) ([]map[string]json.RawMessage, error) {
	state := w.cfg.engineFields()
	for k, v := range w.secretFields() {
		state[k] = v
	}
	state["archivedAt"] = nil
	if w.archivedAt != nil {
		state["archivedAt"] = formatTime(*w.archivedAt)
	}
	var parts []map[string]json.RawMessage
	var part map[string]json.RawMessage
	size := 0
	// The secret fields travel together: the instance reads the grace with the secret.
	for _, group := range repairGroups(state) {
		enc := make(map[string]json.RawMessage, len(group))
		n := 0
		for _, k := range group {
			b, err := encodeJSON(state[k])
			if err != nil {
				return nil, err
			}
			enc[k] = b
			n += len(k) + len(b) + 4
		}
		if part == nil || size+n > budget {
			part, size = make(map[string]json.RawMessage, len(state)), 0
			parts = append(parts, part)
		}
		for k, b := range enc {
			part[k] = b
		}
		size += n
	}
	return parts, nil
}

// repairGroups lists the fields of state in a fixed order, in groups that must share a part.
func repairGroups(state map[string]any) [][]string {
	groups := [][]string{{"secret", "previousSecret", "previousSecretUntil"}, {"archivedAt"}}
	for _, k := range configFields {
		if _, ok := state[k]; ok {
			groups = append(groups, []string{k})
		}
	}
	return groups
}

// afterFailedCreate records a workspace whose create may have reached the instance, so that it
// is removed there, and tries at once; the background repairs go on if it fails.
func (h *hub) afterFailedCreate(ctx context.Context, ref *instanceRef, key string, err *apiError) {
	if ref == nil || !outcomeUnknown(err) {
		return
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), repairTimeout)
	defer cancel()
	_ = h.removeWorkspace(rctx, ref, key)
}

// removeWorkspace removes the workspace of key from the instance ref, as an orphan: the key is
// kept until the instance has removed it, so that the background repairs remove it once the
// instance answers again when it cannot now.
func (h *hub) removeWorkspace(ctx context.Context, ref *instanceRef, key string) error {
	h.repairs.mu.Lock()
	if h.repairs.orphans[ref.id] == nil {
		h.repairs.orphans[ref.id] = make(map[string]bool)
	}
	h.repairs.orphans[ref.id][key] = true
	h.repairs.mu.Unlock()
	err := h.removeOrphans(ctx, ref)
	if err != nil {
		h.repairInBackground()
	}
	return err
}

// removeOrphans removes from the instance the workspaces whose create the hub gave up on. The
// instance remembers a removed key, so a create of it that arrives later is refused.
func (h *hub) removeOrphans(ctx context.Context, ref *instanceRef) error {
	h.repairs.mu.Lock()
	keys := make([]string, 0, len(h.repairs.orphans[ref.id]))
	for k := range h.repairs.orphans[ref.id] {
		keys = append(keys, k)
	}
	h.repairs.mu.Unlock()
	var errs []error
	for _, key := range keys {
		_, err := h.engine(ctx, ref, http.MethodDelete, "/workspaces/"+url.PathEscape(key), nil)
		if err != nil && err.upstream != http.StatusNotFound {
			errs = append(errs, err)
			continue
		}
		h.repairs.mu.Lock()
		delete(h.repairs.orphans[ref.id], key)
		if len(h.repairs.orphans[ref.id]) == 0 {
			delete(h.repairs.orphans, ref.id)
		}
		h.repairs.mu.Unlock()
	}
	return errors.Join(errs...)
}

// repairKey repairs the workspace of key first when it is dirty: workspace-token traffic for a
// workspace reaches its instance only once the instance holds the hub's version of it.
func (h *hub) repairKey(ctx context.Context, key string) *apiError {
	if h.repairs.pending.Load() == 0 || key == "" {
		return nil
	}
	h.repairs.mu.Lock()
	e := h.repairs.dirty[key]
	h.repairs.mu.Unlock()
	if e == nil {
		return nil
	}
	rctx, cancel := context.WithTimeout(ctx, repairTimeout)
	defer cancel()
	if err := e.enter(rctx); err != nil {
		return err
	}
	defer e.leave()
	return h.repairIfDirty(rctx, e.org, e)
}

// repairInBackground starts the background repairs unless they run already (or the server is
// closed). They go on, with backoff, until nothing is left to repair.
func (h *hub) repairInBackground() {
	r := &h.repairs
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.running || r.ctx.Err() != nil {
		return
	}
	r.running = true
	go h.repairLoop()
}

func (h *hub) repairLoop() {
	r := &h.repairs
	delay := repairFirstDelay
	t := time.NewTimer(delay)
	defer t.Stop()
	for {
		select {
		case <-r.ctx.Done():
			r.mu.Lock()
			r.running = false
			r.mu.Unlock()
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(r.ctx, repairTimeout)
		err := h.settle(ctx)
		cancel()
		r.mu.Lock()
		if len(r.dirty) == 0 && len(r.orphans) == 0 {
			r.running = false
			r.mu.Unlock()
			return
		}
		r.mu.Unlock()
		if err != nil {
			delay = min(2*delay, repairMaxDelay)
		}
		t.Reset(delay)
	}
}

// settle puts right at once what the background repairs would: see Server.Settle.
func (h *hub) settle(ctx context.Context) error {
	var errs []error
	h.mu.RLock()
	refs := make([]*instanceRef, 0, len(h.instances))
	for _, ref := range h.instances {
		refs = append(refs, ref)
	}
	h.mu.RUnlock()
	for _, ref := range refs {
		if err := h.removeOrphans(ctx, ref); err != nil {
			errs = append(errs, err)
		}
	}
	h.repairs.mu.Lock()
	dirty := make([]*wsEntry, 0, len(h.repairs.dirty))
	for _, e := range h.repairs.dirty {
		dirty = append(dirty, e)
	}
	h.repairs.mu.Unlock()
	for _, e := range dirty {
		if err := e.enter(ctx); err != nil {
			errs = append(errs, err)
			continue
		}
		if err := h.repairIfDirty(ctx, e.org, e); err != nil {
			errs = append(errs, err)
		}
		e.leave()
	}
	return errors.Join(errs...)
}
