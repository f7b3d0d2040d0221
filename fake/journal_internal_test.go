package fake

import (
	"context"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Filters and since work the same once the journal has wrapped around and dropped its oldest.
func TestJournalFindAfterWrapping(t *testing.T) {
	t.Parallel()
	j := &journal{}
	for i := range journalSize + 57 {
		method := "GET"
		if i%10 == 0 {
			method = "POST"
		}
		j.add(JournalEntry{Method: method})
	}
	all, last, _ := j.find(JournalFilter{})
	if len(all) != journalSize || last != journalSize+57 || all[0].Seq != 58 || all[len(all)-1].Seq != last {
		t.Fatalf("kept %d entries, seq %d..%d, last %d", len(all), all[0].Seq, all[len(all)-1].Seq, last)
	}
	for _, since := range []uint64{0, 57, 58, 5000, last - 1, last, last + 10} {
		got, _, _ := j.find(JournalFilter{Method: "POST", Since: since})
		want := 0
		for _, e := range all {
			if e.Seq > since && e.Method == "POST" {
				want++
			}
		}
		if len(got) != want {
			t.Errorf("since %d: %d entries, want %d", since, len(got), want)
		}
		for _, e := range got {
			if e.Seq <= since || e.Method != "POST" {
				t.Errorf("since %d: entry %d (%s) does not match", since, e.Seq, e.Method)
			}
		}
	}
	j.reset()
	if got, last, _ := j.find(JournalFilter{}); len(got) != 0 || last != journalSize+57 {
		t.Fatalf("after reset: %d entries, last %d", len(got), last)
	}
	j.add(JournalEntry{})
	if got, _, _ := j.find(JournalFilter{Since: journalSize + 57}); len(got) != 1 || got[0].Seq != journalSize+58 {
		t.Fatalf("after reset, the next entry: %+v", got)
	}
}

// A long poll of the journal ends, with no items, as soon as the server shuts down: it does not
// hold the shutdown up to the end of its wait.
func TestShutdownEndsJournalWaits(t *testing.T) {
	t.Parallel()
	srv := NewServer(t)
	type result struct {
		status int
		body   string
		err    error
	}
	done := make(chan result, 1)
	go func() {
		req, _ := http.NewRequest("GET", srv.URL()+"/_fake/journal?wait=60s&since=1000", nil)
		req.Header.Set("Authorization", "Bearer "+srv.AdminToken())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		done <- result{resp.StatusCode, string(b), err}
	}()
	for !srv.env.journal.waited() {
		runtime.Gosched()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second) // far beyond a shutdown that does not wait
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	r := <-done
	if r.err != nil || r.status != http.StatusOK || r.body != `{"items":[],"lastSeq":0}` {
		t.Fatalf("the long poll answered %d %q, %v", r.status, r.body, r.err)
	}
	if _, err := srv.WaitForRequest(context.Background(), JournalFilter{Since: 1000}); err == nil || !strings.Contains(err.Error(), "shutting down") {
		t.Fatalf("WaitForRequest after Shutdown: %v", err)
	}
}

// waited tells whether someone waits for the next entry.
func (j *journal) waited() bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.changed != nil
}
