package membrane

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// TokenSource supplies the bearer token of each call. Implementations must be safe for
// concurrent use; they may cache and refresh tokens.
type TokenSource interface {
	Token(ctx context.Context) (string, error)
}

// TokenSourceFunc adapts a function to a TokenSource.
type TokenSourceFunc func(ctx context.Context) (string, error)

// Token calls f.
func (f TokenSourceFunc) Token(ctx context.Context) (string, error) { return f(ctx) }

// StaticToken returns a TokenSource that always supplies token.
func StaticToken(token string) TokenSource {
	return staticToken(func() string { return token })
}

// staticToken keeps its token inside a closure: fmt walks the unexported fields of a value it
// prints without calling their methods, but it prints a func only as an address.
type staticToken func() string

// Token returns the fixed token.
func (s staticToken) Token(context.Context) (string, error) { return s(), nil }

// Format keeps fmt from printing the token when the source itself is printed.
func (s staticToken) Format(f fmt.State, _ rune) {
	_, _ = io.WriteString(f, "StaticToken("+redacted+")")
}

// tokenRefreshMargin is how long before its expiry a cached token is replaced.
const tokenRefreshMargin = time.Minute

// cachedToken reuses a token until shortly before it expires, then fetches a new one. Only one
// fetch runs at a time; callers waiting for it give up when their context ends.
type cachedToken struct {
	fetch func(ctx context.Context) (token string, expiry time.Time, err error)
	now   func() time.Time

	sem       chan struct{} // a one-slot lock that a context can abandon
	token     Secret
	refreshAt time.Time // zero: do not reuse the token
}

func newCachedToken(now func() time.Time, fetch func(context.Context) (string, time.Time, error)) *cachedToken {
	if now == nil {
		now = time.Now
	}
	return &cachedToken{fetch: fetch, now: now, sem: make(chan struct{}, 1)}
}

// Format keeps fmt from printing the cached token.
func (c *cachedToken) Format(f fmt.State, _ rune) {
	_, _ = io.WriteString(f, "cachedToken("+redacted+")")
}

// Token returns the cached token, or fetches a new one when it is missing or about to expire.
// A token whose expiry is unknown is not reused.
func (c *cachedToken) Token(ctx context.Context) (string, error) {
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	defer func() { <-c.sem }()

	now := c.now()
	if c.token != "" && now.Before(c.refreshAt) {
		return c.token.Reveal(), nil
	}
	tok, expiry, err := c.fetch(ctx)
	if err != nil {
		return "", err
	}
	c.token, c.refreshAt = Secret(tok), time.Time{}
	if !expiry.IsZero() {
		// Refresh a minute early, or halfway through the life of a short-lived token.
		margin := min(tokenRefreshMargin, expiry.Sub(now)/2)
		c.refreshAt = expiry.Add(-margin)
	}
	return tok, nil
}

// drop forgets token if it is still the cached one, so that the next Token fetches a new one. A
// token already replaced (by a caller that was refused at the same time) is left alone.
func (c *cachedToken) drop(ctx context.Context, token string) error {
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-c.sem }()
	if c.token.Reveal() == token {
		c.token, c.refreshAt = "", time.Time{}
	}
	return nil
}

// renewable is a token source that can replace a token the server refused with one it may
// accept. apiClient.do asks it once per call, on a 401.
type renewable interface {
	invalidate(ctx context.Context, token string) error
}

// renewableToken is a cachedToken whose fetch asks the hub for a token, which the hub signs with
// the workspace's current secret: after a rotation, a new token works where the cached one is
// refused. (A token minted offline from a known secret is not renewable: minting again with the
// same secret cannot help.)
type renewableToken struct {
	*cachedToken
}

// invalidate drops token from the cache.
func (r renewableToken) invalidate(ctx context.Context, token string) error {
	return r.drop(ctx, token)
}

// jwtExpiry reads the exp claim of a JWT without verifying it. It returns the zero time when the
// token is not a JWT or has no exp.
func jwtExpiry(token string) time.Time {
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(token, claims); err != nil {
		return time.Time{}
	}
	exp, err := claims.GetExpirationTime()
	if err != nil || exp == nil {
		return time.Time{}
	}
	return exp.Time
}
