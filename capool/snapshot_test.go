package capool

import (
	"crypto/x509"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// age sets dir's times in the past, out of CertPoolNow's racy window.
func age(t *testing.T, dir string) {
	t.Helper()
	old := time.Now().Add(-time.Minute)
	if err := os.Chtimes(dir, old, old); err != nil {
		t.Fatal(err)
	}
}

// TestCertPoolNowKeepsItsSnapshot: the directory is read once while it is
// unchanged; a CA added (a new name) is in the next pool, a CA deleted is
// refused also by a pool taken before, and a file rewritten in place fails
// closed until the directory changes.
func TestCertPoolNowKeepsItsSnapshot(t *testing.T) {
	a, b := newCAOwnKey(t, "Now A"), newCAOwnKey(t, "Now B")
	leafA, leafB := a.issue(t, "a.now.test", false), b.issue(t, "b.now.test", false)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.pem"), pemOf(a.cert))
	if err := Rehash(dir); err != nil {
		t.Fatal(err)
	}
	age(t, dir)
	p, err := Load(Sources{CAPath: dir})
	if err != nil {
		t.Fatal(err)
	}
	trusts := func(pool *x509.CertPool, leaf *testCA) bool {
		_, err := leaf.cert.Verify(x509.VerifyOptions{Roots: pool, DNSName: leaf.cert.DNSNames[0]})
		return err == nil
	}
	first := p.CertPoolNow(x509.ExtKeyUsageServerAuth)
	if !trusts(first, leafA) {
		t.Fatal("CA of the directory not in CertPoolNow")
	}
	if c := p.x.now[x509.ExtKeyUsageServerAuth]; c == nil {
		t.Fatal("snapshot of an unchanged directory not kept")
	}
	kept := p.x.now[x509.ExtKeyUsageServerAuth].pool
	if again := p.CertPoolNow(x509.ExtKeyUsageServerAuth); !trusts(again, leafA) || p.x.now[x509.ExtKeyUsageServerAuth].pool != kept {
		t.Error("unchanged directory read again")
	}

	// Added: in the next pool.
	writeFile(t, filepath.Join(dir, "b.pem"), pemOf(b.cert))
	if err := Rehash(dir); err != nil {
		t.Fatal(err)
	}
	if !trusts(p.CertPoolNow(x509.ExtKeyUsageServerAuth), leafB) {
		t.Error("CA added to the directory not in the next CertPoolNow")
	}
	age(t, dir)
	withB := p.CertPoolNow(x509.ExtKeyUsageServerAuth)

	// Deleted: refused by the pools taken before.
	os.Remove(filepath.Join(dir, "b.pem"))
	if trusts(withB, leafB) || trusts(first, leafB) {
		t.Error("deleted CA still trusted by an earlier pool")
	}
	if err := Rehash(dir); err != nil {
		t.Fatal(err)
	}
	age(t, dir)

	// Rewritten in place, the directory unchanged: the old CA is refused
	// and the new one not yet trusted (fails closed) ...
	p.CertPoolNow(x509.ExtKeyUsageServerAuth)
	c := newCAOwnKeyName(t, a) // the same name, so the same hash and link

	leafC := c.issue(t, "c.now.test", false)
	if err := os.WriteFile(filepath.Join(dir, "a.pem"), pemOf(c.cert), 0o644); err != nil {
		t.Fatal(err)
	}
	now := p.CertPoolNow(x509.ExtKeyUsageServerAuth)
	if trusts(now, leafA) {
		t.Error("CA rewritten in place still trusted")
	}
	// ... and trusted once the directory changes.
	writeFile(t, filepath.Join(dir, "touch"), nil)
	if !trusts(p.CertPoolNow(x509.ExtKeyUsageServerAuth), leafC) {
		t.Error("CA rewritten in place not trusted after the directory changed")
	}
}

// newCAOwnKeyName makes a CA with the subject of like and a key of its own.
func newCAOwnKeyName(t *testing.T, like *testCA) *testCA {
	t.Helper()
	o := newCAOwnKey(t, like.cert.Subject.CommonName)
	return o
}
