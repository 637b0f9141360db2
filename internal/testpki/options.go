package testpki

import (
	"crypto/elliptic"
	"crypto/x509"
	"time"
)

// An Option changes how a certificate is generated. Options are accepted by
// [NewCA], [CA.Intermediate] and [CA.Issue]; when two options set the same
// thing the later one wins.
type Option func(*options)

type options struct {
	rsaBits int            // > 0: RSA key of this size
	curve   elliptic.Curve // used when rsaBits == 0; nil means P-256

	sigAlg x509.SignatureAlgorithm // 0: Go's default for the issuer key

	notBefore, notAfter time.Time // zero: defaults

	commonName string

	ekuSet bool
	eku    []x509.ExtKeyUsage

	namesSet bool
	names    []string
}

// RSABits gives the certificate an RSA key of n bits instead of ECDSA P-256.
// RSA keys are cached and shared (see the package doc). n below 1024 needs
// GODEBUG=rsa1024min=0.
func RSABits(n int) Option {
	return func(o *options) { o.rsaBits, o.curve = n, nil }
}

// ECDSACurve gives the certificate an ECDSA key on curve c instead of P-256,
// for example elliptic.P224() for a too-small key or elliptic.P384().
func ECDSACurve(c elliptic.Curve) Option {
	return func(o *options) { o.curve, o.rsaBits = c, 0 }
}

// SignatureAlgorithm sets the algorithm the issuer signs the certificate
// with (for [NewCA], the self-signature). Without it Go picks its default
// for the issuer's key (SHA-256 for RSA and P-256). The algorithm must suit
// the issuer's key: x509.SHA1WithRSA needs an RSA issuer, x509.ECDSAWithSHA1
// an ECDSA one. MD5 is refused by crypto/x509 and fails the test.
func SignatureAlgorithm(a x509.SignatureAlgorithm) Option {
	return func(o *options) { o.sigAlg = a }
}

// Expired makes the certificate valid from 48 hours ago until 24 hours ago.
func Expired() Option {
	return func(o *options) {
		now := time.Now()
		o.notBefore, o.notAfter = now.Add(-48*time.Hour), now.Add(-24*time.Hour)
	}
}

// NotYetValid makes the certificate valid from 24 hours from now until 48
// hours from now.
func NotYetValid() Option {
	return func(o *options) {
		now := time.Now()
		o.notBefore, o.notAfter = now.Add(24*time.Hour), now.Add(48*time.Hour)
	}
}

// Validity sets the validity period. Without it (and without [Expired] or
// [NotYetValid]) a certificate is valid from one hour ago until 24 hours from
// now.
func Validity(notBefore, notAfter time.Time) Option {
	return func(o *options) { o.notBefore, o.notAfter = notBefore, notAfter }
}

// CommonName sets the subject common name. Without it a CA is named
// "tlsdefault test CA <n>" (or "tlsdefault test intermediate CA <n>") and a
// leaf "tlsdefault test leaf <n>", with n unique in the process. Giving two
// CAs the same name makes them indistinguishable to chain building.
func CommonName(cn string) Option {
	return func(o *options) { o.commonName = cn }
}

// ExtKeyUsage replaces the extended key usage. Without it [CA.Server] and
// [CA.Issue] use serverAuth, [CA.Client] clientAuth, and CAs have none.
// ExtKeyUsage() with no arguments omits the extension, which crypto/x509
// treats as "any usage".
func ExtKeyUsage(u ...x509.ExtKeyUsage) Option {
	return func(o *options) { o.ekuSet, o.eku = true, append([]x509.ExtKeyUsage(nil), u...) }
}

// Names sets the subject alternative names, sorted by form: an IP address
// goes to IPAddresses, anything containing "://" (such as "spiffe://td/w") to
// URIs, anything containing "@" to EmailAddresses, and the rest to DNSNames.
// Without it leaves get 127.0.0.1, ::1 and localhost. Names() with no
// arguments gives a certificate with no SANs at all.
func Names(names ...string) Option {
	return func(o *options) { o.namesSet, o.names = true, append([]string(nil), names...) }
}

// WrongHost gives the certificate the single SAN "wrong-host.invalid", so it
// fails hostname verification for localhost, 127.0.0.1, ::1 and any real
// name. It is shorthand for Names("wrong-host.invalid").
func WrongHost() Option {
	return Names("wrong-host.invalid")
}
