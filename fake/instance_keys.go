package fake

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"

	"github.com/golang-jwt/jwt/v5"
)

// verifyKey is a workspace public key, parsed once when the configuration changes.
type verifyKey struct {
	name string
	key  crypto.PublicKey
}

// parsePublicKeys parses the PEM public keys of a configuration. Keys were checked when they
// were accepted, so one that does not parse is skipped.
func parsePublicKeys(keys []publicKey) []verifyKey {
	out := make([]verifyKey, 0, len(keys))
	for _, k := range keys {
		block, _ := pem.Decode([]byte(k.PublicKey))
		if block == nil {
			continue
		}
		pub, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			rsaPub, rerr := x509.ParsePKCS1PublicKey(block.Bytes)
			if rerr != nil {
				continue
			}
			pub = rsaPub
		}
		out = append(out, verifyKey{name: k.Name, key: pub})
	}
	return out
}

// publicKeysFor returns the keys that may verify a token signed with alg: those of the
// algorithm's kind, and only the one named kid when the token names one.
func publicKeysFor(keys []verifyKey, alg, kid string) jwt.VerificationKeySet {
	var set jwt.VerificationKeySet
	for _, k := range keys {
		if kid != "" && k.name != kid {
			continue
		}
		var fits bool
		switch k.key.(type) {
		case *rsa.PublicKey:
			fits = alg[:2] == "RS" || alg[:2] == "PS"
		case *ecdsa.PublicKey:
			fits = alg[:2] == "ES"
		case ed25519.PublicKey:
			fits = alg == "EdDSA"
		}
		if fits {
			set.Keys = append(set.Keys, k.key)
		}
	}
	return set
}
