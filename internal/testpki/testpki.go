package testpki

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// A CA is a certificate authority: a self-signed root from [NewCA] or an
// intermediate from [CA.Intermediate].
type CA struct {
	Cert   *x509.Certificate
	Key    crypto.Signer
	Parent *CA // the issuing CA; nil for a root
}

// A Leaf is an end-entity certificate and its key.
type Leaf struct {
	Cert *x509.Certificate
	Key  crypto.Signer
	// Chain holds the intermediates that issued Cert, nearest first, up to
	// but excluding the root. It is empty for a leaf issued by a root.
	Chain []*x509.Certificate
}

// serialCounter makes default common names unique within the process.
var serialCounter atomic.Uint64

// defaultNames are the SANs a leaf gets when no names are given.
var defaultNames = []string{"127.0.0.1", "::1", "localhost"}

// NewCA returns a new self-signed root CA. All options apply; the useful
// ones are [RSABits], [ECDSACurve], [SignatureAlgorithm] (for the
// self-signature), [Expired], [NotYetValid], [Validity] and [CommonName].
func NewCA(t testing.TB, opts ...Option) *CA {
	t.Helper()
	o := collect(opts)
	if o.commonName == "" {
		o.commonName = fmt.Sprintf("tlsdefault test CA %d", serialCounter.Add(1))
	}
	cert, key := create(t, caTemplate, o, 0, nil)
	return &CA{Cert: cert, Key: key}
}

// Intermediate returns a new intermediate CA issued by ca. It takes the same
// options as [NewCA]; [SignatureAlgorithm] sets how ca signs it.
func (ca *CA) Intermediate(t testing.TB, opts ...Option) *CA {
	t.Helper()
	o := collect(opts)
	if o.commonName == "" {
		o.commonName = fmt.Sprintf("tlsdefault test intermediate CA %d", serialCounter.Add(1))
	}
	cert, key := create(t, caTemplate, o, ca.depth()+1, ca)
	return &CA{Cert: cert, Key: key, Parent: ca}
}

// Server issues a server certificate (extended key usage serverAuth) for
// names, sorted into SAN types as [Names] does. With no names it covers
// 127.0.0.1, ::1 and localhost. It is ca.Issue(t, Names(names...)) except
// for that default.
func (ca *CA) Server(t testing.TB, names ...string) *Leaf {
	t.Helper()
	if len(names) == 0 {
		return ca.Issue(t)
	}
	return ca.Issue(t, Names(names...))
}

// Client issues a client certificate (extended key usage clientAuth) with
// common name name and no SANs. For a client certificate with SANs (a
// SPIFFE ID, say) use ca.Issue(t, ExtKeyUsage(x509.ExtKeyUsageClientAuth),
// Names(...)).
func (ca *CA) Client(t testing.TB, name string) *Leaf {
	t.Helper()
	return ca.Issue(t, CommonName(name), ExtKeyUsage(x509.ExtKeyUsageClientAuth), Names())
}

// Issue issues a leaf certificate. Without options it is a server
// certificate (serverAuth) for 127.0.0.1, ::1 and localhost; every [Option]
// applies.
func (ca *CA) Issue(t testing.TB, opts ...Option) *Leaf {
	t.Helper()
	o := collect(opts)
	if o.commonName == "" {
		o.commonName = fmt.Sprintf("tlsdefault test leaf %d", serialCounter.Add(1))
	}
	if !o.namesSet {
		o.names = defaultNames
	}
	if !o.ekuSet {
		o.eku = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	}
	cert, key := create(t, leafTemplate, o, leafRole, ca)
	// Check now that the key can be written, so KeyPEM cannot fail later.
	if _, err := x509.MarshalPKCS8PrivateKey(key); err != nil {
		t.Fatalf("testpki: marshal leaf key: %v", err)
	}
	var chain []*x509.Certificate
	for c := ca; c.Parent != nil; c = c.Parent {
		chain = append(chain, c.Cert)
	}
	return &Leaf{Cert: cert, Key: key, Chain: chain}
}

// CertDER returns the CA certificate in DER form.
func (ca *CA) CertDER() []byte {
	return append([]byte(nil), ca.Cert.Raw...)
}

// CertPEM returns the CA certificate as one PEM "CERTIFICATE" block.
func (ca *CA) CertPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Cert.Raw})
}

// Pool returns a new pool holding only the root of ca's chain (ca itself if
// it is a root). Use it as tls.Config.RootCAs or ClientCAs.
func (ca *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.Root().Cert)
	return p
}

// Root returns the root CA of ca's chain, or ca itself if it is a root.
func (ca *CA) Root() *CA {
	for ca.Parent != nil {
		ca = ca.Parent
	}
	return ca
}

func (ca *CA) depth() int {
	d := 0
	for c := ca; c.Parent != nil; c = c.Parent {
		d++
	}
	return d
}

// TLS returns the leaf as a tls.Certificate: the leaf and its intermediates
// in Certificate, the key in PrivateKey, and Leaf set.
func (l *Leaf) TLS() tls.Certificate {
	c := tls.Certificate{
		Certificate: [][]byte{l.Cert.Raw},
		PrivateKey:  l.Key,
		Leaf:        l.Cert,
	}
	for _, ic := range l.Chain {
		c.Certificate = append(c.Certificate, ic.Raw)
	}
	return c
}

// CertPEM returns the leaf certificate followed by its intermediates, as PEM
// "CERTIFICATE" blocks, the layout tls.LoadX509KeyPair expects.
func (l *Leaf) CertPEM() []byte {
	out := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: l.Cert.Raw})
	for _, ic := range l.Chain {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ic.Raw})...)
	}
	return out
}

// KeyPEM returns the private key as a PKCS #8 "PRIVATE KEY" PEM block. It
// returns nil only for a hand-built Leaf whose key PKCS #8 cannot encode.
func (l *Leaf) KeyPEM() []byte {
	der, err := x509.MarshalPKCS8PrivateKey(l.Key)
	if err != nil {
		return nil
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

func collect(opts []Option) *options {
	o := new(options)
	for _, opt := range opts {
		if opt != nil {
			opt(o)
		}
	}
	return o
}

func caTemplate(o *options) *x509.Certificate {
	return &x509.Certificate{
		BasicConstraintsValid: true,
		IsCA:                  true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		ExtKeyUsage:           o.eku, // none unless ExtKeyUsage was given
	}
}

func leafTemplate(o *options) *x509.Certificate {
	return &x509.Certificate{
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           o.eku,
	}
}

// create generates a key and a certificate from the template tmpl returns,
// signed by issuer, or self-signed when issuer is nil.
func create(t testing.TB, tmpl func(*options) *x509.Certificate, o *options, role int, issuer *CA) (*x509.Certificate, crypto.Signer) {
	t.Helper()
	key, err := newKey(o, role)
	if err != nil {
		t.Fatalf("testpki: generate key: %v", err)
	}
	tpl := tmpl(o)
	if _, ok := key.(*rsa.PrivateKey); ok && !tpl.IsCA {
		tpl.KeyUsage |= x509.KeyUsageKeyEncipherment
	}
	tpl.Subject = pkix.Name{CommonName: o.commonName}
	tpl.SignatureAlgorithm = o.sigAlg
	tpl.NotBefore, tpl.NotAfter = o.notBefore, o.notAfter
	if tpl.NotBefore.IsZero() && tpl.NotAfter.IsZero() {
		now := time.Now()
		tpl.NotBefore, tpl.NotAfter = now.Add(-time.Hour), now.Add(24*time.Hour)
	}
	if tpl.SerialNumber, err = rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128)); err != nil {
		t.Fatalf("testpki: serial number: %v", err)
	}
	if tpl.SubjectKeyId, err = subjectKeyID(key.Public()); err != nil {
		t.Fatalf("testpki: subject key ID: %v", err)
	}
	if err := addNames(tpl, o.names); err != nil {
		t.Fatalf("testpki: %v", err)
	}

	parent, signer := tpl, key
	if issuer != nil {
		parent, signer = issuer.Cert, issuer.Key
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, parent, key.Public(), signer)
	if err != nil {
		t.Fatalf("testpki: create certificate %q: %v", o.commonName, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("testpki: parse certificate %q: %v", o.commonName, err)
	}
	return cert, key
}

// subjectKeyID is RFC 5280 section 4.2.1.2 method 1: the SHA-1 of the
// subjectPublicKey bit string.
func subjectKeyID(pub crypto.PublicKey) ([]byte, error) {
	spkiDER, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	var spki struct {
		Algorithm pkix.AlgorithmIdentifier
		PublicKey asn1.BitString
	}
	if _, err := asn1.Unmarshal(spkiDER, &spki); err != nil {
		return nil, err
	}
	sum := sha1.Sum(spki.PublicKey.Bytes)
	return sum[:], nil
}

// addNames sorts names into the SAN fields of tpl: IP addresses, URIs
// (containing "://"), email addresses (containing "@"), and DNS names.
func addNames(tpl *x509.Certificate, names []string) error {
	for _, n := range names {
		switch {
		case net.ParseIP(n) != nil:
			tpl.IPAddresses = append(tpl.IPAddresses, net.ParseIP(n))
		case strings.Contains(n, "://"):
			u, err := url.Parse(n)
			if err != nil {
				return fmt.Errorf("URI SAN: %w", err)
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
