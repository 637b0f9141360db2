package tlsdefault

import (
	"crypto/x509"
	"errors"
	"strings"
	"testing"

	"github.com/tlsdefault/tlsdefault/internal"
	"github.com/tlsdefault/tlsdefault/internal/testpki"
)

func TestCheckChain(t *testing.T) {
	rsaRoot := testpki.NewCA(t, testpki.RSABits(2048))
	sha1Root := testpki.NewCA(t, testpki.RSABits(2048), testpki.SignatureAlgorithm(x509.SHA1WithRSA))
	weakRoot := testpki.NewCA(t, testpki.RSABits(1024))
	sha1Inter := rsaRoot.Intermediate(t, testpki.SignatureAlgorithm(x509.SHA1WithRSA))
	tests := []struct {
		name  string
		chain []*x509.Certificate
		index int // -1: accepted
		rule  PolicyRule
		why   string
	}{
		{"good", []*x509.Certificate{rsaRoot.Server(t).Cert, rsaRoot.Cert}, -1, 0, ""},
		{"sha1-self-signed-anchor", []*x509.Certificate{sha1Root.Issue(t, testpki.SignatureAlgorithm(x509.SHA256WithRSA)).Cert, sha1Root.Cert}, -1, 0, ""},
		{"sha1-leaf", []*x509.Certificate{rsaRoot.Issue(t, testpki.SignatureAlgorithm(x509.SHA1WithRSA)).Cert, rsaRoot.Cert}, 0, RuleSHA1Signature, "SHA-1"},
		{"sha1-intermediate", []*x509.Certificate{sha1Inter.Server(t).Cert, sha1Inter.Cert, rsaRoot.Cert}, 1, RuleSHA1Signature, "SHA-1"},
		{"rsa1024-leaf", []*x509.Certificate{rsaRoot.Issue(t, testpki.RSABits(1024)).Cert, rsaRoot.Cert}, 0, RuleRSAKeySize, "1024 bits"},
		{"rsa1024-root", []*x509.Certificate{weakRoot.Server(t).Cert, weakRoot.Cert}, 1, RuleRSAKeySize, "1024 bits"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkChain("server", tt.chain, internal.MinRSABits)
			if tt.index < 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var pe *PolicyError
			if !errors.As(err, &pe) || pe.Index != tt.index || pe.Rule != tt.rule || !strings.Contains(err.Error(), tt.why) || !strings.HasPrefix(err.Error(), "tlsdefault: server's ") {
				t.Fatalf("got %v, want index %d, rule %v and %q", err, tt.index, tt.rule, tt.why)
			}
		})
	}
	// One good chain among several is enough.
	good := []*x509.Certificate{rsaRoot.Server(t).Cert, rsaRoot.Cert}
	bad := []*x509.Certificate{rsaRoot.Issue(t, testpki.RSABits(1024)).Cert, rsaRoot.Cert}
	if err := checkChains("server", [][]*x509.Certificate{bad, good}, internal.MinRSABits); err != nil {
		t.Fatal(err)
	}
	if err := checkChains("server", [][]*x509.Certificate{bad}, internal.MinRSABits); err == nil {
		t.Fatal("bad chain accepted")
	}
}
