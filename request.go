package membrane

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
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
}

func newAPIClient(cfg *config) *apiClient {
	return &apiClient{
		baseURL:    cfg.baseURL,
		httpClient: cfg.httpClient,
		tokens:     cfg.tokens,
		userAgent:  cfg.userAgent,
		logger:     cfg.logger,
		policy:     cfg.policy,
		jitter:     newJitter(),
	}
}

// derive returns plumbing aimed at another base URL with other credentials, sharing
// everything else (HTTP client, logger, retry policy, user agent, jitter source).
func (a *apiClient) derive(base *url.URL, tokens TokenSource) *apiClient {
	d := *a
	d.baseURL, d.tokens = base, tokens
	return &d
}

// call describes one logical API call.
type call struct {
	op     string // for errors before any request is made, e.g. "OrgWorkspaces.Create"
	method string
	path   string // escaped, starting with "/"
	query  any    // a struct with go-querystring `url` tags, or nil
	body   any    // JSON-encoded when not nil
	// idempotencyKey, when set, is sent as Idempotency-Key on every attempt and makes a
	// POST as safe to retry as a GET.
	idempotencyKey string
}

// do performs c, with retries, and decodes a successful JSON answer into out (when not nil).
// A non-2xx answer becomes an *Error.
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
	req, err := retryablehttp.NewRequestWithContext(ctx, c.method, u.String(), body)
	if err != nil {
		return fmt.Errorf("membrane: %s %s: build request: %w", c.method, safeURL, err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", a.userAgent)
	req.Header.Set("membrane-api-version", APIVersion)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.idempotencyKey != "" {
		req.Header.Set("Idempotency-Key", c.idempotencyKey)
	}
	if err := a.authorize(req.Request); err != nil {
		return fmt.Errorf("membrane: %s %s: %w", c.method, safeURL, err)
	}

	r := &retrier{
		api:      a,
		method:   c.method,
		url:      safeURL,
		retryAll: isIdempotent(c.method) || c.idempotencyKey != "",
	}
	start := time.Now()
	resp, err := r.client().Do(req)
	if err != nil {
		var apiErr *Error
		if errors.As(err, &apiErr) {
			return err
		}
		return r.transportError(err)
	}
	defer resp.Body.Close()
	a.logger.LogAttrs(ctx, slog.LevelDebug, "membrane: request done",
		slog.String("method", c.method), slog.String("url", safeURL),
		slog.Int("status", resp.StatusCode), slog.Int("attempts", r.attempts),
		slog.Duration("elapsed", time.Since(start)))

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return newError(resp, c.method, safeURL, r.attempts)
	}
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("membrane: %s %s: decode %d answer: %w", c.method, safeURL, resp.StatusCode, err)
	}
	return nil
}

// authorize sets the Authorization header from the token source, using the request's context.
// It replaces the header map rather than writing into it, as an earlier attempt may still hold it.
func (a *apiClient) authorize(req *http.Request) error {
	tok, err := a.tokens.Token(req.Context())
	if err != nil {
		return fmt.Errorf("get token: %w", err)
	}
	if tok == "" {
		return errors.New("get token: the token source returned an empty token")
	}
	h := req.Header.Clone()
	h.Set("Authorization", "Bearer "+tok)
	req.Header = h
	return nil
}

// endpoint joins the base URL (which has no query and no trailing slash), an escaped path
// and the encoded query.
func (a *apiClient) endpoint(path string, q any) (*url.URL, error) {
	u, err := url.Parse(a.baseURL.String() + path)
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
