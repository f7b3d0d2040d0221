//go:build linux

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"sync"
	"syscall"
	"time"
)

// child is a server process and the URL it announced.
type child struct {
	name string
	cmd  *exec.Cmd
	url  string
	line []byte
	// startup is the time from spawning to the first 200 of GET / at url.
	startup time.Duration
}

// children are the processes loadtest started; killAll ends those still running.
type children struct {
	mu   sync.Mutex
	list []*child
}

func (cs *children) add(c *child) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cs.list = append(cs.list, c)
}

func (cs *children) stop(c *child) {
	_ = c.cmd.Process.Kill()
	_ = c.cmd.Wait()
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cs.list = slices.DeleteFunc(cs.list, func(x *child) bool { return x == c })
}

func (cs *children) killAll() {
	cs.mu.Lock()
	list := slices.Clone(cs.list)
	cs.mu.Unlock()
	for _, c := range list {
		cs.stop(c)
	}
}

// spawn starts a server process, reads the JSON line it prints, and waits for the first 200
// of GET / at the URL in it (the field urlField of the line).
func (cs *children) spawn(ctx context.Context, name, bin string, args []string, urlField string) (*child, error) {
	cmd := exec.Command(bin, args...)
	cmd.Stderr = os.Stderr
	// The child dies with loadtest, even when loadtest is killed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	begin := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	c := &child{name: name, cmd: cmd}
	cs.add(c)
	lines := make(chan []byte, 1)
	go func() {
		r := bufio.NewReader(stdout)
		b, _ := r.ReadBytes('\n')
		lines <- b
		_, _ = io.Copy(io.Discard, r)
	}()
	select {
	case c.line = <-lines:
	case <-time.After(30 * time.Second):
		cs.stop(c)
		return nil, fmt.Errorf("%s printed no line in 30s", name)
	case <-ctx.Done():
		cs.stop(c)
		return nil, ctx.Err()
	}
	var fields map[string]any
	if err := json.Unmarshal(c.line, &fields); err != nil {
		cs.stop(c)
		return nil, fmt.Errorf("%s: first line %q: %w", name, c.line, err)
	}
	c.url, _ = fields[urlField].(string)
	if c.url == "" {
		cs.stop(c)
		return nil, fmt.Errorf("%s: first line %q has no %s", name, c.line, urlField)
	}
	if err := waitOK(ctx, c.url+"/"); err != nil {
		cs.stop(c)
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	c.startup = time.Since(begin)
	return c, nil
}

// waitOK polls url with GET, over a new connection each time, until it answers 200.
func waitOK(ctx context.Context, url string) error {
	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	deadline := time.Now().Add(10 * time.Second)
	for wait := 100 * time.Microsecond; ; wait = min(2*wait, 20*time.Millisecond) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("GET %s: %s", url, resp.Status)
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("not ready: %w", err)
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
		}
	}
}
