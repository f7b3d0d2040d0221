package fake

import (
	"context"
	"fmt"
	"net/http"
)

// removeRemote removes a workspace from an instance of another process; when it cannot now, the
// background repairs remove it once the instance answers again (see removeWorkspace).
func (h *hub) removeRemote(ctx context.Context, instID, key string) error {
	ref := h.instance(instID)
	if ref == nil {
		return nil
	}
	if err := h.removeWorkspace(ctx, ref, key); err != nil {
		return fmt.Errorf("instance %q: removing workspace %q: %w", instID, key, err)
	}
	return nil
}

// putRemote makes an instance of another process hold the hub's version of a workspace the hub
// already records in o: every field is set as a repair sets it (created first when the instance
// lacks it), and the hub takes the instance's new version.
func (h *hub) putRemote(ctx context.Context, o *org, bw *builtWorkspace) error {
	w := bw.hub
	version, aerr := h.sendState(ctx, bw.ref, w)
	if aerr != nil && aerr.upstream == http.StatusNotFound {
		create := engineCreate{Key: w.key, Secret: w.secret, Name: w.name}
		if _, aerr = h.engine(ctx, bw.ref, http.MethodPost, "/workspaces", create); aerr == nil {
			version, aerr = h.sendState(ctx, bw.ref, w)
		}
	}
	if aerr != nil {
		return fmt.Errorf("instance %q: setting workspace %q: %s", bw.ref.id, w.id, aerr.Message)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, e := range o.order {
		if e.cur == w {
			next := *w
			next.version = version
			e.cur = &next
		}
	}
	return nil
}
