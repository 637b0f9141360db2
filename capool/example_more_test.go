package capool_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tlsdefault/tlsdefault/capool"
)

// partnerCA returns a new self-signed CA certificate, in DER, whose
// subject is always "CN=partner CA".
func partnerCA() []byte {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		log.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "partner CA"},
		NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		log.Fatal(err)
	}
	return der
}

// tempDir makes a directory for an example, with a name that output
// replaces by "$DIR".
func tempDir() string {
	dir, err := os.MkdirTemp("", "capool-example")
	if err != nil {
		log.Fatal(err)
	}
	return dir
}

func writePEM(path, blockType string, der ...[]byte) {
	var out []byte
	for _, d := range der {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: blockType, Bytes: d})...)
	}
	if err := os.WriteFile(path, out, 0o644); err != nil {
		log.Fatal(err)
	}
}

// Sources names what to trust, as Python's cafile, capath and cadata;
// every source given is read and merged.
func ExampleSources() {
	ts := httptest.NewTLSServer(nil)
	defer ts.Close()
	dir := tempDir()
	defer os.RemoveAll(dir)
	writePEM(filepath.Join(dir, "bundle.pem"), "CERTIFICATE", ts.Certificate().Raw)
	capath := filepath.Join(dir, "certs")
	os.Mkdir(capath, 0o755)
	writePEM(filepath.Join(capath, "partner.pem"), "CERTIFICATE", partnerCA())

	pool, err := capool.Load(capool.Sources{
		CAFile: filepath.Join(dir, "bundle.pem"),
		CAPath: capath,
		CAData: partnerCA(), // another CA with the same name, as DER
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(strings.ReplaceAll(pool.Describe(), dir, "$DIR"))
	for _, e := range pool.Entries() {
		fmt.Println(e.Source, e.Cert.Subject)
	}
	// Output:
	// cafile $DIR/bundle.pem, capath $DIR/certs (1 certificate), cadata (1 certificate)
	// cafile O=Acme Co
	// capath CN=partner CA
	// cadata CN=partner CA
}

// CertPool gives crypto/tls the pool's certificates: here as the roots of
// a client's handshake with a server on loopback.
func ExamplePool_CertPool() {
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "hello")
	}))
	defer ts.Close()
	pool, err := capool.Load(capool.Sources{CAData: ts.Certificate().Raw})
	if err != nil {
		log.Fatal(err)
	}

	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool.CertPool()}}}
	resp, err := client.Get(ts.URL)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	io.Copy(os.Stdout, resp.Body)
	// Output: hello
}

// A TRUSTED CERTIFICATE block (`openssl x509 -addtrust clientAuth`) limits
// what a CA is trusted for; CertPoolFor applies it for one purpose. This
// CA is trusted to issue client certificates only.
func ExamplePool_CertPoolFor() {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		log.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "clients CA"},
		NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true, IsCA: true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		log.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	// OpenSSL's trust settings after the certificate: a SEQUENCE holding
	// the SEQUENCE of purposes it is trusted for.
	aux, err := asn1.Marshal(struct{ Trust []asn1.ObjectIdentifier }{[]asn1.ObjectIdentifier{{1, 3, 6, 1, 5, 5, 7, 3, 2}}})
	if err != nil {
		log.Fatal(err)
	}
	pool, err := capool.Load(capool.Sources{CAData: pem.EncodeToMemory(&pem.Block{Type: "TRUSTED CERTIFICATE", Bytes: append(caDER, aux...)})})
	if err != nil {
		log.Fatal(err)
	}

	for _, usage := range []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth} {
		leafTmpl := &x509.Certificate{
			SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "leaf"},
			NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
			DNSNames: []string{"leaf.example"},
		}
		der, err := x509.CreateCertificate(rand.Reader, leafTmpl, ca, &key.PublicKey, key)
		if err != nil {
			log.Fatal(err)
		}
		leaf, _ := x509.ParseCertificate(der)
		_, err = leaf.Verify(x509.VerifyOptions{Roots: pool.CertPoolFor(usage), KeyUsages: []x509.ExtKeyUsage{usage}})
		if usage == x509.ExtKeyUsageClientAuth {
			fmt.Println("client certificate verified:", err == nil)
		} else {
			fmt.Println("server certificate verified:", err == nil)
		}
	}
	// Output:
	// client certificate verified: true
	// server certificate verified: false
}

// Problems is the load report: what was skipped without failing the load,
// each a *SourceError naming the file and block.
func ExamplePool_Problems() {
	ts := httptest.NewTLSServer(nil)
	defer ts.Close()
	dir := tempDir()
	defer os.RemoveAll(dir)
	writePEM(filepath.Join(dir, "a.pem"), "CERTIFICATE", ts.Certificate().Raw)
	writePEM(filepath.Join(dir, "b.pem"), "CERTIFICATE", ts.Certificate().Raw) // a copy
	os.WriteFile(filepath.Join(dir, "notes.crt"), []byte("not a certificate\n"), 0o644)

	pool, err := capool.Load(capool.Sources{CAPath: dir})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(pool.Len(), "certificate")
	for _, p := range pool.Problems() {
		fmt.Println(strings.ReplaceAll(p.Error(), dir, "$DIR"))
	}
	// Output:
	// 1 certificate
	// capool: capath $DIR/: b.pem: block 1: duplicate certificate "O=Acme Co", already read from capath $DIR/a.pem block 1
	// capool: capath $DIR/: notes.crt: neither PEM (no "-----BEGIN CERTIFICATE-----" line) nor DER (which starts with byte 0x30; this starts with "not a certificat")
}

// A *SourceError says which source, file and block failed; errors.Is
// reaches the cause.
func ExampleSourceError() {
	_, err := capool.Load(capool.Sources{CAFile: "/nonexistent/ca.pem"})
	var se *capool.SourceError
	if errors.As(err, &se) {
		fmt.Println(se.Source, se.Path, errors.Is(err, fs.ErrNotExist))
	}
	fmt.Println(err)
	// Output:
	// cafile /nonexistent/ca.pem true
	// capool: cafile /nonexistent/ca.pem: no such file or directory
}

// Describe names the trust sources in plain words, for messages and logs.
func ExamplePool_Describe() {
	var empty capool.Pool
	fmt.Println(empty.Describe())
	pool, err := capool.Load(capool.Sources{CAData: append(partnerCA(), partnerCA()...)})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(pool.Describe())
	// Output:
	// no trust source
	// cadata (2 certificates)
}

// IncludesSystem tells a pool that trusts the system store, from System
// or merged with it, from one that trusts only what was given.
func ExamplePool_IncludesSystem() {
	own, err := capool.Load(capool.Sources{CAData: partnerCA()})
	if err != nil {
		log.Fatal(err)
	}
	sys, err := capool.System()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(own.IncludesSystem(), capool.Merge(own, sys).IncludesSystem())
	// Output: false true
}

// Certificates lists the certificates of the pool, parsed.
func ExamplePool_Certificates() {
	ts := httptest.NewTLSServer(nil)
	defer ts.Close()
	pool, err := capool.Load(capool.Sources{CAData: append(append([]byte{}, ts.Certificate().Raw...), partnerCA()...)})
	if err != nil {
		log.Fatal(err)
	}
	for _, c := range pool.Certificates() {
		fmt.Println(c.Subject)
	}
	fmt.Println(pool.Len())
	// Output:
	// O=Acme Co
	// CN=partner CA
	// 2
}

// Entries lists each certificate with where it came from: the file and
// PEM block, and for a hashed capath directory the names that lead to it.
func ExamplePool_Entries() {
	ts := httptest.NewTLSServer(nil)
	defer ts.Close()
	dir := tempDir()
	defer os.RemoveAll(dir)
	bundle := filepath.Join(dir, "bundle.pem")
	os.WriteFile(bundle, []byte("# a comment, as in Debian's bundle\n"), 0o644)
	f, err := os.OpenFile(bundle, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		log.Fatal(err)
	}
	pem.Encode(f, &pem.Block{Type: "CERTIFICATE", Bytes: partnerCA()})
	pem.Encode(f, &pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw})
	f.Close()
	capath := filepath.Join(dir, "certs")
	os.Mkdir(capath, 0o755)
	writePEM(filepath.Join(capath, "other.pem"), "CERTIFICATE", partnerCA())
	if err := capool.Rehash(capath); err != nil {
		log.Fatal(err)
	}

	pool, err := capool.Load(capool.Sources{CAFile: bundle, CAPath: capath, CAData: partnerCA()})
	if err != nil {
		log.Fatal(err)
	}
	for _, e := range pool.Entries() {
		where := e.Source
		if e.Path != "" {
			where += " " + filepath.Base(e.Path)
		}
		if e.Block > 0 {
			where += fmt.Sprintf(" block %d", e.Block)
		}
		if len(e.Links) > 0 {
			where += fmt.Sprintf(" (%d hashed name)", len(e.Links))
		}
		fmt.Printf("%s: %s\n", where, e.Cert.Subject)
	}
	// Output:
	// cafile bundle.pem block 1: CN=partner CA
	// cafile bundle.pem block 2: O=Acme Co
	// cadata: CN=partner CA
	// capath other.pem block 1 (1 hashed name): CN=partner CA
}

// A pool with a hashed capath directory is Lazy: its CAs are looked up
// when a chain is verified, so one added to the directory later is trusted
// by the same pool, and one removed is no longer.
func ExamplePool_Lazy() {
	ts := httptest.NewTLSServer(nil)
	defer ts.Close()
	dir := tempDir()
	defer os.RemoveAll(dir)
	writePEM(filepath.Join(dir, "partner.pem"), "CERTIFICATE", partnerCA())
	if err := capool.Rehash(dir); err != nil {
		log.Fatal(err)
	}
	pool, err := capool.Load(capool.Sources{CAPath: dir})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("lazy:", pool.Lazy())
	verify := func() bool {
		_, err := pool.Verify(ts.Certificate(), nil, x509.VerifyOptions{DNSName: "example.com"})
		return err == nil
	}
	fmt.Println("before:", verify())

	name := filepath.Join(dir, fmt.Sprintf("%08x.0", capool.SubjectHash(ts.Certificate())))
	writePEM(name, "CERTIFICATE", ts.Certificate().Raw) // what Rehash would link
	fmt.Println("added:", verify())
	os.Remove(name)
	fmt.Println("removed:", verify())
	// Output:
	// lazy: true
	// before: false
	// added: true
	// removed: false
}
