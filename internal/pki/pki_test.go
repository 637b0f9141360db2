package pki_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tlsdefault/tlsdefault/internal/pki"
)

// TestCreateChain issues a CA and a leaf and verifies the leaf for each of
// its names, as a TLS client would.
func TestCreateChain(t *testing.T) {
	caKey, err := pki.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	caSpec := pki.Spec{Subject: pkix.Name{CommonName: "pki test CA"}, CA: true, MaxPathLenZero: true}
	caSpec.NotBefore, caSpec.NotAfter = pki.ValidFor(time.Hour)
	ca, err := pki.Create(caSpec, caKey.Public(), nil, caKey)
	if err != nil {
		t.Fatal(err)
	}
	if !ca.IsCA || !ca.MaxPathLenZero || ca.KeyUsage != x509.KeyUsageCertSign|x509.KeyUsageCRLSign {
		t.Errorf("CA: IsCA %v, MaxPathLenZero %v, KeyUsage %v", ca.IsCA, ca.MaxPathLenZero, ca.KeyUsage)
	}
	if ca.CheckSignatureFrom(ca) != nil {
		t.Error("CA is not self-signed")
	}

	key, err := pki.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	spec := pki.Spec{
		Subject:     pkix.Name{CommonName: "leaf"},
		Names:       []string{"localhost", "127.0.0.1", "::1", "spiffe://td/w", "a@example.test"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	spec.NotBefore, spec.NotAfter = pki.ValidFor(time.Hour)
	leaf, err := pki.Create(spec, key.Public(), ca, caKey)
	if err != nil {
		t.Fatal(err)
	}
	if len(leaf.DNSNames) != 1 || len(leaf.IPAddresses) != 2 || len(leaf.URIs) != 1 || len(leaf.EmailAddresses) != 1 {
		t.Errorf("SANs: DNS %v IP %v URI %v email %v", leaf.DNSNames, leaf.IPAddresses, leaf.URIs, leaf.EmailAddresses)
	}
	if leaf.IsCA || !leaf.BasicConstraintsValid || leaf.KeyUsage != x509.KeyUsageDigitalSignature {
		t.Errorf("leaf: IsCA %v, basic constraints %v, KeyUsage %v", leaf.IsCA, leaf.BasicConstraintsValid, leaf.KeyUsage)
	}
	if string(leaf.AuthorityKeyId) != string(ca.SubjectKeyId) || len(leaf.SubjectKeyId) != 20 {
		t.Errorf("key identifiers: AKID %x, CA SKID %x, SKID %x", leaf.AuthorityKeyId, ca.SubjectKeyId, leaf.SubjectKeyId)
	}
	if n := leaf.SerialNumber.BitLen(); n < 25 || n > 128 {
		t.Errorf("serial has %d bits", n)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	for _, name := range []string{"localhost", "127.0.0.1", "::1"} {
		if _, err := leaf.Verify(x509.VerifyOptions{DNSName: name, Roots: roots}); err != nil {
			t.Errorf("verify %s: %v", name, err)
		}
	}
	var he x509.HostnameError
	if _, err := leaf.Verify(x509.VerifyOptions{DNSName: "other.test", Roots: roots}); !errors.As(err, &he) {
		t.Errorf("verify other.test: %v, want a HostnameError", err)
	}

	// PEM round trips.
	b, _ := pem.Decode(pki.CertPEM(leaf.Raw))
	if b == nil || b.Type != "CERTIFICATE" || string(b.Bytes) != string(leaf.Raw) {
		t.Error("CertPEM does not round-trip")
	}
	kp, err := pki.KeyPEM(key)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := pem.Decode(kp); b == nil || b.Type != "PRIVATE KEY" {
		t.Error("KeyPEM is not a PKCS #8 block")
	} else if _, err := x509.ParsePKCS8PrivateKey(b.Bytes); err != nil {
		t.Error(err)
	}
}

func TestTemplateRSAAndErrors(t *testing.T) {
	spec := pki.Spec{Subject: pkix.Name{CommonName: "x"}}
	if _, err := pki.Template(spec, &rsa.PublicKey{}); err == nil || !strings.HasPrefix(err.Error(), "pki: ") {
		t.Errorf("no validity: %v, want a pki: error", err)
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	spec.NotBefore, spec.NotAfter = pki.ValidFor(time.Hour)
	tpl, err := pki.Template(spec, &key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if tpl.KeyUsage != x509.KeyUsageDigitalSignature|x509.KeyUsageKeyEncipherment {
		t.Errorf("RSA leaf key usage %v", tpl.KeyUsage)
	}
	if err := pki.AddNames(&x509.Certificate{}, []string{"bad://%zz"}); err == nil {
		t.Error("a malformed URI SAN was accepted")
	}
}
