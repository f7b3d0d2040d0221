package membrane

import (
	"bytes"
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

	"time"

	"github.com/google/go-querystring/query"
)

// apiClient is the request plumbing shared by every service: where to send, how to
// authenticate, how to retry, where to log.
type apiClient struct {
	baseURL    *url.URL
	base       string // baseURL as a string
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
		base:       cfg.baseURL.String(),
		httpClient: guardRedirects(cfg.httpClient),
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
	d.baseURL, d.base, d.tokens = base, base.String(), tokens
	return &d
}

// call describes one logical API call.
type call struct {
	op     string // for errors before any request is made, e.g. "OrgWorkspaces.Create"
	method string
	path   string // escaped, starting with "/"
	query  any    // a struct with go-querystring `url` tags, url.Values, or nil
	body   any    // JSON-encoded (secrets revealed, see wireJSON) when not nil
	opts   []CallOption
}

// do performs c, with retries, and decodes a successful JSON answer into out (when not nil).
// Arguments that are wrong before any request (a nil context, a bad option) give a plain error;
// every other failure is an *Error.
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
	set, err := applyCallOptions(c.method, c.opts)
	if err != nil {
		return fmt.Errorf("membrane: %s: %w", c.op, err)
	}
	u, err := a.endpoint(c.path, c.query)
	if err != nil {
		return fmt.Errorf("membrane: %s: %w", c.op, err)
	}
	x := &exchange{api: a, method: c.method, url: u.String(), extra: set.header}
	x.safeURL = x.url
	if u.User != nil {
		x.safeURL = redactedURL(u)
	}
	if c.body != nil {
		if x.body, err = wireJSON(c.body); err != nil {
			return fmt.Errorf("membrane: %s %s: encode request body: %w", c.method, x.safeURL, err)
		}
	}
	if c.method == http.MethodPost {
		x.key = set.key
		if x.key == "" {
			x.key = newIdempotencyKey()
		}
	}
	raw, resp, apiErr := x.run(ctx)
	if set.resp != nil {
		*set.resp = x.response()
	}
	if apiErr != nil {
		return apiErr
	}
	if out == nil || (resp.StatusCode == http.StatusNoContent && len(raw) == 0) {
		return nil
	}
	if err := unmarshalAnswer(raw, out); err != nil {
		return x.finish(&Error{StatusCode: resp.StatusCode, RequestID: resp.Header.Get("X-Request-Id"),
			Message: "the answer is not what the API promises: " + err.Error(), Err: err})
	}
	return nil
}

// unmarshalAnswer decodes a 2xx answer into out and, when out can tell, checks that it is what
// the API promises (a workspace with an id, a page with items, ...).
func unmarshalAnswer(raw []byte, out any) error {
	if err := json.Unmarshal(raw, out); err != nil {
		return err
	}
	if c, ok := out.(answerChecker); ok {
		return c.checkAnswer()
	}
	return nil
}

// exchange is one call in progress: what it sends, and what its attempts have met.
type exchange struct {
	api     *apiClient
	method  string
	url     string // with user information, if the base URL has some
	safeURL string // without
	body    []byte // nil: no body
	key     string // the Idempotency-Key of a POST
	extra   http.Header

	attempts int
	token    string // the token of the latest attempt, to drop it when refused
	last     *http.Response
}

// response returns the facts of the last answer, for WithResponseInto.
func (x *exchange) response() Response {
	r := Response{Attempts: x.attempts}
	if x.last != nil {
		r.StatusCode, r.Header, r.RequestID = x.last.StatusCode, x.last.Header, x.last.Header.Get("X-Request-Id")
	}
	return r
}

// finish fills the facts of the call into e and returns it.
func (x *exchange) finish(e *Error) *Error {
	e.Method, e.URL, e.IdempotencyKey, e.Attempts = x.method, x.safeURL, x.key, x.attempts
	return e
}

// idempotent reports whether another attempt cannot cause a second effect: the method is
// idempotent by nature, or the request carries an Idempotency-Key.
func (x *exchange) idempotent() bool { return isIdempotent(x.method) || x.key != "" }

// run makes the attempts of the call and returns the body of its successful answer, or the
// *Error of its last failure.
func (x *exchange) run(ctx context.Context) ([]byte, *http.Response, *Error) {
	a := x.api
	start := time.Now()
	limit := a.policy.MaxAttempts
	_, canRenew := a.tokens.(renewable)
	var failure *Error // of the latest attempt
	for {
		tok, err := a.tokens.Token(ctx)
		if err == nil && tok == "" {
			err = errors.New("the token source returned an empty token")
		}
		if err != nil {
			err = fmt.Errorf("get token: %w", err)
			if failure != nil { // the answer that led here is the one to report
				return nil, nil, x.notRetried(failure, err)
			}
			return nil, nil, x.finish(&Error{Message: err.Error(), Err: err})
		}
		raw, resp, f := x.attempt(ctx, tok)
		failure = f
		if failure == nil {
			if a.logger.Enabled(ctx, slog.LevelDebug) {
				a.logger.LogAttrs(ctx, slog.LevelDebug, "membrane: request done",
					slog.String("method", x.method), slog.String("url", x.safeURL),
					slog.Int("status", resp.StatusCode), slog.Int("attempts", x.attempts),
					slog.Duration("elapsed", time.Since(start)))
			}
			return raw, resp, nil
		}
		if failure.StatusCode == http.StatusUnauthorized && canRenew {
			canRenew = false
			limit++ // the renewal's attempt comes on top of MaxAttempts
			if err := a.tokens.(renewable).invalidate(ctx, x.token); err != nil {
				return nil, nil, x.notRetried(failure, fmt.Errorf("drop the refused token: %w", err))
			}
			x.log(ctx, slog.LevelDebug, "membrane: retrying", failure, "status 401: renewing the token, once", 0)
			continue
		}
		wait, reason, retry := x.decide(ctx, failure, start)
		if retry && x.attempts >= limit {
			retry, reason = false, "attempts used up"
		}
		if !retry {
			x.log(ctx, slog.LevelDebug, "membrane: not retrying", failure, reason, 0)
			return nil, nil, x.finish(failure)
		}
		x.log(ctx, slog.LevelDebug, "membrane: retrying", failure, reason, wait)
		if err := sleep(ctx, wait); err != nil {
			return nil, nil, x.notRetried(failure, err)
		}
	}
}

// notRetried returns the error of the last attempt when what should have followed it failed:
// the cause is kept for errors.Is, and the answer's facts for the caller.
func (x *exchange) notRetried(last *Error, cause error) *Error {
	last.Message += "; not retried: " + cause.Error()
	if last.Err == nil {
		last.Err = cause
	} else {
		last.Err = errors.Join(cause, last.Err)
	}
	return x.finish(last)
}

// decide says whether a failed attempt is worth another one, after which wait and why.
func (x *exchange) decide(ctx context.Context, e *Error, start time.Time) (time.Duration, string, bool) {
	var reason string
	switch {
	case e.noResponse && isPermanent(e.Err):
		return 0, "permanent connection error", false
	case e.noResponse && e.StatusCode != 0 && x.idempotent():
		reason = "answer cut short"
	case e.noResponse && x.idempotent():
		reason = "connection error"
	case e.noResponse && e.StatusCode == 0 && notSent(e.Err):
		reason = "connection could not be opened; the request was not sent"
	case e.noResponse:
		return 0, "the request may have been done; " + x.method + " without Idempotency-Key is not retried", false
	case retryableStatus(e.StatusCode) && x.idempotent():
		reason = "status " + strconv.Itoa(e.StatusCode)
	case retryableStatus(e.StatusCode):
		return 0, x.method + " without Idempotency-Key is not retried", false
	default:
		return 0, "final answer", false
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		if !errors.Is(e.Err, ctxErr) {
			e.Err = errors.Join(ctxErr, e.Err)
			e.Message += "; not retried: " + ctxErr.Error()
		}
		return 0, "the context ended", false
	}
	p := x.api.policy
	wait, asked := e.RetryAfter, e.RetryAfter > 0 && (e.StatusCode == http.StatusTooManyRequests || e.StatusCode == http.StatusServiceUnavailable)
	if asked && wait > MaxRetryAfter {
		return 0, "Retry-After is above MaxRetryAfter", false
	}
	if !asked {
		wait = p.backoff(x.attempts-1, x.api.jitter)
	}
	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait {
		return 0, "the wait would end past the context deadline", false
	}
	if p.MaxElapsed > 0 && time.Since(start)+wait > p.MaxElapsed {
		return 0, "the wait would end past RetryPolicy.MaxElapsed", false
	}
	return wait, reason, true
}

// retryableStatus reports the statuses that say nothing was done, for now.
func retryableStatus(code int) bool {
	switch code {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// log writes a record about a decision after a failed attempt.
func (x *exchange) log(ctx context.Context, level slog.Level, msg string, e *Error, reason string, wait time.Duration) {
	if !x.api.logger.Enabled(ctx, level) {
		return
	}
	x.api.logger.LogAttrs(ctx, level, msg,
		slog.String("method", x.method), slog.String("url", x.safeURL), slog.Int("status", e.StatusCode),
		slog.Int("attempt", x.attempts), slog.String("reason", reason), slog.Duration("wait", wait))
}

// attempt sends one request and reads its answer whole. It returns the body of a 2xx answer, or
// the *Error of the attempt (without the call's facts, which finish adds).
func (x *exchange) attempt(ctx context.Context, tok string) ([]byte, *http.Response, *Error) {
	x.token = tok
	var body io.Reader
	if x.body != nil {
		body = bytes.NewReader(x.body)
	}
	req, err := http.NewRequestWithContext(ctx, x.method, x.url, body)
	if err != nil {
		return nil, nil, &Error{Message: "build request: " + err.Error(), Err: err}
	}
	h := req.Header // the keys below are in canonical form already
	h["Accept"] = []string{"application/json"}
	h["User-Agent"] = []string{x.api.userAgent}
	h["Membrane-Api-Version"] = []string{APIVersion}
	if x.body != nil {
		h["Content-Type"] = []string{"application/json"}
	}
	for k, v := range x.extra { // the caller's own values replace the defaults above
		h[k] = v
	}
	if x.key != "" {
		h["Idempotency-Key"] = []string{x.key}
	}
	x.attempts++
	h[attemptHeader] = []string{strconv.Itoa(x.attempts)}
	h["Authorization"] = []string{"Bearer " + tok}

	resp, err := x.api.httpClient.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its message repeats the URL, possibly with user information
		}
		if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
			err = fmt.Errorf("%w (%w)", ctxErr, err)
		}
		return nil, nil, &Error{Message: err.Error(), Err: err, noResponse: true}
	}
	x.last = resp
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, resp, newError(resp)
	}
	raw, err := readBody(resp)
	resp.Body.Close()
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
			err = fmt.Errorf("%w (%w)", ctxErr, err)
		}
		return nil, resp, &Error{StatusCode: resp.StatusCode, RequestID: resp.Header.Get("X-Request-Id"),
			Message: "reading the answer failed: " + err.Error(), Err: err, noResponse: true}
	}
	return raw, resp, nil
}

// maxAnswer bounds the size of an answer the client reads.
const maxAnswer = 64 << 20

// readBody reads an answer's body whole. The body decides where it ends: over HTTP/1.1 and
// HTTP/2, net/http reports a body shorter than its Content-Length as io.ErrUnexpectedEOF.
func readBody(resp *http.Response) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxAnswer {
		return nil, fmt.Errorf("the answer is larger than %d bytes", maxAnswer)
	}
	return b, nil
}

// sleep waits d, or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// endpoint joins the base URL (which has no query and no trailing slash), an escaped path
// and the encoded query.
func (a *apiClient) endpoint(path string, q any) (*url.URL, error) {
	u, err := url.Parse(a.base + path)
	if err != nil {
		return nil, fmt.Errorf("build URL: %w", err)
	}
	switch q := q.(type) {
	case nil:
	case url.Values:
		u.RawQuery = q.Encode()
	default:
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
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions:
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
