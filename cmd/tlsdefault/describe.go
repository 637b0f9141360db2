package main

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/tlsdefault/tlsdefault/capool"
)

// Words for what a connection negotiated, shared by get -v, the serve page
// and the demo.

func versionName(v uint16) string { return tls.VersionName(v) }

func suiteName(s uint16) string { return tls.CipherSuiteName(s) }

// groupName names the key exchange group (tls.ConnectionState.CurveID).
func groupName(cs *tls.ConnectionState) string {
	if cs.CurveID == 0 {
		if cs.Version < tls.VersionTLS13 && strings.HasPrefix(suiteName(cs.CipherSuite), "TLS_RSA_") {
			return "none (RSA key exchange, no forward secrecy)"
		}
		return "unknown"
	}
	return cs.CurveID.String()
}

func alpnName(cs *tls.ConnectionState) string {
	if cs.NegotiatedProtocol == "" {
		return "none (HTTP/1.1)"
	}
	return peerText(cs.NegotiatedProtocol)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// keyDescription is "ECDSA P-256", "RSA 2048 bits" or "Ed25519".
func keyDescription(c *x509.Certificate) string {
	switch k := c.PublicKey.(type) {
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA %d bits", k.N.BitLen())
	case *ecdsa.PublicKey:
		return "ECDSA " + k.Curve.Params().Name
	case ed25519.PublicKey:
		return "Ed25519"
	default:
		return c.PublicKeyAlgorithm.String()
	}
}

// certNames lists the SANs of c: DNS names, IP addresses, email addresses
// and URIs.
func certNames(c *x509.Certificate) []string {
	var names []string
	names = append(names, c.DNSNames...)
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	names = append(names, c.EmailAddresses...)
	for _, u := range c.URIs {
		names = append(names, u.String())
	}
	return names
}

// expiry is "2026-03-01 (in 29 days)" or "2024-01-01 (expired 40 days ago)".
func expiry(c *x509.Certificate, now time.Time) string {
	d := c.NotAfter.Sub(now)
	date := c.NotAfter.UTC().Format("2006-01-02 15:04 UTC")
	switch {
	case now.Before(c.NotBefore):
		return fmt.Sprintf("%s (not valid before %s)", date, c.NotBefore.UTC().Format("2006-01-02 15:04 UTC"))
	case d < 0:
		return fmt.Sprintf("%s (expired %s ago)", date, roughDuration(-d))
	default:
		return fmt.Sprintf("%s (in %s)", date, roughDuration(d))
	}
}

func roughDuration(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%d days", int(d.Hours()/24))
	case d >= 2*time.Hour:
		return fmt.Sprintf("%d hours", int(d.Hours()))
	default:
		return fmt.Sprintf("%d minutes", int(d.Minutes()))
	}
}

// verifiedChain returns the chain to show for a connection and how it was
// obtained. The verified chain is in the connection state, except with a
// hashed capath (tlsdefault then verifies in VerifyConnection and
// crypto/tls records no chain): the chain is then built again from the pool.
func verifiedChain(cs *tls.ConnectionState, pool *capool.Pool, host string) ([]*x509.Certificate, string) {
	if len(cs.VerifiedChains) > 0 {
		return cs.VerifiedChains[0], "verified"
	}
	if len(cs.PeerCertificates) == 0 {
		return nil, "none sent"
	}
	if pool != nil {
		chains, err := pool.Verify(cs.PeerCertificates[0], cs.PeerCertificates[1:], x509.VerifyOptions{
			DNSName:   host,
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		})
		if err == nil && len(chains) > 0 {
			return chains[0], "verified"
		}
	}
	return cs.PeerCertificates, "as sent by the peer"
}

// writeConnReport writes the negotiated parameters and the chain, one
// "name: value" line each.
func writeConnReport(w io.Writer, cs *tls.ConnectionState, pool *capool.Pool, host string) {
	fmt.Fprintf(w, "version:      %s\n", versionName(cs.Version))
	fmt.Fprintf(w, "cipher suite: %s\n", suiteName(cs.CipherSuite))
	fmt.Fprintf(w, "key exchange: %s\n", groupName(cs))
	fmt.Fprintf(w, "alpn:         %s\n", alpnName(cs))
	fmt.Fprintf(w, "resumed:      %s\n", yesNo(cs.DidResume))
	if cs.ServerName != "" {
		fmt.Fprintf(w, "server name:  %s\n", peerText(cs.ServerName))
	}
	chain, how := verifiedChain(cs, pool, host)
	fmt.Fprintf(w, "chain (%s):\n", how)
	writeChain(w, chain, time.Now())
}

func writeChain(w io.Writer, chain []*x509.Certificate, now time.Time) {
	for i, c := range chain {
		// Subjects and names are the certificate's: printed escaped.
		fmt.Fprintf(w, "  %d subject: %s\n", i, peerText(c.Subject.String()))
		fmt.Fprintf(w, "    issuer:  %s\n", peerText(c.Issuer.String()))
		fmt.Fprintf(w, "    expires: %s\n", expiry(c, now))
		if names := certNames(c); len(names) > 0 {
			for j, n := range names {
				names[j] = peerText(n)
			}
			fmt.Fprintf(w, "    names:   %s\n", strings.Join(names, ", "))
		}
		fmt.Fprintf(w, "    key:     %s, signed with %s\n", keyDescription(c), c.SignatureAlgorithm)
	}
}
