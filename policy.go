package tlsdefault

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"

	"github.com/tlsdefault/tlsdefault/internal"
)

// checkChain applies the chain policy to one verified chain (leaf first,
// trust anchor last): every key, the anchor's included, must meet the size
// floor, and no certificate but the anchor may carry a SHA-1 signature (the
// anchor is trusted as configured; its own signature is never checked, by
// OpenSSL or by crypto/x509).
//
// minRSA is the RSA floor: internal.MinRSABits, or what legacy mode
// chooses for a peer in its scope.
func checkChain(peer string, chain []*x509.Certificate, minRSA int) error {
	for i, c := range chain {
		if r := internal.CheckKeyMin(c.PublicKey, minRSA); r != "" {
			rule := RuleKeyType
			switch c.PublicKey.(type) {
			case *rsa.PublicKey:
				rule = RuleRSAKeySize
			case *ecdsa.PublicKey:
				rule = RuleECKeySize
			}
			return &PolicyError{Peer: peer, Index: i, Cert: c, Rule: rule, Reason: r}
		}
		if internal.IsSHA1(c.SignatureAlgorithm) && i != len(chain)-1 {
			return &PolicyError{Peer: peer, Index: i, Cert: c, Rule: RuleSHA1Signature, Reason: "it is signed with SHA-1 (" + c.SignatureAlgorithm.String() + "), which is no longer collision resistant"}
		}
	}
	return nil
}

// checkChains accepts when at least one verified chain meets the policy,
// and otherwise returns the first chain's refusal.
func checkChains(peer string, chains [][]*x509.Certificate, minRSA int) error {
	var first error
	for _, ch := range chains {
		err := checkChain(peer, ch, minRSA)
		if err == nil {
			return nil
		}
		if first == nil {
			first = err
		}
	}
	return first
}
