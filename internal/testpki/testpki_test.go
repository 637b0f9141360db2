package testpki_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tlsdefault/tlsdefault/internal/testpki"
)

func verify(l *testpki.Leaf, roots *x509.CertPool, host string, eku ...x509.ExtKeyUsage) error {
	inter := x509.NewCertPool()
	for _, c := range l.Chain {
		inter.AddCert(c)
	}
	_, err := l.Cert.Verify(x509.VerifyOptions{
		DNSName:       host,
		Roots:         roots,
		Intermediates: inter,
		KeyUsages:     eku,
	})
	return err
}

func TestServerVerifies(t *testing.T) {
	t.Parallel()
	ca := testpki.NewCA(t)
	srv := ca.Server(t)
	for _, host := range []string{"localhost", "127.0.0.1", "::1"} {
		if err := verify(srv, ca.Pool(), host); err != nil {
			t.Errorf("verify %s: %v", host, err)
		}
	}
	if _, ok := srv.Key.(*ecdsa.PrivateKey); !ok {
		t.Errorf("default key is %T, want ECDSA", srv.Key)
	}
	if got := srv.Cert.SerialNumber.BitLen(); got < 64 || got > 128 {
		t.Errorf("serial has %d bits", got)
	}
	if len(srv.Cert.SubjectKeyId) == 0 || len(srv.Cert.AuthorityKeyId) == 0 {
		t.Error("missing SKID or AKID")
	}
	if !ca.Cert.IsCA || ca.Cert.KeyUsage&x509.KeyUsageCertSign == 0 {
		t.Error("CA is not a CA")
	}
	// Another CA has another name and does not trust srv.
	other := testpki.NewCA(t)
	if other.Cert.Subject.CommonName == ca.Cert.Subject.CommonName {
		t.Error("CA common names are not unique")
	}
	var uae x509.UnknownAuthorityError
	if err := verify(srv, other.Pool(), "localhost"); !errors.As(err, &uae) {
		t.Errorf("verify against another CA: %v, want UnknownAuthorityError", err)
	}
}

func TestNames(t *testing.T) {
	t.Parallel()
	l := testpki.NewCA(t).Server(t, "example.test", "10.0.0.1", "spiffe://td/w", "a@example.test")
	if len(l.Cert.DNSNames) != 1 || len(l.Cert.IPAddresses) != 1 ||
		len(l.Cert.URIs) != 1 || len(l.Cert.EmailAddresses) != 1 {
		t.Errorf("SANs: DNS %v IP %v URI %v email %v", l.Cert.DNSNames, l.Cert.IPAddresses, l.Cert.URIs, l.Cert.EmailAddresses)
	}
	if l.Cert.URIs[0].String() != "spiffe://td/w" {
		t.Errorf("URI = %v", l.Cert.URIs[0])
	}
}

func TestIntermediateChain(t *testing.T) {
	t.Parallel()
	root := testpki.NewCA(t)
	inter := root.Intermediate(t)
	l := inter.Server(t)
	if inter.Root() != root || inter.Parent != root {
		t.Error("Root/Parent wrong")
	}
	if len(l.Chain) != 1 || !l.Chain[0].Equal(inter.Cert) {
		t.Fatalf("Chain = %v", l.Chain)
	}
	if err := verify(l, inter.Pool(), "localhost"); err != nil {
		t.Errorf("verify via intermediate: %v", err)
	}
	// Pool of an intermediate holds only the root.
	if err := verify(&testpki.Leaf{Cert: l.Cert}, inter.Pool(), "localhost"); err == nil {
		t.Error("verify without the intermediate succeeded; Pool must hold only the root")
	}
	// Two levels of intermediates.
	l2 := inter.Intermediate(t).Server(t)
	if len(l2.Chain) != 2 {
		t.Fatalf("len(Chain) = %d, want 2", len(l2.Chain))
	}
	if err := verify(l2, root.Pool(), "localhost"); err != nil {
		t.Errorf("verify two intermediates: %v", err)
	}
	if n := len(l2.TLS().Certificate); n != 3 {
		t.Errorf("TLS().Certificate has %d entries, want 3", n)
	}
	var n int
	for rest := l2.CertPEM(); ; n++ {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
	}
	if n != 3 {
		t.Errorf("CertPEM has %d blocks, want 3", n)
	}
}

func TestValidity(t *testing.T) {
	t.Parallel()
	ca := testpki.NewCA(t)
	for name, opt := range map[string]testpki.Option{
		"Expired":     testpki.Expired(),
		"NotYetValid": testpki.NotYetValid(),
	} {
		var cie x509.CertificateInvalidError
		err := verify(ca.Issue(t, opt), ca.Pool(), "localhost")
		if !errors.As(err, &cie) || cie.Reason != x509.Expired {
			t.Errorf("%s: %v, want CertificateInvalidError Expired", name, err)
		}
	}
	// An expired CA also fails.
	old := testpki.NewCA(t, testpki.Expired())
	var cie x509.CertificateInvalidError
	if err := verify(old.Server(t), old.Pool(), "localhost"); !errors.As(err, &cie) {
		t.Errorf("leaf of expired CA: %v, want CertificateInvalidError", err)
	}
	nb, na := time.Now().Add(-time.Minute).Truncate(time.Second), time.Now().Add(time.Hour).Truncate(time.Second)
	l := ca.Issue(t, testpki.Validity(nb, na))
	if !l.Cert.NotBefore.Equal(nb) || !l.Cert.NotAfter.Equal(na) {
		t.Errorf("Validity: got %v..%v", l.Cert.NotBefore, l.Cert.NotAfter)
	}
}

func TestWrongHostAndEKU(t *testing.T) {
	t.Parallel()
	ca := testpki.NewCA(t)
	var he x509.HostnameError
	if err := verify(ca.Issue(t, testpki.WrongHost()), ca.Pool(), "localhost"); !errors.As(err, &he) {
		t.Errorf("WrongHost: %v, want HostnameError", err)
	}
	bad := ca.Issue(t, testpki.ExtKeyUsage(x509.ExtKeyUsageClientAuth))
	var cie x509.CertificateInvalidError
	if err := verify(bad, ca.Pool(), "localhost", x509.ExtKeyUsageServerAuth); !errors.As(err, &cie) || cie.Reason != x509.IncompatibleUsage {
		t.Errorf("client EKU as server: %v, want IncompatibleUsage", err)
	}
	cli := ca.Client(t, "alice")
	if cli.Cert.Subject.CommonName != "alice" {
		t.Errorf("client CN = %q", cli.Cert.Subject.CommonName)
	}
	if err := verify(cli, ca.Pool(), "", x509.ExtKeyUsageClientAuth); err != nil {
		t.Errorf("client verify: %v", err)
	}
}

func TestKeys(t *testing.T) {
	t.Parallel()
	ca := testpki.NewCA(t, testpki.RSABits(2048))
	l := ca.Issue(t, testpki.RSABits(1024))
	k, ok := l.Cert.PublicKey.(*rsa.PublicKey)
	if !ok || k.N.BitLen() != 1024 {
		t.Errorf("RSABits(1024): public key %T", l.Cert.PublicKey)
	}
	if ca.Cert.PublicKey.(*rsa.PublicKey).Equal(k) {
		t.Error("CA and leaf share an RSA key")
	}
	if err := verify(l, ca.Pool(), "localhost"); err != nil {
		t.Errorf("verify RSA chain: %v", err)
	}
	p224 := ca.Issue(t, testpki.ECDSACurve(elliptic.P224()))
	if ek, ok := p224.Cert.PublicKey.(*ecdsa.PublicKey); !ok || ek.Curve != elliptic.P224() {
		t.Errorf("ECDSACurve(P224): public key %T", p224.Cert.PublicKey)
	}
	if p224.KeyPEM() == nil {
		t.Error("P-224 KeyPEM is nil")
	}
}

func TestSHA1(t *testing.T) {
	t.Parallel()
	ca := testpki.NewCA(t, testpki.RSABits(2048))
	l := ca.Issue(t, testpki.SignatureAlgorithm(x509.SHA1WithRSA))
	parsed, err := x509.ParseCertificate(l.Cert.Raw)
	if err != nil {
		t.Fatal(err)
	}
	if parsed.SignatureAlgorithm != x509.SHA1WithRSA {
		t.Fatalf("SignatureAlgorithm = %v, want SHA1-RSA", parsed.SignatureAlgorithm)
	}
	// crypto/x509 refuses to verify SHA-1, which is the point.
	if err := verify(l, ca.Pool(), "localhost"); err == nil {
		t.Error("crypto/x509 accepted a SHA-1 signature")
	}
	// A self-signed SHA-1 root, and an ECDSA one.
	if a := testpki.NewCA(t, testpki.RSABits(2048), testpki.SignatureAlgorithm(x509.SHA1WithRSA)).Cert.SignatureAlgorithm; a != x509.SHA1WithRSA {
		t.Errorf("SHA-1 root: %v", a)
	}
	if a := testpki.NewCA(t).Issue(t, testpki.SignatureAlgorithm(x509.ECDSAWithSHA1)).Cert.SignatureAlgorithm; a != x509.ECDSAWithSHA1 {
		t.Errorf("ECDSA SHA-1 leaf: %v", a)
	}

	// The signature itself is good: OpenSSL at security level 0 accepts it.
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl not found")
	}
	dir := t.TempDir()
	caFile := ca.WriteFile(t, dir, "ca.pem")
	certFile, _ := l.WriteFiles(t, dir)
	out, err := exec.Command(openssl, "verify", "-auth_level", "0", "-CAfile", caFile, certFile).CombinedOutput()
	if err != nil {
		t.Errorf("openssl verify: %v\n%s", err, out)
	}
	out, err = exec.Command(openssl, "x509", "-noout", "-text", "-in", certFile).CombinedOutput()
	if err != nil {
		t.Errorf("openssl x509: %v\n%s", err, out)
	} else if !strings.Contains(string(out), "sha1WithRSAEncryption") {
		t.Errorf("openssl x509 -text does not show sha1WithRSAEncryption:\n%s", out)
	}
}

func TestWriteFiles(t *testing.T) {
	t.Parallel()
	ca := testpki.NewCA(t)
	dir := t.TempDir()
	certFile, keyFile := ca.Intermediate(t).Server(t).WriteFiles(t, dir)
	if fi, err := os.Stat(keyFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", fi, err)
	}
	if fi, err := os.Stat(certFile); err != nil || fi.Mode().Perm() != 0o644 {
		t.Fatalf("cert file: %v %v", fi, err)
	}
	first, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if len(first.Certificate) != 2 {
		t.Errorf("loaded %d certificates, want leaf and intermediate", len(first.Certificate))
	}

	// Rotation overwrites in place and leaves no temporary files.
	next := ca.Server(t)
	c2, k2 := next.WriteFiles(t, dir)
	if c2 != certFile || k2 != keyFile {
		t.Errorf("paths changed: %s %s", c2, k2)
	}
	second, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if !second.Leaf.Equal(next.Cert) {
		t.Error("rotation did not replace the certificate")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("dir has %d entries, want 2", len(entries))
	}

	c3, k3 := next.WriteFilesNamed(t, dir, "server")
	if filepath.Base(c3) != "server.crt" || filepath.Base(k3) != "server.key" {
		t.Errorf("WriteFilesNamed: %s %s", c3, k3)
	}
	if _, err := tls.LoadX509KeyPair(c3, k3); err != nil {
		t.Error(err)
	}
	pool := x509.NewCertPool()
	data, err := os.ReadFile(ca.WriteFile(t, dir, "ca.pem"))
	if err != nil || !pool.AppendCertsFromPEM(data) {
		t.Errorf("CA file: %v", err)
	}
	if cert, err := x509.ParseCertificate(ca.CertDER()); err != nil || !cert.Equal(ca.Cert) {
		t.Errorf("CertDER: %v", err)
	}
}

// TestHandshake runs mutual TLS over net.Pipe with an intermediate on the
// server side, to check TLS() end to end.
func TestHandshake(t *testing.T) {
	t.Parallel()
	root := testpki.NewCA(t)
	srv := root.Intermediate(t).Server(t)
	cli := root.Client(t, "alice")

	c1, c2 := net.Pipe()
	server := tls.Server(c1, &tls.Config{
		Certificates: []tls.Certificate{srv.TLS()},
		ClientCAs:    root.Pool(),
		ClientAuth:   tls.RequireAndVerifyClientCert,
	})
	client := tls.Client(c2, &tls.Config{
		RootCAs:      root.Pool(),
		Certificates: []tls.Certificate{cli.TLS()},
		ServerName:   "localhost",
	})
	errc := make(chan error, 1)
	go func() { errc <- server.Handshake(); server.Close() }()
	defer client.Close()
	if err := client.Handshake(); err != nil {
		t.Fatalf("client handshake: %v", err)
	}
	// net.Pipe is unbuffered: read the server's session tickets and
	// close_notify so that it is not left blocked writing them.
	if _, err := io.ReadAll(client); err != nil {
		t.Errorf("client read: %v", err)
	}
	if err := <-errc; err != nil {
		t.Fatalf("server handshake: %v", err)
	}
	if got := server.ConnectionState().PeerCertificates[0].Subject.CommonName; got != "alice" {
		t.Errorf("server saw client %q", got)
	}
}
