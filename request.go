package membrane

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/go-querystring/query"
	"github.com/hashicorp/go-retryablehttp"
)

// apiClient is the request plumbing shared by every service: where to send, how to
// authenticate, how to retry, where to log.
type apiClient struct {
	baseURL    *url.URL
	httpClient *http.Client
	tokens     TokenSource
	userAgent  string
	logger     *slog.Logger
	policy     RetryPolicy
	jitter     *jitter
	retriers   *sync.Pool // of *retrier, each with its go-retryablehttp client, for reuse

	// Made once: the base URL as a string, the header values every request sends (never
	// changed in place: each slice is full, so an append would copy it), and the Authorization
	// value of the latest token.
	base       string
	fixed      http.Header
	authHeader atomic.Pointer[authValue]
}

// authValue is an Authorization header value and the token it carries.
type authValue struct {
	token string
	value []string
}

func newAPIClient(cfg *config) *apiClient {
	return &apiClient{
		baseURL:    cfg.baseURL,
		httpClient: guardRedirects(cfg.httpClient),
		tokens:     cfg.tokens,
		userAgent:  cfg.userAgent,
		logger:     cfg.logger,
		policy:     cfg.policy,
		jitter:     newJitter(),
		retriers:   &sync.Pool{},
		base:       cfg.baseURL.String(),
		fixed: http.Header{
			"Accept":               {"application/json"},
			"User-Agent":           {cfg.userAgent},
			"Membrane-Api-Version": {APIVersion},
		},
	}
}

// derive returns plumbing aimed at another base URL with other credentials, sharing
// everything else (HTTP client, logger, retry policy, user agent, jitter source).
func (a *apiClient) derive(base *url.URL, tokens TokenSource) *apiClient {
	return &apiClient{
		baseURL: base, httpClient: a.httpClient, tokens: tokens, userAgent: a.userAgent,
		logger: a.logger, policy: a.policy, jitter: a.jitter, retriers: &sync.Pool{},
		base: base.String(), fixed: a.fixed,
	}
}

// call describes one logical API call.
type call struct {
	op     string // for errors before any request is made, e.g. "OrgWorkspaces.Create"
	method string
	path   string // escaped, starting with "/"
	query  any    // a struct with go-querystring `url` tags, or nil
	body   any    // JSON-encoded when not nil
	// idempotencyKey is the caller's own Idempotency-Key of a POST; when empty, do makes one.
	idempotencyKey string
}

// do performs c, with retries, and decodes a successful JSON answer into out (when not nil).
// A non-2xx answer becomes an *Error.
//
// Every POST carries an Idempotency-Key, made here unless the call brings its own, and reused by
// every attempt, so that no attempt can repeat an effect: with the methods that are idempotent by
// nature, that makes every call safe to retry.
//
// When the answer is 401 and the token source can renew its token (see renewable), the refused
// token is dropped and the request is sent once more with a new one. A 401 means nothing was
// done, so this is safe for any method. It happens at most once per call, and that extra attempt
// comes on top of RetryPolicy.MaxAttempts (see RetryPolicy).
func (a *apiClient) do(ctx context.Context, c call, out any) error {
	if ctx == nil {
		return fmt.Errorf("membrane: %s: nil context", c.op)
	}
	u, err := a.endpoint(c.path, c.query)
	if err != nil {
		return fmt.Errorf("membrane: %s: %w", c.op, err)
	}
	safeURL := redactedURL(u)

	var body any // stays a nil interface without a body: retryablehttp then sends none
	if c.body != nil {
		b, err := json.Marshal(c.body)
		if err != nil {
			return fmt.Errorf("membrane: %s %s: encode request body: %w", c.method, safeURL, err)
		}
		body = b
	}
	key := c.idempotencyKey
	if c.method == http.MethodPost && key == "" {
		key = newIdempotencyKey()
	}
	r := a.newRetrier(c.method, safeURL, isIdempotent(c.method) || key != "")
	defer a.retriers.Put(r)
	renew, _ := a.tokens.(renewable)
	start := time.Now()
	r.start = start
	resp, err := a.send(ctx, r, c.method, u, body, key, a.policy.MaxAttempts)
	if err == nil && resp.StatusCode == http.StatusUnauthorized && renew != nil {
		resp.Body.Close()
		if err := renew.invalidate(ctx, r.token); err != nil {
			return r.transportError(fmt.Errorf("%s: drop the refused token: %w", r.afterLast(), err))
		}
		r.api.logger.LogAttrs(ctx, slog.LevelDebug, "membrane: retrying",
			slog.String("method", c.method), slog.String("url", safeURL), slog.Int("status", http.StatusUnauthorized),
			slog.Int("attempt", r.attempts), slog.String("reason", "status 401: renewing the token, once"),
			slog.Duration("wait", 0))
		// The attempts left, plus the one this renewal adds.
		resp, err = a.send(ctx, r, c.method, u, body, key, max(a.policy.MaxAttempts-r.attempts, 0)+1)
	}
	if err != nil {
		if apiErr, ok := err.(*Error); ok { // the last answer, as errorHandler made it
			return apiErr
		}
		return r.transportError(err)
	}
	defer resp.Body.Close()
	if a.logger.Enabled(ctx, slog.LevelDebug) {
		a.logger.LogAttrs(ctx, slog.LevelDebug, "membrane: request done",
			slog.String("method", c.method), slog.String("url", safeURL),
			slog.Int("status", resp.StatusCode), slog.Int("attempts", r.attempts),
			slog.Duration("elapsed", time.Since(start)))
	}

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return newError(resp, c.method, safeURL, r.attempts)
	}
	if out == nil {
		return nil
	}
	raw, err := readBody(resp)
	if err == nil {
		err = json.Unmarshal(raw, out)
	}
	if err != nil {
		return fmt.Errorf("membrane: %s %s: decode %d answer: %w", c.method, safeURL, resp.StatusCode, err)
	}
	return nil
}

// maxAnswer bounds the size of an answer the client reads.
const maxAnswer = 64 << 20

// readBody reads an answer's body whole. Its announced length only sizes the first buffer (up
// to a bound): the body decides where it ends, so a transport that rewrote or left out the
// length still gives the whole body, and a server that announces much and sends little costs
// little.
func readBody(resp *http.Response) ([]byte, error) {
	hint := int64(512)
	if n := resp.ContentLength; n > 0 {
		hint = min(n, 1<<20)
	}
	r := io.LimitReader(resp.Body, maxAnswer+1)
	b := make([]byte, 0, hint+1) // +1: room for the read that finds the end
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)] // grow
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return b, err
		}
	}
	if len(b) > maxAnswer {
		return b, fmt.Errorf("the answer is larger than %d bytes", maxAnswer)
	}
	return b, nil
}

// send builds the request and performs it with up to attempts attempts. An error that is not an
// *Error is returned without the call's name; do adds it.
func (a *apiClient) send(ctx context.Context, r *retrier, method string, u *url.URL, body any, key string, attempts int) (*http.Response, error) {
	req, err := retryablehttp.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	for k, v := range a.fixed {
		req.Header[k] = v
	}
	if body != nil {
		req.Header["Content-Type"] = a.fixed["Accept"] // application/json too
	}
	if key != "" {
		req.Header["Idempotency-Key"] = []string{key}
	}
	if r.token, err = a.authorize(req.Request, false); err != nil {
		if r.attempts > 0 {
			err = fmt.Errorf("%s: %w", r.afterLast(), err)
		}
		return nil, err
	}
	req.Header[attemptHeader] = []string{strconv.Itoa(r.attempts + 1)}
	r.base = r.attempts
	return r.client(attempts).Do(req)
}

// authorize sets the Authorization header from the token source, using the request's context,
// and returns the token. Before a retry (fresh), it replaces the header map rather than writing
// into it, as an earlier attempt may still hold it.
func (a *apiClient) authorize(req *http.Request, fresh bool) (string, error) {
	tok, err := a.tokens.Token(req.Context())
	if err != nil {
		return "", fmt.Errorf("get token: %w", err)
	}
	if tok == "" {
		return "", errors.New("get token: the token source returned an empty token")
	}
	if fresh {
		req.Header = req.Header.Clone()
	}
	av := a.authHeader.Load()
	if av == nil || av.token != tok {
		av = &authValue{token: tok, value: []string{"Bearer " + tok}}
		a.authHeader.Store(av)
	}
	req.Header["Authorization"] = av.value
	return tok, nil
}

// endpoint joins the base URL (which has no query and no trailing slash), an escaped path
// and the encoded query.
func (a *apiClient) endpoint(path string, q any) (*url.URL, error) {
	u, err := url.Parse(a.base + path)
	if err != nil {
		return nil, fmt.Errorf("build URL: %w", err)
	}
	if q != nil {
		v, err := query.Values(q)
		if err != nil {
			return nil, fmt.Errorf("encode query: %w", err)
		}
		u.RawQuery = v.Encode()
	}
	return u, nil
}

// attemptHeader numbers the attempts of one call: 1, 2, ...
const attemptHeader = "X-Membrane-Attempt"

// isIdempotent reports whether repeating method has the same effect as doing it once.
// PATCH qualifies here because every PATCH of this API is a merge of absolute values.
func isIdempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodPatch, http.MethodDelete:
		return true
	}
	return false
}

// newIdempotencyKey returns a random UUID (version 4) from crypto/rand.
func newIdempotencyKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
