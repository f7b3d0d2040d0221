package fake

import (
	"bytes"
	"embed"
	"io/fs"
	"net/http"
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
