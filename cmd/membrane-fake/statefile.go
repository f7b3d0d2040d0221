package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// saveDelay is how long the state file waits after a change before it saves, so that a burst
// of requests makes one write. A change is on disk at most about this long after it was made.
const saveDelay = 200 * time.Millisecond

// stateFile keeps a process's state in a file: read at start, saved atomically (write a
// temporary file beside it, fsync, rename, fsync the directory) soon after each change and on
// shutdown. A kill -9 loses at most the changes of the last moment; it never leaves a torn file.
type stateFile struct {
	path     string
	snapshot func(context.Context) ([]byte, error) // the state as JSON
	logger   *slog.Logger
	// beforeRename runs after the temporary file is written and synced, before it replaces the
	// state file: tests make the process die there.
	beforeRename func(tmp string) error

	dirty chan struct{} // holds one token while a save is due

	mu   sync.Mutex // one save at a time
	last []byte     // what the file holds
}

func newStateFile(path string, logger *slog.Logger, hooks hooks) *stateFile {
	return &stateFile{path: path, logger: logger, beforeRename: hooks.beforeRename, dirty: make(chan struct{}, 1)}
}

// read returns the file's content, or nil when there is no file yet. Any other problem (a
// directory, no permission) is an error: the file is never replaced by a fresh state then.
// Temporary files that a killed process left beside it are removed.
func (f *stateFile) read() ([]byte, error) {
	f.removeLeftovers()
	b, err := os.ReadFile(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		// No file yet: its directory must be there to save it in.
		if info, err := os.Stat(filepath.Dir(f.path)); err != nil || !info.IsDir() {
			return nil, fmt.Errorf("--state-file %s: its directory does not exist", f.path)
		}
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("--state-file: %w", err)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, fmt.Errorf("--state-file %s: the file is empty; remove it to start afresh", f.path)
	}
	f.last = b
	return b, nil
}

// tmpPrefix names the temporary files of a save: hidden, beside the state file.
func (f *stateFile) tmpPrefix() string { return "." + filepath.Base(f.path) + ".tmp-" }

func (f *stateFile) removeLeftovers() {
	dir := filepath.Dir(f.path)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), f.tmpPrefix()) {
			_ = os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

// changed marks the state dirty. It never blocks.
func (f *stateFile) changed() {
	select {
	case f.dirty <- struct{}{}:
	default:
	}
}

// run saves the state after each change until ctx ends.
func (f *stateFile) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-f.dirty:
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(saveDelay):
		}
		if err := f.save(ctx); err != nil {
			f.logger.Error("saving the state file", "path", f.path, "error", err)
		}
	}
}

// save writes the state when it differs from what the file holds.
func (f *stateFile) save(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, err := f.snapshot(ctx)
	if err != nil {
		return err
	}
	if bytes.Equal(b, f.last) {
		return nil
	}
	if err := f.write(b); err != nil {
		return err
	}
	f.last = b
	return nil
}

// write replaces the file with b atomically: readers see the old content or the new one whole.
func (f *stateFile) write(b []byte) error {
	dir := filepath.Dir(f.path)
	tmp, err := os.CreateTemp(dir, f.tmpPrefix()+"*")
	if err != nil {
		return err
	}
	name := tmp.Name()
	fail := func(err error) error {
		tmp.Close()
		_ = os.Remove(name)
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		return fail(err)
	}
	if err := tmp.Chmod(0o600); err != nil { // it holds tokens and secrets
		return fail(err)
	}
	if err := tmp.Sync(); err != nil {
		return fail(err)
	}
	if err := tmp.Close(); err != nil {
		return fail(err)
	}
	if f.beforeRename != nil {
		if err := f.beforeRename(name); err != nil {
			return err
		}
	}
	if err := os.Rename(name, f.path); err != nil {
		_ = os.Remove(name)
		return err
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // the rename itself is durable once the directory is
		d.Close()
	}
	return nil
}

// marshalState is the JSON of a state file: indented, so that a person can read and edit it.
func marshalState(v any) ([]byte, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// hooks are what tests change in a run.
type hooks struct {
	beforeRename func(tmp string) error
}
