package capool_test

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"

	"github.com/tlsdefault/tlsdefault/capool"
)

// Load merges a CA bundle file and a certificate given as bytes, and
// remembers where each certificate came from.
func ExampleLoad() {
	ts := httptest.NewTLSServer(nil)
	defer ts.Close()
	dir, err := os.MkdirTemp("", "capool-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	// A bundle with a comment, as Debian's ca-certificates.crt has.
	bundle := append([]byte("# test server CA\n"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw})...)
	cafile := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(cafile, bundle, 0o644); err != nil {
		log.Fatal(err)
	}

	pool, err := capool.Load(capool.Sources{
		CAFile: cafile,
		CAData: ts.Certificate().Raw, // DER; the same certificate, kept once
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, e := range pool.Entries() {
		fmt.Printf("%s %s block %d: %s\n", e.Source, filepath.Base(e.Path), e.Block, e.Cert.Subject)
	}
	fmt.Println(len(pool.Problems()), "problem (the duplicate)")
	// Output:
	// cafile ca.pem block 1: O=Acme Co
	// 1 problem (the duplicate)
}

// Errors name the source, the file and the block.
func ExampleLoad_error() {
	_, err := capool.Load(capool.Sources{CAData: []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")})
	fmt.Println(err)
	// Output:
	// capool: cadata: block 1: x509: malformed certificate
}

// ParseCAData takes PEM text or DER bytes alike.
func ExampleParseCAData() {
	ts := httptest.NewTLSServer(nil)
	defer ts.Close()
	der := ts.Certificate().Raw
	pemText := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})

	for _, data := range [][]byte{der, pemText} {
		certs, err := capool.ParseCAData(data)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(len(certs), certs[0].Subject)
	}
	// Output:
	// 1 O=Acme Co
	// 1 O=Acme Co
}

// SubjectHash gives the name OpenSSL looks a CA up by in a capath
// directory, the same as `openssl x509 -hash -noout`.
func ExampleSubjectHash() {
	ts := httptest.NewTLSServer(nil)
	defer ts.Close()
	fmt.Printf("%08x.0\n", capool.SubjectHash(ts.Certificate()))
	// Output:
	// 17306e7d.0
}

// A hashed capath directory is read lazily: Verify looks the issuer up by
// hash, so CAs added to the directory later are trusted without a reload.
func ExamplePool_Verify() {
	ts := httptest.NewTLSServer(nil)
	defer ts.Close()
	dir, err := os.MkdirTemp("", "capool-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	cert := ts.Certificate()
	name := fmt.Sprintf("%08x.0", capool.SubjectHash(cert))
	if err := os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}), 0o644); err != nil {
		log.Fatal(err)
	}

	pool, err := capool.Load(capool.Sources{CAPath: dir})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("lazy:", pool.Lazy(), "listed:", pool.Len())
	chains, err := pool.Verify(cert, nil, x509.VerifyOptions{DNSName: "example.com"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("verified, chain of", len(chains[0]))
	// Output:
	// lazy: true listed: 1
	// verified, chain of 1
}

// Rehash prepares a directory of PEM files for use as a capath, as
// `openssl rehash` does: it links each CA under the hash of its subject.
func ExampleRehash() {
	ts := httptest.NewTLSServer(nil)
	defer ts.Close()
	dir, err := os.MkdirTemp("", "capool-example") // e.g. /etc/myapp/ca
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if err := os.WriteFile(filepath.Join(dir, "server-ca.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw}), 0o644); err != nil {
		log.Fatal(err)
	}

	if err := capool.Rehash(dir); err != nil {
		log.Fatal(err)
	}
	link := fmt.Sprintf("%08x.0", capool.SubjectHash(ts.Certificate()))
	target, err := os.Readlink(filepath.Join(dir, link))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(link, "->", target)
	// Output: 17306e7d.0 -> server-ca.pem
}

// Merge adds one pool to another: here a corporate bundle and a CA given
// as bytes; capool.Merge(corp, sys), with sys from System, adds the system
// store the same way.
func ExampleMerge() {
	corpServer := httptest.NewTLSServer(nil)
	defer corpServer.Close()
	dir, err := os.MkdirTemp("", "capool-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	bundle := filepath.Join(dir, "corp-ca.pem") // e.g. /etc/corp/ca.pem
	if err := os.WriteFile(bundle, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: corpServer.Certificate().Raw}), 0o644); err != nil {
		log.Fatal(err)
	}
	corp, err := capool.Load(capool.Sources{CAFile: bundle})
	if err != nil {
		log.Fatal(err)
	}
	partner, err := capool.Load(capool.Sources{CAData: partnerCA()})
	if err != nil {
		log.Fatal(err)
	}

	pool := capool.Merge(corp, partner)
	fmt.Println(strings.ReplaceAll(pool.Describe(), dir, "$DIR"))
	fmt.Println(pool.Len(), "certificates")
	// Output:
	// cafile $DIR/corp-ca.pem, cadata (1 certificate)
	// 2 certificates
}

// System lists what it can; on macOS and Windows the platform verifier
// holds roots that cannot be listed.
//
// This example has no output to check: what it prints depends on the
// system's trust store.
func ExampleSystem() {
	pool, err := capool.System()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(pool.Describe(), pool.Len())
	for _, p := range pool.Problems() {
		log.Print(p) // roots skipped because they do not parse
	}
}

// RehashDir links the certificates of a directory as `openssl rehash`
// does, and says what it linked and what it skipped; the directory then
// lists, through Entries, each certificate with its hashed names.
func ExampleRehashDir() {
	ts := httptest.NewTLSServer(nil)
	defer ts.Close()
	dir, err := os.MkdirTemp("", "capool-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	cert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw})
	os.WriteFile(filepath.Join(dir, "server-ca.pem"), cert, 0o644)
	os.WriteFile(filepath.Join(dir, "copy.pem"), cert, 0o644)
	os.WriteFile(filepath.Join(dir, "notes.crt"), []byte("not a certificate\n"), 0o644)

	rep, err := capool.RehashDir(dir)
	if err != nil {
		log.Fatal(err)
	}
	for _, l := range rep.Links {
		fmt.Println(l.Name == fmt.Sprintf("%08x.0", capool.SubjectHash(ts.Certificate())), "->", l.Target, l.Change)
	}
	for _, w := range rep.Warnings {
		fmt.Println("warning:", w)
	}

	pool, err := capool.Load(capool.Sources{CAPath: dir})
	if err != nil {
		log.Fatal(err)
	}
	for _, e := range pool.Entries() {
		fmt.Println(filepath.Base(e.Path), len(e.Links), "link")
	}
	// Output:
	// true -> copy.pem new
	// warning: skipping notes.crt, it does not contain exactly one certificate or CRL
	// warning: skipping duplicate certificate in server-ca.pem
	// copy.pem 1 link
}

// Empty tells a pool that can trust nothing from one that can, without
// reading any file: the system store and hashed directories count, even
// before they are listed.
func ExamplePool_Empty() {
	var zero capool.Pool
	system, err := capool.System()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(zero.Empty(), system.Empty())
	// Output: true false
}
