package internal

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"fmt"
)

// PolicyError reports a certificate in a verified chain that the chain
// policy (OpenSSL's security level 2, as Python uses it) refuses even though
// its signatures check out.
type PolicyError struct {
	// Peer is "server" or "client": whose chain it is.
	Peer string
	// Index is the position in the chain: 0 is the leaf.
	Index int
	// Cert is the refused certificate.
	Cert *x509.Certificate
	// Reason says what is wrong with it, in plain words.
	Reason string
}

func (e *PolicyError) Error() string {
	role := "leaf"
	if e.Index > 0 {
		role = fmt.Sprintf("chain certificate %d", e.Index)
	}
	return fmt.Sprintf("tlsdefault: %s's %s %q refused: %s", e.Peer, role, e.Cert.Subject.String(), e.Reason)
}

// CheckKey returns why a public key is too weak, or "" when it is fine.
func CheckKey(pub any) string { return checkKey(pub, MinRSABits) }

// checkKey is CheckKey with an RSA floor of minRSA bits.
func checkKey(pub any, minRSA int) string {
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

func isSHA1(a x509.SignatureAlgorithm) bool {
	return a == x509.SHA1WithRSA || a == x509.ECDSAWithSHA1 || a == x509.DSAWithSHA1
}

// CheckChain applies the chain policy to one verified chain (leaf first,
// trust anchor last): every key, the anchor's included, must meet the size
// floor, and no certificate but the anchor may carry a SHA-1 signature (the
// anchor is trusted as configured; its own signature is never checked, by
// OpenSSL or by crypto/x509). minRSA is the RSA floor: MinRSABits, or
// what legacy mode chooses for a peer in its scope.
func CheckChain(peer string, chain []*x509.Certificate, minRSA int) error {
	for i, c := range chain {
		if r := checkKey(c.PublicKey, minRSA); r != "" {
			return &PolicyError{Peer: peer, Index: i, Cert: c, Reason: r}
		}
		if isSHA1(c.SignatureAlgorithm) && i != len(chain)-1 {
			return &PolicyError{Peer: peer, Index: i, Cert: c, Reason: "it is signed with SHA-1 (" + c.SignatureAlgorithm.String() + "), which is no longer collision resistant"}
		}
	}
	return nil
}

// CheckChains accepts when at least one verified chain meets the policy,
// and otherwise returns the first chain's refusal.
func CheckChains(peer string, chains [][]*x509.Certificate, minRSA int) error {
	var first error
	for _, ch := range chains {
		err := CheckChain(peer, ch, minRSA)
		if err == nil {
			return nil
		}
		if first == nil {
			first = err
		}
	}
	return first
}
