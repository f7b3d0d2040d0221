package membrane

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"reflect"

	"github.com/golang-jwt/jwt/v5"
)

// rsaAlgorithms are the algorithms an RSA key signs (RS256 is the default).
var rsaAlgorithms = map[string]struct {
	method jwt.SigningMethod
	hash   crypto.Hash
	pss    bool
}{
	"RS256": {jwt.SigningMethodRS256, crypto.SHA256, false},
	"RS384": {jwt.SigningMethodRS384, crypto.SHA384, false},
	"RS512": {jwt.SigningMethodRS512, crypto.SHA512, false},
	"PS256": {jwt.SigningMethodPS256, crypto.SHA256, true},
	"PS384": {jwt.SigningMethodPS384, crypto.SHA384, true},
	"PS512": {jwt.SigningMethodPS512, crypto.SHA512, true},
}

// keySigner signs with the private key of s, with alg, or the key's default algorithm when alg is
// empty. It works with any crypto.Signer, so a key that never leaves a KMS or an HSM can sign.
func keySigner(s crypto.Signer, alg string) (*tokenSigner, error) {
	if v := reflect.ValueOf(s); v.Kind() == reflect.Pointer && v.IsNil() {
		return nil, fmt.Errorf("the Signer is a nil %T", s)
	}
	switch k := s.(type) {
	case ed25519.PrivateKey:
		if len(k) != ed25519.PrivateKeySize {
			return nil, fmt.Errorf("the Ed25519 private key has %d bytes; it must have %d", len(k), ed25519.PrivateKeySize)
		}
	case *ed25519.PrivateKey:
		if len(*k) != ed25519.PrivateKeySize {
			return nil, fmt.Errorf("the Ed25519 private key has %d bytes; it must have %d", len(*k), ed25519.PrivateKeySize)
		}
	}
	switch pub := s.Public().(type) {
	case *rsa.PublicKey:
		if alg == "" {
			alg = "RS256"
		}
		a, ok := rsaAlgorithms[alg]
		if !ok {
			return nil, fmt.Errorf("algorithm %q does not fit an RSA key: use RS256 (default), RS384, RS512, PS256, PS384 or PS512", alg)
		}
		var opts crypto.SignerOpts = a.hash
		if a.pss {
			opts = &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: a.hash}
		}
		return &tokenSigner{method: a.method, sign: func(head string) ([]byte, error) {
			return s.Sign(rand.Reader, digest(a.hash, head), opts)
		}}, nil
	case *ecdsa.PublicKey:
		method, hash, size, err := ecdsaAlgorithm(pub.Curve, alg)
		if err != nil {
			return nil, err
		}
		return &tokenSigner{method: method, sign: func(head string) ([]byte, error) {
			der, err := s.Sign(rand.Reader, digest(hash, head), hash)
			if err != nil {
				return nil, err
			}
			return joseECDSA(der, size)
		}}, nil
	case ed25519.PublicKey:
		if alg != "" && alg != "EdDSA" {
			return nil, fmt.Errorf("algorithm %q does not fit an Ed25519 key: use EdDSA (default)", alg)
		}
		return &tokenSigner{method: jwt.SigningMethodEdDSA, sign: func(head string) ([]byte, error) {
			return s.Sign(rand.Reader, []byte(head), crypto.Hash(0))
		}}, nil
	case nil:
		return nil, errors.New("the Signer has no public key")
	default:
		return nil, fmt.Errorf("a Signer whose public key is a %T is not supported: use an RSA, ECDSA or Ed25519 key", pub)
	}
}

// ecdsaAlgorithm returns the algorithm of an ECDSA curve, its hash and the byte size of r and s,
// and checks that alg (when given) is that algorithm.
func ecdsaAlgorithm(curve elliptic.Curve, alg string) (jwt.SigningMethod, crypto.Hash, int, error) {
	var (
		method jwt.SigningMethod
		hash   crypto.Hash
	)
	switch curve {
	case elliptic.P256():
		method, hash = jwt.SigningMethodES256, crypto.SHA256
	case elliptic.P384():
		method, hash = jwt.SigningMethodES384, crypto.SHA384
	case elliptic.P521():
		method, hash = jwt.SigningMethodES512, crypto.SHA512
	default:
		return nil, 0, 0, errors.New("the ECDSA key's curve is not supported: use P-256 (ES256), P-384 (ES384) or P-521 (ES512)")
	}
	if alg != "" && alg != method.Alg() {
		return nil, 0, 0, fmt.Errorf("algorithm %q does not fit an ECDSA %s key: use %s (default)",
			alg, curve.Params().Name, method.Alg())
	}
	return method, hash, (curve.Params().BitSize + 7) / 8, nil
}

func digest(h crypto.Hash, s string) []byte {
	w := h.New()
	w.Write([]byte(s))
	return w.Sum(nil)
}

// joseECDSA turns an ASN.1 ECDSA signature, as crypto.Signer returns it, into the form of JWS:
// r and s as big-endian numbers of size bytes each, one after the other.
func joseECDSA(der []byte, size int) ([]byte, error) {
	var sig struct{ R, S *big.Int }
	rest, err := asn1.Unmarshal(der, &sig)
	if err != nil || len(rest) > 0 || sig.R == nil || sig.S == nil {
		return nil, errors.New("the Signer returned an ECDSA signature that is not ASN.1 (r, s)")
	}
	if sig.R.Sign() < 0 || sig.S.Sign() < 0 || sig.R.BitLen() > size*8 || sig.S.BitLen() > size*8 {
		return nil, errors.New("the Signer returned an ECDSA signature too large for its curve")
	}
	out := make([]byte, 2*size)
	sig.R.FillBytes(out[:size])
	sig.S.FillBytes(out[size:])
	return out, nil
}
