package capool_test

import (
	"fmt"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"

	"github.com/tlsdefault/tlsdefault/capool"
)

// InCapath tells whether a CA, the anchor of a chain verified earlier (a
// resumed TLS session's), is still in a hashed capath directory, looking
// it up by its subject hash.
func ExamplePool_InCapath() {
	ts := httptest.NewTLSServer(nil)
	defer ts.Close()
	dir, err := os.MkdirTemp("", "capool-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ca := ts.Certificate()
	file := filepath.Join(dir, fmt.Sprintf("%08x.0", capool.SubjectHash(ca)))
	if err := os.WriteFile(file, ca.Raw, 0o644); err != nil {
		log.Fatal(err)
	}
	pool, err := capool.Load(capool.Sources{CAPath: dir})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("in the capath:", pool.InCapath(ca))
	os.Remove(file)
	fmt.Println("after deletion:", pool.InCapath(ca))
	// Output:
	// in the capath: true
	// after deletion: false
}
