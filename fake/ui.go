package fake

import (
	"bytes"
	"embed"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"time"
)

// uiFiles are the inspector page's files: plain HTML, CSS and JavaScript, served as they are,
// with nothing fetched from elsewhere.
//
//go:embed ui
var uiFiles embed.FS

// uiContentTypes are the types of the files the page is made of; any other file is not served.
var uiContentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".svg":  "image/svg+xml",
}

// uiPolicy lets the page load its own files and call its own server, and nothing else.
const uiPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// serveUIFile serves GET /_fake/ui (the page) and GET /_fake/ui/{name} (its files). The files
// hold no token and need none: the page asks for the admin token, or reads it from the URL's
// fragment, and sends it to the admin API. These requests are not written to the journal.
func (s *Server) serveUIFile(w http.ResponseWriter, r *http.Request, name string) {
	if s.refuseUIQuery(w, r) {
		return
	}
	ctype, ok := uiContentTypes[path.Ext(name)]
	var b []byte
	if ok && path.Base(name) == name {
		var err error
		b, err = fs.ReadFile(uiFiles, "ui/"+name)
		ok = err == nil
	}
	if !ok {
		s.env.newRequest(w, r, nil).fail(errNotFound("no inspector file %q", name))
		return
	}
	hdr := w.Header()
	hdr.Set("Content-Type", ctype)
	hdr.Set("Content-Security-Policy", uiPolicy)
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Referrer-Policy", "no-referrer")
	hdr.Set("Cache-Control", "no-cache")
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(b))
}

// refuseUIQuery answers 400 when a request for the page or its files has a query string: they
// take no parameter, as the admin endpoints refuse those they do not take. It reports whether
// it answered.
func (s *Server) refuseUIQuery(w http.ResponseWriter, r *http.Request) bool {
	if r.URL.RawQuery == "" {
		return false
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	apiErr := onlyParams(q)
	if err != nil {
		apiErr = errBadRequest("the query string is malformed: %s", err)
	}
	if apiErr == nil {
		return false
	}
	s.env.newRequest(w, r, nil).fail(apiErr)
	return true
}
