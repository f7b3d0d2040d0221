package fake

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// listener serves a handler on a TCP address and can stop and serve again on the same address.
type listener struct {
	addr string // where to listen; after the first start, the address it got
	ln   net.Listener
	srv  *http.Server
	done chan error
	// logger receives what net/http reports, such as a handler's panic with its stack; nil: the
	// standard logger, as net/http does.
	logger *slog.Logger
}

// start listens and serves h, returning the base URL. Called with the owner's lock held.
func (l *listener) start(h http.Handler) (string, error) {
	if l.ln != nil {
		return "", errors.New("already listening")
	}
	ln, err := net.Listen("tcp", l.addr)
	if err != nil {
		return "", fmt.Errorf("listen on %s: %w", l.addr, err)
	}
	l.ln, l.addr = ln, ln.Addr().String()
	l.srv = &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		WriteTimeout:      11 * time.Minute, // beyond the longest latency a fault may add
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10, // the request line (and so the URL) counts too
	}
	if l.logger != nil {
		l.srv.ErrorLog = slog.NewLogLogger(l.logger.Handler(), slog.LevelError)
	}
	l.done = make(chan error, 1)
	srv := l.srv
	go func() { l.done <- srv.Serve(ln) }()
	return "http://" + l.addr, nil
}

// stop closes the listener and every open connection, and waits for the server to end. The
// address is kept for the next start.
func (l *listener) stop() {
	if l.ln == nil {
		return
	}
	_ = l.srv.Close()
	<-l.done
	l.ln, l.srv, l.done = nil, nil, nil
}

// shutdown stops accepting connections and waits, until ctx ends, for the requests in flight
// to finish; then it closes what is left.
func (l *listener) shutdown(ctx context.Context) error {
	if l.ln == nil {
		return nil
	}
	err := l.srv.Shutdown(ctx)
	l.stop()
	return err
}

func (l *listener) listening() bool { return l.ln != nil }

// aborter is a ResponseWriter that can drop its connection itself.
type aborter interface{ abort() }

// abort ends a request without a response, as a dropped connection does: the in-process
// transport reports a connection error, and a real connection is closed. Where neither is
// possible, the response is a 503.
func abort(w http.ResponseWriter) {
	switch rw := w.(type) {
	case aborter:
		rw.abort()
		return
	case http.Hijacker:
		if conn, _, err := rw.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusServiceUnavailable)
	_, _ = w.Write([]byte(`{"type":"internal","message":"the instance is stopped"}`))
}
