// Package benchpki makes the certificates the benchmarks use: a root CA and
// a localhost leaf per key type, and directories and bundles of many CAs.
// Everything is generated in memory with crypto/x509 (the root module's
// internal/testpki cannot be imported from this module).
package benchpki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/tlsdefault/tlsdefault/capool"
)

// Key types.
const (
	ECDSA = "ECDSA" // P-256
	RSA   = "RSA"   // 2048 bits
)

// PKI is a root CA and a leaf for "localhost" and 127.0.0.1 signed by it,
// both with keys of one type.
type PKI struct {
	Root    *x509.Certificate
	RootPEM []byte
	Roots   *x509.CertPool

	Leaf    *x509.Certificate
	LeafKey crypto.Signer
	LeafPEM []byte // the leaf certificate
	KeyPEM  []byte // the leaf key, PKCS #8
	TLSCert tls.Certificate
	RootKey crypto.Signer
	KeyType string
}

var (
	pkiMu    sync.Mutex
	pkiCache = map[string]*PKI{}
)

// Get returns the PKI of the key type (ECDSA or RSA), generated on first
// use and shared afterwards.
func Get(keyType string) *PKI {
	pkiMu.Lock()
	defer pkiMu.Unlock()
	if p := pkiCache[keyType]; p != nil {
		return p
	}
	p, err := newPKI(keyType)
	if err != nil {
		panic("benchpki: " + err.Error())
	}
	pkiCache[keyType] = p
	return p
}

// NewKey returns a new private key of the type.
func NewKey(keyType string) (crypto.Signer, error) {
	switch keyType {
	case ECDSA:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case RSA:
		return rsa.GenerateKey(rand.Reader, 2048)
	}
	return nil, fmt.Errorf("unknown key type %q", keyType)
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic(err)
	}
	return n
}

// CATemplate is the template of a self-signed CA with the given common name.
func CATemplate(cn string) *x509.Certificate {
	now := time.Now()
	return &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: cn, Organization: []string{"tlsdefault benchmarks"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(30 * 24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		MaxPathLenZero:        true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
}

func newPKI(keyType string) (*PKI, error) {
	rootKey, err := NewKey(keyType)
	if err != nil {
		return nil, err
	}
	tmpl := CATemplate("tlsdefault bench root " + keyType)
	rootDER, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, rootKey.Public(), rootKey)
	if err != nil {
		return nil, err
	}
	root, err := x509.ParseCertificate(rootDER)
	if err != nil {
		return nil, err
	}
	leafKey, err := NewKey(keyType)
	if err != nil {
		return nil, err
	}
	leaf, leafDER, err := IssueLeaf(root, rootKey, leafKey)
	if err != nil {
		return nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(leafKey)
	if err != nil {
		return nil, err
	}
	roots := x509.NewCertPool()
	roots.AddCert(root)
	return &PKI{
		Root:    root,
		RootPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: rootDER}),
		Roots:   roots,
		Leaf:    leaf,
		LeafKey: leafKey,
		LeafPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leafDER}),
		KeyPEM:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
		TLSCert: tls.Certificate{Certificate: [][]byte{leafDER}, PrivateKey: leafKey, Leaf: leaf},
		RootKey: rootKey,
		KeyType: keyType,
	}, nil
}

// IssueLeaf issues a server certificate for localhost and 127.0.0.1, signed
// by ca.
func IssueLeaf(ca *x509.Certificate, caKey crypto.Signer, key crypto.Signer) (*x509.Certificate, []byte, error) {
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: "localhost"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(7 * 24 * time.Hour),
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, key.Public(), caKey)
	if err != nil {
		return nil, nil, err
	}
	c, err := x509.ParseCertificate(der)
	return c, der, err
}

// WriteFiles writes ca.pem, cert.pem and key.pem into dir.
func (p *PKI) WriteFiles(dir string) (caFile, certFile, keyFile string, err error) {
	caFile, certFile, keyFile = filepath.Join(dir, "ca.pem"), filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	for _, f := range []struct {
		name string
		data []byte
	}{{caFile, p.RootPEM}, {certFile, p.LeafPEM}, {keyFile, p.KeyPEM}} {
		if err = os.WriteFile(f.name, f.data, 0o600); err != nil {
			return
		}
	}
	return
}

// CASet is n self-signed ECDSA CAs with distinct subjects and a leaf issued
// by the first of them.
type CASet struct {
	CAs  []*x509.Certificate
	PEMs [][]byte
	// Leaf is issued by CAs[0].
	Leaf *x509.Certificate
}

var (
	caSetMu sync.Mutex
	caSet   *CASet
)

// CAs returns a set of at least n CAs (generated once, then grown as needed
// and shared), of which the caller uses the first n.
func CAs(n int) (*CASet, error) {
	caSetMu.Lock()
	defer caSetMu.Unlock()
	if caSet == nil {
		caSet = &CASet{}
	}
	s := caSet
	var firstKey crypto.Signer
	for len(s.CAs) < n {
		key, err := NewKey(ECDSA)
		if err != nil {
			return nil, err
		}
		tmpl := CATemplate(fmt.Sprintf("tlsdefault bench CA %05d", len(s.CAs)))
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
		if err != nil {
			return nil, err
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, err
		}
		if len(s.CAs) == 0 {
			firstKey = key
		}
		s.CAs = append(s.CAs, c)
		s.PEMs = append(s.PEMs, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	}
	if s.Leaf == nil {
		leafKey, err := NewKey(ECDSA)
		if err != nil {
			return nil, err
		}
		s.Leaf, _, err = IssueLeaf(s.CAs[0], firstKey, leafKey)
		if err != nil {
			return nil, err
		}
	}
	return s, nil
}

// HashedDir writes the first n CAs of the set into a new directory under
// parent as OpenSSL's hashed layout: one regular PEM file per CA named
// <subject hash>.<k>, where k counts CAs sharing a hash from 0.
func (s *CASet) HashedDir(parent string, n int) (string, error) {
	dir := filepath.Join(parent, fmt.Sprintf("capath-%d", n))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	used := map[uint32]int{}
	for i := 0; i < n; i++ {
		h := capool.SubjectHash(s.CAs[i])
		k := used[h]
		used[h]++
		name := filepath.Join(dir, fmt.Sprintf("%08x.%d", h, k))
		if err := os.WriteFile(name, s.PEMs[i], 0o644); err != nil {
			return "", err
		}
	}
	return dir, nil
}

// Bundle writes the first n CAs of the set into one PEM file under parent.
func (s *CASet) Bundle(parent string, n int) (string, error) {
	var buf []byte
	for i := 0; i < n; i++ {
		buf = append(buf, s.PEMs[i]...)
	}
	name := filepath.Join(parent, fmt.Sprintf("bundle-%d.pem", n))
	return name, os.WriteFile(name, buf, 0o644)
}
