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
	"time"

	"github.com/google/go-querystring/query"
	"github.com/hashicorp/go-retryablehttp"
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
	query  any    // a struct with go-querystring `url` tags, or nil
	body   any    // JSON-encoded (secrets revealed, see wireJSON) when not nil
	opts   []CallOption
}

// do performs c, with retries, and decodes a successful JSON answer into out (when not nil).
// Arguments that are wrong before any request (a nil context, a bad option) give a plain error;
// every other failure is an *Error.
//
// Every change (POST, PATCH, PUT, DELETE; see takesKey) carries an Idempotency-Key, made here
// unless the call brings its own, and reused by every attempt, so that no attempt can repeat an
// effect or answer for a state that another client's change made between two attempts: with the
// reads, idempotent by nature, that makes every call safe to retry.
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
	if takesKey(c.method) {
		x.key = set.key
		if x.key == "" {
			x.key = newIdempotencyKey()
		}
	}
	apiErr := x.run(ctx)
	if set.resp != nil {
		*set.resp = x.response()
	}
	if apiErr != nil {
		return apiErr
	}
	resp, raw := x.last, x.raw
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
	key     string // the Idempotency-Key of a change (see takesKey)
	extra   http.Header

	attempts int            // requests sent so far, over every round of the call
	limit    int            // the most attempts the call may make
	canRenew bool           // a 401 may still renew the token (see run)
	start    time.Time      // when the call began, for MaxElapsed
	token    string         // the token of the latest attempt, to drop it when refused
	last     *http.Response // the latest answer, its body read
	raw      []byte         // the body of the latest answer, when it is a success
	failure  *Error         // of the latest attempt, nil after a success
	wait     time.Duration  // the wait before the next attempt, chosen by checkRetry
	stop     error          // why the next attempt could not be prepared
	// maybeApplied is set once an attempt of a change got no complete answer after its request
	// may have reached the server: the outcome of the call is unknown unless it succeeds.
	maybeApplied bool
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
	e.MaybeApplied = e.MaybeApplied || x.maybeApplied
	return e
}

// idempotent reports whether another attempt cannot cause a second effect: the method is
// idempotent by nature, or the request carries an Idempotency-Key.
func (x *exchange) idempotent() bool { return isIdempotent(x.method) || x.key != "" }

// run makes the attempts of the call through go-retryablehttp, whose hooks are the exchange's
// methods below: nil once an attempt succeeded (its answer is in x.last, its body in x.raw), or
// the *Error of its last failure.
//
// The renewal of a refused token is a step around go-retryablehttp: a 401 ends its round of
// attempts, the token is dropped, and a second round starts with a new one, under the same
// attempt count and limit (raised by one).
func (x *exchange) run(ctx context.Context) *Error {
	a := x.api
	x.start = time.Now()
	x.limit = a.policy.MaxAttempts
	_, x.canRenew = a.tokens.(renewable)
	// Built per call: Backoff and ErrorHandler are given no context to find the call by when
	// there is no answer, so the hooks are bound to this exchange.
	rc := &retryablehttp.Client{
		HTTPClient:     a.httpClient, // its Transport is behind noReplay (see guardRedirects)
		Logger:         nil,          // it would print its own lines; ours go to the slog logger
		RetryWaitMin:   a.policy.MinWait,
		RetryWaitMax:   a.policy.MaxWait,
		RequestLogHook: x.prepareAttempt,
		CheckRetry:     x.checkRetry,
		Backoff:        x.backoff,
		ErrorHandler:   x.giveUp,
		PrepareRetry:   x.prepareRetry,
	}
	var body any // an untyped nil when there is no body: go-retryablehttp then sends none
	if x.body != nil {
		body = x.body
	}
	for {
		if err := x.authorize(ctx); err != nil {
			if x.failure != nil { // the answer that led here is the one to report
				return x.notRetried(x.failure, err)
			}
			return x.finish(&Error{Message: err.Error(), Err: err})
		}
		req, err := retryablehttp.NewRequestWithContext(ctx, x.method, x.url, body)
		if err != nil {
			return x.finish(&Error{Message: "build request: " + err.Error(), Err: err})
		}
		x.setHeaders(req.Header)
		rc.RetryMax = x.limit - x.attempts - 1 // checkRetry stops at the limit too, and says so
		x.failure, x.stop = nil, nil
		resp, err := rc.Do(req)
		switch {
		case x.failure == nil && err == nil:
			if a.logger.Enabled(ctx, slog.LevelDebug) {
				a.logger.LogAttrs(ctx, slog.LevelDebug, "membrane: request done",
					slog.String("method", x.method), slog.String("url", x.safeURL),
					slog.Int("status", resp.StatusCode), slog.Int("attempts", x.attempts),
					slog.Duration("elapsed", time.Since(x.start)))
			}
			return nil
		case x.failure == nil: // no attempt was made
			return x.finish(&Error{Message: err.Error(), Err: err, noResponse: true})
		case err != nil: // the context ended during a wait
			return x.notRetried(x.failure, err)
		case x.stop != nil: // the token of the next attempt could not be had
			return x.notRetried(x.failure, x.stop)
		case x.failure.StatusCode == http.StatusUnauthorized && x.canRenew:
			x.canRenew = false
			x.limit++ // the renewal's attempt comes on top of MaxAttempts
			if err := a.tokens.(renewable).invalidate(ctx, x.token); err != nil {
				return x.notRetried(x.failure, fmt.Errorf("drop the refused token: %w", err))
			}
			x.log(ctx, slog.LevelDebug, "membrane: retrying", x.failure, "status 401: renewing the token, once", 0)
		default:
			return x.finish(x.failure)
		}
	}
}

// authorize gets the token of the next attempt.
func (x *exchange) authorize(ctx context.Context) error {
	tok, err := x.api.tokens.Token(ctx)
	if err == nil && tok == "" {
		err = errors.New("the token source returned an empty token")
	}
	if err == nil && !validHeaderValue(tok) {
		err = errors.New("the token source returned a token that holds a control character, such as a line break")
	}
	if err != nil {
		return fmt.Errorf("get token: %w", err)
	}
	x.token = tok
	return nil
}

// setHeaders sets the headers that every attempt of the call carries.
func (x *exchange) setHeaders(h http.Header) {
	// The keys below are in canonical form already.
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
}

// read turns the outcome of one attempt into nil (a 2xx whose body was read whole into x.raw),
// or the *Error of the attempt (without the call's facts, which finish adds). Every body is read
// and closed here, and resp.Body left empty.
func (x *exchange) read(ctx context.Context, resp *http.Response, err error) *Error {
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its message repeats the URL, possibly with user information
		}
		err = withContextCause(ctx, err)
		return &Error{Message: err.Error(), Err: err, noResponse: true}
	}
	x.last = resp
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := newError(resp)
		resp.Body = http.NoBody
		return e
	}
	raw, err := readBody(resp)
	resp.Body.Close()
	if err != nil {
		resp.Body = http.NoBody
		err = withContextCause(ctx, err)
		return &Error{StatusCode: resp.StatusCode, RequestID: resp.Header.Get("X-Request-Id"),
			Message: "reading the answer failed: " + err.Error(), Err: err, noResponse: true}
	}
	x.raw = raw
	resp.Body = http.NoBody
	return nil
}

// withContextCause puts the end of ctx in front of err, when ctx has ended and err does not say
// so already: an attempt cut short by the call's context fails for that reason.
func withContextCause(ctx context.Context, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
		return fmt.Errorf("%w (%w)", ctxErr, err)
	}
	return err
}

// notRetried returns the error of the last attempt when what should have followed it failed:
// the cause is kept for errors.Is, and the answer's facts for the caller.
func (x *exchange) notRetried(last *Error, cause error) *Error {
	last.addCause(cause)
	return x.finish(last)
}

// addCause says in e why it was not retried, and keeps cause for errors.Is.
func (e *Error) addCause(cause error) {
	e.Message += "; not retried: " + cause.Error()
	if e.Err == nil {
		e.Err = cause
	} else {
		e.Err = errors.Join(cause, e.Err)
	}
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

// endpoint joins the base URL (which has no query and no trailing slash), an escaped path
// and the encoded query.
func (a *apiClient) endpoint(path string, q any) (*url.URL, error) {
	u, err := url.Parse(a.base + path)
	if err != nil {
		return nil, fmt.Errorf("build URL: %w", err)
	}
	switch q := q.(type) {
	case nil:
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

// takesKey reports whether a request of method is a change that carries an Idempotency-Key:
// POST, PATCH, PUT and DELETE. PATCH, PUT and DELETE are idempotent alone, but not across
// another client's change between two attempts: the retry of an update after an archive would
// answer 400 although the first attempt made the change. Under the key, the server answers the
// retry with the first attempt's answer.
func takesKey(method string) bool {
	switch method {
	case http.MethodPost, http.MethodPatch, http.MethodPut, http.MethodDelete:
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
