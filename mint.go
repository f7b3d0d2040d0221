package membrane

import (
	"crypto"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// DefaultTokenLifetime is the lifetime of a minted workspace token when WorkspaceClaims.ExpiresIn is 0.
const DefaultTokenLifetime = time.Hour

// WorkspaceClaims describes a workspace token to mint with MintWorkspaceToken, and how to sign it.
// It prints (fmt, every verb) and logs (slog) with its Signer redacted.
type WorkspaceClaims struct {
	// TenantKey names the tenant (customer) the token acts as; empty for a workspace-level token.
	// A tenant key the workspace does not know yet creates that tenant on first use. One of
	// spaces only is refused: it is a customer's internal id.
	TenantKey string
	// Name is the tenant's name when it is created on first use (the "name" claim); empty
	// leaves the claim out.
	Name string
	// Fields are the tenant's custom fields when it is created on first use (the "fields"
	// claim, a JSON object); nil leaves the claim out, an empty map sends {}.
	Fields map[string]any
	// IsAdmin gives a tenant token workspace-level rights.
	IsAdmin bool
	// ExpiresIn is the token's lifetime (default DefaultTokenLifetime).
	ExpiresIn time.Duration
	// Algorithm is the signing algorithm. With the workspace secret: "HS256" (default), "HS384"
	// or "HS512". With Signer, it must fit the key: for RSA "RS256" (default), "RS384",
	// "RS512", "PS256", "PS384" or "PS512"; for ECDSA the one of its curve, which is also the
	// default ("ES256" for P-256, "ES384" for P-384, "ES512" for P-521); for Ed25519 "EdDSA".
	Algorithm string
	// Signer, when set, signs the token with a private key instead of the workspace secret, which
	// must then be empty: an *rsa.PrivateKey, an *ecdsa.PrivateKey, an ed25519.PrivateKey, or
	// any crypto.Signer whose public key is of one of those kinds (a key kept in a KMS, say). The
	// workspace verifies the token with the matching key of its PublicKeys, also when its
	// settings disable secret-signed tokens (WorkspaceSettings.DisableSecretKeyAuth).
	Signer crypto.Signer
	// KeyID is the kid header of a token signed by Signer: the Name of the workspace's public key
	// that verifies it. When empty, the workspace tries each of its keys of the right kind.
	KeyID string
	// Now is the clock for iat and exp (default time.Now). Against a fake with a clock of its own
	// (fake.WithClock), give it the same clock: the fake checks exp against its time, so a token
	// minted with the wall clock may be expired, or not yet expired, there
	// (ExampleMintWorkspaceToken_fakeClock shows it).
	Now func() time.Time
}

// Format prints c like fmt would, with its Signer redacted whatever the verb.
func (c WorkspaceClaims) Format(f fmt.State, verb rune) {
	type plain WorkspaceClaims // the same fields, without this method
	p := plain(c)
	if p.Signer != nil {
		p.Signer = redactedSigner{}
	}
	formatPlain(f, verb, p, "membrane.WorkspaceClaims")
}

// LogValue logs what c asks for, without its fields and with its Signer redacted.
func (c WorkspaceClaims) LogValue() slog.Value {
	attrs := []slog.Attr{
		slog.String("tenantKey", c.TenantKey), slog.String("name", c.Name), slog.Bool("isAdmin", c.IsAdmin),
		slog.Duration("expiresIn", c.ExpiresIn), slog.String("algorithm", c.Algorithm), slog.String("keyId", c.KeyID),
	}
	if c.Signer != nil {
		attrs = append(attrs, slog.String("signer", redacted))
	}
	return slog.GroupValue(attrs...)
}

// redactedSigner stands in for a Signer when WorkspaceClaims are printed.
type redactedSigner struct{}

func (redactedSigner) Public() crypto.PublicKey { return nil }

func (redactedSigner) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) {
	return nil, errors.New("membrane: a redacted signer cannot sign")
}

func (redactedSigner) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, redacted) }

// MintWorkspaceToken signs a workspace token offline: with the workspace key and secret, or, when
// c.Signer is set, with that private key (the secret must then be empty, and c.KeyID names the
// public key in the kid header). The token carries the claims workspaceKey and iss (both the
// key), tenantKey and id (both the tenant key, when given), name, fields, isAdmin (when true),
// iat and exp.
func MintWorkspaceToken(key string, secret Secret, c WorkspaceClaims) (string, error) {
	tok, _, err := mintWorkspaceToken(key, secret, c)
	return tok, err
}

func mintWorkspaceToken(key string, secret Secret, c WorkspaceClaims) (string, time.Time, error) {
	signer, err := c.validate(key, secret)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("membrane: MintWorkspaceToken: %w", err)
	}
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	issued := now().Truncate(time.Second)
	expiry := issued.Add(c.lifetime()).Truncate(time.Second)
	claims := jwt.MapClaims{
		"workspaceKey": key,
		"iss":          key,
		"iat":          issued.Unix(),
		"exp":          expiry.Unix(),
	}
	if c.TenantKey != "" {
		claims["tenantKey"] = c.TenantKey
		claims["id"] = c.TenantKey
	}
	if c.Name != "" {
		claims["name"] = c.Name
	}
	if c.Fields != nil {
		claims["fields"] = maps.Clone(c.Fields)
	}
	if c.IsAdmin {
		claims["isAdmin"] = true
	}
	token := jwt.NewWithClaims(signer.method, claims)
	if c.KeyID != "" {
		token.Header["kid"] = c.KeyID
	}
	signed, err := signer.signedString(token)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("membrane: MintWorkspaceToken: sign with %s: %w", signer.method.Alg(), err)
	}
	return signed, expiry, nil
}

// validate checks the inputs of a mint and returns what signs the token.
func (c WorkspaceClaims) validate(key string, secret Secret) (*tokenSigner, error) {
	if strings.TrimSpace(key) == "" {
		return nil, errors.New("the workspace key is empty")
	}
	if c.TenantKey != "" && strings.TrimSpace(c.TenantKey) == "" {
		return nil, errors.New("TenantKey is spaces only; it is a customer's internal id (leave it empty for a workspace-level token)")
	}
	if c.ExpiresIn < 0 || (c.ExpiresIn > 0 && c.ExpiresIn < time.Second) {
		return nil, fmt.Errorf("ExpiresIn is %s; it must be 0 (default) or at least 1s", c.ExpiresIn)
	}
	switch {
	case c.Signer != nil && secret != "":
		return nil, errors.New("both the workspace secret and a Signer are given; give one: " +
			"the secret signs HS256, HS384 or HS512 tokens, the Signer's private key the others")
	case c.Signer != nil:
		return keySigner(c.Signer, c.Algorithm)
	case secret == "":
		return nil, errors.New("the workspace secret is empty (to sign with a private key instead, set WorkspaceClaims.Signer)")
	case c.KeyID != "":
		return nil, fmt.Errorf("KeyID %q names a public key, but the token is signed with the workspace secret; "+
			"set Signer to sign with the private key, or leave KeyID empty", c.KeyID)
	}
	return secretSigner(secret, c.Algorithm)
}

func (c WorkspaceClaims) lifetime() time.Duration {
	if c.ExpiresIn == 0 {
		return DefaultTokenLifetime
	}
	return c.ExpiresIn
}

// tokenSigner signs tokens with one algorithm and one secret or key.
type tokenSigner struct {
	method jwt.SigningMethod // names the algorithm in the token's header
	sign   func(signingString string) ([]byte, error)
}

// signedString returns the token, signed.
func (s *tokenSigner) signedString(t *jwt.Token) (string, error) {
	head, err := t.SigningString()
	if err != nil {
		return "", err
	}
	sig, err := s.sign(head)
	if err != nil {
		return "", err
	}
	return head + "." + t.EncodeSegment(sig), nil
}

// secretSigner signs with the workspace secret and one of the HMAC algorithms.
func secretSigner(secret Secret, alg string) (*tokenSigner, error) {
	var method jwt.SigningMethod
	switch alg {
	case "", "HS256":
		method = jwt.SigningMethodHS256
	case "HS384":
		method = jwt.SigningMethodHS384
	case "HS512":
		method = jwt.SigningMethodHS512
	default:
		return nil, fmt.Errorf("algorithm %q is not supported with the workspace secret: use HS256, HS384 or HS512, "+
			"or set WorkspaceClaims.Signer to sign with a private key", alg)
	}
	return &tokenSigner{method: method, sign: func(s string) ([]byte, error) {
		return method.Sign(s, []byte(secret.Reveal()))
	}}, nil
}
