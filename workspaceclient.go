package membrane

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"
)

// WorkspaceClient calls the workspace API (customers, self) of one workspace with a workspace
// token. It is safe for concurrent use. Build it with NewWorkspaceClient, or with
// OrgWorkspacesService.Client from a Management API client.
type WorkspaceClient struct {
	// Customers manages the workspace's customers (tenants).
	Customers *CustomersService

	api *apiClient
}

// NewWorkspaceClient returns a client for the workspace API. It needs exactly one of
// WithWorkspaceCredentials (mint tokens offline from the workspace key and secret, or with a
// private key), WithToken (a workspace JWT) or WithTokenSource. WithBaseURL should be the
// instance's apiBaseUri; the hub's URL works too. It does no network I/O.
func NewWorkspaceClient(opts ...Option) (*WorkspaceClient, error) {
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	if cfg.tokenOption == "" {
		return nil, errors.New("membrane: NewWorkspaceClient: no credentials: give WithWorkspaceCredentials, WithToken or WithTokenSource")
	}
	return newWorkspaceClient(newAPIClient(cfg)), nil
}

func newWorkspaceClient(api *apiClient) *WorkspaceClient {
	return &WorkspaceClient{Customers: &CustomersService{api: api}, api: api}
}

// BaseURL returns the base URL the client sends its requests to, without user information.
func (c *WorkspaceClient) BaseURL() string { return redactedURL(c.api.baseURL) }

// WithWorkspaceCredentials makes a WorkspaceClient mint its own tokens offline (see
// MintWorkspaceToken) from the workspace key and secret, and mint a new one shortly before each
// expires. claims.Now, when set, is also the clock of that decision. NewClient refuses this option:
// the Management API takes a platform token.
//
// To sign with a private key instead of the secret, pass an empty secret and set claims.Signer
// (and claims.KeyID, the name of the matching public key of the workspace): such a client does
// not depend on the secret, so a rotation does not affect it, and it keeps working when the
// workspace refuses secret-signed tokens (WorkspaceSettings.DisableSecretKeyAuth).
//
// After the workspace secret is rotated (OrgWorkspacesService.RotateSecret), every call of a
// client that signs with the secret answers ErrNotAuthenticated, at once and without a retry:
// tokens minted with the old secret are refused, and minting again with it cannot help. Build the
// client again with the new secret. (OrgWorkspacesService.Client has no such limit: it asks the
// hub for a new token by itself.)
func WithWorkspaceCredentials(key string, secret Secret, claims WorkspaceClaims) Option {
	claims.Fields = maps.Clone(claims.Fields) // later changes to the caller's map do not leak in
	return func(c *config) error {
		if _, err := claims.validate(key, secret); err != nil {
			return fmt.Errorf("membrane: %s: %w", optWorkspaceCredentials, err)
		}
		tokens := newCachedToken(claims.Now, func(context.Context) (string, time.Time, error) {
			return mintWorkspaceToken(key, secret, claims)
		})
		return c.setTokens(optWorkspaceCredentials, tokens)
	}
}
