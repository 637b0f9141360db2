package capool_test

import (
	"crypto/x509"
	"fmt"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"

	"github.com/tlsdefault/tlsdefault/capool"
)

// CertPoolNow turns a hashed capath directory into an *x509.CertPool that
// crypto/tls can verify against, with the CAs the directory holds now.
func ExamplePool_CertPoolNow() {
	ts := httptest.NewTLSServer(nil)
	defer ts.Close()
	dir, err := os.MkdirTemp("", "capool-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ca := ts.Certificate()
	name := fmt.Sprintf("%08x.0", capool.SubjectHash(ca))
	if err := os.WriteFile(filepath.Join(dir, name), ca.Raw, 0o644); err != nil {
		log.Fatal(err)
	}
	pool, err := capool.Load(capool.Sources{CAPath: dir})
	if err != nil {
		log.Fatal(err)
	}
	roots := pool.CertPoolNow(x509.ExtKeyUsageServerAuth)
	_, err = ca.Verify(x509.VerifyOptions{Roots: roots, DNSName: "127.0.0.1"})
	fmt.Println("verified:", err == nil)

	// Deleted from the directory, the CA is in no pool taken afterwards,
	// and Removed reports it for chains verified before.
	os.Remove(filepath.Join(dir, name))
	_, err = ca.Verify(x509.VerifyOptions{Roots: pool.CertPoolNow(x509.ExtKeyUsageServerAuth), DNSName: "127.0.0.1"})
	fmt.Println("verified after deletion:", err == nil)
	fmt.Println("removed:", pool.Removed(ca))
	// Output:
	// verified: true
	// verified after deletion: false
	// removed: true
}
