package membrane

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// ErrInsecureRedirect matches the error of a call that the server redirected from https to http:
// the client refuses to follow, as the request would then travel in clear. It is not retried.
var ErrInsecureRedirect = errors.New("membrane: refused to follow a redirect from https to http")

// ErrRedirectChangesMethod matches the error of a change (POST, PATCH, PUT, DELETE) that the
// server answered with a redirect that net/http follows with another method (301, 302 and 303
// turn a POST or DELETE into a GET): the client refuses to follow, as it would report the GET's
// answer as the change's. An http base URL that redirects to https does this. 307 and 308 keep
// the method and body and are followed. It is not retried.
var ErrRedirectChangesMethod = errors.New("membrane: refused to follow a redirect that changes the method of a change")

// errTooManyRedirects ends a call whose redirects go on too long, when the caller's http.Client
// has no CheckRedirect of its own. It is not retried.
var errTooManyRedirects = fmt.Errorf("membrane: stopped after %d redirects", maxRedirects)

// credentialHeaders are the request headers that carry credentials. They are removed from a
// redirected request as soon as the redirect chain leaves the origin of the first request.
var credentialHeaders = []string{"Authorization", "Proxy-Authorization", "Cookie", "Cookie2"}

// maxRedirects is the redirect limit when the caller's http.Client has no CheckRedirect, as in
// net/http.
const maxRedirects = 10

// guardRedirects returns a shallow copy of hc whose CheckRedirect first applies hc's own policy
// (or net/http's default: at most 10 redirects), then refuses a redirect that changes the method
// of the call (see ErrRedirectChangesMethod) and one from https to http, and
// removes the credential headers from a request that goes to another origin (scheme, host and
// port) than the first request of the chain, or that follows a hop that did. hc itself is not
// changed; the copy shares its Transport (behind noReplay), Jar and Timeout.
//
// net/http already drops these headers on a redirect to another host, but it keeps them for a
// subdomain, another port of the same host, or http on the same host.
func guardRedirects(hc *http.Client) *http.Client {
	own := hc.CheckRedirect
	c := *hc
	rt := hc.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	c.Transport = noReplay{rt}
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if own != nil {
			if err := own(req, via); err != nil {
				return err
			}
		} else if len(via) >= maxRedirects {
			return errTooManyRedirects
		}
		if len(via) == 0 {
			return nil
		}
		if req.Method != via[0].Method {
			status := 0
			if req.Response != nil {
				status = req.Response.StatusCode
			}
			return fmt.Errorf("%w: %s %s was answered %d, to be followed with %s %s", ErrRedirectChangesMethod,
				via[0].Method, redactedURL(via[0].URL), status, req.Method, redactedURL(req.URL))
		}
		if strings.EqualFold(req.URL.Scheme, "http") {
			for _, prev := range via {
				if strings.EqualFold(prev.URL.Scheme, "https") {
					return fmt.Errorf("%w: %s", ErrInsecureRedirect, redactedURL(req.URL))
				}
			}
		}
		first := origin(via[0].URL)
		leaves := origin(req.URL) != first
		for _, prev := range via[1:] {
			leaves = leaves || origin(prev.URL) != first
		}
		if leaves {
			h := req.Header.Clone() // the header map may be shared with an earlier request
			for _, name := range credentialHeaders {
				h.Del(name)
			}
			req.Header = h
		}
		return nil
	}
	return &c
}

// noReplay sends each request so that the transport cannot send it again by itself.
//
// net/http's Transport silently sends a request once more when a kept-alive connection turns out
// to be closed by the server, if the request is "replayable": without a body, or with GetBody,
// and of an idempotent method or with an Idempotency-Key header. Every request of this client is
// one of those, so such a replay would reach the server under the attempt number of the first
// send, behind the retry policy's back: with NoRetries a POST could be done twice. noReplay hands
// the transport a copy of the request with a body (an empty one when it has none) and no
// GetBody, which is never replayable; the client retries by itself, counting every request. The
// request the http.Client keeps (for redirects) is not changed.
//
// It also hides the CloseIdleConnections of a shared transport (http.DefaultTransport, or the
// caller's), which would drop every kept-alive connection of the process.
type noReplay struct{ next http.RoundTripper }

// RoundTrip sends a copy of req that the transport will not replay.
func (n noReplay) RoundTrip(req *http.Request) (*http.Response, error) {
	r := *req // a shallow copy: req itself must not be changed
	r.GetBody = nil
	if r.Body == nil || r.Body == http.NoBody {
		// A reader that net/http knows to be in memory: it writes the headers and the body in
		// one go, where for another it would flush the headers first and copy the body through
		// a buffer of 32 KiB.
		r.Body, r.ContentLength = io.NopCloser(strings.NewReader("")), 0
		if lacksBody(r.Method) {
			// Sent as is, without Content-Length or chunks: over HTTP/1.1, the same bytes as
			// without a body (HTTP/2 ends the stream with an empty DATA frame). Without this, the transport would read the body in a goroutine
			// of its own, under a timer, to find out that it is empty (about 7% of a GET over
			// loopback). A POST, PUT or PATCH is sent as one empty chunk, as net/http sends a
			// body of unknown length.
			r.TransferEncoding = []string{"identity"}
		}
	}
	return n.next.RoundTrip(&r)
}

// lacksBody reports whether a request of method usually has no body: net/http sends such a
// request without Content-Length when its body is empty.
func lacksBody(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodDelete, http.MethodOptions, "PROPFIND", "SEARCH":
		return true
	}
	return false
}

// origin returns the scheme, host and port of u, lower case, with the scheme's default port
// when u names none.
func origin(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	port := u.Port()
	if port == "" {
		switch scheme {
		case "https":
			port = "443"
		case "http":
			port = "80"
		}
	}
	return scheme + "://" + net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}
