// Package membrane is a client for the Membrane Management API (org workspaces on the hub) and the
// workspace API (customers and self, reached with a workspace token).
//
// Start with NewClient and a platform token to provision workspaces, then use
// OrgWorkspacesService.Client or NewWorkspaceClient to act inside one of them.
package membrane

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"
)

// Version is the version of this SDK. It is part of the default User-Agent.
const Version = "0.1.0"

// DefaultBaseURL is the public Membrane API endpoint, used when WithBaseURL is not given.
const DefaultBaseURL = "https://api.getmembrane.com"

// APIVersion is the value of the membrane-api-version header sent with every request.
const APIVersion = "2025-10-21"

// DefaultUserAgent is the User-Agent sent when WithUserAgent is not given.
const DefaultUserAgent = "membrane-go/" + Version

// defaultHTTPTimeout bounds one attempt (not the whole call) when the caller brings no http.Client,
// so that a hung connection is retried instead of blocking until the context ends.
const defaultHTTPTimeout = 60 * time.Second

// Client calls the Management API of the hub with a platform user token.
// It is safe for concurrent use. Build it with NewClient.
type Client struct {
	// OrgWorkspaces creates, configures, archives and restores org workspaces.
	OrgWorkspaces *OrgWorkspacesService
	// Instances lists the instances a workspace can be placed on.
	Instances *InstancesService

	api *apiClient
}

// Option configures a Client or a WorkspaceClient. An invalid value makes the constructor
// return an error that names the option.
type Option func(*config) error

// config collects what the options say before a client is built from it.
type config struct {
	baseURL     *url.URL
	httpClient  *http.Client
	tokens      TokenSource
	tokenOption string // the option that set tokens, for conflict and misuse errors
	userAgent   string
	logger      *slog.Logger
	policy      RetryPolicy
}

// NewClient returns a Client for the Management API. It needs WithToken (a platform
// token, "pat-...") or WithTokenSource. It does no network I/O.
func NewClient(opts ...Option) (*Client, error) {
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	switch cfg.tokenOption {
	case "":
		return nil, errors.New("membrane: NewClient: no credentials: give WithToken or WithTokenSource")
	case optWorkspaceCredentials:
		return nil, errors.New("membrane: NewClient: WithWorkspaceCredentials is for NewWorkspaceClient; " +
			"the Management API takes a platform token (WithToken or WithTokenSource)")
	}
	api := newAPIClient(cfg)
	return &Client{
		OrgWorkspaces: &OrgWorkspacesService{api: api},
		Instances:     &InstancesService{api: api},
		api:           api,
	}, nil
}

// BaseURL returns the base URL the client sends its requests to, without user information.
func (c *Client) BaseURL() string { return redactedURL(c.api.baseURL) }

const (
	optToken                = "WithToken"
	optTokenSource          = "WithTokenSource"
	optWorkspaceCredentials = "WithWorkspaceCredentials"
)

func newConfig(opts []Option) (*config, error) {
	base, err := parseBaseURL(DefaultBaseURL)
	if err != nil {
		return nil, fmt.Errorf("membrane: default base URL: %w", err)
	}
	cfg := &config{
		baseURL:    base,
		httpClient: &http.Client{Timeout: defaultHTTPTimeout},
		userAgent:  DefaultUserAgent,
		logger:     slog.New(slog.DiscardHandler),
		policy:     DefaultRetryPolicy(),
	}
	for i, opt := range opts {
		if opt == nil {
			return nil, fmt.Errorf("membrane: option %d is nil", i)
		}
		if err := opt(cfg); err != nil {
			return nil, err
		}
	}
	return cfg, nil
}

// WithBaseURL sets the API base URL (default DefaultBaseURL). A path is kept:
// with "http://host/api" requests go to "http://host/api/org-workspaces". A trailing slash
// is ignored. The scheme must be http or https and the URL must have a host.
func WithBaseURL(rawURL string) Option {
	return func(c *config) error {
		u, err := parseBaseURL(rawURL)
		if err != nil {
			return fmt.Errorf("membrane: WithBaseURL: %w", err)
		}
		c.baseURL = u
		return nil
	}
}

// WithToken authenticates every request with a fixed bearer token: a platform token
// for NewClient, a workspace JWT for NewWorkspaceClient.
func WithToken(token string) Option {
	return func(c *config) error {
		if strings.TrimSpace(token) == "" {
			return errors.New("membrane: WithToken: the token is empty")
		}
		if !validHeaderValue(token) {
			return errors.New("membrane: WithToken: the token holds a control character, such as a line break read with it from a file")
		}
		return c.setTokens(optToken, StaticToken(token))
	}
}

// WithTokenSource authenticates every request with a token asked from ts, once per call.
func WithTokenSource(ts TokenSource) Option {
	return func(c *config) error {
		if ts == nil {
			return errors.New("membrane: WithTokenSource: the token source is nil")
		}
		return c.setTokens(optTokenSource, ts)
	}
}

func (c *config) setTokens(option string, ts TokenSource) error {
	if c.tokenOption != "" {
		return fmt.Errorf("membrane: %s: credentials were already given by %s; give only one", option, c.tokenOption)
	}
	c.tokens, c.tokenOption = ts, option
	return nil
}

// WithHTTPClient makes the client send its requests through hc: its Transport, Timeout (per
// attempt), Jar and redirect policy (CheckRedirect) are used as they are. Retries are layered on
// top of it, and so are three redirect rules: a redirect from https to http is refused
// (ErrInsecureRedirect), so is one that would turn a change into a GET (ErrRedirectChangesMethod),
// and a redirected request that leaves the origin (scheme, host and port)
// of the call loses its Authorization, Cookie and other credential headers. hc is not modified:
// the client uses a copy of it.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *config) error {
		if hc == nil {
			return errors.New("membrane: WithHTTPClient: the http.Client is nil")
		}
		c.httpClient = hc
		return nil
	}
}

// WithUserAgent replaces the User-Agent header (default DefaultUserAgent).
func WithUserAgent(ua string) Option {
	return func(c *config) error {
		if strings.TrimSpace(ua) == "" {
			return errors.New("membrane: WithUserAgent: the user agent is empty")
		}
		if !validHeaderValue(ua) {
			return errors.New("membrane: WithUserAgent: the user agent holds a control character, such as a line break")
		}
		c.userAgent = ua
		return nil
	}
}

// WithLogger sets the logger that receives Debug records about requests and retry decisions.
// The default discards everything. Records never contain tokens or secrets.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return errors.New("membrane: WithLogger: the logger is nil")
		}
		c.logger = l
		return nil
	}
}

// WithRetryPolicy sets how often and how long failed calls are retried.
// Zero fields take the values of DefaultRetryPolicy.
func WithRetryPolicy(p RetryPolicy) Option {
	return func(c *config) error {
		p, err := p.withDefaults()
		if err != nil {
			return fmt.Errorf("membrane: WithRetryPolicy: %w", err)
		}
		c.policy = p
		return nil
	}
}

// parseBaseURL checks a base URL and returns it without a trailing slash.
func parseBaseURL(raw string) (*url.URL, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil, errors.New("the URL is empty")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("cannot parse the URL: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("the scheme must be http or https, not %q", u.Scheme)
	}
	if u.Host == "" {
		return nil, errors.New("the URL has no host")
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return nil, errors.New("the URL must not have a query or a fragment")
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = strings.TrimRight(u.RawPath, "/")
	return u, nil
}

// redactedURL prints u without its user information, so that it is safe for logs and errors.
func redactedURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	c := *u
	c.User = nil
	return c.String()
}

// requireID reports an error, without any I/O, when an identifier argument is empty, is "." or
// "..", which would change the meaning of the path it goes into, or holds a control character.
func requireID(op, name, id string) error {
	switch {
	case strings.TrimSpace(id) == "":
		return fmt.Errorf("membrane: %s: %s is empty", op, name)
	case id == "." || id == "..":
		return fmt.Errorf("membrane: %s: %s is %q, which is not an id", op, name, id)
	case strings.ContainsFunc(id, unicode.IsControl):
		return fmt.Errorf("membrane: %s: %s %q holds a control character", op, name, id)
	}
	return nil
}
