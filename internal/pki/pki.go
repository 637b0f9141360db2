// Package pki makes X.509 certificates with one set of template choices,
// shared by the throwaway CA of the tlsdefault command (serve, demo) and the
// test PKI (internal/testpki), so that both issue the same shape of
// certificate.
//
// The choices are mkcert's: subject alternative names sorted by form, the
// extended key usage of the purpose, a Subject Key Identifier (RFC 5280
// method 1) and an Authority Key Identifier, a random 128-bit serial number,
// basic constraints on every certificate, and PKCS #8 for keys. Keys are
// ECDSA P-256 unless the caller brings another: quick to make, and above
// every floor tlsdefault enforces.
//
// The package imports only the standard library; it holds no state.
package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/url"
	"strings"
	"time"
)

// Spec says what certificate to make. The serial number, key identifiers
// and key usage are chosen by [Create].
type Spec struct {
	Subject pkix.Name
	// Names are the subject alternative names, sorted by form as
	// [AddNames] does.
	Names []string
	// CA makes a CA certificate: CA:TRUE, certificate and CRL signing.
	CA bool
	// MaxPathLenZero (with CA) lets the CA issue leaves only.
	MaxPathLenZero bool
	// ExtKeyUsage is the extended key usage; none means the extension is
	// left out (crypto/x509 reads that as any usage).
	ExtKeyUsage []x509.ExtKeyUsage
	// NotBefore and NotAfter bound the validity; both are required (see
	// [ValidFor]).
	NotBefore, NotAfter time.Time
	// SignatureAlgorithm is how the issuer signs; zero is Go's default for
	// the issuer's key.
	SignatureAlgorithm x509.SignatureAlgorithm
}

// ValidFor returns a validity period from one hour ago (to allow for clock
// skew between peers) until d from now.
func ValidFor(d time.Duration) (notBefore, notAfter time.Time) {
	now := time.Now()
	return now.Add(-time.Hour), now.Add(d)
}

// NewKey returns a fresh ECDSA P-256 key.
func NewKey() (*ecdsa.PrivateKey, error) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("pki: generating an ECDSA P-256 key: %w", err)
	}
	return k, nil
}

// Template returns the x509 template for s and the subject key pub: a
// fresh serial number, the Subject Key Identifier of pub, the key usage of
// the purpose (digital signature for leaves, plus key encipherment for RSA
// keys; certificate and CRL signing for CAs) and the sorted names.
func Template(s Spec, pub crypto.PublicKey) (*x509.Certificate, error) {
	if s.NotBefore.IsZero() || s.NotAfter.IsZero() {
		return nil, errors.New("pki: the validity period is not set (see ValidFor)")
	}
	serial, err := Serial()
	if err != nil {
		return nil, err
	}
	skid, err := SubjectKeyID(pub)
	if err != nil {
		return nil, err
	}
	tpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               s.Subject,
		NotBefore:             s.NotBefore,
		NotAfter:              s.NotAfter,
		BasicConstraintsValid: true,
		IsCA:                  s.CA,
		MaxPathLenZero:        s.CA && s.MaxPathLenZero,
		ExtKeyUsage:           append([]x509.ExtKeyUsage(nil), s.ExtKeyUsage...),
		SubjectKeyId:          skid,
		SignatureAlgorithm:    s.SignatureAlgorithm,
	}
	switch {
	case s.CA:
		tpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign
	default:
		tpl.KeyUsage = x509.KeyUsageDigitalSignature
		if _, ok := pub.(*rsa.PublicKey); ok {
			tpl.KeyUsage |= x509.KeyUsageKeyEncipherment
		}
	}
	if err := AddNames(tpl, s.Names); err != nil {
		return nil, err
	}
	return tpl, nil
}

// Create makes the certificate s describes for the key pub, signed by
// issuer with issuerKey, or self-signed with issuerKey when issuer is nil
// (issuerKey is then the key of pub). It returns the parsed certificate.
func Create(s Spec, pub crypto.PublicKey, issuer *x509.Certificate, issuerKey crypto.Signer) (*x509.Certificate, error) {
	tpl, err := Template(s, pub)
	if err != nil {
		return nil, err
	}
	parent := tpl
	if issuer != nil {
		parent = issuer
		tpl.AuthorityKeyId = issuer.SubjectKeyId
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, parent, pub, issuerKey)
	if err != nil {
		return nil, fmt.Errorf("pki: creating the certificate for %q: %w", s.Subject.CommonName, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("pki: parsing the certificate for %q: %w", s.Subject.CommonName, err)
	}
	return cert, nil
}

// Serial returns a random serial number of at most 128 bits whose
// encoding is at least four bytes long (so never zero; callers may use
// its first four bytes in a name).
func Serial() (*big.Int, error) {
	limit := new(big.Int).Lsh(big.NewInt(1), 128)
	for range 64 {
		n, err := rand.Int(rand.Reader, limit)
		if err != nil {
			return nil, fmt.Errorf("pki: serial number: %w", err)
		}
		if len(n.Bytes()) >= 4 {
			return n, nil
		}
	}
	return nil, errors.New("pki: serial number: no usable random number in 64 draws")
}

// SubjectKeyID is the SHA-1 of the subjectPublicKey bit string of pub
// (RFC 5280, section 4.2.1.2, method 1), as mkcert makes it.
func SubjectKeyID(pub crypto.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("pki: subject key identifier: %w", err)
	}
	var spki struct {
		Algorithm pkix.AlgorithmIdentifier
		PublicKey asn1.BitString
	}
	if _, err := asn1.Unmarshal(der, &spki); err != nil {
		return nil, fmt.Errorf("pki: subject key identifier: %w", err)
	}
	sum := sha1.Sum(spki.PublicKey.Bytes)
	return sum[:], nil
}

// AddNames sorts names into the SAN fields of tpl: IP addresses, URIs
// (containing "://", such as "spiffe://td/w"), email addresses (containing
// "@"), and DNS names.
func AddNames(tpl *x509.Certificate, names []string) error {
	for _, n := range names {
		switch {
		case net.ParseIP(n) != nil:
			tpl.IPAddresses = append(tpl.IPAddresses, net.ParseIP(n))
		case strings.Contains(n, "://"):
			u, err := url.Parse(n)
			if err != nil {
				return fmt.Errorf("pki: URI SAN %q: %w", n, err)
			}
			tpl.URIs = append(tpl.URIs, u)
		case strings.Contains(n, "@"):
			tpl.EmailAddresses = append(tpl.EmailAddresses, n)
		default:
			tpl.DNSNames = append(tpl.DNSNames, n)
		}
	}
	return nil
}

// CertPEM encodes certificates (DER) as PEM "CERTIFICATE" blocks, in order.
func CertPEM(ders ...[]byte) []byte {
	var out []byte
	for _, d := range ders {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: d})...)
	}
	return out
}

// KeyPEM encodes key as a PKCS #8 "PRIVATE KEY" PEM block.
func KeyPEM(key crypto.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("pki: encoding the key as PKCS #8: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}
