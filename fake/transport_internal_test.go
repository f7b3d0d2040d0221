package fake

import (
	"bytes"
	"context"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// A handler that panics must not crash the process: in process as over a socket, the client
// sees a dropped connection, and the panic is logged with its stack (unless it is
// http.ErrAbortHandler, which drops the connection silently).
func TestTransportRecoversHandlerPanic(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		value   any
		wantLog bool
	}{
		{"string panic", "boom in the fake", true},
		{"error panic", http.ErrBodyNotAllowed, true},
		{"abort handler", http.ErrAbortHandler, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic(tc.value) })

			var logs bytes.Buffer
			tr := newTransport()
			tr.logger = slog.New(slog.NewJSONHandler(&logs, nil))
			tr.set("panic.test", h)
			req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, "http://panic.test/v1/x", nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := (&http.Client{Transport: tr}).Do(req)
			if err == nil {
				resp.Body.Close()
				t.Fatalf("in process: got status %d, want a connection error", resp.StatusCode)
			}
			if tc.wantLog {
				out := logs.String()
				for _, want := range []string{`"msg":"handler panic"`, `"path":"/v1/x"`, `"stack":"goroutine`} {
					if !strings.Contains(out, want) {
						t.Errorf("log %q lacks %s", out, want)
					}
				}
			} else if logs.Len() != 0 {
				t.Errorf("http.ErrAbortHandler was logged: %s", logs.String())
			}
			// The transport still serves the next request.
			tr.set("ok.test", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
			req2, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, "http://ok.test/", nil)
			resp2, err := (&http.Client{Transport: tr}).Do(req2)
			if err != nil {
				t.Fatalf("after a panic: %v", err)
			}
			resp2.Body.Close()
			if resp2.StatusCode != http.StatusNoContent {
				t.Errorf("after a panic: status %d, want 204", resp2.StatusCode)
			}

			// Over a socket the same handler gives the same outcome: an error, no response.
			srv := httptest.NewUnstartedServer(h)
			srv.Config.ErrorLog = log.New(io.Discard, "", 0)
			srv.Start()
			defer srv.Close()
			sreq, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, srv.URL+"/v1/x", nil)
			sresp, err := srv.Client().Do(sreq)
			if err == nil {
				sresp.Body.Close()
				t.Fatalf("over a socket: got status %d, want a connection error", sresp.StatusCode)
			}
		})
	}
}

// Over a socket, a handler's panic goes to the fake's logger too, with its stack.
func TestListenerLogsHandlerPanic(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var logs bytes.Buffer
	l := &listener{addr: "127.0.0.1:0", logger: slog.New(slog.NewJSONHandler(lockedWriter{&mu, &logs}, nil))}
	base, err := l.start(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom over a socket") }))
	if err != nil {
		t.Fatal(err)
	}
	defer l.stop()
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, base+"/v1/x", nil)
	if resp, err := (&http.Client{Transport: tr}).Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("got status %d, want a connection error", resp.StatusCode)
	}
	l.stop() // waits for the server to end, so the log line is written
	mu.Lock()
	out := logs.String()
	mu.Unlock()
	for _, want := range []string{`"level":"ERROR"`, "boom over a socket", "goroutine"} {
		if !strings.Contains(out, want) {
			t.Errorf("log %q lacks %s", out, want)
		}
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (w lockedWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.Write(b)
}
