package internal

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"fmt"
)

// CheckKey returns why a public key is too weak, or "" when it is fine.
func CheckKey(pub any) string {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if n := k.N.BitLen(); n < MinRSABits {
			return fmt.Sprintf("RSA key of %d bits is below the %d-bit minimum", n, MinRSABits)
		}
	case *ecdsa.PublicKey:
		if n := k.Curve.Params().BitSize; n < MinECBits {
			return fmt.Sprintf("EC key on %s (%d bits) is below the %d-bit minimum", k.Curve.Params().Name, n, MinECBits)
		}
	case ed25519.PublicKey:
	default:
		return fmt.Sprintf("unsupported public key type %T", pub)
	}
	return ""
}

// IsSHA1 reports whether a is a signature algorithm with SHA-1.
func IsSHA1(a x509.SignatureAlgorithm) bool {
	return a == x509.SHA1WithRSA || a == x509.ECDSAWithSHA1 || a == x509.DSAWithSHA1
}
