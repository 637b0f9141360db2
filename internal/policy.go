package internal

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"fmt"
)

// CheckKey returns why a public key is too weak, or "" when it is fine.
func CheckKey(pub any) string { return CheckKeyMin(pub, MinRSABits) }

// CheckKeyMin is CheckKey with an RSA floor of minRSA bits (legacy mode
// lowers it for a peer in its scope).
func CheckKeyMin(pub any, minRSA int) string {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if n := k.N.BitLen(); n < minRSA {
			return fmt.Sprintf("RSA key of %d bits is below the %d-bit minimum", n, minRSA)
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
