package testpki

import (
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tlsdefault/tlsdefault/internal/pki"
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
	cert, key := create(t, true, o, 0, nil)
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
	cert, key := create(t, true, o, ca.depth()+1, ca)
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
	cert, key := create(t, false, o, leafRole, ca)
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
	return pki.CertPEM(ca.Cert.Raw)
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
	ders := [][]byte{l.Cert.Raw}
	for _, ic := range l.Chain {
		ders = append(ders, ic.Raw)
	}
	return pki.CertPEM(ders...)
}

// KeyPEM returns the private key as a PKCS #8 "PRIVATE KEY" PEM block. It
// returns nil only for a hand-built Leaf whose key PKCS #8 cannot encode.
func (l *Leaf) KeyPEM() []byte {
	b, err := pki.KeyPEM(l.Key)
	if err != nil {
		return nil
	}
	return b
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

// create generates a key and a certificate with internal/pki's template
// choices, signed by issuer, or self-signed when issuer is nil.
func create(t testing.TB, ca bool, o *options, role int, issuer *CA) (*x509.Certificate, crypto.Signer) {
	t.Helper()
	key, err := newKey(o, role)
	if err != nil {
		t.Fatalf("testpki: generate key: %v", err)
	}
	spec := pki.Spec{
		Subject:            pkix.Name{CommonName: o.commonName},
		Names:              o.names,
		CA:                 ca,
		ExtKeyUsage:        o.eku, // for CAs none unless ExtKeyUsage was given
		NotBefore:          o.notBefore,
		NotAfter:           o.notAfter,
		SignatureAlgorithm: o.sigAlg,
	}
	if spec.NotBefore.IsZero() && spec.NotAfter.IsZero() {
		spec.NotBefore, spec.NotAfter = pki.ValidFor(24 * time.Hour)
	}
	var parent *x509.Certificate
	signer := key
	if issuer != nil {
		parent, signer = issuer.Cert, issuer.Key
	}
	cert, err := pki.Create(spec, key.Public(), parent, signer)
	if err != nil {
		t.Fatalf("testpki: %v", err)
	}
	return cert, key
}
