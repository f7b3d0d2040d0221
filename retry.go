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
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// RetryPolicy says how often and how long a failed call is retried.
//
// Which calls are retried does not depend on the policy. The rule is that a retry can never cause
// a second effect: reads (GET) are idempotent by nature, and every change (POST, PATCH, PUT and
// DELETE: creates, updates, archive, restore, access-token, rotate-secret) carries an
// Idempotency-Key made once per call and reused by all its attempts, so the server does it once
// and answers every attempt as it answered the first, even when another client changed the
// object between two attempts.
// Every call is therefore retried on connection errors, on answers cut short (a body that breaks
// off, is reset or times out: the request may have been done, and its repeat under the same key
// returns what was done) and on the statuses 429, 500, 502, 503 and 504. Other answers are final
// and returned as they are, even when the context has just ended: the context only decides
// whether to wait and retry.
//
// MaxAttempts bounds the requests that reach the wire: the client never lets net/http's Transport
// send a request again by itself (it would, on a kept-alive connection the server closed, for a
// request with an Idempotency-Key), so the server sees at most Error.Attempts (or
// Response.Attempts) requests, numbered 1, 2, 3... in X-Membrane-Attempt (fewer when an attempt
// could not reach it, such as a refused connection).
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
//
// The attempts are made by github.com/hashicorp/go-retryablehttp, with this package's own rules
// in its hooks (which failures, how long to wait, the last answer's error), never its defaults.
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

// prepareAttempt is go-retryablehttp's RequestLogHook, called just before each attempt is
// sent: it numbers the attempt and authorizes it with the token authorize got for it.
func (x *exchange) prepareAttempt(_ retryablehttp.Logger, req *http.Request, i int) {
	if i > 0 {
		// A retry is a shallow copy of the request before it, whose header map it shares.
		req.Header = req.Header.Clone()
	}
	x.attempts++
	req.Header[attemptHeader] = []string{strconv.Itoa(x.attempts)}
	req.Header["Authorization"] = []string{"Bearer " + x.token}
}

// prepareRetry is go-retryablehttp's PrepareRetry: it gets a token for the next attempt afresh,
// as a long wait may outlive a cached token. A failure ends the call with the facts of the
// answer that led to the retry.
func (x *exchange) prepareRetry(req *http.Request) error {
	if err := x.authorize(req.Context()); err != nil {
		x.stop = err
		return err
	}
	return nil
}

// checkRetry is go-retryablehttp's CheckRetry, called after each attempt. It reads the answer
// whole: a 2xx body is kept in x.raw, and a failure (a connection
// error, an answer cut short, an error status) becomes x.failure, after which checkRetry decides
// whether another attempt is worth it. A final answer (success, or an error that another attempt
// cannot change) is returned whatever the context; the context matters only for the decision to
// wait and retry.
func (x *exchange) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	x.raw = nil
	x.failure = x.read(ctx, resp, err)
	if x.failure == nil {
		return false, nil
	}
	if x.failure.noResponse && takesKey(x.method) && !notSent(x.failure.Err) {
		x.maybeApplied = true // whatever the next attempts answer, this one may have made the change
	}
	if x.failure.StatusCode == http.StatusUnauthorized && x.canRenew {
		return false, nil // run renews the token
	}
	wait, reason, retry := x.decide(ctx, x.failure)
	if retry && x.attempts >= x.limit {
		retry, reason = false, "attempts used up"
	}
	if !retry {
		x.log(ctx, slog.LevelDebug, "membrane: not retrying", x.failure, reason, 0)
		return false, nil
	}
	x.log(ctx, slog.LevelDebug, "membrane: retrying", x.failure, reason, wait)
	x.wait = wait
	return true, nil
}

// backoff is go-retryablehttp's Backoff: the wait that checkRetry chose.
func (x *exchange) backoff(_, _ time.Duration, _ int, _ *http.Response) time.Duration {
	return x.wait
}

// giveUp is go-retryablehttp's ErrorHandler, called when a round of attempts ends without
// success. It returns the last answer as it is, instead of go-retryablehttp's generic error:
// checkRetry has made x.failure from it already, with the server's own words, and run reports
// that.
func (x *exchange) giveUp(resp *http.Response, _ error, _ int) (*http.Response, error) {
	return resp, nil
}

// decide says whether a failed attempt is worth another one, after which wait and why.
func (x *exchange) decide(ctx context.Context, e *Error) (time.Duration, string, bool) {
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
			e.addCause(ctxErr)
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
	if p.MaxElapsed > 0 && time.Since(x.start)+wait > p.MaxElapsed {
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
// client does not trust, a redirect it refuses to follow (to http, or to another method), or a
// redirect loop.
func isPermanent(err error) bool {
	var (
		unknownAuthority x509.UnknownAuthorityError
		hostname         x509.HostnameError
		invalid          x509.CertificateInvalidError
		verification     *tls.CertificateVerificationError
	)
	return errors.Is(err, ErrInsecureRedirect) || errors.Is(err, ErrRedirectChangesMethod) || errors.Is(err, errTooManyRedirects) ||
		errors.As(err, &unknownAuthority) || errors.As(err, &hostname) ||
		errors.As(err, &invalid) || errors.As(err, &verification)
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

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
