package membrane

import (
	"context"
	crand "crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// RetryPolicy says how often and how long a failed call is retried.
//
// Which calls are retried does not depend on the policy. The rule is that a retry can never cause
// a second effect: GET, PUT, PATCH and DELETE are idempotent by nature (every PATCH of this API
// merges absolute values), and every POST (creates, restore, access-token, rotate-secret) carries
// an Idempotency-Key made once per call and reused by all its attempts, so the server does it once.
// Every call is therefore retried on connection errors and on the statuses 429, 500, 502, 503 and
// 504. Other answers are final and returned as they are, even when the context has just ended: the
// context only decides whether to wait and retry.
//
// A 401 answer to a client whose token can be renewed (one made by OrgWorkspacesService.Client,
// whose token may have been signed with a secret that was rotated since) drops that token, gets
// a new one and sends the request once more, at once: a 401 means nothing was done. This happens
// at most once per call, and that attempt is an extra one: the call may send MaxAttempts+1
// requests in all, and Error.Attempts counts every one of them.
//
// Waits grow exponentially from MinWait up to MaxWait, with full jitter. A Retry-After header on a
// 429 or 503 answer replaces the computed wait, even above MaxWait, up to MaxRetryAfter; when the
// server asks for more than that, or for more than the context has left, the call stops and the
// *Error carries the asked wait in RetryAfter, so the caller can schedule the next try itself.
// MaxElapsed caps the whole call the same way: a retry whose wait would end past it is not made.
//
// Every attempt carries its number in the X-Membrane-Attempt header (1 for the first), and every
// decision to retry or not is logged at debug level with its reason. NoRetries turns retries off.
type RetryPolicy struct {
	// MaxAttempts is the number of attempts, the first one included (default 4; 1 disables retries),
	// not counting the one extra attempt after a renewed token (see above).
	MaxAttempts int
	// MinWait is the smallest wait between two attempts (default 500ms).
	MinWait time.Duration
	// MaxWait caps the computed exponential wait (default 30s).
	MaxWait time.Duration
	// MaxElapsed caps the time from the first attempt to the start of the last one (0: no cap
	// but the context's).
	MaxElapsed time.Duration
}

// NoRetries returns a policy that makes one attempt per call (and the one extra attempt after a
// renewed token, which is not a retry of a failure).
func NoRetries() RetryPolicy { return RetryPolicy{MaxAttempts: 1} }

// MaxRetryAfter is the longest Retry-After the client waits for before retrying by itself.
const MaxRetryAfter = 5 * time.Minute

// DefaultRetryPolicy returns the policy used when WithRetryPolicy is not given:
// 4 attempts, waits from 500ms to 30s.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{MaxAttempts: 4, MinWait: 500 * time.Millisecond, MaxWait: 30 * time.Second}
}

// withDefaults fills zero fields from DefaultRetryPolicy and checks the result.
func (p RetryPolicy) withDefaults() (RetryPolicy, error) {
	if p.MaxAttempts < 0 {
		return p, fmt.Errorf("MaxAttempts is %d; it must be 0 (default) or more", p.MaxAttempts)
	}
	if p.MinWait < 0 {
		return p, fmt.Errorf("MinWait is %s; it must not be negative", p.MinWait)
	}
	if p.MaxWait < 0 {
		return p, fmt.Errorf("MaxWait is %s; it must not be negative", p.MaxWait)
	}
	if p.MaxElapsed < 0 {
		return p, fmt.Errorf("MaxElapsed is %s; it must not be negative", p.MaxElapsed)
	}
	d := DefaultRetryPolicy()
	if p.MaxAttempts == 0 {
		p.MaxAttempts = d.MaxAttempts
	}
	if p.MinWait == 0 {
		p.MinWait = d.MinWait
	}
	if p.MaxWait == 0 {
		p.MaxWait = d.MaxWait
	}
	if p.MinWait > p.MaxWait {
		return p, fmt.Errorf("MinWait (%s) is above MaxWait (%s)", p.MinWait, p.MaxWait)
	}
	return p, nil
}

// backoff returns the wait before retry number n (0 for the first retry): a random duration
// between MinWait and min(MaxWait, MinWait·2ⁿ) ("full jitter").
func (p RetryPolicy) backoff(n int, j *jitter) time.Duration {
	ceiling := p.MaxWait
	if n >= 0 && n < 63 && p.MinWait <= p.MaxWait>>n { // MinWait·2ⁿ fits below MaxWait
		ceiling = p.MinWait << n
	}
	return p.MinWait + j.duration(ceiling-p.MinWait)
}

// jitter is a random source owned by one client tree, so that no package-level state is shared
// and tests can seed it.
type jitter struct {
	mu  sync.Mutex
	rnd *rand.Rand
}

func newJitter() *jitter {
	var seed [32]byte
	_, _ = crand.Read(seed[:]) // crypto/rand.Read never fails
	return &jitter{rnd: rand.New(rand.NewChaCha8(seed))}
}

// duration returns a random duration in [0, d].
func (j *jitter) duration(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	return time.Duration(j.rnd.Int64N(int64(d) + 1))
}

// retrier holds the state of one logical call across its attempts and supplies the hooks of
// go-retryablehttp, whose defaults would retry any method and drop the last answer.
type retrier struct {
	api      *apiClient
	rc       *retryablehttp.Client // its hooks are this retrier's methods
	method   string
	url      string        // without user information
	retryAll bool          // the call is idempotent (by method or by Idempotency-Key)
	attempts int           // requests sent so far, over every round of the call
	base     int           // attempts made before the current round (see apiClient.do)
	reason   string        // why the last attempt is being retried
	token    string        // the token of the latest attempt, to drop it when refused
	start    time.Time     // when the call began, for MaxElapsed
	wait     time.Duration // the wait before the next attempt, chosen by checkRetry

	// The status (0 for a connection error) and request id of the latest answer, for the errors
	// of what comes after it.
	lastStatus    int
	lastRequestID string
}

// newRetrier returns a retrier for one call, reused from an earlier call when one is free: its
// go-retryablehttp client, whose hooks are bound to it, comes along.
func (a *apiClient) newRetrier(method, url string, retryAll bool) *retrier {
	r, _ := a.retriers.Get().(*retrier)
	if r == nil {
		r = &retrier{}
		r.rc = &retryablehttp.Client{
			HTTPClient:   a.httpClient,
			Logger:       nil, // it would print its own lines; ours go to the slog logger
			RetryWaitMin: a.policy.MinWait,
			RetryWaitMax: a.policy.MaxWait,
			CheckRetry:   r.checkRetry,
			Backoff:      r.backoff,
			ErrorHandler: r.errorHandler,
			PrepareRetry: r.prepareRetry,
		}
	}
	*r = retrier{api: a, rc: r.rc, method: method, url: url, retryAll: retryAll}
	return r
}

// client returns the retrier's go-retryablehttp client, set to make at most attempts attempts.
func (r *retrier) client(attempts int) *retryablehttp.Client {
	r.rc.RetryMax = attempts - 1
	return r.rc
}

// prepareRetry authorizes the next attempt afresh, as a long wait may outlive a cached token. A
// failure keeps the facts of the answer that caused the retry.
func (r *retrier) prepareRetry(req *http.Request) error {
	tok, err := r.api.authorize(req, true)
	if err != nil {
		return fmt.Errorf("%s: %w", r.afterLast(), err)
	}
	r.token = tok
	req.Header[attemptHeader] = []string{strconv.Itoa(r.attempts + 1)}
	return nil
}

// afterLast describes the latest answer, for an error that follows it.
func (r *retrier) afterLast() string {
	if r.lastStatus == 0 {
		return "after a connection error"
	}
	s := "after status " + strconv.Itoa(r.lastStatus)
	if r.lastRequestID != "" {
		s += " (request id " + r.lastRequestID + ")"
	}
	return s
}

// checkRetry decides, after each attempt, whether another attempt is worth it. A final answer
// (success, or an error that another attempt cannot change) is returned whatever the context;
// the context matters only for the decision to wait and retry.
func (r *retrier) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	r.attempts++
	r.lastStatus, r.lastRequestID = 0, ""
	if err == nil && resp != nil {
		r.lastStatus, r.lastRequestID = resp.StatusCode, resp.Header.Get("X-Request-Id")
	}
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return false, ctxErr
		}
		switch {
		case isPermanent(err):
			r.decline(ctx, resp, "permanent connection error")
			return false, nil
		case r.retryAll:
			return r.retryAfterWait(ctx, nil, "connection error")
		case notSent(err):
			return r.retryAfterWait(ctx, nil, "connection could not be opened; the request was not sent")
		}
		r.decline(ctx, resp, "connection error after the request may have been sent; "+r.method+" is not idempotent")
		return false, nil
	}
	switch resp.StatusCode {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
	default:
		return false, nil
	}
	if !r.retryAll {
		r.decline(ctx, resp, r.method+" without Idempotency-Key is not retried")
		return false, nil
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		r.decline(ctx, resp, "the context ended")
		return false, fmt.Errorf("the context ended %s: %w", r.afterLast(), ctxErr)
	}
	return r.retryAfterWait(ctx, resp, "status "+strconv.Itoa(resp.StatusCode))
}

// retryAfterWait chooses the wait before the next attempt (Retry-After, or the policy's backoff)
// and retries unless that wait would end past the server's bound, the context's deadline or the
// policy's MaxElapsed.
func (r *retrier) retryAfterWait(ctx context.Context, resp *http.Response, reason string) (bool, error) {
	wait, asked := retryAfter(resp)
	if asked && wait > MaxRetryAfter {
		r.decline(ctx, resp, "Retry-After is above MaxRetryAfter")
		return false, nil
	}
	if !asked {
		wait = r.api.policy.backoff(r.attempts-r.base-1, r.api.jitter)
	}
	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < wait {
		r.decline(ctx, resp, "the wait would end past the context deadline")
		return false, nil
	}
	if limit := r.api.policy.MaxElapsed; limit > 0 && time.Since(r.start)+wait > limit {
		r.decline(ctx, resp, "the wait would end past RetryPolicy.MaxElapsed")
		return false, nil
	}
	r.reason, r.wait = reason, wait
	return true, nil
}

// backoff computes the wait before the next attempt and logs the decision to retry.
func (r *retrier) backoff(_, _ time.Duration, _ int, resp *http.Response) time.Duration {
	wait := r.wait
	ctx := context.Background()
	if resp != nil && resp.Request != nil {
		ctx = resp.Request.Context()
	}
	r.api.logger.LogAttrs(ctx, slog.LevelDebug, "membrane: retrying",
		slog.String("method", r.method), slog.String("url", r.url), slog.Int("status", status(resp)),
		slog.Int("attempt", r.attempts), slog.String("reason", r.reason), slog.Duration("wait", wait))
	return wait
}

// errorHandler runs when the attempts are used up (or a check failed). It turns the last answer
// into an *Error, its body read and closed, so that the caller sees what the server said.
func (r *retrier) errorHandler(resp *http.Response, err error, n int) (*http.Response, error) {
	r.attempts = r.base + n
	if err == nil && resp != nil {
		r.api.logger.LogAttrs(context.Background(), slog.LevelDebug, "membrane: giving up",
			slog.String("method", r.method), slog.String("url", r.url), slog.Int("status", resp.StatusCode),
			slog.Int("attempt", r.attempts), slog.String("reason", "attempts used up"))
		return nil, newError(resp, r.method, r.url, r.attempts)
	}
	if resp != nil {
		resp.Body.Close()
	}
	return nil, err
}

// decline logs a failure that is not retried.
func (r *retrier) decline(ctx context.Context, resp *http.Response, reason string) {
	r.api.logger.LogAttrs(ctx, slog.LevelDebug, "membrane: not retrying",
		slog.String("method", r.method), slog.String("url", r.url), slog.Int("status", status(resp)),
		slog.Int("attempt", r.attempts), slog.String("reason", reason))
}

// transportError wraps a failure that left no answer to decode: it names the call and the
// number of attempts and keeps the cause for errors.Is (context.Canceled stays matchable).
func (r *retrier) transportError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // its message repeats the URL, possibly with user information
	}
	attempts := r.attempts
	if attempts == 0 { // nothing was sent, e.g. the first token could not be had
		return fmt.Errorf("membrane: %s %s: %w", r.method, r.url, err)
	}
	return fmt.Errorf("membrane: %s %s: %d attempt%s: %w", r.method, r.url, attempts, plural(attempts), err)
}

// notSent reports whether err proves that the request never reached the server.
func notSent(err error) bool {
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return true
	}
	var opErr *net.OpError
	return errors.As(err, &opErr) && opErr.Op == "dial"
}

// isPermanent reports connection errors that another attempt cannot fix: a certificate the
// client does not trust, a redirect to http that it refuses to follow, or a redirect loop.
func isPermanent(err error) bool {
	var (
		unknownAuthority x509.UnknownAuthorityError
		hostname         x509.HostnameError
		invalid          x509.CertificateInvalidError
		verification     *tls.CertificateVerificationError
	)
	return errors.Is(err, ErrInsecureRedirect) || errors.Is(err, errTooManyRedirects) ||
		errors.As(err, &unknownAuthority) || errors.As(err, &hostname) ||
		errors.As(err, &invalid) || errors.As(err, &verification)
}

// retryAfter reads the Retry-After header of a 429 or 503 answer: delay-seconds or an HTTP date.
func retryAfter(resp *http.Response) (time.Duration, bool) {
	if resp == nil {
		return 0, false
	}
	if resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode != http.StatusServiceUnavailable {
		return 0, false
	}
	return parseRetryAfter(resp.Header.Get("Retry-After"))
}

func parseRetryAfter(v string) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		if secs > int64(24*time.Hour/time.Second) {
			secs = int64(24 * time.Hour / time.Second) // keeps the multiplication from overflowing
		}
		return time.Duration(secs) * time.Second, true
	}
	if at, err := http.ParseTime(v); err == nil {
		return max(time.Until(at), 0), true
	}
	return 0, false
}

func status(resp *http.Response) int {
	if resp == nil {
		return 0
	}
	return resp.StatusCode
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
