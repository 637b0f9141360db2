package capool

import (
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

func writeHashed(t *testing.T, dir string, ca *testCA) string {
	t.Helper()
	p := filepath.Join(dir, fmt.Sprintf("%08x.0", SubjectHash(ca.cert)))
	if err := os.WriteFile(p, pemOf(ca.cert), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func verifyWith(roots *x509.CertPool, leaf *testCA) error {
	_, err := leaf.cert.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	return err
}

// CertPoolNow holds the CAs of a hashed directory as it is when called; a
// CA deleted later is refused also by a pool taken before, and Removed
// says so; a CA added later is in the pools taken after.
func TestCertPoolNow(t *testing.T) {
	a, b := newCA(t, "snapshot A"), newCA(t, "snapshot B")
	leafA, leafB := a.issue(t, "a.test", false), b.issue(t, "b.test", false)
	dir := t.TempDir()
	fileA := writeHashed(t, dir, a)
	p, err := Load(Sources{CAPath: dir})
	if err != nil {
		t.Fatal(err)
	}
	if !p.Lazy() {
		t.Fatal("pool of a hashed directory is not lazy")
	}
	if err := verifyWith(p.CertPoolFor(x509.ExtKeyUsageServerAuth), leafA); err == nil {
		t.Fatal("CertPoolFor holds a hashed CA; the test assumes it does not")
	}
	before := p.CertPoolNow(x509.ExtKeyUsageServerAuth)
	if err := verifyWith(before, leafA); err != nil {
		t.Fatalf("CA in the directory: %v", err)
	}
	if err := verifyWith(before, leafB); err == nil {
		t.Fatal("CA not in the directory accepted")
	}
	if p.Removed(a.cert) || p.Removed(b.cert) {
		t.Fatal("Removed reports a CA that is there, or was never there")
	}
	writeHashed(t, dir, b)
	if err := os.Remove(fileA); err != nil {
		t.Fatal(err)
	}
	if err := verifyWith(before, leafA); err == nil {
		t.Fatal("a pool taken before accepted a CA deleted since")
	}
	if !p.Removed(a.cert) {
		t.Fatal("Removed does not report the deleted CA")
	}
	after := p.CertPoolNow(x509.ExtKeyUsageServerAuth)
	if err := verifyWith(after, leafB); err != nil {
		t.Fatalf("CA added to the directory: %v", err)
	}
	if err := verifyWith(after, leafA); err == nil {
		t.Fatal("deleted CA accepted by a new pool")
	}
	// A pool without a hashed directory: CertPoolNow is CertPoolFor.
	q, err := Load(Sources{CAData: pemOf(a.cert)})
	if err != nil {
		t.Fatal(err)
	}
	if err := verifyWith(q.CertPoolNow(x509.ExtKeyUsageServerAuth), leafA); err != nil || q.Removed(a.cert) {
		t.Fatalf("eager pool: %v, removed %v", err, q.Removed(a.cert))
	}
}

// Reading a directory for a snapshot costs a stat of the directory while
// it is unchanged.
func BenchmarkCertPoolNow(b *testing.B) {
	dir := b.TempDir()
	for i := range 50 {
		ca := newCA(b, fmt.Sprintf("bench CA %d", i))
		p := filepath.Join(dir, fmt.Sprintf("%08x.0", SubjectHash(ca.cert)))
		if err := os.WriteFile(p, pemOf(ca.cert), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	p, err := Load(Sources{CAPath: dir})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		p.CertPoolNow(x509.ExtKeyUsageServerAuth)
	}
}
