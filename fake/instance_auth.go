package fake

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// maxTokenBytes bounds the size of a workspace token the instance will parse.
const maxTokenBytes = 16 << 10

// tokenLeeway is the clock skew allowed on exp.
const tokenLeeway = 30 * time.Second

// tokenInfo is what a verified workspace token says.
type tokenInfo struct {
	tenantKey string
	name      string
	fields    json.RawMessage
	isAdmin   bool
}

func newTokenParser(now func() time.Time) *jwt.Parser {
	return jwt.NewParser(
		jwt.WithLeeway(tokenLeeway),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(now),
	)
}

// errTokenRefused carries the reason a token's key lookup refused it.
type errTokenRefused struct{ reason string }

func (e *errTokenRefused) Error() string { return e.reason }

// authenticate verifies the workspace token of r with the secret of the workspace it names and
// returns that workspace and the token's claims. A token that names an unknown tenant creates
// that tenant. On success the workspace's access lock is held for reading: the caller releases it
// once the request is served.
func (in *instance) authenticate(r *http.Request) (*workspace, *tokenInfo, *apiError) {
	raw := bearer(r)
	if raw == "" {
		return nil, nil, errNotAuthenticated("missing bearer token: send Authorization: Bearer <workspace token>")
	}
	if len(raw) > maxTokenBytes {
		return nil, nil, errNotAuthenticated("token is too large")
	}
	var ws *workspace
	claims := jwt.MapClaims{}
	ok := false
	defer func() {
		if ws != nil && !ok {
			ws.access.RUnlock()
		}
	}()
	_, err := in.parser.ParseWithClaims(raw, claims, func(t *jwt.Token) (any, error) {
		key, reason := workspaceKeyOf(claims)
		if reason != "" {
			return nil, &errTokenRefused{reason}
		}
		ws = in.workspace(key)
		if ws == nil {
			return nil, &errTokenRefused{"token names a workspace this instance does not host"}
		}
		ws.access.RLock() // until the request is served: see workspace.access
		ws.mu.RLock()
		secret, archived, keys := ws.secret, ws.archivedAt != nil, ws.keys
		noSecret := ws.cfg.Settings["disableSecretKeyAuth"]
		var prev []byte
		if ws.prevSecret != nil && in.env.now().Before(ws.prevUntil) {
			prev = ws.prevSecret
		}
		ws.mu.RUnlock()
		if archived {
			return nil, &errTokenRefused{"the workspace of this token is archived"}
		}
		switch alg := t.Method.Alg(); alg {
		case "HS256", "HS384", "HS512":
			if noSecret {
				return nil, &errTokenRefused{"this workspace refuses secret-signed tokens (disableSecretKeyAuth): sign with a registered public key"}
			}
			if prev != nil { // within the grace period of a rotation, either secret verifies
				return jwt.VerificationKeySet{Keys: []jwt.VerificationKey{secret, prev}}, nil
			}
			return secret, nil
		case "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA":
			kid, _ := t.Header["kid"].(string)
			set := publicKeysFor(keys, alg, kid)
			if len(set.Keys) == 0 {
				return nil, &errTokenRefused{"no public key of the workspace fits this token's algorithm " + alg}
			}
			return set, nil
		default:
			return nil, &errTokenRefused{"token algorithm " + alg + " is not accepted"}
		}
	})
	if err != nil {
		return nil, nil, errNotAuthenticated(tokenProblem(err))
	}
	tok, reason := readTokenClaims(claims)
	if reason != "" {
		return nil, nil, errNotAuthenticated(reason)
	}
	if tok.tenantKey != "" {
		if aerr := in.ensureTenant(ws, tok); aerr != nil {
			return nil, nil, aerr
		}
	}
	ok = true
	return ws, tok, nil
}

// workspaceKeyOf reads the workspace a token names, from workspaceKey or the legacy iss.
func workspaceKeyOf(c jwt.MapClaims) (string, string) {
	cur, curSet := c["workspaceKey"]
	leg, legSet := c["iss"]
	curKey, ok1 := cur.(string)
	legKey, ok2 := leg.(string)
	switch {
	case curSet && !ok1, legSet && !ok2:
		return "", "token claims workspaceKey and iss must be strings"
	case curSet && legSet && curKey != legKey:
		return "", "token claims workspaceKey and iss name different workspaces"
	case curKey != "":
		return curKey, ""
	case legKey != "":
		return legKey, ""
	}
	return "", "token names no workspace: set workspaceKey (or iss)"
}

// readTokenClaims reads the tenant and its details, from tenantKey or the legacy id.
func readTokenClaims(c jwt.MapClaims) (*tokenInfo, string) {
	tok := &tokenInfo{}
	cur, curSet := c["tenantKey"]
	leg, legSet := c["id"]
	curKey, ok1 := cur.(string)
	legKey, ok2 := leg.(string)
	switch {
	case curSet && !ok1, legSet && !ok2:
		return nil, "token claims tenantKey and id must be strings"
	case curSet && legSet && curKey != legKey:
		return nil, "token claims tenantKey and id name different tenants"
	}
	tok.tenantKey = curKey
	if tok.tenantKey == "" {
		tok.tenantKey = legKey
	}
	if tok.tenantKey != "" && strings.TrimSpace(tok.tenantKey) == "" {
		// It would be a customer's internal id, which has a character other than a space.
		return nil, "token claim tenantKey (or id) must not be spaces only"
	}
	if v, ok := c["name"]; ok {
		if tok.name, ok = v.(string); !ok {
			return nil, "token claim name must be a string"
		}
	}
	if v, ok := c["isAdmin"]; ok {
		if tok.isAdmin, ok = v.(bool); !ok {
			return nil, "token claim isAdmin must be a boolean"
		}
	}
	if v, ok := c["fields"]; ok && v != nil {
		if _, ok := v.(map[string]any); !ok {
			return nil, "token claim fields must be an object"
		}
		tok.fields, _ = json.Marshal(v)
	}
	return tok, ""
}

// tokenProblem says why a token was refused, without repeating the token.
func tokenProblem(err error) string {
	var refused *errTokenRefused
	switch {
	case errors.As(err, &refused):
		return refused.reason
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return "token has no exp claim"
	case errors.Is(err, jwt.ErrTokenExpired):
		return "token is expired"
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return "token is not valid yet"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return "token signature does not verify with the workspace's secret or public keys"
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		return "token algorithm is not accepted"
	case errors.Is(err, jwt.ErrTokenInvalidClaims):
		return "token claims are invalid"
	}
	return "token is malformed"
}
